import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ClientInfo } from '../caller.js';
import { rateLimitKey } from '../client-address.js';
import type { AppError } from '../errors.js';
import { spendPoint } from '../limits.js';
import { verifyPassword } from '../passwords.js';

export type PasswordCheck = ReturnType<typeof createPasswordCheck>;

/**
 * The per-account failure limit (LOGIN_FAILURE_LIMIT per 15 minutes), shared by every check of
 * a user's secret: logins, and the current password asked by password changes, account
 * deletion and turning two-factor off. Failures count per account and client IP, so a guesser
 * elsewhere cannot lock the owner out. A point is spent before the check, atomically, and
 * given back on success: parallel guesses cannot all pass a check made before any failed.
 */
export function createPasswordCheck(failures: RateLimiterAbstract | undefined) {
  const keyOf = (userId: number, client: ClientInfo) => `${userId}:${rateLimitKey(client.ip)}`;
  return {
    /** Spends one of the account's failure points for this client; 429 once none is left. */
    async reserve(userId: number, client: ClientInfo): Promise<void> {
      if (failures) await spendPoint(failures, keyOf(userId, client));
    },

    /** Gives the client's points back after a check that succeeded. */
    async forgive(userId: number, client: ClientInfo): Promise<void> {
      await failures?.delete(keyOf(userId, client));
    },

    /** Checks a signed-in user's password as above; throws `wrong()` when it does not match. */
    async confirm(user: { id: number; passwordHash: string }, password: string, client: ClientInfo, wrong: () => AppError): Promise<void> {
      await this.reserve(user.id, client);
      if (!(await verifyPassword(user.passwordHash, password))) throw wrong();
      await this.forgive(user.id, client);
    },
  };
}
