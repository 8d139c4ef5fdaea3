/**
 * Driver errors, told apart in one place for both databases: mysql2 (MySQL/MariaDB) and
 * better-sqlite3.
 */
interface DriverError {
  code?: string;
  errno?: number;
  message?: string;
  name?: string;
}

function asDriverError(err: unknown): DriverError {
  return typeof err === 'object' && err !== null ? (err as DriverError) : {};
}

/** True when an insert or update broke a unique index; `index` narrows it to one index. */
export function isUniqueViolation(err: unknown, index?: string): boolean {
  const e = asDriverError(err);
  const unique = e.code === 'ER_DUP_ENTRY' || e.errno === 1062 || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
  if (!unique) return false;
  if (index === undefined) return true;
  // Knex puts the SQL in front of the driver's message, so read only the part naming the
  // constraint: MySQL names the index (`for key 'users_email_key_unique'`), SQLite the column
  // (`UNIQUE constraint failed: users.email_key`).
  const constraint = /for key '([^']+)'|UNIQUE constraint failed: (.+)$/.exec(e.message ?? '');
  return (constraint?.[1] ?? constraint?.[2] ?? '').includes(index);
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_QUERY_INTERRUPTED',
  // A Galera node that is joining, desynced or has lost its cluster: not ready for clients.
  'ER_UNKNOWN_COM_ERROR',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
]);

/**
 * True when the database cannot serve the request right now (down, unreachable, pool exhausted,
 * lock wait exceeded): the client should retry later, so the answer is 503, not 500.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = asDriverError(err);
  if (e.name === 'KnexTimeoutError') return true;
  if (e.code !== undefined && UNAVAILABLE_CODES.has(e.code)) return true;
  // mysql2, on a connection whose server went away while it sat in the pool.
  if (e.message?.includes("Can't add new command when connection is in closed state")) return true;
  return e.errno === 1927 /* MariaDB: connection killed */ || e.errno === 2013 || e.errno === 2006 || e.errno === 1047;
}

/**
 * True when the database rolled the transaction back to resolve a conflict with another one
 * (a deadlock on InnoDB; on Galera, a failed certification or an applier abort, reported the
 * same way): running it again, as a whole, is the remedy. A lock wait that timed out is not
 * one: it has already waited `innodb_lock_wait_timeout`, and waiting again would only hold the
 * client longer (it answers 503).
 */
export function isTransactionConflict(err: unknown): boolean {
  const e = asDriverError(err);
  return e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213;
}
