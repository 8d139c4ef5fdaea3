import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { cleanups } from './cleanup.js';
import { log } from './log.js';

export interface BenchDb {
  url: string;
  /** For the report, e.g. "MariaDB 10.11.19" or "SQLite 3.50.2". */
  label: string;
  /** Runs a statement directly on the database (not through the service). */
  exec(sql: string, params: unknown[]): Promise<void>;
}

export async function openMysql(): Promise<BenchDb> {
  const mysql = await import('mysql2/promise');
  const base = process.env.BENCH_MYSQL_URL || 'mysql://root@127.0.0.1:3306/test';
  const name = `bench_${randomBytes(6).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base, connectTimeout: 5000 });
  const [[row]] = (await admin.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  cleanups.push(async () => {
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``);
    await admin.end();
    log(`dropped database ${name}`);
  });
  const url = new URL(base);
  url.pathname = `/${name}`;
  const version = row.version;
  const label = /mariadb/i.test(version) ? `MariaDB ${version.replace(/-MariaDB.*$/i, '')}` : `MySQL ${version}`;
  log(`database: ${label}, fresh database ${name}`);
  let conn: Awaited<ReturnType<typeof mysql.createConnection>> | undefined;
  return {
    url: url.toString(),
    label,
    async exec(sql, params) {
      if (!conn) {
        conn = await mysql.createConnection({ uri: url.toString() });
        const opened = conn;
        cleanups.push(() => opened.end());
      }
      await conn.query(sql, params);
    },
  };
}

export async function openSqlite(): Promise<BenchDb> {
  const { default: Database } = await import('better-sqlite3');
  const dir = mkdtempSync(join(os.tmpdir(), 'bench-sqlite-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bench.db');
  const probe = new Database(':memory:');
  const version = (probe.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  probe.close();
  log(`database: SQLite ${version}, temporary file ${file}`);
  let conn: InstanceType<typeof Database> | undefined;
  return {
    url: `sqlite:${file}`,
    label: `SQLite ${version} (better-sqlite3, file in ${os.tmpdir()}, WAL)`,
    async exec(sql, params) {
      if (!conn) {
        conn = new Database(file);
        const opened = conn;
        cleanups.push(async () => opened.close());
      }
      conn.prepare(sql).run(...params);
    },
  };
}
