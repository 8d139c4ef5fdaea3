import type { Db } from '../db/db.js';
import { toTrainingRecord, type TrainingRecord } from '../training/training.repository.js';
import { toSettings, toUser, type Settings, type SettingsRow, type User, type UserRow } from '../users/users.repository.js';

export interface Person {
  user: User;
  settings: Settings;
  /** Undefined until the questionnaire is first answered. */
  training: TrainingRecord | undefined;
}

type PersonRow = UserRow &
  Omit<SettingsRow, 'user_id' | 'updated_at'> & {
    settings_updated_at: number | string;
    training_profile: string | null;
    training_updated_at: number | string | null;
  };

export type ProfileRepository = ReturnType<typeof createProfileRepository>;

/**
 * What /me and /user-data show, read in one statement: the user, its settings and its
 * questionnaire, joined on their primary keys (each extra round trip was a fifth of a GET /me).
 */
export function createProfileRepository(db: Db) {
  return {
    async findPerson(userId: number): Promise<Person | undefined> {
      const row = await db<PersonRow>('users')
        .join('user_settings', 'user_settings.user_id', 'users.id')
        .leftJoin('training_profiles', 'training_profiles.user_id', 'users.id')
        .where('users.id', userId)
        .first(
          'users.*',
          'user_settings.notify_email',
          'user_settings.notify_push',
          'user_settings.profile_visibility',
          'user_settings.updated_at as settings_updated_at',
          'training_profiles.profile as training_profile',
          'training_profiles.updated_at as training_updated_at',
        );
      if (!row) return undefined;
      return {
        user: toUser(row),
        settings: toSettings({
          user_id: row.id,
          notify_email: row.notify_email,
          notify_push: row.notify_push,
          profile_visibility: row.profile_visibility,
          updated_at: row.settings_updated_at,
        }),
        training: row.training_profile === null ? undefined : toTrainingRecord(row.training_profile, row.training_updated_at as number | string),
      };
    },
  };
}
