import type { components } from '../../generated/api.js';
import { type Db, type Executor, firstRow } from '../db/db.js';

/** The questionnaire as stored and returned (basic information may still be unanswered). */
export type StoredTrainingProfile = components['schemas']['TrainingProfileView'];

export interface TrainingRecord {
  profile: StoredTrainingProfile;
  updatedAt: number;
}

interface TrainingRow {
  user_id: number;
  profile: string;
  updated_at: number | string;
}

export function toTrainingRecord(profile: string, updatedAt: number | string): TrainingRecord {
  return { profile: JSON.parse(profile) as StoredTrainingProfile, updatedAt: Number(updatedAt) };
}

export type TrainingRepository = ReturnType<typeof createTrainingRepository>;

/** One questionnaire document per user (JSON text: MariaDB and SQLite both return strings). */
export function createTrainingRepository(db: Db) {
  return {
    async find(userId: number, exec: Executor = db): Promise<TrainingRecord | undefined> {
      const row = await firstRow(exec<TrainingRow>('training_profiles').where({ user_id: userId }));
      return row && toTrainingRecord(row.profile, row.updated_at);
    },

    async save(userId: number, profile: StoredTrainingProfile, now: number, exec: Executor = db): Promise<void> {
      await exec('training_profiles')
        .insert({ user_id: userId, profile: JSON.stringify(profile), updated_at: now })
        .onConflict('user_id')
        .merge(['profile', 'updated_at']);
    },
  };
}
