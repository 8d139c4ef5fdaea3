import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { claimsOf, verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser, uniqueName } from './support/users.js';

/**
 * Two instances of the service sharing one database. On MySQL each has its own pool; on SQLite
 * (which always runs, so this file never lacks a suite) the peer shares the in-memory database's
 * one connection, but is still a separate app with its own limiters and token service.
 */
describe.each(databases)('two instances on one %s database', (kind) => {
  const started: Service[] = [];
  async function startPair(overrides: Partial<Config> = {}): Promise<[Service, Service]> {
    const primary = await startService(kind, overrides);
    started.push(primary);
    const peer = await primary.startPeer(overrides);
    expect(peer.url).not.toBe(primary.url);
    return [primary, peer];
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('when one instance issues a token, then the other accepts it and lists the same session', async () => {
    const [a, b] = await startPair();
    const user = await signedInUser(a);
    expect(await verifyStatus(b, user.token)).toBe(200);
    const listed = await b.call('GET', '/active-sessions', { token: user.token });
    expect(listed.status).toBe(200);
    expect(listed.body.sessions.map((s: { session_id: string }) => s.session_id)).toEqual([claimsOf(user.token).sid]);
    // And the other way round.
    const fromB = await loginUser(b, user);
    expect(await verifyStatus(a, fromB)).toBe(200);
  });

  it('when a token is logged out on one instance, then it is 401 on the other at once', async () => {
    const [a, b] = await startPair();
    const user = await signedInUser(a);
    expect(await verifyStatus(b, user.token)).toBe(200);
    const res = await b.call('POST', '/logout', { token: user.token });
    expect(res.status).toBe(200);
    expect(await verifyStatus(a, user.token)).toBe(401);
    expect(await verifyStatus(b, user.token)).toBe(401);
  });

  it('when revoke_others or a password change happens on one instance, then the other refuses the ended sessions', async () => {
    const [a, b] = await startPair();
    const user = await registerUser(a);
    const first = await loginUser(a, user);
    const second = await loginUser(b, user, { revoke_others: true });
    expect(await verifyStatus(a, first)).toBe(401);
    expect(await verifyStatus(a, second)).toBe(200);

    const third = await loginUser(a, user);
    const changed = await b.call('PUT', '/change-password', { token: second, body: { current_password: user.password, new_password: 'EvenMoreSecure456?' } });
    expect(changed.status).toBe(200);
    expect(await verifyStatus(a, third)).toBe(401);
    expect(await verifyStatus(a, second)).toBe(200);
  });

  it('when both instances count in the database, then 3 requests to each make the 6th overall 429', async () => {
    const [a, b] = await startPair({ rateLimitStore: 'database', authRateLimit: 5 });
    const body = () => ({ username: uniqueName('nobody'), password: 'SecurePass123!' });
    const order = [a, b, a, b, a];
    for (const instance of order) expect((await instance.call('POST', '/login', { body: body() })).status).toBe(400);
    const sixth = await b.call('POST', '/login', { body: body() });
    expect(sixth.status).toBe(429);
    expect(sixth.body).toEqual({ code: 429, text: expect.any(String), error: expect.any(String) });
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await a.call('POST', '/login', { body: body() })).status).toBe(429);
  });

  it('when each instance keeps its counters in memory, then each has its own budget (the control case)', async () => {
    const [a, b] = await startPair({ rateLimitStore: 'memory', authRateLimit: 5 });
    const body = () => ({ username: uniqueName('nobody'), password: 'SecurePass123!' });
    for (const instance of [a, b, a, b, a]) expect((await instance.call('POST', '/login', { body: body() })).status).toBe(400);
    expect((await b.call('POST', '/login', { body: body() })).status).toBe(400);
  });

  it('when failed logins are counted in the database, then guesses on both instances add up', async () => {
    const [a, b] = await startPair({ rateLimitStore: 'database', loginFailureLimit: 3 });
    const user = await registerUser(a);
    const wrong = { username: user.username, password: 'WrongPass123!' };
    expect((await a.call('POST', '/login', { body: wrong })).status).toBe(400);
    expect((await b.call('POST', '/login', { body: wrong })).status).toBe(400);
    expect((await a.call('POST', '/login', { body: wrong })).status).toBe(400);
    const locked = await b.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(locked.status).toBe(429);
  });
});
