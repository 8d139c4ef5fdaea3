import type { Knex } from 'knex';

// One row per login. The token itself is never stored: token_prefix keeps its first 10
// characters for display. A session counts as active while revoked_at is null and
// expires_at is in the future.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 64).primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('token_prefix', 10).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('revoked_at').nullable();
    t.string('user_agent', 512).nullable();
    t.string('ip_address', 45).nullable();
    t.index(['user_id', 'expires_at'], 'sessions_user_expires_index');
    t.index(['expires_at'], 'sessions_expires_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('sessions');
}
