import { base64url, decodeProtectedHeader, type JWTPayload, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUDIENCE, claimsFor, claimsOf, forgeToken, ISSUER, verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser, userIdOf } from './support/users.js';

const TTL = 1800;

/** Replaces the character at `index` with another one of the base64url alphabet. */
function changeCharAt(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

describe.each(databases)('token checks on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  /** A signed-in user whose live session the forged tokens point at. */
  let userId: number;
  let sessionId: string;
  let token: string;

  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, { accessTokenTtl: TTL }, clock);
    const user = await signedInUser(service);
    token = user.token;
    userId = await userIdOf(service, user.username);
    sessionId = claimsOf(token).sid;
  });
  afterAll(() => service.close());

  /** Claims as the service issues them, for the live session, at the manual clock's time. */
  const goodClaims = (): JWTPayload => claimsFor(userId, sessionId, clock(), TTL);

  it('when a token is forged with the right secret, HS256 and every claim of a live session, then it is accepted (the control case)', async () => {
    expect(await verifyStatus(service, await forgeToken(service, goodClaims()))).toBe(200);
    expect(await verifyStatus(service, token)).toBe(200);
  });

  it('when the token has alg "none" and no signature, then 401', async () => {
    const unsigned = new UnsecuredJWT(goodClaims()).encode();
    expect(unsigned.endsWith('.')).toBe(true);
    expect(await verifyStatus(service, unsigned)).toBe(401);
    // The same with the real token's payload and its signature dropped.
    const [, payload] = token.split('.');
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${payload}.`;
    expect(await verifyStatus(service, none)).toBe(401);
  });

  it.each(['HS384', 'HS512'])('when the token is signed with %s and the right secret, then 401 (only HS256 is accepted)', async (alg) => {
    expect(await verifyStatus(service, await forgeToken(service, goodClaims(), { alg }))).toBe(401);
  });

  it('when the payload is changed and the signature kept, then 401', async () => {
    const other = await registerUser(service);
    const otherId = await userIdOf(service, other.username);
    const [header, , signature] = token.split('.');
    const tampered = { ...claimsOf(token), sub: String(otherId), is_admin: true };
    const forged = `${header}.${base64url.encode(JSON.stringify(tampered))}.${signature}`;
    expect(await verifyStatus(service, forged)).toBe(401);
    // The untouched token still works: the refusal is the tampering's.
    expect(await verifyStatus(service, token)).toBe(200);
  });

  it('when a signature byte is changed, then 401', async () => {
    const [header, payload, signature = ''] = token.split('.');
    // Change characters in the middle: the last one carries unused padding bits.
    for (const index of [0, 10, 20]) {
      expect(await verifyStatus(service, `${header}.${payload}.${changeCharAt(signature, index)}`)).toBe(401);
    }
    expect(await verifyStatus(service, `${header}.${payload}.`)).toBe(401);
  });

  it('when the token has no exp, then 401', async () => {
    const { exp: _exp, ...withoutExp } = goodClaims();
    expect(await verifyStatus(service, await forgeToken(service, withoutExp))).toBe(401);
  });

  it.each(['sub', 'sid', 'jti', 'iat'])('when the token has no %s, then 401', async (claim) => {
    const claims: JWTPayload = { ...goodClaims() };
    delete claims[claim];
    expect(await verifyStatus(service, await forgeToken(service, claims))).toBe(401);
  });

  it('when the token is signed correctly but its exp has passed while its session is live, then 401', async () => {
    const past = claimsFor(userId, sessionId, clock() - (TTL + 60) * 1000, TTL);
    expect(await verifyStatus(service, await forgeToken(service, past))).toBe(401);
  });

  it('when the token carries a jwk header, then 401', async () => {
    const jwk = { kty: 'oct', k: base64url.encode(service.config.jwtSecret) };
    expect(await verifyStatus(service, await forgeToken(service, goodClaims(), { header: { jwk } }))).toBe(401);
  });

  it('when the token carries a jku header, then 401', async () => {
    const header = { jku: 'https://attacker.example/jwks.json', kid: 'k1' };
    expect(await verifyStatus(service, await forgeToken(service, goodClaims(), { header }))).toBe(401);
  });

  it.each<[string, Record<string, unknown>]>([
    ['x5u', { x5u: 'https://attacker.example/cert.pem' }],
    ['x5c', { x5c: ['MIIBszCCAVmgAwIBAgIUTXJ0ZXN0'] }],
    ['x5t', { x5t: 'dGh1bWJwcmludA' }],
    ['x5t#S256', { 'x5t#S256': 'c2hhMjU2LXRodW1icHJpbnQ' }],
    ['kid', { kid: 'k1' }],
    ['crit (b64, which jose accepts)', { crit: ['b64'], b64: true }],
    ['cty', { cty: 'JWT' }],
    ['unknown', { nonce: 'anything' }],
  ])('when a token signed with the right secret carries a %s header, then 401', async (_name, header) => {
    const forged = await forgeToken(service, goodClaims(), { header });
    expect(decodeProtectedHeader(forged)).toEqual({ alg: 'HS256', typ: 'JWT', ...header });
    expect(await verifyStatus(service, forged)).toBe(401);
  });

  it('when the issuer is wrong or missing, then 401', async () => {
    expect(await verifyStatus(service, await forgeToken(service, { ...goodClaims(), iss: 'someone-else' }))).toBe(401);
    const { iss: _iss, ...withoutIss } = goodClaims();
    expect(await verifyStatus(service, await forgeToken(service, withoutIss))).toBe(401);
  });

  it('when the audience is wrong or missing, then 401', async () => {
    expect(await verifyStatus(service, await forgeToken(service, { ...goodClaims(), aud: 'another-app' }))).toBe(401);
    const { aud: _aud, ...withoutAud } = goodClaims();
    expect(await verifyStatus(service, await forgeToken(service, withoutAud))).toBe(401);
  });

  it('when the token is signed with another secret, then 401', async () => {
    const secret = 'another-secret-that-is-long-enough-for-hs256-98765';
    expect(await verifyStatus(service, await forgeToken(service, goodClaims(), { secret }))).toBe(401);
  });

  it('when the signature is valid but the sid names no session, then 401', async () => {
    const claims = { ...goodClaims(), sid: 'sess_doesNotExist0123456789' };
    expect(await verifyStatus(service, await forgeToken(service, claims))).toBe(401);
  });

  it("when the signature is valid but sub is not the session's user, then 401", async () => {
    const other = await registerUser(service);
    const claims = { ...goodClaims(), sub: String(await userIdOf(service, other.username)) };
    expect(await verifyStatus(service, await forgeToken(service, claims))).toBe(401);
    expect(await verifyStatus(service, await forgeToken(service, { ...goodClaims(), sub: 'usr_1' }))).toBe(401);
  });

  it('when the Authorization header is missing, uses another scheme or is not a token, then 401', async () => {
    const missing = await service.call('GET', '/verify-token');
    expect(missing.status).toBe(401);
    expect(missing.body).toEqual({ code: 401, text: expect.any(String), error: expect.any(String) });
    const basic = await service.call('GET', '/verify-token', { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    expect(basic.status).toBe(401);
    const bare = await service.call('GET', '/verify-token', { headers: { authorization: token } });
    expect(bare.status).toBe(401);
    const empty = await service.call('GET', '/verify-token', { headers: { authorization: 'Bearer ' } });
    expect(empty.status).toBe(401);
    const garbage = await service.call('GET', '/verify-token', { token: 'not-a-jwt' });
    expect(garbage.status).toBe(401);
  });

  it('when a forged token is refused, then every protected endpoint refuses it too', async () => {
    const forged = await forgeToken(service, goodClaims(), { alg: 'HS512' });
    expect((await service.call('GET', '/active-sessions', { token: forged })).status).toBe(401);
    expect((await service.call('POST', '/logout', { token: forged })).status).toBe(401);
    expect(
      (await service.call('PUT', '/change-password', { token: forged, body: { current_password: 'SecurePass123!', new_password: 'Another123!' } })).status,
    ).toBe(401);
    expect(await verifyStatus(service, token)).toBe(200);
  });
});

describe.each(databases)('token expiry on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, { accessTokenTtl: TTL }, clock);
  });
  afterAll(() => service.close());

  it('when the clock passes the TTL, then the token is 401; one second before, it was still valid', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    clock.advance((TTL - 1) * 1000);
    const before = await service.call('GET', '/verify-token', { token });
    expect(before.status).toBe(200);
    expect(before.body.expires_in).toBe(1);
    clock.advance(2000);
    expect(await verifyStatus(service, token)).toBe(401);
    expect((await service.call('GET', '/active-sessions', { token })).status).toBe(401);
    expect((await service.call('POST', '/logout', { token })).status).toBe(401);
  });

  it('when a token that was already accepted reaches exactly its exp, then it is 401', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    const { exp } = claimsOf(token);
    clock.advance(exp * 1000 - clock() - 1);
    expect(await verifyStatus(service, token)).toBe(200);
    clock.advance(1);
    expect(await verifyStatus(service, token)).toBe(401);
  });

  it('when a forged token is still within its exp but its session has expired, then 401', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    const { sid, sub } = claimsOf(token);
    // A session lasts REFRESH_TOKEN_TTL after its last login or refresh.
    clock.advance((service.config.refreshTokenTtl + 10) * 1000);
    const fresh = claimsFor(Number(sub), sid, clock(), TTL);
    expect(fresh).toMatchObject({ iss: ISSUER, aud: AUDIENCE });
    expect(await verifyStatus(service, await forgeToken(service, fresh))).toBe(401);
  });
});
