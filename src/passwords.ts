import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id parameters (m=19 MiB, t=2, p=1); the library's own defaults are weaker.
// argon2id is the library's default algorithm; a test checks the stored hash's prefix.
export const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * Hashes a password off the event loop, in Unicode NFC form (NIST SP 800-63B): the same
 * password typed on two keyboards that compose accents differently is the same password.
 */
export function hashPassword(password: string): Promise<string> {
  return hash(password.normalize('NFC'), ARGON2_OPTIONS);
}

async function matches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/**
 * How `password` matches `passwordHash`: `nfc` in its NFC form (how hashes are made), `raw`
 * only as typed (a hash made before passwords were normalised; rehash it), or undefined. A
 * malformed hash never matches.
 */
export async function matchPassword(passwordHash: string, password: string): Promise<'nfc' | 'raw' | undefined> {
  const nfc = password.normalize('NFC');
  if (await matches(passwordHash, nfc)) return 'nfc';
  if (nfc !== password && (await matches(passwordHash, password))) return 'raw';
  return undefined;
}

/** True when `password` matches `passwordHash` (in either form `matchPassword` accepts). */
export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  return (await matchPassword(passwordHash, password)) !== undefined;
}

let decoyHash: Promise<string> | undefined;

/**
 * Spends one verification on a decoy hash, so a login for an unknown user takes as long as one
 * with a wrong password.
 */
export async function spendDecoyVerification(password: string): Promise<void> {
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  await verifyPassword(await decoyHash, password);
}
