/**
 * `npm run bench [-- --db mysql|sqlite] [--duration 5] [--warmup 1] [--connections 10]`
 *
 * Load-tests the real service, started in a child process, with autocannon (in this process),
 * against baselines measured in the same run, each in a child process of its own:
 *
 *   bare Koa          Koa + @koa/router answering the same survey bytes   -> GET /survey-data
 *   auth-read floor   node:http + jose HS256 verify + one PK query        -> GET /me
 *   argon2 ceiling    argon2id verifies/s with one per CPU core at once    -> POST /login
 *   handleRequest     openapi-backend's documented dispatch, 21 and 200 operations, against
 *                     our router on the same two specs (dispatch cost vs number of operations)
 *
 * Prints a table and writes this database's section of docs/benchmarks.md. The database is a
 * fresh MySQL database `bench_<random>` on BENCH_MYSQL_URL (default
 * mysql://root@127.0.0.1:3306/test), dropped at the end, or with `--db sqlite` a temporary
 * SQLite file.
 *
 * Other options: --users N (seeded accounts, default 10), --argon2-seconds S (how long the
 * ceiling's verifies run before and after each round of logins, default 2), --argon2-runs N
 * (lone verifies timed before and after each round, for reference, default 40),
 * --warmup-requests N (a server's first load of an endpoint warms up for at least N requests
 * as well as --warmup seconds, default 3000),
 * --rounds N (repeat each group of compared loads N times, interleaved, and keep medians; for a
 * noisy machine, default 1),
 * --only survey,check,me,verify,training,login,scaling (a subset; docs are not written),
 * --profile (a CPU profile of the server for each measured load, in bench/profiles/; profiling
 * slows the servers, so docs are not written; summarise with bench/profile-summary.ts),
 * --service-env NAME=VALUE (repeatable; experiments on the service under test, e.g.
 * LOG_LEVEL=silent, UV_THREADPOOL_SIZE=2, SURVEY_DATA_RECHECK_MS=0; docs are not
 * written), --no-write (do not touch docs/benchmarks.md).
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { argon2Rate, argon2Verify } from './argon2.js';
import { type Child, startChild } from './children.js';
import { cleanup } from './cleanup.js';
import { openMysql, openSqlite } from './database.js';
import { fmt, fmtRatio } from './format.js';
import { combine, type Load, type Measurement, measure } from './load.js';
import { log } from './log.js';
import {
  ARGON2_RUNS,
  ARGON2_SECONDS,
  CONNECTIONS,
  DURATION,
  dbKind,
  ROUNDS,
  runs,
  serviceEnv,
  TARGETS,
  USERS,
  WARMUP,
  WARMUP_REQUESTS,
  WRITE_DOCS,
} from './options.js';
import { loadavg, machine, printTable, type Row, type Target, tableMarkdown, targetsMarkdown, writeDocs } from './report.js';
import { seed } from './seed.js';
import { countOperations, exampleBody, loadDocument, PADDED_OPERATIONS } from './spec.js';
import { median } from './stats.js';

/** One round of logins against the argon2 ceiling measured right before and after it. */
interface CeilingRound {
  /** argon2id verifies/s with one verify per core at once: the ceiling. */
  rps: number;
  /** CPU time of one such verify, µs. */
  cpuMicros: number;
  /** One verify timed alone (for reference), s. */
  loneSeconds: number;
  /** Logins/s over the ceiling: the target. */
  ratio: number;
  /** Logins/s over one lone verify's rate x cores (for reference). */
  loneRatio: number;
  /** The ceiling over one lone verify's rate x cores: how far argon2 itself scales. */
  scaling: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadStart = loadavg();
  const db = dbKind === 'mysql' ? await openMysql() : await openSqlite();
  const jwtSecret = randomBytes(48).toString('base64url');
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    JWT_SECRET: jwtSecret,
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    AUTH_RATE_LIMIT: '0',
    LOGIN_FAILURE_LIMIT: '0',
    PUBLIC_RATE_LIMIT: '0',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
    METRICS_PORT: '0',
  };
  const specOperations = countOperations(loadDocument());
  const results: Partial<Record<string, Measurement>> = {};
  /** The argon2 ceiling: each field is the median of the rounds' own figures. */
  let ceiling: (CeilingRound & { cores: number }) | undefined;

  // Every server up front (they idle until measured). The others start once seeding is done:
  // on SQLite, the extra service instances open the same file, and the writes they make while
  // starting (Knex's migration lock) could fail a seeding write with SQLITE_BUSY.
  const service = await startChild('service', [], { ...env, ...serviceEnv });
  const seeded = await seed(service.url, db);
  const need = {
    bareKoa: runs('survey'),
    floor: runs('me') || runs('verify') || runs('check') || runs('training'),
    scaling: runs('scaling'),
  };
  const others = Promise.all([
    need.bareKoa ? startChild('bare-koa', [], env) : undefined,
    need.floor ? startChild('auth-floor', [], env) : undefined,
    need.scaling ? startChild('handle-request', [], env) : undefined,
    need.scaling ? startChild('handle-request', ['--padded'], env) : undefined,
    // A second instance of the service for the comparison with the padded spec, so that both
    // sides start equally fresh.
    need.scaling ? startChild('service', [], { ...env, ...serviceEnv }) : undefined,
    need.scaling ? startChild('service', ['--padded'], { ...env, ...serviceEnv }) : undefined,
  ]);
  const [bareKoa, floorServer, hrServer, hrPaddedServer, servicePlain, servicePadded] = await others;
  const json = { 'content-type': 'application/json' };
  const perUser = (method: string, path: string, body?: unknown): Load => ({
    requests: seeded.tokens.map((token) => ({
      method,
      path,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : json) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })),
  });
  const survey: Load = { path: '/api/v1/survey-data' };
  const plain = `${specOperations} ops`;
  const padded = `${PADDED_OPERATIONS} ops`;

  log(
    `\nmeasuring: ${CONNECTIONS} connections, ${WARMUP} s warm-up (at least ${WARMUP_REQUESTS} requests in a load's first round) + ${DURATION} s per endpoint${ROUNDS > 1 ? `, ${ROUNDS} interleaved rounds (median)` : ''}`,
  );

  /**
   * Measures a group of loads that are compared with each other, one after the other; with
   * --rounds N the whole group is repeated N times, interleaved, and each load keeps its median.
   * Every other round runs the group in reverse order, so that a machine speeding up or slowing
   * down during a round does not always favour the same side of a comparison.
   */
  async function group(entries: [key: string, label: string, child: Child | undefined, load: Load][]): Promise<void> {
    const samples = new Map<string, Measurement[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, label, child, load] of round % 2 === 0 ? entries : [...entries].reverse()) {
        if (!child) continue;
        const m = await measure(label + (ROUNDS > 1 ? ` [${round + 1}/${ROUNDS}]` : ''), child, load, round === 0);
        samples.set(key, [...(samples.get(key) ?? []), m]);
      }
    }
    for (const [key, list] of samples) results[key] = combine(list);
  }

  if (runs('survey')) {
    await group([
      ['bareKoa', 'baseline: bare Koa GET /survey-data', bareKoa, survey],
      ['survey', 'GET /survey-data', service, survey],
    ]);
  }

  if (need.floor) {
    await group([
      ['floor', 'baseline: auth-read floor (JWT + 1 PK query)', floorServer, perUser('GET', '/api/v1/me')],
      ...(runs('me') ? [['me', 'GET /me', service, perUser('GET', '/api/v1/me')] as const] : []),
      ...(runs('verify') ? [['verify', 'GET /verify-token', service, perUser('GET', '/api/v1/verify-token')] as const] : []),
      // `username=x` would be a 400 (usernames are 3-50 characters): ask about a valid, free name.
      ...(runs('check') ? [['check', 'GET /check-availability', service, { path: '/api/v1/check-availability?username=x_free_name' }] as const] : []),
      ...(runs('training')
        ? [['training', 'PUT /training-profile', service, perUser('PUT', '/api/v1/training-profile', exampleBody('/training-profile', 'put'))] as const]
        : []),
    ] as [string, string, Child | undefined, Load][]);
  }

  if (runs('login')) {
    const cores = os.availableParallelism();
    const perRound: CeilingRound[] = [];
    const logins: Measurement[] = [];
    const load: Load = {
      requests: seeded.usernames.map((username) => ({
        method: 'POST',
        path: '/api/v1/login',
        headers: json,
        body: JSON.stringify({ username, password: seeded.password, revoke_others: false }),
      })),
    };
    for (let round = 0; round < ROUNDS; round++) {
      // The machine's speed drifts by tens of percent over seconds here (other guests share the
      // host), so each round's logins are compared with verifies run right before and right
      // after them, with the servers idle, and the ratio is the median of the rounds' ratios.
      // The ceiling is what the cores give with one verify on each: two verifies at once do not
      // run twice as fast as one alone here (they share caches and memory bandwidth, and each
      // maps and clears 19 MiB), so one verify's time x cores is kept only for reference.
      const loneBefore = await argon2Verify(ARGON2_RUNS);
      const before = await argon2Rate(ARGON2_SECONDS, cores);
      const m = await measure(`POST /login${ROUNDS > 1 ? ` [${round + 1}/${ROUNDS}]` : ''}`, service, load, round === 0);
      const after = await argon2Rate(ARGON2_SECONDS, cores);
      const loneAfter = await argon2Verify(ARGON2_RUNS);
      const ceilingRps = (before.rps + after.rps) / 2;
      const loneSeconds = (loneBefore.seconds + loneAfter.seconds) / 2;
      const ideal = cores / loneSeconds;
      const r: CeilingRound = {
        rps: ceilingRps,
        cpuMicros: (before.cpuMicros + after.cpuMicros) / 2,
        loneSeconds,
        ratio: m.rps / ceilingRps,
        loneRatio: m.rps / ideal,
        scaling: ceilingRps / ideal,
      };
      perRound.push(r);
      logins.push(m);
      log(
        `  argon2id, ${cores} verifies at once: ${fmt(before.rps, 1)}/s before, ${fmt(after.rps, 1)}/s after -> ceiling ${fmt(ceilingRps, 1)} logins/s; ratio ${fmtRatio(r.ratio)}`,
      );
      log(
        `  argon2id, one at a time: median ${fmt(loneBefore.seconds * 1000, 1)} ms before, ${fmt(loneAfter.seconds * 1000, 1)} ms after (${ARGON2_RUNS} runs each) x ${cores} cores = ${fmt(ideal, 1)}/s; argon2 at once reached ${fmtRatio(r.scaling)} of that, logins ${fmtRatio(r.loneRatio)}`,
      );
    }
    const mid = (key: keyof CeilingRound) => median(perRound.map((r) => r[key]));
    ceiling = {
      cores,
      rps: mid('rps'),
      cpuMicros: mid('cpuMicros'),
      ratio: mid('ratio'),
      loneSeconds: mid('loneSeconds'),
      loneRatio: mid('loneRatio'),
      scaling: mid('scaling'),
    };
    results.login = combine(logins);
  }

  if (runs('scaling')) {
    await group([
      ['hr', `handleRequest GET /survey-data, ${plain}`, hrServer, survey],
      ['hrPadded', `handleRequest GET /survey-data, ${padded}`, hrPaddedServer, survey],
      ['ours', `our router GET /survey-data, ${plain}`, servicePlain, survey],
      ['oursPadded', `our router GET /survey-data, ${padded}`, servicePadded, survey],
    ]);
  }

  await Promise.all([bareKoa, floorServer, hrServer, hrPaddedServer, servicePlain, servicePadded].map((c) => c?.stop()));
  await service.stop();
  const loadEnd = loadavg();

  const rows: Row[] = [];
  const add = (endpoint: string, m: Measurement | undefined, baseline?: string, b?: { rps: number; cpuPerRequest: number; ratio?: number }) => {
    if (m) rows.push({ endpoint, m, baseline: b ? baseline : undefined, baselineRps: b?.rps, baselineCpu: b?.cpuPerRequest, ratio: b?.ratio });
  };
  const bare = results.bareKoa;
  const floor = results.floor;
  add('GET /survey-data', results.survey, 'bare Koa', bare);
  add('GET /check-availability?username=x_free_name', results.check, 'auth-read floor', floor);
  add('GET /me (auth)', results.me, 'auth-read floor', floor);
  add('GET /verify-token (auth)', results.verify, 'auth-read floor', floor);
  add('PUT /training-profile (auth, write)', results.training, 'auth-read floor', floor);
  add(
    'POST /login (argon2id verify + session insert)',
    results.login,
    'argon2, all cores',
    ceiling && { rps: ceiling.rps, cpuPerRequest: ceiling.cpuMicros, ratio: ceiling.ratio },
  );
  add('baseline: bare Koa + @koa/router, same survey bytes', results.bareKoa);
  add('baseline: auth-read floor (node:http + jose + 1 PK query)', results.floor);
  add(`handleRequest GET /survey-data, ${plain}`, results.hr, 'bare Koa', bare);
  add(`handleRequest GET /survey-data, ${padded}`, results.hrPadded, `handleRequest, ${plain}`, results.hr);
  add(`our router GET /survey-data, ${plain}`, results.ours, 'bare Koa', bare);
  add(`our router GET /survey-data, ${padded}`, results.oursPadded, `our router, ${plain}`, results.ours);
  const seconds = (Date.now() - started) / 1000;

  // ------------------------------------------------------------------------------ targets
  const r = (a: Measurement | undefined, b: number | undefined) => (a && b ? a.rps / b : undefined);
  const surveyRatio = r(results.survey, results.bareKoa?.rps);
  const meRatio = r(results.me, results.floor?.rps);
  const loginRatio = ceiling?.ratio;
  const oursScaling = r(results.oursPadded, results.ours?.rps);
  const hrScaling = r(results.hrPadded, results.hr?.rps);
  const plainOps = `${specOperations} ops`;
  const cpuText = (m: Measurement, baselineMicros: number, what = 'the baseline') =>
    `server CPU ${fmt(m.cpuPerRequest, 0)} µs/req vs ${fmt(baselineMicros, 0)} µs for ${what} (CPU ratio ${fmtRatio(baselineMicros / m.cpuPerRequest)})`;
  const targets: Target[] = [
    {
      name: 'GET /survey-data vs bare Koa',
      measured: surveyRatio,
      required: `≥ ${TARGETS.survey}`,
      met: surveyRatio === undefined ? undefined : surveyRatio >= TARGETS.survey,
      detail:
        results.survey && results.bareKoa
          ? `${fmt(results.survey.rps, 0)} / ${fmt(results.bareKoa.rps, 0)} req/s; ${cpuText(results.survey, results.bareKoa.cpuPerRequest)}`
          : 'not measured',
    },
    {
      name: 'GET /me vs auth-read floor',
      measured: meRatio,
      required: `≥ ${TARGETS.me}`,
      met: meRatio === undefined ? undefined : meRatio >= TARGETS.me,
      detail:
        results.me && results.floor
          ? `${fmt(results.me.rps, 0)} / ${fmt(results.floor.rps, 0)} req/s; ${cpuText(results.me, results.floor.cpuPerRequest)} (the database server's CPU is not counted)`
          : 'not measured',
    },
    {
      name: 'POST /login vs argon2 ceiling',
      measured: loginRatio,
      required: `≥ ${TARGETS.login}`,
      met: loginRatio === undefined ? undefined : loginRatio >= TARGETS.login,
      detail:
        results.login && ceiling
          ? `${ROUNDS > 1 ? `median of ${ROUNDS} rounds' ratios; medians ` : ''}${fmt(results.login.rps, 1)} / ${fmt(ceiling.rps, 1)} logins/s (the ceiling: argon2id verifies/s with ${ceiling.cores} at once, one per core, for ${ARGON2_SECONDS} s right before and right after each round); non-2xx ${results.login.non2xx}; ${cpuText(results.login, ceiling.cpuMicros, 'one verify with every core verifying')}. For reference, one verify alone took ${fmt(ceiling.loneSeconds * 1000, 1)} ms (median of ${ARGON2_RUNS} before and after each round); × ${ceiling.cores} cores that would be ${fmt(ceiling.cores / ceiling.loneSeconds, 1)}/s if the cores scaled perfectly: argon2 alone reached ${fmtRatio(ceiling.scaling)} of that, logins ${fmtRatio(ceiling.loneRatio)}`
          : 'not measured',
    },
    {
      name: `Our router, ${PADDED_OPERATIONS} ops / ${specOperations} ops`,
      measured: oursScaling,
      required: `≥ ${TARGETS.scaling} (≈ 1)`,
      met: oursScaling === undefined ? undefined : oursScaling >= TARGETS.scaling,
      detail:
        oursScaling !== undefined && hrScaling !== undefined
          ? `ours ${fmt(results.oursPadded?.rps ?? 0, 0)} / ${fmt(results.ours?.rps ?? 0, 0)} req/s = ${fmtRatio(oursScaling)}; handleRequest ${fmt(results.hrPadded?.rps ?? 0, 0)} / ${fmt(results.hr?.rps ?? 0, 0)} req/s = ${fmtRatio(hrScaling)}. Server CPU per request, ${plainOps} → ${PADDED_OPERATIONS} ops: ours ${fmt(results.ours?.cpuPerRequest ?? 0, 0)} → ${fmt(results.oursPadded?.cpuPerRequest ?? 0, 0)} µs, handleRequest ${fmt(results.hr?.cpuPerRequest ?? 0, 0)} → ${fmt(results.hrPadded?.cpuPerRequest ?? 0, 0)} µs`
          : 'not measured',
    },
  ];

  printTable(rows);
  console.log('\nTargets:');
  for (const t of targets) {
    const status = t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT met';
    console.log(`  ${t.name.padEnd(40)} ${t.measured === undefined ? '-' : fmtRatio(t.measured)} (${t.required})  ${status}  — ${t.detail}`);
  }
  const odd = Object.entries(results).filter(([, m]) => m && m.non2xx > 0);
  for (const [name, m] of odd) console.log(`  note: ${name} non-2xx status codes: ${JSON.stringify(m?.statusCodes)}`);
  console.log(`\n${db.label}; ${machine()}; load average (1/5/15 min) ${loadStart} at start, ${loadEnd} at end; ${fmt(seconds, 0)} s`);

  if (WRITE_DOCS) {
    const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const section = `
## ${dbKind === 'mysql' ? 'MySQL / MariaDB' : 'SQLite'} (\`npm run bench${dbKind === 'mysql' ? '' : ' -- --db sqlite'}\`)

- Date: ${date}
- Machine: ${machine()}
- Database: ${db.label}
- Load: ${CONNECTIONS} connections, ${WARMUP} s warm-up (at least ${WARMUP_REQUESTS} requests in a load's first round) + ${DURATION} s per endpoint${ROUNDS > 1 ? `, ${ROUNDS} interleaved rounds (medians)` : ''}; ${USERS} seeded users; whole run ${fmt(seconds, 0)} s
- Load average (1/5/15 min): ${loadStart} at start, ${loadEnd} at end${Number(os.loadavg()[0]) > os.availableParallelism() ? ' — the machine was busy with other work, numbers are noisy' : ''}

${tableMarkdown(rows)}

Targets:

${targetsMarkdown(targets)}
${odd.length > 0 ? `\nNon-2xx answers: ${odd.map(([name, m]) => `${name} ${JSON.stringify(m?.statusCodes)}`).join('; ')}\n` : ''}`;
    writeDocs(section);
  }
}

try {
  await main();
} catch (err) {
  process.exitCode = 1;
  console.error(err);
} finally {
  await cleanup();
}
