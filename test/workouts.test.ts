import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY_MS, iso } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { signedInUser } from './support/users.js';

const run = {
  type: 'running',
  started_at: '2026-01-01T07:15:00Z',
  duration_min: 42,
  perceived_exertion: 7,
  calories_kcal: 480,
  distance_km: 8.4,
  notes: 'Easy pace.',
};

describe.each(databases)('the training log on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    service = await startService(kind, {}, clock);
  });
  afterAll(() => service.close());

  const create = (token: string, body: Record<string, unknown>) => service.call('POST', '/workouts', { token, body });
  const list = (token: string, query = '') => service.call('GET', `/workouts${query}`, { token });
  const countOf = async (token: string) => (await list(token, '?limit=100')).body.workouts.length as number;

  it('when a workout is logged, then 201 answers it as stored and GET /workouts/{id} reads the same', async () => {
    const user = await signedInUser(service);
    const res = await create(user.token, run);
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ...run, id: expect.stringMatching(/^wrk_[1-9][0-9]*$/), created_at: iso(clock()), updated_at: iso(clock()) });
    const read = await service.call('GET', `/workouts/${res.body.id}`, { token: user.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
  });

  it('when 16 deletes and replacements of unknown workouts arrive at once, from a user with no log and from one with a log, then every one is 404', async () => {
    const fresh = await signedInUser(service);
    const athlete = await signedInUser(service);
    expect((await create(athlete.token, run)).status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => {
        const { token } = i % 2 ? fresh : athlete;
        return i % 4 < 2
          ? service.call('DELETE', `/workouts/wrk_${900_000 + i}`, { token })
          : service.call('PUT', `/workouts/wrk_${900_000 + i}`, { token, body: run });
      }),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(404));
    expect(await countOf(athlete.token)).toBe(1);
    expect(await countOf(fresh.token)).toBe(0);
  });

  it('when only the required fields are sent, then the others are null; a start with an offset and milliseconds is stored in UTC to the second', async () => {
    const user = await signedInUser(service);
    const res = await create(user.token, { type: 'yoga_pilates', started_at: '2026-01-01T09:30:15.789+02:00', duration_min: 60 });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ started_at: '2026-01-01T07:30:15Z', perceived_exertion: null, calories_kcal: null, distance_km: null, notes: null });
  });

  it('when a workout starts more than a day ahead, then 400 workout_in_future and nothing is stored; exactly a day ahead is accepted', async () => {
    const user = await signedInUser(service);
    const ahead = await create(user.token, { ...run, started_at: iso(clock() + DAY_MS + 1000) });
    expect(ahead.status).toBe(400);
    expect(ahead.body).toMatchObject({ code: 400, text: 'Workout starts more than a day ahead', error: 'workout_in_future' });
    expect(await countOf(user.token)).toBe(0);
    expect((await create(user.token, { ...run, started_at: iso(clock() + DAY_MS) })).status).toBe(201);
  });

  it.each([
    ['a duration of 0', { duration_min: 0 }],
    ['a duration over a day', { duration_min: 1441 }],
    ['an exertion of 11', { perceived_exertion: 11 }],
    ['an exertion of 0', { perceived_exertion: 0 }],
    ['notes of 1001 characters', { notes: 'x'.repeat(1001) }],
    ['an unknown type', { type: 'parkour' }],
    ['a start that is not a time', { started_at: 'yesterday' }],
    ['an unknown field', { mood: 'great' }],
  ])('when the body has %s, then 400 and nothing is stored', async (_name, change) => {
    const user = await signedInUser(service);
    const res = await create(user.token, { ...run, ...change });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, text: 'Invalid request' });
    expect(await countOf(user.token)).toBe(0);
  });

  it('when notes are exactly 1000 characters (with emoji), then they are stored whole', async () => {
    const user = await signedInUser(service);
    const notes = `${'🏃'.repeat(10)}${'a'.repeat(990)}`;
    const res = await create(user.token, { ...run, notes });
    expect(res.status).toBe(201);
    expect((await service.call('GET', `/workouts/${res.body.id}`, { token: user.token })).body.notes).toBe(notes);
  });

  it('when a workout is replaced, then every field is the new one, left-out fields are null and updated_at moves', async () => {
    const user = await signedInUser(service);
    const created = (await create(user.token, run)).body;
    clock.advance(60_000);
    const res = await service.call('PUT', `/workouts/${created.id}`, {
      token: user.token,
      body: { type: 'cycling', started_at: '2026-01-01T06:00:00Z', duration_min: 90 },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: created.id,
      type: 'cycling',
      started_at: '2026-01-01T06:00:00Z',
      duration_min: 90,
      perceived_exertion: null,
      calories_kcal: null,
      distance_km: null,
      notes: null,
      created_at: created.created_at,
      updated_at: iso(clock()),
    });
    const ahead = await service.call('PUT', `/workouts/${created.id}`, { token: user.token, body: { ...run, started_at: iso(clock() + 2 * DAY_MS) } });
    expect(ahead.status).toBe(400);
    expect((await service.call('GET', `/workouts/${created.id}`, { token: user.token })).body).toEqual(res.body);
  });

  it('when a workout is deleted, then it is gone and a second delete is 404', async () => {
    const user = await signedInUser(service);
    const { id } = (await create(user.token, run)).body;
    const res = await service.call('DELETE', `/workouts/${id}`, { token: user.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Workout deleted' });
    expect((await service.call('GET', `/workouts/${id}`, { token: user.token })).status).toBe(404);
    expect((await service.call('DELETE', `/workouts/${id}`, { token: user.token })).body).toMatchObject({ code: 404, error: 'workout_not_found' });
  });

  it("when someone else's workout is read, replaced or deleted, then 404 exactly as an unknown id, and it stays as it was", async () => {
    const owner = await signedInUser(service);
    const stranger = await signedInUser(service);
    const theirs = (await create(owner.token, run)).body;
    const unknown = 'wrk_9999999999';
    for (const id of [theirs.id, unknown]) {
      const answers = [
        await service.call('GET', `/workouts/${id}`, { token: stranger.token }),
        await service.call('PUT', `/workouts/${id}`, { token: stranger.token, body: { ...run, duration_min: 1 } }),
        await service.call('DELETE', `/workouts/${id}`, { token: stranger.token }),
      ];
      for (const res of answers) expect([res.status, res.body]).toEqual([404, { code: 404, text: 'Workout not found', error: 'workout_not_found' }]);
    }
    expect((await service.call('GET', `/workouts/${theirs.id}`, { token: owner.token })).body).toEqual(theirs);
    expect((await list(stranger.token)).body).toEqual({ workouts: [], next_cursor: null });
  });

  it('when the id is not a workout id, then 400', async () => {
    const user = await signedInUser(service);
    for (const id of ['981', 'wrk_0', 'wrk_abc', 'wrk_12345678901234567']) {
      expect((await service.call('GET', `/workouts/${id}`, { token: user.token })).status).toBe(400);
    }
  });

  it('when there is no token, then every workout operation is 401', async () => {
    expect((await service.call('GET', '/workouts')).status).toBe(401);
    expect((await service.call('POST', '/workouts', { body: run })).status).toBe(401);
    expect((await service.call('DELETE', '/workouts/wrk_1')).status).toBe(401);
  });

  describe('pages', () => {
    /** Logs workouts started `hours` hours ago each; answers their ids in the same order. */
    async function logAt(token: string, hoursAgo: number[], type = 'running'): Promise<string[]> {
      const ids: string[] = [];
      for (const h of hoursAgo) ids.push((await create(token, { type, started_at: iso(clock() - h * 3_600_000), duration_min: 30 })).body.id);
      return ids;
    }

    async function pageThrough(token: string, query: string): Promise<string[][]> {
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const res = await list(token, `?${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        pages.push(res.body.workouts.map((w: { id: string }) => w.id));
        cursor = res.body.next_cursor;
      } while (cursor);
      return pages;
    }

    it('when there are five workouts and the limit is 2, then three pages newest first, the last with next_cursor null', async () => {
      const user = await signedInUser(service);
      const [a, b, c, d, e] = await logAt(user.token, [50, 40, 30, 20, 10]);
      expect(await pageThrough(user.token, 'limit=2')).toEqual([[e, d], [c, b], [a]]);
    });

    it('when no limit is given, then 20 at a time', async () => {
      const user = await signedInUser(service);
      await logAt(
        user.token,
        Array.from({ length: 21 }, (_, i) => i + 1),
      );
      expect((await pageThrough(user.token, '')).map((p) => p.length)).toEqual([20, 1]);
    });

    it('when workouts start at the same second, then they are ordered by id and no page repeats or skips one', async () => {
      const user = await signedInUser(service);
      const same = await logAt(user.token, [5, 5, 5, 5, 5]);
      expect((await pageThrough(user.token, 'limit=2')).flat()).toEqual([...same].reverse());
    });

    it('when workouts are logged while paging, then nothing already seen comes again and an older one logged meanwhile is in its place', async () => {
      const user = await signedInUser(service);
      const [a, b, c, d] = await logAt(user.token, [40, 30, 20, 10]);
      const first = await list(user.token, '?limit=2');
      expect(first.body.workouts.map((w: { id: string }) => w.id)).toEqual([d, c]);
      const [, between, oldest] = await logAt(user.token, [1, 25, 50]);
      const rest = await list(user.token, `?limit=10&cursor=${first.body.next_cursor}`);
      expect(rest.body.workouts.map((w: { id: string }) => w.id)).toEqual([between, b, a, oldest]);
      expect(rest.body.next_cursor).toBeNull();
    });

    it('when from, to and type are given, then only the workouts in [from, to) of that type come, paged the same way', async () => {
      const user = await signedInUser(service);
      const [, inside, edge] = await logAt(user.token, [72, 48, 24, 12]);
      await logAt(user.token, [36], 'yoga_pilates');
      const from = iso(clock() - 48 * 3_600_000);
      const to = iso(clock() - 12 * 3_600_000);
      expect((await pageThrough(user.token, `from=${from}&to=${to}&type=running&limit=1`)).flat()).toEqual([edge, inside]);
      expect((await list(user.token, `?type=yoga_pilates`)).body.workouts).toHaveLength(1);
    });

    it.each([
      ['a cursor this service did not give out', '?cursor=bm9wZQ'],
      ['a cursor of another format version', `?cursor=${Buffer.from('v2:1:1').toString('base64url')}`],
    ])('when the query has %s, then 400 invalid_cursor', async (_name, query) => {
      const user = await signedInUser(service);
      const res = await list(user.token, query);
      expect([res.status, res.body.error]).toEqual([400, 'invalid_cursor']);
    });

    it.each([['?limit=0'], ['?limit=101'], ['?type=parkour'], ['?from=yesterday'], ['?page=2']])(
      'when the query is %s, then 400 Invalid request',
      async (query) => {
        const user = await signedInUser(service);
        const res = await list(user.token, query);
        expect([res.status, res.body.text]).toEqual([400, 'Invalid request']);
      },
    );
  });
});
