import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { createProfileRepository } from '../src/profile/profile.repository.js';
import { createProfileService, type ProfileService } from '../src/profile/profile.service.js';
import { createSurveyService } from '../src/survey/survey.service.js';
import { createTrainingRepository } from '../src/training/training.repository.js';
import { createTrainingService } from '../src/training/training.service.js';
import { createUsersRepository } from '../src/users/users.repository.js';
import { createSummariesRepository } from '../src/workouts/summaries.repository.js';
import { createWorkoutsRepository } from '../src/workouts/workouts.repository.js';
import { createWorkoutsService } from '../src/workouts/workouts.service.js';
import { iso } from './profile-helpers.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser, type TestUser, uniqueName, userIdOf } from './support/users.js';
import { securityLogFor, verificationFor } from './support/verification.js';

describe.each(databases)('GET /me and PUT /profile on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, {}, clock);
  });
  afterAll(() => service.close());

  async function me(token: string) {
    const res = await service.call('GET', '/me', { token });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The users row, as the database holds it. */
  async function row(username: string) {
    return service.db('users').whereRaw('lower(username) = ?', [username.toLowerCase()]).first();
  }

  describe('GET /me', () => {
    it('when a new user asks, then it answers their account, the default training summary, default settings and metadata', async () => {
      const user = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      const body = await me(user.token);
      expect(body).toEqual({
        user_profile: {
          id: `usr_${id}`,
          username: user.username,
          email: user.email,
          full_name: user.full_name,
          account_status: 'active',
          email_verified: false,
          created_at: iso(clock()),
          last_login: iso(clock()),
          avatar: null,
          bio: null,
          tags: [],
          country: null,
        },
        training_profile: { goals: ['maintain_fitness'], level: 'beginner', preferences: { workout_duration: '30_45_min', equipment: [] } },
        account_settings: { notifications: { email: true, push: false }, privacy: { profile_visibility: 'public' }, timezone: 'UTC', units: 'metric' },
        achievements: { workouts_completed: 0, streak_days: 0, longest_streak_days: 0, minutes_this_week: 0 },
        metadata: { cache_expiry: 300, data_version: expect.any(String) },
      });
    });

    it('when there is no token, then 401', async () => {
      expect((await service.call('GET', '/me')).status).toBe(401);
    });

    it("when the user's row is deleted, then their token gets 401 everywhere (the sessions went with it)", async () => {
      const user = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      expect((await service.call('GET', '/me', { token: user.token })).status).toBe(200);
      await service.db('users').where({ id }).del();
      expect(await service.db('sessions').where({ user_id: id })).toHaveLength(0);
      expect((await service.call('GET', '/me', { token: user.token })).status).toBe(401);
      expect((await service.call('GET', '/user-data', { token: user.token })).status).toBe(401);
      expect((await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Ghost User' } })).status).toBe(401);
      expect((await service.call('POST', '/user-data', { token: user.token, body: { settings: { notifications: { push: true } } } })).status).toBe(401);
      expect((await service.call('GET', '/training-profile', { token: user.token })).status).toBe(401);
    });
  });

  describe('PUT /profile: partial updates', () => {
    it('when only full_name is sent, then only full_name changes', async () => {
      const user = await signedInUser(service);
      await service.call('PUT', '/profile', {
        token: user.token,
        body: { bio: 'Runner', tags: ['running'], country: 'kz', avatar: 'https://example.com/a.png' },
      });
      const before = await me(user.token);
      const res = await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Alex Johnson Updated' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        message: 'Profile updated successfully',
        user_info: { username: user.username, email: user.email, full_name: 'Alex Johnson Updated' },
      });
      const after = await me(user.token);
      expect(after).toEqual({ ...before, user_profile: { ...before.user_profile, full_name: 'Alex Johnson Updated' } });
    });

    it('when the seed example (username, email, full_name) is sent, then all three change and the rest stays', async () => {
      const user = await signedInUser(service);
      const before = await me(user.token);
      const username = uniqueName('updated_username');
      const body = { username, email: `${username}@example.com`, full_name: 'Updated Full Name' };
      const res = await service.call('PUT', '/profile', { token: user.token, body });
      expect(res.status).toBe(200);
      expect(res.body.user_info).toEqual(body);
      const after = await me(user.token);
      expect(after).toEqual({ ...before, user_profile: { ...before.user_profile, ...body } });
    });

    it('when avatar, bio, tags and country are set, then /me shows them; null clears avatar, bio and country', async () => {
      const user = await signedInUser(service);
      const set = { avatar: 'https://example.com/avatar.jpg', bio: 'Runner and climber.', tags: ['running', 'climbing_2', 'x-fit'], country: 'kz' };
      expect((await service.call('PUT', '/profile', { token: user.token, body: set })).status).toBe(200);
      expect((await me(user.token)).user_profile).toMatchObject(set);

      expect((await service.call('PUT', '/profile', { token: user.token, body: { avatar: 'http://example.com/plain.png' } })).status).toBe(200);
      expect((await me(user.token)).user_profile.avatar).toBe('http://example.com/plain.png');

      const cleared = await service.call('PUT', '/profile', { token: user.token, body: { avatar: null, bio: null, country: null } });
      expect(cleared.status).toBe(200);
      const profile = (await me(user.token)).user_profile;
      expect(profile).toMatchObject({ avatar: null, bio: null, country: null, tags: set.tags, full_name: user.full_name });
      const stored = await row(user.username);
      expect(stored).toMatchObject({ avatar: null, bio: null, country: null });

      expect((await service.call('PUT', '/profile', { token: user.token, body: { tags: [] } })).status).toBe(200);
      expect((await me(user.token)).user_profile.tags).toEqual([]);
    });

    it('when the body is {} or missing, then 400 and nothing changes', async () => {
      const user = await signedInUser(service);
      const before = await me(user.token);
      const empty = await service.call('PUT', '/profile', { token: user.token, body: {} });
      expect(empty.status).toBe(400);
      expect(empty.body.code).toBe(400);
      const none = await service.call('PUT', '/profile', { token: user.token, headers: { 'content-type': 'application/json' } });
      expect(none.status).toBe(400);
      expect(await me(user.token)).toEqual(before);
    });

    it('when there is no token, then 401', async () => {
      expect((await service.call('PUT', '/profile', { body: { full_name: 'Nobody Here' } })).status).toBe(401);
    });
  });

  describe('PUT /profile: validation', () => {
    let user: TestUser & { token: string };
    beforeAll(async () => {
      user = await signedInUser(service);
    });

    const invalid: [string, Record<string, unknown>, string][] = [
      ['avatar is not a URL', { avatar: 'not a url' }, '/body/avatar'],
      ['avatar is an ftp URL', { avatar: 'ftp://example.com/a.png' }, '/body/avatar'],
      ['avatar is a javascript: URL', { avatar: 'javascript:alert(1)' }, '/body/avatar'],
      ['avatar is a data: URL', { avatar: 'data:image/png;base64,AAAA' }, '/body/avatar'],
      ['avatar is longer than 2048', { avatar: `https://example.com/${'a'.repeat(2048)}` }, '/body/avatar'],
      ['bio is longer than 1000', { bio: 'b'.repeat(1001) }, '/body/bio'],
      ['country is upper case', { country: 'KZ' }, '/body/country'],
      ['country has three letters', { country: 'kaz' }, '/body/country'],
      ['country is a number', { country: 7 }, '/body/country'],
      ['tags has 21 items', { tags: Array.from({ length: 21 }, (_, i) => `tag${i}`) }, '/body/tags'],
      ['tags has a duplicate', { tags: ['running', 'running'] }, '/body/tags'],
      ['a tag has upper case', { tags: ['Running'] }, '/body/tags/0'],
      ['a tag has a space', { tags: ['trail running'] }, '/body/tags/0'],
      ['a tag is empty', { tags: [''] }, '/body/tags/0'],
      ['a tag is longer than 30', { tags: ['t'.repeat(31)] }, '/body/tags/0'],
      ['tags is null', { tags: null }, '/body/tags'],
      ['username has a hyphen', { username: 'bad-name' }, '/body/username'],
      ['username is too short', { username: 'ab' }, '/body/username'],
      ['email is malformed', { email: 'not-an-email' }, '/body/email'],
      ['full_name is too short', { full_name: 'A' }, '/body/full_name'],
      ['full_name is null', { full_name: null }, '/body/full_name'],
    ];
    it.each(invalid)('when %s, then 400 names the field and nothing changes', async (_name, body, field) => {
      const before = await row(user.username);
      const res = await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Changed Name', ...body } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await row(user.username)).toEqual(before);
    });

    it('when tags has exactly 20 valid items, then 200', async () => {
      const tags = Array.from({ length: 20 }, (_, i) => `tag_${i}`);
      const res = await service.call('PUT', '/profile', { token: user.token, body: { tags } });
      expect(res.status).toBe(200);
      expect((await me(user.token)).user_profile.tags).toEqual(tags);
    });

    it("when country is a known lower-case code ('kz'), then 200; an unknown one ('zz'), then 400 'Unknown country code' and nothing changes", async () => {
      const ok = await service.call('PUT', '/profile', { token: user.token, body: { country: 'kz' } });
      expect(ok.status).toBe(200);
      expect((await me(user.token)).user_profile.country).toBe('kz');
      const before = await row(user.username);
      const unknown = await service.call('PUT', '/profile', { token: user.token, body: { country: 'zz', full_name: 'Changed Name' } });
      expect(unknown.status).toBe(400);
      expect(unknown.body).toEqual({ code: 400, text: 'Unknown country code', error: 'unknown_country' });
      expect(await row(user.username)).toEqual(before);
    });

    const massAssignment: [string, unknown][] = [
      ['id', 1],
      ['is_admin', true],
      ['plan', 'enterprise'],
      ['account_status', 'suspended'],
      ['password', 'NewSecret123!'],
      ['password_hash', 'x'],
      ['created_at', '2020-01-01T00:00:00Z'],
    ];
    it.each(massAssignment)('when %s is sent (mass assignment), then 400 and the row is unchanged', async (field, value) => {
      const before = await row(user.username);
      const res = await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Changed Name', [field]: value } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`/body/${field}`);
      const after = await row(user.username);
      expect(after).toEqual(before);
      expect(Boolean(after.is_admin)).toBe(false);
      expect(after.plan).toBe('standard');
      expect(after.account_status).toBe('active');
    });

    it('when mass assignment is attempted, then the old password still logs in', async () => {
      const res = await service.call('PUT', '/profile', { token: user.token, body: { password: 'NewSecret123!' } });
      expect(res.status).toBe(400);
      await expect(loginUser(service, { username: user.username, password: 'NewSecret123!' })).rejects.toThrow(/Invalid password/);
      expect(await loginUser(service, user)).toEqual(expect.any(String));
    });
  });

  describe('PUT /profile: names and emails stay unique', () => {
    it("when the username is another user's in any letter case, then 400 'Username already taken' and nothing of the request changes", async () => {
      const other = await registerUser(service);
      const user = await signedInUser(service);
      const before = await row(user.username);
      for (const taken of [other.username, other.username.toUpperCase()]) {
        const res = await service.call('PUT', '/profile', { token: user.token, body: { username: taken, full_name: 'Changed Name', bio: 'changed' } });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
      }
      expect(await row(user.username)).toEqual(before);
    });

    it("when the email is another user's in any letter case, then 400 'Email already registered' and nothing of the request changes", async () => {
      const other = await registerUser(service);
      const user = await signedInUser(service);
      const before = await row(user.username);
      for (const taken of [other.email, other.email.toUpperCase()]) {
        const res = await service.call('PUT', '/profile', { token: user.token, body: { email: taken, full_name: 'Changed Name', country: 'kz' } });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ code: 400, text: 'Email already registered', error: 'email_taken' });
      }
      expect(await row(user.username)).toEqual(before);
    });

    it('when both are taken, then the username is reported', async () => {
      const other = await registerUser(service);
      const user = await signedInUser(service);
      const res = await service.call('PUT', '/profile', { token: user.token, body: { username: other.username, email: other.email } });
      expect(res.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
    });

    it('when the user changes the case of their own username or email, then 200', async () => {
      const user = await signedInUser(service);
      const res = await service.call('PUT', '/profile', {
        token: user.token,
        body: { username: user.username.toUpperCase(), email: user.email.toUpperCase() },
      });
      expect(res.status).toBe(200);
      expect((await me(user.token)).user_profile).toMatchObject({ username: user.username.toUpperCase(), email: user.email.toUpperCase() });
    });

    it("when the username changes, then login works with the new one, the old one answers 400 'User not found', and the old name is free", async () => {
      const user = await signedInUser(service);
      const renamed = uniqueName('renamed');
      const res = await service.call('PUT', '/profile', { token: user.token, body: { username: renamed } });
      expect(res.status).toBe(200);
      expect(res.body.user_info.username).toBe(renamed);
      expect((await me(user.token)).user_profile.username).toBe(renamed);

      expect(await loginUser(service, { username: renamed, password: user.password })).toEqual(expect.any(String));
      const old = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
      expect(old.status).toBe(400);
      expect(old.body).toEqual({ code: 400, text: 'User not found', error: 'user_not_found' });

      const availability = await service.call('GET', `/check-availability?username=${user.username}`);
      expect(availability.body.available).toBe(true);
      await registerUser(service, { username: user.username, email: `${uniqueName('other')}@example.com` });
    });

    it('when the email changes, then the old email is free and the new one is taken', async () => {
      const user = await signedInUser(service);
      const email = `${uniqueName('moved')}@example.com`;
      expect((await service.call('PUT', '/profile', { token: user.token, body: { email } })).status).toBe(200);
      expect((await service.call('GET', `/check-email-availability?email=${encodeURIComponent(user.email)}`)).body.available).toBe(true);
      expect((await service.call('GET', `/check-email-availability?email=${encodeURIComponent(email.toUpperCase())}`)).body.available).toBe(false);
    });
  });
});

describe.each(databases)('the profile service on %s', (kind) => {
  let database: TestDatabase;
  let profile: ProfileService;
  beforeAll(async () => {
    database = await createTestDatabase(kind);
    const { db } = database;
    const clock = () => Date.now();
    const users = createUsersRepository(db);
    const survey = createSurveyService('data/survey_data.json', { recheckMs: 0, clock });
    const training = createTrainingService({ db, training: createTrainingRepository(db), users, survey, clock });
    profile = createProfileService({
      db,
      users,
      people: createProfileRepository(db),
      workouts: createWorkoutsService({
        db,
        workouts: createWorkoutsRepository(db),
        summaries: createSummariesRepository(db),
        timeZoneOf: async (userId, exec) => (await users.getSettings(userId, exec)).timezone,
        clock,
      }),
      training,
      survey,
      verification: verificationFor(db, users),
      securityLog: securityLogFor(db, users),
      clock,
    });
  });
  afterAll(() => database.drop());

  it("when me() is asked for an unknown user id, then it throws the 404 AppError 'User not found'", async () => {
    const error = await profile.me(987_654).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 404, text: 'User not found' });
  });

  it('when userData(), updateProfile() or updateUserData() get an unknown user id, then they throw the same 404', async () => {
    await expect(profile.userData(987_654)).rejects.toMatchObject({ status: 404, text: 'User not found' });
    const client = { ip: '127.0.0.1', userAgent: undefined };
    await expect(profile.updateProfile(987_654, { fullName: 'Nobody Here' }, client)).rejects.toMatchObject({ status: 404, text: 'User not found' });
    await expect(profile.updateUserData(987_654, { settings: { notifications: { push: true } } }, client)).rejects.toMatchObject({ status: 404 });
  });
});
