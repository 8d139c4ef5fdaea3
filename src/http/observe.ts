import type { Context, Next } from 'koa';
import { type Logger, requestLineWriter } from '../log.js';
import { answerRouterVerdict, answerThrown, tagRequest } from './errors.js';

export interface ObserveDeps {
  logger: Logger;
  /** Records one answered request in the metrics. */
  answered: (operation: string, status: number, seconds: number) => void;
  /** True once the server is stopping. */
  isShuttingDown: () => boolean;
}

/**
 * The outermost middleware of the API: the request id, errors answered in the envelope, the
 * headers every answer carries, and one log line and one metrics sample per request (method,
 * route template, status, duration, request id, user id). One async function rather than one
 * middleware each: every layer is a promise and a turn of the microtask queue per request.
 * Bodies are never logged, so passwords, tokens and health answers cannot reach the log.
 */
export function observeRequests({ logger, answered, isShuttingDown }: ObserveDeps) {
  const writeLine = requestLineWriter(logger);
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = process.hrtime.bigint();
    tagRequest(ctx);
    // While shutting down, no connection is kept alive: a client must not send its next
    // request on a socket the server is about to close.
    if (isShuttingDown()) ctx.set('Connection', 'close');
    try {
      await next();
      answerRouterVerdict(ctx);
    } catch (err) {
      answerThrown(ctx, err, logger);
    }
    ctx.set('X-Content-Type-Options', 'nosniff');
    // Answers carry personal data or credentials; only public reference data may be cached
    // (and then revalidated through its ETag).
    if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const operation = (ctx.state.operationId as string | undefined) ?? 'unmatched';
    answered(operation, ctx.status, seconds);
    writeLine({
      requestId: ctx.state.requestId,
      method: ctx.method,
      route: ctx.state.route ?? 'unmatched',
      operation,
      status: ctx.status,
      durationMs: Math.round(seconds * 1e5) / 100,
      userId: ctx.state.userId,
    });
  };
}
