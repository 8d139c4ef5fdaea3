import type { Context } from 'koa';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { rateLimitHeaders, spendPoint } from '../limits.js';
import { type AuthMode, authModeOf } from './auth.js';
import type { Api, ApiOperation } from './spec.js';

/** What a limit counts: requests per authenticated user, or per client IP. */
export type LimitScope = 'user' | 'ip';

export interface RateLimitRule {
  /** The limiter the operation's `x-rate-limit` names. */
  limiter: string;
  /** Per client IP first (before authentication), then per user. */
  per: LimitScope[];
}

/**
 * An operation's rate limit: `x-rate-limit` names the limiter; it counts per user where the
 * operation requires a token, else per client IP, and per both with
 * `x-rate-limit-scope: user-and-ip`.
 */
export function rateLimitOf(operation: ApiOperation, api: Api): RateLimitRule | undefined {
  const extensions = operation as { 'x-rate-limit'?: string; 'x-rate-limit-scope'?: string };
  const limiter = extensions['x-rate-limit'];
  if (limiter === undefined) return undefined;
  const scope = extensions['x-rate-limit-scope'];
  const mode: AuthMode = authModeOf(operation, api);
  if (scope === 'user-and-ip') {
    if (mode !== 'required') throw new Error(`${operation.operationId}: x-rate-limit-scope user-and-ip needs an operation that requires a token`);
    return { limiter, per: ['ip', 'user'] };
  }
  if (scope !== undefined) throw new Error(`${operation.operationId}: unknown x-rate-limit-scope "${scope}"`);
  return { limiter, per: [mode === 'required' ? 'user' : 'ip'] };
}

/**
 * Spends one point of `key` and sets the RateLimit-* headers (kept on whatever the request
 * answers, errors included); throws 429 with Retry-After once the client has no points left.
 */
export async function consumeOrReject(ctx: Context, limiter: RateLimiterAbstract, key: string): Promise<void> {
  ctx.set(rateLimitHeaders(limiter, await spendPoint(limiter, key)));
}
