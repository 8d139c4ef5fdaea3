import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstRow, limitTo } from '../src/db/db.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';

describe.each(databases)('a limited read on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    await database.db.schema.createTable('marks', (t) => {
      t.integer('id').primary();
      t.string('name').notNullable();
    });
    await database.db('marks').insert([
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
      { id: 3, name: 'c' },
    ]);
  });
  afterAll(() => database.drop());

  const marks = () => database.db<{ id: number; name: string }>('marks').orderBy('id', 'desc');

  it('when limitTo is given a number, then the SQL holds it and binds nothing for it', async () => {
    const { sql, bindings } = limitTo(marks().where('id', '>', 0), 2).toSQL();
    expect(sql).toMatch(/ limit 2$/);
    expect(bindings).toEqual([0]);
    expect((await limitTo(marks(), 2)).map((m) => Number(m.id))).toEqual([3, 2]);
  });

  it('when limitTo is given something else than a number, then only its leading digits reach the SQL', () => {
    expect(limitTo(marks(), '1 union select 1' as unknown as number).toSQL().sql).toMatch(/ limit 1$/);
  });

  it('when firstRow reads, then it answers the first row in order, and undefined when none matches', async () => {
    expect(await firstRow(marks())).toEqual({ id: 3, name: 'c' });
    expect(await firstRow(marks().where('name', 'b').select('name'))).toEqual({ name: 'b' });
    expect(await firstRow(marks().where('name', 'none'))).toBeUndefined();
  });
});
