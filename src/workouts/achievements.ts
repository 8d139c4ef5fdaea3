import { calendarOf } from './calendar.js';

export interface Achievements {
  workoutsCompleted: number;
  /** Consecutive local days, ending today or yesterday, with at least one workout. */
  streakDays: number;
  /** The longest run of consecutive local days with a workout. */
  longestStreakDays: number;
  /** Minutes of the workouts started this local week (Monday to Sunday). */
  minutesThisWeek: number;
}

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

/** The longest run of consecutive days among distinct days, newest first. */
export function longestRun(days: number[]): number {
  let longest = 0;
  let run = 0;
  let previous: number | undefined;
  for (const day of days) {
    run = previous !== undefined && day === previous - 1 ? run + 1 : 1;
    longest = Math.max(longest, run);
    previous = day;
  }
  return longest;
}

/**
 * The achievements from the start times of all of a user's workouts (newest first) and the
 * start times and minutes of the recent ones, in the user's time zone at `now`.
 */
export function achievementsOf(startedAt: number[], recent: { startedAt: number; durationMin: number }[], timeZone: string, now: number): Achievements {
  const calendar = calendarOf(timeZone);
  const days = [...new Set(startedAt.map(calendar.dayOf))];
  const today = calendar.dayOf(now);
  const monday = calendar.mondayOf(today);
  const minutesThisWeek = recent
    .filter((w) => {
      const day = calendar.dayOf(w.startedAt);
      return day >= monday && day <= today;
    })
    .reduce((sum, w) => sum + w.durationMin, 0);
  return { workoutsCompleted: startedAt.length, streakDays: streakFrom(days, today), longestStreakDays: longestRun(days), minutesThisWeek };
}
