import type { components } from '../../generated/api.js';
import { toIso } from '../clock.js';
import type { HandlerMap } from '../operations.js';
import { preconditionOf, workoutTag } from '../preconditions.js';
import type { Workout, WorkoutFields } from './workouts.repository.js';
import type { WorkoutsService } from './workouts.service.js';

type WorkoutInput = components['schemas']['WorkoutInput'];

/** `wrk_<n>` as the API names a workout; the path parameter's pattern has checked it. */
const idOf = (publicId: string) => Number(publicId.slice('wrk_'.length));

function fieldsOf(input: WorkoutInput): WorkoutFields {
  return {
    type: input.type,
    startedAt: Date.parse(input.started_at),
    durationMin: input.duration_min,
    perceivedExertion: input.perceived_exertion ?? null,
    caloriesKcal: input.calories_kcal ?? null,
    distanceKm: input.distance_km ?? null,
    notes: input.notes ?? null,
  };
}

export function workoutView(w: Workout): components['schemas']['Workout'] {
  return {
    id: `wrk_${w.id}`,
    type: w.type,
    started_at: toIso(w.startedAt),
    duration_min: w.durationMin,
    perceived_exertion: w.perceivedExertion,
    calories_kcal: w.caloriesKcal,
    distance_km: w.distanceKm,
    notes: w.notes,
    created_at: toIso(w.createdAt),
    updated_at: toIso(w.updatedAt),
  };
}

/** The training log. */
export function createWorkoutsHandlers(service: WorkoutsService) {
  return {
    createWorkout: async ({ auth, body }) => {
      const workout = await service.create(auth.userId, fieldsOf(body));
      return { status: 201, headers: { ETag: workoutTag(workout.id, workout.version) }, body: workoutView(workout) };
    },

    listWorkouts: async ({ auth, query }) => {
      const page = await service.list(auth.userId, {
        limit: query.limit ?? 20,
        cursor: query.cursor,
        from: query.from === undefined ? undefined : Date.parse(query.from),
        to: query.to === undefined ? undefined : Date.parse(query.to),
        type: query.type,
      });
      return { status: 200, body: { workouts: page.workouts.map(workoutView), next_cursor: page.nextCursor } };
    },

    getWorkout: async ({ auth, params }) => {
      const workout = await service.get(auth.userId, idOf(params.workout_id));
      return { status: 200, headers: { ETag: workoutTag(workout.id, workout.version) }, body: workoutView(workout) };
    },

    replaceWorkout: async ({ auth, params, body, headers }) => {
      const workout = await service.replace(auth.userId, idOf(params.workout_id), fieldsOf(body), preconditionOf(headers['if-match']));
      return { status: 200, headers: { ETag: workoutTag(workout.id, workout.version) }, body: workoutView(workout) };
    },

    deleteWorkout: async ({ auth, params }) => {
      await service.delete(auth.userId, idOf(params.workout_id));
      return { status: 200, body: { message: 'Workout deleted' } };
    },
  } satisfies Partial<HandlerMap>;
}
