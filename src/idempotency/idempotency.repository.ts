import { type Db, firstRow } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';

/** An answer as kept: what the handler replied. */
export interface KeptReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface Claim {
  scope: string;
  keyHash: string;
  userId: number | null;
  fingerprint: string;
  owner: string;
}

export interface KeyRecord {
  fingerprint: string;
  reply: KeptReply | null;
  lockedUntil: number;
  expiresAt: number;
}

interface KeyRow {
  fingerprint: string;
  status: number | null;
  reply: string | null;
  locked_until: number | string;
  expires_at: number | string;
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;

/** Idempotency keys: claimed by an insert (the primary key decides), then completed or released by their owner. */
export function createIdempotencyRepository(db: Db) {
  const keyOf = (c: { scope: string; keyHash: string }) => db('idempotency_keys').where({ scope: c.scope, key_hash: c.keyHash });
  return {
    /** Claims a key not held yet; false when a row for it exists. */
    async insert(claim: Claim, lockedUntil: number, expiresAt: number): Promise<boolean> {
      try {
        await db('idempotency_keys').insert({
          scope: claim.scope,
          key_hash: claim.keyHash,
          user_id: claim.userId,
          fingerprint: claim.fingerprint,
          owner: claim.owner,
          locked_until: lockedUntil,
          expires_at: expiresAt,
        });
        return true;
      } catch (err) {
        if (isUniqueViolation(err)) return false;
        throw err;
      }
    },

    async find(claim: Claim): Promise<KeyRecord | undefined> {
      const row: KeyRow | undefined = await firstRow(keyOf(claim).select('fingerprint', 'status', 'reply', 'locked_until', 'expires_at'));
      if (!row) return undefined;
      return {
        fingerprint: row.fingerprint,
        reply: row.status === null || row.reply === null ? null : (JSON.parse(row.reply) as KeptReply),
        lockedUntil: Number(row.locked_until),
        expiresAt: Number(row.expires_at),
      };
    },

    /** Takes over an unfinished claim whose lease ran out (its process died); false when another did first. */
    async takeOver(claim: Claim, now: number, lockedUntil: number): Promise<boolean> {
      const taken = await keyOf(claim)
        .whereNull('status')
        .andWhere('locked_until', '<=', now)
        .andWhere({ fingerprint: claim.fingerprint })
        .update({ owner: claim.owner, locked_until: lockedUntil });
      return taken > 0;
    },

    /** Keeps the answer, while `owner` still holds the claim. */
    async complete(claim: Claim, reply: KeptReply): Promise<void> {
      await keyOf(claim)
        .andWhere({ owner: claim.owner })
        .update({ status: reply.status, reply: JSON.stringify(reply) });
    },

    /** Gives the claim up (the request failed: a retry is processed afresh). */
    async release(claim: Claim): Promise<void> {
      await keyOf(claim).andWhere({ owner: claim.owner }).whereNull('status').delete();
    },

    /** Deletes the row of an expired key, so that the key can be claimed again. */
    async deleteExpired(claim: Claim, now: number): Promise<void> {
      await keyOf(claim).andWhere('expires_at', '<=', now).delete();
    },

    /** Deletes every expired key. */
    async purgeExpired(now: number): Promise<number> {
      return db('idempotency_keys').where('expires_at', '<=', now).delete();
    },
  };
}
