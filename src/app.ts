import cors from '@koa/cors';
import Koa from 'koa';
import { createAuthHandlers } from './auth/auth.handlers.js';
import { createAuthService } from './auth/auth.service.js';
import { createSessionsRepository } from './auth/sessions.repository.js';
import { createTokenService } from './auth/tokens.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import type { Db } from './db/db.js';
import { createDocsRouter } from './http/docs.js';
import { errorMiddleware } from './http/errors.js';
import { observeRequests } from './http/observe.js';
import { buildRoutes } from './http/routes.js';
import { loadApi, type Api } from './http/spec.js';
import type { HandlerMap } from './http/types.js';
import { createLimiter } from './limits.js';
import { createLogger, type Logger } from './log.js';
import { createMetrics } from './ops/metrics.js';
import { createOpsHandlers } from './ops/ops.handlers.js';
import { createProfileHandlers } from './profile/profile.handlers.js';
import { createProfileRepository } from './profile/profile.repository.js';
import { createProfileService } from './profile/profile.service.js';
import { createWorkoutsRepository } from './profile/workouts.repository.js';
import { createSurveyHandlers } from './survey/survey.handlers.js';
import { createSurveyService } from './survey/survey.service.js';
import { createTrainingHandlers } from './training/training.handlers.js';
import { createTrainingRepository } from './training/training.repository.js';
import { createTrainingService } from './training/training.service.js';
import { createUsersHandlers } from './users/users.handlers.js';
import { createUsersRepository } from './users/users.repository.js';
import { createUsersService } from './users/users.service.js';

export interface AppDeps {
  db: Db;
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** A loaded spec to reuse (tests build many apps); loaded from openapi.yaml otherwise. */
  api?: Api;
}

export interface App {
  koa: Koa;
  /** Deletes expired sessions; the server runs it periodically. */
  purgeExpiredSessions: () => Promise<number>;
  /** From now on readiness answers 503, so a load balancer stops sending traffic. */
  beginShutdown: () => void;
}

/** Builds the service on the given database: every route of openapi.yaml, wired to its handler. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { db, config } = deps;
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const api = deps.api ?? (await loadApi());

  const users = createUsersRepository(db);
  const sessions = createSessionsRepository(db);
  const tokens = createTokenService(config.jwtSecret, config.accessTokenTtl, clock);
  const loginFailures =
    config.loginFailureLimit > 0
      ? createLimiter(config, db, { keyPrefix: 'login_fail', points: config.loginFailureLimit, durationSeconds: 15 * 60 })
      : undefined;
  const auth = createAuthService({ db, users, sessions, tokens, clock, maxSessionsPerUser: config.maxSessionsPerUser, loginFailures });

  const survey = createSurveyService(config.surveyDataFile, { recheckMs: config.surveyRecheckMs, clock });
  const training = createTrainingService({ db, training: createTrainingRepository(db), users, survey, clock });
  const profile = createProfileService({ db, users, people: createProfileRepository(db), workouts: createWorkoutsRepository(db), training, survey, clock });

  const metrics = createMetrics(db, auth.countActiveSessions);
  let shuttingDown = false;

  const handlers = {
    ...createUsersHandlers(createUsersService({ db, users, clock })),
    ...createAuthHandlers(auth, clock),
    ...createSurveyHandlers(survey),
    ...createProfileHandlers(profile),
    ...createTrainingHandlers(training),
    ...createOpsHandlers({ db, metrics, isShuttingDown: () => shuttingDown }),
  } satisfies HandlerMap;

  const authLimiter =
    config.authRateLimit > 0
      ? createLimiter(config, db, { keyPrefix: 'auth', points: config.authRateLimit, durationSeconds: 60 })
      : undefined;
  const routes = buildRoutes({
    api,
    handlers,
    authenticate: auth.authenticate,
    // /me and /user-data show the whole person: read it with the session check, in one statement.
    callerViews: { getMe: 'person', getUserData: 'person' },
    rateLimiters: { auth: authLimiter },
  });

  // With TRUST_PROXY=N, ctx.ip is the address N hops from the right of X-Forwarded-For, never
  // the left-most (client-chosen) one.
  const koa = new Koa({ proxy: config.trustProxy > 0, maxIpsCount: config.trustProxy });
  koa.use(observeRequests(logger, metrics));
  koa.use(async (ctx, next) => {
    // While shutting down, no connection is kept alive: a client must not send its next
    // request on a socket the server is about to close.
    if (shuttingDown) ctx.set('Connection', 'close');
    await next();
  });
  // CORS is off unless CORS_ORIGINS lists the browser origins allowed to call the API.
  if (config.corsOrigins.length > 0) {
    const allowed = new Set(config.corsOrigins);
    koa.use(cors({ origin: (ctx) => (allowed.has(ctx.get('origin')) ? ctx.get('origin') : ''), exposeHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset', 'ETag', 'X-Request-Id'] }));
  }
  koa.use(errorMiddleware(logger));
  // Operations first: most requests end at the dispatch Map without trying the docs routes.
  koa.use(routes.dispatch);
  koa.use(createDocsRouter().routes());
  koa.use(routes.router.routes());
  koa.use(routes.router.allowedMethods());
  return {
    koa,
    purgeExpiredSessions: auth.purgeExpiredSessions,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
