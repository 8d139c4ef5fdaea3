import type { Knex } from 'knex';

// What the achievements need from a user's whole log, kept up to date by every write of the
// log, so that reading them costs the same for ten workouts as for ten thousand: the count,
// the longest run of days, the newest workout's local day and the run of days ending there,
// and when the newest workout started, all in the time zone they were counted in. Every write of the log
// updates this row, which also orders concurrent writes of one user's log (on a cluster, as a
// write conflict).
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
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('workout_summaries');
}
