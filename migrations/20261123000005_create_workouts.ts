import type { Knex } from 'knex';

// Completed workouts: the source of the achievements in /user-data. No endpoint logs them
// yet, so they count 0 until one does.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('workouts', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('completed_at').notNullable();
    t.index(['user_id', 'completed_at'], 'workouts_user_completed_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('workouts');
}
