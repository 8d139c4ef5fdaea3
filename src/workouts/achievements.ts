import { calendarOf } from './calendar.js';
import type { LogSummary } from './summaries.repository.js';

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

/** The summary of a whole log (start times newest first) in a time zone, as every write keeps it. */
export function summaryOf(startedAt: number[], timeZone: string): LogSummary {
  const calendar = calendarOf(timeZone);
  const days = [...new Set(startedAt.map(calendar.dayOf))];
  const latestDay = days[0] ?? null;
  return {
    workoutsCompleted: startedAt.length,
    longestStreakDays: longestRun(days),
    latestDay,
    latestRunDays: latestDay === null ? 0 : streakFrom(days, latestDay),
    latestStartedAt: startedAt[0] ?? null,
    timeZone,
  };
}

/**
 * The streak today from the summary alone: the run ending at the newest workout's day counts
 * while that day is today or yesterday. Undefined when the newest workout lies after today (a
 * clock ahead): the run ending today must then be read from the log.
 */
export function streakOf(summary: LogSummary, today: number): number | undefined {
  if (summary.latestDay === null) return 0;
  if (summary.latestDay > today) return undefined;
  return summary.latestDay >= today - 1 ? summary.latestRunDays : 0;
}

/** The current streak from start times (newest first), the latest ones reaching back past its first day. */
export function streakFromStarts(latestStarts: number[], timeZone: string, now: number): number {
  const calendar = calendarOf(timeZone);
  return streakFrom([...new Set(latestStarts.map(calendar.dayOf))], calendar.dayOf(now));
}

/** Minutes of the workouts started this local week (Monday to now), from those of the last eight days. */
export function minutesThisWeek(week: { startedAt: number; durationMin: number }[], timeZone: string, now: number): number {
  const calendar = calendarOf(timeZone);
  const today = calendar.dayOf(now);
  const monday = calendar.mondayOf(today);
  return week
    .filter((w) => {
      const day = calendar.dayOf(w.startedAt);
      return day >= monday && day <= today;
    })
    .reduce((sum, w) => sum + w.durationMin, 0);
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
