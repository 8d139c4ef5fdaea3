import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import knex, { type Knex } from 'knex';
import { BoundedMap } from '../bounded-map.js';
import { isTransactionConflict } from './errors.js';
import { type GaleraMode, type MysqlConnection, mysqlConnection, prepareMysqlSession } from './mysql.js';

export type { GaleraMode };

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the pool or an open transaction: repository methods accept both. */
export type Executor = Knex | Knex.Transaction;

/** A nullable numeric column as read (MySQL gives BIGINT and DECIMAL as strings) as a number or null. */
export const numberOrNull = (value: number | string | null) => (value === null ? null : Number(value));

export interface DbOptions {
  /** How long a query may wait for a pooled connection before failing (mapped to 503). */
  acquireTimeoutMs?: number;
  /** Upper bound on MySQL row-lock waits, in seconds. */
  lockWaitTimeoutSeconds?: number;
  poolMax?: number;
  /**
   * Whether the MySQL server is a Galera node, whose connections then read causally
   * (`wsrep_sync_wait`): `auto` asks each new connection's server (`wsrep_on`).
   */
  galera?: GaleraMode;
  /** Where Knex's own warnings go (pool acquire timeouts and the like); dropped when absent. */
  logger?: { warn: (msg: string) => void; error: (msg: string) => void };
}

function knexLog(options: DbOptions): Knex.Config['log'] {
  const warn = (msg: unknown) => options.logger?.warn(String(msg));
  const error = (msg: unknown) => options.logger?.error(String(msg));
  return { warn, error, deprecate: warn, debug: () => undefined };
}

/**
 * The query limited to `rows`, with the number written into the SQL. Knex binds a LIMIT as a
 * parameter, and SQLite reads a bound LIMIT while it prepares the statement, so binding it
 * again makes SQLite prepare the statement again: that defeated the kept statements below (18
 * against 8 µs a call for a read by a unique key, 22 µs prepared anew; docs/benchmark-findings.md).
 * Knex takes the number through parseInt, so nothing but digits reaches the SQL. MySQL
 * (mysql2's text protocol) is indifferent.
 */
export function limitTo<Query extends Knex.QueryBuilder>(query: Query, rows: number): Query {
  return query.limit(rows, { skipBinding: true }) as Query;
}

/** The query's first row, or undefined: Knex's `first()` without its bound LIMIT (limitTo). */
export async function firstRow<Query extends Knex.QueryBuilder>(query: Query): Promise<Awaited<Query>[number] | undefined> {
  const rows = await limitTo(query, 1);
  return rows[0];
}

export function isMysql(db: Executor): boolean {
  return db.client.config.client === 'mysql2';
}

interface SqliteConnection {
  pragma(sql: string): unknown;
  prepare(sql: string): unknown;
}

/** Prepared statements kept per connection; more distinct SQL texts than this are not expected. */
const PREPARED_STATEMENTS = 500;

/**
 * Knex asks better-sqlite3 to prepare every statement anew, and preparing (parsing and planning)
 * a join costs more than running it. Statements are kept by
 * their SQL text (values are bound separately) and reused; SQLite re-prepares one by itself if
 * the schema changes under it.
 */
function reusePreparedStatements(conn: SqliteConnection): void {
  const prepare = conn.prepare.bind(conn);
  const prepared = new BoundedMap<string, unknown>(PREPARED_STATEMENTS);
  conn.prepare = (sql: string) => {
    let statement = prepared.get(sql);
    if (statement === undefined) {
      statement = prepare(sql);
      prepared.set(sql, statement);
    }
    return statement;
  };
}

/**
 * Makes the SQLite file (password hashes, emails, health answers) readable by the service's
 * user only: created 0600 when absent, tightened to 0600 when present, whatever the umask.
 * SQLite gives a new `-wal` or `-shm` the main file's mode (fchmod, so the umask does not
 * matter) but leaves the mode of one that already holds data, as a crash leaves them: those
 * are tightened here.
 */
function keepPrivate(filename: string): void {
  closeSync(openSync(filename, 'a', 0o600));
  for (const file of [filename, `${filename}-wal`, `${filename}-shm`]) {
    if (existsSync(file)) chmodSync(file, 0o600);
  }
}

/** Opens a Knex pool for `sqlite:<file>` (embedded, one connection) or `mysql://...`. */
export function createDb(url: string, options: DbOptions = {}): Db {
  const acquireConnectionTimeout = options.acquireTimeoutMs ?? 3000;
  if (url.startsWith('mysql://')) {
    const lockWait = options.lockWaitTimeoutSeconds ?? 5;
    return knex({
      client: 'mysql2',
      log: knexLog(options),
      compileSqlOnError: false,
      connection: mysqlConnection(url),
      acquireConnectionTimeout,
      pool: {
        min: 0,
        max: options.poolMax ?? 10,
        afterCreate: (conn: MysqlConnection, done: (err: Error | null, conn: unknown) => void) => {
          prepareMysqlSession(conn, { lockWaitSeconds: lockWait, galera: options.galera ?? 'auto' }).then(
            () => done(null, conn),
            (err: Error) => done(err, conn),
          );
        },
      },
    });
  }
  const filename = url.replace(/^sqlite:/, '');
  if (filename !== ':memory:') {
    mkdirSync(dirname(filename), { recursive: true });
    keepPrivate(filename);
  }
  return knex({
    client: 'better-sqlite3',
    log: knexLog(options),
    // A failed query's error shows its SQL with placeholders, never the bound values
    // (passwords hashes, emails, health answers) that would otherwise reach the log.
    compileSqlOnError: false,
    connection: { filename },
    useNullAsDefault: true,
    acquireConnectionTimeout,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) => {
        reusePreparedStatements(conn);
        conn.pragma('journal_mode = WAL');
        conn.pragma('foreign_keys = ON');
        conn.pragma('busy_timeout = 5000');
        done(null, conn);
      },
    },
  });
}

/**
 * A password change on one node loses to every login of its user that another node commits
 * while it runs, each about half the time under a stream of such logins (the cluster test):
 * ten attempts make a 503 rare there, and cost at most about half a second of pauses.
 */
const CONFLICT_ATTEMPTS = 10;
const LONGEST_PAUSE_MS = 80;

/** Transactions the database rolled back for a conflict, and what became of them, per pool. */
export interface ConflictStats {
  conflicts: number;
  retries: number;
  /** Conflicts still there after the last attempt (answered 503). */
  exhausted: number;
}

const stats = new WeakMap<Db, ConflictStats>();

/** The conflict counters of this pool (the metrics read them). */
export function conflictStats(db: Db): ConflictStats {
  let found = stats.get(db);
  if (!found) {
    found = { conflicts: 0, retries: 0, exhausted: 0 };
    stats.set(db, found);
  }
  return found;
}

/**
 * Runs `work` in a transaction. On MySQL the pool's connections are READ COMMITTED (set in
 * `createDb`), so a read made after taking a row lock sees every commit made before the lock
 * was granted; SQLite serialises writers on its single connection anyway. A transaction the
 * database rolled back for a conflict (a deadlock, or on Galera a failed certification) is run
 * again as a whole (`work` must not have effects outside it), up to
 * ten attempts, after a random pause that doubles each time up to 80 ms; it fails only when the
 * conflicts persist.
 */
export async function transaction<T>(db: Db, work: (trx: Trx) => Promise<T>): Promise<T> {
  const counted = conflictStats(db);
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await db.transaction(work);
    } catch (err) {
      if (!isTransactionConflict(err)) throw err;
      counted.conflicts += 1;
      if (attempt >= CONFLICT_ATTEMPTS) {
        counted.exhausted += 1;
        throw err;
      }
      counted.retries += 1;
      // Exponential with full jitter (5, 10, 20, 40, then 80 ms at most): racers spread out.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(LONGEST_PAUSE_MS, 5 * 2 ** (attempt - 1))));
    }
  }
}
