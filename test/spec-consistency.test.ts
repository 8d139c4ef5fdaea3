import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type AppError, ERROR_IDS, Errors, ParserErrors } from '../src/errors.js';
import { specDocument } from '../src/spec-document.js';

/** A schema as written in openapi.yaml: only the keywords these checks read. */
interface Schema {
  $ref?: string;
  type?: string;
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  required?: string[];
  properties?: Record<string, Schema>;
  items?: Schema;
  allOf?: Schema[];
}

interface Operation {
  operationId?: string;
  summary?: string;
  tags?: string[];
}

interface Spec {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface Range {
  min: number;
  max: number;
}

interface Defaults {
  training_goals: string[];
  training_level: string;
  frequency_last_3_months: string;
  training_location: string;
  location_details: string;
  session_duration: string;
  equipment: string[];
  health: Record<string, unknown>;
  training_types: Record<string, number>;
  notifications: { email: unknown; push: unknown };
  profile_visibility: string;
}

interface Survey {
  validation_rules: { required_fields: string[]; string_lengths: Record<string, Range>; numeric_ranges: Record<string, Range> };
  default_values: Defaults;
  valid_values: Record<string, string[]>;
}

const spec = specDocument<Spec>();
const survey = JSON.parse(readFileSync('data/survey_data.json', 'utf8')) as Survey;
const schemas = spec.components.schemas;

/** The schema a `$ref` points at (followed until it is not a reference). */
function resolve(schema: Schema): Schema {
  let current = schema;
  while (current.$ref) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = schemas[name];
    if (!target) throw new Error(`unresolved $ref ${current.$ref}`);
    current = target;
  }
  return current;
}

function schema(name: string): Schema {
  const found = schemas[name];
  if (!found) throw new Error(`openapi.yaml has no schema ${name}`);
  return found;
}

function enumOf(name: string): string[] {
  const values = resolve(schema(name)).enum;
  if (!values) throw new Error(`schema ${name} has no enum`);
  return values;
}

/** Dotted paths of every `required` entry of an object schema and of its nested object schemas. */
function requiredPaths(object: Schema, prefix = ''): string[] {
  const resolved = resolve(object);
  const paths: string[] = [];
  for (const name of resolved.required ?? []) {
    const path = prefix + name;
    paths.push(path);
    const property = resolved.properties?.[name];
    if (property && resolve(property).type === 'object') paths.push(...requiredPaths(property, `${path}.`));
  }
  return paths;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const TAGS = ['auth', 'sessions', 'profile', 'training', 'reference', 'legacy', 'security', 'ops'];

function operations(): [string, Operation][] {
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]): [string, Operation] => [`${method.toUpperCase()} ${path}`, operation]),
  );
}

describe('data/survey_data.json agrees with openapi.yaml', () => {
  const enumLists: [string, string][] = [
    ['genders', 'Gender'],
    ['training_goals', 'TrainingGoal'],
    ['training_levels', 'TrainingLevel'],
    ['training_frequencies', 'TrainingFrequency'],
    ['training_locations', 'TrainingLocation'],
    ['location_details', 'LocationDetails'],
    ['session_durations', 'SessionDuration'],
    ['equipment', 'Equipment'],
    ['profile_visibility', 'ProfileVisibility'],
  ];
  it.each(enumLists)('when valid_values.%s is read, then it equals the %s enum of the spec', (list, schemaName) => {
    expect(survey.valid_values[list]).toEqual(enumOf(schemaName));
  });

  it('then valid_values.training_types equals the properties of TrainingTypes', () => {
    expect(survey.valid_values.training_types).toEqual(Object.keys(schema('TrainingTypes').properties ?? {}));
  });

  it('then valid_values lists no field the checks above do not cover', () => {
    expect(Object.keys(survey.valid_values).sort()).toEqual([...enumLists.map(([list]) => list), 'training_types'].sort());
  });

  const stringLengths: [string, () => Schema][] = [
    ['username', () => schema('Username')],
    ['email', () => schema('Email')],
    ['password', () => schema('Password')],
    ['full_name', () => schema('FullName')],
    ['bio', () => schema('Bio')],
    ['avatar', () => schema('Avatar')],
    ['health_details', () => resolve(schema('Health').properties?.health_details ?? {})],
  ];
  it.each(stringLengths)('when string_lengths.%s is read, then it equals the min/maxLength of its schema', (field, schemaOf) => {
    const s = schemaOf();
    expect(s.maxLength).toBeTypeOf('number');
    expect(survey.validation_rules.string_lengths[field]).toEqual({ min: s.minLength ?? 0, max: s.maxLength });
  });

  it('then string_lengths covers exactly those fields', () => {
    expect(Object.keys(survey.validation_rules.string_lengths).sort()).toEqual(stringLengths.map(([f]) => f).sort());
  });

  it('then numeric_ranges equal the BasicInformation limits and the Rating limits', () => {
    const basic = schema('BasicInformation').properties ?? {};
    const expected: Record<string, Range> = {};
    for (const field of ['age', 'height_cm', 'weight_kg']) {
      const property = resolve(basic[field] ?? {});
      expected[field] = { min: property.minimum as number, max: property.maximum as number };
    }
    const rating = schema('Rating');
    expected.training_type_rating = { min: rating.minimum as number, max: rating.maximum as number };
    expect(survey.validation_rules.numeric_ranges).toEqual(expected);
    for (const range of Object.values(expected)) expect(range.min).toBeLessThan(range.max);
  });

  it('then required_fields are the dotted paths of every required field of TrainingProfile', () => {
    const expected = requiredPaths(schema('TrainingProfile'));
    expect(expected).toContain('basic_information.gender');
    expect(expected).toContain('training_types.stretching');
    expect([...survey.validation_rules.required_fields].sort()).toEqual([...expected].sort());
  });

  it('then every enumerated default value is valid per the spec', () => {
    const d = survey.default_values;
    const goals = enumOf('TrainingGoal');
    expect(d.training_goals.length).toBeGreaterThan(0);
    for (const goal of d.training_goals) expect(goals).toContain(goal);
    expect(enumOf('TrainingLevel')).toContain(d.training_level);
    expect(enumOf('TrainingFrequency')).toContain(d.frequency_last_3_months);
    expect(enumOf('TrainingLocation')).toContain(d.training_location);
    expect(enumOf('LocationDetails')).toContain(d.location_details);
    expect(enumOf('SessionDuration')).toContain(d.session_duration);
    expect(enumOf('ProfileVisibility')).toContain(d.profile_visibility);
    const equipment = enumOf('Equipment');
    for (const item of d.equipment) expect(equipment).toContain(item);

    const rating = schema('Rating');
    expect(Object.keys(d.training_types)).toEqual(Object.keys(schema('TrainingTypes').properties ?? {}));
    for (const value of Object.values(d.training_types)) {
      expect(Number.isInteger(value)).toBe(true);
      expect(value).toBeGreaterThanOrEqual(rating.minimum as number);
      expect(value).toBeLessThanOrEqual(rating.maximum as number);
    }
    expect(Object.keys(d.health).sort()).toEqual([...(schema('Health').required ?? [])].sort());
    expect(typeof d.notifications.email).toBe('boolean');
    expect(typeof d.notifications.push).toBe('boolean');
  });
});

describe('the operations of openapi.yaml', () => {
  it('when the operations are counted, then the two seed documents give 18, the ops tag 3 more, staying signed in and recovery 5 more, the training log 5, and the security tag the rest', () => {
    const ops = operations().filter(([, op]) => op.tags?.includes('ops'));
    const security = operations().filter(([, op]) => op.tags?.includes('security'));
    expect(security.map(([name]) => name).sort()).toEqual([
      'DELETE /me',
      'DELETE /mfa/totp',
      'GET /me/export',
      'GET /security-events',
      'POST /mfa/totp',
      'POST /mfa/totp/confirm',
    ]);
    const trainingLog = operations()
      .map(([name]) => name)
      .filter((name) => name.includes(' /workouts'));
    expect(trainingLog.sort()).toEqual([
      'DELETE /workouts/{workout_id}',
      'GET /workouts',
      'GET /workouts/{workout_id}',
      'POST /workouts',
      'PUT /workouts/{workout_id}',
    ]);
    expect(operations()).toHaveLength(26 + security.length + trainingLog.length);
    expect(ops.map(([name]) => name).sort()).toEqual(['GET /healthz', 'GET /metrics', 'GET /readyz']);
    const recovery = ['POST /token/refresh', 'POST /email/verify', 'POST /email/verification', 'POST /password/forgot', 'POST /password/reset'];
    expect(operations().map(([name]) => name)).toEqual(expect.arrayContaining(recovery));
  });

  it('then every operation that requires a token documents 401, and every operation 400', () => {
    const globalSecurity = (spec as { security?: Record<string, unknown>[] }).security ?? [];
    for (const [name, op] of operations()) {
      const security = (op as { security?: Record<string, unknown>[] }).security ?? globalSecurity;
      const needsToken = security.some((r) => 'bearerAuth' in r);
      const responses = (op as { responses: Record<string, unknown> }).responses;
      if (needsToken) expect(Object.keys(responses), name).toContain('401');
      expect(Object.keys(responses), name).toContain('400');
    }
  });

  it('then every rate-limited operation documents 429 and the RateLimit headers of its success', () => {
    const limited = operations().filter(([, op]) => (op as { 'x-rate-limit'?: string })['x-rate-limit'] !== undefined);
    expect(limited.map(([, op]) => op.operationId).sort()).toEqual(
      [
        'changePassword',
        'checkEmailAvailability',
        'checkUsernameAvailability',
        'createUser',
        'deleteMe',
        'disableTotp',
        'exportMe',
        'forgotPassword',
        'getUserDetails',
        'login',
        'refreshToken',
        'register',
        'resetPassword',
        'sendEmailVerification',
        'verifyEmail',
      ].sort(),
    );
    for (const [name, op] of limited) {
      const responses = (op as { responses: Record<string, { headers?: Record<string, unknown> }> }).responses;
      expect(Object.keys(responses), name).toContain('429');
      const success = Object.entries(responses).find(([status]) => status.startsWith('2'))?.[1];
      expect(Object.keys(success?.headers ?? {}), name).toEqual(expect.arrayContaining(['RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset']));
    }
  });

  it('then every operation has a unique camelCase operationId', () => {
    const ids = operations().map(([, op]) => op.operationId);
    for (const [name, op] of operations()) expect(op.operationId, name).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('then every operation has a summary and only known tags', () => {
    for (const [name, op] of operations()) {
      expect(op.summary, name).toBeTypeOf('string');
      expect((op.summary ?? '').trim().length, name).toBeGreaterThan(0);
      expect(op.tags?.length, name).toBeGreaterThan(0);
      for (const tag of op.tags ?? []) expect(TAGS, name).toContain(tag);
    }
  });
});

describe('the error identifiers', () => {
  it('when the spec lists ErrorId, then it is exactly the catalogue of src/errors.ts, and ApiError requires it', () => {
    expect(schemas.ErrorId?.enum).toEqual([...ERROR_IDS]);
    expect((schemas.ApiError as { required?: string[] }).required).toEqual(['code', 'text', 'error']);
  });

  it('then every catalogue entry has a status, an identifier of the list and a text', () => {
    const made = [...Object.values(Errors), ...Object.values(ParserErrors)].map((make) => (make as (arg?: never) => AppError)());
    for (const error of made) {
      expect(ERROR_IDS).toContain(error.id);
      expect(error.status).toBeGreaterThanOrEqual(400);
      expect(error.text.length).toBeGreaterThan(0);
    }
    // Every identifier is answered by some entry.
    expect(new Set(made.map((e) => e.id))).toEqual(new Set(ERROR_IDS));
  });
});

describe('the 400 answers of every operation', () => {
  const BODY = ['Invalid request', 'Request body is not valid JSON'];
  const NAMES = ['Username already taken', 'Email already taken'];
  /** Every 400 text the service can give, per operation (src/errors.ts and where the services throw them). */
  const TEXTS: Record<string, string[]> = {
    register: [...NAMES, ...BODY],
    createUser: [...NAMES, ...BODY],
    getUserDetails: ['Invalid user_id', 'User not found'],
    login: ['User not found', 'Invalid password', 'Two-factor code required', 'Invalid two-factor code', 'Account suspended', 'Too many tokens', ...BODY],
    deleteMe: ['Invalid current password', 'Two-factor code required', 'Invalid two-factor code', ...BODY],
    disableTotp: ['Invalid current password', 'Invalid two-factor code', ...BODY],
    confirmTotpSetup: ['Invalid two-factor code', ...BODY],
    listSecurityEvents: ['Invalid cursor', 'Invalid request'],
    changePassword: ['Invalid current password', 'New password must differ from the current password', ...BODY],
    refreshToken: ['Account suspended', ...BODY],
    verifyEmail: ['Invalid or expired verification token', ...BODY],
    forgotPassword: BODY,
    resetPassword: ['Invalid or expired reset token', ...BODY],
    updateUserData: [...NAMES, 'Unknown country code', ...BODY],
    updateProfile: ['Email already registered', 'Username already taken', 'Unknown country code', ...BODY],
    updateTrainingProfile: BODY,
  };
  const responses = (spec as unknown as { components: { responses: Record<string, { description: string }> } }).components.responses;

  it('when an operation can answer a 400 text, then its 400 answer names it', () => {
    const missing: string[] = [];
    for (const [name, op] of operations()) {
      const answer = (op as { responses: Record<string, { $ref?: string; description?: string }> }).responses['400'];
      const description = answer?.$ref ? responses[answer.$ref.replace('#/components/responses/', '')]?.description : answer?.description;
      const id = (op as { operationId: string }).operationId;
      for (const text of TEXTS[id] ?? ['Invalid request']) if (!description?.includes(`\`${text}\``)) missing.push(`${name}: ${text}`);
    }
    expect(missing).toEqual([]);
  });
});
