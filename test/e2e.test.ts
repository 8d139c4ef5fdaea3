import { API_PREFIX, createClient, type FitnessClient, type RequestBody } from '@fitness-app/account-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedQuestionnaire } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { linkToken, type Mailbox } from './support/mailbox.js';
import { checkAgainstSpec, type MailService, type ManualClock, manualClock, type Service, startService, startServiceWithMail } from './support/service.js';
import { uniqueName } from './support/users.js';

/**
 * The whole service end to end, over real HTTP, only through the typed client, as packed
 * (`npm run client:pack` builds clients/typescript, packs it and unpacks the tarball into
 * var/client/node_modules, where this file imports it from):
 * every body below is annotated with `RequestBody<operationId>` (so the compiler checks it
 * exactly, unknown keys included) and every answer is typed, so a spec change that breaks a
 * caller breaks this file's build. Every API answer is also checked against
 * openapi.yaml at run time (status documented, body matching its schema).
 */

/** The seed example of `PUT /training-profile`. */
const SEED_TRAINING_PROFILE: RequestBody<'updateTrainingProfile'> = seedQuestionnaire();

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

describe.each(databases)('the typed client end to end on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  /** A client on the running service whose every API answer is checked against the spec. */
  function client(): FitnessClient {
    const c = createClient(service.url);
    c.use({
      async onResponse({ request, response }) {
        const url = new URL(request.url);
        const text = await response.clone().text();
        const path = url.pathname.slice(API_PREFIX.length) + url.search;
        checkAgainstSpec(service.api, request.method, path, { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers });
        return response;
      },
    });
    return c;
  }

  it('when a user goes through every account flow, then each step answers as the spec says', async () => {
    const app = client();
    const username = uniqueName('fit_user');
    const password = 'SecurePass123!';
    const email = `${username}@example.com`;

    // register
    const registration: RequestBody<'register'> = { username, password, email, full_name: 'Alex Johnson' };
    const registered = await app.POST('/register', { body: registration });
    expect(registered.response.status, JSON.stringify(registered.error)).toBe(200);
    expect(registered.data?.user_info).toEqual({ username, email, full_name: 'Alex Johnson' });
    const again = await app.POST('/register', { body: { ...registration, username: username.toUpperCase(), email: `x${email}` } });
    expect(again.response.status, JSON.stringify(again.error)).toBe(400);
    expect(again.error).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });

    // login keeps the token
    expect(app.token).toBeUndefined();
    const login = await app.login(username, password);
    expect(login.response.status, JSON.stringify(login.error)).toBe(200);
    expect(login.data?.token_type).toBe('bearer');
    expect(app.token).toBe(login.data?.access_token);

    // GET /me
    const me = await app.GET('/me');
    expect(me.response.status, JSON.stringify(me.error)).toBe(200);
    expect(me.data?.user_profile).toMatchObject({ username, email, full_name: 'Alex Johnson', account_status: 'active' });
    const publicId = me.data?.user_profile.id ?? '';
    expect(publicId).toMatch(/^usr_\d+$/);

    // PUT /profile
    const profileUpdate: RequestBody<'updateProfile'> = { full_name: 'Alex J. Johnson', bio: 'Runner and climber.', tags: ['running'], country: 'kz' };
    const profile = await app.PUT('/profile', { body: profileUpdate });
    expect(profile.response.status, JSON.stringify(profile.error)).toBe(200);
    expect(profile.data?.user_info).toEqual({ username, email, full_name: 'Alex J. Johnson' });

    // PUT then GET /training-profile with the seed example
    const stored = await app.PUT('/training-profile', { body: SEED_TRAINING_PROFILE });
    expect(stored.response.status, JSON.stringify(stored.error)).toBe(200);
    expect(stored.data?.message).toBe('Training profile updated successfully');
    const expectedView = { ...SEED_TRAINING_PROFILE, preferences: { ...SEED_TRAINING_PROFILE.preferences, equipment: [] } };
    expect(stored.data?.training_profile).toEqual(expectedView);
    const training = await app.GET('/training-profile');
    expect(training.response.status, JSON.stringify(training.error)).toBe(200);
    expect(training.data?.training_profile).toEqual(expectedView);
    expect(training.data?.metadata.last_updated).toMatch(ISO_UTC);
    expect(training.data?.metadata.next_review_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    // POST then GET /user-data
    const userData: RequestBody<'updateUserData'> = {
      user_profile: { full_name: 'Alex Johnson Updated' },
      training_profile: { goals: ['weight_loss', 'flexibility'], level: 'advanced' },
      settings: { notifications: { push: true } },
    };
    const update = await app.POST('/user-data', { body: userData });
    expect(update.response.status, JSON.stringify(update.error)).toBe(200);
    expect(update.data?.updated_fields).toEqual({ user_profile: true, training_profile: true, settings: true });
    expect(update.data?.user_data).toEqual({ id: publicId, full_name: 'Alex Johnson Updated', email });
    const data = await app.GET('/user-data');
    expect(data.response.status, JSON.stringify(data.error)).toBe(200);
    expect(data.data?.user_profile).toMatchObject({
      id: publicId,
      full_name: 'Alex Johnson Updated',
      bio: 'Runner and climber.',
      tags: ['running'],
      country: 'kz',
    });
    expect(data.data?.training_profile).toMatchObject({
      goals: ['weight_loss', 'flexibility'],
      level: 'advanced',
      achievements: { workouts_completed: 0, streak_days: 0 },
    });
    expect(data.data?.settings.notifications.push).toBe(true);

    // a second login (another device): two sessions, the caller's is current
    const phone = client();
    expect((await phone.login(username, password)).response.status).toBe(200);
    const sessions = await app.GET('/active-sessions');
    expect(sessions.response.status, JSON.stringify(sessions.error)).toBe(200);
    const listed = sessions.data?.sessions ?? [];
    expect(listed).toHaveLength(2);
    expect(listed.filter((s) => s.current)).toHaveLength(1);
    const other = listed.find((s) => !s.current);
    if (!other) throw new Error('the second session is not listed');
    expect(phone.token?.startsWith(other.token.replace(/\.\.\.$/, ''))).toBe(true);

    // DELETE the other session: the phone's token stops working at once
    const revoked = await app.DELETE('/active-sessions/{session_id}', { params: { path: { session_id: other.session_id } } });
    expect(revoked.response.status, JSON.stringify(revoked.error)).toBe(200);
    expect(revoked.data).toEqual({ message: 'Session revoked', session_id: other.session_id });
    expect((await phone.GET('/verify-token')).response.status).toBe(401);
    expect((await app.GET('/verify-token')).response.status).toBe(200);
    const unknown = await app.DELETE('/active-sessions/{session_id}', { params: { path: { session_id: other.session_id } } });
    expect(unknown.response.status, JSON.stringify(unknown.error)).toBe(404);

    // PUT /change-password: other sessions end, this one stays, only the new password logs in
    await phone.login(username, password);
    const change: RequestBody<'changePassword'> = { current_password: password, new_password: 'EvenMoreSecure456?' };
    const wrong = await app.PUT('/change-password', { body: { ...change, current_password: 'not-the-password' } });
    expect(wrong.response.status, JSON.stringify(wrong.error)).toBe(400);
    expect(wrong.error?.text).toBe('Invalid current password');
    const changed = await app.PUT('/change-password', { body: change });
    expect(changed.response.status, JSON.stringify(changed.error)).toBe(200);
    expect(changed.data).toEqual({ message: 'Password changed successfully' });
    expect((await phone.GET('/verify-token')).response.status).toBe(401);
    expect((await app.GET('/verify-token')).response.status).toBe(200);
    const oldPassword = await phone.login(username, password);
    expect(oldPassword.response.status, JSON.stringify(oldPassword.error)).toBe(400);
    expect(oldPassword.error?.text).toBe('Invalid password');
    expect((await phone.login(username, 'EvenMoreSecure456?')).response.status).toBe(200);

    // POST /logout: this token is dead, the phone's lives on
    const verified = await app.GET('/verify-token');
    expect(verified.data?.user_info).toEqual({ username, user_id: publicId, is_admin: false, email_verified: false });
    const logout = await app.POST('/logout');
    expect(logout.response.status, JSON.stringify(logout.error)).toBe(200);
    expect(logout.data).toEqual({ message: 'Successfully logged out', details: { session_terminated: true, remaining_sessions: 1 } });
    const dead = await app.GET('/verify-token');
    expect(dead.response.status, JSON.stringify(dead.error)).toBe(401);
    expect(dead.error).toEqual({ code: 401, text: 'Unauthorized', error: 'unauthorized' });
    expect((await phone.GET('/verify-token')).response.status).toBe(200);

    app.clearToken();
    expect(app.token).toBeUndefined();
    expect((await app.GET('/me')).response.status).toBe(401);
  });

  it('when a user trains on two devices, then retries are safe, the log pages, achievements move and a stale device cannot overwrite', async () => {
    const phone = client();
    const watch = client();
    const username = uniqueName('log_user');
    const password = 'SecurePass123!';
    const registration: RequestBody<'register'> = { username, password, email: `${username}@example.com`, full_name: 'Alex Johnson' };

    // a registration retried with its key: the first answer again, no "Username already taken"
    const key = { 'Idempotency-Key': `reg-${username}` };
    const first = await phone.POST('/register', { body: registration, params: { header: key } });
    const retried = await phone.POST('/register', { body: registration, params: { header: key } });
    expect([first.response.status, retried.response.status, retried.response.headers.get('idempotent-replayed')]).toEqual([200, 200, 'true']);
    expect(retried.data).toEqual(first.data);
    expect((await phone.login(username, password)).response.status).toBe(200);
    expect((await watch.login(username, password)).response.status).toBe(200);

    // workouts from both devices, one of them retried
    const now = Date.now();
    const workout = (hoursAgo: number, type: RequestBody<'createWorkout'>['type'], minutes: number): RequestBody<'createWorkout'> => ({
      type,
      started_at: new Date(now - hoursAgo * 3_600_000).toISOString(),
      duration_min: minutes,
    });
    const run = workout(1, 'running', 40);
    const logged = await watch.POST('/workouts', { body: run, params: { header: { 'Idempotency-Key': 'run-1' } } });
    const again = await watch.POST('/workouts', { body: run, params: { header: { 'Idempotency-Key': 'run-1' } } });
    expect([logged.response.status, again.data?.id]).toEqual([201, logged.data?.id]);
    for (const [hours, type, minutes] of [
      [2, 'yoga_pilates', 30],
      [3, 'strength_training', 45],
    ] as const) {
      expect((await phone.POST('/workouts', { body: workout(hours, type, minutes) })).response.status).toBe(201);
    }
    const page = await phone.GET('/workouts', { params: { query: { limit: 2 } } });
    expect(page.data?.workouts.map((w) => w.type)).toEqual(['running', 'yoga_pilates']);
    const rest = await phone.GET('/workouts', { params: { query: { limit: 2, cursor: page.data?.next_cursor ?? undefined } } });
    expect([rest.data?.workouts.map((w) => w.type), rest.data?.next_cursor]).toEqual([['strength_training'], null]);
    const me = await phone.GET('/me');
    expect(me.data?.achievements.workouts_completed).toBe(3);
    expect(me.data?.achievements.streak_days).toBeGreaterThanOrEqual(1);

    // body metrics from the questionnaire
    const stored = await phone.PUT('/training-profile', { body: SEED_TRAINING_PROFILE });
    expect(stored.data?.derived).toEqual({ bmi: 22, bmi_category: 'normal', bmr_kcal: 1344, tdee_kcal: 2083 });

    // the watch edits with the tag it read; the phone, still holding the old tag, gets 412
    const read = await watch.GET('/workouts/{workout_id}', { params: { path: { workout_id: logged.data?.id ?? '' } } });
    const tag = read.response.headers.get('etag') ?? '';
    const edit = (minutes: number) => ({ ...run, duration_min: minutes });
    const path = { workout_id: logged.data?.id ?? '' };
    const byWatch = await watch.PUT('/workouts/{workout_id}', { body: edit(42), params: { path, header: { 'If-Match': tag } } });
    const byPhone = await phone.PUT('/workouts/{workout_id}', { body: edit(35), params: { path, header: { 'If-Match': tag } } });
    expect([byWatch.response.status, byPhone.response.status, byPhone.error?.text]).toEqual([200, 412, 'Precondition failed']);
    expect((await phone.GET('/workouts/{workout_id}', { params: { path } })).data?.duration_min).toBe(42);
  });

  it('when the simple user API is used, then create_user, login with revoke_others and get_user_details work together', async () => {
    const first = client();
    const second = client();
    const anonymous = client();
    const username = uniqueName('testuser');
    const email = `${username}@example.com`;

    const newUser: RequestBody<'createUser'> = {
      username,
      email,
      password: 'testpassword',
      avatar: 'https://example.com/avatar.jpg',
      bio: 'This is a test user.',
    };
    const created = await anonymous.POST('/create_user', { body: newUser });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    expect(created.data).toEqual({ code: 201, text: 'User created' });

    const login = await first.login(username, 'testpassword');
    expect(login.data?.user_info).toEqual({ username, email, full_name: null, is_admin: false, email_verified: false });
    const revoking = await second.login(username, 'testpassword', true);
    expect(revoking.response.status, JSON.stringify(revoking.error)).toBe(200);
    expect(revoking.data?.token).toBe(revoking.data?.access_token);
    expect((await first.GET('/verify-token')).response.status).toBe(401);
    const mine = await second.GET('/verify-token');
    expect(mine.response.status, JSON.stringify(mine.error)).toBe(200);
    const userId = (mine.data?.user_info.user_id ?? '').replace(/^usr_/, '');
    expect(userId).toMatch(/^\d+$/);

    const details = await second.GET('/get_user_details', { params: { query: { user_id: userId } } });
    expect(details.response.status, JSON.stringify(details.error)).toBe(200);
    expect(details.data).toEqual({
      code: 200,
      details: {
        id: Number(userId),
        registered_on: expect.any(Number),
        username,
        email,
        tags: [],
        avatar: 'https://example.com/avatar.jpg',
        bio: 'This is a test user.',
      },
    });
    const publicView = await anonymous.GET('/get_user_details', { params: { query: { user_id: userId } } });
    expect(publicView.data?.details.username).toBe(username);
    const missing = await anonymous.GET('/get_user_details', { params: { query: { user_id: '999999999' } } });
    expect(missing.response.status, JSON.stringify(missing.error)).toBe(400);
    expect(missing.error).toEqual({ code: 400, text: 'User not found', error: 'user_not_found' });
    const bad = await anonymous.GET('/get_user_details', { params: { query: { user_id: 'abc' } } });
    expect(bad.response.status, JSON.stringify(bad.error)).toBe(400);
    expect(bad.error?.text).toBe('Invalid user_id');
  });

  it('when a form checks names and loads the survey data, then availability and reference data answer', async () => {
    const app = client();
    const username = uniqueName('taken');
    const email = `${username}@example.com`;
    const registration: RequestBody<'register'> = { username, password: 'SecurePass123!', email, full_name: 'Alex Johnson' };
    expect((await app.POST('/register', { body: registration })).response.status).toBe(200);

    const taken = await app.GET('/check-availability', { params: { query: { username: username.toUpperCase() } } });
    expect(taken.response.status, JSON.stringify(taken.error)).toBe(200);
    expect(taken.data).toEqual({ username: username.toUpperCase(), available: false });
    const free = await app.GET('/check-availability', { params: { query: { username: uniqueName('free') } } });
    expect(free.data?.available).toBe(true);
    const malformed = await app.GET('/check-availability', { params: { query: { username: 'no' } } });
    expect(malformed.response.status, JSON.stringify(malformed.error)).toBe(400);
    expect(malformed.error?.code).toBe(400);

    const emailTaken = await app.GET('/check-email-availability', { params: { query: { email: email.toUpperCase() } } });
    expect(emailTaken.response.status, JSON.stringify(emailTaken.error)).toBe(200);
    expect(emailTaken.data?.available).toBe(false);
    const emailFree = await app.GET('/check-email-availability', { params: { query: { email: `${uniqueName('free')}@example.com` } } });
    expect(emailFree.data?.available).toBe(true);

    const survey = await app.GET('/survey-data');
    expect(survey.response.status, JSON.stringify(survey.error)).toBe(200);
    expect(survey.data?.countries).toContainEqual({ code: 'kz', name: 'kazakhstan', display_name: 'Kazakhstan' });
    expect(survey.data?.valid_values.training_levels).toEqual(['beginner', 'intermediate', 'advanced']);
    const etag = survey.response.headers.get('etag');
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    const unchanged = await app.GET('/survey-data', { params: { header: { 'If-None-Match': etag ?? '' } } });
    expect(unchanged.response.status, JSON.stringify(unchanged.error)).toBe(304);
  });

  it('when an operator probes the root endpoints, then healthz and readyz answer through client.ops', async () => {
    const { ops } = client();
    const health = await ops.GET('/healthz');
    expect(health.response.status, JSON.stringify(health.error)).toBe(200);
    expect(health.data).toEqual({ status: 'ok' });
    const ready = await ops.GET('/readyz');
    expect(ready.response.status, JSON.stringify(ready.error)).toBe(200);
    expect(ready.data).toEqual({ status: 'ready' });
  });

  it('when createClient is given the API root instead of the origin, then it says so', () => {
    expect(() => createClient(`${service.url}/api/v1/`)).toThrow(/server origin/);
  });
});

describe.each(databases)('staying signed in and getting back in, through the typed client, on %s', (kind) => {
  let service: MailService;
  let mailbox: Mailbox;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startServiceWithMail(kind, {}, clock);
    mailbox = service.mailbox;
  });
  afterAll(() => service.close());

  it('when a user registers, verifies the mailed link, stays signed in for a day by refreshing, and a replayed token ends the session', async () => {
    const app = createClient(service.url);
    const username = uniqueName('stay');
    const email = `${username}@example.com`;
    const registration: RequestBody<'register'> = { username, password: 'SecurePass123!', email, full_name: 'Alex Johnson' };
    expect((await app.POST('/register', { body: registration })).data?.next_steps).toContain('Verify your email (check inbox)');
    const mail = await mailbox.waitFor((m) => m.to.includes(email));
    const verified = await app.POST('/email/verify', { body: { token: linkToken(mail, 'verify-email') } });
    expect(verified.data).toEqual({ message: 'Email verified' });

    const login = await app.login(username, 'SecurePass123!');
    expect(login.data?.user_info.email_verified).toBe(true);
    const firstRefresh = app.refreshToken as string;
    for (let i = 0; i < 48; i += 1) {
      clock.advance(31 * 60 * 1000);
      expect((await app.GET('/me')).response.status).toBe(401);
      const renewed = await app.refresh();
      expect(renewed.response.status, JSON.stringify(renewed.error)).toBe(200);
      expect((await app.GET('/me')).data?.user_profile.email_verified).toBe(true);
    }
    expect(app.refreshToken).not.toBe(firstRefresh);

    // Someone replays the first refresh token a day later: the session ends for everyone.
    const thief = createClient(service.url);
    expect((await thief.refresh(firstRefresh)).response.status).toBe(401);
    expect((await app.GET('/me')).response.status).toBe(401);
    expect((await app.refresh()).response.status).toBe(401);
  });

  it('when a user forgets the password, then the mailed link sets a new one and the old sessions are gone', async () => {
    const app = createClient(service.url);
    const username = uniqueName('forgot');
    const email = `${username}@example.com`;
    await app.POST('/register', { body: { username, password: 'SecurePass123!', email, full_name: 'Alex Johnson' } });
    await app.login(username, 'SecurePass123!');
    const asked = await app.POST('/password/forgot', { body: { email } });
    expect(asked.response.status).toBe(202);
    const mail = await mailbox.waitFor((m) => m.to.includes(email) && m.subject === 'Reset your password');
    const reset = await app.POST('/password/reset', { body: { token: linkToken(mail, 'reset-password'), new_password: 'BrandNew789!' } });
    expect(reset.data).toEqual({ message: 'Password has been reset' });
    expect((await app.GET('/me')).response.status).toBe(401);
    expect((await app.refresh()).response.status).toBe(401);
    expect((await app.login(username, 'BrandNew789!')).response.status).toBe(200);
    expect((await app.GET('/me')).data?.user_profile.username).toBe(username);
  });
});
