import { type Db, type Executor, firstRow } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';

export interface TotpFactor {
  userId: number;
  /** The secret, encrypted (DataCipher). */
  secretBox: string;
  confirmedAt: number | null;
  /** The time step of the last code accepted. */
  lastStep: number | null;
}

interface FactorRow {
  user_id: number;
  secret_box: string;
  confirmed_at: number | string | null;
  last_step: number | string | null;
}

const toFactor = (row: FactorRow): TotpFactor => ({
  userId: Number(row.user_id),
  secretBox: row.secret_box,
  confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
  lastStep: row.last_step === null ? null : Number(row.last_step),
});

export type TwoFactorRepository = ReturnType<typeof createTwoFactorRepository>;

/** TOTP factors and recovery codes. Every write that must happen once is a conditional UPDATE. */
export function createTwoFactorRepository(db: Db) {
  return {
    async find(userId: number, exec: Executor = db): Promise<TotpFactor | undefined> {
      const row = await firstRow(exec<FactorRow>('totp_factors').where({ user_id: userId }));
      return row && toFactor(row);
    },

    /**
     * Stores a new pending secret, replacing a pending one; false when a confirmed factor is
     * there. Of parallel first setups the primary key lets one insert; the others replace its
     * secret (the last one wins, as if they had come one after the other).
     */
    async putPending(userId: number, secretBox: string, now: number, exec: Executor = db): Promise<boolean> {
      const replacePending = async () =>
        (await exec('totp_factors').where({ user_id: userId }).whereNull('confirmed_at').update({ secret_box: secretBox, created_at: now })) > 0;
      if (await replacePending()) return true;
      try {
        await exec('totp_factors').insert({ user_id: userId, secret_box: secretBox, created_at: now });
        return true;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        return replacePending();
      }
    },

    /** Confirms the pending factor while it still has `secretBox`, with its first accepted step. */
    async confirm(userId: number, secretBox: string, step: number, now: number, exec: Executor = db): Promise<boolean> {
      const updated = await exec('totp_factors')
        .where({ user_id: userId, secret_box: secretBox })
        .whereNull('confirmed_at')
        .update({ confirmed_at: now, last_step: step });
      return updated > 0;
    },

    /** Accepts the code of `step` once: only when no code of this or a later step was accepted. */
    async acceptStep(userId: number, step: number, exec: Executor = db): Promise<boolean> {
      const updated = await exec('totp_factors')
        .where({ user_id: userId })
        .whereNotNull('confirmed_at')
        .andWhere((q) => q.whereNull('last_step').orWhere('last_step', '<', step))
        .update({ last_step: step });
      return updated > 0;
    },

    /** Replaces the user's recovery codes with these (hashed). */
    async replaceRecoveryCodes(userId: number, codeHashes: string[], now: number, exec: Executor = db): Promise<void> {
      await exec('recovery_codes').where({ user_id: userId }).delete();
      await exec('recovery_codes').insert(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now })));
    },

    async hasUnusedRecoveryCode(userId: number, codeHash: string, exec: Executor = db): Promise<boolean> {
      return (await firstRow(exec('recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').select('code_hash'))) !== undefined;
    },

    /** Spends a recovery code once. */
    async spendRecoveryCode(userId: number, codeHash: string, now: number, exec: Executor = db): Promise<boolean> {
      return (await exec('recovery_codes').where({ user_id: userId, code_hash: codeHash }).whereNull('used_at').update({ used_at: now })) > 0;
    },

    /** Deletes the factor and the recovery codes; false when there was no confirmed factor. */
    async remove(userId: number, exec: Executor = db): Promise<boolean> {
      const removed = await exec('totp_factors').where({ user_id: userId }).whereNotNull('confirmed_at').delete();
      await exec('recovery_codes').where({ user_id: userId }).delete();
      return removed > 0;
    },
  };
}
