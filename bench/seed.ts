// The data the loads run on: users registered and logged in through the API, then, written
// straight into the database, filler accounts (the cost in the number of users) and a long
// training log (the cost in the number of workouts).
import { hash } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/passwords.js';
import { exampleBody } from './spec.js';

export interface Seeded {
  usernames: string[];
  tokens: string[];
  password: string;
}

export type Exec = (sql: string, params?: unknown[]) => Promise<unknown>;

async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return res.json();
}

/** `count` users with a questionnaire and a session each, on the enterprise plan (no session limit on logins). */
export async function seedUsers(base: string, exec: Exec, count: number, prefix = 'bench'): Promise<Seeded> {
  const { password } = exampleBody('/register', 'post');
  const seeded: Seeded = { usernames: [], tokens: [], password };
  for (let i = 0; i < count; i++) {
    const username = `${prefix}_${i}`;
    await call(base, 'POST', '/register', { username, password, email: `${username}@example.com`, full_name: 'Bench User' });
    const { access_token } = await call(base, 'POST', '/login', { username, password });
    await call(base, 'PUT', '/training-profile', exampleBody('/training-profile', 'put'), access_token);
    seeded.usernames.push(username);
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
    await exec(
      `INSERT INTO users (username, username_key, email, email_key, full_name, password_hash, plan, created_at, updated_at)
       SELECT ${name}, ${name}, CONCAT(${name}, '@example.com'), CONCAT(${name}, '@example.com'), 'Filler', ?, 'standard', 0, 0
       FROM (SELECT n + ${start} AS n FROM (${numbersBelow(rows)}) s) t`,
      [stored],
    );
  }
}

/** `count` workouts a day apart for the user `username`, the newest started at `newest`. */
export async function seedWorkouts(exec: Exec, username: string, count: number, newest: number): Promise<void> {
  await exec(
    `INSERT INTO workouts (user_id, type, started_at, duration_min, created_at, updated_at, version)
     SELECT u.id, 'running', ${newest} - n * 86400000, 30, ${newest}, ${newest}, 1 FROM users u, (${numbersBelow(count)}) s WHERE u.username = ?`,
    [username],
  );
}
