import type { Knex } from 'knex';

// Timestamps are epoch milliseconds (BIGINT) on both databases: one representation, compared as numbers.
// username_key / email_key hold the normalised form (NFC, lower case); their unique indexes make
// uniqueness case-insensitive on MySQL and SQLite alike, with binary collation so MySQL does not
// also fold accents.
export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2';
  await knex.schema.createTable('users', (t) => {
    if (mysql) t.charset('utf8mb4');
    t.increments('id').primary();
    t.string('username', 50).notNullable();
    const usernameKey = t.string('username_key', 50).notNullable();
    t.string('email', 254).notNullable();
    const emailKey = t.string('email_key', 254).notNullable();
    if (mysql) {
      usernameKey.collate('utf8mb4_bin');
      emailKey.collate('utf8mb4_bin');
    }
    t.string('full_name', 100).nullable();
    t.string('password_hash', 255).notNullable();
    t.string('plan', 20).notNullable().defaultTo('standard');
    t.boolean('is_admin').notNullable().defaultTo(false);
    t.string('account_status', 20).notNullable().defaultTo('active');
    t.text('avatar').nullable();
    t.text('bio').nullable();
    t.text('tags').nullable();
    t.string('country', 2).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.bigInteger('last_login').nullable();
    t.unique(['username_key'], { indexName: 'users_username_key_unique' });
    t.unique(['email_key'], { indexName: 'users_email_key_unique' });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('users');
}
