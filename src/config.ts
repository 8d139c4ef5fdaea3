import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** Everything the service reads from its environment, parsed and checked once. */
export interface Config {
  port: number;
  host: string;
  /** The metrics listener's port (`/metrics`, for Prometheus); 0 picks a free one. */
  metricsPort: number;
  /** The metrics listener's interface: the loopback by default, never the API's. */
  metricsHost: string;
  /** `sqlite:<file>` or `mysql://user:pass@host:port/db`. */
  databaseUrl: string;
  jwtSecret: string;
  /** AES-256 key (32 bytes) that encrypts secrets at rest (two-factor secrets). */
  dataEncryptionKey: Buffer;
  /** Lifetime of an access token, in seconds. */
  accessTokenTtl: number;
  /** How long a session lives after its last login or refresh, in seconds (a refresh token's lifetime). */
  refreshTokenTtl: number;
  /** A session ends this many seconds after its login, however often it is refreshed. */
  sessionMaxLifetime: number;
  /** Seconds after its rotation during which a spent refresh token gets the current one back; 0 turns it off. */
  refreshReuseGraceSeconds: number;
  /** Refreshes per minute per client IP; 0 turns it off. */
  refreshRateLimit: number;
  /** How long a mailed verification link works, in seconds. */
  emailTokenTtl: number;
  /** How long a mailed password reset link works, in seconds. */
  resetTokenTtl: number;
  /** Verification mails per user, and reset requests per address, per hour; 0 turns it off. */
  mailRateLimit: number;
  /** Where the app's pages live; mailed links point to `${appUrl}/verify-email?token=...` etc. */
  appUrl: string;
  /** `smtp://user:pass@host:587` or `smtps://...`; undefined prints mails to stdout (not in production). */
  smtpUrl: string | undefined;
  /** The sender of every mail. */
  mailFrom: string;
  /** Active sessions a standard account may hold at once. */
  maxSessionsPerUser: number;
  /** Requests per minute per client IP on register, create_user and login; 0 turns it off. */
  authRateLimit: number;
  /**
   * Requests per minute per user and per client IP on the operations that check a password of
   * a signed-in user (argon2 time); 0 turns it off.
   */
  passwordRateLimit: number;
  /** Exports (GET /me/export) per user per hour; 0 turns it off. */
  exportRateLimit: number;
  /** Requests per minute per client IP on get_user_details and the availability checks; 0 turns it off. */
  publicRateLimit: number;
  /** Failed logins (and failed password checks of a signed-in user) per account and client IP per 15 minutes; 0 turns it off. */
  loginFailureLimit: number;
  rateLimitStore: 'memory' | 'database' | 'redis';
  /** `redis://host:6379/0`; required with RATE_LIMIT_STORE=redis. */
  redisUrl: string | undefined;
  /** Put in front of every Redis key, so that several services can share one Redis. */
  redisKeyPrefix: string;
  /** Number of trusted proxy hops in front of the service; 0 trusts none. */
  trustProxy: number;
  logLevel: string;
  surveyDataFile: string;
  /** The survey file is checked for changes at most this often (ms); 0 checks on every request. */
  surveyRecheckMs: number;
  /** Whether the MySQL server is a Galera node (causal reads then): ask it (`auto`), or say so. */
  dbGalera: 'auto' | 'on' | 'off';
  /** How long a request may wait for a pooled database connection before it answers 503. */
  dbAcquireTimeoutMs: number;
  /** How long security events are kept (and how far back a device counts as known), in days. */
  securityEventRetentionDays: number;
  /** Browser origins allowed by CORS; empty means CORS is off. */
  corsOrigins: string[];
  /**
   * After SIGTERM, how long the listener keeps accepting (readiness already 503) before it
   * closes: connections a load balancer sent meanwhile are served instead of reset.
   */
  shutdownDrainMs: number;
  /** A request's headers must have arrived this many ms after its first byte (or the connection's opening); else 408 and close. */
  httpHeadersTimeoutMs: number;
  /** A whole request, headers and body, must have arrived this many ms after its first byte; else 408 and close. */
  httpRequestTimeoutMs: number;
  /** An idle keep-alive connection is closed this many ms after its last answer. */
  httpKeepAliveTimeoutMs: number;
  /** Connections open at once; one more is closed as soon as it is accepted. */
  httpMaxConnections: number;
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const MIN_SECRET_BYTES = 32;
export const DEFAULT_DATABASE_URL = 'sqlite:var/app.db';

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?[0-9]+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(env: Env, name: string, fallback: T, allowed: readonly T[]): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function databaseUrl(env: Env): string {
  const url = env.DATABASE_URL || DEFAULT_DATABASE_URL;
  if (!/^sqlite:.+/.test(url) && !/^mysql:\/\/.+/.test(url)) {
    throw new ConfigError('DATABASE_URL must be sqlite:<file> or mysql://user:pass@host:port/db');
  }
  return url;
}

function origins(env: Env): string[] {
  const list = (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of list) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) throw new ConfigError(`CORS_ORIGINS entries must look like https://app.example.com, got "${origin}"`);
  }
  return list;
}

function appUrl(env: Env): string {
  const raw = env.APP_URL || 'http://localhost:3000';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`APP_URL must be an http(s) URL such as https://app.example.com, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`APP_URL must be an http(s) URL, got "${raw}"`);
  if (url.search || url.hash) throw new ConfigError('APP_URL must not have a query or fragment');
  return raw.replace(/\/+$/, '');
}

function smtpUrl(env: Env, production: boolean): string | undefined {
  const raw = env.SMTP_URL;
  if (raw === undefined || raw === '') {
    if (production) throw new ConfigError('SMTP_URL is required when NODE_ENV=production (mails would otherwise only be printed)');
    return undefined;
  }
  if (!/^smtps?:\/\/[^/\s]+/.test(raw)) throw new ConfigError('SMTP_URL must look like smtp://user:pass@host:587 or smtps://user:pass@host:465');
  return raw;
}

function redisUrl(env: Env, store: Config['rateLimitStore']): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') {
    if (store === 'redis') throw new ConfigError('REDIS_URL is required when RATE_LIMIT_STORE=redis (e.g. redis://127.0.0.1:6379/0)');
    return undefined;
  }
  if (!/^rediss?:\/\/[^/\s]+/.test(raw)) throw new ConfigError('REDIS_URL must look like redis://host:6379/0 or rediss://host:6380/0');
  return raw;
}

function trustProxy(env: Env): number {
  const raw = env.TRUST_PROXY;
  if (raw === undefined || raw === '' || raw === 'false' || raw === 'off') return 0;
  if (raw === 'true' || raw === 'on') return 1;
  return integer(env, 'TRUST_PROXY', 0, 0, 10);
}

/**
 * A secret from the environment (`name`) when set; outside production one generated once and
 * kept in `file` (mode 0600) so that it survives restarts. Returns it and a warning to log.
 */
function keptSecret(
  env: Env,
  production: boolean,
  secret: { name: string; file: string; check: (value: string) => string | undefined; make: () => string },
): { value: string; warning?: string } {
  const given = env[secret.name];
  if (given !== undefined && given !== '') {
    const problem = secret.check(given);
    if (problem) throw new ConfigError(`${secret.name} ${problem}`);
    return { value: given };
  }
  if (production) throw new ConfigError(`${secret.name} is required when NODE_ENV=production`);
  try {
    const kept = readFileSync(secret.file, 'utf8').trim();
    if (!secret.check(kept)) return { value: kept };
  } catch {
    // None kept yet: make one below.
  }
  const value = secret.make();
  mkdirSync(dirname(secret.file), { recursive: true });
  writeFileSync(secret.file, `${value}\n`, { mode: 0o600 });
  return { value, warning: `${secret.name} is not set: using a generated one kept in ${secret.file}` };
}

const JWT_SECRET = {
  name: 'JWT_SECRET',
  file: 'var/jwt-secret',
  check: (value: string) => (Buffer.byteLength(value) < MIN_SECRET_BYTES ? `must be at least ${MIN_SECRET_BYTES} bytes long` : undefined),
  make: () => randomBytes(48).toString('base64url'),
};

/** The data key's bytes: 64 hex digits, or 32 bytes in base64 or base64url. */
function keyBytes(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return Buffer.from(value, 'base64');
  return undefined;
}

const DATA_ENCRYPTION_KEY = {
  name: 'DATA_ENCRYPTION_KEY',
  file: 'var/data-encryption-key',
  check: (value: string) => (keyBytes(value)?.length === 32 ? undefined : 'must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)'),
  make: () => randomBytes(32).toString('base64'),
};

/** The HTTP server's bounds on slow and idle clients. */
function httpLimits(env: Env): Pick<Config, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs' | 'httpKeepAliveTimeoutMs' | 'httpMaxConnections'> {
  const httpHeadersTimeoutMs = integer(env, 'HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 600_000);
  const httpRequestTimeoutMs = integer(env, 'HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000);
  const httpKeepAliveTimeoutMs = integer(env, 'HTTP_KEEP_ALIVE_TIMEOUT_MS', 5000, 100, 600_000);
  // Node refuses a headers timeout above the request timeout (the headers are part of the request).
  if (httpRequestTimeoutMs < httpHeadersTimeoutMs) throw new ConfigError('HTTP_REQUEST_TIMEOUT_MS must be at least HTTP_HEADERS_TIMEOUT_MS');
  // Node times the two apart, but an idle keep-alive connection holds a connection slot just as
  // a slow client does: kept below the headers timeout, the headers timeout stays the longest a
  // connection is held without a request arriving.
  if (httpKeepAliveTimeoutMs >= httpHeadersTimeoutMs) throw new ConfigError('HTTP_KEEP_ALIVE_TIMEOUT_MS must be below HTTP_HEADERS_TIMEOUT_MS');
  return {
    httpHeadersTimeoutMs,
    httpRequestTimeoutMs,
    httpKeepAliveTimeoutMs,
    httpMaxConnections: integer(env, 'HTTP_MAX_CONNECTIONS', 1024, 1, 1_000_000),
  };
}

/** Parses the environment. Throws ConfigError with a message naming the bad variable. */
export function loadConfig(env: Env): { config: Config; warnings: string[] } {
  const production = env.NODE_ENV === 'production';
  const jwt = keptSecret(env, production, JWT_SECRET);
  const dataKey = keptSecret(env, production, DATA_ENCRYPTION_KEY);
  const accessTokenTtl = integer(env, 'ACCESS_TOKEN_TTL', 1800, 60, 86400 * 30);
  const refreshTokenTtl = integer(env, 'REFRESH_TOKEN_TTL', 30 * 86400, 60, 365 * 86400);
  const sessionMaxLifetime = integer(env, 'SESSION_MAX_LIFETIME', 90 * 86400, 60, 365 * 86400);
  // A session outlives each of its access tokens, and its absolute end outlives each refresh.
  if (refreshTokenTtl < accessTokenTtl) throw new ConfigError('REFRESH_TOKEN_TTL must be at least ACCESS_TOKEN_TTL');
  if (sessionMaxLifetime < refreshTokenTtl) throw new ConfigError('SESSION_MAX_LIFETIME must be at least REFRESH_TOKEN_TTL');
  const rateLimitStore = oneOf(env, 'RATE_LIMIT_STORE', 'memory', ['memory', 'database', 'redis'] as const);
  const config: Config = {
    port: integer(env, 'PORT', 3000, 0, 65535),
    host: env.HOST || '0.0.0.0',
    metricsPort: integer(env, 'METRICS_PORT', 9464, 0, 65535),
    metricsHost: env.METRICS_HOST || '127.0.0.1',
    databaseUrl: databaseUrl(env),
    jwtSecret: jwt.value,
    dataEncryptionKey: keyBytes(dataKey.value) as Buffer,
    accessTokenTtl,
    refreshTokenTtl,
    sessionMaxLifetime,
    refreshReuseGraceSeconds: integer(env, 'REFRESH_REUSE_GRACE_S', 10, 0, 300),
    refreshRateLimit: integer(env, 'REFRESH_RATE_LIMIT', 30, 0, 1_000_000),
    emailTokenTtl: integer(env, 'EMAIL_TOKEN_TTL', 86400, 60, 30 * 86400),
    resetTokenTtl: integer(env, 'RESET_TOKEN_TTL', 1800, 60, 86400),
    mailRateLimit: integer(env, 'MAIL_RATE_LIMIT', 5, 0, 1_000_000),
    appUrl: appUrl(env),
    smtpUrl: smtpUrl(env, production),
    mailFrom: env.MAIL_FROM || 'Fitness App <no-reply@localhost>',
    maxSessionsPerUser: integer(env, 'MAX_SESSIONS_PER_USER', 10, 1, 1000),
    authRateLimit: integer(env, 'AUTH_RATE_LIMIT', 5, 0, 1_000_000),
    loginFailureLimit: integer(env, 'LOGIN_FAILURE_LIMIT', 10, 0, 1_000_000),
    passwordRateLimit: integer(env, 'PASSWORD_RATE_LIMIT', 10, 0, 1_000_000),
    publicRateLimit: integer(env, 'PUBLIC_RATE_LIMIT', 60, 0, 1_000_000),
    exportRateLimit: integer(env, 'EXPORT_RATE_LIMIT', 5, 0, 1_000_000),
    rateLimitStore,
    redisUrl: redisUrl(env, rateLimitStore),
    redisKeyPrefix: env.REDIS_KEY_PREFIX || 'fitness-account-api:',
    trustProxy: trustProxy(env),
    logLevel: oneOf(env, 'LOG_LEVEL', 'info', LOG_LEVELS),
    surveyDataFile: env.SURVEY_DATA_FILE || 'data/survey_data.json',
    surveyRecheckMs: integer(env, 'SURVEY_DATA_RECHECK_MS', 1000, 0, 3_600_000),
    dbAcquireTimeoutMs: integer(env, 'DB_ACQUIRE_TIMEOUT_MS', 3000, 100, 60_000),
    dbGalera: oneOf(env, 'DB_GALERA', 'auto', ['auto', 'on', 'off'] as const),
    securityEventRetentionDays: integer(env, 'SECURITY_EVENT_RETENTION_DAYS', 90, 1, 3650),
    corsOrigins: origins(env),
    shutdownDrainMs: integer(env, 'SHUTDOWN_DRAIN_MS', 1000, 0, 8000),
    ...httpLimits(env),
  };
  return { config, warnings: [jwt.warning, dataKey.warning].filter((w) => w !== undefined) };
}
