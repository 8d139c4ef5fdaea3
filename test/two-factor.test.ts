import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDataCipher } from '../src/data-cipher.js';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { expectTooManyRequests } from './support/limits.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { registerUser, signedInUser, type TestUser, userIdOf } from './support/users.js';

const STEP = 30_000;
const INVALID = { code: 400, text: 'Invalid two-factor code', error: 'invalid_two_factor_code' };
const REQUIRED = { code: 400, text: 'Two-factor code required', error: 'two_factor_required' };

describe('the data cipher', () => {
  it('when a value is encrypted, then only the same key and context open it, and each encryption differs', () => {
    const cipher = createDataCipher(Buffer.alloc(32, 1));
    const box = cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp:1');
    expect(box).toMatch(/^v1\.[A-Za-z0-9_-]+$/);
    expect(box).not.toContain('JBSWY3DPEHPK3PXP');
    expect(cipher.encrypt('JBSWY3DPEHPK3PXP', 'totp:1')).not.toBe(box);
    expect(cipher.decrypt(box, 'totp:1')).toBe('JBSWY3DPEHPK3PXP');
    expect(() => cipher.decrypt(box, 'totp:2')).toThrow('did not decrypt');
    expect(() => createDataCipher(Buffer.alloc(32, 2)).decrypt(box, 'totp:1')).toThrow('did not decrypt');
    expect(() => cipher.decrypt('v0.abc', 'totp:1')).toThrow('unknown encrypted value format');
    expect(() => createDataCipher(Buffer.alloc(16))).toThrow('32 bytes');
  });
});

describe.each(databases)('two-factor login on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    // Whole steps, so "the next step" is exactly STEP away.
    clock = manualClock(Math.floor(Date.now() / STEP) * STEP + 1000);
    service = await startService(kind, { loginFailureLimit: 5 }, clock);
  });
  afterAll(() => service.close());

  const codeAt = (secret: string, at: number) => new TOTP({ secret: Secret.fromBase32(secret) }).generate({ timestamp: at });
  const login = (user: TestUser, extra: Record<string, unknown> = {}) =>
    service.call('POST', '/login', { body: { username: user.username, password: user.password, ...extra } });

  /** A user with two-factor login on: its secret and recovery codes. */
  async function enrolled() {
    const user = await signedInUser(service);
    const setup = await service.call('POST', '/mfa/totp', { token: user.token });
    expect(setup.status).toBe(200);
    const confirmed = await service.call('POST', '/mfa/totp/confirm', { token: user.token, body: { code: codeAt(setup.body.secret, clock()) } });
    expect(confirmed.status).toBe(200);
    // The confirming code is spent; logins use the next step's.
    clock.advance(STEP);
    return { user, secret: setup.body.secret as string, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  it('when a setup starts, then the secret comes as base32, an otpauth URI and an SVG QR code, stored only encrypted', async () => {
    const user = await signedInUser(service);
    const res = await service.call('POST', '/mfa/totp', { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(res.body.otpauth_uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(`${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(`totp/Fitness App:${user.username}`);
    expect(Object.fromEntries(uri.searchParams)).toEqual({ issuer: 'Fitness App', secret: res.body.secret, algorithm: 'SHA1', digits: '6', period: '30' });
    expect(res.body.qr_code).toMatch(/^data:image\/svg\+xml;base64,/);
    const svg = Buffer.from(res.body.qr_code.split(',')[1], 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    const row = await service
      .db('totp_factors')
      .where({ user_id: await userIdOf(service, user.username) })
      .first();
    expect(row.secret_box).toMatch(/^v1\./);
    expect(row.secret_box).not.toContain(res.body.secret);
    expect(row.confirmed_at).toBeNull();
    // Not on until confirmed.
    expect((await login(user)).status).toBe(200);
  });

  it('when 10 setups of one user race, then each is answered 200 and one pending secret is kept: the last one written', async () => {
    const user = await signedInUser(service);
    const results = await Promise.all(Array.from({ length: 10 }, () => service.call('POST', '/mfa/totp', { token: user.token })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    const rows = await service.db('totp_factors').where({ user_id: await userIdOf(service, user.username) });
    expect(rows).toHaveLength(1);
    const secrets = results.map((r) => r.body.secret as string);
    const stored = createDataCipher(service.config.dataEncryptionKey).decrypt(rows[0].secret_box, `totp:${rows[0].user_id}`);
    expect(secrets).toContain(stored);
    expect((await service.call('POST', '/mfa/totp/confirm', { token: user.token, body: { code: codeAt(stored, clock()) } })).status).toBe(200);
  });

  it('when the setup is confirmed with a wrong code or without a setup, then 400 or 409 and it stays off', async () => {
    const user = await signedInUser(service);
    expect((await service.call('POST', '/mfa/totp/confirm', { token: user.token, body: { code: '123456' } })).body).toEqual({
      code: 409,
      text: 'No two-factor setup to confirm',
      error: 'two_factor_setup_missing',
    });
    const setup = await service.call('POST', '/mfa/totp', { token: user.token });
    const wrong = String((Number(codeAt(setup.body.secret, clock())) + 1) % 1_000_000).padStart(6, '0');
    expect((await service.call('POST', '/mfa/totp/confirm', { token: user.token, body: { code: wrong } })).body).toEqual(INVALID);
    expect((await login(user)).status).toBe(200);
  });

  it('when two-factor login is on, then the password alone is 400 "Two-factor code required", and the current code logs in', async () => {
    const { user, secret, recoveryCodes } = await enrolled();
    expect(recoveryCodes).toHaveLength(10);
    for (const code of recoveryCodes) expect(code).toMatch(/^[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}$/);
    expect(new Set(recoveryCodes).size).toBe(10);
    expect((await login(user)).body).toEqual(REQUIRED);
    const ok = await login(user, { totp_code: codeAt(secret, clock()) });
    expect(ok.status).toBe(200);
    expect(await verifyStatus(service, ok.body.token)).toBe(200);
  });

  it('when a code is used twice, or an older step follows a newer one, then the second is refused: no replay within the window', async () => {
    const { user, secret } = await enrolled();
    const code = codeAt(secret, clock());
    expect((await login(user, { totp_code: code })).status).toBe(200);
    expect((await login(user, { totp_code: code })).body).toEqual(INVALID);
    clock.advance(STEP);
    expect((await login(user, { totp_code: codeAt(secret, clock() - STEP) })).body).toEqual(INVALID);
    expect((await login(user, { totp_code: codeAt(secret, clock()) })).status).toBe(200);
  });

  it('when the phone clock is one step off either way, then the code works; two steps off, it does not', async () => {
    const { user, secret } = await enrolled();
    expect((await login(user, { totp_code: codeAt(secret, clock() - 2 * STEP) })).body).toEqual(INVALID);
    expect((await login(user, { totp_code: codeAt(secret, clock() + STEP) })).status).toBe(200);
    clock.advance(3 * STEP);
    expect((await login(user, { totp_code: codeAt(secret, clock() + 2 * STEP) })).body).toEqual(INVALID);
    expect((await login(user, { totp_code: codeAt(secret, clock() - STEP) })).status).toBe(200);
  });

  it('when 5 logins race with one code, then exactly one gets a session', async () => {
    const { user, secret } = await enrolled();
    const code = codeAt(secret, clock());
    // As many as the failure limit lets through at once.
    const results = await Promise.all(Array.from({ length: 5 }, () => login(user, { totp_code: code })));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.body.error === 'invalid_two_factor_code')).toHaveLength(4);
    // Each loser is a failed login in the log, whether it lost at the check or at the spend.
    const failures = await service.db('security_events').where({ user_id: await userIdOf(service, user.username), type: 'login_failed' });
    expect(failures).toHaveLength(4);
  });

  it('when a recovery code logs in, then it works once, in any letter case and without dashes', async () => {
    const { user, recoveryCodes } = await enrolled();
    const [first, second] = recoveryCodes as [string, string];
    expect((await login(user, { recovery_code: first })).status).toBe(200);
    expect((await login(user, { recovery_code: first })).body).toEqual(INVALID);
    expect((await login(user, { recovery_code: second.toUpperCase().replace(/-/g, '') })).status).toBe(200);
    expect((await login(user, { recovery_code: 'aaaa-bbbb-cccc-dddd' })).body).toEqual(INVALID);
    const rows = await service.db('recovery_codes').where({ user_id: await userIdOf(service, user.username) });
    expect(rows).toHaveLength(10);
    expect(rows.filter((r) => r.used_at !== null)).toHaveLength(2);
    for (const row of rows) expect(recoveryCodes).not.toContain(row.code_hash);
  });

  it('when wrong codes are guessed, then they count as failed logins: 429 after the limit, even with the right code', async () => {
    const { user, secret } = await enrolled();
    for (let i = 0; i < 5; i += 1) expect((await login(user, { totp_code: '000000' })).body).toEqual(INVALID);
    expectTooManyRequests(await login(user, { totp_code: codeAt(secret, clock()) }), 15 * 60);
    const events = await service.db('security_events').where({ user_id: await userIdOf(service, user.username), type: 'login_failed' });
    expect(events).toHaveLength(5);
  });

  it('when a setup is asked again while it is on, then 409; turning it off needs the password and a code', async () => {
    const { user, secret } = await enrolled();
    const token = (await login(user, { totp_code: codeAt(secret, clock()) })).body.token as string;
    clock.advance(STEP);
    expect((await service.call('POST', '/mfa/totp', { token })).body).toEqual({
      code: 409,
      text: 'Two-factor login is already on',
      error: 'two_factor_already_enabled',
    });
    const off = (password: string, code: string) => service.call('DELETE', '/mfa/totp', { token, body: { password, code } });
    expect((await off('WrongPass123!', codeAt(secret, clock()))).body).toEqual({
      code: 400,
      text: 'Invalid current password',
      error: 'invalid_current_password',
    });
    expect((await off(user.password, '000000')).body).toEqual(INVALID);
    expect((await off(user.password, codeAt(secret, clock()))).body).toEqual({ message: 'Two-factor login turned off' });
    expect((await off(user.password, codeAt(secret, clock()))).body).toEqual({ code: 409, text: 'Two-factor login is off', error: 'two_factor_not_enabled' });
    expect((await login(user)).status).toBe(200);
    const id = await userIdOf(service, user.username);
    expect(await service.db('totp_factors').where({ user_id: id })).toEqual([]);
    expect(await service.db('recovery_codes').where({ user_id: id })).toEqual([]);
    const types = (await service.db('security_events').where({ user_id: id }).orderBy('id')).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('two_factor'))).toEqual(['two_factor_enabled', 'two_factor_disabled']);
  });

  it('when a recovery code turns it off, then that works too', async () => {
    const { user, recoveryCodes } = await enrolled();
    const token = (await login(user, { recovery_code: recoveryCodes[0] })).body.token as string;
    const res = await service.call('DELETE', '/mfa/totp', { token, body: { password: user.password, code: recoveryCodes[1] } });
    expect(res.status).toBe(200);
  });

  it('when an account never turned it on, then the code fields change nothing: the seed clients see no difference', async () => {
    const user = await registerUser(service);
    expect((await login(user, { totp_code: '000000' })).status).toBe(200);
    expect((await login(user, { recovery_code: 'aaaa-bbbb-cccc-dddd' })).status).toBe(200);
    const bad = await login(user, { totp_code: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field)).toEqual(['/body/totp_code']);
  });
});
