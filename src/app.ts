import cors from '@koa/cors';
import Koa from 'koa';
import { createAuthHandlers } from './auth/auth.handlers.js';
import { createAuthService } from './auth/auth.service.js';
import { createPasswordResetService, PASSWORD_RESET, PASSWORD_RESET_TEMPLATE } from './auth/password-reset.service.js';
import { createRefreshService, type SessionLifetimes } from './auth/refresh.service.js';
import { createSessionsRepository } from './auth/sessions.repository.js';
import { createSpentRefreshTokensRepository } from './auth/spent-refresh-tokens.repository.js';
import { createTokenService } from './auth/tokens.js';
import { type Clock, DAY_MS, systemClock } from './clock.js';
import type { Config } from './config.js';
import { createDataCipher } from './data-cipher.js';
import type { Db } from './db/db.js';
import { createDocsRouter } from './http/docs.js';
import { errorMiddleware } from './http/errors.js';
import { observeRequests } from './http/observe.js';
import { buildRoutes } from './http/routes.js';
import { type Api, loadApi } from './http/spec.js';
import { createIdempotencyRepository } from './idempotency/idempotency.repository.js';
import { createIdempotency } from './idempotency/idempotency.service.js';
import { connectRedis, createLimiter, redisReady } from './limits.js';
import { createLogger, type Logger } from './log.js';
import { createOutboxRepository } from './mail/outbox.repository.js';
import { loadTemplates } from './mail/templates.js';
import { logTransport, type MailTransport, smtpTransport } from './mail/transport.js';
import { createOutboxWorker, type OutboxWorker, type WorkerOptions } from './mail/worker.js';
import { createTwoFactorHandlers } from './mfa/two-factor.handlers.js';
import { createTwoFactorRepository } from './mfa/two-factor.repository.js';
import { createTwoFactor } from './mfa/two-factor.service.js';
import type { HandlerMap } from './operations.js';
import { createMetrics } from './ops/metrics.js';
import { createOpsHandlers } from './ops/ops.handlers.js';
import { ACCOUNT_DELETED, ACCOUNT_DELETED_TEMPLATE, createAccountDeletion } from './privacy/account-deletion.js';
import { createAccountExport } from './privacy/account-export.js';
import { createPrivacyHandlers } from './privacy/privacy.handlers.js';
import { createProfileHandlers } from './profile/profile.handlers.js';
import { createProfileRepository, PERSON_QUERY } from './profile/profile.repository.js';
import { createProfileService } from './profile/profile.service.js';
import { createPasswordCheck } from './security/password-check.js';
import { createSecurityHandlers } from './security/security.handlers.js';
import { createSecurityLog, NEW_SIGN_IN, NEW_SIGN_IN_TEMPLATE } from './security/security-log.js';
import { createSurveyHandlers } from './survey/survey.handlers.js';
import { createSurveyService } from './survey/survey.service.js';
import { createTrainingHandlers } from './training/training.handlers.js';
import { createTrainingRepository } from './training/training.repository.js';
import { createTrainingService } from './training/training.service.js';
import { createEmailVerification, VERIFY_EMAIL, VERIFY_EMAIL_TEMPLATE } from './users/email-verification.js';
import { createUserTokensRepository } from './users/user-tokens.repository.js';
import { createUsersHandlers } from './users/users.handlers.js';
import { createUsersRepository } from './users/users.repository.js';
import { createUsersService } from './users/users.service.js';
import { createSummariesRepository } from './workouts/summaries.repository.js';
import { createWorkoutsHandlers } from './workouts/workouts.handlers.js';
import { createWorkoutsRepository } from './workouts/workouts.repository.js';
import { createWorkoutsService } from './workouts/workouts.service.js';

export interface AppDeps {
  db: Db;
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** A loaded spec to reuse (tests build many apps); loaded from openapi.yaml otherwise. */
  api?: Api;
  /** Where mails go; by default SMTP at SMTP_URL, or stdout without it. */
  mailTransport?: MailTransport;
  mailWorker?: Partial<WorkerOptions>;
}

export interface App {
  koa: Koa;
  /** The metrics listener's app (`/metrics`), served on METRICS_PORT, apart from the API. */
  metricsKoa: Koa;
  /** Deletes expired sessions; the server runs it periodically. */
  purgeExpiredSessions: () => Promise<number>;
  /** Deletes expired sessions, mailed tokens, old finished mails and expired idempotency keys; the server runs it periodically. */
  purgeExpired: () => Promise<void>;
  /** The outbox worker; the server starts it (tests start it when they need mail). */
  mail: OutboxWorker;
  /** From now on readiness answers 503, so a load balancer stops sending traffic. */
  beginShutdown: () => void;
  /** Stops the mail worker and closes the mail transport and the Redis connection. */
  close: () => Promise<void>;
}

/** Finished mails are kept this long (for operators), expired tokens a day. */
const FINISHED_MAIL_KEPT_MS = 7 * 24 * 3600 * 1000;
const EXPIRED_TOKEN_KEPT_MS = DAY_MS;

/** Builds the service on the given database: every route of openapi.yaml, wired to its handler. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { db, config } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const api = deps.api ?? (await loadApi());

  const users = createUsersRepository(db);
  const sessions = createSessionsRepository(db, PERSON_QUERY);
  const userTokens = createUserTokensRepository(db);
  const outbox = createOutboxRepository(db);
  const tokens = createTokenService(config.jwtSecret, config.accessTokenTtl, clock);
  const redis = config.rateLimitStore === 'redis' && config.redisUrl ? await connectRedis(config.redisUrl, config.redisKeyPrefix, logger) : undefined;
  if (redis) await redisReady(redis);
  const limiter = (keyPrefix: string, points: number, durationSeconds: number) =>
    points > 0 ? createLimiter(config, { db, redis }, { keyPrefix, points, durationSeconds }) : undefined;
  const lifetimes: SessionLifetimes = {
    refreshTtlMs: config.refreshTokenTtl * 1000,
    maxLifetimeMs: config.sessionMaxLifetime * 1000,
    reuseGraceMs: config.refreshReuseGraceSeconds * 1000,
  };
  const securityLog = createSecurityLog({
    db,
    clock,
    retentionMs: config.securityEventRetentionDays * DAY_MS,
    appUrl: config.appUrl,
    accountOf: (id, exec) => users.findById(id, exec),
  });
  const passwordCheck = createPasswordCheck(limiter('login_fail', config.loginFailureLimit, 15 * 60));
  const twoFactor = createTwoFactor({
    db,
    factors: createTwoFactorRepository(db),
    cipher: createDataCipher(config.dataEncryptionKey),
    passwordCheck,
    securityLog,
    clock,
  });
  const metrics = createMetrics(db, () => sessions.countAllActive(clock()), clock);
  const auth = createAuthService({
    db,
    users,
    sessions,
    userTokens,
    tokens,
    clock,
    maxSessionsPerUser: config.maxSessionsPerUser,
    lifetimes,
    passwordCheck,
    securityLog,
    twoFactor,
    onLoginOutcome: metrics.countLogin,
  });
  const refresh = createRefreshService({ db, sessions, spent: createSpentRefreshTokensRepository(db), tokens, clock, lifetimes, securityLog });
  const mailDeps = { appUrl: config.appUrl, outbox, userTokens, clock, securityLog };
  const verification = createEmailVerification({ db, users, ...mailDeps, tokenTtlSeconds: config.emailTokenTtl });
  const passwordReset = createPasswordResetService({
    db,
    users,
    sessions,
    ...mailDeps,
    tokenTtlSeconds: config.resetTokenTtl,
    addressLimiter: limiter('reset_address', config.mailRateLimit, 3600),
  });

  const survey = createSurveyService(config.surveyDataFile, { recheckMs: config.surveyRecheckMs, clock });
  const training = createTrainingService({ db, training: createTrainingRepository(db), users, survey, clock });
  const people = createProfileRepository(db);
  const workouts = createWorkoutsRepository(db);
  const workoutLog = createWorkoutsService({
    db,
    workouts,
    summaries: createSummariesRepository(db),
    timeZoneOf: async (userId, exec) => (await users.getSettings(userId, exec)).timezone,
    clock,
  });
  const profile = createProfileService({
    db,
    users,
    people,
    workouts: workoutLog,
    training,
    survey,
    verification,
    securityLog,
    clock,
  });

  const deletion = createAccountDeletion({ db, users, outbox, passwordCheck, twoFactor, clock });
  const exporter = createAccountExport({ db, people, workouts, sessions, securityLog, twoFactor, clock });

  let shuttingDown = false;

  const handlers = {
    ...createUsersHandlers(createUsersService({ db, users, verification, clock }), verification),
    ...createAuthHandlers({ auth, refresh, passwordReset }, clock),
    ...createSurveyHandlers(survey),
    ...createProfileHandlers(profile),
    ...createTrainingHandlers(training),
    ...createWorkoutsHandlers(workoutLog),
    ...createSecurityHandlers(securityLog),
    ...createTwoFactorHandlers(twoFactor),
    ...createPrivacyHandlers({ deletion, exporter }),
    ...createOpsHandlers({ db, metrics, isShuttingDown: () => shuttingDown }),
  } satisfies HandlerMap;

  const idempotency = createIdempotency({
    keys: createIdempotencyRepository(db),
    secret: config.dataEncryptionKey,
    clock,
    onKeepFailed: (err) => logger.warn({ err }, 'an idempotent answer could not be kept'),
  });
  const routes = buildRoutes({
    api,
    handlers,
    idempotency,
    authenticate: auth.authenticate,
    // /me, /user-data and /training-profile show the person: read it with the session check, in one statement.
    callerViews: { getMe: 'person', getUserData: 'person', getTrainingProfile: 'person' },
    rateLimiters: {
      auth: limiter('auth', config.authRateLimit, 60),
      refresh: limiter('refresh', config.refreshRateLimit, 60),
      mail: limiter('mail_user', config.mailRateLimit, 3600),
      password: limiter('password', config.passwordRateLimit, 60),
      public: limiter('public', config.publicRateLimit, 60),
      export: limiter('export', config.exportRateLimit, 3600),
    },
  });

  const transport = deps.mailTransport ?? (config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : logTransport(config.mailFrom));
  const mail = createOutboxWorker({
    db,
    outbox,
    transport,
    templates: loadTemplates([VERIFY_EMAIL_TEMPLATE, PASSWORD_RESET_TEMPLATE, NEW_SIGN_IN_TEMPLATE, ACCOUNT_DELETED_TEMPLATE]),
    composers: {
      [VERIFY_EMAIL]: verification.compose,
      [PASSWORD_RESET]: passwordReset.compose,
      [NEW_SIGN_IN]: securityLog.compose,
      [ACCOUNT_DELETED]: deletion.compose,
    },
    clock,
    logger,
    options: deps.mailWorker,
  });

  // With TRUST_PROXY=N, ctx.ip is the address N hops from the right of X-Forwarded-For, never
  // the left-most (client-chosen) one.
  const koa = new Koa({ proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  koa.use(observeRequests({ logger, answered: metrics.observe, isShuttingDown: () => shuttingDown }));
  // CORS is off unless CORS_ORIGINS lists the browser origins allowed to call the API.
  if (config.corsOrigins.length > 0) {
    const allowed = new Set(config.corsOrigins);
    koa.use(
      cors({
        origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''),
        exposeHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'ETag', 'X-Request-Id', 'Idempotent-Replayed'],
      }),
    );
  }
  // Operations first: most requests end at the dispatch Map without trying the docs routes.
  koa.use(routes.dispatch);
  koa.use(createDocsRouter().routes());
  koa.use(routes.router.routes());
  koa.use(routes.router.allowedMethods());

  const metricsRoutes = buildRoutes({ api, handlers, authenticate: auth.authenticate, rateLimiters: {}, listener: 'metrics' });
  const metricsKoa = new Koa();
  metricsKoa.use(errorMiddleware(logger));
  metricsKoa.use(metricsRoutes.dispatch);
  metricsKoa.use(metricsRoutes.router.routes());
  metricsKoa.use(metricsRoutes.router.allowedMethods());
  return {
    koa,
    metricsKoa,
    purgeExpiredSessions: auth.purgeExpiredSessions,
    async purgeExpired() {
      const now = clock();
      await auth.purgeExpiredSessions();
      await userTokens.purgeExpired(now - EXPIRED_TOKEN_KEPT_MS);
      await outbox.purgeFinished(now - FINISHED_MAIL_KEPT_MS);
      await securityLog.purge();
      await idempotency.purge();
    },
    mail,
    beginShutdown: () => {
      shuttingDown = true;
    },
    async close() {
      await mail.stop();
      transport.close();
      redis?.disconnect();
    },
  };
}
