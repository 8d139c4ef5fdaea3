import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { AuthContext, CallerView, ClientInfo } from '../caller.js';
import { rateLimitKey } from '../client-address.js';
import { type AppError, Errors } from '../errors.js';
import type { Idempotency } from '../idempotency/idempotency.service.js';
import { type HandlerInput, type HandlerMap, type OperationId, RawJson, type Reply } from '../operations.js';
import { type Authenticate, authenticateRequest, authModeOf } from './auth.js';
import { consumeOrReject, rateLimitOf } from './rate-limit.js';
import { API_ROOT, type Api, type ApiOperation, type Listener, listenerOf, servedAtRoot } from './spec.js';
import { createRequestValidator } from './validation.js';

export const BODY_LIMIT = '16kb';

export interface RouteDeps {
  api: Api;
  handlers: HandlerMap;
  authenticate: Authenticate;
  /**
   * Operations whose handler reads more of the caller than the account ('person': settings and
   * questionnaire too), in the statement that checks the session; others read the account.
   */
  callerViews?: Partial<Record<OperationId, CallerView>>;
  /**
   * Limiters named by the operations' `x-rate-limit` extension; undefined ones are switched off.
   * What each counts (per user, per client IP or both) is `rateLimitOf`'s reading of the spec;
   * an IPv6 client counts per /64 (`rateLimitKey`).
   */
  rateLimiters: Record<string, RateLimiterAbstract | undefined>;
  /** Which listener's operations to route (`x-listener`); the API's by default. */
  listener?: Listener;
  /** Keeps the answers of operations that take an `Idempotency-Key` header. */
  idempotency?: Pick<Idempotency, 'run'>;
}

// Only JSON is accepted, and only up to BODY_LIMIT; co-body (behind it) rejects `__proto__` keys.
// DELETE too: account deletion and turning two-factor off take the password in their body.
const parseJson = bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT, encoding: 'utf-8', parsedMethods: ['POST', 'PUT', 'PATCH', 'DELETE'] });

/**
 * Where an operation is served: under /api/v1, or at the server root when its path item has
 * `servers: [{url: /}]` (the ops endpoints). `{session_id}` becomes Koa's `:session_id`.
 */
function mountPath(api: Api, operation: ApiOperation): string {
  const root = servedAtRoot(api, operation.path) ? '' : API_ROOT;
  return root + operation.path.replace(/\{([^}]+)\}/g, ':$1');
}

/** Whether the request carries a body (a length, or a chunked one). */
function sendsBody(ctx: Context): boolean {
  return Boolean(ctx.request.length) || ctx.get('transfer-encoding') !== '';
}

/**
 * The JSON body a request sends, for an operation that takes one. An operation that takes none
 * refuses a body (without reading it): 415 when it is not JSON, 400 when it is.
 */
async function readBody(ctx: Context, operation: ApiOperation): Promise<unknown> {
  if (!ctx.is('application/json')) throw Errors.unsupportedMediaType();
  if (!operation.requestBody) throw Errors.invalidRequest([{ field: '/body', message: 'is not allowed: this operation takes no body' }]);
  try {
    await parseJson(ctx, async () => undefined);
  } catch (err) {
    throw bodyError(err);
  }
  return ctx.request.body;
}

/** co-body's failures (size, encoding, syntax, `__proto__` keys) as the envelope's 413, 415 or 400. */
function bodyError(err: unknown): AppError {
  const status = (err as { status?: unknown }).status;
  if (status === 413) return Errors.payloadTooLarge();
  if (status === 415) return Errors.unsupportedMediaType();
  return Errors.invalidJson();
}

/** True when the operation declares the Idempotency-Key header. */
function takesIdempotencyKey(operation: ApiOperation): boolean {
  return (operation.parameters ?? []).some((p) => 'in' in p && p.in === 'header' && p.name.toLowerCase() === 'idempotency-key');
}

/**
 * What a handler receives. A class, so that a request allocates one small object: the caller,
 * the client and the headers are read from the context only by the handlers that ask.
 */
class RequestInput {
  constructor(
    private readonly ctx: Context,
    readonly body: unknown,
    readonly query: unknown,
    readonly params: unknown,
    readonly maybeAuth: AuthContext | undefined,
  ) {}

  get headers(): Context['headers'] {
    return this.ctx.headers;
  }

  get client(): ClientInfo {
    return { ip: this.ctx.ip, userAgent: this.ctx.get('user-agent') || undefined };
  }

  get auth(): AuthContext {
    if (!this.maybeAuth) throw Errors.unauthorized();
    return this.maybeAuth;
  }
}

function send(ctx: Context, reply: { status: number; body?: unknown; headers?: Record<string, string> }): void {
  ctx.status = reply.status;
  if (reply.headers) ctx.set(reply.headers);
  if (reply.body instanceof RawJson) {
    // What Koa's `ctx.type = 'application/json'` sets, without its MIME lookup on every answer.
    ctx.set('Content-Type', 'application/json; charset=utf-8');
    ctx.body = reply.body.bytes;
  } else if (reply.body !== undefined) ctx.body = reply.body;
}

export interface Routes {
  /** Answers requests for operations without path parameters by one Map lookup (O(1)). */
  dispatch: Middleware;
  /** Every operation, for paths with parameters and for 404/405 (mount `allowedMethods()` too). */
  router: Router;
}

/**
 * One route per operation of the spec, built once at start-up: rate limit (where the operation
 * has `x-rate-limit`), authentication per its `security`, body parsing, validation, then the
 * handler named by its operationId. Nothing is matched per request against the whole spec:
 * static paths are found in a Map, the rest by @koa/router.
 */
export function buildRoutes(deps: RouteDeps): Routes {
  // strict: `/me/` is not `/me` (a path the spec does not name is 404).
  const router = new Router({ strict: true });
  const exact = new Map<string, (ctx: Context) => Promise<void>>();
  const listener = deps.listener ?? 'api';
  for (const operation of deps.api.getOperations()) {
    if (listenerOf(deps.api, operation.path) !== listener) continue;
    const operationId = operation.operationId as OperationId;
    const handler = deps.handlers[operationId] as (input: HandlerInput<OperationId>) => Promise<Reply<OperationId>>;
    const authMode = authModeOf(operation, deps.api);
    const view = deps.callerViews?.[operationId] ?? 'account';
    const rule = rateLimitOf(operation, deps.api);
    if (rule && !(rule.limiter in deps.rateLimiters)) {
      // A misspelt name would silently leave the operation unlimited.
      throw new Error(`${operationId}: x-rate-limit names an unknown limiter "${rule.limiter}"`);
    }
    const limiter = rule && deps.rateLimiters[rule.limiter];
    const perIp = limiter && rule.per.includes('ip') ? limiter : undefined;
    const perUser = limiter && rule.per.includes('user') ? limiter : undefined;

    const validate = createRequestValidator(deps.api, operation);
    const idempotency = takesIdempotencyKey(operation) ? deps.idempotency : undefined;
    const path = mountPath(deps.api, operation);
    const method = operation.method.toUpperCase();
    const handle = async (ctx: Context): Promise<void> => {
      ctx.state.operationId = operationId;
      ctx.state.route = operation.path;
      if (perIp) await consumeOrReject(ctx, perIp, rateLimitKey(ctx.ip));
      // Awaited only where there is something to wait for: each await is a turn of the microtask queue.
      const checking = authenticateRequest(ctx, authMode, deps.authenticate, view);
      const caller = checking && (await checking);
      if (caller) ctx.state.userId = caller.userId;
      if (perUser && caller) await consumeOrReject(ctx, perUser, `user:${caller.userId}`);
      const body = sendsBody(ctx) ? await readBody(ctx, operation) : undefined;
      const { query, params } = validate(ctx, body);
      const input = new RequestInput(ctx, body, query, params, caller) as unknown as HandlerInput<OperationId>;
      const key = idempotency && ctx.get('idempotency-key');
      if (!idempotency || !key) return send(ctx, await handler(input));
      const outcome = await idempotency.run({ operationId, userId: caller?.userId, key, body }, async () => {
        const reply: { status: number; headers?: Record<string, string>; body?: unknown } = await handler(input);
        return { status: reply.status, headers: reply.headers ?? {}, body: reply.body };
      });
      send(ctx, outcome.reply);
      if (outcome.replayed) ctx.set('Idempotent-Replayed', 'true');
    };
    router.register(path, [method], handle);
    if (!path.includes(':')) {
      exact.set(`${method} ${path}`, handle);
      if (method === 'GET') exact.set(`HEAD ${path}`, handle);
    }
  }
  const dispatch: Middleware = (ctx, next) => {
    const handle = exact.get(`${ctx.method} ${ctx.path}`);
    return handle ? handle(ctx) : next();
  };
  return { dispatch, router };
}
