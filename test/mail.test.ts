import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type App, createApp } from '../src/app.js';
import { createLogger } from '../src/log.js';
import { humanDuration, loadTemplates } from '../src/mail/templates.js';
import { logTransport } from '../src/mail/transport.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';
import { linkToken, type Mailbox, startMailbox } from './support/mailbox.js';
import { type Service, sharedApi, startService, testConfig } from './support/service.js';
import { newUser } from './support/users.js';

describe('mail templates', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'templates-'));
    writeFileSync(join(dir, 'hello.txt'), 'Subject: Hello {{name}}\n\nHi {{name}}, see {{link}}\n');
    writeFileSync(join(dir, 'hello.html'), '<p>Hi {{name}}, <a href="{{link}}">here</a></p>');
    writeFileSync(join(dir, 'broken.txt'), 'No subject line\n');
    writeFileSync(join(dir, 'broken.html'), '<p></p>');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('when a template is rendered, then values go into the subject and text as given and into the HTML escaped', () => {
    const templates = loadTemplates(['hello'], dir);
    const mail = templates.render('hello', 'a@example.com', { name: '<Al & "Bo">', link: 'https://x.example/?a=1&b=2' });
    expect(mail).toEqual({
      to: 'a@example.com',
      subject: 'Hello <Al & "Bo">',
      text: 'Hi <Al & "Bo">, see https://x.example/?a=1&b=2\n',
      html: '<p>Hi &lt;Al &amp; &quot;Bo&quot;&gt;, <a href="https://x.example/?a=1&amp;b=2">here</a></p>',
    });
  });

  it('when a value is missing, the template is unknown, or a file has no subject line, then it throws', () => {
    const templates = loadTemplates(['hello'], dir);
    expect(() => templates.render('hello', 'a@example.com', { name: 'Al' })).toThrow('mail template hello needs {{link}}');
    expect(() => templates.render('nope', 'a@example.com', {})).toThrow('unknown mail template nope');
    expect(() => loadTemplates(['broken'], dir)).toThrow('must start with "Subject: ..."');
    expect(() => loadTemplates(['missing'], dir)).toThrow(/ENOENT/);
  });

  it.each([
    [86400, '1 day'],
    [172800, '2 days'],
    [1800, '30 minutes'],
    [3600, '1 hour'],
    [5400, '90 minutes'],
    [45, '45 seconds'],
  ])('when a lifetime of %i s is said in a mail, then it reads "%s"', (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });
});

describe.each(databases)('mail delivery on %s', (kind) => {
  let database: TestDatabase;
  let app: App;
  const printed: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    app = await createApp({
      db: database.db,
      config: testConfig(),
      api: await sharedApi(),
      logger: createLogger('silent'),
      mailTransport: logTransport('Fitness App <no-reply@example.com>', (text) => printed.push(text)),
    });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
  });

  it('when SMTP_URL is not set, then the log transport prints each mail, link included, instead of sending it', async () => {
    const server = app.koa.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const user = newUser();
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(user),
      });
      expect(res.status).toBe(200);
      expect(await app.mail.runOnce()).toBe(1);
      expect(printed).toHaveLength(1);
      expect(printed[0]).toContain('--- mail (not sent: SMTP_URL is not set) ---');
      expect(printed[0]).toContain(`To: ${user.email}\nSubject: Confirm your email address`);
      expect(printed[0]).toMatch(/https:\/\/app\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}/);
      expect((await database.db('mail_outbox').first('status')).status).toBe('sent');
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe.each(databases)('a mail the SMTP server refuses on %s', (kind) => {
  let smtp: SMTPServer;
  let service: Service;
  let offered = 0;

  beforeAll(async () => {
    // A real SMTP server that refuses every recipient for good (550).
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(_address, _session, callback) {
        offered += 1;
        callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const url = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
    service = await startService(kind, { smtpUrl: url });
  });
  afterAll(async () => {
    await service.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('when the recipient is refused with a 5xx code, then the mail is given up after one attempt, and its token spent', async () => {
    const user = newUser();
    expect((await service.call('POST', '/register', { body: user })).status).toBe(200);
    expect(await service.mail.runOnce()).toBe(1);
    const row = await service.db('mail_outbox').where({ address: user.email }).first();
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row.last_error).toContain('550');
    expect(offered).toBe(1);
    expect(await service.mail.runOnce()).toBe(0);
    const tokens = await service.db('user_tokens').select('spent_at');
    expect(tokens).toHaveLength(1);
    expect(tokens[0].spent_at).not.toBeNull();
  });
});

describe.each(databases)('mail and the log on %s', (kind) => {
  let mailbox: Mailbox;
  let database: TestDatabase;
  let app: App;
  let log = '';

  beforeAll(async () => {
    mailbox = await startMailbox();
    database = await createTestDatabase(kind);
    const capture = {
      write: (line: string) => {
        log += line;
      },
    };
    app = await createApp({ db: database.db, config: testConfig({ smtpUrl: mailbox.url }), api: await sharedApi(), logger: createLogger('trace', capture) });
  });
  afterAll(async () => {
    await app.close();
    await database.drop();
    await mailbox.stop();
  });

  it('when mails are sent, retried and verified, then the log says so without any token or link', async () => {
    const server = app.koa.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1`;
    const post = (path: string, body: unknown) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    try {
      const user = newUser();
      await mailbox.stop();
      expect((await post('/register', user)).status).toBe(200);
      expect(await app.mail.runOnce()).toBe(1);
      await mailbox.start();
      await database.db('mail_outbox').update({ available_at: 0 });
      expect(await app.mail.runOnce()).toBe(1);
      const token = linkToken(await mailbox.waitFor((m) => m.to.includes(user.email)), 'verify-email');
      expect((await post('/email/verify', { token })).status).toBe(200);
      expect((await post('/password/forgot', { email: user.email })).status).toBe(202);
      expect(await app.mail.runOnce()).toBe(1);
      const reset = linkToken(await mailbox.waitFor((m) => m.subject === 'Reset your password'), 'reset-password');
      expect((await post('/password/reset', { token: reset, new_password: 'NewPass456!' })).status).toBe(200);

      expect(log).toContain('"msg":"mail delivery failed"');
      expect(log).toContain('"msg":"mail sent"');
      for (const secret of [token, reset, 'verify-email?token', 'reset-password?token']) expect(log).not.toContain(secret);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
