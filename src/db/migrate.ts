import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import type { Db } from './db.js';

/** Serves the migration modules imported statically, so tsc output and vitest run the same list. */
const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const migration = migrations[name];
    if (!migration) throw new Error(`Unknown migration ${name}`);
    return migration;
  },
};

/** Brings the schema up to date; safe to run at every start (Knex takes a migration lock). */
export async function migrateLatest(db: Db): Promise<void> {
  await db.migrate.latest({ migrationSource: source });
}

/** Undoes every migration (tests and `npm run migrate -- down`). */
export async function migrateRollbackAll(db: Db): Promise<void> {
  await db.migrate.rollback({ migrationSource: source }, true);
}

/** Undoes the last `steps` migrations, newest first (tests of a migration's upgrade path). */
export async function migrateDown(db: Db, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) await db.migrate.down({ migrationSource: source });
}
