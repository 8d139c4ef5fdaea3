import type { Knex } from 'knex';
import { summaryOf } from '../src/workouts/achievements.js';

// What the achievements need from a user's whole log, kept up to date by every write of the
// log, so that reading them costs the same for ten workouts as for ten thousand: the count,
// the longest run of days, the newest workout's local day and the run of days ending there,
// and when the newest workout started, all in the time zone they were counted in. Every write of the log
// updates this row, which also orders concurrent writes of one user's log (on a cluster, as a
// write conflict). Users with workouts get theirs counted here; no row means no workouts.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workout_summaries', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.integer('workouts_completed').notNullable();
    t.integer('longest_streak_days').notNullable();
    t.string('time_zone', 64).notNullable();
    t.integer('latest_day').nullable();
    t.integer('latest_run_days').notNullable();
    t.bigInteger('latest_started_at').nullable();
  });
  const rows = (await knex('workouts')
    .join('user_settings', 'user_settings.user_id', 'workouts.user_id')
    .orderBy([{ column: 'workouts.user_id' }, { column: 'workouts.started_at', order: 'desc' }])
    .select('workouts.user_id', 'workouts.started_at', 'user_settings.timezone')) as { user_id: number; started_at: number | string; timezone: string }[];
  const logs = new Map<number, { timeZone: string; starts: number[] }>();
  for (const row of rows) {
    const log = logs.get(row.user_id) ?? { timeZone: row.timezone, starts: [] };
    log.starts.push(Number(row.started_at));
    logs.set(row.user_id, log);
  }
  for (const [userId, { timeZone, starts }] of logs) {
    const s = summaryOf(starts, timeZone);
    await knex('workout_summaries').insert({
      user_id: userId,
      workouts_completed: s.workoutsCompleted,
      longest_streak_days: s.longestStreakDays,
      time_zone: s.timeZone,
      latest_day: s.latestDay,
      latest_run_days: s.latestRunDays,
      latest_started_at: s.latestStartedAt,
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('workout_summaries');
}
