import type { Knex } from 'knex';

// Whether the user proved they receive mail at `email` (POST /email/verify). Existing accounts
// start unverified, like new ones.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('email_verified').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('email_verified');
  });
}
