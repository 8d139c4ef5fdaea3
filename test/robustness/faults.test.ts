import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Connection, createConnection } from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { createDb, type Db } from '../../src/db/db.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createLogger } from '../../src/log.js';
import { createUsersRepository } from '../../src/users/users.repository.js';
import { createUsersService } from '../../src/users/users.service.js';
import { seedQuestionnaire } from '../profile-helpers.js';
import { adminQuery, createTestDatabase, databases, type TestDatabase } from '../support/databases.js';
import { linkToken, mailsTo, startMailbox } from '../support/mailbox.js';
import { freePort, waitFor200 } from '../support/net.js';
import { sharedApi, testConfig } from '../support/service.js';
import { newUser, type TestUser } from '../support/users.js';
import { verificationFor } from '../support/verification.js';

// Faults under load: the database going away, locks and a full pool, the process killed, and
// clients trying to get around the rate limit. Figures of the last run are printed for
// docs/robustness.md.
const figures: Record<string, unknown> = {};
afterAll(() => {
  console.log(`[faults figures] ${JSON.stringify(figures)}`);
});

const mysqlOnly = databases.filter((k) => k === 'mysql');
const PASSWORD = 'SecurePass123!';

interface Answer {
  status: number | 'hang' | 'network';
  body: any;
  sentAt: number;
  answeredAt: number;
  headers?: Headers;
}

/** One HTTP request with its send and answer times; a request open for `limitMs` counts as a hang. */
async function request(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string>; limitMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const prefix = path.startsWith('/healthz') || path.startsWith('/readyz') ? '' : '/api/v1';
  const sentAt = Date.now();
  try {
    const res = await fetch(`${base}${prefix}${path}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.limitMs ?? 20_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body, sentAt, answeredAt: Date.now(), headers: res.headers };
  } catch (err) {
    const name = (err as Error).name;
    return { status: name === 'TimeoutError' ? 'hang' : 'network', body: String(err), sentAt, answeredAt: Date.now() };
  }
}

function byClass(answers: Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers) {
    const key = typeof a.status === 'number' ? `${String(a.status)[0]}xx` : a.status;
    out[key] = (out[key] ?? 0) + 1;
  }
  return out;
}

interface RunningApp {
  base: string;
  close(): Promise<void>;
}

/** The real app in-process on the given pool (so the test chooses the pool's timeouts). */
async function listenOn(db: Db, overrides: Partial<Config> = {}): Promise<RunningApp> {
  const app = await createApp({ db, config: testConfig(overrides), api: await sharedApi(), logger: createLogger('silent') });
  const server: Server = app.koa.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** A user created straight through the service layer: no request spends a rate-limit point. */
async function seedUser(db: Db): Promise<TestUser> {
  const user = newUser();
  const users = createUsersRepository(db);
  await createUsersService({ db, users, verification: verificationFor(db, users), clock: Date.now }).register(
    { ...user, fullName: user.full_name },
    { ip: '127.0.0.1', userAgent: undefined },
  );
  return user;
}

async function login(base: string, user: Pick<TestUser, 'username' | 'password'>): Promise<string> {
  const res = await request(base, 'POST', '/login', { body: { username: user.username, password: user.password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** Rows that would prove a half-finished write. */
async function integrity(db: Db) {
  const usersWithoutSettings = await db('users')
    .leftJoin('user_settings', 'users.id', 'user_settings.user_id')
    .whereNull('user_settings.user_id')
    .select('users.id');
  const sessionsWithoutUser = await db('sessions').leftJoin('users', 'users.id', 'sessions.user_id').whereNull('users.id').select('sessions.id');
  const badSessions = (await db('sessions').select('token_prefix', 'expires_at')).filter(
    (s) => typeof s.token_prefix !== 'string' || s.token_prefix.length !== 10 || !(Number(s.expires_at) > 0),
  );
  const profiles = await db('training_profiles').select('user_id', 'profile');
  const sections = Object.keys(seedQuestionnaire());
  const badProfiles = profiles.filter((p) => {
    try {
      const parsed = JSON.parse(p.profile as string);
      return !sections.every((s) => parsed[s] !== undefined && parsed[s] !== null);
    } catch {
      return true;
    }
  });
  return {
    users: Number((await db('users').count({ n: '*' }))[0]?.n),
    sessions: Number((await db('sessions').count({ n: '*' }))[0]?.n),
    profiles: profiles.length,
    usersWithoutSettings: usersWithoutSettings.length,
    sessionsWithoutUser: sessionsWithoutUser.length,
    badSessions: badSessions.length,
    badProfiles: badProfiles.length,
  };
}

// ---------------------------------------------------------------------------------------------
// Database restart under load: a MariaDB server of the test's own, stopped and started at will.
// ---------------------------------------------------------------------------------------------

class OwnMariaDb {
  readonly dir = mkdtempSync(join(tmpdir(), 'faults-mariadb-'));
  readonly datadir = join(this.dir, 'data');
  port = 0;
  private child: ChildProcess | undefined;

  get url(): string {
    return `mysql://root@127.0.0.1:${this.port}/app`;
  }

  async install(): Promise<void> {
    this.port = await freePort();
    await run('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${this.datadir}`,
      '--auth-root-authentication-method=normal',
      '--user=root',
      '--skip-test-db',
      '--skip-name-resolve',
    ]);
  }

  async start(): Promise<void> {
    const child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${this.datadir}`,
        `--port=${this.port}`,
        `--socket=${join(this.dir, 'mysqld.sock')}`,
        `--pid-file=${join(this.dir, 'mysqld.pid')}`,
        '--user=root',
        '--skip-networking=0',
        '--bind-address=127.0.0.1',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=16M',
        '--skip-log-bin',
      ],
      { stdio: 'ignore' },
    );
    this.child = child;
    const started = Date.now();
    while (Date.now() - started < 60_000) {
      if (child.exitCode !== null) throw new Error(`mariadbd exited with ${child.exitCode}`);
      try {
        const conn = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 1000 });
        await conn.end();
        return;
      } catch {
        await sleep(100);
      }
    }
    throw new Error('own mariadbd did not start');
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = undefined;
  }

  async admin(sql: string): Promise<void> {
    const conn = await createConnection({ host: '127.0.0.1', port: this.port, user: 'root', connectTimeout: 5000 });
    try {
      await conn.query(sql);
    } finally {
      await conn.end();
    }
  }

  async remove(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}: ${err}`))));
  });
}

type Op = 'register' | 'login' | 'me' | 'verify' | 'training';
interface Record_ extends Answer {
  op: Op;
  username?: string;
}

describe.each(mysqlOnly)('database restart under load (own MariaDB; shared server %s untouched)', () => {
  it.each(['SIGTERM', 'SIGKILL'] as const)(
    'when the database is stopped with %s and started again during mixed load, then requests fail fast with 503, no token is valid meanwhile, the service recovers by itself and no row is lost or half-written',
    async (signal) => {
      const mariadb = new OwnMariaDb();
      let db: Db | undefined;
      let app: RunningApp | undefined;
      try {
        await mariadb.install();
        await mariadb.start();
        await mariadb.admin('CREATE DATABASE app CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
        db = createDb(mariadb.url, { acquireTimeoutMs: 1000, poolMax: 4 });
        await migrateLatest(db);
        app = await listenOn(db, { maxSessionsPerUser: 1000 });
        const base = app.base;
        const people = await Promise.all(Array.from({ length: 3 }, () => seedUser(db as Db)));
        const tokens = await Promise.all(people.map((p) => login(base, p)));

        const records: Record_[] = [];
        let running = true;
        let n = 0;
        const worker = async (w: number) => {
          while (running) {
            n += 1;
            const op = (['register', 'login', 'me', 'verify', 'training'] as const)[(n + w) % 5] as Op;
            const i = n % people.length;
            let answer: Answer;
            let username: string | undefined;
            if (op === 'register') {
              const user = newUser();
              username = user.username;
              answer = await request(base, 'POST', n % 2 ? '/register' : '/create_user', {
                body: n % 2 ? user : { username: user.username, email: user.email, password: user.password },
              });
            } else if (op === 'login') answer = await request(base, 'POST', '/login', { body: { username: people[i]!.username, password: PASSWORD } });
            else if (op === 'me') answer = await request(base, 'GET', '/me', { token: tokens[i] });
            else if (op === 'verify') answer = await request(base, 'GET', '/verify-token', { token: tokens[i] });
            else
              answer = await request(base, 'PUT', '/training-profile', {
                token: tokens[i],
                body: { ...seedQuestionnaire(), basic_information: { ...seedQuestionnaire().basic_information, age: 20 + (n % 50) } },
              });
            records.push({ ...answer, op, username });
            if (typeof answer.status !== 'number' || answer.status >= 500) await sleep(20);
          }
        };
        const workers = Array.from({ length: 6 }, (_, w) => worker(w));

        await sleep(1500);
        const stopAsked = Date.now();
        await mariadb.stop(signal);
        const downAt = Date.now();
        await sleep(3000);
        const restartAt = Date.now();
        await mariadb.start();
        const upAt = Date.now();
        // Recovery: the first moment every kind of request succeeds again.
        let recoveredAt = 0;
        while (Date.now() - upAt < 15_000) {
          const probes = await Promise.all([
            request(base, 'GET', '/verify-token', { token: tokens[0] }),
            request(base, 'GET', '/me', { token: tokens[1] }),
            request(base, 'POST', '/login', { body: { username: people[2]!.username, password: PASSWORD } }),
          ]);
          if (probes.every((p) => p.status === 200)) {
            recoveredAt = Date.now();
            break;
          }
          await sleep(100);
        }
        expect(recoveredAt, 'the service did not recover within 15 s of the database coming back').toBeGreaterThan(0);
        await sleep(2000);
        running = false;
        await Promise.all(workers);

        // No hangs: every request answered, and within a few seconds.
        const slowest = Math.max(...records.map((r) => r.answeredAt - r.sentAt));
        expect(records.filter((r) => typeof r.status !== 'number')).toEqual([]);
        expect(slowest).toBeLessThan(5000);
        // While the database was down, every request (they all need it) answered 503.
        const whileDown = records.filter((r) => r.sentAt >= downAt && r.answeredAt <= restartAt);
        expect(whileDown.length).toBeGreaterThan(20);
        expect(whileDown.filter((r) => r.status !== 503).map((r) => `${r.op} ${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
        for (const r of whileDown) expect(r.body).toEqual({ code: 503, text: 'Service unavailable', error: 'service_unavailable' });
        // A token is never reported valid while the database is down.
        // (Sent once the server had exited and before it was started again.)
        const verifiesWhileDown = records.filter((r) => r.op === 'verify' && r.sentAt >= downAt && r.sentAt < restartAt);
        expect(verifiesWhileDown.length).toBeGreaterThan(0);
        expect(verifiesWhileDown.filter((r) => r.status !== 503)).toEqual([]);
        // After recovery, no 5xx at all.
        const afterRecovery = records.filter((r) => r.sentAt > recoveredAt);
        expect(afterRecovery.length).toBeGreaterThan(10);
        expect(afterRecovery.filter((r) => typeof r.status !== 'number' || r.status >= 500).map((r) => `${r.op} ${r.status}`)).toEqual([]);
        // Before the stop, no 5xx either.
        expect(records.filter((r) => r.answeredAt < stopAsked && (typeof r.status !== 'number' || r.status >= 500))).toEqual([]);

        // Rows: every successful registration is there exactly once, with its settings; no
        // request left a half-written user.
        const registered = records.filter((r) => r.op === 'register' && (r.status === 200 || r.status === 201));
        for (const r of registered) {
          const rows = await db('users').where({ username: r.username });
          expect(rows, r.username).toHaveLength(1);
          expect(await db('user_settings').where({ user_id: rows[0].id })).toHaveLength(1);
        }
        const state = await integrity(db);
        expect(state).toMatchObject({ usersWithoutSettings: 0, sessionsWithoutUser: 0, badSessions: 0, badProfiles: 0 });
        const failedRegistrations = records.filter((r) => r.op === 'register' && r.status !== 200 && r.status !== 201);
        figures[`dbRestart_${signal}`] = {
          requests: records.length,
          byClass: byClass(records),
          whileDown: { requests: whileDown.length, byClass: byClass(whileDown) },
          slowestMs: slowest,
          downForMs: restartAt - downAt,
          dbStartMs: upAt - restartAt,
          recoveryMsAfterDbUp: recoveredAt - upAt,
          registrationsOk: registered.length,
          registrationsFailed: failedRegistrations.length,
          rows: state,
        };
      } finally {
        await app?.close();
        await db?.destroy();
        await mariadb.remove();
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Pool exhaustion: a row lock held elsewhere, every pooled connection busy.
// ---------------------------------------------------------------------------------------------

describe('pool exhausted on sqlite (its one connection held)', () => {
  it('when the only connection is held, then requests answer 503 within the acquire timeout, /healthz stays fast and all recovers after release', async () => {
    const database = await createTestDatabase('sqlite', { acquireTimeoutMs: 1000 });
    const app = await listenOn(database.db);
    try {
      const user = await seedUser(database.db);
      let release: () => void = () => undefined;
      const held = database.db.transaction(async () => {
        await new Promise<void>((resolve) => (release = resolve));
      });
      try {
        await sleep(50);
        const blocked = await Promise.all([
          request(app.base, 'POST', '/login', { body: { username: user.username, password: PASSWORD } }),
          request(app.base, 'GET', `/check-availability?username=someone`),
        ]);
        for (const b of blocked) {
          expect(b.status).toBe(503);
          expect(b.answeredAt - b.sentAt).toBeLessThan(2500);
        }
        const health = await request(app.base, 'GET', '/healthz');
        expect(health.status).toBe(200);
        expect(health.answeredAt - health.sentAt).toBeLessThan(500);
      } finally {
        release();
        await held;
      }
      expect((await request(app.base, 'POST', '/login', { body: { username: user.username, password: PASSWORD } })).status).toBe(200);
    } finally {
      await app.close();
      await database.drop();
    }
  });
});

describe.each(mysqlOnly)('pool exhausted and row lock held on %s', () => {
  const ACQUIRE_MS = 1000;
  const POOL = 3;
  let database: TestDatabase;
  let app: RunningApp;
  let locker: Connection;
  afterAll(async () => {
    await locker?.end().catch(() => undefined);
    await app?.close();
    await database?.drop();
  });

  it(`when another connection holds the user's row lock and then every one of the ${POOL} pooled connections waits on it, then requests answer 503 within innodb_lock_wait_timeout (5 s) or the acquire timeout (${ACQUIRE_MS} ms), /healthz stays fast, and everything recovers after release`, async () => {
    database = await createTestDatabase('mysql', { acquireTimeoutMs: ACQUIRE_MS, poolMax: POOL });
    app = await listenOn(database.db);
    const user = await seedUser(database.db);
    const bystander = await seedUser(database.db);
    const token = await login(app.base, user);
    const userId = Number((await database.db('users').where({ username: user.username }).first('id')).id);

    locker = await createConnection({ uri: database.url, connectTimeout: 5000 });
    await locker.query('START TRANSACTION');
    await locker.query('SELECT id FROM users WHERE id = ? FOR UPDATE', [userId]);
    const lockedAt = Date.now();
    let answers: Answer[] = [];
    try {
      // Row lock: each of these waits for the lock inside a transaction, holding a pooled
      // connection, until innodb_lock_wait_timeout (5 s, set by createDb) ends the wait.
      const lockWaiters = Promise.all([
        request(app.base, 'POST', '/login', { body: { username: user.username, password: PASSWORD } }),
        request(app.base, 'POST', '/login', { body: { username: user.username, password: PASSWORD } }),
        request(app.base, 'PUT', '/change-password', { token, body: { current_password: PASSWORD, new_password: 'Another789!' } }),
      ]);
      await sleep(600);
      // Every pooled connection is now busy: unrelated requests wait at most the acquire timeout.
      const poolWaiters = await Promise.all([
        request(app.base, 'GET', '/check-availability?username=someone'),
        request(app.base, 'POST', '/login', { body: { username: bystander.username, password: PASSWORD } }),
        request(app.base, 'GET', '/me', { token }),
      ]);
      const health = await request(app.base, 'GET', '/healthz');
      const waiters = await lockWaiters;
      answers = [...waiters, ...poolWaiters, health];
      for (const a of poolWaiters) {
        expect(a.status, JSON.stringify(a.body)).toBe(503);
        expect(a.answeredAt - a.sentAt).toBeLessThan(ACQUIRE_MS + 1500);
      }
      expect(health.status).toBe(200);
      expect(health.answeredAt - health.sentAt).toBeLessThan(500);
      for (const a of waiters) {
        expect(a.status, JSON.stringify(a.body)).toBe(503);
        expect(a.body).toEqual({ code: 503, text: 'Service unavailable', error: 'service_unavailable' });
        expect(a.answeredAt - lockedAt).toBeGreaterThanOrEqual(4500);
        expect(a.answeredAt - a.sentAt).toBeLessThan(8000);
      }
      figures.poolExhaustion = {
        lockWaitMs: waiters.map((a) => a.answeredAt - a.sentAt),
        acquireWaitMs: poolWaiters.map((a) => a.answeredAt - a.sentAt),
        healthzMs: health.answeredAt - health.sentAt,
      };
    } finally {
      await locker.query('ROLLBACK');
    }
    const releasedAt = Date.now();
    // The login is the bystander's: the user's own login would race the password change below
    // and rightly fail whenever the change commits first.
    const after = await Promise.all([
      request(app.base, 'POST', '/login', { body: { username: bystander.username, password: PASSWORD } }),
      request(app.base, 'GET', '/me', { token }),
      request(app.base, 'GET', '/check-availability?username=someone'),
      request(app.base, 'PUT', '/change-password', { token, body: { current_password: PASSWORD, new_password: 'Another789!' } }),
    ]);
    expect(after.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    (figures.poolExhaustion as Record<string, unknown>).recoveryMs = Math.max(...after.map((a) => a.answeredAt)) - releasedAt;
    (figures.poolExhaustion as Record<string, unknown>).byClass = byClass([...answers, ...after]);
  });
});

// ---------------------------------------------------------------------------------------------
// kill -9 of the real server process during a write burst.
// ---------------------------------------------------------------------------------------------

function spawnServer(databaseUrl: string, port: number, extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      ...extraEnv,
      PORT: String(port),
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'kill-test-secret-0123456789-abcdefghijklmnop',
      AUTH_RATE_LIMIT: '0',
      LOGIN_FAILURE_LIMIT: '0',
      MAX_SESSIONS_PER_USER: '1000',
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

describe.each(mysqlOnly)('kill -9 during a write burst on %s', () => {
  it('when the server process is killed with SIGKILL during registrations, logins and questionnaire writes, then after a restart on the same database no user, profile or session is half-written and the service works', async () => {
    const name = `t_kill_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
    await adminQuery(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const url = new URL(process.env.TEST_MYSQL_URL as string);
    url.pathname = `/${name}`;
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    let server = spawnServer(url.toString(), port);
    const db = createDb(url.toString(), { poolMax: 2 });
    try {
      await waitFor200(`${base}/readyz`);
      const people: TestUser[] = [];
      for (let i = 0; i < 6; i += 1) {
        const user = newUser();
        expect((await request(base, 'POST', '/register', { body: user })).status).toBe(200);
        people.push(user);
      }
      const tokens = await Promise.all(people.map((p) => login(base, p)));

      const exited = new Promise((resolve) => server.once('exit', resolve));
      // Eight clients write in a loop (so writes are in flight at every moment) until the kill.
      const answers: (Answer & { op: string; username?: string })[] = [];
      let killed = false;
      let n = 0;
      const client = async () => {
        while (!killed) {
          n += 1;
          const i = n;
          if (i % 3 === 0) {
            const user = newUser();
            answers.push({ ...(await request(base, 'POST', '/register', { body: user })), op: 'register', username: user.username });
          } else if (i % 3 === 1) {
            const q = seedQuestionnaire();
            const body = { ...q, basic_information: { ...q.basic_information, age: 18 + (i % 60) } };
            answers.push({ ...(await request(base, 'PUT', '/training-profile', { token: tokens[i % 6], body })), op: 'training' });
          } else {
            answers.push({ ...(await request(base, 'POST', '/login', { body: { username: people[i % 6]!.username, password: PASSWORD } })), op: 'login' });
          }
        }
      };
      const clients = Array.from({ length: 8 }, client);
      await sleep(1500);
      server.kill('SIGKILL');
      await exited;
      killed = true;
      await Promise.all(clients);
      const answeredBeforeKill = answers.filter((a) => typeof a.status === 'number').length;
      expect(answeredBeforeKill).toBeGreaterThan(5);
      expect(answers.filter((a) => typeof a.status === 'number' && a.status !== 200)).toEqual([]);

      server = spawnServer(url.toString(), port);
      const restartedAt = Date.now();
      await waitFor200(`${base}/readyz`);
      const readyMs = Date.now() - restartedAt;

      const state = await integrity(db);
      expect(state).toMatchObject({ usersWithoutSettings: 0, sessionsWithoutUser: 0, badSessions: 0, badProfiles: 0 });
      // Every questionnaire stored is one of the complete documents sent.
      for (const row of await db('training_profiles').select('profile')) {
        const stored = JSON.parse(row.profile as string);
        const { basic_information: b, ...rest } = stored;
        const { basic_information: expectedBasic, ...expectedRest } = seedQuestionnaire();
        expect(rest).toMatchObject(expectedRest);
        expect(b).toMatchObject({ ...expectedBasic, age: expect.any(Number) });
      }
      // Every registration answered 200 before the kill is there.
      const registered = answers.filter((a) => a.op === 'register' && a.status === 200);
      for (const a of registered) expect(await db('users').where({ username: a.username })).toHaveLength(1);

      // And the restarted service works on that database: old tokens, logins, writes.
      expect((await request(base, 'GET', '/verify-token', { token: tokens[0] })).status).toBe(200);
      const fresh = await login(base, people[1]!);
      expect((await request(base, 'PUT', '/training-profile', { token: fresh, body: seedQuestionnaire() })).status).toBe(200);
      const again = newUser();
      expect((await request(base, 'POST', '/register', { body: again })).status).toBe(200);
      figures.kill9 = {
        requests: answers.length,
        byClass: byClass(answers),
        answeredBeforeKill,
        registrationsOk: registered.length,
        restartReadyMs: readyMs,
        rows: state,
      };
    } finally {
      server.kill('SIGKILL');
      await db.destroy();
      await adminQuery(`DROP DATABASE IF EXISTS \`${name}\``);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// kill -9 between a mail's commit and its sending.
// ---------------------------------------------------------------------------------------------

describe.each(databases)('kill -9 with mails queued on %s', (kind) => {
  it('when the process is killed while the SMTP server is down, then after a restart every committed mail is sent, once', async () => {
    const mailbox = await startMailbox();
    await mailbox.stop();
    const dir = mkdtempSync(join(tmpdir(), 'mail-kill-'));
    let name: string | undefined;
    let databaseUrl = `sqlite:${join(dir, 'app.db')}`;
    if (kind === 'mysql') {
      name = `t_mail_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
      await adminQuery(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
      const url = new URL(process.env.TEST_MYSQL_URL as string);
      url.pathname = `/${name}`;
      databaseUrl = url.toString();
    }
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = { SMTP_URL: mailbox.url, MAIL_FROM: 'Fitness App <no-reply@example.com>' };
    let server = spawnServer(databaseUrl, port, env);
    try {
      await waitFor200(`${base}/readyz`);
      const people = Array.from({ length: 5 }, () => newUser());
      for (const user of people) expect((await request(base, 'POST', '/register', { body: user })).status).toBe(200);
      // The worker has tried and failed (nothing listens at SMTP_URL) and will retry later.
      await sleep(1500);
      const exited = new Promise((resolve) => server.once('exit', resolve));
      server.kill('SIGKILL');
      await exited;

      await mailbox.start();
      server = spawnServer(databaseUrl, port, env);
      await waitFor200(`${base}/readyz`);
      // A mail the killed process held (claimed, mid-attempt) waits out its lease (60 s) first.
      await mailbox.waitFor(() => people.every((u) => mailsTo(mailbox, u.email).length > 0), 90_000);
      await sleep(500);
      for (const user of people) {
        const mails = mailsTo(mailbox, user.email);
        expect(mails, user.email).toHaveLength(1);
        expect((await request(base, 'POST', '/email/verify', { body: { token: linkToken(mails[0]!, 'verify-email') } })).status).toBe(200);
      }
      figures.mailKill9 = { kind, mails: people.length };
    } finally {
      server.kill('SIGKILL');
      await mailbox.stop();
      if (name) await adminQuery(`DROP DATABASE IF EXISTS \`${name}\``);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);
});

// ---------------------------------------------------------------------------------------------
// Rate-limit bypass attempts.
// ---------------------------------------------------------------------------------------------

const limitStores = databases.map((kind) => ({ kind, store: kind === 'mysql' ? ('database' as const) : ('memory' as const) }));

describe.each(limitStores)('rate limit on $kind with the $store store', ({ kind, store }) => {
  const LIMIT = 5;
  async function limited() {
    const database = await createTestDatabase(kind);
    const app = await listenOn(database.db, { authRateLimit: LIMIT, rateLimitStore: store, trustProxy: 0 });
    const user = await seedUser(database.db);
    const close = async () => {
      await app.close();
      await database.drop();
    };
    return { database, app, user, close };
  }

  it('when a client rotates X-Forwarded-For (and Forwarded, X-Real-IP) without TRUST_PROXY, then it still gets 429 after the limit', async () => {
    const { app, user, close } = await limited();
    try {
      const answers: Answer[] = [];
      for (let i = 0; i < 12; i += 1) {
        answers.push(
          await request(app.base, 'POST', '/login', {
            body: { username: user.username, password: PASSWORD },
            headers: { 'x-forwarded-for': `203.0.113.${i + 1}`, forwarded: `for=198.51.100.${i + 1}`, 'x-real-ip': `192.0.2.${i + 1}` },
          }),
        );
      }
      expect(answers.map((a) => a.status)).toEqual([...Array(LIMIT).fill(200), ...Array(12 - LIMIT).fill(429)]);
      for (const a of answers.slice(LIMIT)) {
        expect(a.body).toMatchObject({ code: 429 });
        expect(Number(a.headers?.get('retry-after'))).toBeGreaterThan(0);
      }
      // Registration shares the same per-IP budget.
      expect((await request(app.base, 'POST', '/register', { body: newUser(), headers: { 'x-forwarded-for': '10.9.9.9' } })).status).toBe(429);
      figures[`rateLimitRotatingXff_${kind}`] = { requests: answers.length + 1, byStatus: answers.map((a) => a.status) };
    } finally {
      await close();
    }
  });

  it(`when 20 logins from one IP arrive at once, then exactly ${LIMIT} get through and 15 get 429`, async () => {
    const { app, user, close } = await limited();
    try {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => request(app.base, 'POST', '/login', { body: { username: user.username, password: PASSWORD } })),
      );
      const through = answers.filter((a) => a.status !== 429);
      expect(through.map((a) => a.status)).toEqual(Array(LIMIT).fill(200));
      expect(answers.filter((a) => a.status === 429)).toHaveLength(20 - LIMIT);
      figures[`rateLimitBurst_${kind}_${store}`] = { requests: 20, byClass: byClass(answers) };
    } finally {
      await close();
    }
  });
});
