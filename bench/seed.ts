import type { BenchDb } from './database.js';
import { log } from './log.js';
import { USERS } from './options.js';
import { exampleBody } from './spec.js';

export interface Seeded {
  usernames: string[];
  tokens: string[];
  password: string;
}

async function call(base: string, method: string, path: string, body: unknown, token?: string): Promise<any> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}/api/v1${path}`, { method, headers, body: JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`seeding: ${method} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Registers and logs in USERS accounts through the API, stores one training profile each, and makes them enterprise accounts (no session limit). */
export async function seed(base: string, db: BenchDb): Promise<Seeded> {
  const example = exampleBody('/register', 'post');
  const training = exampleBody('/training-profile', 'put');
  const password = example.password as string;
  const usernames: string[] = [];
  const tokens: string[] = [];
  for (let i = 0; i < USERS; i++) {
    const username = `bench_user_${i}`;
    await call(base, 'POST', '/register', { ...example, username, email: `bench_user_${i}@example.com` });
    const login = await call(base, 'POST', '/login', { username, password });
    const token = login.access_token as string;
    await call(base, 'PUT', '/training-profile', training, token);
    usernames.push(username);
    tokens.push(token);
  }
  await db.exec(`UPDATE users SET plan = 'enterprise' WHERE username IN (${usernames.map(() => '?').join(', ')})`, usernames);
  log(`seeded ${USERS} users (enterprise plan), each logged in with a training profile`);
  return { usernames, tokens, password };
}
