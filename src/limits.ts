import type { Redis } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterMySQL, RateLimiterRedis, RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible';
import type { Config } from './config.js';
import { type Db, isMysql } from './db/db.js';
import { Errors } from './errors.js';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/**
 * The Redis client of the limiters: commands fail at once while it is disconnected (no offline
 * queue, one attempt), so a request never waits on a Redis that is gone; it reconnects by
 * itself. Says so in the log when the connection is lost and when it is back. ioredis is loaded
 * here, when first asked for: a service counting in memory or in its database never loads it.
 */
export async function connectRedis(url: string, keyPrefix: string, logger: { warn(msg: string): void; info(msg: string): void }): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, { keyPrefix, enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  let down = false;
  redis.on('ready', () => {
    if (down) logger.info('redis is back: rate limits are shared again');
    down = false;
  });
  redis.on('error', (err: Error) => {
    if (!down) logger.warn(`redis unavailable (${err.message}): rate limits count per instance until it is back`);
    down = true;
  });
  return redis;
}

/**
 * Resolves once the client is connected, or after `timeoutMs` if it is not (the limits then
 * count per instance until it is): a service that starts counts in Redis from its first request.
 */
export async function redisReady(redis: Redis, timeoutMs = 2000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Where the counters live; `redis` is given when RATE_LIMIT_STORE=redis. */
export interface LimiterStores {
  db: Db;
  redis?: Redis;
}

/**
 * A rate-limiter-flexible limiter: in memory (one instance); in the `rate_limits` table when
 * RATE_LIMIT_STORE=database, so that every instance on the same database shares the counters;
 * or in Redis (RATE_LIMIT_STORE=redis), shared without touching the database. A Redis that is
 * down or not ready does not stop requests: each instance counts in memory meanwhile (the
 * library's insurance limiter, with the same points), so limits stay on, per instance, until
 * Redis is back.
 */
export function createLimiter(config: Config, stores: LimiterStores, options: LimiterOptions): RateLimiterAbstract {
  const { db, redis } = stores;
  const base = { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds };
  if (config.rateLimitStore === 'memory') return new RateLimiterMemory(base);
  if (config.rateLimitStore === 'redis') {
    if (!redis) throw new Error('RATE_LIMIT_STORE=redis needs a Redis client');
    return new RateLimiterRedis({ ...base, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: new RateLimiterMemory(base) });
  }
  const store = { ...base, storeClient: db, storeType: 'knex', tableName: 'rate_limits', tableCreated: true };
  if (isMysql(db)) {
    // dbName is required: without it the library runs CREATE DATABASE on a default name.
    const dbName = (db.client.config.connection as { database: string }).database;
    return new RateLimiterMySQL({ ...store, dbName });
  }
  return new RateLimiterSQLite(store);
}

/** The RateLimit-* headers (IETF draft-ietf-httpapi-ratelimit-headers) for a limiter's state. */
export function rateLimitHeaders(limiter: RateLimiterAbstract, res: RateLimiterRes): Record<string, string> {
  return {
    'RateLimit-Limit': String(limiter.points),
    'RateLimit-Remaining': String(Math.max(0, res.remainingPoints)),
    'RateLimit-Reset': String(Math.ceil(res.msBeforeNext / 1000)),
  };
}

/**
 * Spends one point of `key`, atomically in the limiter's store, and resolves to the limiter's
 * state; throws 429 with Retry-After and the RateLimit-* headers once none is left. A store
 * failure is rethrown as is (rate-limiter-flexible rejects with an Error then, not a
 * RateLimiterRes).
 */
export async function spendPoint(limiter: RateLimiterAbstract, key: string): Promise<RateLimiterRes> {
  try {
    return await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const retryAfter = String(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
    throw Errors.tooManyRequests({ 'Retry-After': retryAfter, ...rateLimitHeaders(limiter, err) });
  }
}
