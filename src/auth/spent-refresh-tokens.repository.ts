import { type Db, type Executor, firstRow } from '../db/db.js';

/** A refresh token that was rotated away: when, of which session, and its successor, sealed under it. */
export interface SpentRefreshToken {
  tokenHash: string;
  sessionId: string;
  spentAt: number;
  successorBox: string;
}

interface SpentRow {
  token_hash: string;
  session_id: string;
  spent_at: number | string;
  successor_box: string;
}

export type SpentRefreshTokensRepository = ReturnType<typeof createSpentRefreshTokensRepository>;

/** Rotated refresh tokens, kept while their session lives (its rows go with it). */
export function createSpentRefreshTokensRepository(db: Db) {
  return {
    async insert(spent: SpentRefreshToken, exec: Executor = db): Promise<void> {
      await exec('spent_refresh_tokens').insert({
        token_hash: spent.tokenHash,
        session_id: spent.sessionId,
        spent_at: spent.spentAt,
        successor_box: spent.successorBox,
      });
    },

    async find(tokenHash: string, exec: Executor = db): Promise<SpentRefreshToken | undefined> {
      const row = await firstRow(exec<SpentRow>('spent_refresh_tokens').where({ token_hash: tokenHash }));
      return row && { tokenHash: row.token_hash, sessionId: row.session_id, spentAt: Number(row.spent_at), successorBox: row.successor_box };
    },
  };
}
