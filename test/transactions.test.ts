import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflictStats, transaction } from '../src/db/db.js';
import { isDatabaseUnavailable, isTransactionConflict } from '../src/db/errors.js';
import { toAppError } from '../src/http/errors.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';

describe.each(databases.filter((k) => k === 'mysql'))('transactions that conflict on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.schema.createTable('pair', (t) => {
      t.integer('id').primary();
      t.integer('n').notNullable();
    });
    await database.db('pair').insert([
      { id: 1, n: 0 },
      { id: 2, n: 0 },
    ]);
  });
  afterAll(() => database.drop());

  it('when two transactions deadlock, then InnoDB rolls one back, transaction() runs it again, and both take effect', async () => {
    const { db } = database;
    const before = { ...conflictStats(db) };
    // Each takes one row, then waits for the other's: a deadlock InnoDB breaks by rolling one back.
    const crossing = (first: number, second: number) =>
      transaction(db, async (trx) => {
        await trx('pair').where({ id: first }).increment('n', 1);
        await sleep(150);
        await trx('pair').where({ id: second }).increment('n', 1);
      });
    await Promise.all([crossing(1, 2), crossing(2, 1)]);
    expect(await db('pair').orderBy('id').pluck('n')).toEqual([2, 2]);
    const after = conflictStats(db);
    expect(after.conflicts - before.conflicts).toBeGreaterThanOrEqual(1);
    expect(after.retries - before.retries).toBe(after.conflicts - before.conflicts);
    expect(after.exhausted).toBe(before.exhausted);
  });
});

describe.each(databases)('transactions that keep conflicting on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.drop());

  it('when every attempt is rolled back for a conflict, then transaction() gives up after the tenth with that error, counted as exhausted', async () => {
    const { db } = database;
    const before = { ...conflictStats(db) };
    // What mysql2 reports for a deadlock or a failed certification, thrown by the work itself
    // so that every attempt conflicts.
    const conflict = Object.assign(new Error('Deadlock found when trying to get lock'), { code: 'ER_LOCK_DEADLOCK', errno: 1213 });
    let attempts = 0;
    const outcome = transaction(db, async () => {
      attempts += 1;
      throw conflict;
    });
    await expect(outcome).rejects.toBe(conflict);
    expect(attempts).toBe(10);
    const after = conflictStats(db);
    expect([after.conflicts - before.conflicts, after.retries - before.retries, after.exhausted - before.exhausted]).toEqual([10, 9, 1]);
  });
});

describe('database errors', () => {
  it('when the server reports a conflict (deadlock, certification failure), then it is one to run again; a lock wait given up is not', () => {
    expect(isTransactionConflict({ code: 'ER_LOCK_DEADLOCK', errno: 1213 })).toBe(true);
    expect(isTransactionConflict({ code: 'ER_LOCK_WAIT_TIMEOUT', errno: 1205 })).toBe(false);
    expect(isTransactionConflict({ code: 'ER_DUP_ENTRY', errno: 1062 })).toBe(false);
  });

  it('when a Galera node is not ready, or a pooled connection lost its server, then the answer is 503, never 500', () => {
    const notReady = { code: 'ER_UNKNOWN_COM_ERROR', errno: 1047, message: 'WSREP has not yet prepared node for application use' };
    const closed = new Error("Can't add new command when connection is in closed state");
    for (const err of [notReady, closed]) {
      expect(isDatabaseUnavailable(err)).toBe(true);
      expect(toAppError(err)).toMatchObject({ status: 503, id: 'service_unavailable' });
    }
    expect(toAppError(new Error('something else'))).toMatchObject({ status: 500, id: 'internal_error' });
  });
});
