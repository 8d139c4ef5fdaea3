import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSessionCount, verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { loginUser, registerUser, userIdOf } from './support/users.js';

const TTL = 1800;
const LIMIT = 3;

describe.each(databases)('session limit on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    // A session lasts REFRESH_TOKEN_TTL after its last login or refresh: TTL here.
    service = await startService(kind, { accessTokenTtl: TTL, refreshTokenTtl: TTL, maxSessionsPerUser: LIMIT }, clock);
  });
  afterAll(() => service.close());

  it('when a standard user is at the limit, then the next login is 400 "Too many tokens" and opens no session', async () => {
    const user = await registerUser(service);
    const userId = await userIdOf(service, user.username);
    const tokens: string[] = [];
    for (let i = 0; i < LIMIT; i += 1) tokens.push(await loginUser(service, user));
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'Too many tokens', error: 'too_many_tokens' });
    const explicit = await service.call('POST', '/login', { body: { username: user.username, password: user.password, revoke_others: false } });
    expect(explicit.body).toEqual({ code: 400, text: 'Too many tokens', error: 'too_many_tokens' });
    expect(await service.db('sessions').where({ user_id: userId })).toHaveLength(LIMIT);
    for (const token of tokens) expect(await verifyStatus(service, token)).toBe(200);
  });

  it('when the user at the limit logs in with revoke_others, then it succeeds, every earlier token is 401 and the new one works', async () => {
    const user = await registerUser(service);
    const userId = await userIdOf(service, user.username);
    const old: string[] = [];
    for (let i = 0; i < LIMIT; i += 1) old.push(await loginUser(service, user));
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password, revoke_others: true } });
    expect(res.status).toBe(200);
    for (const token of old) expect(await verifyStatus(service, token)).toBe(401);
    expect(await verifyStatus(service, res.body.token)).toBe(200);
    expect(await activeSessionCount(service, userId, clock())).toBe(1);
    const listed = await service.call('GET', '/active-sessions', { token: res.body.token });
    expect(listed.body.sessions).toHaveLength(1);
    // The freed slots can be used again.
    await loginUser(service, user);
    await loginUser(service, user);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body.text).toBe('Too many tokens');
  });

  it('when revoke_others is true below the limit, then the other sessions end too', async () => {
    const user = await registerUser(service);
    const first = await loginUser(service, user);
    const second = await loginUser(service, user, { revoke_others: true });
    expect(await verifyStatus(service, first)).toBe(401);
    expect(await verifyStatus(service, second)).toBe(200);
  });

  it("when revoke_others is used, then other users' sessions are untouched", async () => {
    const user = await registerUser(service);
    const bystander = await registerUser(service);
    const theirs = await loginUser(service, bystander);
    await loginUser(service, user);
    await loginUser(service, user, { revoke_others: true });
    expect(await verifyStatus(service, theirs)).toBe(200);
  });

  it('when one session of a user at the limit is logged out, then a new login succeeds', async () => {
    const user = await registerUser(service);
    const tokens: string[] = [];
    for (let i = 0; i < LIMIT; i += 1) tokens.push(await loginUser(service, user));
    await service.call('POST', '/logout', { token: tokens[0] });
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(200);
  });

  it('when the sessions at the limit have expired, then they do not count, the login succeeds and the periodic purge deletes them', async () => {
    const user = await registerUser(service);
    const userId = await userIdOf(service, user.username);
    const old: string[] = [];
    for (let i = 0; i < LIMIT; i += 1) old.push(await loginUser(service, user));
    // Another user's expired session is not this login's business.
    const other = await registerUser(service);
    await loginUser(service, other);
    clock.advance((TTL + 1) * 1000);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(200);
    expect(await service.db('sessions').where({ user_id: userId })).toHaveLength(LIMIT + 1);
    expect(await service.purgeExpiredSessions()).toBeGreaterThanOrEqual(LIMIT + 1);
    const rows = await service.db('sessions').where({ user_id: userId });
    expect(rows).toHaveLength(1);
    expect(rows[0].token_prefix).toBe((res.body.token as string).slice(0, 10));
    for (const token of old) expect(await verifyStatus(service, token)).toBe(401);
  });

  it('when a session is revoked and later expires, then the periodic purge deletes its row as well, and only expired rows', async () => {
    const user = await registerUser(service);
    const userId = await userIdOf(service, user.username);
    const token = await loginUser(service, user);
    await service.call('POST', '/logout', { token });
    expect(await service.db('sessions').where({ user_id: userId })).toHaveLength(1);
    clock.advance((TTL + 1) * 1000);
    await loginUser(service, user);
    await service.purgeExpiredSessions();
    const rows = await service.db('sessions').where({ user_id: userId });
    expect(rows).toHaveLength(1);
    expect(rows[0].revoked_at).toBeNull();
  });

  it('when part of the sessions have expired, then only the live ones count toward the limit', async () => {
    const user = await registerUser(service);
    await loginUser(service, user);
    clock.advance((TTL - 60) * 1000);
    await loginUser(service, user);
    await loginUser(service, user);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body.text).toBe('Too many tokens');
    clock.advance(120_000);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(200);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body.text).toBe('Too many tokens');
  });
});

const ROUNDS = 10;
// Each round is well under a second on an idle machine; the margin is for a loaded CI box.
const RACE_TIMEOUT_MS = 180_000;

describe.each(databases.filter((k) => k === 'mysql'))('concurrent logins on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind, { maxSessionsPerUser: 10 });
  });
  afterAll(() => service.close());

  it(
    `when 30 logins of one user race against a limit of 10, then exactly 10 succeed (${ROUNDS} rounds)`,
    async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const user = await registerUser(service);
        const userId = await userIdOf(service, user.username);
        const results = await Promise.all(
          Array.from({ length: 30 }, () => service.call('POST', '/login', { body: { username: user.username, password: user.password } })),
        );
        const ok = results.filter((r) => r.status === 200);
        const refused = results.filter((r) => r.status === 400);
        expect(ok, `round ${round}`).toHaveLength(10);
        expect(refused, `round ${round}`).toHaveLength(20);
        for (const r of refused) expect(r.body).toEqual({ code: 400, text: 'Too many tokens', error: 'too_many_tokens' });
        expect(await activeSessionCount(service, userId), `round ${round}`).toBe(10);
        expect(await service.db('sessions').where({ user_id: userId }), `round ${round}`).toHaveLength(10);
      }
    },
    RACE_TIMEOUT_MS,
  );

  it(
    `when 20 revoke_others logins of one user race, then exactly one session stays active (${ROUNDS} rounds)`,
    async () => {
      for (let round = 0; round < ROUNDS; round += 1) {
        const user = await registerUser(service);
        const userId = await userIdOf(service, user.username);
        const results = await Promise.all(
          Array.from({ length: 20 }, () => service.call('POST', '/login', { body: { username: user.username, password: user.password, revoke_others: true } })),
        );
        expect(
          results.map((r) => r.status),
          `round ${round}`,
        ).toEqual(Array.from({ length: 20 }, () => 200));
        expect(await activeSessionCount(service, userId), `round ${round}`).toBe(1);
        const statuses = await Promise.all(results.map((r) => verifyStatus(service, r.body.token as string)));
        expect(
          statuses.filter((s) => s === 200),
          `round ${round}`,
        ).toHaveLength(1);
        expect(
          statuses.filter((s) => s === 401),
          `round ${round}`,
        ).toHaveLength(19);
      }
    },
    RACE_TIMEOUT_MS,
  );
});
