import type { SessionsRepository } from '../auth/sessions.repository.js';
import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import type { TwoFactor } from '../mfa/two-factor.service.js';
import type { ProfileRepository } from '../profile/profile.repository.js';
import type { SecurityLog } from '../security/security-log.js';
import type { WorkoutsRepository } from '../workouts/workouts.repository.js';

export type AccountExport = ReturnType<typeof createAccountExport>;

/**
 * Everything stored about a user, for taking it elsewhere (GDPR Articles 15 and 20): read in
 * one transaction, with the `account_exported` event written in it first, so the document is
 * one consistent picture that includes its own export. Secrets stay out: the caller's view
 * (handlers) names each field it shows.
 */
export function createAccountExport(deps: {
  db: Db;
  people: ProfileRepository;
  workouts: WorkoutsRepository;
  sessions: SessionsRepository;
  securityLog: SecurityLog;
  twoFactor: Pick<TwoFactor, 'isEnabled'>;
  clock: Clock;
}) {
  const { db, people, workouts, sessions, securityLog, twoFactor, clock } = deps;
  return {
    async export(userId: number, sessionId: string, client: ClientInfo) {
      const now = clock();
      return transaction(db, async (trx) => {
        await securityLog.record(trx, userId, 'account_exported', { client, sessionId }, now);
        const person = await people.findPerson(userId, trx);
        if (!person) throw Errors.accountNotFound();
        return {
          exportedAt: now,
          person,
          twoFactorEnabled: await twoFactor.isEnabled(userId, trx),
          workouts: await workouts.all(userId, trx),
          sessions: await sessions.listAll(userId, trx),
          events: await securityLog.all(userId, trx),
        };
      });
    },
  };
}
