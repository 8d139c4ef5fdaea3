/**
 * The form in which usernames and emails are compared and kept unique: NFC, then lower case.
 * Stored in username_key / email_key, each under a unique index.
 */
export function identityKey(value: string): string {
  return value.normalize('NFC').toLowerCase();
}

/** The fitness API shows user ids as `usr_<id>`; the simple user API as the integer. */
export function publicUserId(id: number): string {
  return `usr_${id}`;
}
