import type { Knex } from 'knex';

// The training log: `workouts` gets the columns of POST /workouts (until now it held only a
// completion time, and no operation wrote it). The table is rebuilt with its rows kept (read
// first: MySQL names foreign keys per database, so the old table goes before the new one
// comes): a row of the old shape becomes an `other` workout of one minute started at its
// completion time.
// `version` counts writes of a workout (conditional writes compare it). Settings gain the
// user's time zone (days of streaks, weeks of weekly minutes) and unit preference.
export async function up(knex: Knex): Promise<void> {
  const kept = (await knex('workouts').select('user_id', 'completed_at')) as { user_id: number; completed_at: number | string }[];
  await knex.schema.dropTable('workouts');
  await knex.schema.createTable('workouts', (t) => {
    if (knex.client.config.client === 'mysql2') t.charset('utf8mb4');
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('type', 30).notNullable();
    t.bigInteger('started_at').notNullable();
    t.integer('duration_min').notNullable();
    t.integer('perceived_exertion').nullable();
    t.integer('calories_kcal').nullable();
    t.double('distance_km').nullable();
    t.text('notes').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.integer('version').notNullable().defaultTo(1);
    t.index(['user_id', 'started_at', 'id'], 'workouts_user_started_index');
  });
  for (const row of kept) {
    const at = Number(row.completed_at);
    await knex('workouts').insert({ user_id: row.user_id, type: 'other', started_at: at, duration_min: 1, created_at: at, updated_at: at });
  }
  await knex.schema.alterTable('user_settings', (t) => {
    t.string('timezone', 64).notNullable().defaultTo('UTC');
    t.string('units', 10).notNullable().defaultTo('metric');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('user_settings', (t) => {
    t.dropColumn('timezone');
    t.dropColumn('units');
  });
  await knex.schema.dropTable('workouts');
  await knex.schema.createTable('workouts', (t) => {
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('completed_at').notNullable();
    t.index(['user_id', 'completed_at'], 'workouts_user_completed_index');
  });
}
