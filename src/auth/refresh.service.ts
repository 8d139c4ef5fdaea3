import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import { hashSecret, newSecret, seal, unseal } from '../secrets.js';
import type { SecurityLog } from '../security/security-log.js';
import type { RefreshableSession, SessionsRepository } from './sessions.repository.js';
import type { SpentRefreshTokensRepository } from './spent-refresh-tokens.repository.js';
import type { TokenClaims, TokenService } from './tokens.js';

/** How long sessions live, in milliseconds (from REFRESH_TOKEN_TTL, SESSION_MAX_LIFETIME, REFRESH_REUSE_GRACE_S). */
export interface SessionLifetimes {
  refreshTtlMs: number;
  maxLifetimeMs: number;
  reuseGraceMs: number;
}

/** When a session refreshed at `now` ends: the refresh lifetime from now, never past its absolute end. */
export function sessionEnd(lifetimes: SessionLifetimes, createdAt: number, now: number): number {
  return Math.min(now + lifetimes.refreshTtlMs, createdAt + lifetimes.maxLifetimeMs);
}

export interface RefreshResult {
  token: string;
  claims: TokenClaims;
  refreshToken: string;
  /** When the refresh token (and the session, unless refreshed again) expires. */
  refreshExpiresAt: number;
}

/** Successors followed from a spent token to the current one inside the grace window. */
const MAX_CHAIN = 10;

export type RefreshService = ReturnType<typeof createRefreshService>;

/**
 * Refresh-token rotation with reuse detection (docs/tokens.md). Each refresh token is
 * single-use: the session row holds the hash of the current one, and a refresh replaces it
 * with a conditional UPDATE that exactly one of competing refreshes wins. The spent token is
 * kept (hashed) with its successor sealed under it: presented again within the grace window
 * it gets the session's current token back; after that it ends the session.
 */
export function createRefreshService(deps: {
  db: Db;
  sessions: SessionsRepository;
  spent: SpentRefreshTokensRepository;
  tokens: TokenService;
  clock: Clock;
  lifetimes: SessionLifetimes;
  securityLog: SecurityLog;
}) {
  const { db, sessions, spent, tokens, clock, lifetimes, securityLog } = deps;

  async function issue(session: RefreshableSession, refreshToken: string, refreshExpiresAt: number): Promise<RefreshResult> {
    const { token, claims } = await tokens.sign(session.userId, session.id, refreshExpiresAt);
    return { token, claims, refreshToken, refreshExpiresAt };
  }

  /** Rotates the current token of `session`; false when another refresh or a revocation came first. */
  async function rotate(session: RefreshableSession, presented: string, presentedHash: string, now: number): Promise<RefreshResult | undefined> {
    const next = newSecret();
    const expiresAt = sessionEnd(lifetimes, session.createdAt, now);
    const rotated = await transaction(db, async (trx) => {
      if (!(await sessions.rotateRefresh(session.id, presentedHash, { refreshHash: hashSecret(next), expiresAt }, now, trx))) return false;
      await spent.insert({ tokenHash: presentedHash, sessionId: session.id, spentAt: now, successorBox: seal(presented, next) }, trx);
      return true;
    });
    return rotated ? issue(session, next, expiresAt) : undefined;
  }

  /**
   * A spent token: within the grace window, the session's current token, found by opening the
   * successors one after the other; after it, reuse, which ends the session.
   */
  async function replay(presented: string, presentedHash: string, now: number, client: ClientInfo): Promise<RefreshResult> {
    const first = await spent.find(presentedHash);
    if (!first) throw Errors.unauthorized();
    const session = await sessions.findRefreshable(first.sessionId, now);
    if (session?.userSuspended) throw Errors.accountSuspended();
    if (!session?.active) throw Errors.unauthorized();
    if (now - first.spentAt > lifetimes.reuseGraceMs || lifetimes.reuseGraceMs === 0) {
      await transaction(db, async (trx) => {
        if (await sessions.revoke(session.id, session.userId, now, trx)) {
          await securityLog.record(trx, session.userId, 'refresh_token_reuse_detected', { client, sessionId: session.id }, now);
        }
      });
      throw Errors.unauthorized();
    }
    let opener = presented;
    let box = first.successorBox;
    for (let step = 0; step < MAX_CHAIN; step += 1) {
      const successor = unseal(opener, box);
      if (successor === undefined) break;
      const successorHash = hashSecret(successor);
      if (successorHash === session.refreshHash) return issue(session, successor, session.expiresAt);
      const later = await spent.find(successorHash);
      if (!later) break;
      opener = successor;
      box = later.successorBox;
    }
    throw Errors.unauthorized();
  }

  return {
    /**
     * Trades a refresh token for a new access token and refresh token of the same session; 400
     * when its user is suspended (even after the suspension ended the session), 401 otherwise.
     */
    async refresh(presented: string, client: ClientInfo): Promise<RefreshResult> {
      const now = clock();
      const presentedHash = hashSecret(presented);
      const session = await sessions.findByRefreshHash(presentedHash, now);
      if (session) {
        if (session.userSuspended) throw Errors.accountSuspended();
        if (!session.active) throw Errors.unauthorized();
        const result = await rotate(session, presented, presentedHash, now);
        if (result) return result;
      }
      return replay(presented, presentedHash, now, client);
    },
  };
}
