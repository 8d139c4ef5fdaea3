import type { Db, Executor } from '../db/db.js';

export interface Achievements {
  workoutsCompleted: number;
  /** Consecutive UTC days, ending today or yesterday, with at least one workout. */
  streakDays: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const STREAK_WINDOW_DAYS = 400;

/** Counts a streak from distinct workout days, newest first. */
export function streakFrom(days: number[], today: number): number {
  // Days after today (a workout clock ahead of ours) neither start nor break a streak.
  const latest = days.find((day) => day <= today);
  let expected = latest === today || latest === today - 1 ? latest : undefined;
  let streak = 0;
  for (const day of days) {
    if (expected === undefined || day > expected) continue;
    if (day < expected) break;
    streak += 1;
    expected -= 1;
  }
  return streak;
}

export type WorkoutsRepository = ReturnType<typeof createWorkoutsRepository>;

/** Logged workouts: the source of the achievements shown in /user-data. */
export function createWorkoutsRepository(db: Db) {
  return {
    /** When each of the user's workouts was completed, oldest first. */
    async completedAt(userId: number, exec: Executor = db): Promise<number[]> {
      const rows = await exec('workouts')
        .where({ user_id: userId })
        .orderBy([{ column: 'completed_at' }, { column: 'id' }])
        .select<{ completed_at: number | string }[]>('completed_at');
      return rows.map((r) => Number(r.completed_at));
    },

    async achievements(userId: number, now: number, exec: Executor = db): Promise<Achievements> {
      const counted = await exec('workouts').where({ user_id: userId }).count<{ n: number | string }[]>({ n: '*' });
      const recent = await exec('workouts')
        .where({ user_id: userId })
        .andWhere('completed_at', '>', now - STREAK_WINDOW_DAYS * DAY_MS)
        .orderBy('completed_at', 'desc')
        .select<{ completed_at: number | string }[]>('completed_at');
      const days = [...new Set(recent.map((r) => Math.floor(Number(r.completed_at) / DAY_MS)))];
      return { workoutsCompleted: Number(counted[0]?.n ?? 0), streakDays: streakFrom(days, Math.floor(now / DAY_MS)) };
    },
  };
}
