import { randomBytes } from 'node:crypto';
import type { Service } from './service.js';

let counter = 0;
/** A username no other test uses. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}_${counter}_${randomBytes(3).toString('hex')}`;
}

export interface TestUser {
  username: string;
  email: string;
  password: string;
  full_name: string;
}

export function newUser(overrides: Partial<TestUser> = {}): TestUser {
  const username = overrides.username ?? uniqueName();
  return { username, email: `${username}@example.com`, password: 'SecurePass123!', full_name: 'Alex Johnson', ...overrides };
}

/** Registers a user through POST /register; fails the test if that does not answer 200. */
export async function registerUser(service: Service, overrides: Partial<TestUser> = {}): Promise<TestUser> {
  const user = newUser(overrides);
  const res = await service.call('POST', '/register', { body: user });
  if (res.status !== 200) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return user;
}

/** Logs in and returns the token; fails the test on anything but 200. */
export async function loginUser(service: Service, user: Pick<TestUser, 'username' | 'password'>, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password, ...extra } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.token as string;
}

/** A registered user and a token of theirs. */
export async function signedInUser(service: Service, overrides: Partial<TestUser> = {}): Promise<TestUser & { token: string }> {
  const user = await registerUser(service, overrides);
  return { ...user, token: await loginUser(service, user) };
}

/** The integer id of a user, read from the database. */
export async function userIdOf(service: Service, username: string): Promise<number> {
  const row = await service.db('users').where({ username }).first('id');
  if (!row) throw new Error(`no user ${username}`);
  return Number(row.id);
}
