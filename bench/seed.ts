// The data the loads run on, in a fresh database: users through the API, then filler accounts and long training logs written straight in.
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { hash } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/passwords.js';
import { exampleBody } from './spec.js';

type Exec = (sql: string, params?: unknown[]) => Promise<unknown>;
/** A database `bench_<random>` on BENCH_MYSQL_URL (dropped at the end), or a temporary SQLite file. */
export async function openDatabase(kind: string): Promise<{ url: string; label: string; exec: Exec; drop: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const { default: Sqlite } = await import('better-sqlite3');
    const file = join(mkdtempSync(join(os.tmpdir(), 'bench-sqlite-')), 'bench.db');
    const conn = new Sqlite(file);
    const { v } = conn.prepare('SELECT sqlite_version() v').get() as { v: string };
    const exec: Exec = async (sql, params = []) => conn.prepare(sql).run(...params);
    return { url: `sqlite:${file}`, label: `SQLite ${v}`, exec, drop: async () => void conn.close() };
  }
  const mysql = await import('mysql2/promise');
  const url = new URL(process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test');
  const conn = await mysql.createConnection({ uri: url.toString() });
  const name = `bench_${randomBytes(5).toString('hex')}`;
  await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await conn.query(`USE \`${name}\``);
  const [[{ v }]] = (await conn.query('SELECT VERSION() v')) as unknown as [[{ v: string }]];
  url.pathname = `/${name}`;
  const label = v.includes('MariaDB') ? `MariaDB ${v.replace(/-MariaDB.*/, '')}` : `MySQL ${v}`;
  const drop = () => conn.query(`DROP DATABASE \`${name}\``).then(() => conn.end());
  return { url: url.toString(), label, exec: (sql, params) => conn.query(sql, params), drop };
}

async function callApi(base: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}
/** `count` users with a questionnaire and a session each, on the enterprise plan (no session limit on logins). */
export async function seedUsers(base: string, exec: Exec, count: number, prefix = 'bench') {
  const { password } = exampleBody('/register', 'post');
  const seeded = { usernames: Array.from({ length: count }, (_, i) => `${prefix}_${i}`), tokens: [] as string[], password: password as string };
  for (const username of seeded.usernames) {
    await callApi(base, 'POST', '/register', { username, password, email: `${username}@example.com`, full_name: 'Bench User' });
    const { access_token } = await callApi(base, 'POST', '/login', { username, password });
    await callApi(base, 'PUT', '/training-profile', exampleBody('/training-profile', 'put'), access_token);
    seeded.tokens.push(access_token);
  }
  await exec(`UPDATE users SET plan = 'enterprise' WHERE username IN (${seeded.usernames.map(() => '?').join(', ')})`, seeded.usernames);
  return seeded;
}
/** Digits 0–9 as rows, cross-joined into up to 10^6 numbers: a row source both databases have. */
const DIGITS =
  '(SELECT 0 d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)';
const numbersBelow = (count: number) =>
  `SELECT a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d AS n FROM ${DIGITS} a, ${DIGITS} b, ${DIGITS} c, ${DIGITS} e, ${DIGITS} f, ${DIGITS} g WHERE a.d + 10*b.d + 100*c.d + 1000*e.d + 10000*f.d + 100000*g.d < ${count}`;
/** Accounts that nobody uses, with one real password hash, numbered from `from`: the users table grown by `count` rows. */
export async function seedFiller(exec: Exec, from: number, count: number): Promise<void> {
  const stored = await hash('FillerPass123!', ARGON2_OPTIONS);
  const name = "CONCAT('filler_', n)";
  for (let start = from; start < from + count; start += 100_000) {
    const rows = Math.min(100_000, from + count - start);
    const sql = `INSERT INTO users (username, username_key, email, email_key, full_name, password_hash, plan, created_at, updated_at)
       SELECT ${name}, ${name}, CONCAT(${name}, '@example.com'), CONCAT(${name}, '@example.com'), 'Filler', ?, 'standard', 0, 0
       FROM (SELECT n + ${start} AS n FROM (${numbersBelow(rows)}) s) t`;
    await exec(sql, [stored]);
  }
}
/** `count` workouts a day apart for `username`, the newest today: the older ones written straight into the table. */
export async function seedWorkouts(base: string, exec: Exec, username: string, token: string, count: number): Promise<void> {
  const yesterday = Date.now() - 86_400_000;
  const sql = `INSERT INTO workouts (user_id, type, started_at, duration_min, created_at, updated_at, version)
     SELECT u.id, 'running', ${yesterday} - n * 86400000, 30, ${yesterday}, ${yesterday}, 1 FROM users u, (${numbersBelow(count - 1)}) s WHERE u.username = ?`;
  await exec(sql, [username]);
  // The newest one through the API, which keeps the log's summary as every write does.
  await callApi(base, 'POST', '/workouts', { type: 'running', started_at: new Date().toISOString(), duration_min: 30 }, token);
}
