import { type Db, type Executor, firstRow, numberOrNull } from '../db/db.js';

/** What the achievements keep of a user's whole log (see the migration). */
export interface LogSummary {
  workoutsCompleted: number;
  longestStreakDays: number;
  /** The local day (days since 1970-01-01 there) of the newest workout; null without any. */
  latestDay: number | null;
  /** The run of consecutive days with a workout ending at `latestDay`. */
  latestRunDays: number;
  /** When the newest workout started; null without any. */
  latestStartedAt: number | null;
  /** The time zone the days were counted in. */
  timeZone: string;
}

export interface SummaryRow {
  user_id: number;
  workouts_completed: number | string;
  longest_streak_days: number | string;
  time_zone: string;
  latest_day: number | string | null;
  latest_run_days: number | string;
  latest_started_at: number | string | null;
}

export function toLogSummary(row: Omit<SummaryRow, 'user_id'>): LogSummary {
  return {
    workoutsCompleted: Number(row.workouts_completed),
    longestStreakDays: Number(row.longest_streak_days),
    latestDay: numberOrNull(row.latest_day),
    latestRunDays: Number(row.latest_run_days),
    latestStartedAt: numberOrNull(row.latest_started_at),
    timeZone: row.time_zone,
  };
}

export type SummariesRepository = ReturnType<typeof createSummariesRepository>;

export function createSummariesRepository(db: Db) {
  return {
    async find(userId: number, exec: Executor = db): Promise<LogSummary | undefined> {
      const row = await firstRow(exec<SummaryRow>('workout_summaries').where({ user_id: userId }));
      return row && toLogSummary(row);
    },

    /** Writes the summary: the write every change of the log makes to this one row. */
    async save(userId: number, summary: LogSummary, exec: Executor = db): Promise<void> {
      await exec('workout_summaries')
        .insert({
          user_id: userId,
          workouts_completed: summary.workoutsCompleted,
          longest_streak_days: summary.longestStreakDays,
          time_zone: summary.timeZone,
          latest_day: summary.latestDay,
          latest_run_days: summary.latestRunDays,
          latest_started_at: summary.latestStartedAt,
        })
        .onConflict('user_id')
        .merge();
    },

    /**
     * Locks the user's summary row until the transaction ends, so that writes of one log take
     * turns; with `create`, makes the row first when there is none. False when there is none.
     * A row that is there is locked without an insert: competing `INSERT IGNORE`s of it would
     * each take a shared lock and deadlock on the way to the exclusive one.
     */
    async lock(userId: number, exec: Executor, create: boolean): Promise<boolean> {
      const locked = async () => (await firstRow(exec('workout_summaries').where({ user_id: userId }).forUpdate().select('user_id'))) !== undefined;
      const found = await locked();
      if (found || !create) return found;
      await exec('workout_summaries')
        .insert({ user_id: userId, workouts_completed: 0, longest_streak_days: 0, time_zone: '', latest_run_days: 0 })
        .onConflict('user_id')
        .ignore();
      return locked();
    },
  };
}
