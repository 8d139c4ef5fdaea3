import type { Knex } from 'knex';

// Single-use tokens mailed to a user: email verification and password reset. Only the SHA-256
// of a token is stored, with the address it was mailed to (`email_key`, as in users): a token
// stops working once spent, expired, or when the account's address is no longer that one.
export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2';
  await knex.schema.createTable('user_tokens', (t) => {
    if (mysql) t.charset('utf8mb4');
    t.string('token_hash', 64).primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('purpose', 20).notNullable();
    const emailKey = t.string('email_key', 254).notNullable();
    if (mysql) emailKey.collate('utf8mb4_bin');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('spent_at').nullable();
    t.index(['user_id', 'purpose'], 'user_tokens_user_purpose_index');
    t.index(['expires_at'], 'user_tokens_expires_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_tokens');
}
