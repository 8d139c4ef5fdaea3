import type { Knex } from 'knex';

// What happened to an account (logins, logouts, password and address changes, two-factor
// changes, exports), written in the transaction of the change it records and shown to the
// user by GET /security-events. `device` is the user agent's family and the client's network
// (a /24 or /48): a login from a device not seen in the retention window mails the user.
// Rows older than SECURITY_EVENT_RETENTION_DAYS are purged; they go with the user.
export async function up(knex: Knex): Promise<void> {
  const mysql = knex.client.config.client === 'mysql2';
  await knex.schema.createTable('security_events', (t) => {
    if (mysql) t.charset('utf8mb4');
    t.increments('id').primary();
    t.integer('user_id').unsigned().notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('type', 40).notNullable();
    t.bigInteger('occurred_at').notNullable();
    t.string('ip_address', 45).nullable();
    t.string('user_agent', 512).nullable();
    t.string('session_id', 64).nullable();
    t.string('device', 120).nullable();
    t.index(['user_id', 'id'], 'security_events_user_index');
    t.index(['user_id', 'device'], 'security_events_device_index');
    t.index(['occurred_at'], 'security_events_occurred_index');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('security_events');
}
