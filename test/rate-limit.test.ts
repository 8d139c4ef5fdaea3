import { afterEach, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { type DatabaseKind, databases } from './support/databases.js';
import { type CallResult, type Service, startService } from './support/service.js';
import { newUser, registerUser, uniqueName } from './support/users.js';

const LIMIT = 5;

/** The 429 every rate limit answers: the envelope and a Retry-After of at least a second. */
function expectTooManyRequests(res: CallResult, maxRetryAfter: number): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ code: 429, text: expect.any(String), error: expect.any(String) });
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[0-9]+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxRetryAfter);
}

function expectRateLimitHeaders(res: CallResult, remaining: number): void {
  expect(res.headers.get('ratelimit-limit')).toBe(String(LIMIT));
  expect(res.headers.get('ratelimit-remaining')).toBe(String(remaining));
}

const forwardedFor = (ip: string) => ({ 'x-forwarded-for': ip });

describe.each(databases)('auth rate limit on %s', (kind) => {
  // Every test gets its own service: the counters are per client IP, and the client is always 127.0.0.1.
  const started: Service[] = [];
  async function start(overrides: Partial<Config> = {}): Promise<Service> {
    const service = await startService(kind, { authRateLimit: LIMIT, ...overrides });
    started.push(service);
    return service;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('when one IP sends a 6th /login within a minute, then it is 429 with Retry-After and the envelope; the first 5 carry RateLimit headers', async () => {
    const service = await start();
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await service.call('POST', '/login', { body: { username: uniqueName('nobody'), password: 'SecurePass123!' } });
      expect(res.status).toBe(400);
      expectRateLimitHeaders(res, LIMIT - 1 - i);
    }
    const sixth = await service.call('POST', '/login', { body: { username: uniqueName('nobody'), password: 'SecurePass123!' } });
    expectTooManyRequests(sixth, 60);
  });

  it('when a registered user logs in until the limit, then the successes show the remaining budget and the next login is 429 despite the right password', async () => {
    const service = await start();
    const user = newUser();
    const registered = await service.call('POST', '/register', { body: user });
    expect(registered.status).toBe(200);
    expectRateLimitHeaders(registered, LIMIT - 1);
    for (let remaining = LIMIT - 2; remaining >= 0; remaining -= 1) {
      const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
      expect(res.status).toBe(200);
      expectRateLimitHeaders(res, remaining);
    }
    const refused = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expectTooManyRequests(refused, 60);
    expect(refused.body.token).toBeUndefined();
  });

  it('when /register, /create_user and /login are mixed, then they share one budget of 5', async () => {
    const service = await start();
    const user = newUser();
    expect((await service.call('POST', '/register', { body: user })).status).toBe(200);
    expect(
      (await service.call('POST', '/create_user', { body: { username: uniqueName(), email: `${uniqueName()}@example.com`, password: 'secret1' } })).status,
    ).toBe(201);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).status).toBe(200);
    expect(
      (await service.call('POST', '/create_user', { body: { username: uniqueName(), email: `${uniqueName()}@example.com`, password: 'secret1' } })).status,
    ).toBe(201);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: 'wrong-password' } })).status).toBe(400);

    expectTooManyRequests(await service.call('POST', '/login', { body: { username: user.username, password: user.password } }), 60);
    const late = newUser();
    expectTooManyRequests(await service.call('POST', '/register', { body: late }), 60);
    expectTooManyRequests(await service.call('POST', '/create_user', { body: { username: late.username, email: late.email, password: 'secret1' } }), 60);
    expect(await service.db('users').where({ username: late.username }).first()).toBeUndefined();
    // Endpoints without the limit still answer.
    expect((await service.call('GET', `/check-availability?username=${late.username}`)).status).toBe(200);
  });

  it('when invalid bodies are sent, then they spend the budget too', async () => {
    const service = await start();
    for (let i = 0; i < LIMIT; i += 1) expect((await service.call('POST', '/login', { body: { username: 'x' } })).status).toBe(400);
    expectTooManyRequests(await service.call('POST', '/login', { body: { username: 'x' } }), 60);
  });

  it('when TRUST_PROXY is 0 and X-Forwarded-For rotates, then the limit still holds', async () => {
    const service = await start({ trustProxy: 0 });
    for (let i = 0; i < LIMIT; i += 1) {
      const res = await service.call('POST', '/login', {
        body: { username: uniqueName('nobody'), password: 'SecurePass123!' },
        headers: forwardedFor(`198.51.100.${i + 1}`),
      });
      expect(res.status).toBe(400);
    }
    const sixth = await service.call('POST', '/login', {
      body: { username: uniqueName('nobody'), password: 'SecurePass123!' },
      headers: forwardedFor('198.51.100.99'),
    });
    expectTooManyRequests(sixth, 60);
  });

  it('when TRUST_PROXY is 1, then each X-Forwarded-For client has its own budget and a spoofed left-most address changes nothing', async () => {
    const service = await start({ trustProxy: 1 });
    const body = () => ({ username: uniqueName('nobody'), password: 'SecurePass123!' });
    for (let i = 0; i < LIMIT; i += 1) {
      expect((await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.1') })).status).toBe(400);
    }
    expectTooManyRequests(await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.1') }), 60);
    // The proxy appends the real client last: a client-written address before it is not trusted.
    expectTooManyRequests(await service.call('POST', '/login', { body: body(), headers: forwardedFor('10.9.9.9, 203.0.113.1') }), 60);

    for (let i = 0; i < LIMIT; i += 1) {
      const res = await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.2') });
      expect(res.status).toBe(400);
      expectRateLimitHeaders(res, LIMIT - 1 - i);
    }
    expectTooManyRequests(await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.2') }), 60);
  });

  it('when TRUST_PROXY is 1 and the clients are IPv6 addresses of one /64, then they share one budget; another /64 has its own', async () => {
    const service = await start({ trustProxy: 1 });
    const body = () => ({ username: uniqueName('nobody'), password: 'SecurePass123!' });
    const sameNetwork = ['2001:db8:1:2::1', '2001:db8:1:2:aaaa::5', '2001:DB8:1:2:0:0:0:9', '2001:0db8:0001:0002:ffff:ffff:ffff:fffe', '2001:db8:1:2::77'];
    for (const [i, ip] of sameNetwork.entries()) {
      const res = await service.call('POST', '/login', { body: body(), headers: forwardedFor(ip) });
      expect(res.status).toBe(400);
      expectRateLimitHeaders(res, LIMIT - 1 - i);
    }
    expectTooManyRequests(await service.call('POST', '/login', { body: body(), headers: forwardedFor('2001:db8:1:2:1234:5678:9abc:def0') }), 60);
    const otherNetwork = await service.call('POST', '/login', { body: body(), headers: forwardedFor('2001:db8:1:3::1') });
    expect(otherNetwork.status).toBe(400);
    expectRateLimitHeaders(otherNetwork, LIMIT - 1);
  });

  it('when RATE_LIMIT_STORE is database, then the limit holds and the counters live in the rate_limits table', async () => {
    const service = await start({ rateLimitStore: 'database' });
    const user = await registerUser(service);
    for (let i = 1; i < LIMIT; i += 1) {
      const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
      expect(res.status).toBe(200);
      expectRateLimitHeaders(res, LIMIT - 1 - i);
    }
    expectTooManyRequests(await service.call('POST', '/login', { body: { username: user.username, password: user.password } }), 60);
    const rows = await service.db('rate_limits').select('key');
    expect(rows.length).toBeGreaterThan(0);
  });

  it('when RATE_LIMIT_STORE is database and TRUST_PROXY is 1, then clients are still told apart', async () => {
    const service = await start({ rateLimitStore: 'database', trustProxy: 1 });
    const body = () => ({ username: uniqueName('nobody'), password: 'SecurePass123!' });
    for (let i = 0; i < LIMIT; i += 1) await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.7') });
    expectTooManyRequests(await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.7') }), 60);
    expect((await service.call('POST', '/login', { body: body(), headers: forwardedFor('203.0.113.8') })).status).toBe(400);
  });
});

const FAILURES = 3;
const stores: { kind: DatabaseKind; store: Config['rateLimitStore'] }[] = databases.flatMap((kind) => [
  { kind, store: 'memory' as const },
  { kind, store: 'database' as const },
  { kind, store: 'redis' as const },
]);

describe.each(stores)('failed-login limit on $kind with the $store store', ({ kind, store }) => {
  const started: Service[] = [];
  async function start(): Promise<Service> {
    const service = await startService(kind, { loginFailureLimit: FAILURES, trustProxy: 1, rateLimitStore: store });
    started.push(service);
    return service;
  }
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  const attempt = (service: Service, username: string, password: string, ip: string) =>
    service.call('POST', '/login', { body: { username, password }, headers: forwardedFor(ip) });

  it('when an account had 3 wrong passwords from one IP, then the next attempt from that IP is 429 even with the right password', async () => {
    const service = await start();
    const user = await registerUser(service);
    for (let i = 0; i < FAILURES; i += 1) {
      const res = await attempt(service, user.username, 'WrongPass123!', '192.0.2.10');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
    }
    const locked = await attempt(service, user.username, user.password, '192.0.2.10');
    expectTooManyRequests(locked, 15 * 60);
    expect(locked.body.token).toBeUndefined();
    expectTooManyRequests(await attempt(service, user.username, 'WrongPass123!', '192.0.2.10'), 15 * 60);
  });

  it('when an account is blocked for one IP, then the owner logs in from another IP, and other accounts from the first IP are unaffected', async () => {
    const service = await start();
    const user = await registerUser(service);
    const neighbour = await registerUser(service);
    for (let i = 0; i < FAILURES; i += 1) await attempt(service, user.username, 'WrongPass123!', '192.0.2.20');
    expect((await attempt(service, user.username, user.password, '192.0.2.20')).status).toBe(429);

    const elsewhere = await attempt(service, user.username, user.password, '192.0.2.21');
    expect(elsewhere.status).toBe(200);
    expect((await attempt(service, neighbour.username, neighbour.password, '192.0.2.20')).status).toBe(200);
    // The success elsewhere does not lift the block on the guessing IP.
    expect((await attempt(service, user.username, user.password, '192.0.2.20')).status).toBe(429);
  });

  it('when fewer than 3 attempts failed, then the right password still logs in', async () => {
    const service = await start();
    const user = await registerUser(service);
    for (let i = 0; i < FAILURES - 1; i += 1) expect((await attempt(service, user.username, 'WrongPass123!', '192.0.2.30')).status).toBe(400);
    expect((await attempt(service, user.username, user.password, '192.0.2.30')).status).toBe(200);
  });

  it('when an unknown username is tried many times, then it is always 400 "User not found", never 429', async () => {
    const service = await start();
    const username = uniqueName('ghost');
    for (let i = 0; i < FAILURES * 3; i += 1) {
      const res = await attempt(service, username, 'WrongPass123!', '192.0.2.40');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ code: 400, text: 'User not found', error: 'user_not_found' });
    }
  });
});

describe.each(stores)('rate limits under concurrency on $kind with the $store store', ({ kind, store }) => {
  const started: Service[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  it('when 20 requests from one IP arrive at once, then exactly 5 get through', async () => {
    const service = await startService(kind, { authRateLimit: LIMIT, rateLimitStore: store });
    started.push(service);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => service.call('POST', '/login', { body: { username: uniqueName('nobody'), password: 'SecurePass123!' } })),
    );
    expect(results.filter((r) => r.status === 400)).toHaveLength(LIMIT);
    expect(results.filter((r) => r.status === 429)).toHaveLength(20 - LIMIT);
  });

  it('when 10 wrong passwords for one account from one IP arrive at once, then exactly 3 are checked and the rest are 429', async () => {
    const service = await startService(kind, { loginFailureLimit: FAILURES, rateLimitStore: store });
    started.push(service);
    const user = await registerUser(service);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => service.call('POST', '/login', { body: { username: user.username, password: 'WrongPass123!' } })),
    );
    // Each attempt spends its point atomically before the check: exactly FAILURES get to it.
    expect(results.filter((r) => r.status === 400)).toHaveLength(FAILURES);
    expect(results.filter((r) => r.status === 429)).toHaveLength(10 - FAILURES);
    expect((await service.call('POST', '/login', { body: { username: user.username, password: user.password } })).status).toBe(429);
  });
});
