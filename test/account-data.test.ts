import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStatus } from './auth-helpers.js';
import { seedQuestionnaire } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { expectTooManyRequests } from './support/limits.js';
import { type MailService, type ManualClock, manualClock, startServiceWithMail } from './support/service.js';
import { loginUser, registerUser, signedInUser, type TestUser, userIdOf } from './support/users.js';

const STEP = 30_000;
/** Every table that holds rows of a user, and the column naming the user. */
const USER_TABLES: [string, string][] = [
  ['users', 'id'],
  ['user_settings', 'user_id'],
  ['training_profiles', 'user_id'],
  ['workouts', 'user_id'],
  ['sessions', 'user_id'],
  ['user_tokens', 'user_id'],
  ['mail_outbox', 'user_id'],
  ['security_events', 'user_id'],
  ['totp_factors', 'user_id'],
  ['recovery_codes', 'user_id'],
  ['idempotency_keys', 'user_id'],
  ['workout_summaries', 'user_id'],
];

describe.each(databases)('deleting and exporting one’s account on %s', (kind) => {
  let service: MailService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Math.floor(Date.now() / STEP) * STEP + 1000);
    service = await startServiceWithMail(kind, { loginFailureLimit: 3, exportRateLimit: 2 }, clock);
  });
  afterAll(() => service.close());

  const rowsOf = async (userId: number) => {
    const counts: Record<string, number> = {};
    for (const [table, column] of USER_TABLES) counts[table] = (await service.db(table).where(column, userId)).length;
    return counts;
  };
  const deleteMe = (token: string, body: Record<string, unknown>) => service.call('DELETE', '/me', { token, body });

  /** A user with a session, a questionnaire, a workout, a sessions history and a log. */
  async function fullUser(): Promise<TestUser & { token: string; id: number }> {
    const user = await signedInUser(service);
    const id = await userIdOf(service, user.username);
    expect((await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire() })).status).toBe(200);
    const workout = { type: 'running', started_at: new Date(clock() - 86_400_000).toISOString(), duration_min: 30 };
    const logged = await service.call('POST', '/workouts', { token: user.token, body: workout, headers: { 'Idempotency-Key': `k-${id}` } });
    expect(logged.status).toBe(201);
    const other = await loginUser(service, user);
    expect((await service.call('POST', '/logout', { token: other })).status).toBe(200);
    // The verification mail is sent (its token minted) before the tests count rows.
    await service.mailbox.waitFor((m) => m.to.includes(user.email));
    return { ...user, id };
  }

  it('when the password is right, then every row of the user goes, every token is 401, the names are free and a confirmation mail goes out', async () => {
    const user = await fullUser();
    const second = await loginUser(service, user);
    const before = await rowsOf(user.id);
    expect(before).toMatchObject({ users: 1, user_settings: 1, training_profiles: 1, workouts: 1, sessions: 3, idempotency_keys: 1, workout_summaries: 1 });
    expect(before.security_events).toBeGreaterThan(3);
    const res = await deleteMe(user.token, { password: user.password });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Account deleted' });
    const after = await rowsOf(user.id);
    expect(Object.values(after)).toEqual(USER_TABLES.map(() => 0));
    expect(await verifyStatus(service, user.token)).toBe(401);
    expect(await verifyStatus(service, second)).toBe(401);
    const mail = await service.mailbox.waitFor((m) => m.to.includes(user.email) && m.subject === 'Your account has been deleted');
    expect(mail.text).toContain(`Hi ${user.username},`);
    // What is kept: the confirmation mail's row only, naming no user.
    const kept = await service.db('mail_outbox').where({ address: user.email, kind: 'account_deleted' });
    expect(kept.map((r) => r.user_id)).toEqual([null]);
    // The name and the address can be registered again.
    await registerUser(service, { username: user.username, email: user.email });
  });

  it('when the password is wrong, then 400, nothing is deleted, and the failures count against the account', async () => {
    const user = await fullUser();
    const before = await rowsOf(user.id);
    for (let i = 0; i < 3; i += 1) {
      expect((await deleteMe(user.token, { password: 'WrongPass123!' })).body).toEqual({
        code: 400,
        text: 'Invalid current password',
        error: 'invalid_current_password',
      });
    }
    expectTooManyRequests(await deleteMe(user.token, { password: user.password }), 15 * 60);
    const after = await rowsOf(user.id);
    // Failed attempts wrote nothing either (failed password checks of a signed-in user are not login events).
    expect(after).toEqual(before);
  });

  it('when two-factor login is on, then deletion needs a code too, and a wrong one deletes nothing', async () => {
    const user = await signedInUser(service);
    const setup = await service.call('POST', '/mfa/totp', { token: user.token });
    const code = (at: number) => new TOTP({ secret: Secret.fromBase32(setup.body.secret) }).generate({ timestamp: at });
    expect((await service.call('POST', '/mfa/totp/confirm', { token: user.token, body: { code: code(clock()) } })).status).toBe(200);
    clock.advance(STEP);
    expect((await deleteMe(user.token, { password: user.password })).body).toEqual({
      code: 400,
      text: 'Two-factor code required',
      error: 'two_factor_required',
    });
    expect((await deleteMe(user.token, { password: user.password, totp_code: '000000' })).body).toEqual({
      code: 400,
      text: 'Invalid two-factor code',
      error: 'invalid_two_factor_code',
    });
    expect(await verifyStatus(service, user.token)).toBe(200);
    expect((await deleteMe(user.token, { password: user.password, totp_code: code(clock()) })).status).toBe(200);
    expect(await verifyStatus(service, user.token)).toBe(401);
  });

  it('when a login races a deletion, then either the login fails or its session is gone with the account', async () => {
    const user = await fullUser();
    const [deleted, login] = await Promise.all([
      deleteMe(user.token, { password: user.password }),
      service.call('POST', '/login', { body: { username: user.username, password: user.password } }),
    ]);
    expect(deleted.status).toBe(200);
    if (login.status === 200) expect(await verifyStatus(service, login.body.token)).toBe(401);
    else expect(login.body.error).toBe('user_not_found');
    expect(Object.values(await rowsOf(user.id))).toEqual(USER_TABLES.map(() => 0));
  });

  it('when the caller exports, then one attachment holds the account, settings, questionnaire, workouts, sessions and log, without any secret', async () => {
    const user = await fullUser();
    const res = await service.call('GET', '/me/export', { token: user.token });
    expect(res.status).toBe(200);
    const day = new Date(clock()).toISOString().slice(0, 10);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="fitness-account-${user.username}-${day}.json"`);
    const data = res.body;
    expect(data.format).toBe('fitness-account-export/1');
    expect(data.account).toMatchObject({ id: `usr_${user.id}`, username: user.username, email: user.email, two_factor_enabled: false, plan: 'standard' });
    expect(data.settings).toEqual({ notifications: { email: true, push: false }, privacy: { profile_visibility: 'public' }, timezone: 'UTC', units: 'metric' });
    expect(data.training_profile.basic_information).toEqual(seedQuestionnaire().basic_information);
    expect(data.workouts).toHaveLength(1);
    expect(data.sessions).toHaveLength(2);
    expect(data.sessions.filter((s: { revoked_at: string | null }) => s.revoked_at !== null)).toHaveLength(1);
    expect(data.security_events[0]).toMatchObject({ type: 'account_exported', ip_address: '127.0.0.1' });
    expect(data.security_events.map((e: { type: string }) => e.type)).toEqual(expect.arrayContaining(['login_succeeded', 'logout', 'email_verification_sent']));
    const text = JSON.stringify(data);
    const hash = (await service.db('users').where({ id: user.id }).first('password_hash')).password_hash as string;
    const refresh = (await service.db('sessions').where({ user_id: user.id }).first('refresh_hash')).refresh_hash as string;
    for (const secret of [hash, '$argon2id', refresh, user.token, user.password, 'password', 'refresh', 'token_hash', 'secret'])
      expect(text).not.toContain(secret);
  });

  it('when the caller exports past EXPORT_RATE_LIMIT, then 429; another user is not affected', async () => {
    const user = await signedInUser(service);
    for (let i = 0; i < 2; i += 1) expect((await service.call('GET', '/me/export', { token: user.token })).status).toBe(200);
    expectTooManyRequests(await service.call('GET', '/me/export', { token: user.token }), 3600);
    const other = await signedInUser(service);
    expect((await service.call('GET', '/me/export', { token: other.token })).status).toBe(200);
    expect((await service.call('GET', '/me/export')).status).toBe(401);
  });
});
