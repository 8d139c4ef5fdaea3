import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { linkToken, type Mailbox, mailsTo } from './support/mailbox.js';
import { type MailService, type ManualClock, manualClock, startServiceWithMail } from './support/service.js';
import { loginUser, newUser, registerUser, type TestUser, uniqueName } from './support/users.js';

const EMAIL_TTL = 86400;

describe.each(databases)('email verification on %s', (kind) => {
  let mailbox: Mailbox;
  let service: MailService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startServiceWithMail(kind, { emailTokenTtl: EMAIL_TTL, mailRateLimit: 3 }, clock);
    mailbox = service.mailbox;
  });
  afterAll(() => service.close());

  /** The verification token of the newest verification mail to `address`, once `count` of them arrived. */
  async function verificationToken(address: string, count = 1): Promise<string> {
    await mailbox.waitFor(() => mailsTo(mailbox, address).filter((m) => m.subject === 'Confirm your email address').length >= count);
    const mails = mailsTo(mailbox, address).filter((m) => m.subject === 'Confirm your email address');
    return linkToken(mails[count - 1]!, 'verify-email');
  }

  const verify = (token: string) => service.call('POST', '/email/verify', { body: { token } });

  async function verifiedFlags(user: TestUser, token: string) {
    const me = await service.call('GET', '/me', { token });
    const data = await service.call('GET', '/user-data', { token });
    const check = await service.call('GET', '/verify-token', { token });
    const login = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    return [
      me.body.user_profile.email_verified,
      data.body.user_profile.email_verified,
      check.body.user_info.email_verified,
      login.body.user_info.email_verified,
    ];
  }

  it('when a user registers, then a verification mail with a link to APP_URL arrives, and its token verifies the address everywhere it is shown', async () => {
    const user = await registerUser(service);
    const mail = await mailbox.waitFor((m) => m.to.includes(user.email));
    expect(mail.subject).toBe('Confirm your email address');
    expect(mail.parsed.from?.value).toEqual([{ name: 'Fitness App', address: 'no-reply@example.com' }]);
    expect(mail.text).toContain(`Hi ${user.username},`);
    expect(mail.text).toMatch(/https:\/\/app\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}\n/);
    expect(mail.text).toContain('for 1 day');
    expect(mail.html).toContain(`href="https://app.example.com/verify-email?token=${linkToken(mail, 'verify-email')}"`);
    const token = await loginUser(service, user);
    expect(await verifiedFlags(user, token)).toEqual([false, false, false, false]);

    const res = await verify(linkToken(mail, 'verify-email'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Email verified' });
    expect(await verifiedFlags(user, token)).toEqual([true, true, true, true]);
  });

  it('when the user is created through create_user, then the same mail goes out', async () => {
    const username = uniqueName('simple');
    const res = await service.call('POST', '/create_user', { body: { username, email: `${username}@example.com`, password: 'testpassword' } });
    expect(res.status).toBe(201);
    expect((await verify(await verificationToken(`${username}@example.com`))).status).toBe(200);
  });

  it('when a token is used twice, is unknown, or has expired, then 400 "Invalid or expired verification token" and nothing changes', async () => {
    const used = await registerUser(service);
    const usedToken = await verificationToken(used.email);
    expect((await verify(usedToken)).status).toBe(200);
    const late = await registerUser(service);
    const lateToken = await verificationToken(late.email);
    clock.advance(EMAIL_TTL * 1000 + 1);
    for (const token of [usedToken, 'x'.repeat(43), 'not-a-token', lateToken]) {
      const res = await verify(token);
      expect(res.status, token).toBe(400);
      expect(res.body).toEqual({ code: 400, text: 'Invalid or expired verification token', error: 'invalid_verification_token' });
    }
    const row = await service.db('users').where({ username: late.username }).first('email_verified');
    expect(Boolean(row.email_verified)).toBe(false);
  });

  it('when the user asks for a new mail, then 202, a fresh mail arrives and only its link works; once verified, 409', async () => {
    const user = await registerUser(service);
    const first = await verificationToken(user.email);
    const token = await loginUser(service, user);
    const resend = await service.call('POST', '/email/verification', { token });
    expect(resend.status).toBe(202);
    expect(resend.body).toEqual({ message: 'Verification email sent' });
    expect(resend.headers.get('ratelimit-limit')).toBe('3');
    const second = await verificationToken(user.email, 2);
    expect(second).not.toBe(first);
    expect((await verify(first)).status).toBe(400);
    expect((await verify(second)).status).toBe(200);
    const again = await service.call('POST', '/email/verification', { token });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ code: 409, text: 'Email already verified', error: 'email_already_verified' });
  });

  it('when a user asks for mails faster than MAIL_RATE_LIMIT per hour, then 429 with Retry-After and RateLimit headers, and no extra mail', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await service.call('POST', '/email/verification', { token })).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const refused = await service.call('POST', '/email/verification', { token });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
    expect(refused.headers.get('ratelimit-remaining')).toBe('0');
    // The registration's mail and three requested ones; a newer one supersedes any still waiting.
    const userId = (await service.db('users').where({ username: user.username }).first('id')).id;
    const queued = () => service.db('mail_outbox').where({ kind: 'verify_email', user_id: userId }).orderBy('id');
    const deadline = Date.now() + 10_000;
    while ((await queued()).some((r: { status: string }) => r.status === 'pending') && Date.now() < deadline) await sleep(50);
    const rows = await queued();
    expect(rows).toHaveLength(4);
    expect(rows.at(-1).status).toBe('sent');
    expect(mailsTo(mailbox, user.email)).toHaveLength(rows.filter((r: { status: string }) => r.status === 'sent').length);
    const newest = mailsTo(mailbox, user.email).at(-1)!;
    expect((await verify(linkToken(newest, 'verify-email'))).status).toBe(200);
  });

  it('when the email changes (PUT /profile or POST /user-data), then it is unverified, the new address gets a mail, and the old link verifies nothing', async () => {
    const user = await registerUser(service);
    const oldLink = await verificationToken(user.email);
    const token = await loginUser(service, user);
    const renamed = `${uniqueName('moved')}@example.com`;
    expect((await service.call('PUT', '/profile', { token, body: { email: renamed } })).status).toBe(200);
    expect((await verify(oldLink)).status).toBe(400);
    const newLink = await verificationToken(renamed);
    expect((await verify(newLink)).status).toBe(200);
    expect((await service.call('GET', '/me', { token })).body.user_profile.email_verified).toBe(true);

    // Another letter case is the same address: it stays verified and no mail is sent.
    expect((await service.call('POST', '/user-data', { token, body: { user_profile: { email: renamed.toUpperCase() } } })).status).toBe(200);
    expect((await service.call('GET', '/me', { token })).body.user_profile.email_verified).toBe(true);

    const third = `${uniqueName('again')}@example.com`;
    expect((await service.call('POST', '/user-data', { token, body: { user_profile: { email: third } } })).status).toBe(200);
    expect((await service.call('GET', '/me', { token })).body.user_profile.email_verified).toBe(false);
    expect((await verify(await verificationToken(third))).status).toBe(200);
    expect(mailsTo(mailbox, renamed.toUpperCase())).toHaveLength(0);
  });

  it('when the address changes before the queued mail went out, then the old address gets nothing and the new one gets its mail', async () => {
    await service.mail.stop();
    try {
      const user = await registerUser(service);
      const token = await loginUser(service, user);
      const renamed = `${uniqueName('quick')}@example.com`;
      expect((await service.call('PUT', '/profile', { token, body: { email: renamed } })).status).toBe(200);
      expect(await service.mail.runOnce()).toBe(1);
      expect(await service.db('mail_outbox').where({ address: user.email }).first('status')).toEqual({ status: 'superseded' });
      await verificationToken(renamed);
      expect(mailsTo(mailbox, user.email)).toHaveLength(0);
    } finally {
      service.mail.start();
    }
  });

  it('then only hashes of tokens are stored, and the outbox holds no token at all', async () => {
    const user = await registerUser(service);
    const token = await verificationToken(user.email);
    const userId = (await service.db('users').where({ username: user.username }).first('id')).id;
    const rows = [...(await service.db('user_tokens').where({ user_id: userId })), ...(await service.db('mail_outbox').where({ user_id: userId }))];
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) for (const [column, value] of Object.entries(row as Record<string, unknown>)) expect(String(value), column).not.toContain(token);
  });
});

describe.each(databases)('mail while the SMTP server is down on %s', (kind) => {
  let mailbox: Mailbox;
  let service: MailService;
  beforeAll(async () => {
    service = await startServiceWithMail(kind);
    mailbox = service.mailbox;
  });
  afterAll(() => service.close());

  it('when the SMTP server is down, then registration still succeeds, the mail is retried, and it arrives once the server is back', async () => {
    await mailbox.stop();
    const user = newUser();
    const res = await service.call('POST', '/register', { body: user });
    expect(res.status).toBe(200);
    // A few failed attempts (the test worker retries after 100 ms, 200 ms, ...).
    const deadline = Date.now() + 10_000;
    let row: any;
    do {
      await sleep(100);
      row = await service.db('mail_outbox').where({ address: user.email }).first();
    } while (Number(row?.attempts ?? 0) < 2 && Date.now() < deadline);
    expect(row.status).toBe('pending');
    expect(Number(row.attempts)).toBeGreaterThanOrEqual(2);
    expect(row.last_error).toEqual(expect.any(String));
    await mailbox.start();
    const mail = await mailbox.waitFor((m) => m.to.includes(user.email));
    expect((await service.call('POST', '/email/verify', { body: { token: linkToken(mail, 'verify-email') } })).status).toBe(200);
    const sent = await service.db('mail_outbox').where({ address: user.email }).first();
    expect(sent.status).toBe('sent');
    // Every attempt minted a token; each failed one spent its own: only the mailed one ever worked.
    const tokens = await service.db('user_tokens').whereIn('user_id', service.db('users').select('id').where({ username: user.username }));
    expect(tokens).toHaveLength(Number(sent.attempts));
    expect(tokens.filter((t: { spent_at: unknown }) => t.spent_at === null)).toHaveLength(0);
    expect(mailsTo(mailbox, user.email)).toHaveLength(1);
  });
});

describe.each(databases.filter((k) => k === 'mysql'))('mail from two instances on %s', (kind) => {
  let mailbox: Mailbox;
  let service: MailService;
  beforeAll(async () => {
    service = await startServiceWithMail(kind);
    mailbox = service.mailbox;
    await service.startPeer();
  });
  afterAll(() => service.close());

  it('when both instances run their outbox workers, then every mail is sent exactly once', async () => {
    const users = Array.from({ length: 20 }, () => newUser());
    await Promise.all(users.map((u) => service.call('POST', '/register', { body: u })));
    await mailbox.waitFor(() => users.every((u) => mailsTo(mailbox, u.email).length > 0));
    // Give a duplicate the time to arrive, if there were one.
    await sleep(500);
    for (const u of users) expect(mailsTo(mailbox, u.email), u.email).toHaveLength(1);
  });
});
