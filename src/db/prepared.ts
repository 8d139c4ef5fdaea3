import type { Knex } from 'knex';
import { type Db, isMysql } from './db.js';

type Value = string | number;

interface MysqlConnection {
  execute(sql: string, values: unknown[], done: (err: Error | null, rows: unknown) => void): void;
}

interface SqliteConnection {
  prepare(sql: string): { all(values: unknown[]): unknown };
}

/**
 * A read run on every request, with its SQL built by Knex once, at start-up, and then sent on a
 * pooled connection with each call's values. Knex compiles a query anew on every run: for the
 * session check's five-table join, compiling (about 20 µs timed alone) and Knex's runner came
 * to about 70 µs of CPU per request (docs/benchmark-findings.md). On MySQL the statement is a prepared
 * one (mysql2's `execute`, cached per connection): the server parses it once per connection,
 * and the values travel apart from the SQL instead of being escaped into its text on every
 * call. The pool is Knex's, so the acquire timeout, the connection set-up and the errors stay
 * what they are for other queries.
 *
 * `build` receives a marker for each named value, in place of the value itself; every call
 * supplies all the values, and the markers' places in the compiled bindings take them.
 */
export function preparedRead<Name extends string, Row>(
  db: Db,
  names: readonly Name[],
  build: (markers: Record<Name, string>) => Knex.QueryBuilder,
): (values: Record<Name, Value>) => Promise<Row[]> {
  const markers = Object.fromEntries(names.map((name) => [name, `\u0000${name}`])) as Record<Name, string>;
  const { sql, bindings } = build(markers).toSQL();
  const slots = bindings.map((binding) => names.find((name) => markers[name] === binding));
  for (const name of names) {
    if (!slots.includes(name)) throw new Error(`preparedRead: the query does not use ${name}`);
  }
  const valuesOf = (values: Record<Name, Value>) =>
    bindings.map((binding, i) => {
      const slot = slots[i];
      return slot === undefined ? binding : values[slot];
    });
  // The SQL as a string, not `{ sql }`: mysql2 copies an options object with spreads and then
  // adds properties to the copy, which on Node 20 made `execute` about 6% of GET /me's CPU.
  const run = isMysql(db)
    ? (conn: MysqlConnection, values: unknown[]) =>
        new Promise<Row[]>((resolve, reject) => conn.execute(sql, values, (err, rows) => (err ? reject(err) : resolve(rows as Row[]))))
    : async (conn: SqliteConnection, values: unknown[]) => conn.prepare(sql).all(values) as Row[];
  return async (values) => {
    const conn = await db.client.acquireConnection();
    try {
      return await run(conn, valuesOf(values));
    } finally {
      db.client.releaseConnection(conn);
    }
  };
}
