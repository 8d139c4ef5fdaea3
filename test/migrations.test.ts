import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateDown, migrateLatest } from '../src/db/migrate.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';

const DAY_MS = 86_400_000;
/** The migrations from the training log on: 10 (workouts rebuilt), 11, 12, 13 (summaries counted). */
const SINCE_TRAINING_LOG = 4;

describe.each(databases)('upgrading a database that has workouts of the old shape on %s', (kind) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
  });
  afterAll(() => database.drop());

  it('when the training log migrations run, then old rows become one-minute workouts and each user gets a counted summary', async () => {
    const { db } = database;
    await migrateDown(db, SINCE_TRAINING_LOG);
    const now = Date.UTC(2026, 0, 10, 12);
    const [id] = await db('users').insert({
      username: 'old_timer',
      username_key: 'old_timer',
      email: 'old@example.com',
      email_key: 'old@example.com',
      password_hash: 'x',
      created_at: now,
      updated_at: now,
    });
    await db('user_settings').insert({ user_id: id, updated_at: now });
    await db('workouts').insert([0, 1, 2, 5].map((d) => ({ user_id: id, completed_at: now - d * DAY_MS })));
    await migrateLatest(db);

    const rows = await db('workouts').where({ user_id: id }).orderBy('started_at', 'desc');
    expect(rows.map((r) => [r.type, Number(r.duration_min), Number(r.started_at)])).toEqual([0, 1, 2, 5].map((d) => ['other', 1, now - d * DAY_MS]));
    const summary = await db('workout_summaries').where({ user_id: id }).first();
    expect({ ...summary, latest_day: Number(summary.latest_day), latest_started_at: Number(summary.latest_started_at) }).toMatchObject({
      workouts_completed: 4,
      longest_streak_days: 3,
      latest_run_days: 3,
      time_zone: 'UTC',
      latest_day: Math.floor(now / DAY_MS),
      latest_started_at: now,
    });
  });
});
