import { expect } from 'vitest';
import type { CallResult } from './service.js';

/** The 429 every rate limit answers: the envelope and a Retry-After of 1 to `maxRetryAfter` seconds. */
export function expectTooManyRequests(res: CallResult, maxRetryAfter: number): void {
  expect(res.status).toBe(429);
  expect(res.body).toEqual({ code: 429, text: 'Too many requests', error: 'rate_limited' });
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^[0-9]+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(maxRetryAfter);
}

/** Headers that make a request come from `ip` (the service must run with TRUST_PROXY=1). */
export const forwardedFor = (ip: string) => ({ 'x-forwarded-for': ip });
