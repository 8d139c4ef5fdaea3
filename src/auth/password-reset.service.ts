import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import { spendPoint } from '../limits.js';
import type { OutboxRepository } from '../mail/outbox.repository.js';
import type { Composer } from '../mail/worker.js';
import { hashPassword } from '../passwords.js';
import { hashSecret } from '../secrets.js';
import type { SecurityLog } from '../security/security-log.js';
import { identityKey } from '../users/identity.js';
import { linkMail } from '../users/mailed-link.js';
import type { UserTokensRepository } from '../users/user-tokens.repository.js';
import type { UsersRepository } from '../users/users.repository.js';
import type { SessionsRepository } from './sessions.repository.js';

export const PASSWORD_RESET = 'password_reset';
export const PASSWORD_RESET_TEMPLATE = 'password-reset';

export type PasswordResetService = ReturnType<typeof createPasswordResetService>;

/**
 * Forgotten passwords: a request is only queued (the same write whether or not an account has
 * the address, so neither the answer nor its timing tells), and the outbox worker mints the
 * single-use token and mails the link when an account has it. A reset sets the password, ends
 * every session and spends every reset token of the user, in one transaction that writes the
 * user's row first and then spends the token with a conditional UPDATE: of parallel resets
 * with one token, exactly one succeeds.
 */
export function createPasswordResetService(deps: {
  db: Db;
  users: UsersRepository;
  userTokens: UserTokensRepository;
  sessions: SessionsRepository;
  outbox: OutboxRepository;
  clock: Clock;
  tokenTtlSeconds: number;
  appUrl: string;
  /** Requests per address; undefined when MAIL_RATE_LIMIT=0. */
  addressLimiter?: RateLimiterAbstract;
  securityLog: SecurityLog;
}) {
  const { db, users, userTokens, sessions, outbox, clock, addressLimiter } = deps;

  const compose: Composer = async (job, trx, now) => {
    const user = job.address === null ? undefined : await users.findByEmail(job.address, trx);
    if (!user) return { drop: 'no account has this address' };
    return linkMail(userTokens, trx, {
      user,
      purpose: 'password_reset',
      url: `${deps.appUrl}/reset-password`,
      ttlSeconds: deps.tokenTtlSeconds,
      template: PASSWORD_RESET_TEMPLATE,
      now,
    });
  };

  return {
    compose,

    /** Queues a reset mail for whoever has `email`; limited per address, registered or not. */
    async forgot(email: string): Promise<void> {
      if (addressLimiter) await spendPoint(addressLimiter, identityKey(email));
      await outbox.enqueue({ kind: PASSWORD_RESET, address: email }, clock());
    },

    /** Sets the password of the token's user and ends all their sessions; 400 for a token that is not usable. */
    async reset(token: string, newPassword: string, client: ClientInfo): Promise<void> {
      const tokenHash = hashSecret(token);
      // Checked before hashing, so that unusable tokens cost no argon2 time.
      const found = await userTokens.findUsable(tokenHash, 'password_reset', clock());
      if (!found) throw Errors.invalidResetToken();
      const passwordHash = await hashPassword(newPassword);
      await transaction(db, async (trx) => {
        const now = clock();
        await users.setPasswordHash(found.userId, passwordHash, now, trx);
        if (!(await userTokens.spend(tokenHash, now, trx))) throw Errors.invalidResetToken();
        await userTokens.spendAll(found.userId, ['password_reset'], now, trx);
        // Receiving the link proves the address, if the account still has it.
        await users.markEmailVerified(found.userId, found.emailKey, trx);
        await sessions.revokeAll(found.userId, undefined, now, trx);
        await deps.securityLog.record(trx, found.userId, 'password_reset', { client }, now);
      });
    },
  };
}
