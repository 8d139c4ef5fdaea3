import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iso, seedQuestionnaire } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { registerUser, signedInUser, uniqueName, userIdOf } from './support/users.js';

describe.each(databases)('/user-data, /me and /training-profile: one person on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, {}, clock);
  });
  afterAll(() => service.close());

  async function get(path: string, token: string) {
    const res = await service.call('GET', path, { token });
    expect(res.status).toBe(200);
    return res.body;
  }
  const me = (token: string) => get('/me', token);
  const userData = (token: string) => get('/user-data', token);
  const trainingProfile = (token: string) => get('/training-profile', token);

  async function post(token: string, body: unknown) {
    return service.call('POST', '/user-data', { token, body });
  }

  /** Everything the database holds about a user (users row, settings row, questionnaire row). */
  async function dbState(username: string) {
    const id = await userIdOf(service, username);
    return {
      user: await service.db('users').where({ id }).first(),
      settings: await service.db('user_settings').where({ user_id: id }).first(),
      training: await service.db('training_profiles').where({ user_id: id }).first(),
    };
  }

  describe('two views of the same stored data', () => {
    it('when a new user reads /user-data, then it is /me in the other shape, with 0 achievements and metadata', async () => {
      const user = await signedInUser(service);
      const data = await userData(user.token);
      const view = await me(user.token);
      expect(data.user_profile).toEqual(view.user_profile);
      const { achievements, ...summary } = data.training_profile;
      expect(summary).toEqual(view.training_profile);
      expect(achievements).toEqual({ workouts_completed: 0, streak_days: 0, longest_streak_days: 0, minutes_this_week: 0 });
      expect(view.achievements).toEqual(achievements);
      expect(data.settings).toEqual(view.account_settings);
      expect(data.settings).toEqual({
        notifications: { email: true, push: false },
        privacy: { profile_visibility: 'public' },
        timezone: 'UTC',
        units: 'metric',
      });
      expect(data.metadata).toEqual({ version: expect.any(String), last_updated: iso(clock()) });
    });

    it('when POST /user-data sets goals, level, workout_duration and equipment, then GET /training-profile shows them and keeps every other answer', async () => {
      const user = await signedInUser(service);
      expect((await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire() })).status).toBe(200);
      const res = await post(user.token, {
        training_profile: {
          goals: ['weight_loss', 'flexibility'],
          level: 'advanced',
          preferences: { workout_duration: '60_90_min', equipment: ['kettlebells', 'bench'] },
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.updated_fields).toEqual({ user_profile: false, training_profile: true, settings: false });
      const seed = seedQuestionnaire();
      const got = await trainingProfile(user.token);
      expect(got.training_profile).toEqual({
        ...seed,
        training_goals: ['weight_loss', 'flexibility'],
        training_experience: { ...seed.training_experience, level: 'advanced' },
        preferences: { ...seed.preferences, session_duration: '60_90_min', equipment: ['kettlebells', 'bench'] },
      });
      const summary = {
        goals: ['weight_loss', 'flexibility'],
        level: 'advanced',
        preferences: { workout_duration: '60_90_min', equipment: ['kettlebells', 'bench'] },
      };
      expect((await me(user.token)).training_profile).toEqual(summary);
      expect((await userData(user.token)).training_profile).toMatchObject(summary);
    });

    it('when POST /user-data sets one summary field before any questionnaire, then GET /training-profile shows it on top of the defaults', async () => {
      const user = await signedInUser(service);
      const before = await trainingProfile(user.token);
      const res = await post(user.token, { training_profile: { preferences: { equipment: ['yoga_mat'] } } });
      expect(res.status).toBe(200);
      expect(res.body.updated_fields.training_profile).toBe(true);
      const after = await trainingProfile(user.token);
      expect(after.training_profile).toEqual({ ...before.training_profile, preferences: { ...before.training_profile.preferences, equipment: ['yoga_mat'] } });
      expect(after.metadata.last_updated).toBe(iso(clock()));
    });

    it('when PUT /training-profile stores a questionnaire, then /me and /user-data summaries show it', async () => {
      const user = await signedInUser(service);
      const body = {
        ...seedQuestionnaire(),
        training_goals: ['muscle_gain', 'endurance'],
        preferences: { ...seedQuestionnaire().preferences, session_duration: '15_30_min', equipment: ['barbell'] },
      };
      body.training_experience = { level: 'advanced', frequency_last_3_months: '5_plus_times_week' };
      expect((await service.call('PUT', '/training-profile', { token: user.token, body })).status).toBe(200);
      const summary = { goals: ['muscle_gain', 'endurance'], level: 'advanced', preferences: { workout_duration: '15_30_min', equipment: ['barbell'] } };
      expect((await me(user.token)).training_profile).toEqual(summary);
      expect((await userData(user.token)).training_profile).toEqual({
        ...summary,
        achievements: { workouts_completed: 0, streak_days: 0, longest_streak_days: 0, minutes_this_week: 0 },
      });
    });

    it('when the questionnaire is PUT without equipment after equipment was set through /user-data, then the summaries show []', async () => {
      const user = await signedInUser(service);
      await post(user.token, { training_profile: { preferences: { equipment: ['dumbbells'] } } });
      expect((await me(user.token)).training_profile.preferences.equipment).toEqual(['dumbbells']);
      await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire() });
      expect((await me(user.token)).training_profile.preferences.equipment).toEqual([]);
    });
  });

  describe('POST /user-data: partial updates', () => {
    it('when only full_name is sent, then only full_name changes and updated_fields says user_profile', async () => {
      const user = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      const before = await me(user.token);
      const res = await post(user.token, { user_profile: { full_name: 'Alex Johnson Updated' } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        message: 'User data updated successfully',
        updated_fields: { user_profile: true, training_profile: false, settings: false },
        user_data: { id: `usr_${id}`, full_name: 'Alex Johnson Updated', email: user.email },
      });
      expect(await me(user.token)).toEqual({ ...before, user_profile: { ...before.user_profile, full_name: 'Alex Johnson Updated' } });
    });

    it('when the seed example (full_name and goals + level) is sent, then both sections change', async () => {
      const user = await signedInUser(service);
      const res = await post(user.token, {
        user_profile: { full_name: 'Alex Johnson Updated' },
        training_profile: { goals: ['weight_loss', 'flexibility'], level: 'intermediate' },
      });
      expect(res.status).toBe(200);
      expect(res.body.updated_fields).toEqual({ user_profile: true, training_profile: true, settings: false });
      const view = await me(user.token);
      expect(view.user_profile.full_name).toBe('Alex Johnson Updated');
      expect(view.training_profile).toEqual({
        goals: ['weight_loss', 'flexibility'],
        level: 'intermediate',
        preferences: { workout_duration: '30_45_min', equipment: [] },
      });
    });

    it('when only one notification setting is sent, then the other settings stay', async () => {
      const user = await signedInUser(service);
      const res = await post(user.token, { settings: { notifications: { push: true } } });
      expect(res.body.updated_fields).toEqual({ user_profile: false, training_profile: false, settings: true });
      expect((await me(user.token)).account_settings).toEqual({
        notifications: { email: true, push: true },
        privacy: { profile_visibility: 'public' },
        timezone: 'UTC',
        units: 'metric',
      });
      await post(user.token, { settings: { privacy: { profile_visibility: 'private' } } });
      expect((await userData(user.token)).settings).toEqual({
        notifications: { email: true, push: true },
        privacy: { profile_visibility: 'private' },
        timezone: 'UTC',
        units: 'metric',
      });
    });

    it.each(['public', 'friends_only', 'private'])('when profile_visibility is set to %s, then both views and the database show it', async (visibility) => {
      const user = await signedInUser(service);
      const settings = { notifications: { email: false, push: true }, privacy: { profile_visibility: visibility } };
      const res = await post(user.token, { settings });
      expect(res.status).toBe(200);
      expect((await me(user.token)).account_settings).toEqual({ ...settings, timezone: 'UTC', units: 'metric' });
      expect((await userData(user.token)).settings).toEqual({ ...settings, timezone: 'UTC', units: 'metric' });
      const row = (await dbState(user.username)).settings;
      expect({ email: Boolean(row.notify_email), push: Boolean(row.notify_push), visibility: row.profile_visibility }).toEqual({
        email: false,
        push: true,
        visibility,
      });
    });

    it('when every section is sent again with the values it already has, then updated_fields is all false', async () => {
      const user = await signedInUser(service);
      const body = {
        user_profile: { full_name: 'Same Name', bio: 'Same bio', tags: ['same'], country: 'kz' },
        training_profile: { goals: ['endurance'], level: 'intermediate', preferences: { workout_duration: '45_60_min', equipment: ['bench'] } },
        settings: { notifications: { email: false, push: true }, privacy: { profile_visibility: 'friends_only' } },
      };
      const first = await post(user.token, body);
      expect(first.body.updated_fields).toEqual({ user_profile: true, training_profile: true, settings: true });
      const stateAfterFirst = await dbState(user.username);
      clock.advance(1000);
      const second = await post(user.token, body);
      expect(second.status).toBe(200);
      expect(second.body.updated_fields).toEqual({ user_profile: false, training_profile: false, settings: false });
      expect(await dbState(user.username)).toEqual(stateAfterFirst);
    });

    it('when a section is sent with its current value and another with a new one, then only the changed section is reported', async () => {
      const user = await signedInUser(service);
      const res = await post(user.token, {
        user_profile: { full_name: user.full_name, email: user.email },
        training_profile: { level: 'beginner', goals: ['maintain_fitness'] },
        settings: { notifications: { email: false } },
      });
      expect(res.body.updated_fields).toEqual({ user_profile: false, training_profile: false, settings: true });
    });

    it('when the email is changed through user_profile, then /me shows it and user_data echoes it', async () => {
      const user = await signedInUser(service);
      const email = `${uniqueName('new')}@example.com`;
      const res = await post(user.token, { user_profile: { email } });
      expect(res.body.user_data.email).toBe(email);
      expect((await me(user.token)).user_profile.email).toBe(email);
    });
  });

  describe('POST /user-data: atomic, and only what the spec allows', () => {
    it("when the email is taken (any case), then 400 'Email already taken' and nothing of the request changes (settings, training, name roll back)", async () => {
      const other = await registerUser(service);
      const user = await signedInUser(service);
      const before = await dbState(user.username);
      const viewBefore = await userData(user.token);
      clock.advance(1000);
      for (const taken of [other.email, other.email.toUpperCase()]) {
        const res = await post(user.token, {
          user_profile: { full_name: 'Changed Name', email: taken },
          training_profile: { level: 'advanced' },
          settings: { notifications: { push: true }, privacy: { profile_visibility: 'private' } },
        });
        expect(res.status).toBe(400);
        expect(res.body).toEqual({ code: 400, text: 'Email already taken', error: 'email_taken' });
      }
      expect(await dbState(user.username)).toEqual(before);
      expect(await userData(user.token)).toEqual(viewBefore);
    });

    it("when the username is taken (any case), then 400 'Username already taken' and nothing changes", async () => {
      const other = await registerUser(service);
      const user = await signedInUser(service);
      const before = await dbState(user.username);
      const res = await post(user.token, {
        user_profile: { username: other.username.toUpperCase() },
        training_profile: { goals: ['endurance'] },
        settings: { notifications: { email: false } },
      });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
      expect(await dbState(user.username)).toEqual(before);
    });

    it("when the country is unknown, then 400 'Unknown country code' and the settings sent with it do not change", async () => {
      const user = await signedInUser(service);
      const before = await dbState(user.username);
      const res = await post(user.token, { user_profile: { country: 'zz' }, settings: { notifications: { push: true } } });
      expect(res.body).toEqual({ code: 400, text: 'Unknown country code', error: 'unknown_country' });
      expect(await dbState(user.username)).toEqual(before);
    });

    const massAssignment: [string, unknown][] = [
      ['id', 'usr_1'],
      ['is_admin', true],
      ['plan', 'enterprise'],
      ['account_status', 'suspended'],
      ['password', 'NewSecret123!'],
      ['created_at', '2020-01-01T00:00:00Z'],
      ['last_login', '2020-01-01T00:00:00Z'],
    ];
    it.each(massAssignment)('when user_profile carries %s (mass assignment), then 400 and the row is unchanged', async (field, value) => {
      const user = await signedInUser(service);
      const before = await dbState(user.username);
      const res = await post(user.token, { user_profile: { full_name: 'Changed Name', [field]: value }, settings: { notifications: { push: true } } });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(`/body/user_profile/${field}`);
      const after = await dbState(user.username);
      expect(after).toEqual(before);
      expect(Boolean(after.user.is_admin)).toBe(false);
      expect(after.user.plan).toBe('standard');
    });

    const invalid: [string, unknown, string][] = [
      ['the body is {}', {}, '/body'],
      ['user_profile is {}', { user_profile: {} }, '/body/user_profile'],
      ['training_profile is {}', { training_profile: {} }, '/body/training_profile'],
      ['training_profile.preferences is {}', { training_profile: { preferences: {} } }, '/body/training_profile/preferences'],
      ['settings is {}', { settings: {} }, '/body/settings'],
      ['settings.notifications is {}', { settings: { notifications: {} } }, '/body/settings/notifications'],
      ['an unknown top-level section', { achievements: { workouts_completed: 100 } }, '/body/achievements'],
      ['is_admin at the top level', { is_admin: true }, '/body/is_admin'],
      ['an unknown training field', { training_profile: { health: { health_details: 'x' } } }, '/body/training_profile/health'],
      ['an unknown settings field', { settings: { theme: 'dark' } }, '/body/settings/theme'],
      ['an unknown notification channel', { settings: { notifications: { sms: true } } }, '/body/settings/notifications/sms'],
      ['goals is []', { training_profile: { goals: [] } }, '/body/training_profile/goals'],
      ['goals has a duplicate', { training_profile: { goals: ['endurance', 'endurance'] } }, '/body/training_profile/goals'],
      ['goals has an unknown goal', { training_profile: { goals: ['fly'] } }, '/body/training_profile/goals/0'],
      ['level is unknown', { training_profile: { level: 'expert' } }, '/body/training_profile/level'],
      [
        'workout_duration is unknown',
        { training_profile: { preferences: { workout_duration: '5_min' } } },
        '/body/training_profile/preferences/workout_duration',
      ],
      ['equipment has a duplicate', { training_profile: { preferences: { equipment: ['bench', 'bench'] } } }, '/body/training_profile/preferences/equipment'],
      ['profile_visibility is unknown', { settings: { privacy: { profile_visibility: 'everyone' } } }, '/body/settings/privacy/profile_visibility'],
      ['push is a string', { settings: { notifications: { push: 'yes' } } }, '/body/settings/notifications/push'],
      ['avatar is not http(s)', { user_profile: { avatar: 'ftp://example.com/a.png' } }, '/body/user_profile/avatar'],
      ['a tag has upper case', { user_profile: { tags: ['Running'] } }, '/body/user_profile/tags/0'],
      ['country is upper case', { user_profile: { country: 'KZ' } }, '/body/user_profile/country'],
    ];
    it.each(invalid)('when %s, then 400 names it and nothing changes', async (_name, body, field) => {
      const user = await signedInUser(service);
      const before = await dbState(user.username);
      const res = await post(user.token, body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      expect(await dbState(user.username)).toEqual(before);
    });

    it('when there is no token, then 401', async () => {
      expect((await service.call('GET', '/user-data')).status).toBe(401);
      expect((await service.call('POST', '/user-data', { body: { settings: { notifications: { push: true } } } })).status).toBe(401);
    });
  });

  describe('metadata.last_updated', () => {
    it('when any section is updated later, then last_updated moves forward to that time', async () => {
      const user = await signedInUser(service);
      const created = (await userData(user.token)).metadata.last_updated;
      expect(created).toBe(iso(clock()));

      const steps: unknown[] = [
        { user_profile: { bio: 'Runner' } },
        { settings: { notifications: { push: true } } },
        { training_profile: { level: 'advanced' } },
      ];
      let previous = created;
      for (const body of steps) {
        clock.advance(60_000);
        expect((await post(user.token, body)).status).toBe(200);
        const now = (await userData(user.token)).metadata.last_updated;
        expect(now).toBe(iso(clock()));
        expect(Date.parse(now)).toBeGreaterThan(Date.parse(previous));
        previous = now;
      }

      clock.advance(60_000);
      await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire() });
      expect((await userData(user.token)).metadata.last_updated).toBe(iso(clock()));

      clock.advance(60_000);
      await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Renamed Person' } });
      expect((await userData(user.token)).metadata.last_updated).toBe(iso(clock()));
    });
  });

  describe('privacy: GET /get_user_details shows the email only where the profile allows', () => {
    it.each([
      ['public', true],
      ['friends_only', false],
      ['private', false],
    ] as const)('when visibility is %s, then anonymous callers and other users see the email: %s; the user always sees it', async (visibility, shown) => {
      const user = await signedInUser(service);
      const stranger = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      if (visibility !== 'public') {
        // Away from the default first, then to the value under test, so each case really writes.
        expect((await post(user.token, { settings: { privacy: { profile_visibility: visibility } } })).body.updated_fields.settings).toBe(true);
      } else {
        await post(user.token, { settings: { privacy: { profile_visibility: 'private' } } });
        expect((await post(user.token, { settings: { privacy: { profile_visibility: 'public' } } })).body.updated_fields.settings).toBe(true);
      }
      const anonymous = await service.call('GET', `/get_user_details?user_id=${id}`);
      const other = await service.call('GET', `/get_user_details?user_id=${id}`, { token: stranger.token });
      const self = await service.call('GET', `/get_user_details?user_id=${id}`, { token: user.token });
      for (const res of [anonymous, other, self]) {
        expect(res.status).toBe(200);
        expect(res.body.details.username).toBe(user.username);
      }
      if (shown) {
        expect(anonymous.body.details.email).toBe(user.email);
        expect(other.body.details.email).toBe(user.email);
      } else {
        expect(anonymous.body.details).not.toHaveProperty('email');
        expect(other.body.details).not.toHaveProperty('email');
      }
      expect(self.body.details.email).toBe(user.email);
    });

    it('when a new user is looked up, then the default (public) shows the email', async () => {
      const user = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      const res = await service.call('GET', `/get_user_details?user_id=${id}`);
      expect(res.body.details.email).toBe(user.email);
    });

    it('when bio, avatar and tags are set through /user-data, then get_user_details shows them', async () => {
      const user = await signedInUser(service);
      const id = await userIdOf(service, user.username);
      await post(user.token, { user_profile: { bio: 'Climber', avatar: 'https://example.com/me.png', tags: ['climbing'] } });
      const res = await service.call('GET', `/get_user_details?user_id=${id}`);
      expect(res.body.details).toMatchObject({ bio: 'Climber', avatar: 'https://example.com/me.png', tags: ['climbing'] });
    });
  });
});
