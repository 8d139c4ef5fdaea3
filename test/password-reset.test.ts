import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { linkToken, type Mailbox, mailsTo } from './support/mailbox.js';
import { type MailService, type ManualClock, manualClock, type Service, startService, startServiceWithMail } from './support/service.js';
import { loginUser, registerUser, type TestUser, uniqueName } from './support/users.js';

const RESET_TTL = 1800;
const NEW_PASSWORD = 'EvenMoreSecure456?';
const ACCEPTED = { message: 'If an account has this email address, a password reset link is on its way' };

describe.each(databases)('password reset on %s', (kind) => {
  let mailbox: Mailbox;
  let service: MailService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startServiceWithMail(kind, { resetTokenTtl: RESET_TTL, mailRateLimit: 3 }, clock);
    mailbox = service.mailbox;
  });
  afterAll(() => service.close());

  const forgot = (email: string) => service.call('POST', '/password/forgot', { body: { email } });
  const reset = (token: string, password = NEW_PASSWORD) => service.call('POST', '/password/reset', { body: { token, new_password: password } });

  /** The token of the `count`-th reset mail to the user's address. */
  async function resetToken(user: TestUser, count = 1): Promise<string> {
    const resets = () => mailsTo(mailbox, user.email).filter((m) => m.subject === 'Reset your password');
    await mailbox.waitFor(() => resets().length >= count);
    return linkToken(resets()[count - 1]!, 'reset-password');
  }

  async function refreshStatus(refreshToken: string): Promise<number> {
    return (await service.call('POST', '/token/refresh', { body: { refresh_token: refreshToken } })).status;
  }

  it('when a user forgets the password, then the mail arrives and its link sets a new one, ending every session with all its tokens', async () => {
    const user = await registerUser(service);
    const phone = (await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).body;
    const laptop = await loginUser(service, user);
    const res = await forgot(user.email.toUpperCase());
    expect(res.status).toBe(202);
    expect(res.body).toEqual(ACCEPTED);
    const token = await resetToken(user);
    const mail = mailsTo(mailbox, user.email).find((m) => m.subject === 'Reset your password')!;
    expect(mail.text).toContain(`https://app.example.com/reset-password?token=${token}`);
    expect(mail.text).toContain('for 30 minutes');

    const done = await reset(token);
    expect(done.status).toBe(200);
    expect(done.body).toEqual({ message: 'Password has been reset' });
    expect(await verifyStatus(service, phone.access_token)).toBe(401);
    expect(await verifyStatus(service, laptop)).toBe(401);
    expect(await refreshStatus(phone.refresh_token)).toBe(401);
    const old = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(old.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
    expect(await verifyStatus(service, await loginUser(service, { username: user.username, password: NEW_PASSWORD }))).toBe(200);
    const hash = (await service.db('users').where({ username: user.username }).first('password_hash')).password_hash as string;
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('when the address has no account, then the answer is the same 202 and no mail goes out', async () => {
    const nobody = `${uniqueName('nobody')}@example.com`;
    const res = await forgot(nobody);
    expect(res.status).toBe(202);
    expect(res.body).toEqual(ACCEPTED);
    const deadline = Date.now() + 5000;
    let row: any;
    do {
      await sleep(25);
      row = await service.db('mail_outbox').where({ address: nobody }).first();
    } while (row.status === 'pending' && Date.now() < deadline);
    expect(row).toMatchObject({ status: 'dropped', last_error: 'no account has this address' });
    expect(mailsTo(mailbox, nobody)).toHaveLength(0);
  });

  it('when a reset token is used twice, is unknown, or has expired, then 400 "Invalid or expired reset token" and the password stays', async () => {
    const used = await registerUser(service);
    await forgot(used.email);
    const usedToken = await resetToken(used);
    expect((await reset(usedToken)).status).toBe(200);
    const late = await registerUser(service);
    await forgot(late.email);
    const lateToken = await resetToken(late);
    clock.advance(RESET_TTL * 1000 + 1);
    for (const token of [usedToken, 'y'.repeat(43), lateToken]) {
      const res = await reset(token, 'AnotherPass789!');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, text: 'Invalid or expired reset token', error: 'invalid_reset_token' });
    }
    expect(await loginUser(service, late)).toEqual(expect.any(String));
  });

  it('when the user asked twice, then either link works once, and using one spends the other', async () => {
    const user = await registerUser(service);
    await forgot(user.email);
    const first = await resetToken(user);
    await forgot(user.email);
    const second = await resetToken(user, 2);
    expect(first).not.toBe(second);
    expect((await reset(second)).status).toBe(200);
    expect((await reset(first, 'AnotherPass789!')).status).toBe(400);
  });

  it('when the password is changed through PUT /change-password, then a reset link mailed before stops working', async () => {
    const user = await registerUser(service);
    await forgot(user.email);
    const token = await resetToken(user);
    const session = await loginUser(service, user);
    expect(
      (await service.call('PUT', '/change-password', { token: session, body: { current_password: user.password, new_password: NEW_PASSWORD } })).status,
    ).toBe(200);
    expect((await reset(token, 'AnotherPass789!')).status).toBe(400);
  });

  it('when the email changes, then a reset link mailed to the old address stops working', async () => {
    const user = await registerUser(service);
    await forgot(user.email);
    const token = await resetToken(user);
    const session = await loginUser(service, user);
    expect((await service.call('PUT', '/profile', { token: session, body: { email: `${uniqueName('moved')}@example.com` } })).status).toBe(200);
    expect((await reset(token)).status).toBe(400);
  });

  it('when the reset link is used, then the address it went to counts as verified', async () => {
    const user = await registerUser(service);
    await forgot(user.email);
    expect((await reset(await resetToken(user))).status).toBe(200);
    const session = await loginUser(service, { username: user.username, password: NEW_PASSWORD });
    expect((await service.call('GET', '/me', { token: session })).body.user_profile.email_verified).toBe(true);
  });

  it('when the new password breaks the rules, then 400 and the token still works', async () => {
    const user = await registerUser(service);
    await forgot(user.email);
    const token = await resetToken(user);
    expect((await reset(token, 'short')).status).toBe(400);
    expect((await reset(token)).status).toBe(200);
  });

  it('when one address is asked for more than MAIL_RATE_LIMIT times an hour, then 429, for a registered address and an unknown one alike', async () => {
    const user = await registerUser(service);
    const nobody = `${uniqueName('ghost')}@example.com`;
    for (const address of [user.email, nobody]) {
      const statuses = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await forgot(i % 2 ? address.toUpperCase() : address)).status);
      expect(statuses, address).toEqual([202, 202, 202, 429]);
    }
    const refused = await forgot(nobody);
    expect(refused.body).toEqual({ code: 429, text: 'Too many requests', error: 'rate_limited' });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
  });
});

describe.each(databases)('password reset requests tell nothing on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return ((sorted[Math.floor((sorted.length - 1) / 2)] as number) + (sorted[Math.ceil((sorted.length - 1) / 2)] as number)) / 2;
  };

  it('when 100 requests for registered addresses and 100 for unknown ones are interleaved, then the answers are equal and the median times are within 3 ms', async () => {
    const users = [];
    for (let i = 0; i < 5; i += 1) users.push(await registerUser(service));
    const times = { known: [] as number[], unknown: [] as number[] };
    const bodies = new Set<string>();
    for (let i = 0; i < 200; i += 1) {
      const known = i % 2 === 0;
      const email = known ? (users[i % 5] as TestUser).email : `${uniqueName('absent')}@example.com`;
      const started = performance.now();
      const res = await service.call('POST', '/password/forgot', { body: { email } });
      (known ? times.known : times.unknown).push(performance.now() - started);
      expect(res.status).toBe(202);
      bodies.add(JSON.stringify(res.body));
    }
    expect([...bodies]).toEqual([JSON.stringify(ACCEPTED)]);
    const gap = Math.abs(median(times.known) - median(times.unknown));
    console.log(`forgot-password on ${kind}: median ${median(times.known).toFixed(2)} ms (registered) vs ${median(times.unknown).toFixed(2)} ms (unknown)`);
    expect(gap).toBeLessThan(3);
  });
});
