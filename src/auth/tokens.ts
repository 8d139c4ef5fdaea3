import { randomUUID, webcrypto } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Clock } from '../clock.js';
import { Errors } from '../errors.js';

const ISSUER = 'fitness-account-api';
const AUDIENCE = 'fitness-app';
const ALGORITHM = 'HS256';

export interface TokenClaims {
  userId: number;
  sessionId: string;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
}

export interface TokenService {
  sign(userId: number, sessionId: string): Promise<{ token: string; claims: TokenClaims }>;
  /** Checks signature, algorithm, issuer, audience and times; throws 401 otherwise. */
  verify(token: string): Promise<TokenClaims>;
}

export function createTokenService(secret: string, ttlSeconds: number, clock: Clock): TokenService {
  // Imported once as a non-extractable CryptoKey: given raw bytes or a KeyObject, jose imports
  // the key into WebCrypto again on every sign and verify (a fifth of an authenticated read).
  const keyReady = webcrypto.subtle.importKey('raw', Buffer.from(secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  return {
    async sign(userId, sessionId) {
      const issuedAt = Math.floor(clock() / 1000);
      const expiresAt = issuedAt + ttlSeconds;
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
      const key = await keyReady;
      try {
        const { payload, protectedHeader } = await jwtVerify(token, key, {
          algorithms: [ALGORITHM],
          issuer: ISSUER,
          audience: AUDIENCE,
          requiredClaims: ['exp', 'iat', 'sub', 'sid', 'jti'],
          currentDate: new Date(clock()),
        });
        // Key-location headers are never honoured; a token carrying one was not made here.
        if ('jku' in protectedHeader || 'jwk' in protectedHeader || 'x5u' in protectedHeader) throw Errors.unauthorized();
        const { sub, sid, iat, exp } = payload;
        if (typeof sub !== 'string' || !/^[1-9][0-9]{0,9}$/.test(sub) || typeof sid !== 'string') throw Errors.unauthorized();
        return { userId: Number(sub), sessionId: sid, issuedAt: iat as number, expiresAt: exp as number };
      } catch {
        throw Errors.unauthorized();
      }
    },
  };
}
