import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { linkToken } from './support/mailbox.js';
import { type MailService, type ManualClock, manualClock, startServiceWithMail } from './support/service.js';
import { registerUser } from './support/users.js';

const DAY_MS = 86400 * 1000;

describe.each(databases)('the periodic purge on %s', (kind) => {
  let service: MailService;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startServiceWithMail(kind, { emailTokenTtl: 86400 }, clock);
  });
  afterAll(() => service.close());

  const count = async (table: string) => Number(((await service.db(table).count({ n: '*' })) as { n: number | string }[])[0]?.n);

  it('when mails are a week old and their tokens expired a day ago, then the purge deletes them, and keeps what is younger', async () => {
    const old = await registerUser(service);
    await service.mailbox.waitFor((m) => m.to.includes(old.email));
    expect(await count('user_tokens')).toBe(1);
    expect(await count('mail_outbox')).toBe(1);

    clock.advance(7 * DAY_MS + 1);
    const young = await registerUser(service);
    const mail = await service.mailbox.waitFor((m) => m.to.includes(young.email));
    await service.purgeExpired();
    // The old mail and its token (expired six days ago) are gone; the young ones stay and work.
    expect(await service.db('mail_outbox').pluck('address')).toEqual([young.email]);
    expect(await count('user_tokens')).toBe(1);
    expect((await service.call('POST', '/email/verify', { body: { token: linkToken(mail, 'verify-email') } })).status).toBe(200);
  });

  it('when a mail is still pending, then the purge keeps it however old it is', async () => {
    await service.mail.stop();
    try {
      const user = await registerUser(service);
      clock.advance(30 * DAY_MS);
      await service.purgeExpired();
      expect(await service.db('mail_outbox').where({ address: user.email }).first('status')).toEqual({ status: 'pending' });
    } finally {
      service.mail.start();
    }
  });
});
