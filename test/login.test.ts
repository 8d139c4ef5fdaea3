import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { AUDIENCE, claimsOf, ISSUER } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { loginUser, registerUser, uniqueName, userIdOf } from './support/users.js';

// Counts every argon2 call the service makes, to prove some requests are refused before hashing.
const argon2Calls = vi.hoisted(() => ({ hash: 0, verify: 0 }));
vi.mock('@node-rs/argon2', async (importOriginal) => {
  const original = await importOriginal<typeof import('@node-rs/argon2')>();
  return {
    ...original,
    hash: (...args: Parameters<typeof original.hash>) => {
      argon2Calls.hash += 1;
      return original.hash(...args);
    },
    verify: (...args: Parameters<typeof original.verify>) => {
      argon2Calls.verify += 1;
      return original.verify(...args);
    },
  };
});

const TTL = 900;

describe.each(databases)('login on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind, { accessTokenTtl: TTL, maxSessionsPerUser: 2 });
  });
  afterAll(() => service.close());

  it('when the credentials are right, then it answers 200 with the union of both seeds and expires_in = ACCESS_TOKEN_TTL', async () => {
    const user = await registerUser(service, { full_name: 'Alex Johnson' });
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      token: expect.any(String),
      access_token: res.body.token,
      token_type: 'bearer',
      expires_in: TTL,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      refresh_expires_in: service.config.refreshTokenTtl,
      user_info: { username: user.username, email: user.email, full_name: 'Alex Johnson', is_admin: false, email_verified: false },
    });
    expect(res.body.token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('then the token is HS256 with sub, sid, jti, iat, exp, iss and aud, and exp - iat is the TTL', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = claimsOf(token);
    expect(claims.sub).toBe(String(await userIdOf(service, user.username)));
    expect(claims.iss).toBe(ISSUER);
    expect(claims.aud).toBe(AUDIENCE);
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims.exp - claims.iat).toBe(TTL);
    const session = await service.db('sessions').where({ id: claims.sid }).first();
    expect(session).toBeDefined();
    expect((await service.call('GET', '/verify-token', { token })).status).toBe(200);
  });

  it('when the username is sent in another letter case, then the login still succeeds and shows the stored name', async () => {
    const user = await registerUser(service, { username: uniqueName('Fit_User') });
    for (const variant of [user.username.toUpperCase(), user.username.toLowerCase(), user.username]) {
      const res = await service.call('POST', '/login', { body: { username: variant, password: user.password } });
      expect(res.status).toBe(200);
      expect(res.body.user_info.username).toBe(user.username);
      await service.call('POST', '/logout', { token: res.body.token });
    }
  });

  it('when a user logs in, then last_login is set; when a later login already set it, then an earlier-finishing one leaves it', async () => {
    const user = await registerUser(service);
    const byName = () => service.db('users').whereRaw('lower(username) = ?', [user.username.toLowerCase()]);
    const row = () => byName().first();
    const before = Date.now();
    await loginUser(service, user);
    const first = Number((await row()).last_login);
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now());
    // Logins of one user may finish in either order: one that recorded a later time wins.
    const later = Date.now() + 86_400_000;
    await byName().update({ last_login: later });
    await loginUser(service, user, { revoke_others: true });
    expect(Number((await row()).last_login)).toBe(later);
    await loginUser(service, user);
    expect(Number((await row()).last_login)).toBe(later);
  });

  it('when the username is unknown, then 400 "User not found"', async () => {
    const res = await service.call('POST', '/login', { body: { username: uniqueName('nobody'), password: 'SecurePass123!' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'User not found', error: 'user_not_found' });
  });

  it('when the password is wrong, then 400 "Invalid password" and no session is opened', async () => {
    const user = await registerUser(service);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: 'WrongPass123!' } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
    const rows = await service.db('sessions').where({ user_id: await userIdOf(service, user.username) });
    expect(rows).toHaveLength(0);
  });

  it('when the password differs only in letter case, then 400 "Invalid password"', async () => {
    const user = await registerUser(service);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password.toLowerCase() } });
    expect(res.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
  });

  it('when the user is at the session limit, then 400 "Too many tokens"', async () => {
    const user = await registerUser(service);
    await loginUser(service, user);
    await loginUser(service, user);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'Too many tokens', error: 'too_many_tokens' });
  });

  it('when the password is longer than 128 characters, then 400 from the schema, before any hashing', async () => {
    const user = await registerUser(service);
    const before = { ...argon2Calls };
    const res = await service.call('POST', '/login', { body: { username: user.username, password: 'x'.repeat(129) } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/body/password');
    expect(argon2Calls).toEqual(before);
    // The counter does see the hashing of a request that gets that far.
    await service.call('POST', '/login', { body: { username: user.username, password: 'x'.repeat(128) } });
    expect(argon2Calls.verify).toBeGreaterThan(before.verify);
  });

  it('when the body misses a field, has an unknown one or revoke_others is not a boolean, then 400 names the field', async () => {
    const user = await registerUser(service);
    const cases: [Record<string, unknown>, string][] = [
      [{ username: user.username }, '/body/password'],
      [{ password: user.password }, '/body/username'],
      [{ username: user.username, password: user.password, is_admin: true }, '/body/is_admin'],
      [{ username: user.username, password: user.password, revoke_others: 'yes' }, '/body/revoke_others'],
    ];
    for (const [body, field] of cases) {
      const res = await service.call('POST', '/login', { body });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
  });
});
