import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountAdmin, AdminError, createAccountAdmin } from '../src/admin/account-admin.js';
import { createSessionsRepository } from '../src/auth/sessions.repository.js';
import { createDb } from '../src/db/db.js';
import { migrateLatest } from '../src/db/migrate.js';
import { PERSON_QUERY } from '../src/profile/profile.repository.js';
import { createUsersRepository } from '../src/users/users.repository.js';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { registerUser, signedInUser } from './support/users.js';
import { securityLogFor } from './support/verification.js';

const SUSPENDED = { code: 400, text: 'Account suspended', error: 'account_suspended' };

describe.each(databases)('suspended accounts on %s', (kind) => {
  let service: Service;
  let admin: AccountAdmin;
  beforeAll(async () => {
    service = await startService(kind);
    const { db } = service;
    const users = createUsersRepository(db);
    admin = createAccountAdmin({ db, users, sessions: createSessionsRepository(db, PERSON_QUERY), securityLog: securityLogFor(db, users), clock: Date.now });
  });
  afterAll(() => service.close());

  const login = (username: string, password: string) => service.call('POST', '/login', { body: { username, password } });

  it('when an account is suspended, then its access tokens are 401 at once and its refresh tokens 400 "Account suspended"', async () => {
    const user = await registerUser(service);
    const first = await login(user.username, user.password);
    const second = await login(user.username, user.password);
    expect(await admin.suspend(user.username)).toBe(2);
    expect(await verifyStatus(service, first.body.token)).toBe(401);
    expect(await verifyStatus(service, second.body.token)).toBe(401);
    const refreshed = await service.call('POST', '/token/refresh', { body: { refresh_token: first.body.refresh_token } });
    expect(refreshed.status).toBe(400);
    expect(refreshed.body).toEqual(SUSPENDED);
  });

  it('when a suspended account logs in, then the right password gets 400 "Account suspended" and a wrong one "Invalid password"', async () => {
    const user = await registerUser(service);
    await admin.suspend(user.username);
    expect((await login(user.username, user.password)).body).toEqual(SUSPENDED);
    expect((await login(user.username, 'WrongPass123!')).body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
    const row = await service.db('users').where({ username: user.username }).first('account_status', 'login_count');
    expect(row.account_status).toBe('suspended');
    expect(Number(row.login_count)).toBe(0);
  });

  it('when the status is set in the database directly, then the sessions stop as well', async () => {
    const user = await signedInUser(service);
    await service.db('users').where({ username: user.username }).update({ account_status: 'suspended' });
    expect(await verifyStatus(service, user.token)).toBe(401);
    expect((await service.call('GET', '/me', { token: user.token })).status).toBe(401);
  });

  it('when the account is unsuspended, then it logs in again, while the sessions the suspension ended stay ended', async () => {
    const user = await signedInUser(service);
    await admin.suspend(user.username);
    await admin.unsuspend(user.username);
    expect(await verifyStatus(service, user.token)).toBe(401);
    const again = await login(user.username, user.password);
    expect(again.status).toBe(200);
    expect(await verifyStatus(service, again.body.token)).toBe(200);
  });

  it('when an operator lists and revokes the sessions of an account, then they are listed newest first and all end', async () => {
    const user = await registerUser(service);
    const tokens = [(await login(user.username, user.password)).body.token, (await login(user.username, user.password)).body.token];
    const listed = await admin.listSessions(user.username);
    expect(listed).toHaveLength(2);
    expect(listed.map((s) => s.ipAddress)).toEqual(['127.0.0.1', '127.0.0.1']);
    expect(await admin.revokeSessions(user.username)).toBe(2);
    for (const token of tokens) expect(await verifyStatus(service, token)).toBe(401);
    expect(await admin.listSessions(user.username)).toEqual([]);
    expect((await login(user.username, user.password)).status).toBe(200);
  });

  it('when the username is unknown, then every command fails with a message naming it', async () => {
    for (const command of [admin.suspend, admin.unsuspend, admin.listSessions, admin.revokeSessions]) {
      await expect(command('nobody_at_all')).rejects.toThrow(new AdminError('no user is named "nobody_at_all"'));
    }
  });
});

describe('npm run admin', () => {
  let dir: string;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'admin-cli-'));
    url = `sqlite:${join(dir, 'admin.db')}`;
    const db = createDb(url);
    await migrateLatest(db);
    const id = await createUsersRepository(db).insert({ username: 'carol', email: 'carol@example.com', passwordHash: 'x' }, Date.now());
    await db('sessions').insert({
      id: 'sess_cli',
      user_id: id,
      token_prefix: 'eyJ',
      created_at: Date.now(),
      expires_at: Date.now() + 3_600_000,
      ip_address: '192.0.2.9',
    });
    await db.destroy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const admin = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/admin/admin-cli.ts', ...args], { env: { ...process.env, DATABASE_URL: url }, encoding: 'utf8' });

  it('when run with a command and a username, then it does it and says so; unknown names exit 1, bad usage 2', () => {
    const listed = admin('list-sessions', 'carol');
    expect(listed.status).toBe(0);
    expect(listed.stdout).toMatch(/^sess_cli\tcreated .+\tlast used .+\t192\.0\.2\.9\t-\n$/);
    const suspended = admin('suspend', 'carol');
    expect(suspended.stdout).toBe('suspended carol; 1 session(s) ended\n');
    expect(admin('list-sessions', 'carol').stdout).toBe('');
    expect(admin('unsuspend', 'carol').stdout).toBe('carol can log in again\n');
    expect(admin('revoke-sessions', 'carol').stdout).toBe('0 session(s) of carol ended\n');
    const unknown = admin('suspend', 'dave');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toBe('no user is named "dave"\n');
    expect(admin('suspend').status).toBe(2);
    const wrong = admin('delete', 'carol');
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toMatch(/^unknown command "delete"/);
  });
});
