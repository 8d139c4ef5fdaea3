import { randomBytes } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { createDb, type Db, type DbOptions } from '../../src/db/db.js';
import { migrateLatest } from '../../src/db/migrate.js';

export type DatabaseKind = 'sqlite' | 'mysql';

/** The databases every suite runs on: SQLite always, MySQL when TEST_MYSQL_URL is set. */
export const databases: DatabaseKind[] = process.env.TEST_MYSQL_URL ? ['sqlite', 'mysql'] : ['sqlite'];

export interface TestDatabase {
  db: Db;
  url: string;
  /** Opens another pool on the same database (a second service instance). */
  open(): Db;
  drop(): Promise<void>;
}

/** One statement on the MySQL server of TEST_MYSQL_URL, on a connection of its own. */
export async function adminQuery(sql: string): Promise<void> {
  const conn = await createConnection({ uri: process.env.TEST_MYSQL_URL, connectTimeout: 5000 });
  try {
    await conn.query(sql);
  } finally {
    await conn.end();
  }
}

/** A new, migrated database of its own: an in-memory SQLite, or a fresh MySQL database dropped afterwards. */
export async function createTestDatabase(kind: DatabaseKind, overrides: DbOptions = {}): Promise<TestDatabase> {
  // Test files run in parallel on few cores: a query may wait longer for the single SQLite
  // connection than in production, and that must not read as an outage (503).
  const options: DbOptions = { acquireTimeoutMs: 15_000, ...overrides };
  if (kind === 'sqlite') {
    const url = 'sqlite::memory:';
    const db = createDb(url, options);
    await migrateLatest(db);
    return { db, url, open: () => db, drop: () => db.destroy() };
  }
  const name = `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const base = new URL(process.env.TEST_MYSQL_URL as string);
  base.pathname = `/${name}`;
  const url = base.toString();
  const pools: Db[] = [];
  const open = () => {
    const db = createDb(url, { poolMax: 20, ...options });
    pools.push(db);
    return db;
  };
  const db = open();
  await migrateLatest(db);
  return {
    db,
    url,
    open,
    drop: async () => {
      await Promise.all(pools.map((p) => p.destroy()));
      await adminQuery(`DROP DATABASE IF EXISTS \`${name}\``);
    },
  };
}
