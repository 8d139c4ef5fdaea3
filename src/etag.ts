import { createHash } from 'node:crypto';

/** A strong ETag for these bytes: a quoted, truncated SHA-256 (160 bits, base64url), the same on every instance. */
export function strongEtag(bytes: Buffer): string {
  return `"${createHash('sha256').update(bytes).digest('base64url').slice(0, 27)}"`;
}
