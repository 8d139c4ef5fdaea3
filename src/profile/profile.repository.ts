import type { Knex } from 'knex';
import { type Db, type Executor, firstRow } from '../db/db.js';
import { type TrainingRecord, toTrainingRecord } from '../training/training.repository.js';
import { type Settings, type SettingsRow, toSettings, toUser, type User, type UserRow } from '../users/users.repository.js';
import { type LogSummary, toLogSummary } from '../workouts/summaries.repository.js';

export interface Person {
  user: User;
  settings: Settings;
  /** Undefined until the questionnaire is first answered. */
  training: TrainingRecord | undefined;
  /** The summary of the training log; null until a write of the log keeps one. */
  log: LogSummary | null;
}

export type PersonRow = UserRow &
  Omit<SettingsRow, 'user_id' | 'updated_at'> & {
    settings_updated_at: number | string;
    training_profile: string | null;
    training_updated_at: number | string | null;
    log_workouts_completed: number | string | null;
    log_longest_streak_days: number | string;
    log_time_zone: string;
    log_latest_day: number | string | null;
    log_latest_run_days: number | string;
    log_latest_started_at: number | string | null;
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
  'workout_summaries.workouts_completed as log_workouts_completed',
  'workout_summaries.longest_streak_days as log_longest_streak_days',
  'workout_summaries.time_zone as log_time_zone',
  'workout_summaries.latest_day as log_latest_day',
  'workout_summaries.latest_run_days as log_latest_run_days',
  'workout_summaries.latest_started_at as log_latest_started_at',
];

/** Joins a query on `users` with the user's settings, questionnaire and log summary, on their primary keys. */
export function joinPerson<Q extends Knex.QueryBuilder>(query: Q): Q {
  return query
    .join('user_settings', 'user_settings.user_id', 'users.id')
    .leftJoin('training_profiles', 'training_profiles.user_id', 'users.id')
    .leftJoin('workout_summaries', 'workout_summaries.user_id', 'users.id') as Q;
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
    log:
      row.log_workouts_completed === null
        ? null
        : toLogSummary({
            workouts_completed: row.log_workouts_completed,
            longest_streak_days: row.log_longest_streak_days,
            time_zone: row.log_time_zone,
            latest_day: row.log_latest_day,
            latest_run_days: row.log_latest_run_days,
            latest_started_at: row.log_latest_started_at,
          }),
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
      const row: PersonRow | undefined = await firstRow(joinPerson(exec('users')).where('users.id', userId).select(PERSON_COLUMNS));
      return row && toPerson(row);
    },
  };
}
