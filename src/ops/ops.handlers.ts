import type { Db } from '../db/db.js';
import { Errors } from '../errors.js';
import type { HandlerMap } from '../operations.js';
import type { Metrics } from './metrics.js';

/** Liveness, readiness and metrics for operators. */
export function createOpsHandlers(deps: { db: Db; metrics: Metrics; isShuttingDown: () => boolean }) {
  return {
    getHealth: async () => ({ status: 200, body: { status: 'ok' } }),

    getReadiness: async () => {
      if (deps.isShuttingDown()) throw Errors.serviceUnavailable();
      await deps.db.raw('select 1');
      return { status: 200, body: { status: 'ready' } };
    },

    getMetrics: async () => ({ status: 200, body: await deps.metrics.render(), headers: { 'Content-Type': deps.metrics.contentType } }),
  } satisfies Partial<HandlerMap>;
}
