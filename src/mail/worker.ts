import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { type Db, type Trx, transaction } from '../db/db.js';
import type { Logger } from '../log.js';
import type { MailJob, OutboxRepository } from './outbox.repository.js';
import type { Templates, TemplateVars } from './templates.js';
import { isPermanentFailure, type MailTransport } from './transport.js';

/** What a queued mail turns into when it is sent: a rendered template, or nothing to send any more. */
export type Composed =
  | {
      to: string;
      template: string;
      vars: TemplateVars;
      /** Undoes what composing made (a minted token) when the mail could not be sent. */
      discard?: () => Promise<void>;
    }
  | { drop: string };

/**
 * Turns a job into a mail inside the worker's transaction: reads the account as it is now and
 * makes the token the mail carries, so that no usable token waits in the outbox.
 */
export type Composer = (job: MailJob, trx: Trx, now: number) => Promise<Composed>;

export interface WorkerOptions {
  /** How often due mails are looked for. */
  pollMs: number;
  /** How long a claimed mail is held before another instance may take it over. */
  leaseMs: number;
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`. */
  retryBaseMs: number;
  maxDelayMs: number;
  /** A mail still not sent this long after it was queued is given up. */
  maxAgeMs: number;
}

export const DEFAULT_WORKER_OPTIONS: WorkerOptions = {
  pollMs: 1000,
  leaseMs: 60_000,
  retryBaseMs: 2000,
  maxDelayMs: 10 * 60_000,
  maxAgeMs: 24 * 60 * 60_000,
};

const BATCH = 20;

/** A job's mail superseded while it was being composed: roll the composition back. */
class Superseded extends Error {}

export type OutboxWorker = ReturnType<typeof createOutboxWorker>;

/**
 * The outbox worker of one instance: takes due mails one claim at a time, composes and sends
 * each, and marks it sent; a failed attempt is retried with exponential backoff (and jitter),
 * a 5xx refusal or a mail older than `maxAgeMs` is given up. A crash between the claim and
 * the end leaves the mail to be taken again when the lease runs out, by this instance or
 * another; a mail the SMTP server accepted just before such a crash may then go out twice.
 */
export function createOutboxWorker(deps: {
  db: Db;
  outbox: OutboxRepository;
  transport: MailTransport;
  templates: Templates;
  composers: Record<string, Composer>;
  clock: Clock;
  logger: Logger;
  options?: Partial<WorkerOptions>;
}) {
  const { db, outbox, transport, templates, composers, clock, logger } = deps;
  const options = { ...DEFAULT_WORKER_OPTIONS, ...deps.options };
  const claimId = randomUUID();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = true;

  function retryDelay(attempts: number): number {
    const exponential = Math.min(options.retryBaseMs * 2 ** Math.max(0, attempts - 1), options.maxDelayMs);
    return Math.round(exponential * (0.5 + Math.random() / 2));
  }

  async function compose(job: MailJob, composer: Composer): Promise<Composed | undefined> {
    try {
      return await transaction(db, async (trx) => {
        const now = clock();
        const composed = await composer(job, trx, now);
        if (!(await outbox.renew(job.id, claimId, now, options.leaseMs, trx))) throw new Superseded();
        return composed;
      });
    } catch (err) {
      if (err instanceof Superseded) return undefined;
      throw err;
    }
  }

  async function deliver(job: MailJob): Promise<void> {
    const composer = composers[job.kind];
    if (!composer) {
      await outbox.finish(job.id, claimId, 'failed', clock(), `no composer for kind ${job.kind}`);
      return;
    }
    let composed: Composed | undefined;
    try {
      composed = await compose(job, composer);
      if (composed === undefined) return;
      if ('drop' in composed) {
        await outbox.finish(job.id, claimId, 'dropped', clock(), composed.drop);
        return;
      }
      await transport.send(templates.render(composed.template, composed.to, composed.vars));
    } catch (err) {
      if (composed && !('drop' in composed)) await composed.discard?.().catch(() => undefined);
      const message = err instanceof Error ? err.message : String(err);
      const now = clock();
      const giveUp = isPermanentFailure(err) || now - job.createdAt >= options.maxAgeMs;
      logger.warn({ mailId: job.id, kind: job.kind, attempt: job.attempts, giveUp, error: message }, 'mail delivery failed');
      if (giveUp) await outbox.finish(job.id, claimId, 'failed', now, message);
      else await outbox.retryLater(job.id, claimId, now + retryDelay(job.attempts), message);
      return;
    }
    await outbox.finish(job.id, claimId, 'sent', clock());
    logger.info({ mailId: job.id, kind: job.kind, attempt: job.attempts }, 'mail sent');
  }

  /** Sends every mail due now (that no other instance holds); resolves to how many were taken. */
  async function runOnce(): Promise<number> {
    let taken = 0;
    for (const id of await outbox.due(clock(), BATCH)) {
      const job = await outbox.claim(id, claimId, clock(), options.leaseMs);
      if (!job) continue;
      taken += 1;
      await deliver(job);
    }
    return taken;
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      running = runOnce()
        .catch((err: unknown) => {
          logger.warn({ err }, 'mail outbox pass failed');
          return 0;
        })
        .finally(schedule);
    }, options.pollMs);
    timer.unref();
  }

  return {
    runOnce,
    /** Looks for due mails every `pollMs` until stopped. */
    start(): void {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    /** Stops looking and waits for the pass under way; mails not yet taken stay queued. */
    async stop(): Promise<void> {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
