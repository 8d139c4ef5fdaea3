import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, type Trx, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import type { OutboxRepository } from '../mail/outbox.repository.js';
import type { Composer } from '../mail/worker.js';
import { hashSecret } from '../secrets.js';
import type { SecurityLog } from '../security/security-log.js';
import { identityKey } from './identity.js';
import { linkMail } from './mailed-link.js';
import type { UserTokensRepository } from './user-tokens.repository.js';
import type { UsersRepository } from './users.repository.js';

export const VERIFY_EMAIL = 'verify_email';
export const VERIFY_EMAIL_TEMPLATE = 'verify-email';

export type EmailVerification = ReturnType<typeof createEmailVerification>;

/**
 * Email verification: a mail with a single-use link to every new address, a fresh one on
 * request, and the check of the link's token. A token verifies only the address it was mailed
 * to. Every transaction here takes the user's row first (lock or write), then tokens, then
 * mails, in that order, as the password reset does.
 */
export function createEmailVerification(deps: {
  db: Db;
  users: UsersRepository;
  userTokens: UserTokensRepository;
  outbox: OutboxRepository;
  clock: Clock;
  tokenTtlSeconds: number;
  appUrl: string;
  securityLog: SecurityLog;
}) {
  const { db, users, userTokens, outbox, clock, securityLog } = deps;

  /**
   * In the transaction that gives the user an address (registration, an email change): voids
   * every token mailed to an earlier address and queues a verification mail to this one.
   */
  async function newAddress(trx: Trx, userId: number, address: string, now: number, client: ClientInfo): Promise<void> {
    await userTokens.spendAll(userId, ['verify_email', 'password_reset'], now, trx);
    await queueMail(trx, userId, address, now, client);
  }

  /** Replaces any queued verification mail of the user with one to `address`, and records it. */
  async function queueMail(trx: Trx, userId: number, address: string, now: number, client: ClientInfo): Promise<void> {
    await outbox.supersede(userId, VERIFY_EMAIL, trx);
    await outbox.enqueue({ kind: VERIFY_EMAIL, userId, address }, now, trx);
    await securityLog.record(trx, userId, 'email_verification_sent', { client }, now);
  }

  /** Mints the link's token when the mail is sent, while the address still needs verifying. */
  const compose: Composer = async (job, trx, now) => {
    const user = job.userId === null ? undefined : await users.lockById(job.userId, trx);
    if (!user || job.address === null || identityKey(user.email) !== identityKey(job.address)) return { drop: 'the account no longer has this address' };
    if (user.emailVerified) return { drop: 'the address is already verified' };
    return linkMail(userTokens, trx, {
      user,
      purpose: 'verify_email',
      url: `${deps.appUrl}/verify-email`,
      ttlSeconds: deps.tokenTtlSeconds,
      template: VERIFY_EMAIL_TEMPLATE,
      now,
    });
  };

  return {
    newAddress,
    compose,

    /** Queues a fresh mail to the user's address, voiding earlier links; 409 when it is verified already. */
    async resend(userId: number, client: ClientInfo): Promise<void> {
      await transaction(db, async (trx) => {
        const user = await users.lockById(userId, trx);
        if (!user) throw Errors.unauthorized();
        if (user.emailVerified) throw Errors.emailAlreadyVerified();
        const now = clock();
        await userTokens.spendAll(userId, ['verify_email'], now, trx);
        await queueMail(trx, userId, user.email, now, client);
      });
    },

    /**
     * Verifies the address the token was mailed to, if the account still has it, and spends
     * every verification token of the user. 400 for an unknown, spent or expired token.
     */
    async verify(token: string, client: ClientInfo): Promise<void> {
      const tokenHash = hashSecret(token);
      const found = await userTokens.findUsable(tokenHash, 'verify_email', clock());
      if (!found) throw Errors.invalidVerificationToken();
      await transaction(db, async (trx) => {
        const now = clock();
        if (!(await users.markEmailVerified(found.userId, found.emailKey, trx))) throw Errors.invalidVerificationToken();
        if (!(await userTokens.spend(tokenHash, now, trx))) throw Errors.invalidVerificationToken();
        await userTokens.spendAll(found.userId, ['verify_email'], now, trx);
        await securityLog.record(trx, found.userId, 'email_verified', { client }, now);
      });
    },
  };
}
