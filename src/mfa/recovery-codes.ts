import { randomInt } from 'node:crypto';
import { hashSecret } from '../secrets.js';

// 32 symbols (no 0/o, 1/l): each is 5 bits, so 16 of them are 80 random bits.
const ALPHABET = 'abcdefghijkmnpqrstuvwxyz23456789';
const LENGTH = 16;
export const RECOVERY_CODE_COUNT = 10;

/** A new recovery code as shown to the user: `k7dm-3qxa-9fhe-2wpn`. */
export function newRecoveryCode(): string {
  const symbols = Array.from({ length: LENGTH }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
  return (symbols.match(/.{4}/g) as string[]).join('-');
}

/** The stored form of a code as typed (any letter case, with or without dashes and spaces), for this user. */
export function recoveryCodeHash(userId: number, typed: string): string {
  return hashSecret(`${userId}:${typed.toLowerCase().replace(/[\s-]/g, '')}`);
}
