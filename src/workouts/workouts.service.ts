import { type Clock, DAY_MS } from '../clock.js';
import { type Db, type Executor, type Trx, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import { type Precondition, workoutTag } from '../preconditions.js';
import { type Achievements, coversStreak, minutesThisWeek, streakFromStarts, streakOf, summaryOf } from './achievements.js';
import { calendarOf } from './calendar.js';
import type { LogSummary, SummariesRepository } from './summaries.repository.js';
import type { Workout, WorkoutFields, WorkoutPosition, WorkoutQuery, WorkoutsRepository } from './workouts.repository.js';

/** A workout may start this far ahead of the server's clock (a phone clock ahead, a session planned today). */
const MAX_AHEAD_MS = DAY_MS;
/** The weekly minutes need the workouts of the last 8 days at most (a week and a time zone). */
const WEEK_WINDOW_MS = 8 * DAY_MS;
/** Start times read at first for the current streak; four times more each time it reaches further back. */
const STREAK_BATCH = 64;

const CURSOR = /^v1:([0-9]{1,16}):([1-9][0-9]{0,15})$/;

/** The opaque cursor of the page after a workout. */
function cursorAfter(w: Workout): string {
  return Buffer.from(`v1:${w.startedAt}:${w.id}`, 'utf8').toString('base64url');
}

function positionOf(cursor: string): WorkoutPosition {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw Errors.invalidCursor();
  return { startedAt: Number(match[1]), id: Number(match[2]) };
}

export interface WorkoutPage {
  workouts: Workout[];
  nextCursor: string | null;
}

export type WorkoutsService = ReturnType<typeof createWorkoutsService>;

/** The caller's training log and the achievements counted from it. */
export function createWorkoutsService(deps: {
  db: Db;
  workouts: WorkoutsRepository;
  summaries: SummariesRepository;
  /** The user's time zone (settings.timezone), read in the transaction of a write. */
  timeZoneOf: (userId: number, exec: Executor) => Promise<string>;
  clock: Clock;
}) {
  const { db, workouts, summaries, timeZoneOf, clock } = deps;

  /**
   * Runs a write of the user's log with the summary row locked, then writes the summary anew
   * from the whole log: of concurrent writes of one log each counts every other's (on a
   * cluster the summary row is their write conflict). A write to an `existing` workout finds
   * none in a log without a summary (every write keeps one), so it is 404 before any row is
   * made; only an `adding` write creates the summary row.
   */
  function changing<T>(userId: number, kind: 'adding' | 'existing', work: (trx: Trx) => Promise<T>): Promise<T> {
    return transaction(db, async (trx) => {
      if (!(await summaries.lock(userId, trx, kind === 'adding'))) throw Errors.workoutNotFound();
      const result = await work(trx);
      await recount(userId, await timeZoneOf(userId, trx), trx);
      return result;
    });
  }

  async function recount(userId: number, timeZone: string, trx: Trx): Promise<void> {
    await summaries.save(userId, summaryOf(await workouts.startTimes(userId, trx), timeZone), trx);
  }

  /** Enough of the latest start times for the current streak, however long it is. */
  async function streakStarts(userId: number, timeZone: string, now: number): Promise<number[]> {
    for (let limit = STREAK_BATCH; ; limit *= 4) {
      const starts = await workouts.latestStarts(userId, limit);
      if (coversStreak(starts, limit, timeZone, now)) return starts;
    }
  }

  function checkStart(fields: WorkoutFields, now: number): WorkoutFields {
    if (fields.startedAt > now + MAX_AHEAD_MS) throw Errors.workoutInFuture();
    // Stored to the second, as every time of the API is shown.
    return { ...fields, startedAt: Math.floor(fields.startedAt / 1000) * 1000 };
  }

  return {
    async create(userId: number, fields: WorkoutFields): Promise<Workout> {
      const now = clock();
      return changing(userId, 'adding', (trx) => workouts.insert(userId, checkStart(fields, now), now, trx));
    },

    async list(userId: number, query: Omit<WorkoutQuery, 'after'> & { cursor?: string }): Promise<WorkoutPage> {
      const after = query.cursor === undefined ? undefined : positionOf(query.cursor);
      const found = await workouts.page(userId, { ...query, after, limit: query.limit + 1 });
      const shown = found.slice(0, query.limit);
      const last = shown[shown.length - 1];
      return { workouts: shown, nextCursor: found.length > query.limit && last ? cursorAfter(last) : null };
    },

    async get(userId: number, id: number): Promise<Workout> {
      const found = await workouts.find(userId, id);
      if (!found) throw Errors.workoutNotFound();
      return found;
    },

    /**
     * Replaces the fields; with a precondition, only while the workout is at the version it
     * names: the version is compared in the UPDATE, so of two writers holding one tag exactly
     * one wins (a conflict on a cluster reruns the transaction, which then sees the new version).
     */
    async replace(userId: number, id: number, fields: WorkoutFields, precondition?: Precondition): Promise<Workout> {
      const now = clock();
      const checked = checkStart(fields, now);
      return changing(userId, 'existing', async (trx) => {
        const found = await workouts.find(userId, id, trx);
        if (!found) throw Errors.workoutNotFound();
        if (precondition && !precondition.matches(workoutTag(found.id, found.version))) throw Errors.preconditionFailed();
        if (!(await workouts.replace(userId, id, checked, now, precondition && found.version, trx))) throw Errors.preconditionFailed();
        return { ...found, ...checked, updatedAt: now, version: found.version + 1 };
      });
    },

    async delete(userId: number, id: number): Promise<void> {
      await changing(userId, 'existing', async (trx) => {
        if (!(await workouts.delete(userId, id, trx))) throw Errors.workoutNotFound();
      });
    },

    /**
     * Counts the log's summary again in a new time zone, in the transaction that changes the
     * setting (with the summary row locked, as a write of the log would). A user without a log
     * has no summary and keeps none.
     */
    async timeZoneChanged(userId: number, timeZone: string, trx: Trx): Promise<void> {
      if (await summaries.lock(userId, trx, false)) await recount(userId, timeZone, trx);
    },

    /**
     * The achievements of the user's log, in their time zone, from its summary (`known` when
     * the caller's authentication already read it; null when there is none, which means no
     * workouts: every write keeps one). The log itself is read only for the week's minutes when
     * a workout started in the last eight days, and for the streak when the newest workout
     * lies after today. A summary in another time zone than the setting (not expected: a
     * change of the setting counts it again) is counted afresh from the start times.
     */
    async achievements(userId: number, timeZone: string, known?: LogSummary | null): Promise<Achievements> {
      const now = clock();
      const kept = known === undefined ? await summaries.find(userId) : known;
      if (!kept) return { workoutsCompleted: 0, streakDays: 0, longestStreakDays: 0, minutesThisWeek: 0 };
      const summary = kept.timeZone === timeZone ? kept : summaryOf(await workouts.startTimes(userId), timeZone);
      const recent = summary.latestStartedAt !== null && summary.latestStartedAt >= now - WEEK_WINDOW_MS;
      const [streakDays, week] = await Promise.all([
        streakOf(summary, calendarOf(timeZone).dayOf(now)) ?? streakStarts(userId, timeZone, now).then((starts) => streakFromStarts(starts, timeZone, now)),
        recent ? workouts.since(userId, now - WEEK_WINDOW_MS) : [],
      ]);
      return {
        workoutsCompleted: summary.workoutsCompleted,
        streakDays,
        longestStreakDays: Math.max(summary.longestStreakDays, streakDays),
        minutesThisWeek: minutesThisWeek(week, timeZone, now),
      };
    },
  };
}
