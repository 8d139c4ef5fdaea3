import { randomBytes } from 'node:crypto';
import type { AuthContext, CallerView, ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, type Executor, transaction } from '../db/db.js';
import { AppError, Errors } from '../errors.js';
import type { FactorProof, TwoFactor } from '../mfa/two-factor.service.js';
import { hashPassword, matchPassword, spendDecoyVerification } from '../passwords.js';
import { hashSecret, newSecret } from '../secrets.js';
import type { PasswordCheck } from '../security/password-check.js';
import type { SecurityLog } from '../security/security-log.js';
import type { UserTokensRepository } from '../users/user-tokens.repository.js';
import type { User, UsersRepository } from '../users/users.repository.js';
import { type SessionLifetimes, sessionEnd } from './refresh.service.js';
import type { NewSession, Session, SessionsRepository } from './sessions.repository.js';
import type { TokenClaims, TokenService } from './tokens.js';

export interface AuthDeps {
  db: Db;
  users: UsersRepository;
  sessions: SessionsRepository;
  userTokens: UserTokensRepository;
  tokens: TokenService;
  clock: Clock;
  maxSessionsPerUser: number;
  lifetimes: SessionLifetimes;
  /** Told each login's outcome (the logins_total metric). */
  onLoginOutcome?: (outcome: string) => void;
  /** The per-account failure limit of logins and password checks. */
  passwordCheck: PasswordCheck;
  securityLog: SecurityLog;
  /** The second factor of accounts that turned it on. */
  twoFactor: Pick<TwoFactor, 'check' | 'spend'>;
}

export interface Credentials {
  username: string;
  password: string;
  /** With two-factor login on: a code of the authenticator app, or a recovery code. */
  totpCode?: string;
  recoveryCode?: string;
}

export interface LoginResult {
  token: string;
  claims: TokenClaims;
  /** The session's first refresh token. */
  refreshToken: string;
  refreshExpiresAt: number;
  user: User;
}

/** 18 random bytes: 144 bits, well past guessing. */
function newSessionId(): string {
  return `sess_${randomBytes(18).toString('base64url')}`;
}

const UNLIMITED = -1;

export type AuthService = ReturnType<typeof createAuthService>;

export function createAuthService(deps: AuthDeps) {
  const { db, users, sessions, userTokens, tokens, clock, passwordCheck, securityLog, twoFactor } = deps;
  const limited = (user: User) => user.plan !== 'enterprise';

  /** Why a login could not write its user's row after the password verified: the user is gone, suspended, or the password changed. */
  async function refusal(verified: User, exec: Executor = db): Promise<AppError> {
    const now = await users.findById(verified.id, exec);
    if (!now) return Errors.userNotFound();
    return now.accountStatus === 'suspended' ? Errors.accountSuspended() : Errors.invalidPassword();
  }

  /** A failed login of an existing account: recorded in its security log. */
  async function failed(userId: number, client: ClientInfo, error: AppError): Promise<AppError> {
    await securityLog.record(db, userId, 'login_failed', { client });
    return error;
  }

  /**
   * The account the credentials prove: the password, then (when the account has one) the
   * second factor. One of the account's failure points for this client is spent first and
   * given back only when both pass. A suspended account is told so only after the right
   * password. `rehash` is set when the password matched a hash made before passwords were
   * normalised (the NFC form's replaces it); `proof` is the second factor to spend.
   */
  async function checkCredentials(credentials: Credentials, client: ClientInfo): Promise<{ found: User; rehash?: string; proof?: FactorProof }> {
    const { password } = credentials;
    const found = await users.findByUsername(credentials.username);
    if (!found) {
      await spendDecoyVerification(password);
      throw Errors.userNotFound();
    }
    await passwordCheck.reserve(found.id, client);
    const match = await matchPassword(found.passwordHash, password);
    if (!match) throw await failed(found.id, client, Errors.invalidPassword());
    if (found.accountStatus === 'suspended') throw Errors.accountSuspended();
    let proof: FactorProof | undefined;
    try {
      proof = await twoFactor.check(found.id, { totp: credentials.totpCode, recovery: credentials.recoveryCode });
    } catch (err) {
      throw err instanceof AppError && err.id === 'invalid_two_factor_code' ? await failed(found.id, client, err) : err;
    }
    await passwordCheck.forgive(found.id, client);
    return { found, rehash: match === 'raw' ? await hashPassword(password) : undefined, proof };
  }

  /**
   * Checks the credentials and opens a session. The password is verified against the hash read
   * first; then one transaction writes the user's row (`recordLogin`: only while the password is
   * still that hash), counts the user's active sessions, and inserts the session (with
   * revoke_others, after ending every other session instead of counting), having spent the
   * second factor's code (a conditional UPDATE: of parallel logins with one code, one wins).
   * Every login, password
   * change and reset of the user writes that row first, so they take turns: on one server by
   * its row lock, on a multi-primary cluster by certification (the loser is run again, seeing
   * what won). Parallel logins cannot pass the limit, and a login checked against a password
   * that was changed meanwhile fails. Expired sessions do not count; the periodic purge deletes
   * them.
   */
  async function openSession(credentials: Credentials, revokeOthers: boolean, client: ClientInfo): Promise<LoginResult> {
    const { found, rehash, proof } = await checkCredentials(credentials, client);

    const sessionId = newSessionId();
    const now = clock();
    const expiresAt = sessionEnd(deps.lifetimes, now, now);
    const { token, claims } = await tokens.sign(found.id, sessionId, expiresAt);
    const refreshToken = newSecret();
    const session: NewSession = {
      id: sessionId,
      userId: found.id,
      tokenPrefix: token.slice(0, 10),
      createdAt: now,
      expiresAt,
      lastUsedAt: now,
      userAgent: client.userAgent?.slice(0, 512) ?? null,
      ipAddress: client.ip.slice(0, 45),
      refreshHash: hashSecret(refreshToken),
    };
    const limit = limited(found) && !revokeOthers ? deps.maxSessionsPerUser : undefined;
    const opened = transaction(db, async (trx) => {
      if (!(await users.recordLogin({ id: found.id, passwordHash: found.passwordHash, now, rehash }, trx))) throw await refusal(found, trx);
      // A parallel login with the same code spent it first.
      if (proof && !(await twoFactor.spend(trx, proof))) throw Errors.invalidTwoFactorCode();
      if (revokeOthers) {
        for (const revoked of await sessions.revokeAllExcept(found.id, undefined, now, trx)) {
          await securityLog.record(trx, found.id, 'session_revoked', { client, sessionId: revoked }, now);
        }
      } else if (limit !== undefined && (await sessions.countActive(found.id, now, trx)) >= limit) throw Errors.tooManyTokens();
      await sessions.insert(session, trx);
      await securityLog.recordLogin(trx, { userId: found.id, sessionId, client, firstLogin: found.loginCount === 0, now });
    });
    // Recorded after the rollback: the failed login writes only its event.
    await opened.catch(async (err: unknown) => {
      throw err instanceof AppError && err.id === 'invalid_two_factor_code' ? await failed(found.id, client, err) : err;
    });
    return {
      token,
      claims,
      refreshToken,
      refreshExpiresAt: expiresAt,
      user: { ...found, lastLogin: now, loginCount: found.loginCount + 1, passwordHash: rehash ?? found.passwordHash },
    };
  }

  return {
    /** Logs in (see `openSession`), and counts the outcome: `success` or the error's identifier. */
    async login(credentials: Credentials, revokeOthers: boolean, client: ClientInfo): Promise<LoginResult> {
      try {
        const result = await openSession(credentials, revokeOthers, client);
        deps.onLoginOutcome?.('success');
        return result;
      } catch (err) {
        deps.onLoginOutcome?.(err instanceof AppError ? err.id : 'error');
        throw err;
      }
    },

    /**
     * The caller of a bearer token: valid only while its session is active and its user exists.
     * The view says what else to read in the same statement.
     */
    async authenticate(token: string, view: CallerView = 'account'): Promise<AuthContext> {
      const claims = await tokens.verify(token);
      const caller = await sessions.findCaller(claims.sessionId, claims.userId, clock(), view);
      if (!caller) throw Errors.unauthorized();
      // Not `{ ...caller, userId, … }`: on Node 20 each property added after a spread costs about
      // a microsecond (a new hidden class every time), and this runs on every authenticated request.
      const { user, person } = caller;
      return { user, person, userId: claims.userId, sessionId: claims.sessionId, issuedAt: claims.issuedAt, expiresAt: claims.expiresAt };
    },

    /** Ends the caller's session; returns the user's other active sessions, or -1 without a limit. */
    async logout(auth: AuthContext, client: ClientInfo): Promise<number> {
      const now = clock();
      await transaction(db, async (trx) => {
        if (!(await sessions.revoke(auth.sessionId, auth.userId, now, trx))) throw Errors.unauthorized();
        await securityLog.record(trx, auth.userId, 'logout', { client, sessionId: auth.sessionId }, now);
      });
      return limited(auth.user) ? sessions.countActive(auth.userId, now) : UNLIMITED;
    },

    listSessions: (auth: AuthContext): Promise<Session[]> => sessions.listActive(auth.userId, clock()),

    async revokeSession(auth: AuthContext, sessionId: string, client: ClientInfo): Promise<void> {
      const now = clock();
      await transaction(db, async (trx) => {
        if (!(await sessions.revoke(sessionId, auth.userId, now, trx))) throw Errors.sessionNotFound();
        await securityLog.record(trx, auth.userId, 'session_revoked', { client, sessionId }, now);
      });
    },

    /**
     * Changes the password, ends every other session of the user (the caller's stays) and voids
     * mailed reset links. A wrong current password counts as a failed login.
     */
    async changePassword(auth: AuthContext, currentPassword: string, newPassword: string, client: ClientInfo): Promise<void> {
      const { user } = auth;
      await passwordCheck.confirm(user, currentPassword, client, Errors.invalidCurrentPassword);
      if (newPassword === currentPassword) throw Errors.samePassword();
      const newHash = await hashPassword(newPassword);
      const now = clock();
      await transaction(db, async (trx) => {
        // Another change committed since the check above: the current password is no longer it.
        if (!(await users.replacePasswordHash({ id: user.id, current: user.passwordHash, next: newHash, now }, trx))) throw Errors.invalidCurrentPassword();
        await userTokens.spendAll(user.id, ['password_reset'], now, trx);
        await sessions.revokeAll(user.id, auth.sessionId, now, trx);
        await securityLog.record(trx, user.id, 'password_changed', { client, sessionId: auth.sessionId }, now);
      });
    },

    /** Deletes every expired session (run periodically by the server). */
    purgeExpiredSessions: () => sessions.purgeExpired(clock()),
  };
}
