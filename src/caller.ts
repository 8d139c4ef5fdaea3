import type { Person } from './profile/profile.repository.js';
import type { User } from './users/users.repository.js';

/** Who sent a request, as far as the service can tell. */
export interface ClientInfo {
  ip: string;
  userAgent: string | undefined;
}

/** What an authenticated request reads about its caller with the session check: the account, or the whole person. */
export type CallerView = 'account' | 'person';

export interface Caller {
  user: User;
  /** With the 'person' view: also the settings and questionnaire. */
  person?: Person;
}

/** The caller identified by a valid bearer token and its live session, as read with the session check. */
export interface AuthContext extends Caller {
  userId: number;
  sessionId: string;
  issuedAt: number;
  expiresAt: number;
}
