import type { Clock } from '../clock.js';
import { toIso } from '../clock.js';
import type { HandlerMap } from '../operations.js';
import { publicUserId } from '../users/identity.js';
import type { AuthService } from './auth.service.js';
import type { PasswordResetService } from './password-reset.service.js';
import type { RefreshResult, RefreshService } from './refresh.service.js';

/** The token fields login and refresh answer alike: the access token twice, and the refresh token. */
function tokenFields(result: RefreshResult, now: number) {
  return {
    code: 200 as const,
    token: result.token,
    access_token: result.token,
    token_type: 'bearer' as const,
    expires_in: result.claims.expiresAt - result.claims.issuedAt,
    refresh_token: result.refreshToken,
    refresh_expires_in: Math.max(0, Math.round((result.refreshExpiresAt - now) / 1000)),
  };
}

/** Login, refresh, logout, token check, sessions, password change and reset. */
export function createAuthHandlers(services: { auth: AuthService; refresh: RefreshService; passwordReset: PasswordResetService }, clock: Clock) {
  const { auth: service, refresh, passwordReset } = services;
  return {
    login: async ({ body, client }) => {
      const credentials = { username: body.username, password: body.password, totpCode: body.totp_code, recoveryCode: body.recovery_code };
      const result = await service.login(credentials, body.revoke_others === true, client);
      const { user } = result;
      return {
        status: 200,
        body: {
          ...tokenFields(result, clock()),
          user_info: { username: user.username, email: user.email, full_name: user.fullName, is_admin: user.isAdmin, email_verified: user.emailVerified },
        },
      };
    },

    refreshToken: async ({ body, client }) => ({ status: 200, body: tokenFields(await refresh.refresh(body.refresh_token, client), clock()) }),

    forgotPassword: async ({ body }) => {
      await passwordReset.forgot(body.email);
      return { status: 202, body: { message: 'If an account has this email address, a password reset link is on its way' } };
    },

    resetPassword: async ({ body, client }) => {
      await passwordReset.reset(body.token, body.new_password, client);
      return { status: 200, body: { message: 'Password has been reset' } };
    },

    logout: async ({ auth, client }) => ({
      status: 200,
      body: {
        message: 'Successfully logged out',
        details: { session_terminated: true, remaining_sessions: await service.logout(auth, client) },
      },
    }),

    verifyToken: async ({ auth }) => {
      const { user } = auth;
      return {
        status: 200,
        body: {
          token_status: 'valid',
          expires_in: Math.max(0, auth.expiresAt - Math.floor(clock() / 1000)),
          user_info: { username: user.username, user_id: publicUserId(user.id), is_admin: user.isAdmin, email_verified: user.emailVerified },
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
            last_used_at: toIso(s.lastUsedAt),
            user_agent: s.userAgent,
            ip_address: s.ipAddress,
            current: s.id === auth.sessionId,
          })),
        },
      };
    },

    revokeSession: async ({ auth, params, client }) => {
      await service.revokeSession(auth, params.session_id, client);
      return { status: 200, body: { message: 'Session revoked', session_id: params.session_id } };
    },

    changePassword: async ({ auth, body, client }) => {
      await service.changePassword(auth, body.current_password, body.new_password, client);
      return { status: 200, body: { message: 'Password changed successfully' } };
    },
  } satisfies Partial<HandlerMap>;
}
