import type { Knex } from 'knex';

// The transactional outbox (docs/mail.md): a mail is a row written in the same transaction as
// the change it tells of; the worker in every instance claims due rows one at a time (a
// conditional UPDATE of claim_id), sends them and marks them sent, retrying with backoff.
// A row names what to send (kind, user, address); tokens are made when it is sent, so no
// usable token is ever stored.
export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2';
  await knex.schema.createTable('mail_outbox', (t) => {
    if (mysql) t.charset('utf8mb4');
    t.increments('id').primary();
    t.string('kind', 40).notNullable();
    t.integer('user_id').unsigned().nullable();
    t.string('address', 254).nullable();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.integer('attempts').notNullable().defaultTo(0);
    t.bigInteger('available_at').notNullable();
    t.string('claim_id', 36).nullable();
    t.bigInteger('claimed_until').nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('sent_at').nullable();
    t.string('last_error', 300).nullable();
    t.index(['status', 'available_at'], 'mail_outbox_due_index');
    t.index(['user_id', 'kind', 'status'], 'mail_outbox_user_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('mail_outbox');
}
