import type { Knex } from 'knex';

// Two-factor login (TOTP, RFC 6238). One factor per user: its secret encrypted under
// DATA_ENCRYPTION_KEY (`secret_box`), pending until `confirmed_at`; `last_step` is the time
// step of the last code accepted, so a code is accepted once (a conditional UPDATE moves it
// forward). Recovery codes are stored as SHA-256 hashes (80 random bits each) and spent by a
// conditional UPDATE of `used_at`. Both go with the user.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('totp_factors', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.string('secret_box', 200).notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('confirmed_at').nullable();
    t.bigInteger('last_step').nullable();
  });
  await knex.schema.createTable('recovery_codes', (t) => {
    t.string('code_hash', 64).primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.index(['user_id'], 'recovery_codes_user_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('recovery_codes');
  await knex.schema.dropTable('totp_factors');
}
