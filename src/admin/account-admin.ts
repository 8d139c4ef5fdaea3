import type { Session, SessionsRepository } from '../auth/sessions.repository.js';
import type { Clock } from '../clock.js';
import { type Db, type Trx, transaction } from '../db/db.js';
import type { SecurityLog } from '../security/security-log.js';
import type { User, UsersRepository } from '../users/users.repository.js';

/** A request an operator made that cannot be done (an unknown username); the message says why. */
export class AdminError extends Error {}

export type AccountAdmin = ReturnType<typeof createAccountAdmin>;

/**
 * What an operator does to an account from the command line (`npm run admin`): suspend it
 * (it can no longer log in or refresh, and every session ends at once), reactivate it, list
 * and end its sessions.
 */
export function createAccountAdmin(deps: { db: Db; users: UsersRepository; sessions: SessionsRepository; securityLog: SecurityLog; clock: Clock }) {
  const { db, users, sessions, securityLog, clock } = deps;

  /** Ends the user's sessions, each recorded in the user's security log; returns how many. */
  async function endSessions(userId: number, now: number, trx: Trx): Promise<number> {
    const ended = await sessions.revokeAllExcept(userId, undefined, now, trx);
    for (const sessionId of ended) await securityLog.record(trx, userId, 'session_revoked', { sessionId }, now);
    return ended.length;
  }

  async function userNamed(username: string): Promise<User> {
    const user = await users.findByUsername(username);
    if (!user) throw new AdminError(`no user is named "${username}"`);
    return user;
  }

  return {
    /**
     * Suspends the account and ends its sessions, in one transaction that writes the user's row
     * first (as a login does, so a login racing it either comes first and is ended, or fails).
     * Returns how many sessions ended.
     */
    async suspend(username: string): Promise<number> {
      const user = await userNamed(username);
      const now = clock();
      return transaction(db, async (trx) => {
        if (!(await users.setStatus(user.id, 'suspended', now, trx))) throw new AdminError(`the user "${username}" is gone`);
        return endSessions(user.id, now, trx);
      });
    },

    /** Lets the account log in again; its ended sessions stay ended. */
    async unsuspend(username: string): Promise<void> {
      const user = await userNamed(username);
      if (!(await users.setStatus(user.id, 'active', clock()))) throw new AdminError(`the user "${username}" is gone`);
    },

    async listSessions(username: string): Promise<Session[]> {
      return sessions.listActive((await userNamed(username)).id, clock());
    },

    /** Ends every session of the account (it may log in again); returns how many. */
    async revokeSessions(username: string): Promise<number> {
      const user = await userNamed(username);
      const now = clock();
      return transaction(db, (trx) => endSessions(user.id, now, trx));
    },
  };
}
