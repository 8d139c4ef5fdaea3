import type { Knex } from 'knex';

// `data_version` counts the writes of an account's editable data (profile, settings,
// questionnaire): the ETag of /me, /user-data and /training-profile, compared in the UPDATE of
// a conditional write (If-Match), so that two writers holding one tag cannot both win.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('data_version').notNullable().defaultTo(1);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('data_version');
  });
}
