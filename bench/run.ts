// npm run bench [-- --db mysql|sqlite] [--rounds 5] [--duration 5] [--connections 32] [--quick] [--only survey,me,...]
//
// Loads each server under test with autocannon, side by side in one run: the service as
// deployed (dist/src/server.js, NODE_ENV=production, LOG_LEVEL=info, logs to a file) against
// its baselines and peers, every group of compared servers interleaved round by round (every
// other round in reverse). Writes bench/results/<date>-<db>.json and, from it, the results
// section of docs/benchmarks.md (bench/report.ts). --quick runs every case once, briefly, as a
// smoke check; its results are not written to docs/. --profile writes a CPU profile of the service.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { SMTPServer } from 'smtp-server';
import { PROJECT_ROOT } from '../src/paths.js';
import { writeReport } from './report.js';
import { type Exec, seedFiller, seedUsers, seedWorkouts } from './seed.js';

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string', default: 'mysql' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '32' },
    only: { type: 'string', default: 'survey,me,login,spec,users,log,memory' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const quick = opts.quick;
const ROUNDS = quick ? 1 : Number(opts.rounds);
const SECONDS = quick ? 1 : Number(opts.duration);
const CONNECTIONS = Number(opts.connections);
const cases = new Set(opts.only.split(','));
const FILLER = quick ? 10_000 : 1_000_000;
const WORKOUTS = 10_000;
const logDir = mkdtempSync(join(os.tmpdir(), 'bench-logs-'));
const log = (message: string) => console.error(`[bench] ${message}`);

// ---- databases -------------------------------------------------------------------------------

interface Database {
  url: string;
  label: string;
  exec: Exec;
  drop: () => Promise<void>;
}

async function openDatabase(): Promise<Database> {
  if (opts.db === 'sqlite') {
    const { default: Sqlite } = await import('better-sqlite3');
    const file = join(mkdtempSync(join(os.tmpdir(), 'bench-sqlite-')), 'bench.db');
    let conn: InstanceType<typeof Sqlite> | undefined;
    const exec: Exec = async (sql, params = []) => {
      conn ??= new Sqlite(file);
      return conn.prepare(sql).run(...params);
    };
    const version = (new Sqlite(':memory:').prepare('SELECT sqlite_version() v').get() as { v: string }).v;
    return { url: `sqlite:${file}`, label: `SQLite ${version}`, exec, drop: async () => void conn?.close() };
  }
  const mysql = await import('mysql2/promise');
  const base = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const conn = await mysql.createConnection({ uri: url.toString() });
  const [[row]] = (await admin.query('SELECT VERSION() v')) as unknown as [[{ v: string }]];
  return {
    url: url.toString(),
    label: row.v.includes('MariaDB') ? `MariaDB ${row.v.replace(/-MariaDB.*/, '')}` : `MySQL ${row.v}`,
    exec: (sql, params) => conn.query(sql, params),
    drop: async () => {
      await conn.end();
      await admin.query(`DROP DATABASE \`${name}\``);
      await admin.end();
    },
  };
}

// ---- servers ---------------------------------------------------------------------------------

interface Server {
  name: string;
  url: string;
  pid: number;
  stop: () => void;
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

/** Starts `args` under node with its output in a log file, and waits until it accepts connections. */
async function start(name: string, args: string[], env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const out = openSync(join(logDir, `${name}.log`), 'a');
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', out, out] });
  const url = `http://127.0.0.1:${port}`;
  for (let waited = 0; ; waited += 100) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${join(logDir, `${name}.log`)}`);
    if (
      await fetch(url).then(
        () => true,
        () => false,
      )
    )
      break;
    if (waited > 60_000) throw new Error(`${name} did not listen within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { name, url, pid: child.pid as number, stop: () => child.kill('SIGTERM') };
}

/** CPU time (user + system, every thread) a process has used, in µs; and its resident memory in MB. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}
const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

// ---- loads -----------------------------------------------------------------------------------

interface Request {
  method: 'GET' | 'POST';
  path: string;
  /** Each request's headers and body, so that loads rotate over users. */
  next?: (i: number) => { headers?: Record<string, string>; body?: string };
}

interface Sample {
  rps: number;
  cpuUs: number;
  p99: number;
}

async function load(server: Server, req: Request, seconds: number): Promise<Sample> {
  let i = 0;
  const cpu = cpuMicros(server.pid);
  const result = await autocannon({
    url: server.url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: req.method,
        path: req.path,
        setupRequest: (r) => {
          const extra = req.next?.(i++) ?? {};
          return { ...r, headers: { ...r.headers, 'content-type': 'application/json', ...extra.headers }, body: extra.body };
        },
      },
    ],
  });
  const used = cpuMicros(server.pid) - cpu;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name} ${req.path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.total / result.duration, cpuUs: used / result.requests.total, p99: result.latency.p99 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
const warmed = new Set<string>();

/** Each server loaded ROUNDS times, interleaved; per server the medians, per round every server's sample. */
async function compare(servers: [Server, Request][]): Promise<Record<string, { rps: number; cpuUs: number; p99: number; rounds: Sample[] }>> {
  const samples = new Map<string, Sample[]>(servers.map(([s]) => [s.name, []]));
  for (const [server, req] of servers) {
    const key = `${server.name} ${req.path}`;
    if (!warmed.has(key)) await load(server, req, quick ? 1 : 3);
    warmed.add(key);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [server, req] of round % 2 ? [...servers].reverse() : servers) samples.get(server.name)?.push(await load(server, req, SECONDS));
  }
  return Object.fromEntries(
    [...samples].map(([name, s]) => [
      name,
      { rps: median(s.map((x) => x.rps)), cpuUs: median(s.map((x) => x.cpuUs)), p99: median(s.map((x) => x.p99)), rounds: s },
    ]),
  );
}

// ---- the run ---------------------------------------------------------------------------------

const startedAt = new Date();
const loadStart = os.loadavg()[0] as number;
execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], onData: (s, _session, done) => s.resume().on('end', () => done()) });
const smtpPort = await freePort();
smtp.listen(smtpPort, '127.0.0.1');
const db = await openDatabase();
const jwt = randomBytes(48).toString('base64url');
const env = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  DATABASE_URL: db.url,
  JWT_SECRET: jwt,
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
  HOST: '127.0.0.1',
  METRICS_PORT: '0',
  AUTH_RATE_LIMIT: '0',
  LOGIN_FAILURE_LIMIT: '0',
  PUBLIC_RATE_LIMIT: '0',
};
const tsx = ['--import', 'tsx'];
const results: Record<string, unknown> = {};
const servers: Server[] = [];
const started = async (name: string, args: string[], extra: Record<string, string> = {}) => {
  const server = await start(name, args, { ...env, ...extra });
  servers.push(server);
  return server;
};
try {
  // --profile: a CPU profile of the service over the whole run, in bench/profiles/ (open it in DevTools or speedscope).
  const profiling = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', 'bench/profiles'] : [];
  const service = await started('service', [...profiling, 'dist/src/server.js']);
  const users = await seedUsers(service.url, db.exec, quick ? 5 : 20);
  const bearer = (i: number) => ({ headers: { authorization: `Bearer ${users.tokens[i % users.tokens.length]}` } });
  const survey: Request = { method: 'GET', path: '/api/v1/survey-data' };
  const me: Request = { method: 'GET', path: '/api/v1/me', next: bearer };
  const login: Request = {
    method: 'POST',
    path: '/api/v1/login',
    next: (i) => ({ body: JSON.stringify({ username: users.usernames[i % users.usernames.length], password: users.password }) }),
  };
  const peers =
    cases.has('survey') || cases.has('me')
      ? [await started('express', [...tsx, 'bench/peers/express.ts']), await started('fastify', [...tsx, 'bench/peers/fastify.ts'])]
      : [];
  if (cases.has('survey')) {
    const koa = await started('koa', [...tsx, 'bench/servers/koa.ts']);
    log('GET /survey-data: service, bare Koa, express, fastify');
    results.survey = await compare([service, koa, ...peers].map((s) => [s, survey]));
  }
  if (cases.has('me')) {
    const floor = await started('floor', [...tsx, 'bench/servers/floor.ts']);
    log('GET /me: service, floor, express, fastify');
    results.me = await compare([service, floor, ...peers].map((s) => [s, me]));
  }
  if (cases.has('login')) {
    log('POST /login against argon2 with every core verifying, round by round');
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ceiling = JSON.parse(
        execFileSync(process.execPath, [...tsx, 'bench/servers/argon2.ts'], {
          cwd: PROJECT_ROOT,
          env: { ...process.env, SECONDS: quick ? '1' : '2' },
        }).toString(),
      );
      const sample = await load(service, login, SECONDS);
      rounds.push({ ...sample, ceiling: ceiling.rps, ceilingCpuUs: ceiling.cpuUs, ratio: sample.rps / ceiling.rps });
    }
    results.login = { ratio: median(rounds.map((r) => r.ratio)), rps: median(rounds.map((r) => r.rps)), cpuUs: median(rounds.map((r) => r.cpuUs)), rounds };
  }
  if (cases.has('spec')) {
    log('GET /survey-data: the service on openapi.yaml and on the spec padded to 200 operations');
    const small = await started('service-21', [...tsx, 'bench/servers/service.ts']);
    const padded = await started('service-200', [...tsx, 'bench/servers/service.ts'], { PADDED: '1' });
    results.spec = await compare([small, padded].map((s) => [s, survey]));
  }
  if (cases.has('log')) {
    log(`GET /workouts and GET /me: a user with ${WORKOUTS} workouts and one with none`);
    const heavy = await seedUsers(service.url, db.exec, 1, 'athlete');
    await seedWorkouts(db.exec, heavy.usernames[0] as string, WORKOUTS - 1, Date.now() - 3_600_000);
    const none = { headers: { authorization: `Bearer ${users.tokens[0]}` } };
    const full = { headers: { authorization: `Bearer ${heavy.tokens[0]}` } };
    // The last one through the API, which keeps the log's summary as every write does.
    await fetch(`${service.url}/api/v1/workouts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...full.headers },
      body: JSON.stringify({ type: 'running', started_at: new Date().toISOString(), duration_min: 30 }),
    });
    const as = (name: string) => ({ ...service, name });
    results.log = {
      page: await compare([
        [as('none'), { method: 'GET', path: '/api/v1/workouts', next: () => none }],
        [as('full'), { method: 'GET', path: '/api/v1/workouts', next: () => full }],
      ]),
      me: await compare([
        [as('none'), { method: 'GET', path: '/api/v1/me', next: () => none }],
        [as('full'), { method: 'GET', path: '/api/v1/me', next: () => full }],
      ]),
    };
  }
  if (cases.has('users')) {
    log(`GET /me and POST /login with ${users.usernames.length} users, then with ${FILLER} more`);
    const before = { me: await compare([[service, me]]), login: await compare([[service, login]]) };
    await seedFiller(db.exec, FILLER);
    results.users = { filler: FILLER, before, after: { me: await compare([[service, me]]), login: await compare([[service, login]]) } };
  }
  if (cases.has('memory')) {
    log('resident memory of the service across three mixed loads');
    const rss = [rssMb(service.pid)];
    for (let i = 0; i < 3; i++) {
      await Promise.all([load(service, survey, quick ? 2 : 30), load(service, me, quick ? 2 : 30)]);
      rss.push(rssMb(service.pid));
    }
    results.memory = { rssMb: rss, seconds: quick ? 2 : 30 };
  }
} finally {
  for (const s of servers) s.stop();
  smtp.close();
  await db.drop();
}

const report = {
  date: startedAt.toISOString(),
  db: db.label,
  quick,
  options: { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS },
  machine: { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version },
  loadavg: { start: loadStart, end: os.loadavg()[0] },
  results,
};
if (quick) {
  console.log(JSON.stringify(report, null, 2));
  log(`server logs in ${logDir}`);
} else {
  const file = join(PROJECT_ROOT, 'bench', 'results', `${startedAt.toISOString().slice(0, 10)}-${opts.db}.json`);
  mkdirSync(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  await writeReport(file);
  log(`results in ${file}, docs/benchmarks.md rewritten; server logs in ${logDir}`);
}
