import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceKey, userAgentFamily } from '../src/security/device.js';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { linkToken, mailsTo } from './support/mailbox.js';
import { type MailService, type ManualClock, manualClock, startServiceWithMail } from './support/service.js';
import { registerUser, type TestUser } from './support/users.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const FIREFOX_NEXT = 'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36';
const NEW_SIGN_IN = 'New sign-in to your account';
const DAY = 86400 * 1000;

describe('device families', () => {
  it.each([
    [FIREFOX, 'Firefox on Linux'],
    [CHROME_ANDROID, 'Chrome on Android'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0', 'Edge on Windows'],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'Safari on iOS',
    ],
    ['FitnessApp/3.2 (iPhone; iOS 18.1)', 'FitnessApp on iOS'],
    ['okhttp/4.12.0', 'okhttp'],
    ['', 'an unknown device'],
    [undefined, 'an unknown device'],
  ])('when the user agent is %j, then its family is %s', (userAgent, family) => {
    expect(userAgentFamily(userAgent)).toBe(family);
  });

  it('when only the browser version or the host in the /24 changes, then it is the same device; another network is another', () => {
    expect(deviceKey(FIREFOX, '203.0.113.7')).toBe(deviceKey(FIREFOX_NEXT, '203.0.113.200'));
    expect(deviceKey(FIREFOX, '203.0.113.7')).toBe('Firefox on Linux | 203.0.113.0/24');
    expect(deviceKey(FIREFOX, '203.0.114.7')).not.toBe(deviceKey(FIREFOX, '203.0.113.7'));
    expect(deviceKey(FIREFOX, '2001:db8:1:2::9')).toBe(deviceKey(FIREFOX, '2001:db8:1:ffff::1'));
  });
});

describe.each(databases)('the security log on %s', (kind) => {
  let service: MailService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startServiceWithMail(kind, { trustProxy: 1, refreshReuseGraceSeconds: 0, securityEventRetentionDays: 90 }, clock);
  });
  afterAll(() => service.close());

  const from = (ip: string, userAgent = FIREFOX) => ({ 'x-forwarded-for': ip, 'user-agent': userAgent });
  const login = (user: TestUser, headers = from('203.0.113.7'), password = user.password) =>
    service.call('POST', '/login', { body: { username: user.username, password }, headers });
  const events = async (token: string, query = '') => {
    const res = await service.call('GET', `/security-events${query}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body as {
      events: { id: number; type: string; ip_address: string | null; user_agent: string | null; session_id: string | null }[];
      next_cursor: string | null;
    };
  };
  const typesOf = async (token: string) => (await events(token, '?limit=100')).events.map((e) => e.type);
  const signInMails = (user: TestUser) => mailsTo(service.mailbox, user.email).filter((m) => m.subject === NEW_SIGN_IN);

  it('when a user logs in, fails once, and logs out another session, then the log shows each with its IP, user agent and session, newest first', async () => {
    const user = await registerUser(service);
    const first = await login(user);
    expect((await login(user, from('203.0.113.8'), 'WrongPass123!')).status).toBe(400);
    const second = await login(user, from('203.0.113.9'));
    const out = await service.call('POST', '/logout', { token: first.body.token, headers: from('203.0.113.10') });
    expect(out.status).toBe(200);
    const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).sid as string;
    const { events: shown, next_cursor } = await events(second.body.token);
    expect(next_cursor).toBeNull();
    expect(shown.map(({ type, ip_address, user_agent, session_id }) => ({ type, ip_address, user_agent, session_id }))).toEqual([
      { type: 'logout', ip_address: '203.0.113.10', user_agent: FIREFOX, session_id: sidOf(first.body.token) },
      { type: 'login_succeeded', ip_address: '203.0.113.9', user_agent: FIREFOX, session_id: sidOf(second.body.token) },
      { type: 'login_failed', ip_address: '203.0.113.8', user_agent: FIREFOX, session_id: null },
      { type: 'login_succeeded', ip_address: '203.0.113.7', user_agent: FIREFOX, session_id: sidOf(first.body.token) },
      { type: 'email_verification_sent', ip_address: '127.0.0.1', user_agent: 'node', session_id: null },
    ]);
    const ids = shown.map((e) => e.id);
    expect([...ids].sort((a, b) => b - a)).toEqual(ids);
  });

  it('when the log is longer than a page, then the cursor walks it without gaps or repeats, and the last page has no cursor', async () => {
    const user = await registerUser(service);
    const token = (await login(user)).body.token as string;
    for (let i = 0; i < 11; i += 1) await login(user, from('203.0.113.7'), 'WrongPass123!');
    const all = (await events(token, '?limit=100')).events.map((e) => e.id);
    expect(all).toHaveLength(13);
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof events>> = await events(token, `?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
      pages.push(page.events.map((e) => e.id));
      cursor = page.next_cursor;
    } while (cursor !== null);
    expect(pages.map((p) => p.length)).toEqual([5, 5, 3]);
    expect(pages.flat()).toEqual(all);
  });

  it('when the cursor or limit is not one the service gives, then 400 and the error names it', async () => {
    const user = await registerUser(service);
    const token = (await login(user)).body.token as string;
    for (const cursor of ['bm90LWEtY3Vyc29y', 'djE6MA', 'djE6LTE']) {
      const res = await service.call('GET', `/security-events?cursor=${cursor}`, { token });
      expect(res.body).toEqual({ code: 400, text: 'Invalid cursor', error: 'invalid_cursor' });
    }
    for (const limit of ['0', '101', 'ten']) {
      const res = await service.call('GET', `/security-events?limit=${limit}`, { token });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['/query/limit']);
    }
    expect((await service.call('GET', '/security-events')).status).toBe(401);
  });

  it('when one user acts, then another user sees none of it', async () => {
    const user = await registerUser(service);
    const other = await registerUser(service);
    await login(user);
    const otherToken = (await login(other)).body.token as string;
    expect(await typesOf(otherToken)).toEqual(['login_succeeded', 'email_verification_sent']);
  });

  it('when the password changes, a session is ended, the address changes and is verified, then each is one event, and a refused change writes none', async () => {
    const user = await registerUser(service);
    const token = (await login(user)).body.token as string;
    const other = (await login(user)).body;
    const same = await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: user.password } });
    expect(same.status).toBe(400);
    expect(
      (await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: 'EvenMoreSecure456?' } })).status,
    ).toBe(200);
    const third = (await login({ ...user, password: 'EvenMoreSecure456?' })).body;
    const sid = JSON.parse(Buffer.from((third.token as string).split('.')[1] as string, 'base64url').toString()).sid as string;
    expect((await service.call('DELETE', `/active-sessions/${sid}`, { token })).status).toBe(200);
    const email = `new_${user.username}@example.com`;
    expect((await service.call('PUT', '/profile', { token, body: { email } })).status).toBe(200);
    const mail = await service.mailbox.waitFor((m) => m.to.includes(email) && m.subject === 'Confirm your email address');
    expect((await service.call('POST', '/email/verify', { body: { token: linkToken(mail, 'verify-email') } })).status).toBe(200);
    expect(await typesOf(token)).toEqual([
      'email_verified',
      'email_verification_sent',
      'email_changed',
      'session_revoked',
      'login_succeeded',
      'password_changed',
      'login_succeeded',
      'login_succeeded',
      'email_verification_sent',
    ]);
    // The password change ended the other session without an event of its own.
    expect(await verifyStatus(service, other.token)).toBe(401);
  });

  it('when revoke_others ends sessions and a reset sets the password, then each ended session and the reset are events', async () => {
    const user = await registerUser(service);
    await login(user);
    await login(user);
    const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password, revoke_others: true } });
    const token = res.body.token as string;
    const types = await typesOf(token);
    expect(types.slice(0, 3)).toEqual(['login_succeeded', 'session_revoked', 'session_revoked']);
    await service.call('POST', '/password/forgot', { body: { email: user.email } });
    const mail = await service.mailbox.waitFor((m) => m.to.includes(user.email) && m.subject.includes('password'));
    expect(
      (await service.call('POST', '/password/reset', { body: { token: linkToken(mail, 'reset-password'), new_password: 'EvenMoreSecure456?' } })).status,
    ).toBe(200);
    const fresh = (await login({ ...user, password: 'EvenMoreSecure456?' })).body.token as string;
    expect((await typesOf(fresh)).slice(0, 2)).toEqual(['login_succeeded', 'password_reset']);
  });

  it('when a spent refresh token is presented again, then the session ends and the log says refresh_token_reuse_detected', async () => {
    const user = await registerUser(service);
    const first = (await login(user)).body;
    const watcher = (await login(user)).body.token as string;
    expect((await service.call('POST', '/token/refresh', { body: { refresh_token: first.refresh_token } })).status).toBe(200);
    expect((await service.call('POST', '/token/refresh', { body: { refresh_token: first.refresh_token }, headers: from('198.51.100.66') })).status).toBe(401);
    const [latest] = (await events(watcher)).events;
    expect(latest).toMatchObject({ type: 'refresh_token_reuse_detected', ip_address: '198.51.100.66' });
  });

  it('when a user logs in from a new device or network, then a new sign-in mail says when, what and where; the first login and known devices send none', async () => {
    const user = await registerUser(service);
    await login(user, from('203.0.113.7'));
    await login(user, from('203.0.113.50', FIREFOX_NEXT));
    await login(user, from('198.51.100.7', CHROME_ANDROID));
    const mail = await service.mailbox.waitFor((m) => m.to.includes(user.email) && m.subject === NEW_SIGN_IN);
    expect(mail.text).toContain(`Hi ${user.username},`);
    expect(mail.text).toContain('Device:  Chrome on Android');
    expect(mail.text).toContain('Address: 198.51.100.7');
    expect(mail.text).toContain('https://app.example.com/security');
    await login(user, from('192.0.2.7'));
    await service.mailbox.waitFor(() => signInMails(user).length === 2);
    await sleep(200);
    expect(signInMails(user)).toHaveLength(2);
    expect(signInMails(user)[1]?.text).toContain('Address: 192.0.2.7');
  });

  it('when a device was last used longer ago than the retention, then it is new again, and the purge deletes the old events', async () => {
    const user = await registerUser(service);
    await login(user, from('203.0.113.7'));
    clock.advance(91 * DAY);
    const token = (await login(user, from('203.0.113.7'))).body.token as string;
    await service.mailbox.waitFor(() => signInMails(user).length === 1);
    expect(await typesOf(token)).toEqual(['login_succeeded', 'login_succeeded', 'email_verification_sent']);
    await service.purgeExpired();
    expect(await typesOf(token)).toEqual(['login_succeeded']);
  });
});
