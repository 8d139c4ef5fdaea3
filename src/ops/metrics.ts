import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Clock } from '../clock.js';
import { conflictStats, type Db } from '../db/db.js';
import { RequestDurations } from './durations.js';

interface PoolStats {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

export type Metrics = ReturnType<typeof createMetrics>;

/** How long a scrape reuses the active session count: it is a COUNT over all sessions. */
export const SESSION_COUNT_MAX_AGE_MS = 15_000;

/**
 * The service's Prometheus metrics, in a registry of its own (several apps can live in one
 * process, as in the tests). The session gauge is read from the database at scrape time, at
 * most every SESSION_COUNT_MAX_AGE_MS, so frequent scrapes cost the database nothing more.
 */
export function createMetrics(db: Db, countActiveSessions: () => Promise<number>, clock: Clock = Date.now) {
  let sessionCount: { value: number; readAt: number } | undefined;
  async function cachedSessionCount(): Promise<number> {
    const now = clock();
    if (!sessionCount || now - sessionCount.readAt >= SESSION_COUNT_MAX_AGE_MS) sessionCount = { value: await countActiveSessions(), readAt: now };
    return sessionCount.value;
  }
  const durations = new RequestDurations();
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  new Counter({
    name: 'http_requests_total',
    help: 'Requests answered, by operation and status.',
    labelNames: ['operation', 'status'] as const,
    registers: [registry],
    // Counted by `observe` in the series themselves and copied at scrape time: an `inc` per request would hash the labels again.
    collect() {
      this.reset();
      for (const { labels, count } of durations.all()) this.inc(labels, count);
    },
  });
  const logins = new Counter({
    name: 'logins_total',
    help: 'Logins that reached the credential check, by outcome (success or the error identifier).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'active_sessions',
    help: 'Sessions neither revoked nor expired.',
    registers: [registry],
    async collect() {
      this.set(await cachedSessionCount());
    },
  });
  // The conflicts `transaction` met (deadlocks, failed certifications),
  // the reruns they caused, and those still failing after the last attempt (503s).
  const conflicts = conflictStats(db);
  for (const [name, help, value] of [
    ['db_transaction_conflicts_total', 'Transactions the database rolled back for a conflict.', () => conflicts.conflicts],
    ['db_transaction_retries_total', 'Transactions run again after a conflict.', () => conflicts.retries],
    ['db_transaction_conflicts_exhausted_total', 'Transactions that still conflicted on their last attempt.', () => conflicts.exhausted],
  ] as const) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value());
      },
    });
  }
  new Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (used, free, pending acquires).',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const pool = (db.client as { pool?: PoolStats }).pool;
      if (!pool) return;
      this.set({ state: 'used' }, pool.numUsed());
      this.set({ state: 'free' }, pool.numFree());
      this.set({ state: 'pending' }, pool.numPendingAcquires());
    },
  });

  return {
    /** Records one answered request. */
    observe(operation: string, status: number, seconds: number): void {
      durations.observe(operation, status, seconds);
    },
    /** Counts a login's outcome: `success`, or the identifier of the error it answered. */
    countLogin(outcome: string): void {
      logins.inc({ outcome });
    },
    render: async () => (await registry.metrics()) + durations.render('http_request_duration_seconds', 'Time to answer, by operation and status.'),
    /** The Prometheus text format's media type. */
    contentType: registry.contentType,
  };
}
