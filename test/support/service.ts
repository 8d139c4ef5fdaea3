import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { Db } from '../../src/db/db.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { type Api, listenerOf, loadApi, servedAtRoot } from '../../src/http/spec.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { OutboxWorker, WorkerOptions } from '../../src/mail/worker.js';
import { createTestDatabase, type DatabaseKind, type TestDatabase } from './databases.js';
import { type Mailbox, startMailbox } from './mailbox.js';

let apiPromise: Promise<Api> | undefined;
/** The spec, loaded once per test file and shared by every app it builds. */
export function sharedApi(): Promise<Api> {
  apiPromise ??= loadApi();
  return apiPromise;
}

/** A clock the test moves by hand: expiry is tested without sleeping. */
export function manualClock(start = Date.UTC(2026, 0, 1, 12, 0, 0)) {
  let now = start;
  const clock = () => now;
  return Object.assign(clock, {
    advance: (ms: number) => {
      now += ms;
    },
  });
}
export type ManualClock = ReturnType<typeof manualClock>;

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 0,
    host: '127.0.0.1',
    metricsPort: 0,
    metricsHost: '127.0.0.1',
    databaseUrl: 'sqlite::memory:',
    jwtSecret: 'test-secret-that-is-long-enough-for-hs256-0123456789',
    dataEncryptionKey: Buffer.alloc(32, 7),
    accessTokenTtl: 1800,
    refreshTokenTtl: 30 * 86400,
    sessionMaxLifetime: 90 * 86400,
    refreshReuseGraceSeconds: 10,
    refreshRateLimit: 0,
    emailTokenTtl: 86400,
    resetTokenTtl: 1800,
    mailRateLimit: 0,
    appUrl: 'https://app.example.com',
    smtpUrl: undefined,
    mailFrom: 'Fitness App <no-reply@example.com>',
    maxSessionsPerUser: 10,
    authRateLimit: 0,
    loginFailureLimit: 0,
    passwordRateLimit: 0,
    publicRateLimit: 0,
    exportRateLimit: 0,
    rateLimitStore: 'memory',
    redisUrl: 'redis://127.0.0.1:6379/0',
    // Test files share the machine's Redis: each service counts under keys of its own.
    redisKeyPrefix: `test-${randomBytes(6).toString('hex')}:`,
    trustProxy: 0,
    logLevel: 'silent',
    surveyDataFile: 'data/survey_data.json',
    // Tests rewrite the survey file and expect the next request to see it.
    surveyRecheckMs: 0,
    dbAcquireTimeoutMs: 3000,
    dbGalera: 'auto',
    securityEventRetentionDays: 90,
    corsOrigins: [],
    shutdownDrainMs: 0,
    // The production defaults: tests see the bounds clients will meet.
    httpHeadersTimeoutMs: 10_000,
    httpRequestTimeoutMs: 30_000,
    httpKeepAliveTimeoutMs: 5000,
    httpMaxConnections: 1024,
    ...overrides,
  };
}

export interface CallOptions {
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string;
  token?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  // Test code reads arbitrary fields of answers already checked against the spec.
  body: any;
  headers: Headers;
}

/**
 * Checks an answer against openapi.yaml: its status must be documented for the operation and
 * its body must match that status's schema; an undocumented status, a schema mismatch or a
 * bare 500 fails the test.
 */
export function checkAgainstSpec(api: Api, method: string, path: string, result: CallResult): void {
  // CORS preflights are answered by @koa/cors and are not operations of the spec.
  if (method === 'OPTIONS') return;
  const pathOnly = path.split('?')[0] as string;
  // The service routes strictly: a trailing slash names no operation (openapi-backend's matcher would ignore it).
  const operation =
    pathOnly.length > 1 && pathOnly.endsWith('/')
      ? undefined
      : servedAtRoot(api, pathOnly)
        ? api.getOperations().find((o) => o.path === pathOnly && o.method === method.toLowerCase())
        : api.router.matchOperation({ method, path: `/api/v1${pathOnly}`, headers: {} });
  if (result.body?.text === 'Internal server error') throw new Error(`${method} ${path}: unexpected 500`);
  if (!operation) {
    if (![404, 405].includes(result.status)) throw new Error(`${method} ${path}: no operation, yet status ${result.status}`);
    if (typeof result.body?.code !== 'number' || typeof result.body?.text !== 'string') {
      throw new Error(`${method} ${path}: ${result.status} without the error envelope`);
    }
    return;
  }
  if (!operation.responses?.[String(result.status)]) {
    throw new Error(`${method} ${path}: status ${result.status} is not documented for ${operation.operationId}: ${JSON.stringify(result.body)}`);
  }
  if (result.status === 304 || method === 'HEAD') return;
  const validation = api.validateResponse(result.body, operation, result.status);
  if (validation.errors) {
    throw new Error(`${method} ${path} ${result.status} does not match the spec: ${JSON.stringify(validation.errors)}\n${JSON.stringify(result.body)}`);
  }
}

export interface Service {
  url: string;
  /** The metrics listener (`/metrics`). */
  metricsUrl: string;
  /** The listening HTTP server (for tests that watch its connections). */
  server: Server;
  api: Api;
  db: Db;
  database: TestDatabase;
  config: Config;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  /** What the server's periodic purge runs: deletes expired sessions. */
  purgeExpiredSessions(): Promise<number>;
  /** All of the server's periodic purge: sessions, mailed tokens and finished mails. */
  purgeExpired(): Promise<void>;
  /** What SIGTERM starts: readiness answers 503 from now on. */
  beginShutdown(): void;
  /** The app's mail outbox worker (running when the service was started with a mailbox). */
  mail: OutboxWorker;
  /** Another instance of the service on the same database (MySQL only). */
  startPeer(overrides?: Partial<Config>): Promise<Service>;
  close(): Promise<void>;
}

/** Mail for a test service: sent over SMTP to `mailbox` by a worker that polls often and retries soon. */
export interface ServiceOptions {
  mailbox?: Mailbox;
  /** Where the app logs; silent (or TEST_LOG_LEVEL) otherwise. */
  logger?: Logger;
  worker?: Partial<WorkerOptions>;
}

const TEST_WORKER: Partial<WorkerOptions> = { pollMs: 25, retryBaseMs: 100, maxDelayMs: 1000 };

/** The app on `db` (already migrated), listening on a free port; `close` leaves the database alone. */
export async function listen(
  db: Db,
  database: TestDatabase,
  config: Config,
  clock: (() => number) | undefined,
  options: ServiceOptions,
): Promise<Omit<Service, 'startPeer'>> {
  const api = await sharedApi();
  const app = await createApp({
    db,
    config,
    clock,
    api,
    logger: options.logger ?? createLogger(process.env.TEST_LOG_LEVEL ?? 'silent'),
    mailWorker: { ...TEST_WORKER, ...options.worker },
  });
  if (options.mailbox) app.mail.start();
  const server = createHttpServer(app.koa.callback(), config);
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metricsServer = createHttpServer(app.metricsKoa.callback(), config);
  metricsServer.listen(0, '127.0.0.1');
  await new Promise((resolve) => metricsServer.once('listening', resolve));
  const metricsUrl = `http://127.0.0.1:${(metricsServer.address() as AddressInfo).port}`;
  async function call(method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined = options.rawBody;
    if (body === undefined && options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const pathOnly = path.split('?')[0] as string;
    const origin = listenerOf(api, pathOnly) === 'metrics' ? metricsUrl : url;
    const prefix = servedAtRoot(api, pathOnly) ? '' : '/api/v1';
    const res = await fetch(`${origin}${prefix}${path}`, { method, headers, body });
    const text = await res.text();
    const json = res.headers.get('content-type')?.startsWith('application/json');
    const result: CallResult = { status: res.status, body: text && json ? JSON.parse(text) : text || undefined, headers: res.headers };
    checkAgainstSpec(api, method, path, result);
    return result;
  }
  const close = async () => {
    for (const s of [server, metricsServer]) s.closeAllConnections();
    await Promise.all([server, metricsServer].map((s) => new Promise((resolve) => s.close(resolve))));
    await app.close();
  };
  return {
    url,
    metricsUrl,
    api,
    db,
    database,
    config,
    call,
    close,
    server,
    purgeExpiredSessions: app.purgeExpiredSessions,
    purgeExpired: app.purgeExpired,
    mail: app.mail,
    beginShutdown: app.beginShutdown,
  };
}

/**
 * Starts the real app on a fresh database of the given kind, listening on a free port. With a
 * mailbox, the app sends its mails there (SMTP_URL) and its outbox worker runs.
 */
export async function startService(kind: DatabaseKind, overrides: Partial<Config> = {}, clock?: () => number, options: ServiceOptions = {}): Promise<Service> {
  const database = await createTestDatabase(kind);
  const config = testConfig({ ...(options.mailbox ? { smtpUrl: options.mailbox.url } : {}), ...overrides });
  const primary = await listen(database.db, database, config, clock, options);
  const peers: { close: () => Promise<void> }[] = [];
  return {
    ...primary,
    async startPeer(peerOverrides = {}) {
      const peer = await listen(database.open(), database, { ...config, ...peerOverrides }, clock, options);
      peers.push(peer);
      return { ...peer, startPeer: () => Promise.reject(new Error('peers of peers are not supported')) };
    },
    async close() {
      await Promise.all(peers.map((p) => p.close()));
      await primary.close();
      await database.drop();
    },
  };
}

export type MailService = Service & { mailbox: Mailbox };

/** A service that sends its mails over SMTP to a mailbox of its own; closing it stops both. */
export async function startServiceWithMail(kind: DatabaseKind, overrides: Partial<Config> = {}, clock?: () => number): Promise<MailService> {
  const mailbox = await startMailbox();
  const service = await startService(kind, overrides, clock, { mailbox });
  return {
    ...service,
    mailbox,
    async close() {
      await service.close();
      await mailbox.stop();
    },
  };
}
