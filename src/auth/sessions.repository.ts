import type { Knex } from 'knex';
import type { Caller, CallerView } from '../caller.js';
import { type Db, type Executor, firstRow } from '../db/db.js';
import { preparedRead } from '../db/prepared.js';
import { toUser, type UserRow } from '../users/users.repository.js';

export interface Session {
  id: string;
  userId: number;
  tokenPrefix: string;
  createdAt: number;
  /** When the session ends unless it is refreshed again (its refresh token's expiry). */
  expiresAt: number;
  /** The last login or refresh. */
  lastUsedAt: number;
  userAgent: string | null;
  ipAddress: string | null;
}

/** A session as a new one is inserted: with the hash of its first refresh token. */
export interface NewSession extends Session {
  refreshHash: string;
}

/** A session found by its refresh token, with what a refresh needs to know. */
export interface RefreshableSession extends Session {
  refreshHash: string | null;
  active: boolean;
  /** An operator suspended the session's user. */
  userSuspended: boolean;
}

interface SessionRow {
  id: string;
  user_id: number;
  token_prefix: string;
  created_at: number | string;
  expires_at: number | string;
  last_used_at: number | string | null;
  user_agent: string | null;
  ip_address: string | null;
  revoked_at: number | string | null;
  refresh_hash: string | null;
}

type RefreshableRow = SessionRow & { account_status: string };

function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    userId: Number(row.user_id),
    tokenPrefix: row.token_prefix,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    // Sessions from before refresh tokens were never refreshed: their last use is the login.
    lastUsedAt: Number(row.last_used_at ?? row.created_at),
    userAgent: row.user_agent,
    ipAddress: row.ip_address,
  };
}

function toRefreshable(row: RefreshableRow, now: number): RefreshableSession {
  return {
    ...toSession(row),
    refreshHash: row.refresh_hash,
    active: row.revoked_at === null && Number(row.expires_at) > now,
    userSuspended: row.account_status === 'suspended',
  };
}

/**
 * How the 'person' view reads the whole person in the session check's statement: a join on
 * the `users` row, the columns to select and the reading of the row. The profile domain
 * supplies it (`PERSON_QUERY`); the app passes it in.
 */
export interface PersonQuery {
  join<Q extends Knex.QueryBuilder>(query: Q): Q;
  columns: readonly string[];
  read(row: unknown): NonNullable<Caller['person']>;
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;

/** Server-side sessions: active while not revoked and not expired. */
export function createSessionsRepository(db: Db, personQuery: PersonQuery) {
  const refreshable = (exec: Executor) =>
    exec<RefreshableRow>('sessions').join('users', 'users.id', 'sessions.user_id').select('sessions.*', 'users.account_status');
  // `now` is a marker instead of a time in a prepared read.
  const active = (exec: Executor, now: number | string) =>
    exec<SessionRow>('sessions').whereNull('sessions.revoked_at').andWhere('sessions.expires_at', '>', now);
  // The session check runs on every authenticated request: its statements are built once.
  const CALLER_VALUES = ['id', 'userId', 'now'] as const;
  type CallerValue = (typeof CALLER_VALUES)[number];
  const callerQuery = (m: Record<CallerValue, string>) =>
    active(db, m.now)
      .andWhere('sessions.id', m.id)
      .andWhere('sessions.user_id', m.userId)
      .join('users', 'users.id', 'sessions.user_id')
      .andWhere('users.account_status', 'active');
  // No LIMIT: the session's key admits one row at most (and a bound one would have SQLite plan
  // the statement again on every run, see limitTo).
  const callerAsPerson = preparedRead<CallerValue, unknown>(db, CALLER_VALUES, (m) => personQuery.join(callerQuery(m)).select([...personQuery.columns]));
  const callerAsAccount = preparedRead<CallerValue, UserRow>(db, CALLER_VALUES, (m) => callerQuery(m).select('users.*'));
  return {
    async insert(session: NewSession, exec: Executor = db): Promise<void> {
      await exec('sessions').insert({
        id: session.id,
        user_id: session.userId,
        token_prefix: session.tokenPrefix,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        last_used_at: session.lastUsedAt,
        user_agent: session.userAgent,
        ip_address: session.ipAddress,
        refresh_hash: session.refreshHash,
      });
    },

    /**
     * The caller of an active session of this user, read in the same statement as the session
     * check (one primary-key lookup joined on primary keys): the user's row, and with the
     * 'person' view its settings and questionnaire too. Undefined when the session is not
     * active or not this user's, or the user is gone or suspended.
     */
    async findCaller(id: string, userId: number, now: number, view: CallerView): Promise<Caller | undefined> {
      const values = { id, userId, now };
      if (view === 'person') {
        const [row] = await callerAsPerson(values);
        if (!row) return undefined;
        const person = personQuery.read(row);
        return { user: person.user, person };
      }
      const [row] = await callerAsAccount(values);
      return row && { user: toUser(row) };
    },

    /** The session whose current refresh token has this hash, active or not. */
    async findByRefreshHash(refreshHash: string, now: number, exec: Executor = db): Promise<RefreshableSession | undefined> {
      const row = await firstRow(refreshable(exec).where('sessions.refresh_hash', refreshHash));
      return row && toRefreshable(row, now);
    },

    /** A session by id, active or not, as a refresh sees it. */
    async findRefreshable(id: string, now: number, exec: Executor = db): Promise<RefreshableSession | undefined> {
      const row = await firstRow(refreshable(exec).where('sessions.id', id));
      return row && toRefreshable(row, now);
    },

    /**
     * Replaces the session's refresh token, only while `currentHash` is still its token and the
     * session is active: of competing refreshes (and a logout or revocation racing them) the
     * database lets exactly one write the row. Slides the expiry and records the use. False
     * when the condition no longer held.
     */
    async rotateRefresh(id: string, currentHash: string, next: { refreshHash: string; expiresAt: number }, now: number, exec: Executor = db): Promise<boolean> {
      const updated = await active(exec, now)
        .andWhere({ id, refresh_hash: currentHash })
        .update({ refresh_hash: next.refreshHash, expires_at: next.expiresAt, last_used_at: now });
      return updated > 0;
    },

    async listActive(userId: number, now: number): Promise<Session[]> {
      const rows = await active(db, now)
        .andWhere({ user_id: userId })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]);
      return rows.map(toSession);
    },

    /** Every session of the user still stored, active, revoked or expired (until purged), newest first. */
    async listAll(userId: number, exec: Executor = db): Promise<(Session & { revokedAt: number | null })[]> {
      const rows = await exec<SessionRow>('sessions')
        .where({ user_id: userId })
        .orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id' }]);
      return rows.map((row) => ({ ...toSession(row), revokedAt: row.revoked_at === null ? null : Number(row.revoked_at) }));
    },

    async countActive(userId: number, now: number, exec: Executor = db): Promise<number> {
      const row = await active(exec, now).andWhere({ user_id: userId }).count<{ n: number | string }[]>({ n: '*' });
      return Number(row[0]?.n ?? 0);
    },

    /** Active sessions of all users (the metrics gauge). */
    async countAllActive(now: number): Promise<number> {
      const row = await active(db, now).count<{ n: number | string }[]>({ n: '*' });
      return Number(row[0]?.n ?? 0);
    },

    /** Revokes one of the user's active sessions; false when it is not theirs or not active. */
    async revoke(id: string, userId: number, now: number, exec: Executor = db): Promise<boolean> {
      const updated = await active(exec, now).andWhere({ id, user_id: userId }).update({ revoked_at: now });
      return updated > 0;
    },

    /**
     * Revokes every active session of the user except `keepId` (all of them when undefined);
     * returns their ids. A session opened between the read and the update is left alone, as
     * if it had been opened right after.
     */
    async revokeAllExcept(userId: number, keepId: string | undefined, now: number, exec: Executor = db): Promise<string[]> {
      const query = active(exec, now).andWhere({ user_id: userId });
      if (keepId !== undefined) query.andWhereNot({ id: keepId });
      const ids = (await query.select<{ id: string }[]>('id')).map((row) => row.id);
      if (ids.length > 0) await active(exec, now).whereIn('id', ids).update({ revoked_at: now });
      return ids;
    },

    /**
     * As `revokeAllExcept`, in one statement, for callers that do not need the ids: returns how
     * many were revoked. A password change holds its user's row while it runs, so on a cluster
     * each statement saved is time in which another node's login cannot abort it.
     */
    async revokeAll(userId: number, keepId: string | undefined, now: number, exec: Executor = db): Promise<number> {
      const query = active(exec, now).andWhere({ user_id: userId });
      if (keepId !== undefined) query.andWhereNot({ id: keepId });
      return query.update({ revoked_at: now });
    },

    /** Deletes sessions that have expired; revoked ones go too once their expiry has passed. */
    async purgeExpired(now: number): Promise<number> {
      return db('sessions').where('expires_at', '<=', now).delete();
    },
  };
}
