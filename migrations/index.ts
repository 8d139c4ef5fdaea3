import type { Knex } from 'knex';
import * as createUsers from './20261123000001_create_users.js';
import * as createSessions from './20261123000002_create_sessions.js';
import * as createUserSettings from './20261123000003_create_user_settings.js';
import * as createTrainingProfiles from './20261123000004_create_training_profiles.js';
import * as createWorkouts from './20261123000005_create_workouts.js';
import * as createRateLimits from './20261123000006_create_rate_limits.js';

/** Every migration by name, in the order they run. Add new ones here. */
export const migrations: Record<string, Knex.Migration> = {
  '20261123000001_create_users': createUsers,
  '20261123000002_create_sessions': createSessions,
  '20261123000003_create_user_settings': createUserSettings,
  '20261123000004_create_training_profiles': createTrainingProfiles,
  '20261123000005_create_workouts': createWorkouts,
  '20261123000006_create_rate_limits': createRateLimits,
};
