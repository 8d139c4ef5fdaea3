import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { SESSION_COUNT_MAX_AGE_MS } from '../src/ops/metrics.js';
import { seedQuestionnaire } from './profile-helpers.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { listen, manualClock, startService, testConfig } from './support/service.js';
import { newUser, signedInUser } from './support/users.js';

const QUESTIONNAIRE = {
  ...seedQuestionnaire(),
  health: { joint_back_problems: true, chronic_conditions: false, health_details: 'old knee injury' },
};

/** The real app, with its log written into memory so tests can read it. */
async function startWithLog(overrides: Partial<Config> = {}) {
  const timeout = overrides.dbAcquireTimeoutMs;
  const database: TestDatabase = await createTestDatabase('sqlite', timeout === undefined ? {} : { acquireTimeoutMs: timeout });
  let log = '';
  const sink = new Writable({
    write(chunk, _encoding, done) {
      log += String(chunk);
      done();
    },
  });
  const config = testConfig(overrides);
  const service = await listen(database.db, database, config, undefined, { logger: createLogger('info', sink) });
  return {
    ...service,
    log: () => log,
    close: async () => {
      await service.close();
      await database.drop();
    },
  };
}

type Running = Awaited<ReturnType<typeof startWithLog>>;

describe('operating the service', () => {
  let service: Running;
  const user = newUser({ password: 'Sup3r-Secret-Pass!' });
  const newPassword = 'An0ther-Secret-Pass?';
  let token = '';

  beforeAll(async () => {
    service = await startWithLog();
    // A full run through the API, so the log holds every kind of request.
    expect((await service.call('POST', '/register', { body: user })).status).toBe(200);
    const login = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    token = login.body.token;
    expect((await service.call('POST', '/login', { body: { username: user.username, password: 'wrong-password' } })).status).toBe(400);
    expect((await service.call('GET', '/me', { token })).status).toBe(200);
    expect((await service.call('PUT', '/training-profile', { token, body: QUESTIONNAIRE })).status).toBe(200);
    expect((await service.call('GET', '/training-profile', { token })).status).toBe(200);
    expect((await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: newPassword } })).status).toBe(200);
    expect((await service.call('GET', '/verify-token', { token, headers: { 'x-request-id': 'trace-me-123' } })).status).toBe(200);
  });
  afterAll(() => service.close());

  describe('logs', () => {
    it('then there is one JSON line per request with route template, status, duration, request id and user id', () => {
      const lines = service
        .log()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      const requests = lines.filter((l) => l.msg === 'request');
      expect(requests.length).toBeGreaterThanOrEqual(8);
      const traced = requests.find((l) => l.requestId === 'trace-me-123');
      expect(traced).toMatchObject({ method: 'GET', route: '/verify-token', operation: 'verifyToken', status: 200 });
      expect(traced?.userId).toBeTypeOf('number');
      expect(traced?.durationMs).toBeTypeOf('number');
    });

    it('then no password, token or health answer appears anywhere in the log', () => {
      const log = service.log();
      for (const secret of [user.password, newPassword, 'wrong-password', token, 'eyJ', 'old knee injury']) {
        expect(log).not.toContain(secret);
      }
    });
  });

  describe('health and metrics', () => {
    it('when /healthz is asked, then the process answers ok', async () => {
      const res = await service.call('GET', '/healthz');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('when /readyz is asked while the database answers, then it is ready', async () => {
      expect((await service.call('GET', '/readyz')).body).toEqual({ status: 'ready' });
    });

    it('when /metrics is scraped, then it has requests per operation and status, login outcomes, sessions and pool usage', async () => {
      const res = await service.call('GET', '/metrics');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(res.body).toMatch(/http_requests_total\{operation="getMe",status="200"\} 1/);
      expect(res.body).toMatch(/http_request_duration_seconds_bucket\{le="[^"]+",operation="login",status="200"\}/);
      expect(res.body).toMatch(/logins_total\{outcome="success"\} 1/);
      expect(res.body).toMatch(/logins_total\{outcome="invalid_password"\} 1/);
      expect(res.body).toMatch(/\nactive_sessions 1\n/);
      expect(res.body).toMatch(/db_pool_connections\{state="free"\} 1/);
    });
  });

  describe('the metrics listener', () => {
    it('when /metrics is asked on the API port, at the root or under /api/v1, then 404', async () => {
      for (const path of ['/metrics', '/api/v1/metrics']) {
        const res = await fetch(`${service.url}${path}`);
        expect(res.status).toBe(404);
        expect(await res.json()).toEqual({ code: 404, text: 'Not found', error: 'not_found' });
      }
    });

    it('when the metrics listener is asked for anything but /metrics, then 404: it serves no API', async () => {
      for (const path of ['/healthz', '/api/v1/me', '/api/v1/login', '/docs']) expect((await fetch(`${service.metricsUrl}${path}`)).status).toBe(404);
      expect((await fetch(`${service.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(405);
    });
  });

  describe('headers', () => {
    it('then every answer says nosniff and no answer says X-Powered-By', async () => {
      for (const [method, path] of [
        ['GET', '/survey-data'],
        ['GET', '/healthz'],
        ['GET', '/nope'],
        ['GET', '/me'],
      ] as const) {
        const res = await service.call(method, path);
        expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
        expect(res.headers.get('x-powered-by'), path).toBeNull();
      }
    });

    it('then authenticated and auth answers are never stored by caches, while survey data is revalidated by ETag', async () => {
      expect((await service.call('GET', '/me', { token })).headers.get('cache-control')).toBe('no-store');
      const login = await service.call('POST', '/login', { body: { username: user.username, password: newPassword } });
      expect(login.headers.get('cache-control')).toBe('no-store');
      expect((await service.call('GET', '/survey-data')).headers.get('cache-control')).toBe('public, no-cache');
    });

    it('when no CORS origin is configured, then a cross-origin request gets no Access-Control-Allow-Origin', async () => {
      const res = await service.call('GET', '/survey-data', { headers: { origin: 'https://evil.example.com' } });
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });
  });

  it('when shutdown begins, then readiness answers 503 while liveness stays 200', async () => {
    const other = await startWithLog();
    try {
      other.beginShutdown();
      expect((await other.call('GET', '/readyz')).status).toBe(503);
      expect((await other.call('GET', '/healthz')).status).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('CORS allow-list', () => {
  let service: Running;
  beforeAll(async () => {
    service = await startWithLog({ corsOrigins: ['https://app.example.com'] });
  });
  afterAll(() => service.close());

  it('when an allowed origin sends a preflight, then it is allowed; another origin is not', async () => {
    const allowed = await service.call('OPTIONS', '/login', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    const other = await service.call('OPTIONS', '/login', {
      headers: { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
    });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('when a browser app writes conditionally and retries safely, then If-Match and Idempotency-Key are allowed and the answer headers readable', async () => {
    const preflight = await service.call('OPTIONS', '/workouts', {
      headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'idempotency-key,if-match' },
    });
    expect(preflight.headers.get('access-control-allow-headers')).toBe('idempotency-key,if-match');
    const answer = await service.call('GET', '/survey-data', { headers: { origin: 'https://app.example.com' } });
    expect(answer.headers.get('access-control-expose-headers')?.split(',')).toEqual(expect.arrayContaining(['ETag', 'Idempotent-Replayed']));
  });

  it('when a request from an allowed origin fails, then the error answer is readable by the app too', async () => {
    const denied = await service.call('GET', '/me', { headers: { origin: 'https://app.example.com', authorization: 'Bearer not-a-token' } });
    expect(denied.status).toBe(401);
    expect(denied.body).toMatchObject({ code: 401 });
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(denied.headers.get('vary')).toMatch(/origin/i);
  });
});

describe('database pool exhausted', () => {
  let service: Running;
  beforeAll(async () => {
    service = await startWithLog({ dbAcquireTimeoutMs: 400 });
  });
  afterAll(() => service.close());

  it('when every connection is held, then requests answer 503 within the timeout, /healthz stays fast, and all recovers after release', async () => {
    const user = newUser();
    expect((await service.call('POST', '/register', { body: user })).status).toBe(200);
    let release: () => void = () => undefined;
    const held = service.database.db.transaction(async () => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
    });
    try {
      await sleep(50);
      const started = Date.now();
      const blocked = await service.call('GET', '/check-availability?username=someone');
      expect(blocked.status).toBe(503);
      expect(blocked.body).toEqual({ code: 503, text: 'Service unavailable', error: 'service_unavailable' });
      expect(Date.now() - started).toBeLessThan(2000);
      const healthStarted = Date.now();
      expect((await service.call('GET', '/healthz')).status).toBe(200);
      expect(Date.now() - healthStarted).toBeLessThan(1000);
      expect((await service.call('GET', '/readyz')).status).toBe(503);
    } finally {
      release();
      await held;
    }
    expect((await service.call('GET', '/check-availability?username=someone')).status).toBe(200);
  });
});

describe('the active session gauge', () => {
  it('when /metrics is scraped often, then the session count is read at most every 15 s', async () => {
    const clock = manualClock(Date.now());
    const service = await startService('sqlite', {}, clock);
    try {
      const gauge = async () => Number(/\nactive_sessions (\d+)\n/.exec((await service.call('GET', '/metrics')).body)?.[1]);
      await signedInUser(service);
      expect(await gauge()).toBe(1);
      await signedInUser(service);
      clock.advance(SESSION_COUNT_MAX_AGE_MS - 1);
      expect(await gauge()).toBe(1);
      clock.advance(1);
      expect(await gauge()).toBe(2);
    } finally {
      await service.close();
    }
  });
});
