import type { RequestBody } from '../src/operations.js';
import { specDocument } from '../src/spec-document.js';

/** The seed's example body of PUT /training-profile, word for word (weight 62.0 included). */
export function seedQuestionnaire(): RequestBody<'updateTrainingProfile'> {
  return {
    basic_information: { gender: 'female', age: 33, height_cm: 168, weight_kg: 62.0 },
    training_goals: ['maintain_fitness', 'stress_reduction'],
    training_experience: { level: 'intermediate', frequency_last_3_months: '3_4_times_week' },
    preferences: { training_location: 'home', location_details: 'bodyweight_only', session_duration: '45_60_min' },
    health: { joint_back_problems: false, chronic_conditions: false, health_details: '' },
    training_types: { strength_training: 4, cardio: 3, hiit: 2, yoga_pilates: 3, functional_training: 4, stretching: 5 },
  };
}
export type Questionnaire = ReturnType<typeof seedQuestionnaire>;

interface SpecDocument {
  components: { schemas: Record<string, { enum?: unknown[] }> };
}
const spec = specDocument<SpecDocument>();

/** The values of an enum schema of openapi.yaml (components.schemas[name].enum). */
export function specEnum(name: string): string[] {
  const values = spec.components.schemas[name]?.enum;
  if (!values || values.length === 0) throw new Error(`openapi.yaml has no enum schema ${name}`);
  return values as string[];
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/** A time as the API writes it: ISO 8601 UTC, whole seconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
