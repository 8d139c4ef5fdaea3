import type { AddressInfo } from 'node:net';
import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { createDb } from './db/db.js';
import { migrateLatest } from './db/migrate.js';
import { createLogger } from './log.js';

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
const logger = createLogger(config.logLevel);
for (const warning of warnings) logger.warn(warning);

const db = createDb(config.databaseUrl, { acquireTimeoutMs: config.dbAcquireTimeoutMs });
await migrateLatest(db);
const app = await createApp({ db, config, logger });

const server = app.koa.listen(config.port, config.host, () => {
  const { port } = server.address() as AddressInfo;
  const database = config.databaseUrl.startsWith('mysql:') ? 'MySQL' : config.databaseUrl;
  logger.info({ port, database }, `listening on http://localhost:${port}/api/v1`);
  console.log(`Fitness Account API listening on http://localhost:${port}/api/v1 (database: ${database})`);
});

const purge = setInterval(() => {
  app.purgeExpiredSessions().catch((err: unknown) => logger.warn({ err }, 'session purge failed'));
}, PURGE_INTERVAL_MS);
purge.unref();

function shutdown(signal: string): void {
  logger.info({ signal }, 'shutting down');
  clearInterval(purge);
  server.close(() => {
    db.destroy().finally(() => process.exit(0));
  });
  server.closeIdleConnections();
  setTimeout(() => process.exit(1), 10_000).unref();
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));
