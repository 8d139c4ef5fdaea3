// A fresh database for one run: a MySQL database `bench_<random>` on BENCH_MYSQL_URL (dropped
// at the end), or a temporary SQLite file.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Exec } from './seed.js';

export async function openDatabase(kind: string): Promise<{ url: string; label: string; exec: Exec; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const { default: Sqlite } = await import('better-sqlite3');
    const file = join(mkdtempSync(join(os.tmpdir(), 'bench-sqlite-')), 'bench.db');
    const conn = new Sqlite(file);
    const { v } = conn.prepare('SELECT sqlite_version() v').get() as { v: string };
    return {
      url: `sqlite:${file}`,
      label: `SQLite ${v}`,
      exec: async (sql, params = []) => conn.prepare(sql).run(...params),
      drop: async () => void conn.close(),
    };
  }
  const mysql = await import('mysql2/promise');
  const base = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
  const name = `bench_${randomBytes(5).toString('hex')}`;
  const admin = await mysql.createConnection({ uri: base });
  await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  const conn = await mysql.createConnection({ uri: url.toString() });
  const [[{ v }]] = (await admin.query('SELECT VERSION() v')) as unknown as [[{ v: string }]];
  const drop = async () => {
    await conn.end();
    await admin.query(`DROP DATABASE \`${name}\``);
    await admin.end();
  };
  return {
    url: url.toString(),
    label: v.includes('MariaDB') ? `MariaDB ${v.replace(/-MariaDB.*/, '')}` : `MySQL ${v}`,
    exec: (sql, params) => conn.query(sql, params),
    drop,
  };
}
