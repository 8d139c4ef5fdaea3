import { type Db, type Executor, firstRow, limitTo } from '../db/db.js';

export const SECURITY_EVENT_TYPES = [
  'login_succeeded',
  'login_failed',
  'logout',
  'session_revoked',
  'password_changed',
  'password_reset',
  'email_verification_sent',
  'email_verified',
  'email_changed',
  'refresh_token_reuse_detected',
  'two_factor_enabled',
  'two_factor_disabled',
  'account_exported',
] as const;

export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number];

export interface SecurityEvent {
  id: number;
  userId: number;
  type: SecurityEventType;
  occurredAt: number;
  ipAddress: string | null;
  userAgent: string | null;
  sessionId: string | null;
}

export interface NewSecurityEvent extends Omit<SecurityEvent, 'id'> {
  device: string | null;
}

interface EventRow {
  id: number;
  user_id: number;
  type: string;
  occurred_at: number | string;
  ip_address: string | null;
  user_agent: string | null;
  session_id: string | null;
}

function toEvent(row: EventRow): SecurityEvent {
  return {
    id: Number(row.id),
    userId: Number(row.user_id),
    type: row.type as SecurityEventType,
    occurredAt: Number(row.occurred_at),
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    sessionId: row.session_id,
  };
}

export type SecurityEventsRepository = ReturnType<typeof createSecurityEventsRepository>;

/** The security log of every account; rows go with their user. */
export function createSecurityEventsRepository(db: Db) {
  return {
    async insert(event: NewSecurityEvent, exec: Executor = db): Promise<void> {
      await exec('security_events').insert({
        user_id: event.userId,
        type: event.type,
        occurred_at: event.occurredAt,
        ip_address: event.ipAddress,
        user_agent: event.userAgent,
        session_id: event.sessionId,
        device: event.device,
      });
    },

    /** Up to `limit` events of the user, newest first, older than the event `beforeId` when given. */
    async page(userId: number, limit: number, beforeId?: number, exec: Executor = db): Promise<SecurityEvent[]> {
      const query = exec<EventRow>('security_events').where({ user_id: userId });
      if (beforeId !== undefined) query.andWhere('id', '<', beforeId);
      const rows = await limitTo(query.orderBy('id', 'desc'), limit);
      return rows.map(toEvent);
    },

    /** Every event of the user, newest first. */
    async allOf(userId: number, exec: Executor = db): Promise<SecurityEvent[]> {
      const rows = await exec<EventRow>('security_events').where({ user_id: userId }).orderBy('id', 'desc');
      return rows.map(toEvent);
    },

    /** Whether the user logged in from `device` since `since`. */
    async knownDevice(userId: number, device: string, since: number, exec: Executor = db): Promise<boolean> {
      const logins = exec('security_events').where({ user_id: userId, device, type: 'login_succeeded' }).andWhere('occurred_at', '>=', since);
      const row = await firstRow(logins.select('id'));
      return row !== undefined;
    },

    /** Deletes the events that happened before `before`. */
    async purgeBefore(before: number): Promise<number> {
      return db('security_events').where('occurred_at', '<', before).delete();
    },
  };
}
