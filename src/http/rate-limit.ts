import type { Context } from 'koa';
import { RateLimiterMemory, RateLimiterMySQL, RateLimiterRes, RateLimiterSQLite, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../config.js';
import { isMysql, type Db } from '../db/db.js';
import { Errors } from '../errors.js';

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

/** rate-limiter-flexible rejects with a RateLimiterRes when the limit is reached, with an Error on store failure. */
function limitReached(err: unknown): err is RateLimiterRes {
  return err instanceof RateLimiterRes;
}

function setHeaders(ctx: Context, limiter: RateLimiterAbstract, res: RateLimiterRes): void {
  ctx.set('RateLimit-Limit', String(limiter.points));
  ctx.set('RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
  ctx.set('RateLimit-Reset', String(Math.ceil(res.msBeforeNext / 1000)));
}

/**
 * Spends one point of `key` and sets the RateLimit-* headers (kept on whatever the request
 * answers, errors included); throws 429 with Retry-After once the client has no points left.
 */
export async function consumeOrReject(ctx: Context, limiter: RateLimiterAbstract, key: string): Promise<void> {
  try {
    setHeaders(ctx, limiter, await limiter.consume(key));
  } catch (err) {
    if (!limitReached(err)) throw err;
    setHeaders(ctx, limiter, err);
    throw Errors.tooManyRequests(Math.max(1, Math.ceil(err.msBeforeNext / 1000)));
  }
}
