/**
 * `npm run bench [-- --db mysql|sqlite] [--duration 5] [--warmup 1] [--connections 10]`
 *
 * Load-tests the real service, started in a child process, with autocannon (in this process),
 * against baselines measured in the same run, each in a child process of its own:
 *
 *   bare Koa          Koa + @koa/router answering the same survey bytes   -> GET /survey-data
 *   auth-read floor   node:http + jose HS256 verify + one PK query        -> GET /me
 *   argon2 ceiling    (1 / one argon2id verify, in s) x CPU cores         -> POST /login
 *   handleRequest     openapi-backend's documented dispatch, 21 and 200 operations, against
 *                     our router on the same two specs (dispatch cost vs number of operations)
 *
 * Prints a table and writes this database's section of docs/benchmarks.md. The database is a
 * fresh MySQL database `bench_<random>` on BENCH_MYSQL_URL (default
 * mysql://root@127.0.0.1:3306/test), dropped at the end, or with `--db sqlite` a temporary
 * SQLite file.
 *
 * Other options: --users N (seeded accounts, default 10), --argon2-runs N (default 20),
 * --rounds N (repeat each group of compared loads N times, interleaved, and keep medians; for a
 * noisy machine, default 1),
 * --only survey,check,me,verify,training,login,scaling (a subset; docs are not written),
 * --profile (a CPU profile of the server for each measured load, in bench/profiles/; profiling
 * slows the servers, so docs are not written; summarise with bench/profile-summary.ts),
 * --service-env NAME=VALUE (repeatable; experiments on the service under test, e.g.
 * LOG_LEVEL=silent, UV_THREADPOOL_SIZE=2, BENCH_SURVEY_STAT_CACHE_MS=1000; docs are not
 * written), --no-write (do not touch docs/benchmarks.md).
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hash, verify } from '@node-rs/argon2';
import autocannon, { type Options, type Request, type Result } from 'autocannon';
import { PROJECT_ROOT } from '../src/paths.js';
import { countOperations, exampleBody, loadDocument, PADDED_OPERATIONS } from './spec.js';

const BENCH_DIR = join(PROJECT_ROOT, 'bench');
const DOCS_FILE = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
const PROFILE_DIR = join(BENCH_DIR, 'profiles');
const STEPS = ['survey', 'check', 'me', 'verify', 'training', 'login', 'scaling'] as const;
type Step = (typeof STEPS)[number];

// The service's argon2id parameters (src/auth/passwords.ts).
const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

const TARGETS = { survey: 0.75, me: 0.6, login: 0.8, scaling: 0.9 };

// ---------------------------------------------------------------------------------- options

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'mysql' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    connections: { type: 'string', default: '10' },
    users: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    'argon2-runs': { type: 'string', default: '20' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'service-env': { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(readFileSync(new URL(import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

function positive(name: string, raw: string, integer = false): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    console.error(`--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

const dbKind = args.db as string;
if (dbKind !== 'mysql' && dbKind !== 'sqlite') {
  console.error(`--db must be mysql or sqlite, got "${dbKind}"`);
  process.exit(2);
}
const DURATION = positive('duration', args.duration as string);
const WARMUP = Number(args.warmup);
if (!Number.isFinite(WARMUP) || WARMUP < 0) {
  console.error(`--warmup must be a number of seconds (0 for none), got "${args.warmup}"`);
  process.exit(2);
}
const CONNECTIONS = positive('connections', args.connections as string, true);
const USERS = positive('users', args.users as string, true);
const ROUNDS = positive('rounds', args.rounds as string, true);
const ARGON2_RUNS = positive('argon2-runs', args['argon2-runs'] as string, true);
const only = args.only?.split(',').map((s) => s.trim()).filter(Boolean);
for (const step of only ?? []) {
  if (!(STEPS as readonly string[]).includes(step)) {
    console.error(`--only takes a comma-separated list of ${STEPS.join(', ')}; got "${step}"`);
    process.exit(2);
  }
}
const runs = (step: Step) => !only || only.includes(step);
const PROFILE = args.profile as boolean;
/** Experiments: extra environment for the service under test (e.g. LOG_LEVEL=silent). */
const serviceEnv: Record<string, string> = {};
for (const pair of args['service-env'] ?? []) {
  const eq = pair.indexOf('=');
  if (eq < 1) {
    console.error(`--service-env takes NAME=VALUE, got "${pair}"`);
    process.exit(2);
  }
  serviceEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
}
const WRITE_DOCS = !only && !PROFILE && !args['no-write'] && Object.keys(serviceEnv).length === 0;

const log = (message: string) => process.stderr.write(message + '\n');

// --------------------------------------------------------------------------------- cleanup

/** Undo work, newest first: stop children, drop the database. Runs once, also on Ctrl-C. */
const cleanups: (() => Promise<unknown>)[] = [];
let cleaningUp: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length > 0) {
      const undo = cleanups.pop() as () => Promise<unknown>;
      await undo().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    }
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

// -------------------------------------------------------------------------------- database

interface BenchDb {
  url: string;
  /** For the report, e.g. "MariaDB 10.11.19" or "SQLite 3.50.2". */
  label: string;
  /** Runs a statement directly on the database (not through the service). */
  exec(sql: string, params: unknown[]): Promise<void>;
}

async function openMysql(): Promise<BenchDb> {
  const mysql = await import('mysql2/promise');
  const base = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base, connectTimeout: 5000 });
  const [[row]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    log(`dropped database ${name}`);
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  const version = row.version;
  const label = /mariadb/i.test(version) ? `MariaDB ${version.replace(/-MariaDB.*$/i, '')}` : `MySQL ${version}`;
  log(`database: ${label}, fresh database ${name}`);
  let conn: Awaited<ReturnType<typeof mysql.createConnection>> | undefined;
  return {
    url: url.toString(),
    label,
    async exec(sql, params) {
      if (!conn) {
        conn = await mysql.createConnection({ uri: url.toString() });
        const opened = conn;
        cleanups.push(() => opened.end());
      }
      await conn.query(sql, params);
    },
  };
}

async function openSqlite(): Promise<BenchDb> {
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-sqlite-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bench.db');
  const probe = new Database(':memory:');
  const version = (probe.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  probe.close();
  log(`database: SQLite ${version}, temporary file ${file}`);
  let conn: InstanceType<typeof Database> | undefined;
  return {
    url: `sqlite:${file}`,
    label: `SQLite ${version} (better-sqlite3, file in ${os.tmpdir()}, WAL)`,
    async exec(sql, params) {
      if (!conn) {
        conn = new Database(file);
        const opened = conn;
        cleanups.push(async () => opened.close());
      }
      conn.prepare(sql).run(...params);
    },
  };
}

// ---------------------------------------------------------------------------------- children

interface Child {
  url: string;
  stop(): Promise<void>;
  /** CPU profile of the child's main thread from now until stopProfile (--profile). */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  /** CPU time the child has used so far (user + system, all threads), in microseconds. */
  cpu(): Promise<number>;
}

/** Forks bench/serve.ts as `kind` and waits until it listens. Its stdout goes to /dev/null. */
async function startChild(kind: string, extra: string[], env: Record<string, string>): Promise<Child> {
  const name = [kind, ...extra.map((a) => a.replace(/^--/, ''))].join('-');
  const execArgv = ['--import', 'tsx'];
  const child = fork(join(BENCH_DIR, 'serve.ts'), [kind, ...extra], {
    cwd: PROJECT_ROOT,
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message?.type === 'ready' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening`));
    });
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopped;
  };
  cleanups.push(stop);
  /** Sends a message and waits for the child's answer of type `reply`. */
  const ask = (message: object | string, reply: string) =>
    new Promise<any>((resolve, reject) => {
      const onExit = () => reject(new Error(`${name} exited while asked for ${reply}`));
      const onMessage = (answer: { type?: string }) => {
        if (answer?.type !== reply) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(answer);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  log(`started ${name} (pid ${child.pid}) on port ${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    stop,
    startProfile: () => ask({ type: 'profile-start' }, 'profile-started'),
    stopProfile: (file) => ask({ type: 'profile-stop', file }, 'profile-stopped'),
    cpu: async () => {
      const { usage } = (await ask('cpu', 'cpu')) as { usage: NodeJS.CpuUsage };
      return usage.user + usage.system;
    },
  };
}

// -------------------------------------------------------------------------------------- load

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** CPU time the server process used per request answered, in µs (all its threads). */
  cpuPerRequest: number;
}

/** What to send: one path (GET), or a list of requests cycled through by every connection. */
type Load = Omit<Options, 'url' | 'duration' | 'connections'> & { path?: string };

/** One request of the load, made once first: anything but 2xx stops the benchmark. */
async function check(base: string, load: Load): Promise<void> {
  const request: Request = load.requests?.[0] ?? load;
  const res = await fetch(base + (request.path ?? ''), {
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body as string | undefined,
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${request.method ?? 'GET'} ${request.path}: ${res.status} ${text.slice(0, 300)}`);
  }
}

let profileRun: string | undefined;

/** Servers that have had their first, longer warm-up. */
const warmed = new Set<Child>();
/**
 * A fresh process spends its first seconds of load compiling (V8's optimising compiler runs on
 * background threads, which counts in its CPU time): its first load gets at least this long a
 * warm-up, so that fresh children are not compared with warm ones.
 */
const FIRST_WARMUP = 3;

async function measure(label: string, child: Child, load: Load, warmUp = true): Promise<Measurement> {
  await check(child.url, load);
  const { path, ...rest } = load;
  const options = { url: child.url + (path ?? ''), connections: CONNECTIONS, ...rest };
  const warmup = warmed.has(child) ? WARMUP : Math.max(WARMUP, FIRST_WARMUP);
  warmed.add(child);
  if (warmUp && warmup > 0) await autocannon({ ...options, duration: warmup });
  if (PROFILE) await child.startProfile();
  const cpuBefore = await child.cpu();
  const result: Result = await autocannon({ ...options, duration: DURATION });
  const cpuMicros = (await child.cpu()) - cpuBefore;
  if (PROFILE) {
    profileRun ??= join(PROFILE_DIR, `${dbKind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(profileRun, { recursive: true });
    const file = join(profileRun, `${label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.cpuprofile`);
    await child.stopProfile(file);
    log(`  (CPU profile of the server: ${file})`);
  }
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const m = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
    cpuPerRequest: result.requests.total > 0 ? cpuMicros / result.requests.total : 0,
  };
  log(`  ${label.padEnd(46)} ${fmt(m.rps, 0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  non-2xx ${m.non2xx}  errors ${m.errors}  server CPU ${fmt(m.cpuPerRequest, 0)} µs/req`);
  return m;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Several rounds of one load: medians of throughput and latencies, sums of failures. */
function combine(list: Measurement[]): Measurement {
  if (list.length === 1) return list[0] as Measurement;
  const statusCodes: Record<string, number> = {};
  for (const m of list) for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: median(list.map((m) => m.rps)),
    p50: median(list.map((m) => m.p50)),
    p99: median(list.map((m) => m.p99)),
    non2xx: list.reduce((a, m) => a + m.non2xx, 0),
    errors: list.reduce((a, m) => a + m.errors, 0),
    statusCodes,
    cpuPerRequest: median(list.map((m) => m.cpuPerRequest)),
  };
}

function fmt(n: number, digits: number): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

// -------------------------------------------------------------------------------- argon2

/**
 * One argon2id verify with the service's parameters, `runs` times in a row: the median wall
 * time in seconds, and the mean CPU time of this process per verify in µs.
 */
async function argon2Verify(runs: number): Promise<{ seconds: number; cpuMicros: number }> {
  const password = 'SecurePass123!';
  const stored = await hash(password, ARGON2_OPTIONS);
  await verify(stored, password);
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    if (!(await verify(stored, password))) throw new Error('argon2 verify failed');
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const used = process.cpuUsage(cpu);
  return { seconds: median(times), cpuMicros: (used.user + used.system) / runs };
}

/**
 * For the report only: argon2id verifies per second actually achieved now with 2 × cores of
 * them running at once for `seconds` (what the CPUs give, with whatever else is running).
 */
async function argon2ParallelRate(seconds: number, concurrency: number): Promise<number> {
  const password = 'SecurePass123!';
  const stored = await hash(password, ARGON2_OPTIONS);
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await verify(stored, password);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}

// ---------------------------------------------------------------------------------- seeding

interface Seeded {
  usernames: string[];
  tokens: string[];
  password: string;
}

async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Registers and logs in USERS accounts through the API, stores one training profile each, and makes them enterprise accounts (no session limit). */
async function seed(base: string, db: BenchDb): Promise<Seeded> {
  const example = exampleBody('/register', 'post');
  const training = exampleBody('/training-profile', 'put');
  const password = example.password as string;
  const usernames: string[] = [];
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const username = `bench_user_${i}`;
    await call(base, 'POST', '/register', { ...example, username, email: `bench_user_${i}@example.com` });
    const login = await call(base, 'POST', '/login', { username, password });
    const token = login.access_token as string;
    await call(base, 'PUT', '/training-profile', training, token);
    usernames.push(username);
    tokens.push(token);
  }
  await db.exec(`UPDATE users SET plan = 'enterprise' WHERE username IN (${usernames.map(() => '?').join(', ')})`, usernames);
  log(`seeded ${USERS} users (enterprise plan), each logged in with a training profile`);
  return { usernames, tokens, password };
}

// ------------------------------------------------------------------------------------ report

interface Row {
  endpoint: string;
  m: Measurement;
  baseline?: string;
  /** Throughput of the baseline, req/s. */
  baselineRps?: number;
  /** CPU time of the baseline per request, µs. */
  baselineCpu?: number;
}

interface Target {
  name: string;
  measured: number | undefined;
  required: string;
  met: boolean | undefined;
  detail: string;
}

const ratioOf = (row: Row | undefined) => (row?.baselineRps ? row.m.rps / row.baselineRps : undefined);
/** How close to the baseline's CPU cost per request: baseline µs / ours µs (1 = as cheap). */
const cpuRatioOf = (row: Row | undefined) => (row?.baselineCpu && row.m.cpuPerRequest ? row.baselineCpu / row.m.cpuPerRequest : undefined);

function tableMarkdown(rows: Row[]): string {
  const lines = [
    '| Endpoint | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/req | baseline | ratio | CPU ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of rows) {
    const ratio = ratioOf(row);
    const cpuRatio = cpuRatioOf(row);
    const baseline = row.baseline ? `${row.baseline} (${fmt(row.baselineRps ?? 0, 0)} req/s)` : '—';
    lines.push(
      `| ${row.endpoint} | ${fmt(row.m.rps, 0)} | ${row.m.p50} | ${row.m.p99} | ${row.m.non2xx} | ${row.m.errors} | ${fmt(row.m.cpuPerRequest, 0)} | ${baseline} | ${ratio === undefined ? '—' : fmt(ratio, 2)} | ${cpuRatio === undefined ? '—' : fmt(cpuRatio, 2)} |`,
    );
  }
  return lines.join('\n');
}

function targetsMarkdown(targets: Target[]): string {
  const lines = ['| Target | measured | required | status |', '| --- | ---: | ---: | --- |'];
  for (const t of targets) {
    const status = t.met === undefined ? 'not measured' : t.met ? '**met**' : '**NOT met**';
    lines.push(`| ${t.name} | ${t.measured === undefined ? '—' : fmt(t.measured, 2)} | ${t.required} | ${status} |`);
  }
  return lines.join('\n') + '\n\n' + targets.map((t) => `- ${t.name}: ${t.detail}`).join('\n');
}

function printTable(rows: Row[]): void {
  const header = ['Endpoint', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU µs/req', 'baseline', 'ratio', 'CPU ratio'];
  const body = rows.map((row) => {
    const ratio = ratioOf(row);
    const cpuRatio = cpuRatioOf(row);
    return [
      row.endpoint,
      fmt(row.m.rps, 0),
      String(row.m.p50),
      String(row.m.p99),
      String(row.m.non2xx),
      String(row.m.errors),
      fmt(row.m.cpuPerRequest, 0),
      row.baseline ? `${row.baseline} (${fmt(row.baselineRps ?? 0, 0)})` : '-',
      ratio === undefined ? '-' : fmt(ratio, 2),
      cpuRatio === undefined ? '-' : fmt(cpuRatio, 2),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log('\n' + line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}

function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const gib = os.totalmem() / 1024 ** 3;
  return `${model}, ${os.availableParallelism()} cores, ${fmt(gib, 1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`;
}

const loadavg = () => os.loadavg().map((l) => fmt(l, 2)).join(' / ');

function writeDocs(section: string): void {
  const start = `<!-- bench:${dbKind}:start -->`;
  const end = `<!-- bench:${dbKind}:end -->`;
  const sections: Record<string, string> = {};
  if (existsSync(DOCS_FILE)) {
    const old = readFileSync(DOCS_FILE, 'utf8');
    for (const kind of ['mysql', 'sqlite']) {
      const match = new RegExp(`<!-- bench:${kind}:start -->[\\s\\S]*?<!-- bench:${kind}:end -->`).exec(old);
      if (match) sections[kind] = match[0];
    }
  }
  sections[dbKind] = `${start}\n${section.trim()}\n${end}`;
  const text = [DOCS_HEADER.trim(), sections.mysql, sections.sqlite].filter(Boolean).join('\n\n') + '\n';
  mkdirSync(join(PROJECT_ROOT, 'docs'), { recursive: true });
  writeFileSync(DOCS_FILE, text);
  log(`wrote the ${dbKind} section of ${DOCS_FILE}`);
}

const DOCS_HEADER = `
# Benchmarks

Written by \`npm run bench\` (MySQL/MariaDB) and \`npm run bench -- --db sqlite\`
(\`bench/run.ts\`); each run replaces its own database's section below. Every number in a
section comes from one run on one machine, and every ratio compares two measurements of that
run, so sections from different days or machines can be compared by their ratios only.

How it measures:

- The service runs as in production (migrate, \`createApp\`, listen), in a **child process**,
  with \`LOG_LEVEL=info\` (one log line per request, stdout to /dev/null), \`NODE_ENV=production\`,
  \`AUTH_RATE_LIMIT=0\` and \`LOGIN_FAILURE_LIMIT=0\`. Users are seeded through the API
  (register, login, \`PUT /training-profile\`) and set to the enterprise plan in the database, so
  logins never hit the session limit. Authenticated loads rotate over the seeded users' tokens.
- Load: autocannon in the parent process, N connections, a warm-up run (at least 3 s for a
  server's first load, while V8 compiles its hot code), then the measured run per endpoint.
  req/s is autocannon's per-second average; p50/p99 latency in ms. **ratio** is req/s over
  the baseline's req/s: the targets are stated on it. Rows whose baseline is not one of the
  targets below (check-availability, verify-token, training-profile) show it for reference.
- **server CPU µs/req**: CPU time (user + system, all threads) the server process used during
  the measured run, divided by the requests it answered; **CPU ratio** is the baseline's
  µs/req over ours (1 = as cheap as the baseline). Waiting for a CPU does not count, so on a
  busy, shared machine it is steadier than req/s; it does not count the database server's CPU.
  For the argon2 ceiling, the baseline is the CPU time of one verify.
- Baselines, each in its own child process, measured in the same run:
  - **bare Koa**: Koa + @koa/router answering \`GET /api/v1/survey-data\` with the same bytes
    (the survey file parsed and serialised once) — the ceiling for \`GET /survey-data\`.
  - **auth-read floor**: bare \`node:http\` verifying the bearer JWT with jose (HS256, same
    secret, issuer and audience) and running one primary-key query (\`SELECT id FROM sessions
    WHERE id = ?\`, mysql2 pool of 10, or better-sqlite3) — the ceiling for an authenticated read
    such as \`GET /me\`.
  - **argon2 ceiling**: (1 / median time of one argon2id verify with the service's parameters,
    m=19456 KiB, t=2, p=1) × CPU cores — the most logins per second the CPUs can check.
  - **handleRequest**: Koa with one middleware calling openapi-backend's documented
    \`api.handleRequest({method, path, query, headers, body}, ctx)\` (same spec, \`loadApi\`
    options and validators as the service, \`getSurveyData\` answering the same bytes, plus
    notFound/validationFail/notImplemented handlers, and the same one pino line per request as
    the service so that only dispatch differs), on the spec as is and padded to 200 operations
    (dummy \`GET /pad/<i>\`). Our service is run on the same padded spec (\`loadApi(padded)\`),
    against a second, equally fresh instance on the spec as is.

Targets: \`GET /survey-data\` ≥ 0.75 × bare Koa; \`GET /me\` ≥ 0.6 × auth-read floor; \`POST /login\`
≥ 0.8 × argon2 ceiling; our throughput independent of the number of operations (200 ops / 21
ops ≥ ${TARGETS.scaling}), against handleRequest's drop.

The machine is shared (2 cores, other test suites may run meanwhile): the load average at the
start and end of each run is recorded; treat single numbers as noisy and prefer re-runs
(\`--rounds 3\` interleaves each group of compared loads three times and keeps medians).
To look into a miss: \`npm run bench -- --only me --profile\` writes a CPU profile of the server
per measured load to \`bench/profiles/\` (summarise it with
\`node --import tsx bench/profile-summary.ts <file>\`), \`--service-env NAME=VALUE\` runs the
service with an experimental setting, and \`node --import tsx bench/components.ts\` times the
pieces of a request (logging, validation, JWT, queries, argon2) one by one.
`;

// -------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const started = Date.now();
  const loadStart = loadavg();
  const db = dbKind === 'mysql' ? await openMysql() : await openSqlite();
  const jwtSecret = randomBytes(48).toString('base64url');
  const env = {
    NODE_ENV: 'production',
    DATABASE_URL: db.url,
    JWT_SECRET: jwtSecret,
    AUTH_RATE_LIMIT: '0',
    LOGIN_FAILURE_LIMIT: '0',
    LOG_LEVEL: 'info',
    HOST: '127.0.0.1',
    PORT: '0',
  };
  const specOperations = countOperations(loadDocument());
  const results: Partial<Record<string, Measurement>> = {};
  let ceiling: { verifySeconds: number; cores: number; rps: number; parallel: number; cpuMicros: number } | undefined;

  // Every server up front (they idle until measured), the baselines while seeding.
  const service = await startChild('service', [], { ...env, ...serviceEnv });
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
  const seeded = await seed(service.url, db);
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

  log(`\nmeasuring: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per endpoint${ROUNDS > 1 ? `, ${ROUNDS} interleaved rounds (median)` : ''}`);

  /**
   * Measures a group of loads that are compared with each other, one after the other; with
   * --rounds N the whole group is repeated N times, interleaved, and each load keeps its median.
   */
  async function group(entries: [key: string, label: string, child: Child | undefined, load: Load][]): Promise<void> {
    const samples = new Map<string, Measurement[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const [key, label, child, load] of entries) {
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
      ...(runs('training') ? [['training', 'PUT /training-profile', service, perUser('PUT', '/api/v1/training-profile', exampleBody('/training-profile', 'put'))] as const] : []),
    ] as [string, string, Child | undefined, Load][]);
  }

  if (runs('login')) {
    const cores = os.availableParallelism();
    const verifyTimes: number[] = [];
    const verifyCpu: number[] = [];
    const logins: Measurement[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      // Measured right before the logins, with the servers idle.
      const { seconds, cpuMicros } = await argon2Verify(ARGON2_RUNS);
      verifyTimes.push(seconds);
      verifyCpu.push(cpuMicros);
      log(`  argon2id verify: median ${fmt(seconds * 1000, 1)} ms over ${ARGON2_RUNS} runs -> ceiling ${fmt(cores / seconds, 1)} logins/s on ${cores} cores`);
      logins.push(
        await measure(
          'POST /login' + (ROUNDS > 1 ? ` [${round + 1}/${ROUNDS}]` : ''),
          service,
          {
            requests: seeded.usernames.map((username) => ({
              method: 'POST',
              path: '/api/v1/login',
              headers: json,
              body: JSON.stringify({ username, password: seeded.password, revoke_others: false }),
            })),
          },
          round === 0,
        ),
      );
    }
    const verifySeconds = median(verifyTimes);
    const parallel = await argon2ParallelRate(2, 2 * cores);
    log(`  argon2id verifies with ${2 * cores} at once (for the report): ${fmt(parallel, 1)}/s`);
    ceiling = { verifySeconds, cores, rps: cores / verifySeconds, parallel, cpuMicros: median(verifyCpu) };
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
  const add = (endpoint: string, m: Measurement | undefined, baseline?: string, b?: { rps: number; cpuPerRequest: number }) => {
    if (m) rows.push({ endpoint, m, baseline: b ? baseline : undefined, baselineRps: b?.rps, baselineCpu: b?.cpuPerRequest });
  };
  const bare = results.bareKoa;
  const floor = results.floor;
  add('GET /survey-data', results.survey, 'bare Koa', bare);
  add('GET /check-availability?username=x_free_name', results.check, 'auth-read floor', floor);
  add('GET /me (auth)', results.me, 'auth-read floor', floor);
  add('GET /verify-token (auth)', results.verify, 'auth-read floor', floor);
  add('PUT /training-profile (auth, write)', results.training, 'auth-read floor', floor);
  add('POST /login (argon2id verify + session insert)', results.login, 'argon2 ceiling', ceiling && { rps: ceiling.rps, cpuPerRequest: ceiling.cpuMicros });
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
  const loginRatio = r(results.login, ceiling?.rps);
  const oursScaling = r(results.oursPadded, results.ours?.rps);
  const hrScaling = r(results.hrPadded, results.hr?.rps);
  const plainOps = `${specOperations} ops`;
  const cpuText = (m: Measurement, baselineMicros: number, what = 'the baseline') =>
    `server CPU ${fmt(m.cpuPerRequest, 0)} µs/req vs ${fmt(baselineMicros, 0)} µs for ${what} (CPU ratio ${fmt(baselineMicros / m.cpuPerRequest, 2)})`;
  const targets: Target[] = [
    {
      name: 'GET /survey-data vs bare Koa',
      measured: surveyRatio,
      required: `≥ ${TARGETS.survey}`,
      met: surveyRatio === undefined ? undefined : surveyRatio >= TARGETS.survey,
      detail: results.survey && results.bareKoa ? `${fmt(results.survey.rps, 0)} / ${fmt(results.bareKoa.rps, 0)} req/s; ${cpuText(results.survey, results.bareKoa.cpuPerRequest)}` : 'not measured',
    },
    {
      name: 'GET /me vs auth-read floor',
      measured: meRatio,
      required: `≥ ${TARGETS.me}`,
      met: meRatio === undefined ? undefined : meRatio >= TARGETS.me,
      detail: results.me && results.floor ? `${fmt(results.me.rps, 0)} / ${fmt(results.floor.rps, 0)} req/s; ${cpuText(results.me, results.floor.cpuPerRequest)} (the database server's CPU is not counted)` : 'not measured',
    },
    {
      name: 'POST /login vs argon2 ceiling',
      measured: loginRatio,
      required: `≥ ${TARGETS.login}`,
      met: loginRatio === undefined ? undefined : loginRatio >= TARGETS.login,
      detail:
        results.login && ceiling
          ? `${fmt(results.login.rps, 1)} / ${fmt(ceiling.rps, 1)} logins/s (one verify: median ${fmt(ceiling.verifySeconds * 1000, 1)} ms of ${ARGON2_RUNS}, × ${ceiling.cores} cores); non-2xx ${results.login.non2xx}; ${cpuText(results.login, ceiling.cpuMicros, 'one verify')}. For reference, ${2 * ceiling.cores} verifies at once in the benchmark process achieved ${fmt(ceiling.parallel, 1)}/s just after (logins reach ${fmt(results.login.rps / ceiling.parallel, 2)} of that)`
          : 'not measured',
    },
    {
      name: `Our router, ${PADDED_OPERATIONS} ops / ${specOperations} ops`,
      measured: oursScaling,
      required: `≥ ${TARGETS.scaling} (≈ 1)`,
      met: oursScaling === undefined ? undefined : oursScaling >= TARGETS.scaling,
      detail:
        oursScaling !== undefined && hrScaling !== undefined
          ? `ours ${fmt(results.oursPadded?.rps ?? 0, 0)} / ${fmt(results.ours?.rps ?? 0, 0)} req/s = ${fmt(oursScaling, 2)}; handleRequest ${fmt(results.hrPadded?.rps ?? 0, 0)} / ${fmt(results.hr?.rps ?? 0, 0)} req/s = ${fmt(hrScaling, 2)}. Server CPU per request, ${plainOps} → ${PADDED_OPERATIONS} ops: ours ${fmt(results.ours?.cpuPerRequest ?? 0, 0)} → ${fmt(results.oursPadded?.cpuPerRequest ?? 0, 0)} µs, handleRequest ${fmt(results.hr?.cpuPerRequest ?? 0, 0)} → ${fmt(results.hrPadded?.cpuPerRequest ?? 0, 0)} µs`
          : 'not measured',
    },
  ];

  printTable(rows);
  console.log('\nTargets:');
  for (const t of targets) {
    const status = t.met === undefined ? 'not measured' : t.met ? 'met' : 'NOT met';
    console.log(`  ${t.name.padEnd(40)} ${t.measured === undefined ? '-' : fmt(t.measured, 2)} (${t.required})  ${status}  — ${t.detail}`);
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
- Load: ${CONNECTIONS} connections, ${WARMUP} s warm-up + ${DURATION} s per endpoint${ROUNDS > 1 ? `, ${ROUNDS} interleaved rounds (medians)` : ''}; ${USERS} seeded users; whole run ${fmt(seconds, 0)} s
- Load average (1/5/15 min): ${loadStart} at start, ${loadEnd} at end${Number(os.loadavg()[0]) > os.availableParallelism() ? ' — the machine was busy with other work, numbers are noisy' : ''}

${tableMarkdown(rows)}

Targets:

${targetsMarkdown(targets)}
${odd.length > 0 ? '\nNon-2xx answers: ' + odd.map(([name, m]) => `${name} ${JSON.stringify(m?.statusCodes)}`).join('; ') + '\n' : ''}`;
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
