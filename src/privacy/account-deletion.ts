import type { AuthContext, ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import type { OutboxRepository } from '../mail/outbox.repository.js';
import type { Composer } from '../mail/worker.js';
import type { FactorCodes, TwoFactor } from '../mfa/two-factor.service.js';
import type { PasswordCheck } from '../security/password-check.js';
import type { UsersRepository } from '../users/users.repository.js';

export const ACCOUNT_DELETED = 'account_deleted';
export const ACCOUNT_DELETED_TEMPLATE = 'account-deleted';

export type AccountDeletion = ReturnType<typeof createAccountDeletion>;

/**
 * Deleting one's own account (GDPR Article 17; docs/security.md): after the password and, when
 * on, the second factor, one transaction deletes the user's row, which takes every other row
 * of the user with it (foreign keys ON DELETE CASCADE: sessions and their refresh tokens,
 * settings, questionnaire, workouts, mailed tokens, security log, two-factor secret and
 * recovery codes), deletes the user's queued mails, and queues the confirmation mail, which
 * names only the address and the username. The delete is conditional on the password checked,
 * so a password change racing it wins or loses as a whole.
 */
export function createAccountDeletion(deps: {
  db: Db;
  users: UsersRepository;
  outbox: OutboxRepository;
  passwordCheck: PasswordCheck;
  twoFactor: Pick<TwoFactor, 'check' | 'spend'>;
  clock: Clock;
}) {
  const { db, users, outbox, passwordCheck, twoFactor, clock } = deps;

  const compose: Composer = async (job) =>
    job.address === null ? { drop: 'no address' } : { to: job.address, template: ACCOUNT_DELETED_TEMPLATE, vars: { username: job.payload.username ?? '' } };

  return {
    compose,

    async delete(auth: AuthContext, password: string, codes: FactorCodes, client: ClientInfo): Promise<void> {
      const { user } = auth;
      await passwordCheck.confirm(user, password, client, Errors.invalidCurrentPassword);
      await passwordCheck.reserve(user.id, client);
      const proof = await twoFactor.check(user.id, codes);
      await passwordCheck.forgive(user.id, client);
      const now = clock();
      await transaction(db, async (trx) => {
        // The user's row first, as a login takes it, then the code (the delete takes it along).
        if (!(await users.lockById(user.id, trx))) throw Errors.unauthorized();
        if (proof && !(await twoFactor.spend(trx, proof))) throw Errors.invalidTwoFactorCode();
        await outbox.deleteOf(user.id, trx);
        if (!(await users.deleteIfPassword(user.id, user.passwordHash, trx))) throw Errors.invalidCurrentPassword();
        await outbox.enqueue({ kind: ACCOUNT_DELETED, address: user.email, payload: { username: user.username } }, now, trx);
      });
    },
  };
}
