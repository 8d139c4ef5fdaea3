import type { Knex } from 'knex';

// What a notification mail tells beyond who it is for (the time, device and address of a new
// sign-in; the name of a deleted account), as JSON. Never a token: those are still made when
// the mail is sent.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.text('payload').nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('mail_outbox', (t) => {
    t.dropColumn('payload');
  });
}
