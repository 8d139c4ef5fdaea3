import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotencyRepository } from '../src/idempotency/idempotency.repository.js';
import { createIdempotency, KEPT_MS } from '../src/idempotency/idempotency.service.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { newUser, signedInUser } from './support/users.js';

const REUSED = { code: 422, text: 'Idempotency-Key was used with a different request', error: 'idempotency_key_reused' };
const IN_FLIGHT = { code: 409, text: 'Request with this Idempotency-Key is still in progress', error: 'idempotency_key_in_flight' };

describe.each(databases)('Idempotency-Key on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock(Date.now());
    service = await startService(kind, { accessTokenTtl: 3 * 86400 }, clock);
  });
  afterAll(() => service.close());

  const withKey = (key: string) => ({ 'Idempotency-Key': key });
  const register = (body: object, key: string) => service.call('POST', '/register', { body, headers: withKey(key) });
  const accountsNamed = async (username: string) => (await service.db('users').where({ username })).length;
  const keysStored = async () => Number((await service.db('idempotency_keys').count({ n: '*' }))[0]?.n);

  it('when a registration is retried with its key, then the first answer comes again, marked replayed, and there is one account', async () => {
    const user = newUser();
    const key = randomUUID();
    const first = await register(user, key);
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await register(user, key);
    expect([again.status, again.body, again.headers.get('idempotent-replayed')]).toEqual([200, first.body, 'true']);
    // The same body with its fields in another order is the same request.
    const reordered = Object.fromEntries(Object.entries(user).reverse());
    expect((await register(reordered, key)).headers.get('idempotent-replayed')).toBe('true');
    expect(await accountsNamed(user.username)).toBe(1);
  });

  it('when the key comes with another body, then 422 and nothing is written', async () => {
    const key = randomUUID();
    expect((await register(newUser(), key)).status).toBe(200);
    const other = newUser();
    const res = await register(other, key);
    expect([res.status, res.body]).toEqual([422, REUSED]);
    expect(await accountsNamed(other.username)).toBe(0);
  });

  it('when 20 registrations with one key and one body arrive at once, then one account, and every answer is 409 or the 200', async () => {
    const user = newUser();
    const key = randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => register(user, key)));
    expect(await accountsNamed(user.username)).toBe(1);
    const ok = answers.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) expect(r.body).toEqual(ok[0]?.body);
    for (const r of answers.filter((a) => a.status !== 200)) expect([r.status, r.body]).toEqual([409, IN_FLIGHT]);
    expect(answers.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
  });

  describe('a request still in flight (on this or another instance)', () => {
    /** Holds a key for `body` as another instance processing it would, until `finish` is called. */
    function holdKey(operationId: string, key: string, body: { username: string; email: string; full_name: string }) {
      const other = createIdempotency({ keys: createIdempotencyRepository(service.db), secret: service.config.dataEncryptionKey, clock });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => {
        finish = resolve;
      });
      let started: () => void = () => undefined;
      const claimed = new Promise<void>((resolve) => {
        started = resolve;
      });
      const running = other.run({ operationId, userId: undefined, key, body }, async () => {
        started();
        await done;
        const user_info = { username: body.username, email: body.email, full_name: body.full_name };
        return { status: 200, headers: {}, body: { message: 'Registered by the other instance', user_info, next_steps: [] } };
      });
      return { claimed, finish, running };
    }

    it('when the first is still being processed, then 409; once it answered, its answer', async () => {
      const user = newUser();
      const key = randomUUID();
      const held = holdKey('register', key, user);
      await held.claimed;
      expect((await register(user, key)).body).toEqual(IN_FLIGHT);
      held.finish();
      await held.running;
      const replay = await register(user, key);
      expect([replay.status, replay.body.message, replay.headers.get('idempotent-replayed')]).toEqual([200, 'Registered by the other instance', 'true']);
    });

    it('when the first never finishes (its process died), then after the lease a retry is processed', async () => {
      const user = newUser();
      const key = randomUUID();
      const held = holdKey('register', key, user);
      await held.claimed;
      expect((await register(user, key)).status).toBe(409);
      clock.advance(61_000);
      const retried = await register(user, key);
      expect([retried.status, retried.headers.get('idempotent-replayed')]).toEqual([200, null]);
      expect(await accountsNamed(user.username)).toBe(1);
      held.finish();
      await held.running;
      // The dead process's late answer does not replace the one the retry kept.
      expect((await register(user, key)).body).toEqual(retried.body);
    });
  });

  it('when the first request fails, then nothing is kept and a retry is processed afresh', async () => {
    const taken = await signedInUser(service);
    const key = randomUUID();
    const before = await keysStored();
    const body = newUser({ username: taken.username });
    const first = await register(body, key);
    expect([first.status, first.body.text]).toEqual([400, 'Username already taken']);
    expect(await keysStored()).toBe(before);
    const retried = await register(body, key);
    expect([retried.status, retried.headers.get('idempotent-replayed')]).toEqual([400, null]);
  });

  it('when a day has passed, then the key is forgotten and purged', async () => {
    const user = newUser();
    const key = randomUUID();
    expect((await register(user, key)).status).toBe(200);
    clock.advance(KEPT_MS + 1000);
    const later = await register(user, key);
    expect([later.status, later.body.text]).toEqual([400, 'Username already taken']);
    const before = await keysStored();
    expect(before).toBeGreaterThan(0);
    await service.purgeExpired();
    expect(await service.db('idempotency_keys').where('expires_at', '<=', clock())).toHaveLength(0);
  });

  it('when create_user is retried with its key, then 201 again, replayed, and one account', async () => {
    const { full_name: _, ...user } = newUser();
    const key = randomUUID();
    const first = await service.call('POST', '/create_user', { body: user, headers: withKey(key) });
    const again = await service.call('POST', '/create_user', { body: user, headers: withKey(key) });
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(await accountsNamed(user.username)).toBe(1);
  });

  it("when a workout is retried with its key, then the same workout and ETag come again; another user's same key is their own", async () => {
    const user = await signedInUser(service);
    const other = await signedInUser(service);
    const key = randomUUID();
    const body = { type: 'cycling', started_at: new Date(clock() - 3_600_000).toISOString(), duration_min: 50 };
    const post = (token: string) => service.call('POST', '/workouts', { token, body, headers: withKey(key) });
    const first = await post(user.token);
    const again = await post(user.token);
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([201, 201, 'true']);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('etag')).toBe(first.headers.get('etag'));
    expect((await service.call('GET', '/workouts', { token: user.token })).body.workouts).toHaveLength(1);
    const theirs = await post(other.token);
    expect([theirs.status, theirs.headers.get('idempotent-replayed')]).toEqual([201, null]);
    expect(theirs.body.id).not.toBe(first.body.id);
  });

  it('when the key is empty, holds a space or is over 255 characters, then 400 and nothing is written', async () => {
    const user = newUser();
    for (const key of ['', 'a b', 'k'.repeat(256)]) {
      const res = await service.call('POST', '/register', { body: user, headers: withKey(key) });
      expect(res.status, key).toBe(400);
    }
    expect(await accountsNamed(user.username)).toBe(0);
  });
});
