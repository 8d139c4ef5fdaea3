import type { Knex } from 'knex';

// Refresh tokens (docs/tokens.md). A session row holds the hash of its one current refresh
// token; a refresh replaces it with a conditional UPDATE on that row, so competing refreshes,
// a logout and a revocation all write the same row. last_used_at is the last login or refresh.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.string('refresh_hash', 64).nullable();
    t.bigInteger('last_used_at').nullable();
    t.unique(['refresh_hash'], { indexName: 'sessions_refresh_hash_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('sessions', (t) => {
    t.dropUnique(['refresh_hash'], 'sessions_refresh_hash_unique');
    t.dropColumn('refresh_hash');
    t.dropColumn('last_used_at');
  });
}
