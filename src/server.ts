import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/db.js';
import { migrateLatest } from './db/migrate.js';
import { createHttpServer } from './http/http-server.js';
import { createServiceLogger } from './log.js';

const PURGE_INTERVAL_MS = 10 * 60 * 1000;

function readConfig() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`Configuration error: ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}

const { config, warnings } = readConfig();
const logger = createServiceLogger(config.logLevel);
for (const warning of warnings) logger.warn(warning);

const db = createDb(config.databaseUrl, {
  acquireTimeoutMs: config.dbAcquireTimeoutMs,
  galera: config.dbGalera,
  logger: { warn: (msg) => logger.warn(msg), error: (msg) => logger.error(msg) },
});
await migrateLatest(db);
const app = await createApp({ db, config, logger });

const server = createHttpServer(app.koa.callback(), config);
server.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  const database = config.databaseUrl.startsWith('mysql:') ? 'MySQL' : config.databaseUrl;
  logger.info({ port, database }, `listening on http://localhost:${port}/api/v1`);
  console.log(`Fitness Account API listening on http://localhost:${port}/api/v1 (database: ${database})`);
});
// Prometheus scrapes its own listener, never the API's (loopback by default).
const metricsServer = createHttpServer(app.metricsKoa.callback(), config);
metricsServer.listen(config.metricsPort, config.metricsHost, () => {
  const { port } = metricsServer.address() as AddressInfo;
  logger.info({ port, host: config.metricsHost }, `metrics on http://${config.metricsHost}:${port}/metrics`);
});
// A port already taken (or not ours to bind) stops the service with one clear line.
for (const [name, listener, port] of [
  ['PORT', server, config.port],
  ['METRICS_PORT', metricsServer, config.metricsPort],
] as const) {
  listener.on('error', (err: NodeJS.ErrnoException) => {
    logger.fatal({ code: err.code, port }, `cannot listen on ${name} ${port}: ${err.message}`);
    process.exit(1);
  });
}
if (!config.smtpUrl) logger.warn('SMTP_URL is not set: mails are printed to stdout instead of being sent');
app.mail.start();

const purge = setInterval(() => {
  app.purgeExpired().catch((err: unknown) => logger.warn({ err }, 'purge of expired rows failed'));
}, PURGE_INTERVAL_MS);
purge.unref();

const SHUTDOWN_DEADLINE_MS = 10_000;

/**
 * Graceful stop: readiness turns 503 and answers say `Connection: close`; after the drain
 * period the listener closes, in-flight requests finish, idle keep-alive sockets are closed as
 * they go idle, the mail worker finishes the mail it is sending (the rest stay queued), then
 * the database pool is destroyed. Exit 0, or 1 past the deadline.
 */
function shutdown(signal: string): void {
  logger.info({ signal, drainMs: config.shutdownDrainMs }, 'shutting down');
  app.beginShutdown();
  clearInterval(purge);
  setTimeout(() => {
    logger.error('shutdown deadline passed; exiting');
    process.exit(1);
  }, SHUTDOWN_DEADLINE_MS).unref();
  setTimeout(() => {
    metricsServer.close();
    metricsServer.closeAllConnections();
    const idleSweep = setInterval(() => server.closeIdleConnections(), 100);
    server.close(() => {
      clearInterval(idleSweep);
      app
        .close()
        .then(() => db.destroy())
        .then(() => logger.info('stopped'))
        .finally(() => process.exit(0));
    });
  }, config.shutdownDrainMs);
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
