import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, iso, type Questionnaire, seedQuestionnaire, specEnum } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { signedInUser } from './support/users.js';

type Mutation = (body: any) => void;

const surveyDefaults = JSON.parse(readFileSync('data/survey_data.json', 'utf8')).default_values;

/** The enumerations of the spec that the questionnaire uses. */
const ENUMS = ['Gender', 'TrainingGoal', 'TrainingLevel', 'TrainingFrequency', 'TrainingLocation', 'LocationDetails', 'SessionDuration', 'Equipment'];

/** Puts `value` where the enum `name` is used in the questionnaire. */
function withEnumValue(name: string, value: unknown): Questionnaire {
  const body: any = seedQuestionnaire();
  switch (name) {
    case 'Gender':
      body.basic_information.gender = value;
      break;
    case 'TrainingGoal':
      body.training_goals = [value];
      break;
    case 'TrainingLevel':
      body.training_experience.level = value;
      break;
    case 'TrainingFrequency':
      body.training_experience.frequency_last_3_months = value;
      break;
    case 'TrainingLocation':
      body.preferences.training_location = value;
      break;
    case 'LocationDetails':
      body.preferences.location_details = value;
      break;
    case 'SessionDuration':
      body.preferences.session_duration = value;
      break;
    case 'Equipment':
      body.preferences.equipment = [value];
      break;
    default:
      throw new Error(`no place for enum ${name}`);
  }
  return body;
}

function mutated(mutate: Mutation): Questionnaire {
  const body = seedQuestionnaire();
  mutate(body);
  return body;
}

/** The questionnaire as GET returns it: as sent, with equipment [] when none was sent. */
function stored(body: Questionnaire): unknown {
  const copy: Questionnaire & { preferences: { equipment?: string[] } } = structuredClone(body);
  copy.preferences.equipment ??= [];
  return copy;
}

describe.each(databases)('training profile (questionnaire) on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, {}, clock);
  });
  afterAll(() => service.close());

  async function put(token: string, body: unknown) {
    return service.call('PUT', '/training-profile', { token, body });
  }

  describe('before the first PUT', () => {
    it('when a new user reads the questionnaire, then it answers the survey default values with null basic information and null metadata', async () => {
      const user = await signedInUser(service);
      const res = await service.call('GET', '/training-profile', { token: user.token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        training_profile: {
          basic_information: { gender: null, age: null, height_cm: null, weight_kg: null },
          training_goals: surveyDefaults.training_goals,
          training_experience: { level: surveyDefaults.training_level, frequency_last_3_months: surveyDefaults.frequency_last_3_months },
          preferences: {
            training_location: surveyDefaults.training_location,
            location_details: surveyDefaults.location_details,
            session_duration: surveyDefaults.session_duration,
            equipment: surveyDefaults.equipment,
          },
          health: surveyDefaults.health,
          training_types: surveyDefaults.training_types,
        },
        metadata: { last_updated: null, next_review_date: null },
        derived: { bmi: null, bmi_category: null, bmr_kcal: null, tdee_kcal: null },
        display: null,
      });
      // The file's defaults, spelled out: a beginner who wants to maintain fitness.
      expect(res.body.training_profile.training_experience.level).toBe('beginner');
      expect(res.body.training_profile.training_goals).toEqual(['maintain_fitness']);
    });

    it('when there is no token, then GET and PUT answer 401', async () => {
      expect((await service.call('GET', '/training-profile')).status).toBe(401);
      expect((await service.call('PUT', '/training-profile', { body: seedQuestionnaire() })).status).toBe(401);
    });
  });

  describe('storing the questionnaire', () => {
    it('when the seed example is PUT, then 200 echoes it with equipment [] and metadata; GET returns it unchanged', async () => {
      const user = await signedInUser(service);
      const res = await put(user.token, seedQuestionnaire());
      expect(res.status).toBe(200);
      expect(res.body.message).toBe('Training profile updated successfully');
      expect(res.body.training_profile).toEqual(stored(seedQuestionnaire()));
      const now = clock();
      expect(res.body.metadata).toEqual({
        last_updated: iso(now),
        next_review_date: new Date(now + 42 * DAY_MS).toISOString().slice(0, 10),
      });
      expect(res.body.metadata.last_updated).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      expect(res.body.metadata.next_review_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);

      const got = await service.call('GET', '/training-profile', { token: user.token });
      expect(got.status).toBe(200);
      expect(got.body).toEqual({ training_profile: stored(seedQuestionnaire()), metadata: res.body.metadata, derived: res.body.derived, display: null });
    });

    it('when equipment is sent, then it is stored as sent; a later PUT replaces the whole questionnaire', async () => {
      const user = await signedInUser(service);
      const withEquipment = mutated((b) => {
        b.preferences.equipment = ['dumbbells', 'yoga_mat'];
        b.health = { joint_back_problems: true, chronic_conditions: true, health_details: 'Old shoulder strain' };
      });
      expect((await put(user.token, withEquipment)).status).toBe(200);
      expect((await service.call('GET', '/training-profile', { token: user.token })).body.training_profile).toEqual(withEquipment);

      const replaced = mutated((b) => {
        b.training_goals = ['endurance'];
      });
      expect((await put(user.token, replaced)).status).toBe(200);
      const got = await service.call('GET', '/training-profile', { token: user.token });
      expect(got.body.training_profile).toEqual(stored(replaced));
      expect(got.body.training_profile.preferences.equipment).toEqual([]);
    });

    it('when the clock moves on and the questionnaire is PUT again, then last_updated and next_review_date (42 days later) move with it', async () => {
      const user = await signedInUser(service);
      const first = await put(user.token, seedQuestionnaire());
      clock.advance(10 * 60 * 1000);
      const second = await put(user.token, seedQuestionnaire());
      expect(Date.parse(second.body.metadata.last_updated) - Date.parse(first.body.metadata.last_updated)).toBe(10 * 60 * 1000);
      const got = await service.call('GET', '/training-profile', { token: user.token });
      expect(got.body.metadata.last_updated).toBe(second.body.metadata.last_updated);
      const reviewGap = Date.parse(`${got.body.metadata.next_review_date}T00:00:00Z`) - Date.parse(`${got.body.metadata.last_updated.slice(0, 10)}T00:00:00Z`);
      expect(reviewGap).toBe(42 * DAY_MS);
    });

    it('when a questionnaire is stored, then the database holds it for that user only', async () => {
      const a = await signedInUser(service);
      const b = await signedInUser(service);
      await put(
        a.token,
        mutated((q) => (q.basic_information.age = 44)),
      );
      const otherView = await service.call('GET', '/training-profile', { token: b.token });
      expect(otherView.body.metadata.last_updated).toBeNull();
      expect(otherView.body.training_profile.basic_information.age).toBeNull();
      expect((await service.call('GET', '/training-profile', { token: a.token })).body.training_profile.basic_information.age).toBe(44);
    });
  });

  describe('every enum value of the spec is accepted, anything else is rejected', () => {
    let token: string;
    beforeAll(async () => {
      token = (await signedInUser(service)).token;
    });

    const cases = ENUMS.flatMap((name) => specEnum(name).map((value) => [name, value] as const));
    it.each(cases)('when %s is %s, then 200 and GET returns it', async (name, value) => {
      const body = withEnumValue(name, value);
      const res = await put(token, body);
      expect(res.status).toBe(200);
      const got = await service.call('GET', '/training-profile', { token });
      expect(got.body.training_profile).toEqual(stored(body));
    });

    it.each(ENUMS)('when %s is a value outside the enum, then 400', async (name) => {
      const res = await put(token, withEnumValue(name, 'not_a_value'));
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
    });

    it('when every goal and every piece of equipment is chosen at once, then 200', async () => {
      const body = mutated((b) => {
        b.training_goals = specEnum('TrainingGoal');
        b.preferences.equipment = specEnum('Equipment');
      });
      const res = await put(token, body);
      expect(res.status).toBe(200);
      expect(res.body.training_profile).toEqual(body);
    });

    it('when the seed-only values are used (goals strength_gain, endurance, weight_loss, flexibility, muscle_gain, improve_flexibility, strength_training), then they are in the spec', () => {
      expect(specEnum('TrainingGoal')).toEqual(
        expect.arrayContaining([
          'strength_gain',
          'endurance',
          'weight_loss',
          'flexibility',
          'muscle_gain',
          'improve_flexibility',
          'maintain_fitness',
          'stress_reduction',
          'strength_training',
        ]),
      );
    });
  });

  describe('every field is bounded', () => {
    let token: string;
    beforeAll(async () => {
      token = (await signedInUser(service)).token;
    });

    const ratings = ['strength_training', 'cardio', 'hiit', 'yoga_pilates', 'functional_training', 'stretching'];
    const cases: [string, Mutation, number, string?][] = [
      ['age is 13', (b) => (b.basic_information.age = 13), 400, '/body/basic_information/age'],
      ['age is 14', (b) => (b.basic_information.age = 14), 200],
      ['age is 100', (b) => (b.basic_information.age = 100), 200],
      ['age is 101', (b) => (b.basic_information.age = 101), 400, '/body/basic_information/age'],
      ['age is 30.5', (b) => (b.basic_information.age = 30.5), 400, '/body/basic_information/age'],
      ['age is the string "33"', (b) => (b.basic_information.age = '33'), 400, '/body/basic_information/age'],
      ['height_cm is 99.9', (b) => (b.basic_information.height_cm = 99.9), 400, '/body/basic_information/height_cm'],
      ['height_cm is 100', (b) => (b.basic_information.height_cm = 100), 200],
      ['height_cm is 250', (b) => (b.basic_information.height_cm = 250), 200],
      ['height_cm is 250.5', (b) => (b.basic_information.height_cm = 250.5), 400, '/body/basic_information/height_cm'],
      ['height_cm is 168.5', (b) => (b.basic_information.height_cm = 168.5), 200],
      ['height_cm is the string "168"', (b) => (b.basic_information.height_cm = '168'), 400, '/body/basic_information/height_cm'],
      ['weight_kg is 29.9', (b) => (b.basic_information.weight_kg = 29.9), 400, '/body/basic_information/weight_kg'],
      ['weight_kg is 30', (b) => (b.basic_information.weight_kg = 30), 200],
      ['weight_kg is 300', (b) => (b.basic_information.weight_kg = 300), 200],
      ['weight_kg is 301', (b) => (b.basic_information.weight_kg = 301), 400, '/body/basic_information/weight_kg'],
      ['weight_kg is 62.4', (b) => (b.basic_information.weight_kg = 62.4), 200],
      ...ratings.flatMap((r): [string, Mutation, number, string?][] => [
        [`rating ${r} is 0`, (b) => (b.training_types[r] = 0), 400, `/body/training_types/${r}`],
        [`rating ${r} is 1`, (b) => (b.training_types[r] = 1), 200],
        [`rating ${r} is 5`, (b) => (b.training_types[r] = 5), 200],
        [`rating ${r} is 6`, (b) => (b.training_types[r] = 6), 400, `/body/training_types/${r}`],
      ]),
      ['a rating is 2.5', (b) => (b.training_types.cardio = 2.5), 400, '/body/training_types/cardio'],
      ['a rating is the string "3"', (b) => (b.training_types.cardio = '3'), 400, '/body/training_types/cardio'],
      ['training_goals is []', (b) => (b.training_goals = []), 400, '/body/training_goals'],
      ['training_goals has a duplicate', (b) => (b.training_goals = ['maintain_fitness', 'maintain_fitness']), 400, '/body/training_goals'],
      ['training_goals is a string', (b) => (b.training_goals = 'maintain_fitness'), 400, '/body/training_goals'],
      ['equipment has a duplicate', (b) => (b.preferences.equipment = ['dumbbells', 'dumbbells']), 400, '/body/preferences/equipment'],
      ['equipment is []', (b) => (b.preferences.equipment = []), 200],
      ['health_details has 1000 characters', (b) => (b.health.health_details = 'x'.repeat(1000)), 200],
      ['health_details has 1001 characters', (b) => (b.health.health_details = 'x'.repeat(1001)), 400, '/body/health/health_details'],
      ['health_details is null', (b) => (b.health.health_details = null), 400, '/body/health/health_details'],
      ['joint_back_problems is the string "false"', (b) => (b.health.joint_back_problems = 'false'), 400, '/body/health/joint_back_problems'],
      ['chronic_conditions is 0', (b) => (b.health.chronic_conditions = 0), 400, '/body/health/chronic_conditions'],
      ['gender is null', (b) => (b.basic_information.gender = null), 400, '/body/basic_information/gender'],
      ['basic_information is null', (b) => (b.basic_information = null), 400, '/body/basic_information'],
      ['training_types is an array', (b) => (b.training_types = [4, 3, 2, 3, 4, 5]), 400, '/body/training_types'],
      ['preferences is a string', (b) => (b.preferences = 'home'), 400, '/body/preferences'],
    ];
    it.each(cases)('when %s, then %i', async (_name, mutate, status, field) => {
      const body = mutated(mutate);
      const res = await put(token, body);
      expect(res.status).toBe(status);
      if (status === 200) {
        expect((await service.call('GET', '/training-profile', { token })).body.training_profile).toEqual(stored(body));
      } else {
        expect(res.body).toMatchObject({ code: 400, error: 'validation_failed' });
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      }
    });

    const unknownFields: [string, Mutation, string][] = [
      ['at the top level', (b) => (b.notes = 'x'), '/body/notes'],
      ['in basic_information', (b) => (b.basic_information.bmi = 22), '/body/basic_information/bmi'],
      ['in training_experience', (b) => (b.training_experience.years = 3), '/body/training_experience/years'],
      ['in preferences', (b) => (b.preferences.music = 'rock'), '/body/preferences/music'],
      ['in health', (b) => (b.health.medication = 'none'), '/body/health/medication'],
      ['in training_types', (b) => (b.training_types.swimming = 3), '/body/training_types/swimming'],
      ["user_id (someone else's profile)", (b) => (b.user_id = 1), '/body/user_id'],
      ['metadata', (b) => (b.metadata = { last_updated: '2020-01-01T00:00:00Z' }), '/body/metadata'],
    ];
    it.each(unknownFields)('when an unknown field is sent %s, then 400 names it', async (_name, mutate, field) => {
      const res = await put(token, mutated(mutate));
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    const sections = ['basic_information', 'training_goals', 'training_experience', 'preferences', 'health', 'training_types'] as const;
    it.each(sections)('when the required section %s is missing, then 400 names it', async (section) => {
      const body: any = seedQuestionnaire();
      delete body[section];
      const res = await put(token, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`/body/${section}`);
    });

    const nested: [string, string][] = [
      ['basic_information', 'gender'],
      ['basic_information', 'age'],
      ['basic_information', 'height_cm'],
      ['basic_information', 'weight_kg'],
      ['training_experience', 'level'],
      ['training_experience', 'frequency_last_3_months'],
      ['preferences', 'training_location'],
      ['preferences', 'location_details'],
      ['preferences', 'session_duration'],
      ['health', 'joint_back_problems'],
      ['health', 'chronic_conditions'],
      ['health', 'health_details'],
      ...ratings.map((r): [string, string] => ['training_types', r]),
    ];
    it.each(nested)('when %s.%s is missing, then 400 names it', async (section, field) => {
      const body: any = seedQuestionnaire();
      delete body[section][field];
      const res = await put(token, body);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`/body/${section}/${field}`);
    });

    it('when the body is empty, not an object or missing, then 400', async () => {
      expect((await put(token, {})).status).toBe(400);
      expect((await put(token, [])).status).toBe(400);
      expect((await service.call('PUT', '/training-profile', { token, headers: { 'content-type': 'application/json' } })).status).toBe(400);
    });

    it('when a questionnaire is rejected, then the stored one stays as it was', async () => {
      const user = await signedInUser(service);
      await put(user.token, seedQuestionnaire());
      const before = await service.call('GET', '/training-profile', { token: user.token });
      clock.advance(1000);
      const rejected = await put(
        user.token,
        mutated((b) => {
          b.basic_information.age = 101;
          b.training_goals = ['endurance'];
        }),
      );
      expect(rejected.status).toBe(400);
      const after = await service.call('GET', '/training-profile', { token: user.token });
      expect(after.body).toEqual(before.body);
    });
  });
});
