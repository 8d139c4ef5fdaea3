import type { Knex } from 'knex';

/** Whether MySQL connections treat their server as a Galera node: ask it (`auto`), or be told. */
export type GaleraMode = 'auto' | 'on' | 'off';

/** The callback API of a raw mysql2 connection, as Knex's pool hands it to `afterCreate`. */
export interface MysqlConnection {
  query(sql: string, cb: (err: Error | null, rows?: unknown) => void): void;
}

function query(conn: MysqlConnection, sql: string): Promise<unknown> {
  return new Promise((resolve, reject) => conn.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))));
}

/** The mysql2 settings of a `mysql://user:pass@host:port/db` URL. */
export function mysqlConnection(url: string): Knex.MySql2ConnectionConfig {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    charset: 'utf8mb4',
    timezone: 'Z',
    connectTimeout: 5000,
  };
}

/**
 * Session settings of each new pooled connection, set once rather than before every statement:
 * - row-lock waits bounded (InnoDB waits 50 s by default), so a stuck lock is a fast error;
 * - READ COMMITTED, so a read after taking a lock sees what was committed before it (see
 *   `transaction`);
 * - on a Galera node: `wsrep_sync_wait = 1`, so a read waits until this node has applied every
 *   write the cluster had committed when the read began (a logout or password change answered
 *   by another node is seen by the next session check here), and `wsrep_retry_autocommit = 4`,
 *   so a single statement that loses a certification conflict is run again by the server.
 */
export async function prepareMysqlSession(conn: MysqlConnection, options: { lockWaitSeconds: number; galera: GaleraMode }): Promise<void> {
  await query(conn, `SET SESSION innodb_lock_wait_timeout = ${Number(options.lockWaitSeconds)}`);
  await query(conn, 'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  const galera = options.galera === 'on' || (options.galera === 'auto' && (await isGaleraNode(conn)));
  if (galera) await query(conn, 'SET SESSION wsrep_sync_wait = 1, SESSION wsrep_retry_autocommit = 4');
}

/** True when the server is a node of a Galera cluster (MariaDB reports `wsrep_on`; servers without Galera, nothing or OFF). */
async function isGaleraNode(conn: MysqlConnection): Promise<boolean> {
  const rows = (await query(conn, "SHOW VARIABLES LIKE 'wsrep_on'")) as { Value?: string }[];
  return rows[0]?.Value === 'ON';
}
