import type { Context } from 'koa';
import type { RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { spendPoint } from '../limits.js';

function setHeaders(ctx: Context, limiter: RateLimiterAbstract, res: RateLimiterRes): void {
  ctx.set('RateLimit-Limit', String(limiter.points));
  ctx.set('RateLimit-Remaining', String(Math.max(0, res.remainingPoints)));
  ctx.set('RateLimit-Reset', String(Math.ceil(res.msBeforeNext / 1000)));
}

/**
 * Spends one point of `key` and sets the RateLimit-* headers (kept on whatever the request
 * answers, errors included); throws 429 with Retry-After once the client has no points left.
 */
export function consumeOrReject(ctx: Context, limiter: RateLimiterAbstract, key: string): Promise<void> {
  return spendPoint(limiter, key, (res) => setHeaders(ctx, limiter, res));
}
