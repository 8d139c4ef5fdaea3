import { type Db, type Executor, firstRow, limitTo, numberOrNull } from '../db/db.js';

export const WORKOUT_TYPES = [
  'strength_training',
  'cardio',
  'hiit',
  'yoga_pilates',
  'functional_training',
  'stretching',
  'running',
  'cycling',
  'swimming',
  'walking',
  'other',
] as const;

export type WorkoutType = (typeof WORKOUT_TYPES)[number];

/** What a client says about a workout. */
export interface WorkoutFields {
  type: WorkoutType;
  startedAt: number;
  durationMin: number;
  perceivedExertion: number | null;
  caloriesKcal: number | null;
  distanceKm: number | null;
  notes: string | null;
}

export interface Workout extends WorkoutFields {
  id: number;
  userId: number;
  createdAt: number;
  updatedAt: number;
  /** How many times it was written (1 when created). */
  version: number;
}

interface WorkoutRow {
  id: number;
  user_id: number;
  type: string;
  started_at: number | string;
  duration_min: number | string;
  perceived_exertion: number | null;
  calories_kcal: number | null;
  distance_km: number | string | null;
  notes: string | null;
  created_at: number | string;
  updated_at: number | string;
  version: number | string;
}

function toWorkout(row: WorkoutRow): Workout {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    type: row.type as WorkoutType,
    startedAt: Number(row.started_at),
    durationMin: Number(row.duration_min),
    perceivedExertion: numberOrNull(row.perceived_exertion),
    caloriesKcal: numberOrNull(row.calories_kcal),
    distanceKm: numberOrNull(row.distance_km),
    notes: row.notes,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    version: Number(row.version),
  };
}

const columnsOf = (w: WorkoutFields) => ({
  type: w.type,
  started_at: w.startedAt,
  duration_min: w.durationMin,
  perceived_exertion: w.perceivedExertion,
  calories_kcal: w.caloriesKcal,
  distance_km: w.distanceKm,
  notes: w.notes,
});

/** Where a page of workouts starts: after this (started_at, id), in newest-first order. */
export interface WorkoutPosition {
  startedAt: number;
  id: number;
}

export interface WorkoutQuery {
  limit: number;
  after?: WorkoutPosition;
  from?: number;
  to?: number;
  type?: WorkoutType;
}

export type WorkoutsRepository = ReturnType<typeof createWorkoutsRepository>;

/**
 * The training log. Every query names the user: a workout of another user is never read or
 * written, it is simply not found. Pages are keyset pages on (started_at, id), the index.
 */
export function createWorkoutsRepository(db: Db) {
  const mine = (exec: Executor, userId: number, id: number) => exec<WorkoutRow>('workouts').where({ user_id: userId, id });
  return {
    async insert(userId: number, fields: WorkoutFields, now: number, exec: Executor = db): Promise<Workout> {
      const [id] = await exec('workouts').insert({ user_id: userId, ...columnsOf(fields), created_at: now, updated_at: now, version: 1 });
      return { ...fields, id: Number(id), userId, createdAt: now, updatedAt: now, version: 1 };
    },

    async find(userId: number, id: number, exec: Executor = db): Promise<Workout | undefined> {
      const row = await firstRow(mine(exec, userId, id));
      return row && toWorkout(row);
    },

    /**
     * Replaces the fields; with `version`, only while the workout is still at it (a conditional
     * write: of two writers holding one version, one wins). False when there is no such
     * workout of the user, or it moved on.
     */
    async replace(userId: number, id: number, fields: WorkoutFields, now: number, version?: number, exec: Executor = db): Promise<boolean> {
      const query = mine(exec, userId, id);
      if (version !== undefined) query.andWhere({ version });
      return (await query.update({ ...columnsOf(fields), updated_at: now, version: exec.raw('version + 1') })) > 0;
    },

    async delete(userId: number, id: number, exec: Executor = db): Promise<boolean> {
      return (await mine(exec, userId, id).delete()) > 0;
    },

    /** Up to `limit` of the user's workouts, newest first, after `after`. */
    async page(userId: number, q: WorkoutQuery, exec: Executor = db): Promise<Workout[]> {
      const query = exec<WorkoutRow>('workouts').where({ user_id: userId });
      if (q.type) query.andWhere({ type: q.type });
      if (q.from !== undefined) query.andWhere('started_at', '>=', q.from);
      if (q.to !== undefined) query.andWhere('started_at', '<', q.to);
      const { after } = q;
      if (after) {
        query.andWhere((w) =>
          w.where('started_at', '<', after.startedAt).orWhere((same) => same.where('started_at', after.startedAt).andWhere('id', '<', after.id)),
        );
      }
      const newestFirst = query.orderBy([
        { column: 'started_at', order: 'desc' },
        { column: 'id', order: 'desc' },
      ]);
      const rows = await limitTo(newestFirst, q.limit);
      return rows.map(toWorkout);
    },

    /** Every workout of the user, newest first (the export). */
    async all(userId: number, exec: Executor = db): Promise<Workout[]> {
      const rows = await exec<WorkoutRow>('workouts')
        .where({ user_id: userId })
        .orderBy([
          { column: 'started_at', order: 'desc' },
          { column: 'id', order: 'desc' },
        ]);
      return rows.map(toWorkout);
    },

    /** When the user's latest `limit` workouts started, newest first (read from the index alone). */
    async latestStarts(userId: number, limit: number, exec: Executor = db): Promise<number[]> {
      const latest = exec('workouts').where({ user_id: userId }).orderBy('started_at', 'desc');
      const rows = await limitTo(latest, limit).select<{ started_at: number | string }[]>('started_at');
      return rows.map((r) => Number(r.started_at));
    },

    /** When each of the user's workouts started, newest first (read from the index alone). */
    async startTimes(userId: number, exec: Executor = db): Promise<number[]> {
      const rows = await exec('workouts').where({ user_id: userId }).orderBy('started_at', 'desc').select<{ started_at: number | string }[]>('started_at');
      return rows.map((r) => Number(r.started_at));
    },

    /** Start times and minutes of the user's workouts started since `since`. */
    async since(userId: number, since: number, exec: Executor = db): Promise<{ startedAt: number; durationMin: number }[]> {
      const rows = await exec('workouts')
        .where({ user_id: userId })
        .andWhere('started_at', '>=', since)
        .select<{ started_at: number | string; duration_min: number | string }[]>('started_at', 'duration_min');
      return rows.map((r) => ({ startedAt: Number(r.started_at), durationMin: Number(r.duration_min) }));
    },
  };
}
