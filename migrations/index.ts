import type { Knex } from 'knex';
import * as createUsers from './20261123000001_create_users.js';
import * as createSessions from './20261123000002_create_sessions.js';
import * as createUserSettings from './20261123000003_create_user_settings.js';
import * as createTrainingProfiles from './20261123000004_create_training_profiles.js';
import * as createWorkouts from './20261123000005_create_workouts.js';
import * as createRateLimits from './20261123000006_create_rate_limits.js';
import * as addSessionRefresh from './20261201000001_add_session_refresh.js';
import * as createSpentRefreshTokens from './20261201000002_create_spent_refresh_tokens.js';
import * as addEmailVerified from './20261201000003_add_email_verified.js';
import * as createUserTokens from './20261201000004_create_user_tokens.js';
import * as createMailOutbox from './20261201000005_create_mail_outbox.js';
import * as addLoginCount from './20261201000006_add_login_count.js';
import * as createSecurityEvents from './20261201000007_create_security_events.js';
import * as addMailPayload from './20261201000008_add_mail_payload.js';
import * as createTwoFactor from './20261201000009_create_two_factor.js';
import * as createTrainingLog from './20261201000010_create_training_log.js';
import * as addWriteVersions from './20261201000011_add_write_versions.js';
import * as createIdempotencyKeys from './20261201000012_create_idempotency_keys.js';
import * as createWorkoutSummaries from './20261201000013_create_workout_summaries.js';

/** Every migration by name, in the order they run. Add new ones here. */
export const migrations: Record<string, Knex.Migration> = {
  '20261123000001_create_users': createUsers,
  '20261123000002_create_sessions': createSessions,
  '20261123000003_create_user_settings': createUserSettings,
  '20261123000004_create_training_profiles': createTrainingProfiles,
  '20261123000005_create_workouts': createWorkouts,
  '20261123000006_create_rate_limits': createRateLimits,
  '20261201000001_add_session_refresh': addSessionRefresh,
  '20261201000002_create_spent_refresh_tokens': createSpentRefreshTokens,
  '20261201000003_add_email_verified': addEmailVerified,
  '20261201000004_create_user_tokens': createUserTokens,
  '20261201000005_create_mail_outbox': createMailOutbox,
  '20261201000006_add_login_count': addLoginCount,
  '20261201000007_create_security_events': createSecurityEvents,
  '20261201000008_add_mail_payload': addMailPayload,
  '20261201000009_create_two_factor': createTwoFactor,
  '20261201000010_create_training_log': createTrainingLog,
  '20261201000011_add_write_versions': addWriteVersions,
  '20261201000012_create_idempotency_keys': createIdempotencyKeys,
  '20261201000013_create_workout_summaries': createWorkoutSummaries,
};
