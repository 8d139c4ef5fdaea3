import { loadConfig } from '../config.js';
import { createDb } from './db.js';
import { migrateLatest, migrateRollbackAll } from './migrate.js';

// `npm run migrate` brings the configured database up to date; `npm run migrate -- down` empties it.
const { config } = loadConfig(process.env);
const db = createDb(config.databaseUrl);
try {
  if (process.argv[2] === 'down') await migrateRollbackAll(db);
  else await migrateLatest(db);
  console.log(`migrations applied to ${config.databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`);
} finally {
  await db.destroy();
}
