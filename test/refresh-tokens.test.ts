import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { registerUser, type TestUser, userIdOf } from './support/users.js';

const ACCESS_TTL = 1800;
const REFRESH_TTL = 30 * 86400;
const MAX_LIFETIME = 90 * 86400;
const GRACE_S = 10;
const DAY_MS = 86400 * 1000;

interface Tokens {
  token: string;
  access_token: string;
  refresh_token: string;
  expires_in: number;
  refresh_expires_in: number;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe.each(databases)('refresh tokens on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(
      kind,
      { accessTokenTtl: ACCESS_TTL, refreshTokenTtl: REFRESH_TTL, sessionMaxLifetime: MAX_LIFETIME, refreshReuseGraceSeconds: GRACE_S, maxSessionsPerUser: 3 },
      clock,
    );
  });
  afterAll(() => service.close());

  async function login(user: TestUser, extra: Record<string, unknown> = {}): Promise<Tokens> {
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password, ...extra } });
    expect(res.status).toBe(200);
    return res.body as Tokens;
  }

  function refresh(refreshToken: string) {
    return service.call('POST', '/token/refresh', { body: { refresh_token: refreshToken } });
  }

  async function refreshed(refreshToken: string): Promise<Tokens> {
    const res = await refresh(refreshToken);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as Tokens;
  }

  async function sessionRow(sid: string) {
    return service.db('sessions').where({ id: sid }).first();
  }

  it('when a refresh token is traded, then the answer has a new access token of the same session and a new refresh token, and the old one is spent', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    clock.advance(60_000);
    const next = await refreshed(first.refresh_token);
    expect(next).toEqual({
      code: 200,
      token: next.access_token,
      access_token: expect.any(String),
      token_type: 'bearer',
      expires_in: ACCESS_TTL,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      refresh_expires_in: REFRESH_TTL,
    });
    expect(next.refresh_token).not.toBe(first.refresh_token);
    expect(next.access_token).not.toBe(first.access_token);
    const before = claimsOf(first.access_token);
    const after = claimsOf(next.access_token);
    expect(after).toMatchObject({ sub: before.sub, sid: before.sid, iss: before.iss, aud: before.aud, iat: before.iat + 60, exp: before.exp + 60 });
    expect(after.jti).not.toBe(before.jti);
    expect(await verifyStatus(service, next.access_token)).toBe(200);
    // The first access token stays valid until it expires: it belongs to the same live session.
    expect(await verifyStatus(service, first.access_token)).toBe(200);
    const row = await sessionRow(before.sid);
    expect(row.refresh_hash).toBe(sha256(next.refresh_token));
    expect(Number(row.last_used_at)).toBe(clock());
    expect(Number(row.expires_at)).toBe(clock() + REFRESH_TTL * 1000);
    const spent = await service.db('spent_refresh_tokens').where({ session_id: before.sid });
    expect(spent.map((s: { token_hash: string }) => s.token_hash)).toEqual([sha256(first.refresh_token)]);
  });

  it('when the client refreshes every 30 minutes for a day, then it never logs in again, /me works all along, and it stays one session', async () => {
    const user = await registerUser(service);
    let tokens = await login(user);
    const { sid } = claimsOf(tokens.access_token);
    for (let i = 0; i < 48; i += 1) {
      clock.advance(ACCESS_TTL * 1000 + 1000);
      // The access token has expired: only the refresh token gets the client back in.
      expect(await verifyStatus(service, tokens.access_token)).toBe(401);
      tokens = await refreshed(tokens.refresh_token);
      expect(claimsOf(tokens.access_token).sid).toBe(sid);
      const me = await service.call('GET', '/me', { token: tokens.access_token });
      expect(me.status).toBe(200);
      expect(me.body.user_profile.username).toBe(user.username);
    }
    const rows = await service.db('sessions').where({ user_id: await userIdOf(service, user.username) });
    expect(rows).toHaveLength(1);
    expect(await service.db('spent_refresh_tokens').where({ session_id: sid })).toHaveLength(48);
    const listed = await service.call('GET', '/active-sessions', { token: tokens.access_token });
    expect(listed.body.sessions).toHaveLength(1);
    expect(Date.parse(listed.body.sessions[0].last_used_at)).toBe(Math.floor(clock() / 1000) * 1000);
    expect(Date.parse(listed.body.sessions[0].expires_at)).toBe(Math.floor((clock() + REFRESH_TTL * 1000) / 1000) * 1000);
  });

  it('when a rotated token is replayed after the grace window, then the whole session ends: its access and refresh tokens are 401', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    const second = await refreshed(first.refresh_token);
    const other = await login(user);
    clock.advance((GRACE_S + 1) * 1000);
    const replay = await refresh(first.refresh_token);
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ code: 401, text: 'Unauthorized', error: 'unauthorized' });
    expect(await verifyStatus(service, second.access_token)).toBe(401);
    expect(await verifyStatus(service, first.access_token)).toBe(401);
    expect((await refresh(second.refresh_token)).status).toBe(401);
    expect((await sessionRow(claimsOf(first.access_token).sid)).revoked_at).not.toBeNull();
    // Only that session: the user's other one lives on.
    expect(await verifyStatus(service, other.access_token)).toBe(200);
    expect((await refresh(other.refresh_token)).status).toBe(200);
  });

  it('when a rotated token is replayed within the grace window, then it gets a fresh access token and the current refresh token, and nothing is revoked', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    const second = await refreshed(first.refresh_token);
    clock.advance((GRACE_S - 1) * 1000);
    const retry = await refreshed(first.refresh_token);
    expect(retry.refresh_token).toBe(second.refresh_token);
    expect(retry.access_token).not.toBe(second.access_token);
    expect(claimsOf(retry.access_token).sid).toBe(claimsOf(first.access_token).sid);
    expect(await verifyStatus(service, retry.access_token)).toBe(200);
    expect(await verifyStatus(service, second.access_token)).toBe(200);
    // The current token still rotates normally afterwards.
    const third = await refreshed(second.refresh_token);
    expect(third.refresh_token).not.toBe(second.refresh_token);
  });

  it('when the client rotated twice within the grace window, then the oldest token still leads to the current one', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    const second = await refreshed(first.refresh_token);
    clock.advance(2000);
    const third = await refreshed(second.refresh_token);
    clock.advance(2000);
    const retry = await refreshed(first.refresh_token);
    expect(retry.refresh_token).toBe(third.refresh_token);
  });

  it('when a session was ended (logout, DELETE /active-sessions, revoke_others, password change), then its refresh token is 401', async () => {
    const user = await registerUser(service);
    const loggedOut = await login(user);
    await service.call('POST', '/logout', { token: loggedOut.access_token });
    expect((await refresh(loggedOut.refresh_token)).status).toBe(401);

    const deleted = await login(user);
    const keeper = await login(user);
    await service.call('DELETE', `/active-sessions/${claimsOf(deleted.access_token).sid}`, { token: keeper.access_token });
    expect((await refresh(deleted.refresh_token)).status).toBe(401);

    const revokedByOthers = await login(user);
    const revoker = await login(user, { revoke_others: true });
    expect((await refresh(revokedByOthers.refresh_token)).status).toBe(401);
    expect((await refresh(keeper.refresh_token)).status).toBe(401);

    const other = await login(user);
    const changed = await service.call('PUT', '/change-password', {
      token: revoker.access_token,
      body: { current_password: user.password, new_password: 'EvenMoreSecure456?' },
    });
    expect(changed.status).toBe(200);
    expect((await refresh(other.refresh_token)).status).toBe(401);
    // The session that changed the password keeps its refresh token.
    expect((await refresh(revoker.refresh_token)).status).toBe(200);
  });

  it('when the refresh token is unknown, malformed or expired, then 401 with the same answer', async () => {
    const user = await registerUser(service);
    const tokens = await login(user);
    const answers = [];
    for (const presented of ['x', 'not a token at all', 'A'.repeat(43), tokens.access_token, `${tokens.refresh_token}x`, tokens.refresh_token.toUpperCase()]) {
      const res = await refresh(presented);
      answers.push({ status: res.status, body: res.body });
    }
    clock.advance(REFRESH_TTL * 1000 + 1);
    const expired = await refresh(tokens.refresh_token);
    answers.push({ status: expired.status, body: expired.body });
    for (const answer of answers) expect(answer).toEqual({ status: 401, body: { code: 401, text: 'Unauthorized', error: 'unauthorized' } });
  });

  it('when the body is not a refresh request, then 400 and the token is not spent', async () => {
    const user = await registerUser(service);
    const tokens = await login(user);
    for (const body of [{}, { refresh_token: 42 }, { refresh_token: '' }, { refresh_token: tokens.refresh_token, extra: 1 }]) {
      const res = await service.call('POST', '/token/refresh', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    expect((await refresh(tokens.refresh_token)).status).toBe(200);
  });

  it('when refreshes keep a session alive, then it still ends SESSION_MAX_LIFETIME after the login', async () => {
    const user = await registerUser(service);
    let tokens = await login(user);
    const { sid } = claimsOf(tokens.access_token);
    const loggedInAt = clock();
    for (let day = 29; day < 90; day += 29) {
      clock.advance(29 * DAY_MS);
      tokens = await refreshed(tokens.refresh_token);
    }
    // Day 87: the session may live only until day 90, and the answer says so.
    expect(tokens.refresh_expires_in).toBe(3 * 86400);
    expect(Number((await sessionRow(sid)).expires_at)).toBe(loggedInAt + MAX_LIFETIME * 1000);
    clock.advance(3 * DAY_MS - 60_000);
    // A minute before the end: the new access token expires with the session, not 30 minutes later.
    const last = await refreshed(tokens.refresh_token);
    expect(last.expires_in).toBe(60);
    expect(last.refresh_expires_in).toBe(60);
    clock.advance(60_000);
    expect((await refresh(last.refresh_token)).status).toBe(401);
    expect(await verifyStatus(service, last.access_token)).toBe(401);
  });

  it('when a user at the session limit refreshes, then it succeeds: refreshing never opens a session', async () => {
    const user = await registerUser(service);
    const sessions = [await login(user), await login(user), await login(user)];
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body.text).toBe('Too many tokens');
    for (const s of sessions) await refreshed(s.refresh_token);
    const rows = await service.db('sessions').where({ user_id: await userIdOf(service, user.username) });
    expect(rows).toHaveLength(3);
  });

  it('then no refresh token is stored: the session keeps a SHA-256 and a spent token only sealed material', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    const second = await refreshed(first.refresh_token);
    const { sid } = claimsOf(first.access_token);
    const rows = [await sessionRow(sid), ...(await service.db('spent_refresh_tokens').where({ session_id: sid }))];
    for (const row of rows) {
      for (const [column, value] of Object.entries(row as Record<string, unknown>)) {
        expect(String(value), column).not.toContain(first.refresh_token);
        expect(String(value), column).not.toContain(second.refresh_token);
      }
    }
  });
});

describe.each(databases)('refresh token reuse with the grace window off on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind, { refreshReuseGraceSeconds: 0 });
  });
  afterAll(() => service.close());

  it('when a rotated token is presented again at once, then the session ends', async () => {
    const user = await registerUser(service);
    const first = (await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body;
    const second = await service.call('POST', '/token/refresh', { body: { refresh_token: first.refresh_token } });
    expect(second.status).toBe(200);
    expect((await service.call('POST', '/token/refresh', { body: { refresh_token: first.refresh_token } })).status).toBe(401);
    expect(await verifyStatus(service, second.body.access_token)).toBe(401);
    expect((await service.call('POST', '/token/refresh', { body: { refresh_token: second.body.refresh_token } })).status).toBe(401);
  });
});
