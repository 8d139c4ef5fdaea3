import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { seedQuestionnaire } from './profile-helpers.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';
import { listen, testConfig } from './support/service.js';
import { newUser } from './support/users.js';

// Everything the service logs, as text: createLogger's real settings (redaction included),
// written into memory instead of stdout.
const sink = { text: '' };
const capture = {
  write: (line: string) => {
    sink.text += line;
  },
};

const SECRET = 'secret knee injury';

describe.each(databases)('health answers never reach the log on %s', (kind) => {
  let service: Awaited<ReturnType<typeof listen>>;
  let database: TestDatabase;
  let url: string;
  let token: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    service = await listen(database.db, database, testConfig(), undefined, { logger: createLogger('trace', capture) });
    url = `${service.url}/api/v1`;
    const user = newUser();
    expect((await call('POST', '/register', user)).status).toBe(200);
    token = (await (await call('POST', '/login', { username: user.username, password: user.password })).json()).token;
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });
  beforeEach(() => {
    sink.text = '';
  });

  function call(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    return fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  const withSecret = () => ({ ...seedQuestionnaire(), health: { joint_back_problems: true, chronic_conditions: false, health_details: SECRET } });

  it('when the logger itself is handed health answers, then it redacts them (the capture works)', () => {
    const logger = createLogger('trace', capture);
    logger.info({ body: { health: { health_details: SECRET } } }, 'probe');
    expect(sink.text).toContain('probe');
    expect(sink.text).toContain('[redacted]');
    expect(sink.text).not.toContain(SECRET);
  });

  it(`when PUT /training-profile stores health_details '${SECRET}' and it is read back, then the log does not contain it`, async () => {
    const put = await call('PUT', '/training-profile', withSecret());
    expect(put.status).toBe(200);
    const get = await call('GET', '/training-profile');
    expect((await get.json()).training_profile.health.health_details).toBe(SECRET);
    expect((await call('POST', '/user-data', { training_profile: { level: 'advanced' } })).status).toBe(200);
    // The requests were logged (one line each), so the assertion below reads a real log.
    expect(sink.text).toContain('updateTrainingProfile');
    expect(sink.text).not.toContain(SECRET);
    expect(sink.text).not.toContain('knee');
  });

  it('when a questionnaire with health answers is rejected by validation, then the log does not contain them', async () => {
    const res = await call('PUT', '/training-profile', { ...withSecret(), unknown_field: true });
    expect(res.status).toBe(400);
    expect(sink.text).not.toContain(SECRET);
  });

  const failingWrites: [string, () => Promise<Response>][] = [
    ['PUT /training-profile', () => call('PUT', '/training-profile', withSecret())],
    ['POST /user-data (summary over a stored questionnaire)', () => call('POST', '/user-data', { training_profile: { level: 'beginner' } })],
  ];
  it.each(failingWrites)('when %s fails in the database (a 500 is logged), then the logged error does not contain the health answers', async (_name, write) => {
    const stored = await call('PUT', '/training-profile', { ...withSecret(), training_experience: { level: 'advanced', frequency_last_3_months: 'none' } });
    expect(stored.status).toBe(200);
    sink.text = '';
    const trigger =
      kind === 'sqlite'
        ? "CREATE TRIGGER fail_training BEFORE INSERT ON training_profiles BEGIN SELECT RAISE(ABORT, 'storage failed'); END"
        : "CREATE TRIGGER fail_training BEFORE INSERT ON training_profiles FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'storage failed'";
    await database.db.raw(trigger);
    try {
      const res = await write();
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ code: 500, text: 'Internal server error', error: 'internal_error' });
      // The failure is logged with its reason (so this test does read the error line)...
      expect(sink.text).toContain('request failed');
      expect(sink.text).toContain('storage failed');
      // ...but not the questionnaire that was being written.
      expect(sink.text).not.toContain(SECRET);
    } finally {
      await database.db.raw('DROP TRIGGER fail_training');
    }
  });
});
