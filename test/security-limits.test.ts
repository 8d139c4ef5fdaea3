import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { expectTooManyRequests, forwardedFor } from './support/limits.js';
import { type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser, uniqueName, userIdOf } from './support/users.js';

const FAILURES = 3;
const PASSWORD_LIMIT = 4;
const PUBLIC_LIMIT = 6;
const NEW_PASSWORD = 'EvenMoreSecure456?';

describe.each(databases)('limits on password checks and public lookups on %s', (kind) => {
  const started: Service[] = [];
  async function start(overrides: Partial<Config>): Promise<Service> {
    const service = await startService(kind, { trustProxy: 1, ...overrides });
    started.push(service);
    return service;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  const changePassword = (service: Service, token: string, current: string, ip = '198.51.100.1') =>
    service.call('PUT', '/change-password', { token, body: { current_password: current, new_password: NEW_PASSWORD }, headers: forwardedFor(ip) });

  it('when a stolen token guesses the current password, then the failures count like failed logins: 429 after the limit, even for the right password', async () => {
    const service = await start({ loginFailureLimit: FAILURES });
    const user = await signedInUser(service);
    for (let i = 0; i < FAILURES; i += 1) {
      const res = await changePassword(service, user.token, `Guess${i}Wrong!`);
      expect(res.body).toEqual({ code: 400, text: 'Invalid current password', error: 'invalid_current_password' });
    }
    expectTooManyRequests(await changePassword(service, user.token, user.password), 15 * 60);
    // The password did not change, and the owner logs in from elsewhere.
    const owner = await service.call('POST', '/login', { body: { username: user.username, password: user.password }, headers: forwardedFor('198.51.100.2') });
    expect(owner.status).toBe(200);
  });

  it('when password guesses through change-password and login come from one IP, then they share one failure budget', async () => {
    const service = await start({ loginFailureLimit: FAILURES });
    const user = await signedInUser(service);
    await changePassword(service, user.token, 'GuessOneWrong!', '198.51.100.3');
    for (let i = 0; i < FAILURES - 1; i += 1) {
      const res = await service.call('POST', '/login', { body: { username: user.username, password: 'WrongPass123!' }, headers: forwardedFor('198.51.100.3') });
      expect(res.status).toBe(400);
    }
    const locked = await service.call('POST', '/login', { body: { username: user.username, password: user.password }, headers: forwardedFor('198.51.100.3') });
    expectTooManyRequests(locked, 15 * 60);
  });

  it('when the right current password follows a wrong one, then the change succeeds and the budget is given back', async () => {
    const service = await start({ loginFailureLimit: FAILURES });
    const user = await signedInUser(service);
    for (let i = 0; i < FAILURES - 1; i += 1) expect((await changePassword(service, user.token, 'GuessWrong1!')).status).toBe(400);
    expect((await changePassword(service, user.token, user.password)).status).toBe(200);
    for (let i = 0; i < FAILURES - 1; i += 1) {
      const res = await service.call('POST', '/login', { body: { username: user.username, password: 'WrongPass123!' }, headers: forwardedFor('198.51.100.1') });
      expect(res.status).toBe(400);
    }
  });

  it('when one user sends change-password past PASSWORD_RATE_LIMIT from several IPs, then it is 429 per user and the RateLimit headers count down', async () => {
    const service = await start({ passwordRateLimit: PASSWORD_LIMIT });
    const user = await signedInUser(service);
    for (let i = 0; i < PASSWORD_LIMIT; i += 1) {
      const res = await changePassword(service, user.token, 'GuessWrong1!', `198.51.100.${10 + i}`);
      expect(res.status).toBe(400);
      expect(res.headers.get('ratelimit-limit')).toBe(String(PASSWORD_LIMIT));
      expect(res.headers.get('ratelimit-remaining')).toBe(String(PASSWORD_LIMIT - 1 - i));
    }
    expectTooManyRequests(await changePassword(service, user.token, user.password, '198.51.100.30'), 60);
    expect(await verifyStatus(service, user.token)).toBe(200);
  });

  it('when many users change passwords from one IP, then that IP is 429 past PASSWORD_RATE_LIMIT while another IP is served', async () => {
    const service = await start({ passwordRateLimit: PASSWORD_LIMIT });
    const users = await Promise.all(Array.from({ length: PASSWORD_LIMIT + 1 }, () => signedInUser(service)));
    for (const user of users.slice(0, PASSWORD_LIMIT)) expect((await changePassword(service, user.token, 'GuessWrong1!', '198.51.100.40')).status).toBe(400);
    const last = users[PASSWORD_LIMIT] as (typeof users)[number];
    expectTooManyRequests(await changePassword(service, last.token, last.password, '198.51.100.40'), 60);
    expect((await changePassword(service, last.token, last.password, '198.51.100.41')).status).toBe(200);
  });

  it('when a client walks get_user_details, then it is 429 past PUBLIC_RATE_LIMIT, shared with both availability checks, and another IP is served', async () => {
    const service = await start({ publicRateLimit: PUBLIC_LIMIT });
    const user = await registerUser(service);
    const id = await userIdOf(service, user.username);
    const ip = forwardedFor('198.51.100.50');
    const calls = [
      () => service.call('GET', `/get_user_details?user_id=${id}`, { headers: ip }),
      () => service.call('GET', `/check-availability?username=${uniqueName()}`, { headers: ip }),
      () => service.call('GET', `/check-email-availability?email=${uniqueName()}@example.com`, { headers: ip }),
    ];
    for (let i = 0; i < PUBLIC_LIMIT; i += 1) {
      const res = await (calls[i % 3] as () => ReturnType<Service['call']>)();
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-remaining')).toBe(String(PUBLIC_LIMIT - 1 - i));
    }
    for (const call of calls) expectTooManyRequests(await call(), 60);
    const elsewhere = await service.call('GET', `/get_user_details?user_id=${id}`, { headers: forwardedFor('198.51.100.51') });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.details.email).toBe(user.email);
  });

  it('when 30 parallel lookups come from one IP, then exactly PUBLIC_RATE_LIMIT are answered', async () => {
    const service = await start({ publicRateLimit: PUBLIC_LIMIT });
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => service.call('GET', `/get_user_details?user_id=${i + 1}`, { headers: forwardedFor('198.51.100.60') })),
    );
    expect(results.filter((r) => r.status === 429)).toHaveLength(30 - PUBLIC_LIMIT);
    // No user has these ids: the answered ones are "User not found".
    expect(results.filter((r) => r.body.error === 'user_not_found')).toHaveLength(PUBLIC_LIMIT);
  });

  it('when a token owner logs in again after changing the password, then only the new password works (the limits change nothing else)', async () => {
    const service = await start({ passwordRateLimit: PASSWORD_LIMIT, loginFailureLimit: FAILURES });
    const user = await signedInUser(service);
    expect((await changePassword(service, user.token, user.password)).status).toBe(200);
    await loginUser(service, { username: user.username, password: NEW_PASSWORD });
    const old = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(old.body.error).toBe('invalid_password');
  });
});
