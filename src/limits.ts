import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterMySQL, RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible';
import type { Config } from './config.js';
import { type Db, isMysql } from './db/db.js';
import { Errors } from './errors.js';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  durationSeconds: number;
}

/**
 * A rate-limiter-flexible limiter: in memory (one instance), or in the `rate_limits` table when
 * RATE_LIMIT_STORE=database so that every instance on the same database shares the counters.
 */
export function createLimiter(config: Config, db: Db, options: LimiterOptions): RateLimiterAbstract {
  const base = { keyPrefix: options.keyPrefix, points: options.points, duration: options.durationSeconds };
  if (config.rateLimitStore === 'memory') return new RateLimiterMemory(base);
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
