import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const DATA_KEY = Buffer.alloc(32, 9).toString('base64');
const KEYS = { JWT_SECRET: SECRET, DATA_ENCRYPTION_KEY: DATA_KEY };

/** loadConfig with a valid JWT secret and data key, so no secret file is written. */
function load(env: Record<string, string | undefined> = {}) {
  return loadConfig({ ...KEYS, ...env });
}

/** The ConfigError loadConfig throws for this environment. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig({ ...KEYS, ...env });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('when nothing is set but the secret, then the documented defaults apply', () => {
    const { config, warnings } = load();
    expect(config).toMatchObject({
      port: 3000,
      accessTokenTtl: 1800,
      maxSessionsPerUser: 10,
      authRateLimit: 5,
      databaseUrl: 'sqlite:var/app.db',
      rateLimitStore: 'memory',
      trustProxy: 0,
      logLevel: 'info',
      surveyDataFile: 'data/survey_data.json',
      surveyRecheckMs: 1000,
      jwtSecret: SECRET,
      refreshTokenTtl: 30 * 86400,
      sessionMaxLifetime: 90 * 86400,
      refreshReuseGraceSeconds: 10,
      refreshRateLimit: 30,
      emailTokenTtl: 86400,
      resetTokenTtl: 1800,
      mailRateLimit: 5,
      appUrl: 'http://localhost:3000',
      smtpUrl: undefined,
      mailFrom: 'Fitness App <no-reply@localhost>',
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5000,
      httpMaxConnections: 1024,
      metricsPort: 9464,
      metricsHost: '127.0.0.1',
      passwordRateLimit: 10,
      publicRateLimit: 60,
      securityEventRetentionDays: 90,
    });
    expect(warnings).toEqual([]);
  });

  it('when the token and mail variables are given, then they are parsed (APP_URL without a trailing slash)', () => {
    const { config } = load({
      REFRESH_TOKEN_TTL: '86400',
      SESSION_MAX_LIFETIME: '604800',
      REFRESH_REUSE_GRACE_S: '0',
      REFRESH_RATE_LIMIT: '0',
      EMAIL_TOKEN_TTL: '3600',
      RESET_TOKEN_TTL: '600',
      MAIL_RATE_LIMIT: '2',
      APP_URL: 'https://app.example.com/',
      SMTP_URL: 'smtp://user:pass@mail.example.com:587',
      MAIL_FROM: 'Coach <coach@example.com>',
    });
    expect(config).toMatchObject({
      refreshTokenTtl: 86400,
      sessionMaxLifetime: 604800,
      refreshReuseGraceSeconds: 0,
      refreshRateLimit: 0,
      emailTokenTtl: 3600,
      resetTokenTtl: 600,
      mailRateLimit: 2,
      appUrl: 'https://app.example.com',
      smtpUrl: 'smtp://user:pass@mail.example.com:587',
      mailFrom: 'Coach <coach@example.com>',
    });
  });

  it('when a session could end before its access token or its refresh, then a ConfigError says which', () => {
    expect(configError({ ACCESS_TOKEN_TTL: '3600', REFRESH_TOKEN_TTL: '600' }).message).toBe('REFRESH_TOKEN_TTL must be at least ACCESS_TOKEN_TTL');
    expect(configError({ REFRESH_TOKEN_TTL: '864000', SESSION_MAX_LIFETIME: '86400' }).message).toBe('SESSION_MAX_LIFETIME must be at least REFRESH_TOKEN_TTL');
  });

  it('when the HTTP bounds are given, then they are parsed', () => {
    const { config } = load({
      HTTP_HEADERS_TIMEOUT_MS: '2000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      HTTP_KEEP_ALIVE_TIMEOUT_MS: '1999',
      HTTP_MAX_CONNECTIONS: '50',
    });
    expect(config).toMatchObject({ httpHeadersTimeoutMs: 2000, httpRequestTimeoutMs: 2000, httpKeepAliveTimeoutMs: 1999, httpMaxConnections: 50 });
  });

  it('when the metrics listener, the new limits and the retention are given, then they are parsed and checked', () => {
    const { config } = load({
      METRICS_PORT: '9100',
      METRICS_HOST: '10.0.0.5',
      PASSWORD_RATE_LIMIT: '0',
      PUBLIC_RATE_LIMIT: '600',
      SECURITY_EVENT_RETENTION_DAYS: '30',
    });
    expect(config).toMatchObject({ metricsPort: 9100, metricsHost: '10.0.0.5', passwordRateLimit: 0, publicRateLimit: 600, securityEventRetentionDays: 30 });
    expect(configError({ METRICS_PORT: '70000' }).message).toBe('METRICS_PORT must be between 0 and 65535, got 70000');
    expect(configError({ SECURITY_EVENT_RETENTION_DAYS: '0' }).message).toBe('SECURITY_EVENT_RETENTION_DAYS must be between 1 and 3650, got 0');
  });

  it('when the request timeout is below the headers timeout, or the keep-alive timeout is not below it, then a ConfigError says which', () => {
    expect(configError({ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '15000' }).message).toBe(
      'HTTP_REQUEST_TIMEOUT_MS must be at least HTTP_HEADERS_TIMEOUT_MS',
    );
    expect(configError({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '10000' }).message).toBe('HTTP_KEEP_ALIVE_TIMEOUT_MS must be below HTTP_HEADERS_TIMEOUT_MS');
    expect(configError({ HTTP_HEADERS_TIMEOUT_MS: '4000' }).message).toBe('HTTP_KEEP_ALIVE_TIMEOUT_MS must be below HTTP_HEADERS_TIMEOUT_MS');
  });

  it('when RATE_LIMIT_STORE=redis, then REDIS_URL is read (and required), with a key prefix', () => {
    expect(load({ RATE_LIMIT_STORE: 'redis', REDIS_URL: 'redis://cache:6379/2' }).config).toMatchObject({
      rateLimitStore: 'redis',
      redisUrl: 'redis://cache:6379/2',
      redisKeyPrefix: 'fitness-account-api:',
    });
    expect(configError({ RATE_LIMIT_STORE: 'redis' }).message).toContain('REDIS_URL is required');
    expect(load({ DB_GALERA: 'on' }).config.dbGalera).toBe('on');
  });

  it('when NODE_ENV=production and SMTP_URL is missing, then a ConfigError says mails would only be printed', () => {
    expect(configError({ NODE_ENV: 'production' }).message).toContain('SMTP_URL is required when NODE_ENV=production');
    expect(load({ NODE_ENV: 'production', SMTP_URL: 'smtps://u:p@mail.example.com:465' }).config.smtpUrl).toBe('smtps://u:p@mail.example.com:465');
  });

  it('when values are given, then they are parsed', () => {
    const { config } = load({
      PORT: '8080',
      DATABASE_URL: 'mysql://app:pw@db:3306/fitness',
      ACCESS_TOKEN_TTL: '600',
      MAX_SESSIONS_PER_USER: '3',
      AUTH_RATE_LIMIT: '0',
      RATE_LIMIT_STORE: 'database',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'mysql://app:pw@db:3306/fitness',
      accessTokenTtl: 600,
      maxSessionsPerUser: 3,
      authRateLimit: 0,
      rateLimitStore: 'database',
      logLevel: 'debug',
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['ACCESS_TOKEN_TTL', '0'],
    ['MAX_SESSIONS_PER_USER', 'ten'],
    ['AUTH_RATE_LIMIT', '-5'],
    ['DATABASE_URL', 'postgres://x'],
    ['LOG_LEVEL', 'loud'],
    ['RATE_LIMIT_STORE', 'etcd'],
    ['REDIS_URL', 'localhost:6379'],
    ['DB_GALERA', 'maybe'],
    ['TRUST_PROXY', 'maybe'],
    ['REFRESH_TOKEN_TTL', '10'],
    ['REFRESH_REUSE_GRACE_S', '-1'],
    ['REFRESH_REUSE_GRACE_S', '301'],
    ['EMAIL_TOKEN_TTL', 'day'],
    ['RESET_TOKEN_TTL', '999999'],
    ['MAIL_RATE_LIMIT', '1.5'],
    ['APP_URL', 'app.example.com'],
    ['APP_URL', 'ftp://app.example.com'],
    ['APP_URL', 'https://app.example.com/?x=1'],
    ['SMTP_URL', 'http://mail.example.com'],
    ['SMTP_URL', 'mail.example.com:587'],
    ['HTTP_HEADERS_TIMEOUT_MS', '0'],
    ['HTTP_HEADERS_TIMEOUT_MS', '99'],
    ['HTTP_REQUEST_TIMEOUT_MS', '3600001'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '0'],
    ['HTTP_KEEP_ALIVE_TIMEOUT_MS', '5s'],
    ['HTTP_MAX_CONNECTIONS', '0'],
    ['HTTP_MAX_CONNECTIONS', '1e3'],
  ])('when %s=%s, then a ConfigError names the variable', (name, value) => {
    expect(configError({ [name]: value }).message).toContain(name);
  });

  it('when JWT_SECRET is shorter than 32 bytes, then a ConfigError names it', () => {
    expect(configError({ JWT_SECRET: 'x'.repeat(31) }).message).toContain('JWT_SECRET');
    expect(load({ JWT_SECRET: 'x'.repeat(32) }).config.jwtSecret).toBe('x'.repeat(32));
  });

  it('when NODE_ENV=production and JWT_SECRET is missing, then a ConfigError names it', () => {
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: undefined }).message).toContain('JWT_SECRET');
    expect(configError({ NODE_ENV: 'production', JWT_SECRET: '' }).message).toContain('JWT_SECRET');
  });

  it('when JWT_SECRET is missing outside production, then a generated secret of at least 32 bytes is used', () => {
    // Writes or reads var/jwt-secret (git-ignored) relative to the working directory.
    const kept = existsSync('var/jwt-secret');
    const { config, warnings } = loadConfig({ DATA_ENCRYPTION_KEY: DATA_KEY });
    expect(Buffer.byteLength(config.jwtSecret)).toBeGreaterThanOrEqual(32);
    if (!kept) {
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain('JWT_SECRET');
    }
    // The generated secret is kept, so tokens survive a restart.
    const again = loadConfig({ DATA_ENCRYPTION_KEY: DATA_KEY });
    expect(again.config.jwtSecret).toBe(config.jwtSecret);
    expect(again.warnings).toEqual([]);
  });

  it('when DATA_ENCRYPTION_KEY is given as hex, base64 or base64url, then it is its 32 bytes; anything else names the variable', () => {
    const key = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7));
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      expect(load({ DATA_ENCRYPTION_KEY: text }).config.dataEncryptionKey).toEqual(key);
    }
    for (const bad of ['short', key.subarray(0, 31).toString('hex'), `${key.toString('hex')}00`]) {
      expect(configError({ DATA_ENCRYPTION_KEY: bad }).message).toBe(
        'DATA_ENCRYPTION_KEY must be 32 bytes as 64 hex digits or base64 (openssl rand -base64 32)',
      );
    }
    expect(configError({ NODE_ENV: 'production', SMTP_URL: 'smtp://mail:587', DATA_ENCRYPTION_KEY: undefined }).message).toBe(
      'DATA_ENCRYPTION_KEY is required when NODE_ENV=production',
    );
  });

  it('when DATA_ENCRYPTION_KEY is missing outside production, then one is generated once and kept', () => {
    // Writes or reads var/data-encryption-key (git-ignored) relative to the working directory.
    const first = loadConfig({ JWT_SECRET: SECRET });
    expect(first.config.dataEncryptionKey).toHaveLength(32);
    expect(loadConfig({ JWT_SECRET: SECRET }).config.dataEncryptionKey).toEqual(first.config.dataEncryptionKey);
  });

  it.each([
    ['2', 2],
    ['0', 0],
    ['false', 0],
    ['off', 0],
    ['true', 1],
    ['', 0],
  ])('when TRUST_PROXY=%j, then it trusts %i hops', (value, hops) => {
    expect(load({ TRUST_PROXY: value }).config.trustProxy).toBe(hops);
  });
});

describe('server start-up', () => {
  it('when PORT is invalid, then the server exits with code 1 and says which variable is wrong', () => {
    // node --import tsx is one process (npx tsx would be three), so the timeout really stops it.
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: { ...process.env, PORT: 'abc', JWT_SECRET: SECRET, DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'silent' },
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('PORT');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }, 40_000);
  it('when METRICS_PORT is taken, then the server exits with code 1 and one line naming it, without a stack', async () => {
    const holder = createServer().listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const port = (holder.address() as AddressInfo).port;
    try {
      const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
        env: { ...process.env, PORT: '0', METRICS_PORT: String(port), JWT_SECRET: SECRET, DATABASE_URL: 'sqlite::memory:', LOG_LEVEL: 'error' },
        encoding: 'utf8',
        timeout: 30_000,
        killSignal: 'SIGKILL',
      });
      expect(result.status).toBe(1);
      const fatal = result.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
        .filter((entry) => entry.level === 60);
      expect(fatal).toEqual([
        expect.objectContaining({ code: 'EADDRINUSE', port, msg: expect.stringMatching(new RegExp(`^cannot listen on METRICS_PORT ${port}: `)) }),
      ]);
      expect(result.stdout + result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      holder.close();
    }
  }, 40_000);
});
