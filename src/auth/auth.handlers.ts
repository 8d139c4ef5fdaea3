import { toIso } from '../clock.js';
import type { Clock } from '../clock.js';
import type { HandlerMap } from '../http/types.js';
import { publicUserId } from '../users/identity.js';
import type { AuthService } from './auth.service.js';

/** Login, logout, token check, sessions and password change. */
export function createAuthHandlers(service: AuthService, clock: Clock) {
  return {
    login: async ({ body, client }) => {
      const { token, claims, user } = await service.login(body.username, body.password, body.revoke_others === true, client);
      return {
        status: 200,
        body: {
          code: 200,
          token,
          access_token: token,
          token_type: 'bearer',
          expires_in: claims.expiresAt - claims.issuedAt,
          user_info: { username: user.username, email: user.email, full_name: user.fullName, is_admin: user.isAdmin },
        },
      };
    },

    logout: async ({ auth }) => ({
      status: 200,
      body: {
        message: 'Successfully logged out',
        details: { session_terminated: true, remaining_sessions: await service.logout(auth) },
      },
    }),

    verifyToken: async ({ auth }) => {
      const { user } = auth;
      return {
        status: 200,
        body: {
          token_status: 'valid',
          expires_in: Math.max(0, auth.expiresAt - Math.floor(clock() / 1000)),
          user_info: { username: user.username, user_id: publicUserId(user.id), is_admin: user.isAdmin },
          token_metadata: { issued_at: toIso(auth.issuedAt * 1000), expires_at: toIso(auth.expiresAt * 1000) },
        },
      };
    },

    listActiveSessions: async ({ auth }) => {
      const sessions = await service.listSessions(auth);
      return {
        status: 200,
        body: {
          sessions: sessions.map((s) => ({
            session_id: s.id,
            token: `${s.tokenPrefix}...`,
            created_at: toIso(s.createdAt),
            expires_at: toIso(s.expiresAt),
            user_agent: s.userAgent,
            ip_address: s.ipAddress,
            current: s.id === auth.sessionId,
          })),
        },
      };
    },

    revokeSession: async ({ auth, params }) => {
      await service.revokeSession(auth, params.session_id);
      return { status: 200, body: { message: 'Session revoked', session_id: params.session_id } };
    },

    changePassword: async ({ auth, body }) => {
      await service.changePassword(auth, body.current_password, body.new_password);
      return { status: 200, body: { message: 'Password changed successfully' } };
    },
  } satisfies Partial<HandlerMap>;
}
