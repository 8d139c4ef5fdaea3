import { randomUUID } from 'node:crypto';
import { decodeJwt, type JWTPayload, SignJWT } from 'jose';
import { AUDIENCE, ISSUER } from '../src/auth/tokens.js';
import type { Service } from './support/service.js';

/** What the service puts in every token it signs. */
export { AUDIENCE, ISSUER };

/** The claims of a token the service issued (decoded, not verified). */
export interface IssuedClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
  iss: string;
  aud: string | string[];
}

export function claimsOf(token: string): IssuedClaims {
  return decodeJwt(token) as unknown as IssuedClaims;
}

export interface ForgeOptions {
  alg?: string;
  /** The signing secret; the service's own by default. */
  secret?: string;
  /** Extra protected-header members (jwk, jku...). */
  header?: Record<string, unknown>;
}

/**
 * Signs `payload` with jose. The payload is taken as given (no claim is added), so a test can
 * leave one out or change it.
 */
export async function forgeToken(service: Service, payload: JWTPayload, options: ForgeOptions = {}): Promise<string> {
  const alg = options.alg ?? 'HS256';
  const secret = new TextEncoder().encode(options.secret ?? service.config.jwtSecret);
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...options.header }).sign(secret);
}

/** A full set of claims as the service would issue them for this session at `nowMs`. */
export function claimsFor(userId: number, sessionId: string, nowMs: number, ttlSeconds: number): JWTPayload {
  const iat = Math.floor(nowMs / 1000);
  return { sub: String(userId), sid: sessionId, jti: randomUUID(), iat, exp: iat + ttlSeconds, iss: ISSUER, aud: AUDIENCE };
}

/** Sessions of the user that are neither revoked nor expired at `nowMs`, read from the table. */
export async function activeSessionCount(service: Service, userId: number, nowMs = Date.now()): Promise<number> {
  const rows = await service.db('sessions').where({ user_id: userId }).whereNull('revoked_at').andWhere('expires_at', '>', nowMs).count({ n: '*' });
  return Number((rows[0] as { n: number | string } | undefined)?.n ?? 0);
}

/** The status GET /verify-token answers for this token. */
export async function verifyStatus(service: Service, token: string): Promise<number> {
  return (await service.call('GET', '/verify-token', { token })).status;
}
