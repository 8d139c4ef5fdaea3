import { type Db, type Executor, firstRow } from '../db/db.js';

/** What a mailed token is for. */
export type TokenPurpose = 'verify_email' | 'password_reset';

export interface UserToken {
  tokenHash: string;
  userId: number;
  purpose: TokenPurpose;
  /** The address it was mailed to, as `identityKey` gives it. */
  emailKey: string;
  createdAt: number;
  expiresAt: number;
  spentAt: number | null;
}

interface UserTokenRow {
  token_hash: string;
  user_id: number;
  purpose: string;
  email_key: string;
  created_at: number | string;
  expires_at: number | string;
  spent_at: number | string | null;
}

function toUserToken(row: UserTokenRow): UserToken {
  return {
    tokenHash: row.token_hash,
    userId: Number(row.user_id),
    purpose: row.purpose as TokenPurpose,
    emailKey: row.email_key,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    spentAt: row.spent_at === null ? null : Number(row.spent_at),
  };
}

export type UserTokensRepository = ReturnType<typeof createUserTokensRepository>;

/**
 * Single-use tokens mailed to users, stored as hashes. A token is usable while unspent and
 * unexpired; spending is a conditional UPDATE, so of two requests with one token exactly one
 * spends it.
 */
export function createUserTokensRepository(db: Db) {
  const usable = (exec: Executor, now: number) => exec('user_tokens').whereNull('spent_at').andWhere('expires_at', '>', now);
  return {
    async insert(token: Omit<UserToken, 'spentAt'>, exec: Executor = db): Promise<void> {
      await exec('user_tokens').insert({
        token_hash: token.tokenHash,
        user_id: token.userId,
        purpose: token.purpose,
        email_key: token.emailKey,
        created_at: token.createdAt,
        expires_at: token.expiresAt,
      });
    },

    /** The token with this hash and purpose while it is usable; undefined otherwise. */
    async findUsable(tokenHash: string, purpose: TokenPurpose, now: number, exec: Executor = db): Promise<UserToken | undefined> {
      const row: UserTokenRow | undefined = await firstRow(usable(exec, now).andWhere({ token_hash: tokenHash, purpose }));
      return row && toUserToken(row);
    },

    /** Spends the token if it is still usable; false when it was spent (or expired) first. */
    async spend(tokenHash: string, now: number, exec: Executor = db): Promise<boolean> {
      return (await usable(exec, now).andWhere({ token_hash: tokenHash }).update({ spent_at: now })) > 0;
    },

    /** Spends every usable token of the user with one of these purposes. */
    async spendAll(userId: number, purposes: readonly TokenPurpose[], now: number, exec: Executor = db): Promise<void> {
      await usable(exec, now).andWhere({ user_id: userId }).whereIn('purpose', purposes).update({ spent_at: now });
    },

    /** Deletes tokens that expired before `before`. */
    async purgeExpired(before: number): Promise<number> {
      return db('user_tokens').where('expires_at', '<', before).delete();
    },
  };
}
