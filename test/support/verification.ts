import type { Db } from '../../src/db/db.js';
import { createOutboxRepository } from '../../src/mail/outbox.repository.js';
import { createEmailVerification, type EmailVerification } from '../../src/users/email-verification.js';
import { createUserTokensRepository } from '../../src/users/user-tokens.repository.js';
import type { UsersRepository } from '../../src/users/users.repository.js';

/** The email verification service on `db`, for tests that build services without the app. */
export function verificationFor(db: Db, users: UsersRepository): EmailVerification {
  return createEmailVerification({
    db,
    users,
    userTokens: createUserTokensRepository(db),
    outbox: createOutboxRepository(db),
    clock: Date.now,
    tokenTtlSeconds: 86400,
    appUrl: 'https://app.example.com',
  });
}
