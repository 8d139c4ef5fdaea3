import type { Knex } from 'knex';

// The training questionnaire, stored as the JSON document the client sent (health answers
// included), one row per user. The summaries in /me and /user-data read and write this same
// document, so the views cannot drift apart.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('training_profiles', (t) => {
    t.integer('user_id').unsigned().primary().references('id').inTable('users').onDelete('CASCADE');
    t.text('profile').notNullable();
    t.bigInteger('updated_at').notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('training_profiles');
}
