// The service as src/server.ts builds it, on openapi.yaml or, with PADDED=1, on it padded to 200 operations (the cost of dispatch in the spec's size).
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createDb } from '../../src/db/db.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { loadApi } from '../../src/http/spec.js';
import { createServiceLogger } from '../../src/log.js';
import { paddedDocument } from '../spec.js';

const { config } = loadConfig(process.env);
const db = createDb(config.databaseUrl, { acquireTimeoutMs: config.dbAcquireTimeoutMs });
await migrateLatest(db);
const api = await loadApi(process.env.PADDED ? paddedDocument() : undefined);
const app = await createApp({ db, config, logger: createServiceLogger(config.logLevel), api });
createHttpServer(app.koa.callback(), config).listen(config.port, '127.0.0.1');
