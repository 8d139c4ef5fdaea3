import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { createGate } from './gate.js';

// OWASP's argon2id parameters (m=19 MiB, t=2, p=1); the library's own defaults are weaker.
// argon2id is the library's default algorithm; a test checks the stored hash's prefix.
export const ARGON2_OPTIONS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/**
 * At most one hash or verify per core at a time; the rest wait their turn. Left to itself,
 * every login in flight takes a thread of libuv's pool (4 by default): on 2 cores that is 4
 * verifies sharing 2 cores and their caches, each slower than alone, 19 MiB of memory each,
 * and no thread left for file writes (the log) meanwhile.
 */
const hashing = createGate(availableParallelism());

/**
 * Hashes a password off the event loop, in Unicode NFC form (NIST SP 800-63B): the same
 * password typed on two keyboards that compose accents differently is the same password.
 */
export function hashPassword(password: string): Promise<string> {
  return hashing.run(() => hash(password.normalize('NFC'), ARGON2_OPTIONS));
}

async function matches(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await hashing.run(() => verify(passwordHash, password));
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
