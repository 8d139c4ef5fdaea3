import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb } from '../src/db/db.js';
import { isDatabaseUnavailable } from '../src/db/errors.js';
import { preparedRead } from '../src/db/prepared.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';

describe.each(databases)('a prepared read on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.schema.createTable('people', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
      t.bigInteger('seen_at').notNullable();
      t.string('status').notNullable();
      // The kinds of column the session check reads: MySQL's binary protocol must give what Knex's text protocol gives.
      t.boolean('verified').notNullable();
      t.text('bio').nullable();
      t.bigInteger('left_at').nullable();
    });
    await database.db('people').insert([
      { id: 1, name: 'Ana', seen_at: 100, status: 'active', verified: true, bio: 'Runs — daily ✓', left_at: null },
      { id: 2, name: 'Ben', seen_at: 200, status: 'active', verified: false, bio: null, left_at: 1_796_000_000_000 },
      { id: 3, name: 'O\'Brien "x"', seen_at: 300, status: 'active', verified: true, bio: '', left_at: 0 },
      { id: 4, name: 'Dee', seen_at: 400, status: 'suspended', verified: false, bio: null, left_at: null },
    ]);
  });
  afterAll(() => database.drop());

  const query = (db: TestDatabase['db'], m: { name: string; after: string | number }) =>
    db('people')
      .where('name', m.name)
      .andWhere('seen_at', '>', m.after)
      .andWhere('status', 'active')
      .select('id', 'name', 'seen_at', 'verified', 'bio', 'left_at')
      .orderBy('id');

  it.each([
    ['a row that matches', 'Ben', 150],
    ['a row with text and a null', 'Ana', 0],
    ['a name that needs escaping', 'O\'Brien "x"', 0],
    ['a row excluded by a fixed condition', 'Dee', 0],
    ['a row excluded by a value', 'Ana', 100],
  ])('when it reads %s, then it answers exactly what the same Knex query answers', async (_case, name, after) => {
    const read = preparedRead<'name' | 'after', unknown>(database.db, ['name', 'after'], (m) => query(database.db, m));
    expect(await read({ name, after })).toEqual(await query(database.db, { name, after }));
  });

  it('when it runs 20 reads at once, then each gets its own values', async () => {
    const read = preparedRead<'name' | 'after', { id: number }>(database.db, ['name', 'after'], (m) => query(database.db, m));
    const names = ['Ana', 'Ben', 'O\'Brien "x"', 'Dee'];
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => read({ name: names[i % 4] ?? '', after: 0 })));
    expect(answers.map((rows) => rows.map((r) => Number(r.id)))).toEqual(Array.from({ length: 20 }, (_, i) => (i % 4 === 3 ? [] : [(i % 4) + 1])));
  });

  it('when the query does not use one of the named values, then it is refused at start-up', () => {
    expect(() => preparedRead(database.db, ['name', 'unused'], (m) => database.db('people').where('name', m.name))).toThrow('does not use unused');
  });

  // The statement is prepared once per connection and kept (by createDb on SQLite, by mysql2 on
  // MySQL): what it answers must not be.
  it('when rows and then the table itself change between two reads, then the second read answers what the table holds then', async () => {
    const read = preparedRead<'name' | 'after', unknown>(database.db, ['name', 'after'], (m) => query(database.db, m));
    expect(await read({ name: 'Eve', after: 0 })).toEqual([]);
    await database.db('people').insert({ id: 5, name: 'Eve', seen_at: 500, status: 'active', verified: true, bio: 'new', left_at: null });
    const afterInsert = await read({ name: 'Eve', after: 0 });
    expect(afterInsert).toEqual(await query(database.db, { name: 'Eve', after: 0 }));
    expect(afterInsert).toHaveLength(1);
    await database.db.schema.alterTable('people', (t) => t.string('nickname').nullable());
    await database.db('people').where('id', 5).update({ bio: 'changed' });
    const afterAlter = await read({ name: 'Eve', after: 0 });
    expect(afterAlter).toEqual(await query(database.db, { name: 'Eve', after: 0 }));
    expect(afterAlter).toMatchObject([{ bio: 'changed' }]);
  });
});

describe('a prepared read when MySQL is unreachable', () => {
  it('when no connection can be made, then the error is one the service answers 503 for', async () => {
    const db = createDb('mysql://root@127.0.0.1:1/none', { acquireTimeoutMs: 500 });
    const read = preparedRead<'id', unknown>(db, ['id'], (m) => db('people').where('id', m.id));
    const failure = await read({ id: 1 }).catch((err: unknown) => err);
    expect(isDatabaseUnavailable(failure)).toBe(true);
    await db.destroy();
  });
});
