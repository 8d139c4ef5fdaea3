import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from '../support/databases.js';
import { type Service, startService } from '../support/service.js';
import { registerUser, signedInUser, type TestUser, uniqueName } from '../support/users.js';
import { CHECKED_TABLES, checkedRequest, SQL_INJECTION, satisfies, snapshot, specSchema } from './bad-input.js';

/**
 * SQL-injection strings in every string field and query parameter: each request gets a 4xx
 * or a normal answer, the tables survive, counts change only by legitimate writes, and LIKE
 * wildcards (% and _) match nothing but themselves.
 */
const q = (value: string) => encodeURIComponent(value);

// What the spec accepts decides the status: 400 where a value breaks its schema, else the
// service's exact answer.
const USERNAME = specSchema('Username');
const EMAIL = specSchema('Email');
const REGISTRATION = specSchema('RegisterRequest');

describe.each(databases)('SQL injection on %s', (kind) => {
  let service: Service;
  let alice: TestUser & { token: string };
  let bob: TestUser;
  const columnsAtStart: Record<string, string[]> = {};

  beforeAll(async () => {
    service = await startService(kind);
    alice = await signedInUser(service, { username: 'alice', email: 'alice@example.com' });
    bob = await registerUser(service, { username: 'abc', email: 'abc@example.com' });
    for (const table of CHECKED_TABLES) columnsAtStart[table] = Object.keys(await service.db(table).columnInfo()).sort();
  });
  afterAll(() => service.close());

  async function tablesIntact(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of CHECKED_TABLES) counts[table] = Number(((await service.db(table).count({ n: '*' })) as { n: number | string }[])[0]?.n);
    return counts;
  }

  it('when availability is asked with injection strings or wildcards, then 400 or an exact-match answer', async () => {
    const before = await snapshot(service.db);
    for (const value of [...SQL_INJECTION, '___', 'a_c', 'al%', 'ALICE', '_lice']) {
      const res = await service.call('GET', `/check-availability?username=${q(value)}`);
      expect(res.status, value).toBe(satisfies(USERNAME, value) ? 200 : 400);
      if (res.status === 200) {
        // Only the literal name (any case) is taken: "___" and "a_c" must not match "abc".
        const taken = ['alice', 'abc'].includes(value.toLowerCase());
        expect(res.body, value).toEqual({ username: value, available: !taken });
      }
    }
    for (const value of [...SQL_INJECTION, '%@example.com', '_lice@example.com', 'ALICE@EXAMPLE.COM', 'a%c@example.com', "'--@example.com"]) {
      const res = await service.call('GET', `/check-email-availability?email=${q(value)}`);
      expect(res.status, value).toBe(satisfies(EMAIL, value) ? 200 : 400);
      if (res.status === 200) {
        const taken = ['alice@example.com', 'abc@example.com'].includes(value.toLowerCase());
        expect(res.body, value).toEqual({ email: value, available: !taken });
      }
    }
    expect(await snapshot(service.db)).toEqual(before);
  });

  it('when get_user_details gets injection strings as user_id, then 400 Invalid user_id and nothing leaks', async () => {
    for (const value of [...SQL_INJECTION, '1 OR 1=1', '1;DROP TABLE users', '0x1', '1e0', '-1', ' 1', '1 ', '１']) {
      const res = await service.call('GET', `/get_user_details?user_id=${q(value)}`);
      expect(res.status, value).toBe(400);
      expect(res.body.text, value).toBe('Invalid user_id');
    }
  });

  it('when login gets injection strings, then 400 and no session is opened', async () => {
    const before = await snapshot(service.db);
    for (const value of SQL_INJECTION) {
      const asName = await service.call('POST', '/login', { body: { username: value, password: alice.password } });
      expect(asName.status, value).toBe(400);
      expect(asName.body.text, value).toBe(
        satisfies(specSchema('LoginRequest'), { username: value, password: alice.password }) ? 'User not found' : 'Invalid request',
      );
      const asPassword = await service.call('POST', '/login', { body: { username: alice.username, password: value } });
      expect(asPassword.status, value).toBe(400);
      expect(asPassword.body.text, value).toBe(
        satisfies(specSchema('LoginRequest'), { username: alice.username, password: value }) ? 'Invalid password' : 'Invalid request',
      );
    }
    expect(await snapshot(service.db)).toEqual(before);
  });

  it('when injection strings go into names, emails and passwords at registration, then 400 or a user stored verbatim', async () => {
    const start = await tablesIntact();
    let created = 0;
    for (const value of SQL_INJECTION) {
      for (const field of ['username', 'email', 'full_name', 'password'] as const) {
        const username = uniqueName('inj');
        const body: Record<string, string> = {
          username,
          email: `${username}@example.com`,
          password: 'SecurePass123!',
          full_name: 'Injected Name',
          [field]: value,
        };
        const res = await service.call('POST', '/register', { body });
        expect(res.status, `${field}=${value}`).toBe(satisfies(REGISTRATION, body) ? 200 : 400);
        if (res.status !== 200) continue;
        created += 1;
        const token = (await service.call('POST', '/login', { body: { username: body.username, password: body.password } })).body.token as string;
        const me = await service.call('GET', '/me', { token });
        expect(me.status).toBe(200);
        expect(me.body.user_profile.username).toBe(body.username);
        expect(me.body.user_profile.email).toBe(body.email);
        expect(me.body.user_profile.full_name).toBe(body.full_name);
      }
    }
    const end = await tablesIntact();
    expect(end.users).toBe(start.users! + created);
    expect(created).toBeGreaterThan(0);
  });

  it('when injection strings go into profile, user-data and training fields, then 400 or stored verbatim', async () => {
    for (const value of SQL_INJECTION) {
      const bio = await service.call('PUT', '/profile', { token: alice.token, body: { bio: value, full_name: `N ${value}`.slice(0, 100) } });
      expect(bio.status, value).toBe(200);
      const tags = await service.call('PUT', '/profile', { token: alice.token, body: { tags: [value] } });
      expect(tags.status, value).toBe(/^[a-z0-9_-]{1,30}$/.test(value) ? 200 : 400);
      const country = await service.call('PUT', '/profile', { token: alice.token, body: { country: value } });
      expect(country.status, value).toBe(400);
      const me = await service.call('GET', '/me', { token: alice.token });
      expect(me.body.user_profile.bio).toBe(value);
      expect(me.body.user_profile.username).toBe('alice');

      const data = await service.call('POST', '/user-data', {
        token: alice.token,
        body: { user_profile: { full_name: `D ${value}`.slice(0, 100) }, settings: { privacy: { profile_visibility: value } } },
      });
      expect(data.status, value).toBe(400);
      const level = await service.call('POST', '/user-data', { token: alice.token, body: { training_profile: { level: value } } });
      expect(level.status, value).toBe(400);

      const training = await service.call('PUT', '/training-profile', {
        token: alice.token,
        body: {
          basic_information: { gender: 'female', age: 33, height_cm: 168, weight_kg: 62 },
          training_goals: ['endurance'],
          training_experience: { level: 'beginner', frequency_last_3_months: 'none' },
          preferences: { training_location: 'home', location_details: 'bodyweight_only', session_duration: '15_30_min' },
          health: { joint_back_problems: false, chronic_conditions: false, health_details: value },
          training_types: { strength_training: 1, cardio: 2, hiit: 3, yoga_pilates: 4, functional_training: 5, stretching: 1 },
        },
      });
      expect(training.status, value).toBe(200);
      const stored = await service.call('GET', '/training-profile', { token: alice.token });
      expect(stored.body.training_profile.health.health_details).toBe(value);
    }
    // The other user is untouched by anything alice sent.
    const bobDetails = await service.call('GET', `/get_user_details?user_id=2`);
    expect(bobDetails.body.details.username).toBe(bob.username);
  });

  it('when injection strings are sent as session ids, tokens, passwords to change and headers, then 4xx and nothing changes', async () => {
    const before = await snapshot(service.db);
    for (const value of SQL_INJECTION) {
      const revoke = await checkedRequest(service, {
        method: 'DELETE',
        path: `/api/v1/active-sessions/${q(value)}`,
        headers: { authorization: `Bearer ${alice.token}` },
      });
      // A well-formed session id that is nobody's is 404; anything else breaks the spec: 400.
      expect(revoke.status, value).toBe(satisfies(specSchema('SessionId'), value) ? 404 : 400);
      const likeId = `sess_${value.replace(/[^A-Za-z0-9_-]/g, '_')}xxxxxx`;
      const revokeLike = await service.call('DELETE', `/active-sessions/${q(likeId)}`, { token: alice.token });
      expect(revokeLike.status, likeId).toBe(satisfies(specSchema('SessionId'), likeId) ? 404 : 400);
      const token = await checkedRequest(service, {
        method: 'GET',
        path: '/api/v1/me',
        headers: { authorization: `Bearer ${value.replace(/[^\x20-\x7e]/g, '')}` },
      });
      expect(token.status, value).toBe(401);
      const change = await service.call('PUT', '/change-password', { token: alice.token, body: { current_password: value, new_password: 'Another$Pass99' } });
      expect(change.status, value).toBe(400);
      const header = await checkedRequest(service, {
        method: 'GET',
        path: '/api/v1/me',
        headers: {
          authorization: `Bearer ${alice.token}`,
          'x-request-id': value.replace(/[^\x20-\x7e]/g, ''),
          'user-agent': value.replace(/[^\x20-\x7e]/g, ''),
        },
      });
      expect(header.status).toBe(200);
      expect(header.headers['x-request-id']).toMatch(/^[A-Za-z0-9._-]{1,128}$/);
    }
    expect(await snapshot(service.db)).toEqual(before);
    // Alice's session survived every attempt.
    expect((await service.call('GET', '/verify-token', { token: alice.token })).status).toBe(200);
  });

  it('afterwards every table still exists and the users are who they were', async () => {
    // Every table still has the columns it had before the first injection.
    for (const table of CHECKED_TABLES) expect(Object.keys(await service.db(table).columnInfo()).sort(), table).toEqual(columnsAtStart[table]);
    const details = await service.call('GET', '/get_user_details?user_id=1');
    expect(details.body.details.username).toBe('alice');
    expect((await service.call('POST', '/login', { body: { username: 'abc', password: bob.password } })).status).toBe(200);
  });
});
