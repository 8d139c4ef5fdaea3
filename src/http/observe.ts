import type { Context, Next } from 'koa';
import { type Logger, requestLineLogger } from '../log.js';

/**
 * The outermost middleware: one log line and one metrics sample per request (method, route
 * template, status, duration, request id, user id), and the headers every answer carries.
 * Bodies are never logged, so passwords, tokens and health answers cannot reach the log.
 */
export function observeRequests(logger: Logger, answered: (operation: string, status: number, seconds: number) => void) {
  const requestLog = requestLineLogger(logger);
  return async (ctx: Context, next: Next): Promise<void> => {
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      ctx.set('X-Content-Type-Options', 'nosniff');
      // Answers carry personal data or credentials; only public reference data may be cached
      // (and then revalidated through its ETag).
      if (!ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'no-store');
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const operation = (ctx.state.operationId as string | undefined) ?? 'unmatched';
      answered(operation, ctx.status, seconds);
      requestLog.info(
        {
          requestId: ctx.state.requestId,
          method: ctx.method,
          route: ctx.state.route ?? 'unmatched',
          operation,
          status: ctx.status,
          durationMs: Math.round(seconds * 1e5) / 100,
          userId: ctx.state.userId,
        },
        'request',
      );
    }
  };
}
