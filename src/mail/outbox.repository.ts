import { type Db, type Executor, firstRow, limitTo } from '../db/db.js';

/** A queued mail: what to send (its kind), about whom, to which address. */
export interface MailJob {
  id: number;
  kind: string;
  userId: number | null;
  address: string | null;
  /** What the mail tells beyond who it is for (never a token). */
  payload: Record<string, string>;
  attempts: number;
  createdAt: number;
}

export interface NewMailJob {
  kind: string;
  userId?: number;
  address?: string;
  payload?: Record<string, string>;
}

/**
 * pending: waiting or being sent; sent; dropped (nothing to send any more, e.g. no account has
 * the address); superseded (a newer mail of the kind replaced it); failed (gave up).
 */
export type MailStatus = 'pending' | 'sent' | 'dropped' | 'superseded' | 'failed';

interface OutboxRow {
  id: number;
  kind: string;
  user_id: number | null;
  address: string | null;
  payload: string | null;
  attempts: number;
  created_at: number | string;
}

function toJob(row: OutboxRow): MailJob {
  return {
    id: Number(row.id),
    kind: row.kind,
    userId: row.user_id === null ? null : Number(row.user_id),
    address: row.address,
    payload: row.payload === null ? {} : (JSON.parse(row.payload) as Record<string, string>),
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;

/**
 * The mail outbox. Rows are written in the transaction of the change they tell of, and sent by
 * the worker of any instance: a row is taken with a conditional UPDATE of its claim (exactly
 * one claimer wins), held for a lease, and given back or finished by the claim's holder only.
 */
export function createOutboxRepository(db: Db) {
  const mine = (exec: Executor, id: number, claimId: string) => exec('mail_outbox').where({ id, claim_id: claimId });
  return {
    async enqueue(job: NewMailJob, now: number, exec: Executor = db): Promise<void> {
      await exec('mail_outbox').insert({
        kind: job.kind,
        user_id: job.userId ?? null,
        address: job.address ?? null,
        payload: job.payload === undefined ? null : JSON.stringify(job.payload),
        status: 'pending',
        available_at: now,
        created_at: now,
      });
    },

    /** Deletes every mail row about the user (the account is being deleted). */
    async deleteOf(userId: number, exec: Executor = db): Promise<void> {
      await exec('mail_outbox').where({ user_id: userId }).delete();
    },

    /** Marks the user's pending mails of this kind superseded: a newer one replaces them. */
    async supersede(userId: number, kind: string, exec: Executor = db): Promise<void> {
      await exec('mail_outbox').where({ user_id: userId, kind, status: 'pending' }).update({ status: 'superseded' });
    },

    /** Ids of pending mails due now and not held by a live claim, oldest first. */
    async due(now: number, limit: number): Promise<number[]> {
      const due = db('mail_outbox')
        .where({ status: 'pending' })
        .andWhere('available_at', '<=', now)
        .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
        .orderBy([{ column: 'available_at' }, { column: 'id' }]);
      const rows = await limitTo(due, limit).select<{ id: number }[]>('id');
      return rows.map((r) => Number(r.id));
    },

    /** Takes the mail for `leaseMs` if it is still due and unclaimed; undefined when another claimer was first. */
    async claim(id: number, claimId: string, now: number, leaseMs: number): Promise<MailJob | undefined> {
      const taken = await db('mail_outbox')
        .where({ id, status: 'pending' })
        .andWhere('available_at', '<=', now)
        .andWhere((q) => q.whereNull('claimed_until').orWhere('claimed_until', '<', now))
        .update({ claim_id: claimId, claimed_until: now + leaseMs, attempts: db.raw('attempts + 1') });
      if (taken === 0) return undefined;
      const row: OutboxRow | undefined = await firstRow(mine(db, id, claimId));
      return row && toJob(row);
    },

    /**
     * Extends the claim, only while the mail is still pending and held by this claim: false
     * when it was superseded meanwhile (it writes the row, so it conflicts with a supersede).
     */
    async renew(id: number, claimId: string, now: number, leaseMs: number, exec: Executor = db): Promise<boolean> {
      return (
        (await mine(exec, id, claimId)
          .andWhere({ status: 'pending' })
          .update({ claimed_until: now + leaseMs })) > 0
      );
    },

    /** Ends the claim with a final status. */
    async finish(id: number, claimId: string, status: Exclude<MailStatus, 'pending'>, now: number, error?: string): Promise<void> {
      await mine(db, id, claimId).update({
        status,
        sent_at: status === 'sent' ? now : null,
        claim_id: null,
        claimed_until: null,
        last_error: error?.slice(0, 300) ?? null,
      });
    },

    /** Gives the claim back, to be tried again from `availableAt`. */
    async retryLater(id: number, claimId: string, availableAt: number, error: string): Promise<void> {
      await mine(db, id, claimId).update({ available_at: availableAt, claim_id: null, claimed_until: null, last_error: error.slice(0, 300) });
    },

    /** Deletes finished mails created before `before`. */
    async purgeFinished(before: number): Promise<number> {
      return db('mail_outbox').whereNot({ status: 'pending' }).andWhere('created_at', '<', before).delete();
    },
  };
}
