/**
 * What the pieces of a request cost, one at a time, in one process (no network, no load
 * generator): CPU µs per call (process.cpuUsage, so waiting for a busy CPU does not count) and
 * wall µs per call. Evidence for bench/run.ts's misses; not part of `npm run bench`.
 *
 *   node --import tsx bench/components.ts [--n 20000]
 *
 * Uses an in-memory SQLite database; touches nothing else.
 */
import { randomUUID, webcrypto } from 'node:crypto';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import Router from '@koa/router';
import { jwtVerify } from 'jose';
import { pino } from 'pino';
import { AUDIENCE, createTokenService, ISSUER } from '../src/auth/tokens.js';
import { createDb } from '../src/db/db.js';
import { migrateLatest } from '../src/db/migrate.js';
import { loadApi } from '../src/http/spec.js';
import { createLogger } from '../src/log.js';
import { createMetrics } from '../src/ops/metrics.js';
import { ARGON2_OPTIONS } from '../src/passwords.js';
import { argon2Rate } from './argon2.js';
import { PADDED_OPERATIONS, paddedDocument, SURVEY_FILE } from './spec.js';

const { values } = parseArgs({ options: { n: { type: 'string', default: '20000' } } });
const N = Number(values.n);

interface Cost {
  cpu: number;
  wall: number;
}

async function cost(name: string, fn: () => unknown, n = N): Promise<Cost> {
  for (let i = 0; i < Math.max(100, n / 10); i++) await fn();
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  const used = process.cpuUsage(cpu0);
  const c = { cpu: (used.user + used.system) / n, wall };
  console.log(`  ${name.padEnd(78)} ${c.cpu.toFixed(1).padStart(8)} µs CPU ${c.wall.toFixed(1).padStart(8)} µs wall`);
  return c;
}

console.log(
  `Per call, ${N} calls each (after a warm-up); ${os.cpus()[0]?.model.trim()}, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);

// ------------------------------------------------------------------ GET /survey-data pieces
console.log('\nPer-request work of GET /survey-data besides Koa itself:');
await cost('fs/promises stat(survey file)  (survey.service load(), every request)', () => stat(SURVEY_FILE));
const devNull = () => pino.destination({ dest: '/dev/null', sync: false });
const line = { requestId: randomUUID(), method: 'GET', route: '/survey-data', operation: 'getSurveyData', status: 200, durationMs: 0.42, userId: undefined };
const serviceLogger = createLogger('info', devNull());
await cost('pino request line, service logger (redact paths), async write to /dev/null', () => serviceLogger.info(line, 'request'));
const plainLogger = pino({ level: 'info' }, devNull());
await cost('pino request line, no redact, async write to /dev/null', () => plainLogger.info(line, 'request'));
const buffered = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false, minLength: 4096 }));
await cost('pino request line, no redact, buffered (minLength 4096) to /dev/null', () => buffered.info(line, 'request'));
await cost('crypto.randomUUID()  (request id)', () => randomUUID());

const db = createDb('sqlite::memory:');
await migrateLatest(db);
const metrics = createMetrics(db, async () => 0);
await cost('metrics.observe(operation, status, seconds)  (prom-client counter + histogram)', () => metrics.observe('getSurveyData', 200, 0.0004));

const api = await loadApi();
const headers = { host: '127.0.0.1:3000', connection: 'keep-alive', 'user-agent': 'bench' };
const survey = api.getOperation('getSurveyData');
const me = api.getOperation('getMe');
if (!survey || !me) throw new Error('operations not found');
await cost('openapi-backend validator.validateRequest(getSurveyData)  (routes.ts validate)', () =>
  api.validator.validateRequest({ method: 'GET', path: '/api/v1/survey-data', headers, query: '' }, survey),
);

// Dispatch: @koa/router scans every route's RegExp for each request (Router.match).
console.log('\nDispatch of GET /api/v1/survey-data, by number of operations in the spec:');
for (const [label, spec] of [
  [`${api.getOperations().length} ops`, api],
  [`${PADDED_OPERATIONS} ops`, await loadApi(paddedDocument())],
] as const) {
  const router = new Router();
  for (const op of spec.getOperations()) router.register(`/api/v1${op.path.replace(/\{([^}]+)\}/g, ':$1')}`, [op.method.toUpperCase()], () => undefined);
  await cost(`@koa/router Router.match, ${label}  (our router, every request)`, () => router.match('/api/v1/survey-data', 'GET'));
  await cost(`openapi-backend router.matchOperation, ${label}  (handleRequest, every request)`, () =>
    spec.router.matchOperation({ method: 'GET', path: '/api/v1/survey-data', headers: {} }),
  );
}

// ------------------------------------------------------------------ authenticated reads
console.log('\nAuthentication and database pieces of GET /me:');
const secret = 'bench-secret-that-is-long-enough-for-hs256-0123456789';
const tokens = createTokenService(secret, 1800, Date.now);
const { token } = await tokens.sign(1, 'sess_bench');
await cost('tokens.verify (jose jwtVerify, Uint8Array secret: imports the key every call)', () => tokens.verify(token));
const cryptoKey = await webcrypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
await cost('jose jwtVerify with a CryptoKey imported once', () => jwtVerify(token, cryptoKey, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE }));

const now = Date.now();
await db('users')
  .insert({
    id: 1,
    username: 'bench',
    username_key: 'bench',
    email: 'bench@example.com',
    email_key: 'bench@example.com',
    password_hash: 'x',
    full_name: 'Bench',
    created_at: now,
    updated_at: now,
  })
  .catch(async (err: unknown) => {
    // The users table's columns differ: show them instead of guessing.
    const columns = await db('users').columnInfo();
    throw new Error(`seeding users failed (${String(err)}); columns: ${Object.keys(columns).join(', ')}`);
  });
await db('sessions').insert({ id: 'sess_bench', user_id: 1, token_prefix: 'x', created_at: now, expires_at: now + 1_800_000 });
await cost('knex: sessions ⋈ users by id, first()  (sessions.findActive, SQLite)', () =>
  db('sessions')
    .whereNull('revoked_at')
    .andWhere('expires_at', '>', Date.now())
    .andWhere('sessions.id', 'sess_bench')
    .join('users', 'users.id', 'sessions.user_id')
    .first('sessions.*'),
);
await cost('knex: users by primary key, first()  (SQLite)', () => db('users').where({ id: 1 }).first());
const raw = (await db.client.acquireConnection()) as { prepare(sql: string): { get(...a: unknown[]): unknown } };
const select = raw.prepare('SELECT id FROM sessions WHERE id = ?');
await cost("better-sqlite3 prepared statement, PK lookup  (the floor's query)", () => select.get('sess_bench'));
await db.client.releaseConnection(raw);

// ------------------------------------------------------------------ logins
const { memoryCost, timeCost, parallelism } = ARGON2_OPTIONS;
console.log(`\nargon2id verify (m=${memoryCost} KiB, t=${timeCost}, p=${parallelism}) throughput, verifies in flight at once:`);
for (const concurrency of [1, os.availableParallelism(), 4, 8]) {
  const { rps, cpuMicros } = await argon2Rate(3, concurrency);
  console.log(
    `  ${String(concurrency).padStart(2)} at once: ${rps.toFixed(1).padStart(6)} verifies/s, ${(cpuMicros / 1000).toFixed(1)} ms CPU per verify (libuv pool: ${process.env.UV_THREADPOOL_SIZE ?? 4} threads, ${os.availableParallelism()} cores)`,
  );
}

await db.destroy();
