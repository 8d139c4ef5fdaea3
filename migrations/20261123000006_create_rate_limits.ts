import type { Knex } from 'knex';

// Counters of rate-limiter-flexible when RATE_LIMIT_STORE=database, so that several instances
// share them. Columns and their order are the ones the library expects (key, points, expire).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('rate_limits', (t) => {
    t.string('key', 255).primary();
    t.integer('points').notNullable().defaultTo(0);
    t.bigInteger('expire').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('rate_limits');
}
