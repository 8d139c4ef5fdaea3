import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimsOf, verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser, type TestUser, userIdOf } from './support/users.js';

const TTL = 1800;
/** Sessions outlive their access tokens: they last REFRESH_TOKEN_TTL from the last login or refresh. */
const SESSION_TTL = 7200;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

interface ListedSession {
  session_id: string;
  token: string;
  created_at: string;
  expires_at: string;
  last_used_at: string;
  user_agent: string | null;
  ip_address: string | null;
  current: boolean;
}

describe.each(databases)('sessions on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, { accessTokenTtl: TTL, refreshTokenTtl: SESSION_TTL }, clock);
  });
  afterAll(() => service.close());

  async function loginAnswer(user: TestUser, userAgent = 'FitnessApp/1.0 (test)') {
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password }, headers: { 'user-agent': userAgent } });
    expect(res.status).toBe(200);
    return res.body as { token: string; refresh_token: string };
  }

  async function login(user: TestUser, userAgent?: string): Promise<string> {
    return (await loginAnswer(user, userAgent)).token;
  }

  async function listSessions(token: string): Promise<ListedSession[]> {
    const res = await service.call('GET', '/active-sessions', { token });
    expect(res.status).toBe(200);
    return res.body.sessions as ListedSession[];
  }

  describe('the sessions table', () => {
    it('when a user logs in, then a row is written with the first 10 characters of the token and neither token is stored anywhere in it', async () => {
      const user = await registerUser(service);
      const { token, refresh_token: refreshToken } = await loginAnswer(user, 'RowCheck/2.0');
      const { sid } = claimsOf(token);
      const rows = await service.db('sessions').where({ user_id: await userIdOf(service, user.username) });
      expect(rows).toHaveLength(1);
      const row = rows[0] as Record<string, unknown>;
      expect(row.id).toBe(sid);
      expect(row.token_prefix).toBe(token.slice(0, 10));
      expect(Number(row.created_at)).toBe(clock());
      expect(Number(row.last_used_at)).toBe(clock());
      expect(Number(row.expires_at)).toBe(clock() + SESSION_TTL * 1000);
      expect(claimsOf(token).exp * 1000).toBe(clock() + TTL * 1000);
      expect(row.refresh_hash).toBe(createHash('sha256').update(refreshToken).digest('hex'));
      expect(row.revoked_at).toBeNull();
      expect(row.user_agent).toBe('RowCheck/2.0');
      expect(row.ip_address).toMatch(/127\.0\.0\.1$/);
      const [, payload = '', signature = ''] = token.split('.');
      for (const [column, value] of Object.entries(row)) {
        const text = String(value);
        expect(text, column).not.toContain(token);
        expect(text, column).not.toContain(payload);
        expect(text, column).not.toContain(signature);
        expect(text, column).not.toContain(refreshToken);
      }
    });

    it('when a user logs in three times, then there are three rows, each with its own id', async () => {
      const user = await registerUser(service);
      const tokens = [await login(user), await login(user), await login(user)];
      const rows = await service.db('sessions').where({ user_id: await userIdOf(service, user.username) });
      expect(rows).toHaveLength(3);
      expect(new Set(rows.map((r: { id: string }) => r.id))).toEqual(new Set(tokens.map((t) => claimsOf(t).sid)));
      for (const row of rows) expect(row.token_prefix).toHaveLength(10);
    });
  });

  describe('GET /verify-token', () => {
    it('when the token is fresh, then it is valid for the whole TTL and names the user as usr_<id>', async () => {
      const user = await signedInUser(service);
      const res = await service.call('GET', '/verify-token', { token: user.token });
      expect(res.status).toBe(200);
      const claims = claimsOf(user.token);
      expect(res.body).toEqual({
        token_status: 'valid',
        expires_in: TTL,
        user_info: { username: user.username, user_id: `usr_${await userIdOf(service, user.username)}`, is_admin: false, email_verified: false },
        token_metadata: {
          issued_at: new Date(claims.iat * 1000).toISOString().replace('.000Z', 'Z'),
          expires_at: new Date(claims.exp * 1000).toISOString().replace('.000Z', 'Z'),
        },
      });
      expect(res.body.token_metadata.issued_at).toMatch(ISO_UTC);
      expect(res.body.token_metadata.expires_at).toMatch(ISO_UTC);
    });

    it("when time passes, then expires_in counts down and the metadata stays the token's", async () => {
      const user = await signedInUser(service);
      clock.advance(100_000);
      const res = await service.call('GET', '/verify-token', { token: user.token });
      expect(res.status).toBe(200);
      expect(res.body.expires_in).toBe(TTL - 100);
      expect(res.body.expires_in).toBeLessThanOrEqual(TTL);
      expect(Date.parse(res.body.token_metadata.expires_at) / 1000).toBe(claimsOf(user.token).exp);
      expect(Date.parse(res.body.token_metadata.issued_at) / 1000).toBe(claimsOf(user.token).iat);
    });
  });

  describe('GET /active-sessions', () => {
    it("when a user has several sessions, then only that user's active ones are listed, masked, with exactly one current", async () => {
      const user = await registerUser(service);
      const other = await signedInUser(service);
      const tokens = [await login(user, 'Phone/1'), await login(user, 'Laptop/2'), await login(user, 'Tablet/3')];
      const revoked = await login(user, 'Old/0');
      expect((await service.call('POST', '/logout', { token: revoked })).status).toBe(200);

      const caller = tokens[1] as string;
      const sessions = await listSessions(caller);
      expect(sessions.map((s) => s.session_id).sort()).toEqual(tokens.map((t) => claimsOf(t).sid).sort());
      expect(sessions.map((s) => s.session_id)).not.toContain(claimsOf(other.token).sid);
      expect(sessions.map((s) => s.session_id)).not.toContain(claimsOf(revoked).sid);
      for (const s of sessions) {
        expect(s.token).toMatch(/^.{10}\.\.\.$/);
        const full = tokens.find((t) => claimsOf(t).sid === s.session_id) as string;
        expect(s.token).toBe(`${full.slice(0, 10)}...`);
        expect(s.created_at).toMatch(ISO_UTC);
        expect(s.expires_at).toMatch(ISO_UTC);
        expect(s.ip_address).toMatch(/127\.0\.0\.1$/);
      }
      expect(sessions.map((s) => s.user_agent).sort()).toEqual(['Laptop/2', 'Phone/1', 'Tablet/3']);
      const current = sessions.filter((s) => s.current);
      expect(current).toHaveLength(1);
      expect(current[0]?.session_id).toBe(claimsOf(caller).sid);

      // Asked with another of the user's tokens, the mark moves with the caller.
      const fromFirst = await listSessions(tokens[0] as string);
      expect(fromFirst.filter((s) => s.current).map((s) => s.session_id)).toEqual([claimsOf(tokens[0] as string).sid]);

      const otherSessions = await listSessions(other.token);
      expect(otherSessions.map((s) => s.session_id)).toEqual([claimsOf(other.token).sid]);
    });

    it('then the sessions are listed newest first, with their own creation, last use and expiry times (REFRESH_TOKEN_TTL after the login)', async () => {
      const user = await registerUser(service);
      const first = await login(user);
      clock.advance(60_000);
      const second = await login(user);
      clock.advance(60_000);
      const third = await login(user);
      const sessions = await listSessions(first);
      expect(sessions.map((s) => s.session_id)).toEqual([third, second, first].map((t) => claimsOf(t).sid));
      for (const s of sessions) {
        const token = [first, second, third].find((t) => claimsOf(t).sid === s.session_id) as string;
        expect(Date.parse(s.expires_at) / 1000).toBe(claimsOf(token).iat + SESSION_TTL);
        expect(Date.parse(s.created_at) / 1000).toBe(claimsOf(token).iat);
        expect(s.last_used_at).toBe(s.created_at);
      }
    });

    it('when a session has expired, then it is not listed', async () => {
      const user = await registerUser(service);
      const old = await login(user);
      clock.advance((SESSION_TTL - 10) * 1000);
      const fresh = await login(user);
      clock.advance(20_000);
      expect(await verifyStatus(service, old)).toBe(401);
      const sessions = await listSessions(fresh);
      expect(sessions.map((s) => s.session_id)).toEqual([claimsOf(fresh).sid]);
    });
  });

  describe('DELETE /active-sessions/{session_id}', () => {
    it('when the caller revokes one of their other sessions, then that token is 401 at once and the rest still work', async () => {
      const user = await registerUser(service);
      const [a, b, c] = [await login(user), await login(user), await login(user)] as [string, string, string];
      const res = await service.call('DELETE', `/active-sessions/${claimsOf(b).sid}`, { token: a });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Session revoked', session_id: claimsOf(b).sid });
      expect(await verifyStatus(service, b)).toBe(401);
      expect(await verifyStatus(service, a)).toBe(200);
      expect(await verifyStatus(service, c)).toBe(200);
      expect((await listSessions(a)).map((s) => s.session_id).sort()).toEqual([claimsOf(a).sid, claimsOf(c).sid].sort());
      const again = await service.call('DELETE', `/active-sessions/${claimsOf(b).sid}`, { token: a });
      expect(again.status).toBe(404);
    });

    it('when the caller revokes their own current session, then their token is 401', async () => {
      const user = await signedInUser(service);
      const res = await service.call('DELETE', `/active-sessions/${claimsOf(user.token).sid}`, { token: user.token });
      expect(res.status).toBe(200);
      expect(await verifyStatus(service, user.token)).toBe(401);
    });

    it("when the id is another user's session, then 404 and that session still works", async () => {
      const attacker = await signedInUser(service);
      const victim = await signedInUser(service);
      const res = await service.call('DELETE', `/active-sessions/${claimsOf(victim.token).sid}`, { token: attacker.token });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ code: 404, text: expect.any(String), error: expect.any(String) });
      expect(await verifyStatus(service, victim.token)).toBe(200);
      const row = await service
        .db('sessions')
        .where({ id: claimsOf(victim.token).sid })
        .first();
      expect(row.revoked_at).toBeNull();
    });

    it('when the id is unknown, then 404', async () => {
      const user = await signedInUser(service);
      const res = await service.call('DELETE', '/active-sessions/sess_unknownSession0123456', { token: user.token });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe(404);
    });

    it('when the id is malformed, then 400', async () => {
      const user = await signedInUser(service);
      for (const id of ['abc', 'sess_bad!chars!here', `sess_${'x'.repeat(80)}`]) {
        const res = await service.call('DELETE', `/active-sessions/${encodeURIComponent(id)}`, { token: user.token });
        expect(res.status).toBe(400);
        expect(res.body.code).toBe(400);
      }
      expect(await verifyStatus(service, user.token)).toBe(200);
    });

    it('when no token is sent, then 401', async () => {
      const user = await signedInUser(service);
      const res = await service.call('DELETE', `/active-sessions/${claimsOf(user.token).sid}`);
      expect(res.status).toBe(401);
      expect(await verifyStatus(service, user.token)).toBe(200);
    });
  });

  describe('POST /logout', () => {
    it('when a user with three sessions logs out, then remaining_sessions counts the other active ones and the token is dead everywhere', async () => {
      const user = await registerUser(service);
      const [a, b, c] = [await login(user), await login(user), await login(user)] as [string, string, string];
      const res = await service.call('POST', '/logout', { token: a });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ message: 'Successfully logged out', details: { session_terminated: true, remaining_sessions: 2 } });

      expect((await service.call('POST', '/logout', { token: a })).status).toBe(401);
      expect(await verifyStatus(service, a)).toBe(401);
      expect((await service.call('GET', '/active-sessions', { token: a })).status).toBe(401);
      expect((await service.call('DELETE', `/active-sessions/${claimsOf(b).sid}`, { token: a })).status).toBe(401);
      expect(
        (await service.call('PUT', '/change-password', { token: a, body: { current_password: user.password, new_password: 'NewSecret456!' } })).status,
      ).toBe(401);
      expect(await verifyStatus(service, b)).toBe(200);

      const second = await service.call('POST', '/logout', { token: b });
      expect(second.body.details.remaining_sessions).toBe(1);
      const last = await service.call('POST', '/logout', { token: c });
      expect(last.body).toEqual({ message: 'Successfully logged out', details: { session_terminated: true, remaining_sessions: 0 } });
      expect(await verifyStatus(service, c)).toBe(401);
    });

    it('when other sessions have expired, then remaining_sessions does not count them', async () => {
      const user = await registerUser(service);
      await login(user);
      clock.advance((SESSION_TTL - 10) * 1000);
      const fresh = await login(user);
      const kept = await login(user);
      clock.advance(20_000);
      const res = await service.call('POST', '/logout', { token: fresh });
      expect(res.body.details.remaining_sessions).toBe(1);
      expect(await verifyStatus(service, kept)).toBe(200);
    });

    it('when no token is sent, then 401', async () => {
      expect((await service.call('POST', '/logout')).status).toBe(401);
    });
  });
});

describe.each(databases)('enterprise plan on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind, { maxSessionsPerUser: 3 });
  });
  afterAll(() => service.close());

  it('when an enterprise user logs in past the limit, then every login succeeds and logout reports remaining_sessions -1', async () => {
    const user = await registerUser(service);
    await service.db('users').where({ username: user.username }).update({ plan: 'enterprise' });
    const tokens: string[] = [];
    for (let i = 0; i < 5; i += 1) tokens.push(await loginUser(service, user));
    for (const token of tokens) expect(await verifyStatus(service, token)).toBe(200);
    const res = await service.call('POST', '/logout', { token: tokens[0] });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Successfully logged out', details: { session_terminated: true, remaining_sessions: -1 } });
    expect(await verifyStatus(service, tokens[0] as string)).toBe(401);
    expect(await verifyStatus(service, tokens[1] as string)).toBe(200);
  });

  it('when a standard user logs out on the same service, then remaining_sessions is a real count (the control case)', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    await loginUser(service, user);
    const res = await service.call('POST', '/logout', { token });
    expect(res.body.details.remaining_sessions).toBe(1);
  });
});
