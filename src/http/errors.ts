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
 * The one place errors become responses: the `{code, text}` envelope (plus `errors` for
 * validation), never a stack trace, SQL text or driver message. Also tags each request with an
 * id (X-Request-Id, accepted when well-formed, else generated) so a 5xx log line can be found.
 */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next): Promise<void> => {
    const given = ctx.get('x-request-id');
    ctx.state.requestId = REQUEST_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', ctx.state.requestId);
    try {
      await next();
      // The router answers unknown paths (404) and known paths with another method (405,
      // with Allow) without a body: give them the envelope too.
      if (ctx.body == null && ctx.status === 404) throw Errors.routeNotFound();
      if (ctx.body == null && ctx.status === 405) throw Errors.methodNotAllowed(ctx.response.get('Allow'));
      if (ctx.body == null && ctx.status === 501) throw Errors.notImplemented();
    } catch (err) {
      const error = toAppError(err);
      if (error.status >= 500) {
        logger.error({ err, requestId: ctx.state.requestId, operationId: ctx.state.operationId }, 'request failed');
      }
      ctx.status = error.status;
      if (error.headers) ctx.set(error.headers);
      ctx.body = envelope(error);
    }
  };
}
