import type { Trx } from '../db/db.js';
import { humanDuration } from '../mail/templates.js';
import type { Composed } from '../mail/worker.js';
import { hashSecret, newSecret } from '../secrets.js';
import { identityKey } from './identity.js';
import type { TokenPurpose, UserTokensRepository } from './user-tokens.repository.js';
import type { User } from './users.repository.js';

/**
 * A mail carrying a single-use link to `${url}?token=...`, to the user's current address: the
 * token (256 random bits) is made now, in the outbox worker's transaction right before the
 * mail is sent; only its hash is stored, with the purpose and the address, valid for
 * `ttlSeconds`. The template gets `username`, `email`, `link` and `expires`. If the mail cannot
 * be sent, `discard` spends the token.
 */
export async function linkMail(
  userTokens: UserTokensRepository,
  trx: Trx,
  mail: { user: User; purpose: TokenPurpose; url: string; ttlSeconds: number; template: string; now: number },
): Promise<Composed> {
  const { user, purpose, now } = mail;
  const token = newSecret();
  const tokenHash = hashSecret(token);
  await userTokens.insert(
    { tokenHash, userId: user.id, purpose, emailKey: identityKey(user.email), createdAt: now, expiresAt: now + mail.ttlSeconds * 1000 },
    trx,
  );
  return {
    to: user.email,
    template: mail.template,
    vars: { username: user.username, email: user.email, link: `${mail.url}?token=${token}`, expires: humanDuration(mail.ttlSeconds) },
    discard: () => userTokens.spend(tokenHash, now).then(() => undefined),
  };
}
