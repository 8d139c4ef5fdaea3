import type { Knex } from 'knex';

// Refresh tokens that were rotated away, kept while their session lives: presenting one again
// is reuse (the session ends), except within the grace window, where `successor_box` (the next
// token, encrypted under a key derived from this one) lets its holder get the current token
// back. Only hashes are stored; the box opens only with the spent token itself.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('spent_refresh_tokens', (t) => {
    t.string('token_hash', 64).primary();
    t.string('session_id', 64).notNullable().references('id').inTable('sessions').onDelete('CASCADE');
    t.bigInteger('spent_at').notNullable();
    t.string('successor_box', 200).notNullable();
    t.index(['session_id'], 'spent_refresh_tokens_session_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('spent_refresh_tokens');
}
