import { Secret, TOTP } from 'otpauth';
import type { AuthContext, ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import type { DataCipher } from '../data-cipher.js';
import { type Db, type Executor, transaction } from '../db/db.js';
import { Errors } from '../errors.js';
import type { PasswordCheck } from '../security/password-check.js';
import type { SecurityLog } from '../security/security-log.js';
import { newRecoveryCode, RECOVERY_CODE_COUNT, recoveryCodeHash } from './recovery-codes.js';
import type { TotpFactor, TwoFactorRepository } from './two-factor.repository.js';

const ISSUER = 'Fitness App';
/** RFC 6238 as every authenticator app reads it: SHA-1, 6 digits, 30 s. */
const PERIOD = 30;
/** One step of clock drift either way. */
const WINDOW = 1;
const SECRET_BYTES = 20;

/** The codes a request may carry for the second factor. */
export interface FactorCodes {
  totp?: string;
  recovery?: string;
}

/** A code that checked out, to be spent in the transaction of what it allows. */
export type FactorProof = { userId: number; totpStep: number } | { userId: number; recoveryHash: string };

export type TwoFactor = ReturnType<typeof createTwoFactor>;

/**
 * Two-factor login with TOTP (RFC 6238) and recovery codes (docs/security.md). The secret is
 * stored encrypted under DATA_ENCRYPTION_KEY, bound to its user. A code is checked, then spent
 * in the transaction of what it allows (a login, a deletion) by a conditional UPDATE: a TOTP
 * code moves `last_step` forward, so it is accepted once, and of parallel requests with one
 * code exactly one passes; a recovery code is marked used.
 */
export function createTwoFactor(deps: {
  db: Db;
  factors: TwoFactorRepository;
  cipher: DataCipher;
  passwordCheck: PasswordCheck;
  securityLog: SecurityLog;
  clock: Clock;
}) {
  const { db, factors, cipher, passwordCheck, securityLog, clock } = deps;
  const context = (userId: number) => `totp:${userId}`;
  const totpOf = (factor: TotpFactor, label = '') =>
    new TOTP({ issuer: ISSUER, label, secret: Secret.fromBase32(cipher.decrypt(factor.secretBox, context(factor.userId))), period: PERIOD });

  /** The time step a code belongs to, now (give or take the window); undefined when it matches none. */
  function stepOf(factor: TotpFactor, code: string, now: number): number | undefined {
    const totp = totpOf(factor);
    const delta = totp.validate({ token: code, timestamp: now, window: WINDOW });
    return delta === null ? undefined : totp.counter({ timestamp: now }) + delta;
  }

  /** Checks the codes against a confirmed factor; throws 400 when they do not prove it. */
  async function prove(factor: TotpFactor, codes: FactorCodes, now: number): Promise<FactorProof> {
    const { userId } = factor;
    if (codes.totp !== undefined) {
      const step = stepOf(factor, codes.totp, now);
      if (step === undefined || (factor.lastStep !== null && step <= factor.lastStep)) throw Errors.invalidTwoFactorCode();
      return { userId, totpStep: step };
    }
    if (codes.recovery !== undefined) {
      const recoveryHash = recoveryCodeHash(userId, codes.recovery);
      if (!(await factors.hasUnusedRecoveryCode(userId, recoveryHash))) throw Errors.invalidTwoFactorCode();
      return { userId, recoveryHash };
    }
    throw Errors.twoFactorRequired();
  }

  /** Spends a proof in the caller's transaction; false when a parallel request spent it first. */
  function spend(exec: Executor, proof: FactorProof): Promise<boolean> {
    return 'totpStep' in proof
      ? factors.acceptStep(proof.userId, proof.totpStep, exec)
      : factors.spendRecoveryCode(proof.userId, proof.recoveryHash, clock(), exec);
  }

  return {
    spend,

    /**
     * The proof of the second factor for a login or a deletion: undefined when the account has
     * none (nothing is asked), else a proof to `spend`; 400 `Two-factor code required` or
     * `Invalid two-factor code` otherwise. Failures are the caller's to count.
     */
    async check(userId: number, codes: FactorCodes): Promise<FactorProof | undefined> {
      const factor = await factors.find(userId);
      if (!factor?.confirmedAt) return undefined;
      return prove(factor, codes, clock());
    },

    /** A new pending secret (replacing a pending one); 409 while two-factor login is on. */
    async begin(auth: AuthContext): Promise<{ secret: string; uri: string; qrCode: string }> {
      // Loaded at the first enrolment, not at start-up: most processes never draw a QR code.
      const { default: QRCode } = await import('qrcode');
      const secret = new Secret({ size: SECRET_BYTES });
      const box = cipher.encrypt(secret.base32, context(auth.userId));
      if (!(await factors.putPending(auth.userId, box, clock()))) throw Errors.twoFactorAlreadyEnabled();
      const uri = new TOTP({ issuer: ISSUER, label: auth.user.username, secret, period: PERIOD }).toString();
      const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
      return { secret: secret.base32, uri, qrCode: `data:image/svg+xml;base64,${Buffer.from(svg, 'utf8').toString('base64')}` };
    },

    /**
     * Turns two-factor login on with a first code of the pending secret, and returns the
     * recovery codes (only their hashes are stored). A wrong code counts as a failed login.
     */
    async confirm(auth: AuthContext, code: string, client: ClientInfo): Promise<string[]> {
      const factor = await factors.find(auth.userId);
      if (!factor || factor.confirmedAt !== null) throw Errors.twoFactorSetupMissing();
      await passwordCheck.reserve(auth.userId, client);
      const now = clock();
      const step = stepOf(factor, code, now);
      if (step === undefined) throw Errors.invalidTwoFactorCode();
      await passwordCheck.forgive(auth.userId, client);
      const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
      await transaction(db, async (trx) => {
        // Only the secret the code was checked against: a setup restarted meanwhile is not confirmed.
        if (!(await factors.confirm(auth.userId, factor.secretBox, step, now, trx))) throw Errors.twoFactorSetupMissing();
        await factors.replaceRecoveryCodes(
          auth.userId,
          codes.map((c) => recoveryCodeHash(auth.userId, c)),
          now,
          trx,
        );
        await securityLog.record(trx, auth.userId, 'two_factor_enabled', { client, sessionId: auth.sessionId }, now);
      });
      return codes;
    },

    /** Turns two-factor login off; needs the password and a code (app or recovery), each counted as a login would be. */
    async disable(auth: AuthContext, password: string, code: string, client: ClientInfo): Promise<void> {
      const factor = await factors.find(auth.userId);
      if (!factor?.confirmedAt) throw Errors.twoFactorNotEnabled();
      await passwordCheck.confirm(auth.user, password, client, Errors.invalidCurrentPassword);
      await passwordCheck.reserve(auth.userId, client);
      const codes: FactorCodes = /^[0-9]{6}$/.test(code) ? { totp: code } : { recovery: code };
      const proof = await prove(factor, codes, clock());
      await passwordCheck.forgive(auth.userId, client);
      const now = clock();
      await transaction(db, async (trx) => {
        if (!(await spend(trx, proof))) throw Errors.invalidTwoFactorCode();
        if (!(await factors.remove(auth.userId, trx))) throw Errors.twoFactorNotEnabled();
        await securityLog.record(trx, auth.userId, 'two_factor_disabled', { client, sessionId: auth.sessionId }, now);
      });
    },

    /** Whether two-factor login is on (for the export). */
    async isEnabled(userId: number, exec: Executor = db): Promise<boolean> {
      return Boolean((await factors.find(userId, exec))?.confirmedAt);
    },
  };
}
