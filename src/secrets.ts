import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Opaque bearer secrets (refresh tokens, mailed verification and reset tokens): 256 random
 * bits as base64url, 43 characters. Never JWTs, never stored: only `hashSecret` of one is.
 */
export function newSecret(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * The stored form of a secret: SHA-256, hex. A slow hash is not needed for 256 random bits,
 * and a fast one lets the lookup be an index probe.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

const BOX_INFO = Buffer.from('fitness-account-api refresh successor');

function boxKey(opener: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(opener, 'utf8'), Buffer.alloc(0), BOX_INFO, 32));
}

/**
 * Encrypts `secret` (AES-256-GCM) under a key derived from `opener`, so that only a holder of
 * `opener` can read it back. A rotated refresh token keeps its successor this way: the
 * database alone never yields a usable token.
 */
export function seal(opener: string, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', boxKey(opener), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The secret `seal(opener, secret)` made; undefined when the box was not sealed with `opener`. */
export function unseal(opener: string, box: string): string | undefined {
  const bytes = Buffer.from(box, 'base64url');
  if (bytes.length < 29) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', boxKey(opener), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
