import { isDeepStrictEqual } from 'node:util';
import type { components } from '../../generated/api.js';
import { type Clock, toIso } from '../clock.js';
import { type Db, type Trx, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import { type Precondition, personTag } from '../preconditions.js';
import type { SurveyService } from '../survey/survey.service.js';
import type { Units, UsersRepository } from '../users/users.repository.js';
import { derivedOf, displayOf } from './body-metrics.js';
import type { StoredTrainingProfile, TrainingRecord, TrainingRepository } from './training.repository.js';

export type TrainingProfileInput = components['schemas']['TrainingProfile'];
type Metadata = components['schemas']['TrainingProfileMetadata'];
type Summary = components['schemas']['TrainingSummary'];

/** The summary fields of /user-data, each written into the questionnaire field it views. */
export interface SummaryPatch {
  goals?: Summary['goals'];
  level?: Summary['level'];
  workout_duration?: Summary['preferences']['workout_duration'];
  equipment?: Summary['preferences']['equipment'];
}

const REVIEW_AFTER_MS = 6 * 7 * 24 * 60 * 60 * 1000;

export function metadataOf(updatedAt: number | undefined): Metadata {
  if (updatedAt === undefined) return { last_updated: null, next_review_date: null };
  return { last_updated: toIso(updatedAt), next_review_date: toIso(updatedAt + REVIEW_AFTER_MS).slice(0, 10) };
}

/** The summary view (/me, /user-data) of a questionnaire. */
export function summaryOf(profile: StoredTrainingProfile): Summary {
  return {
    goals: profile.training_goals,
    level: profile.training_experience.level,
    preferences: { workout_duration: profile.preferences.session_duration, equipment: profile.preferences.equipment },
  };
}

function withSummary(profile: StoredTrainingProfile, patch: SummaryPatch): StoredTrainingProfile {
  return {
    ...profile,
    training_goals: patch.goals ?? profile.training_goals,
    training_experience: { ...profile.training_experience, level: patch.level ?? profile.training_experience.level },
    preferences: {
      ...profile.preferences,
      session_duration: patch.workout_duration ?? profile.preferences.session_duration,
      equipment: patch.equipment ?? profile.preferences.equipment,
    },
  };
}

/** What GET /training-profile needs of the caller, as the session check reads it ('person' view). */
export interface KnownPerson {
  user: { dataVersion: number };
  settings: { units: Units };
  training: TrainingRecord | undefined;
}

export type TrainingService = ReturnType<typeof createTrainingService>;

export function createTrainingService(deps: { db: Db; training: TrainingRepository; users: UsersRepository; survey: SurveyService; clock: Clock }) {
  const { db, training, users, survey, clock } = deps;

  /** The questionnaire of a user who has not answered yet: the survey's default values. */
  async function defaults(): Promise<StoredTrainingProfile> {
    const values = (await survey.load()).data.default_values as Record<string, unknown>;
    return {
      basic_information: { gender: null, age: null, height_cm: null, weight_kg: null },
      training_goals: values.training_goals as StoredTrainingProfile['training_goals'],
      training_experience: {
        level: values.training_level as StoredTrainingProfile['training_experience']['level'],
        frequency_last_3_months: values.frequency_last_3_months as StoredTrainingProfile['training_experience']['frequency_last_3_months'],
      },
      preferences: {
        training_location: values.training_location as StoredTrainingProfile['preferences']['training_location'],
        location_details: values.location_details as StoredTrainingProfile['preferences']['location_details'],
        session_duration: values.session_duration as StoredTrainingProfile['preferences']['session_duration'],
        equipment: values.equipment as StoredTrainingProfile['preferences']['equipment'],
      },
      health: values.health as StoredTrainingProfile['health'],
      training_types: values.training_types as StoredTrainingProfile['training_types'],
    };
  }

  /** A stored questionnaire, or the defaults (and no update time) when there is none. */
  async function orDefaults(record: TrainingRecord | undefined) {
    return { profile: record?.profile ?? (await defaults()), updatedAt: record?.updatedAt };
  }

  const current = async (userId: number, exec: Db | Trx = db) => orDefaults(await training.find(userId, exec));

  /** The questionnaire as the API shows it: with what is derived from it, in the user's units, and the ETag of its version. */
  function view(profile: StoredTrainingProfile, updatedAt: number | undefined, dataVersion: number, units: Units) {
    return {
      profile,
      metadata: metadataOf(updatedAt),
      derived: derivedOf(profile.basic_information, profile.training_experience.frequency_last_3_months),
      display: displayOf(profile.basic_information, units),
      etag: personTag(dataVersion),
    };
  }

  return {
    /**
     * The stored questionnaire, or the defaults with `last_updated: null` before the first one,
     * of the person the caller's authentication read (with the session check, in one statement).
     */
    async get(person: KnownPerson) {
      const { profile, updatedAt } = await orDefaults(person.training);
      return view(profile, updatedAt, person.user.dataVersion, person.settings.units);
    },

    /**
     * Stores the whole questionnaire as sent (equipment defaults to none); with a precondition,
     * only while the data is at the version it names (compared in the UPDATE that counts the write).
     */
    async replace(userId: number, input: TrainingProfileInput, precondition?: Precondition) {
      const profile: StoredTrainingProfile = { ...input, preferences: { ...input.preferences, equipment: input.preferences.equipment ?? [] } };
      const now = clock();
      const { version, units } = await transaction(db, async (trx) => {
        // The user's row lock orders this write with summary updates from POST /user-data.
        const user = await users.lockById(userId, trx);
        if (!user) throw Errors.accountNotFound();
        if (precondition && !precondition.matches(personTag(user.dataVersion))) throw Errors.preconditionFailed();
        await training.save(userId, profile, now, trx);
        if (!(await users.bumpDataVersion(userId, precondition && user.dataVersion, trx))) throw Errors.preconditionFailed();
        return { version: user.dataVersion + 1, units: (await users.getSettings(userId, trx)).units };
      });
      return view(profile, now, version, units);
    },

    /** The summary view (/me, /user-data) of a stored questionnaire (or the defaults), and when it was written. */
    async summary(record: TrainingRecord | undefined) {
      const { profile, updatedAt } = await orDefaults(record);
      return { summary: summaryOf(profile), updatedAt };
    },

    /** Writes summary fields into the questionnaire; returns whether anything changed. The caller holds the user's lock. */
    async updateSummary(userId: number, patch: SummaryPatch, now: number, trx: Trx): Promise<boolean> {
      const { profile } = await current(userId, trx);
      const next = withSummary(profile, patch);
      if (isDeepStrictEqual(next, profile)) return false;
      await training.save(userId, next, now, trx);
      return true;
    },
  };
}
