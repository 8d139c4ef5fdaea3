import type { Db, Executor } from '../db/db.js';

/** What the achievements keep of a user's whole log (see the migration). */
export interface LogSummary {
  workoutsCompleted: number;
  longestStreakDays: number;
  /** The time zone the longest run was counted in. */
  timeZone: string;
}

interface SummaryRow {
  user_id: number;
  workouts_completed: number | string;
  longest_streak_days: number | string;
  time_zone: string;
}

export type SummariesRepository = ReturnType<typeof createSummariesRepository>;

export function createSummariesRepository(db: Db) {
  return {
    async find(userId: number, exec: Executor = db): Promise<LogSummary | undefined> {
      const row = await exec<SummaryRow>('workout_summaries').where({ user_id: userId }).first();
      return row && { workoutsCompleted: Number(row.workouts_completed), longestStreakDays: Number(row.longest_streak_days), timeZone: row.time_zone };
    },

    /** Writes the summary: the write every change of the log makes to this one row. */
    async save(userId: number, summary: LogSummary, exec: Executor = db): Promise<void> {
      await exec('workout_summaries')
        .insert({ user_id: userId, workouts_completed: summary.workoutsCompleted, longest_streak_days: summary.longestStreakDays, time_zone: summary.timeZone })
        .onConflict('user_id')
        .merge();
    },

    /** Locks the user's summary row until the transaction ends (creating it first), so that writes of one log take turns. */
    async lock(userId: number, exec: Executor): Promise<void> {
      await exec('workout_summaries').insert({ user_id: userId, workouts_completed: 0, longest_streak_days: 0, time_zone: '' }).onConflict('user_id').ignore();
      await exec('workout_summaries').where({ user_id: userId }).forUpdate().first('user_id');
    },
  };
}
