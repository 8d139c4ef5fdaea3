import { toIso } from '../clock.js';
import type { HandlerMap } from '../operations.js';
import type { SecurityEvent } from './security-events.repository.js';
import type { SecurityLog } from './security-log.js';

const DEFAULT_PAGE = 20;

/** An event as the API shows it (the log and the export). */
export function securityEventView(e: SecurityEvent) {
  return { id: e.id, type: e.type, occurred_at: toIso(e.occurredAt), ip_address: e.ipAddress, user_agent: e.userAgent, session_id: e.sessionId };
}

/** The caller's security log. */
export function createSecurityHandlers(securityLog: SecurityLog) {
  return {
    listSecurityEvents: async ({ auth, query }) => {
      const page = await securityLog.page(auth.userId, query.limit ?? DEFAULT_PAGE, query.cursor);
      return {
        status: 200,
        body: {
          events: page.events.map(securityEventView),
          next_cursor: page.nextCursor,
        },
      };
    },
  } satisfies Partial<HandlerMap>;
}
