import type { Db } from '../../src/db/db.js';
import { createOutboxRepository } from '../../src/mail/outbox.repository.js';
import { createSecurityLog, type SecurityLog } from '../../src/security/security-log.js';
import { createEmailVerification, type EmailVerification } from '../../src/users/email-verification.js';
import { createUserTokensRepository } from '../../src/users/user-tokens.repository.js';
import type { UsersRepository } from '../../src/users/users.repository.js';

/** The security log on `db`, for tests that build services without the app. */
export function securityLogFor(db: Db, users: UsersRepository): SecurityLog {
  return createSecurityLog({
    db,
    clock: Date.now,
    retentionMs: 90 * 86400 * 1000,
    appUrl: 'https://app.example.com',
    accountOf: (id, exec) => users.findById(id, exec),
  });
}

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
    securityLog: securityLogFor(db, users),
  });
}
