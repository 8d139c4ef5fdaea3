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
 * The router's verdict on a request it found no operation for, as the error to answer: an
 * unknown path (404), a known path with another method (405, with Allow), or a method it does
 * not implement at all, such as PROPFIND (501). It answers these without a body.
 */
function routerVerdict(ctx: Context): AppError | undefined {
  if (ctx.body != null) return undefined;
  if (ctx.status === 404) return Errors.routeNotFound();
  if (ctx.status === 405) return Errors.methodNotAllowed(ctx.response.get('Allow'));
  if (ctx.status === 501) return Errors.notImplemented();
  return undefined;
}

function answer(ctx: Context, error: AppError): void {
  ctx.status = error.status;
  if (error.headers) ctx.set(error.headers);
  ctx.body = envelope(error);
}

/**
 * The one place errors become responses: the `{code, text}` envelope (plus `errors` for
 * validation), never a stack trace, SQL text or driver message. Also tags each request with an
 * id (X-Request-Id, accepted when well-formed, else generated) so a 5xx log line can be found.
 * A 5xx thrown while handling a request is a fault of ours and logged at error with its stack;
 * the router's verdicts describe the client's request (a 501 for an unknown method too) and
 * only show in the request's own line, at info.
 */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const given = ctx.get('x-request-id');
    ctx.state.requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
    } catch (err) {
      const error = toAppError(err);
      if (error.status >= 500) {
        logger.error({ err, requestId: ctx.state.requestId, operationId: ctx.state.operationId }, 'request failed');
      }
      answer(ctx, error);
      return;
    }
    const verdict = routerVerdict(ctx);
    if (verdict) answer(ctx, verdict);
  };
}
