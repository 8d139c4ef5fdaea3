import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { freePort } from './support/net.js';
import { type Service, startService } from './support/service.js';

/**
 * RATE_LIMIT_STORE=redis against a Redis server of this test's own (so that it can be killed):
 * instances share the counters; while Redis is gone, every instance counts in memory, so the
 * service keeps answering and keeps limiting (per instance); when Redis is back, the counters
 * are shared again.
 */
const LIMIT = 3;

/** A Redis server on `port`, answering PING once this resolves. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const probe = new Redis({ port, lazyConnect: true, enableOfflineQueue: false, retryStrategy: () => null });
  probe.on('error', () => undefined);
  for (let i = 0; i < 100; i += 1) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch {
      await sleep(50);
    }
  }
  probe.disconnect();
  return child;
}

const stopRedis = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

describe.each(databases)('rate limits in Redis on %s', (kind) => {
  let port: number;
  let redis: ChildProcess;
  let a: Service;
  let b: Service;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const config = { rateLimitStore: 'redis' as const, redisUrl: `redis://127.0.0.1:${port}/0`, authRateLimit: LIMIT, trustProxy: 1 };
    a = await startService(kind, config);
    // A second instance on the same database and the same Redis keys.
    b = await a.startPeer();
  });
  afterAll(async () => {
    await a.close();
    if (redis.exitCode === null) await stopRedis(redis);
  });

  /** Logins (of nobody: 400 when let through) from one client IP, alternating between the instances. */
  async function statuses(ip: string, n: number, through: Service[] = [a, b]): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const service = through[i % through.length] as Service;
      out.push((await service.call('POST', '/login', { body: { username: 'nobody_here', password: 'x' }, headers: { 'x-forwarded-for': ip } })).status);
    }
    return out;
  }

  it('when two instances count in one Redis, then the limit holds across both', async () => {
    expect(await statuses('198.51.100.1', LIMIT + 2)).toEqual([400, 400, 400, 429, 429]);
  });

  it('when Redis goes away, then requests are still answered and still limited, per instance; when it is back, shared again', async () => {
    await stopRedis(redis);
    // Each instance now counts alone: LIMIT each, never a 5xx.
    expect(await statuses('198.51.100.2', LIMIT + 1, [a])).toEqual([400, 400, 400, 429]);
    expect(await statuses('198.51.100.2', LIMIT + 1, [b])).toEqual([400, 400, 400, 429]);

    redis = await startRedis(port);
    await sleep(1500); // the clients reconnect on their own
    expect(await statuses('198.51.100.3', LIMIT + 2)).toEqual([400, 400, 400, 429, 429]);
  });
});
