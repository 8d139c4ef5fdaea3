import { randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { BoundedMap } from '../bounded-map.js';
import type { Clock } from '../clock.js';
import { Errors } from '../errors.js';

/** The `iss` and `aud` of every token this service signs (and the only ones it accepts). */
export const ISSUER = 'fitness-account-api';
export const AUDIENCE = 'fitness-app';
const ALGORITHM = 'HS256';
/**
 * The protected header of every token this service signs. A token with any other member was
 * not made here: key-location and key-choice headers (jku, jwk, x5u, x5c, x5t, kid) are never
 * honoured, and jose accepts `crit: ["b64"]` with `b64: true`, which nothing here sends.
 */
const HEADER_MEMBERS = new Set(['alg', 'typ']);

export interface TokenClaims {
  userId: number;
  sessionId: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export interface TokenService {
  /** Signs an access token of the session; it expires after the TTL, or at `notAfterMs` if sooner (the session's end). */
  sign(userId: number, sessionId: string, notAfterMs?: number): Promise<{ token: string; claims: TokenClaims }>;
  /** Checks signature, algorithm, issuer, audience and times; throws 401 otherwise. */
  verify(token: string): Promise<TokenClaims>;
}

/** How many verified tokens are remembered (a few MB at most); the oldest is forgotten first. */
const REMEMBERED_TOKENS = 10_000;

export function createTokenService(secret: string, ttlSeconds: number, clock: Clock): TokenService {
  // Imported once as a non-extractable CryptoKey: given raw bytes or a KeyObject, jose imports
  // the key into WebCrypto again on every sign and verify (docs/benchmark-findings.md).
  const keyReady = webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  // Tokens whose signature and claims were checked, by their exact text, until they expire:
  // clients send the same token on every request, and an HMAC check in WebCrypto is a thread-pool
  // round trip. Only tokens that passed jose's full check get here, the expiry is checked on
  // every use, and revocation is the session check, which runs on every request.
  const verified = new BoundedMap<string, TokenClaims>(REMEMBERED_TOKENS);

  async function check(token: string): Promise<TokenClaims> {
    const key = await keyReady;
    try {
      const { payload, protectedHeader } = await jwtVerify(token, key, {
        algorithms: [ALGORITHM],
        issuer: ISSUER,
        audience: AUDIENCE,
        requiredClaims: ['exp', 'iat', 'sub', 'sid', 'jti'],
        currentDate: new Date(clock()),
      });
      if (!Object.keys(protectedHeader).every((member) => HEADER_MEMBERS.has(member))) throw Errors.unauthorized();
      const { sub, sid, iat, exp } = payload;
      if (typeof sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(sub) || typeof sid !== 'string') throw Errors.unauthorized();
      return Object.freeze({ userId: Number(sub), sessionId: sid, issuedAt: iat as number, expiresAt: exp as number });
    } catch {
      throw Errors.unauthorized();
    }
  }

  return {
    async sign(userId, sessionId, notAfterMs) {
      const issuedAt = Math.floor(clock() / 1000);
      // At least a second: the session check ends it with its session anyway.
      const cap = notAfterMs === undefined ? Infinity : Math.floor(notAfterMs / 1000);
      const expiresAt = Math.max(issuedAt + 1, Math.min(issuedAt + ttlSeconds, cap));
      const token = await new SignJWT({ sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(String(userId))
        .setJti(randomUUID())
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .sign(await keyReady);
      return { token, claims: { userId, sessionId, issuedAt, expiresAt } };
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        // As jose does: expired from the second of exp on.
        if (known.expiresAt > Math.floor(clock() / 1000)) return known;
        verified.delete(token);
        throw Errors.unauthorized();
      }
      const claims = await check(token);
      verified.set(token, claims);
      return claims;
    },
  };
}
