// npm run bench [-- --db mysql|sqlite] [--rounds 5] [--duration 5] [--connections 32] [--only survey,me,...] [--quick] [--profile]
// Loads the service as deployed beside its baselines and peers (autocannon, rounds interleaved, every other one reversed); writes the results
// (bench/results/<date>-<db>.json) and docs/benchmarks.md; a subset (--only) writes bench/results/<date>-<db>-<cases>.json only. --quick: every case once, briefly, printed only. --profile: the service's CPU profile.
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
import { openDatabase, seedFiller, seedUsers, seedWorkouts } from './seed.js';

const ALL_CASES = 'survey,me,login,spec,log,users,memory';
const text = (fallback: string) => ({ type: 'string', default: fallback }) as const;
const flag = { type: 'boolean', default: false } as const;
const { values: opts } = parseArgs({
  options: { db: text('mysql'), rounds: text('5'), duration: text('5'), connections: text('32'), only: text(ALL_CASES), quick: flag, profile: flag },
});
const { quick } = opts;
const [ROUNDS, SECONDS, CONNECTIONS] = [quick ? 1 : Number(opts.rounds), quick ? 1 : Number(opts.duration), Number(opts.connections)];
const cases = new Set(opts.only.split(','));
const logDir = mkdtempSync(join(os.tmpdir(), 'bench-logs-'));
const log = (message: string) => console.error(`[bench] ${message}`);
const median = <T>(rows: T[], key: keyof T) => rows.map((row) => row[key] as number).sort((a, b) => a - b)[Math.floor((rows.length - 1) / 2)] as number;
type Server = { name: string; url: string; pid: number; stop: () => void };
/** `next`: the i-th request's headers and body (loads rotate over users). */
type Request = { method: 'GET' | 'POST'; path: string; next?: (i: number) => { headers?: Record<string, string>; body?: string } };
type Sample = { rps: number; cpuUs: number; p99: number };
const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
const answers = async (url: string) => Boolean(await fetch(url).catch(() => undefined));
/** CPU time (user + system, every thread) a process has used, µs, from clock ticks of 10 ms; its resident memory (or, RssFile, the share mapped from files), MB. */
const cpuMicros = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
};
const rssMb = (pid: number, of = 'VmRSS') => Math.round(Number.parseInt(readFileSync(`/proc/${pid}/status`, 'utf8').split(`${of}:`)[1] ?? '', 10) / 1024);

async function load(server: Server, req: Request, seconds: number): Promise<Sample> {
  let i = 0;
  const cpu = cpuMicros(server.pid);
  const setupRequest = (r: autocannon.Request) => {
    const extra = req.next?.(i++) ?? {};
    return { ...r, headers: { ...r.headers, 'content-type': 'application/json', ...extra.headers }, body: extra.body };
  };
  const requests = [{ method: req.method, path: req.path, setupRequest }];
  const result = await autocannon({ url: server.url, connections: CONNECTIONS, duration: seconds, requests });
  const used = cpuMicros(server.pid) - cpu;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server.name} ${req.path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.total / result.duration, cpuUs: used / result.requests.total, p99: result.latency.p99 };
}
const warmed = new Set<string>();
/** Each server loaded ROUNDS times, interleaved, after a warm-up: per server the medians and every round. */
async function compare(group: [Server, Request][]) {
  log(`${group.map(([s]) => s.name).join(', ')}: ${group[0]?.[1].path}`);
  const samples = new Map<string, Sample[]>(group.map(([s]) => [s.name, []]));
  for (const [server, req] of group.filter(([s, r]) => !warmed.has(`${s.name} ${r.path}`))) {
    await load(server, req, quick ? 1 : 3);
    warmed.add(`${server.name} ${req.path}`);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const [server, req] of round % 2 ? [...group].reverse() : group) samples.get(server.name)?.push(await load(server, req, SECONDS));
  }
  return Object.fromEntries([...samples].map(([name, s]) => [name, { rps: median(s, 'rps'), cpuUs: median(s, 'cpuUs'), p99: median(s, 'p99'), rounds: s }]));
}

const [startedAt, loadStart] = [new Date(), os.loadavg()[0]];
execFileSync('npm', ['run', 'build', '--silent'], { cwd: PROJECT_ROOT, stdio: 'inherit' });
const smtp = new SMTPServer({ authOptional: true, disabledCommands: ['STARTTLS'], onData: (s, _session, done) => s.resume().on('end', () => done()) });
const smtpPort = await freePort();
smtp.listen(smtpPort, '127.0.0.1');
const db = await openDatabase(opts.db);
const databases = [db];
const env = {
  ...{ NODE_ENV: 'production', LOG_LEVEL: 'info', DATABASE_URL: db.url, HOST: '127.0.0.1', METRICS_PORT: '0', SMTP_URL: `smtp://127.0.0.1:${smtpPort}` },
  ...{ JWT_SECRET: randomBytes(48).toString('base64url'), DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64') },
  ...{ AUTH_RATE_LIMIT: '0', LOGIN_FAILURE_LIMIT: '0', PUBLIC_RATE_LIMIT: '0' },
};
const results: Record<string, unknown> = {};
const servers: Server[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

/** Starts node on `script` (profiled if asked, when it is the built service), its output in a log file, and waits until it accepts connections. */
async function start(name: string, script: string, extra: Record<string, string> = {}): Promise<Server> {
  const port = await freePort();
  const out = openSync(join(logDir, `${name}.log`), 'a');
  const args = script.endsWith('.ts') ? ['--import', 'tsx', script] : [...(opts.profile ? ['--cpu-prof', '--cpu-prof-dir', 'bench/profiles'] : []), script];
  const childEnv = { ...process.env, ...env, ...extra, PORT: String(port) };
  const child = spawn(process.execPath, args, { cwd: PROJECT_ROOT, env: childEnv, stdio: ['ignore', out, out] });
  const server = { name, url: `http://127.0.0.1:${port}`, pid: child.pid as number, stop: () => child.kill('SIGTERM') };
  servers.push(server);
  process.once('exit', server.stop); // interrupted or not, the servers go with the run
  for (let waited = 0; !(await answers(server.url)); waited += 100) {
    if (child.exitCode !== null || waited > 60_000) throw new Error(`${name} did not start; see ${logDir}/${name}.log`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return server;
}

try {
  const service = await start('service', 'dist/src/server.js');
  const users = await seedUsers(service.url, db.exec, quick ? 5 : 20);
  const as = (token: string | undefined) => ({ headers: { authorization: `Bearer ${token}` } });
  const survey: Request = { method: 'GET', path: '/api/v1/survey-data' };
  /** GET /me and POST /login, rotating over the seeded users. */
  const readsOf = ({ tokens, usernames, password }: typeof users): Record<'me' | 'login', Request> => ({
    me: { method: 'GET', path: '/api/v1/me', next: (i) => as(tokens[i % tokens.length]) },
    login: { method: 'POST', path: '/api/v1/login', next: (i) => ({ body: JSON.stringify({ username: usernames[i % usernames.length], password }) }) },
  });
  const { me, login } = readsOf(users);
  /** A server under another name in a comparison (the same process on other data). */
  const named = (server: Server, name: string, req: Request): [Server, Request] => [{ ...server, name }, req];
  const peer = (name: string) => start(name, `bench/peers/${name}.ts`);
  const peers = cases.has('survey') || cases.has('me') ? [await peer('express'), await peer('fastify')] : [];
  if (cases.has('survey')) results.survey = await compare([service, await start('koa', 'bench/servers/koa.ts'), ...peers].map((s) => [s, survey]));
  if (cases.has('me')) results.me = await compare([service, await start('floor', 'bench/servers/floor.ts'), ...peers].map((s) => [s, me]));
  if (cases.has('login')) {
    log('POST /login, each round beside argon2 with every core verifying');
    const argon2 = ['--import', 'tsx', 'bench/servers/argon2.ts'];
    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ceiling = JSON.parse(execFileSync(process.execPath, argon2, { cwd: PROJECT_ROOT, env: { ...process.env, SECONDS: quick ? '1' : '2' } }).toString());
      const sample = await load(service, login, SECONDS);
      rounds.push({ ...sample, ceiling: ceiling.rps, ceilingCpuUs: ceiling.cpuUs, ratio: sample.rps / ceiling.rps });
    }
    results.login = { ratio: median(rounds, 'ratio'), rps: median(rounds, 'rps'), cpuUs: median(rounds, 'cpuUs'), rounds };
  }
  const onSpec = (name: string, extra?: Record<string, string>) => start(name, 'bench/servers/service.ts', extra);
  if (cases.has('spec')) results.spec = await compare([await onSpec('service-21'), await onSpec('service-200', { PADDED: '1' })].map((s) => [s, survey]));
  if (cases.has('log')) {
    const athletes = await seedUsers(service.url, db.exec, 2, 'athlete');
    for (const [i, count] of [30, 10_000].entries()) await seedWorkouts(service.url, db.exec, athletes.usernames[i]!, athletes.tokens[i]!, count);
    const read = (path: string, i: number): Request => ({ method: 'GET', path, next: () => as(athletes.tokens[i]) });
    const pair = (path: string) => compare([named(service, '30 workouts', read(path, 0)), named(service, '10 000 workouts', read(path, 1))]);
    results.log = { page: await pair('/api/v1/workouts'), me: await pair('/api/v1/me') };
  }
  if (cases.has('users')) {
    const [small, large] = quick ? [1_000, 10_000] : [1_000, 1_000_000];
    // A second service on a database of its own, so that the two sizes are loaded interleaved.
    const other = await openDatabase(opts.db);
    databases.push(other);
    const grown = await start('service-large', 'dist/src/server.js', { DATABASE_URL: other.url });
    const grownReads = readsOf(await seedUsers(grown.url, other.exec, users.usernames.length));
    await seedFiller(db.exec, 0, small - users.usernames.length);
    await seedFiller(other.exec, 0, large - users.usernames.length);
    const pair = (k: 'me' | 'login') => compare([named(service, 'small', { me, login }[k]), named(grown, 'large', grownReads[k])]);
    results.users = { small, large, me: await pair('me'), login: await pair('login') };
  }
  if (cases.has('memory')) {
    log('resident memory of a service started for it: idle, then the peak during and the figure after each of three mixed loads');
    const [served, fresh] = [rssMb(service.pid), await start('service-memory', 'dist/src/server.js')]; // served: after every case before
    const [seconds, rss, fileMb] = [quick ? 2 : 60, [rssMb(fresh.pid)], rssMb(fresh.pid, 'RssFile')];
    for (let i = 0; i < 3; i++) {
      const during: number[] = [];
      const sampler = setInterval(() => during.push(rssMb(fresh.pid)), 500);
      await Promise.all([load(fresh, survey, seconds), load(fresh, me, seconds)]);
      clearInterval(sampler);
      rss.push(Math.max(0, ...during), rssMb(fresh.pid));
    }
    results.memory = { rssMb: rss, fileMb, servedMb: served, seconds };
  }
} finally {
  for (const s of servers) s.stop();
  smtp.close();
  for (const d of databases) await d.drop();
}

const machine = { cpu: os.cpus()[0]?.model, cores: os.availableParallelism(), memoryGb: Math.round(os.totalmem() / 2 ** 30), node: process.version };
const options = { rounds: ROUNDS, seconds: SECONDS, connections: CONNECTIONS };
const report = { date: startedAt.toISOString(), db: db.label, quick, options, machine, loadavg: { start: loadStart, end: os.loadavg()[0] }, results };
if (quick) console.log(JSON.stringify(report, null, 2));
else {
  const subset = ALL_CASES.split(',').every((c) => cases.has(c)) ? '' : `-${[...cases].join('-')}`;
  const file = join(PROJECT_ROOT, 'bench', 'results', `${startedAt.toISOString().slice(0, 10)}-${opts.db}${subset}.json`);
  mkdirSync(join(PROJECT_ROOT, 'bench', 'results'), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  if (subset) log(`results in ${file}; docs/benchmarks.md is written by a run of every case`);
  else await writeReport(file);
}
log(`server logs in ${logDir}`);
