import type { Trx } from '../db/db.js';
import { hashSecret, newSecret } from '../secrets.js';
import { identityKey } from './identity.js';
import type { TokenPurpose, UserTokensRepository } from './user-tokens.repository.js';
import type { User } from './users.repository.js';

export interface MailedLink {
  /** `${appUrl}/<page>?token=<a new single-use token>` */
  link: string;
  /** Spends the token: the mail carrying it could not be sent. */
  discard: () => Promise<void>;
}

/**
 * Makes the single-use token of a link about to be mailed to the user's current address: 256
 * random bits, of which only the hash is stored (with the purpose and the address), valid for
 * `ttlSeconds`. Called in the outbox worker's transaction, right before the mail is sent.
 */
export async function mailedLink(
  userTokens: UserTokensRepository,
  trx: Trx,
  target: { user: User; purpose: TokenPurpose; url: string; ttlSeconds: number; now: number },
): Promise<MailedLink> {
  const { user, purpose, now } = target;
  const token = newSecret();
  const tokenHash = hashSecret(token);
  await userTokens.insert(
    { tokenHash, userId: user.id, purpose, emailKey: identityKey(user.email), createdAt: now, expiresAt: now + target.ttlSeconds * 1000 },
    trx,
  );
  return { link: `${target.url}?token=${token}`, discard: () => userTokens.spend(tokenHash, now).then(() => undefined) };
}
