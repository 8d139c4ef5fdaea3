import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1.';

export type DataCipher = ReturnType<typeof createDataCipher>;

/**
 * Encryption of secrets at rest (two-factor secrets) under DATA_ENCRYPTION_KEY: AES-256-GCM
 * with a random 96-bit IV per value, stored as `v1.<base64url(iv | tag | ciphertext)>`. The
 * `context` (e.g. `totp:<user id>`) is authenticated too, so a value copied into another row
 * does not decrypt there. The database alone never yields the secret.
 */
export function createDataCipher(key: Buffer) {
  if (key.length !== 32) throw new Error('the data encryption key must be 32 bytes');
  return {
    encrypt(plaintext: string, context: string): string {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return VERSION + Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    },

    /** The plaintext; throws when the value was not made by `encrypt` with this key and context. */
    decrypt(stored: string, context: string): string {
      if (!stored.startsWith(VERSION)) throw new Error('unknown encrypted value format');
      const bytes = Buffer.from(stored.slice(VERSION.length), 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      try {
        decipher.setAuthTag(bytes.subarray(12, 28));
        return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error('an encrypted value did not decrypt: another DATA_ENCRYPTION_KEY, or another row');
      }
    },
  };
}
