import type { components } from '../../generated/api.js';
import { toIso } from '../clock.js';
import type { HandlerMap } from '../operations.js';
import { settingsView } from '../profile/profile.handlers.js';
import { securityEventView } from '../security/security.handlers.js';
import { publicUserId } from '../users/identity.js';
import { workoutView } from '../workouts/workouts.handlers.js';
import type { AccountDeletion } from './account-deletion.js';
import type { AccountExport } from './account-export.js';

type Exported = Awaited<ReturnType<AccountExport['export']>>;

const isoOrNull = (ms: number | null) => (ms === null ? null : toIso(ms));

/** The export document: every field named here, so no hash, token or secret can slip in. */
function exportView(data: Exported): components['schemas']['AccountExport'] {
  const { user, settings, training } = data.person;
  return {
    format: 'fitness-account-export/1',
    exported_at: toIso(data.exportedAt),
    account: {
      id: publicUserId(user.id),
      username: user.username,
      email: user.email,
      email_verified: user.emailVerified,
      full_name: user.fullName,
      account_status: user.accountStatus,
      plan: user.plan,
      avatar: user.avatar,
      bio: user.bio,
      tags: user.tags,
      country: user.country,
      created_at: toIso(user.createdAt),
      updated_at: toIso(user.updatedAt),
      last_login: isoOrNull(user.lastLogin),
      two_factor_enabled: data.twoFactorEnabled,
    },
    settings: settingsView(settings),
    ...(training ? { training_profile: training.profile } : {}),
    workouts: data.workouts.map(workoutView),
    sessions: data.sessions.map((s) => ({
      session_id: s.id,
      created_at: toIso(s.createdAt),
      expires_at: toIso(s.expiresAt),
      last_used_at: toIso(s.lastUsedAt),
      revoked_at: isoOrNull(s.revokedAt),
      user_agent: s.userAgent,
      ip_address: s.ipAddress,
    })),
    security_events: data.events.map(securityEventView),
  };
}

/** Taking one's data and deleting one's account. */
export function createPrivacyHandlers(services: { deletion: AccountDeletion; exporter: AccountExport }) {
  return {
    deleteMe: async ({ auth, body, client }) => {
      await services.deletion.delete(auth, body.password, { totp: body.totp_code, recovery: body.recovery_code }, client);
      return { status: 200, body: { message: 'Account deleted' } };
    },

    exportMe: async ({ auth, client }) => {
      const data = await services.exporter.export(auth.userId, auth.sessionId, client);
      // Usernames are letters, digits and underscores: safe in a quoted filename as they are.
      const filename = `fitness-account-${auth.user.username}-${toIso(data.exportedAt).slice(0, 10)}.json`;
      return { status: 200, body: exportView(data), headers: { 'Content-Disposition': `attachment; filename="${filename}"` } };
    },
  } satisfies Partial<HandlerMap>;
}
