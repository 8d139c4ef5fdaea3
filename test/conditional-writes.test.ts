import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preconditionOf } from '../src/preconditions.js';
import { seedQuestionnaire } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { signedInUser } from './support/users.js';

describe('preconditionOf (the If-Match header)', () => {
  it.each([
    ['"p3"', '"p3"', true],
    ['"p3"', '"p4"', false],
    ['"p1", "p3" ,"w2.1"', '"p3"', true],
    ['*', '"anything"', true],
    ['W/"p3"', '"p3"', false],
    ['p3', '"p3"', false],
    ['"p3", garbage', '"p3"', false],
    ['"a,b"', '"a,b"', true],
    ['', '"p3"', false],
  ])('when If-Match is %s and the current tag %s, then it matches: %s', (header, tag, expected) => {
    expect(preconditionOf(header)?.matches(tag)).toBe(expected);
  });

  it('when there is no If-Match, then there is no precondition', () => {
    expect(preconditionOf(undefined)).toBeUndefined();
  });
});

const STALE = { code: 412, text: 'Precondition failed', error: 'precondition_failed' };

describe.each(databases)('conditional writes (ETag and If-Match) on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  const etagOf = async (token: string, path: string) => {
    const res = await service.call('GET', path, { token });
    expect(res.status).toBe(200);
    const tag = res.headers.get('etag');
    expect(tag).toMatch(/^"[pw][0-9.]+"$/);
    return tag as string;
  };
  const ifMatch = (tag: string) => ({ 'If-Match': tag });
  const questionnaire = (age: number) => ({ ...seedQuestionnaire(), basic_information: { ...seedQuestionnaire().basic_information, age } });

  it('when /me, /user-data and /training-profile are read, then they carry the same tag, and a write gives the next one', async () => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    expect(await etagOf(user.token, '/user-data')).toBe(tag);
    expect(await etagOf(user.token, '/training-profile')).toBe(tag);
    const put = await service.call('PUT', '/training-profile', { token: user.token, body: seedQuestionnaire(), headers: ifMatch(tag) });
    expect(put.status).toBe(200);
    const next = put.headers.get('etag');
    expect(next).not.toBe(tag);
    expect(await etagOf(user.token, '/me')).toBe(next);
  });

  it.each([
    ['PUT /training-profile', 'PUT', '/training-profile', () => questionnaire(40)],
    ['PUT /profile', 'PUT', '/profile', () => ({ full_name: 'Someone Else' })],
    ['POST /user-data', 'POST', '/user-data', () => ({ settings: { units: 'imperial' } })],
  ] as const)('when %s sends a stale tag, then 412 and nothing is written', async (_name, method, path, body) => {
    const user = await signedInUser(service);
    const stale = await etagOf(user.token, '/me');
    expect((await service.call('POST', '/user-data', { token: user.token, body: { user_profile: { bio: 'moved on' } } })).status).toBe(200);
    const before = (await service.call('GET', '/user-data', { token: user.token })).body;
    const beforeProfile = (await service.call('GET', '/training-profile', { token: user.token })).body;
    const res = await service.call(method, path, { token: user.token, body: body(), headers: ifMatch(stale) });
    expect([res.status, res.body]).toEqual([412, STALE]);
    expect((await service.call('GET', '/user-data', { token: user.token })).body).toEqual(before);
    expect((await service.call('GET', '/training-profile', { token: user.token })).body).toEqual(beforeProfile);
  });

  it.each([
    ['the current tag', (tag: string) => tag],
    ['a list holding the current tag', (tag: string) => `"p0", ${tag}`],
    ['*', () => '*'],
  ])('when If-Match is %s, then the write happens and answers the new tag', async (_name, header) => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    const res = await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'New Name' }, headers: ifMatch(header(tag)) });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(await etagOf(user.token, '/me'));
    expect((await service.call('GET', '/me', { token: user.token })).body.user_profile.full_name).toBe('New Name');
  });

  it.each([['its weak form'], ['a value that is no entity tag']])('when If-Match is %s, then 412', async (name) => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    const header = name === 'its weak form' ? `W/${tag}` : tag.replaceAll('"', '');
    const res = await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'New Name' }, headers: ifMatch(header) });
    expect(res.status).toBe(412);
  });

  it('when there is no If-Match, then the write proceeds as the seed documents it, and the tag still moves', async () => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    expect((await service.call('PUT', '/profile', { token: user.token, body: { full_name: 'Plain Write' } })).status).toBe(200);
    expect(await etagOf(user.token, '/me')).not.toBe(tag);
  });

  it('when POST /user-data changes nothing, then the tag stays', async () => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    const res = await service.call('POST', '/user-data', { token: user.token, body: { settings: { units: 'metric' } }, headers: ifMatch(tag) });
    expect([res.status, res.body.updated_fields.settings, res.headers.get('etag')]).toEqual([200, false, tag]);
  });

  it('when two devices write the questionnaire with one tag at once, then exactly one wins and the other gets 412', async () => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/training-profile');
    const ages = [21, 22, 23, 24, 25, 26, 27, 28];
    const answers = await Promise.all(
      ages.map((age) => service.call('PUT', '/training-profile', { token: user.token, body: questionnaire(age), headers: ifMatch(tag) })),
    );
    const won = answers.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((r) => r.status === 412)).toHaveLength(ages.length - 1);
    const stored = (await service.call('GET', '/training-profile', { token: user.token })).body.training_profile.basic_information.age;
    expect(stored).toBe(won[0]?.body.training_profile.basic_information.age);
  });

  it('when two devices rename with one tag at once, then exactly one wins', async () => {
    const user = await signedInUser(service);
    const tag = await etagOf(user.token, '/me');
    const names = ['Device One', 'Device Two', 'Device Three', 'Device Four'];
    const answers = await Promise.all(
      names.map((full_name) => service.call('POST', '/user-data', { token: user.token, body: { user_profile: { full_name } }, headers: ifMatch(tag) })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = answers.find((r) => r.status === 200)?.body.user_data.full_name;
    expect((await service.call('GET', '/me', { token: user.token })).body.user_profile.full_name).toBe(winner);
  });

  describe('workouts', () => {
    const run = { type: 'running', started_at: '2026-01-01T07:00:00Z', duration_min: 30 };

    it('when a workout is created, read and replaced, then each answer carries its version tag', async () => {
      const user = await signedInUser(service);
      const created = await service.call('POST', '/workouts', { token: user.token, body: run });
      const tag = created.headers.get('etag') as string;
      expect(tag).toMatch(/^"w[0-9]+\.1"$/);
      expect(await etagOf(user.token, `/workouts/${created.body.id}`)).toBe(tag);
      const replaced = await service.call('PUT', `/workouts/${created.body.id}`, {
        token: user.token,
        body: { ...run, duration_min: 31 },
        headers: ifMatch(tag),
      });
      expect(replaced.status).toBe(200);
      expect(replaced.headers.get('etag')).toMatch(/\.2"$/);
      const stale = await service.call('PUT', `/workouts/${created.body.id}`, { token: user.token, body: { ...run, duration_min: 99 }, headers: ifMatch(tag) });
      expect([stale.status, stale.body]).toEqual([412, STALE]);
      expect((await service.call('GET', `/workouts/${created.body.id}`, { token: user.token })).body.duration_min).toBe(31);
    });

    it("when the tag is another workout's, then 412; when the workout is someone else's, then 404 whatever the tag", async () => {
      const user = await signedInUser(service);
      const other = await signedInUser(service);
      const a = await service.call('POST', '/workouts', { token: user.token, body: run });
      const b = await service.call('POST', '/workouts', { token: user.token, body: run });
      const wrong = await service.call('PUT', `/workouts/${a.body.id}`, { token: user.token, body: run, headers: ifMatch(b.headers.get('etag') as string) });
      expect(wrong.status).toBe(412);
      const theirs = await service.call('PUT', `/workouts/${a.body.id}`, { token: other.token, body: run, headers: ifMatch('*') });
      expect(theirs.status).toBe(404);
    });

    it('when two devices replace one workout with one tag at once, then exactly one wins', async () => {
      const user = await signedInUser(service);
      const created = await service.call('POST', '/workouts', { token: user.token, body: run });
      const tag = created.headers.get('etag') as string;
      const minutes = [41, 42, 43, 44, 45, 46];
      const answers = await Promise.all(
        minutes.map((m) =>
          service.call('PUT', `/workouts/${created.body.id}`, { token: user.token, body: { ...run, duration_min: m }, headers: ifMatch(tag) }),
        ),
      );
      const won = answers.filter((r) => r.status === 200);
      expect(won).toHaveLength(1);
      expect(answers.filter((r) => r.status === 412)).toHaveLength(minutes.length - 1);
      expect((await service.call('GET', `/workouts/${created.body.id}`, { token: user.token })).body.duration_min).toBe(won[0]?.body.duration_min);
    });
  });
});
