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
 * The achievements at `now` in the user's time zone: the count and the longest run from the
 * summary of the whole log, the current streak from the latest start times (newest first,
 * reaching back past the streak's first day), the week's minutes from the workouts of the
 * last eight days.
 */
export function achievementsOf(
  summary: { workoutsCompleted: number; longestStreakDays: number },
  latestStarts: number[],
  week: { startedAt: number; durationMin: number }[],
  timeZone: string,
  now: number,
): Achievements {
  const calendar = calendarOf(timeZone);
  const today = calendar.dayOf(now);
  const monday = calendar.mondayOf(today);
  const minutesThisWeek = week
    .filter((w) => {
      const day = calendar.dayOf(w.startedAt);
      return day >= monday && day <= today;
    })
    .reduce((sum, w) => sum + w.durationMin, 0);
  const streakDays = streakFrom([...new Set(latestStarts.map(calendar.dayOf))], today);
  return { workoutsCompleted: summary.workoutsCompleted, streakDays, longestStreakDays: Math.max(summary.longestStreakDays, streakDays), minutesThisWeek };
}

/** The count and longest run of a whole log (start times newest first), in a time zone. */
export function summaryOf(startedAt: number[], timeZone: string) {
  const calendar = calendarOf(timeZone);
  return { workoutsCompleted: startedAt.length, longestStreakDays: longestRun([...new Set(startedAt.map(calendar.dayOf))]), timeZone };
}

/**
 * Whether the start times read (newest first, `limit` asked for) reach back past the current
 * streak: the streak's first day is later than the oldest day read, or there is nothing older.
 */
export function coversStreak(latestStarts: number[], limit: number, timeZone: string, now: number): boolean {
  if (latestStarts.length < limit) return true;
  const calendar = calendarOf(timeZone);
  const days = [...new Set(latestStarts.map(calendar.dayOf))];
  const today = calendar.dayOf(now);
  const streak = streakFrom(days, today);
  if (streak === 0) return true;
  const first = (days.find((d) => d <= today) as number) - streak + 1;
  return first > (days[days.length - 1] as number);
}
