import type { Knex } from 'knex';

// What the achievements need from a user's whole log, kept up to date by every write of the
// log, so that reading them costs the same for ten workouts as for ten thousand: the count,
// and the longest run of days in the time zone it was counted in. Every write of the log
// updates this row, which also orders concurrent writes of one user's log (on a cluster, as a
// write conflict).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workout_summaries', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.integer('workouts_completed').notNullable();
    t.integer('longest_streak_days').notNullable();
    t.string('time_zone', 64).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('workout_summaries');
}
