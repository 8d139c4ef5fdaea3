import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { toIso } from '../clock.js';
import type { Db, Executor, Trx } from '../db/db.js';
import { Errors } from '../errors.js';
import { createOutboxRepository } from '../mail/outbox.repository.js';
import type { Composer } from '../mail/worker.js';
import { deviceKey, userAgentFamily } from './device.js';
import { createSecurityEventsRepository, type SecurityEvent, type SecurityEventType } from './security-events.repository.js';

export const NEW_SIGN_IN = 'new_sign_in';
export const NEW_SIGN_IN_TEMPLATE = 'new-sign-in';

/** Where and through which session an event happened; both optional (an operator, a mail link). */
export interface EventContext {
  client?: ClientInfo;
  sessionId?: string;
}

export interface EventPage {
  events: SecurityEvent[];
  nextCursor: string | null;
}

const CURSOR = /^v1:([1-9][0-9]{0,15})$/;

/** The opaque cursor of the page after the event `id`. */
function cursorAfter(id: number): string {
  return Buffer.from(`v1:${id}`, 'utf8').toString('base64url');
}

function idOfCursor(cursor: string): number {
  const match = CURSOR.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match) throw Errors.invalidCursor();
  return Number(match[1]);
}

export type SecurityLog = ReturnType<typeof createSecurityLog>;

/**
 * The security log of each account (docs/security.md): events written by the services in the
 * transaction of the change they record, read back a page at a time, kept `retentionMs`.
 * A login from a device (user agent family and network) the account has not logged in from
 * within that window queues a "new sign-in" mail, in the login's transaction.
 */
export function createSecurityLog(deps: {
  db: Db;
  clock: Clock;
  retentionMs: number;
  appUrl: string;
  /** The account's name and address as they are now (undefined once it is gone). */
  accountOf: (userId: number, exec: Executor) => Promise<{ username: string; email: string } | undefined>;
}) {
  const { clock, retentionMs } = deps;
  const events = createSecurityEventsRepository(deps.db);
  const outbox = createOutboxRepository(deps.db);

  async function record(exec: Executor, userId: number, type: SecurityEventType, context: EventContext = {}, now = clock()): Promise<void> {
    const { client, sessionId } = context;
    await events.insert(
      {
        userId,
        type,
        occurredAt: now,
        ipAddress: client?.ip.slice(0, 45) ?? null,
        userAgent: client?.userAgent?.slice(0, 512) ?? null,
        sessionId: sessionId ?? null,
        device: client && type === 'login_succeeded' ? deviceKey(client.userAgent, client.ip) : null,
      },
      exec,
    );
  }

  /** Mints nothing: tells the account's current address where and when it was signed in to. */
  const compose: Composer = async (job, trx) => {
    const account = job.userId === null ? undefined : await deps.accountOf(job.userId, trx);
    if (!account) return { drop: 'the account is gone' };
    return {
      to: account.email,
      template: NEW_SIGN_IN_TEMPLATE,
      vars: {
        username: account.username,
        time: job.payload.time ?? '',
        device: job.payload.device ?? '',
        ip: job.payload.ip ?? '',
        link: `${deps.appUrl}/security`,
      },
    };
  };

  return {
    record,
    compose,

    /**
     * Records a login in its transaction; from a device the account has not logged in from
     * within the retention window, also queues the new sign-in mail (not for an account's
     * very first login).
     */
    async recordLogin(trx: Trx, login: { userId: number; sessionId: string; client: ClientInfo; firstLogin: boolean; now: number }): Promise<void> {
      const { userId, client, now } = login;
      const known = await events.knownDevice(userId, deviceKey(client.userAgent, client.ip), now - retentionMs, trx);
      await record(trx, userId, 'login_succeeded', { client, sessionId: login.sessionId }, now);
      if (known || login.firstLogin) return;
      const payload = { time: toIso(now), device: userAgentFamily(client.userAgent), ip: client.ip };
      await outbox.enqueue({ kind: NEW_SIGN_IN, userId, payload }, now, trx);
    },

    /** A page of the user's events, newest first; `cursor` is a page's `nextCursor` (400 when it is not one). */
    async page(userId: number, limit: number, cursor?: string): Promise<EventPage> {
      const beforeId = cursor === undefined ? undefined : idOfCursor(cursor);
      const found = await events.page(userId, limit + 1, beforeId);
      const shown = found.slice(0, limit);
      const last = shown[shown.length - 1];
      return { events: shown, nextCursor: found.length > limit && last ? cursorAfter(last.id) : null };
    },

    /** Every event of the user, newest first (the export). */
    all: (userId: number, exec?: Executor) => events.allOf(userId, exec),

    /** Deletes the events older than the retention window (run periodically by the server). */
    purge: () => events.purgeBefore(clock() - retentionMs),
  };
}
