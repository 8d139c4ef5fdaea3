import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import { isDatabaseUnavailable } from '../db/errors.js';
import { AppError, Errors, envelope } from '../errors.js';
import type { Logger } from '../log.js';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** Maps anything thrown to the AppError the client sees; unknown errors become a bare 500. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (isDatabaseUnavailable(err)) return Errors.serviceUnavailable();
  return Errors.internal();
}

/**
 * Tags the request with an id (X-Request-Id, accepted when well-formed, else generated), so that
 * a 5xx log line can be found from the answer. Only the characters of REQUEST_ID get through, so
 * the id needs no escaping in a log line.
 */
export function tagRequest(ctx: Context): void {
  const given = ctx.get('x-request-id');
  ctx.state.requestId = REQUEST_ID.test(given) ? given : randomUUID();
  ctx.set('X-Request-Id', ctx.state.requestId);
}

function answer(ctx: Context, error: AppError): void {
  ctx.status = error.status;
  if (error.headers) ctx.set(error.headers);
  ctx.body = envelope(error);
}

/**
 * Answers what a request threw in the `{code, text}` envelope (plus `errors` for validation),
 * never a stack trace, SQL text or driver message. A 5xx is a fault of ours and logged at error
 * with its stack.
 */
export function answerThrown(ctx: Context, err: unknown, logger: Logger): void {
  const error = toAppError(err);
  if (error.status >= 500) {
    logger.error({ err, requestId: ctx.state.requestId, operationId: ctx.state.operationId }, 'request failed');
  }
  answer(ctx, error);
}

/**
 * Answers the router's verdict on a request it found no operation for, in the envelope: an
 * unknown path (404), a known path with another method (405, with Allow), or a method it does
 * not implement at all, such as PROPFIND (501). These describe the client's request, so they
 * only show in the request's own line, at info.
 */
export function answerRouterVerdict(ctx: Context): void {
  if (ctx.body != null) return;
  if (ctx.status === 404) answer(ctx, Errors.routeNotFound());
  else if (ctx.status === 405) answer(ctx, Errors.methodNotAllowed(ctx.response.get('Allow')));
  else if (ctx.status === 501) answer(ctx, Errors.notImplemented());
}

/** The one place errors become responses, for a listener without the request observer (metrics). */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    tagRequest(ctx);
    try {
      await next();
      answerRouterVerdict(ctx);
    } catch (err) {
      answerThrown(ctx, err, logger);
    }
  };
}
