import type { Context } from 'koa';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimitHeaders, spendPoint } from '../limits.js';

/**
 * Spends one point of `key` and sets the RateLimit-* headers (kept on whatever the request
 * answers, errors included); throws 429 with Retry-After once the client has no points left.
 */
export async function consumeOrReject(ctx: Context, limiter: RateLimiterAbstract, key: string): Promise<void> {
  ctx.set(rateLimitHeaders(limiter, await spendPoint(limiter, key)));
}
