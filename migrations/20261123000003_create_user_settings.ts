import type { Knex } from 'knex';

// Notification and privacy settings, one row per user, created with the user.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('user_settings', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.boolean('notify_email').notNullable().defaultTo(true);
    t.boolean('notify_push').notNullable().defaultTo(false);
    t.string('profile_visibility', 20).notNullable().defaultTo('public');
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('user_settings');
}
