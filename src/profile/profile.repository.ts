import type { Knex } from 'knex';
import type { Db, Executor } from '../db/db.js';
import { type TrainingRecord, toTrainingRecord } from '../training/training.repository.js';
import { type Settings, type SettingsRow, toSettings, toUser, type User, type UserRow } from '../users/users.repository.js';

export interface Person {
  user: User;
  settings: Settings;
  /** Undefined until the questionnaire is first answered. */
  training: TrainingRecord | undefined;
}

export type PersonRow = UserRow &
  Omit<SettingsRow, 'user_id' | 'updated_at'> & {
    settings_updated_at: number | string;
    training_profile: string | null;
    training_updated_at: number | string | null;
  };

/** The columns of a Person; select them from `users` joined by `joinPerson`. */
export const PERSON_COLUMNS = [
  'users.*',
  'user_settings.notify_email',
  'user_settings.notify_push',
  'user_settings.profile_visibility',
  'user_settings.timezone',
  'user_settings.units',
  'user_settings.updated_at as settings_updated_at',
  'training_profiles.profile as training_profile',
  'training_profiles.updated_at as training_updated_at',
];

/** Joins a query on `users` with the user's settings and questionnaire, on their primary keys. */
export function joinPerson<Q extends Knex.QueryBuilder>(query: Q): Q {
  return query.join('user_settings', 'user_settings.user_id', 'users.id').leftJoin('training_profiles', 'training_profiles.user_id', 'users.id') as Q;
}

/** How the session check reads the whole person in its own statement (see the sessions repository). */
export const PERSON_QUERY = {
  join: joinPerson,
  columns: PERSON_COLUMNS,
  read: (row: unknown) => toPerson(row as PersonRow),
};

export function toPerson(row: PersonRow): Person {
  return {
    user: toUser(row),
    settings: toSettings({
      user_id: row.id,
      notify_email: row.notify_email,
      notify_push: row.notify_push,
      profile_visibility: row.profile_visibility,
      timezone: row.timezone,
      units: row.units,
      updated_at: row.settings_updated_at,
    }),
    training: row.training_profile === null ? undefined : toTrainingRecord(row.training_profile, row.training_updated_at as number | string),
  };
}

export type ProfileRepository = ReturnType<typeof createProfileRepository>;

/**
 * What /me and /user-data show, read in one statement: the user, its settings and its
 * questionnaire: one round trip instead of three.
 */
export function createProfileRepository(db: Db) {
  return {
    async findPerson(userId: number, exec: Executor = db): Promise<Person | undefined> {
      const row = await joinPerson(exec('users')).where('users.id', userId).first<PersonRow | undefined>(PERSON_COLUMNS);
      return row && toPerson(row);
    },
  };
}
