/**
 * One server under test, run by bench/run.ts in a child process (forked, with an IPC channel):
 *
 *   service [--padded]          the real service, built like src/server.ts (migrate, createApp)
 *   bare-koa                    Koa + @koa/router answering GET /api/v1/survey-data with the same bytes
 *   auth-floor                  node:http: jose HS256 verify + one primary-key query per request
 *   handle-request [--padded]   Koa + openapi-backend's documented api.handleRequest dispatch
 *
 * `--padded` uses the spec padded to 200 operations. The server listens on 127.0.0.1 on a free
 * port and sends {type: 'ready', port} to the parent; it exits on a 'stop' message (exiting
 * normally) or when the parent goes away. With `--profile`, the parent asks it to record a CPU
 * profile of each measured load ({type: 'profile-start'} / {type: 'profile-stop', file}); 'cpu'
 * asks for its process.cpuUsage() (all threads, so argon2's thread pool counts too).
 * Configuration comes from the environment the parent sets (DATABASE_URL, JWT_SECRET, ...).
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import { jwtVerify } from 'jose';
import Koa from 'koa';
import { createApp } from '../src/app.js';
import { AUDIENCE, ISSUER } from '../src/auth/tokens.js';
import { loadConfig } from '../src/config.js';
import { createDb } from '../src/db/db.js';
import { migrateLatest } from '../src/db/migrate.js';
import { loadApi } from '../src/http/spec.js';
import { createLogger } from '../src/log.js';
import { paddedDocument, surveyBytes } from './spec.js';

const kind = process.argv[2];
const padded = process.argv.includes('--padded');

/** Work to do before exiting (closing pools). */
const cleanups: (() => Promise<unknown>)[] = [];

async function serviceServer(): Promise<Server> {
  const { config } = loadConfig(process.env);
  const logger = createLogger(config.logLevel);
  const db = createDb(config.databaseUrl, { acquireTimeoutMs: config.dbAcquireTimeoutMs });
  cleanups.push(() => db.destroy());
  await migrateLatest(db);
  // Our router: routes built once from the spec, whatever its number of operations.
  const api = padded ? await loadApi(paddedDocument()) : await loadApi();
  const app = await createApp({ db, config, logger, api });
  return app.koa.listen(0, '127.0.0.1');
}

function bareKoaServer(): Server {
  const bytes = surveyBytes();
  const router = new Router();
  router.get('/api/v1/survey-data', (ctx) => {
    ctx.type = 'application/json';
    ctx.body = bytes;
  });
  const koa = new Koa();
  koa.use(router.routes());
  return koa.listen(0, '127.0.0.1');
}

/** The floor for an authenticated read: verify the bearer JWT, then one primary-key lookup. */
async function authFloorServer(): Promise<Server> {
  const key = new TextEncoder().encode(process.env.JWT_SECRET);
  const url = process.env.DATABASE_URL ?? '';
  let findSession: (id: string) => Promise<unknown>;
  if (url.startsWith('mysql://')) {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: url, connectionLimit: 10 });
    cleanups.push(() => pool.end());
    findSession = async (id) => {
      const [rows] = await pool.query('SELECT id FROM sessions WHERE id = ?', [id]);
      return (rows as { id: string }[])[0];
    };
  } else {
    const { default: Database } = await import('better-sqlite3');
    const sqlite = new Database(url.replace(/^sqlite:/, ''), { readonly: true });
    cleanups.push(async () => sqlite.close());
    const select = sqlite.prepare('SELECT id FROM sessions WHERE id = ?');
    findSession = async (id) => select.get(id);
  }
  const unauthorized = Buffer.from(JSON.stringify({ code: 401, text: 'Unauthorized' }));
  return createServer((req, res) => {
    const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
    jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE })
      .then(({ payload }) => findSession(String(payload.sid)))
      .then((row) => {
        if (!row) throw new Error('no session');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(row));
      })
      .catch(() => {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(unauthorized);
      });
  }).listen(0, '127.0.0.1');
}

/**
 * openapi-backend's documented Koa integration: one middleware hands every request to
 * api.handleRequest, which matches it against the spec's operations and validates it. Same
 * spec, apiRoot and validator options as the service (loadApi), and the same one pino line per
 * request to stdout as the service, so that only the dispatch differs.
 */
async function handleRequestServer(): Promise<Server> {
  const bytes = surveyBytes();
  const api = padded ? await loadApi(paddedDocument()) : await loadApi();
  const json = (ctx: Koa.Context, status: number, body: unknown) => {
    ctx.status = status;
    ctx.body = body;
  };
  api.register({
    getSurveyData: (_c, ctx: Koa.Context) => {
      ctx.type = 'application/json';
      ctx.body = bytes;
    },
    notFound: (_c, ctx: Koa.Context) => json(ctx, 404, { code: 404, text: 'Not found' }),
    methodNotAllowed: (_c, ctx: Koa.Context) => json(ctx, 405, { code: 405, text: 'Method not allowed' }),
    validationFail: (_c, ctx: Koa.Context) => json(ctx, 400, { code: 400, text: 'Invalid request' }),
    notImplemented: (_c, ctx: Koa.Context) => json(ctx, 501, { code: 501, text: 'Not implemented' }),
  });
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  const koa = new Koa();
  koa.use(async (ctx, next) => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
      logger.info({ method: ctx.method, path: ctx.path, status: ctx.status, durationMs }, 'request');
    }
  });
  koa.use((ctx) =>
    api.handleRequest(
      {
        method: ctx.request.method,
        path: ctx.request.path,
        body: (ctx.request as { body?: unknown }).body,
        query: ctx.request.query as Record<string, string | string[]>,
        headers: ctx.request.headers as Record<string, string | string[]>,
      },
      ctx,
    ),
  );
  return koa.listen(0, '127.0.0.1');
}

async function start(): Promise<Server> {
  switch (kind) {
    case 'service':
      return serviceServer();
    case 'bare-koa':
      return bareKoaServer();
    case 'auth-floor':
      return authFloorServer();
    case 'handle-request':
      return handleRequestServer();
    default:
      throw new Error(`unknown server kind ${kind}`);
  }
}

type ProfileMessage = { type: 'profile-start' } | { type: 'profile-stop'; file: string };
let session: Session | undefined;

/** CPU profile of a time window (one measured load), through the inspector; bench/run.ts --profile. */
async function profiling(message: ProfileMessage): Promise<void> {
  if (message.type === 'profile-start') {
    if (!session) {
      session = new Session();
      session.connect();
      await session.post('Profiler.enable');
    }
    await session.post('Profiler.start');
    process.send?.({ type: 'profile-started' });
  } else if (message.type === 'profile-stop' && session) {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(message.file, JSON.stringify(profile));
    process.send?.({ type: 'profile-stopped' });
  }
}

async function stop(server: Server): Promise<never> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.allSettled(cleanups.map((c) => c()));
  process.exit(0);
}

if (!process.send) throw new Error('bench/serve.ts is started by bench/run.ts (it needs an IPC channel)');
const server = await start();
if (!server.listening) await new Promise((resolve) => server.once('listening', resolve));
process.on('message', (message: unknown) => {
  if (message === 'stop') void stop(server);
  else if (message === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  else if (typeof message === 'object' && message !== null) void profiling(message as ProfileMessage);
});
process.on('disconnect', () => void stop(server));
process.send({ type: 'ready', port: (server.address() as AddressInfo).port });
