import type { Knex } from 'knex';

// Every login writes its user's row (login_count + 1, last_login) in the transaction that
// inserts the session: concurrent logins, a password change and a reset of one user then all
// write that one row, so a multi-primary cluster's certification lets only one of them commit
// at a time, as a row lock does on one server (docs/scaling.md).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.bigInteger('login_count').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('login_count');
  });
}
