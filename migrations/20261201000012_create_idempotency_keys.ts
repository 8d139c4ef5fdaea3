import type { Knex } from 'knex';

// Answers kept under an Idempotency-Key, so that a retried POST gets the first answer instead
// of being processed twice. The primary key decides which of two racing requests processes
// (on a cluster too: the losing insert is a write conflict). `status` is null while the first
// request is in flight; `locked_until` lets a later request take over a claim whose process
// died. `user_id` ties a caller's keys to the account (deleted with it).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('idempotency_keys', (t) => {
    if (knex.client.config.client === 'mysql2') t.charset('utf8mb4');
    t.string('scope', 80).notNullable();
    t.string('key_hash', 64).notNullable();
    t.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('fingerprint', 64).notNullable();
    t.string('owner', 32).notNullable();
    t.integer('status').nullable();
    t.text('reply').nullable();
    t.bigInteger('locked_until').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['scope', 'key_hash']);
    t.index(['expires_at'], 'idempotency_keys_expires_index');
    t.index(['user_id'], 'idempotency_keys_user_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('idempotency_keys');
}
