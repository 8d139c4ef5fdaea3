import type { components } from '../../generated/api.js';
import { toIso } from '../clock.js';
import type { HandlerMap } from '../operations.js';
import { personTag, preconditionOf } from '../preconditions.js';
import { publicUserId } from '../users/identity.js';
import type { Settings, User, UserPatch } from '../users/users.repository.js';
import type { Achievements } from '../workouts/achievements.js';
import type { ProfileService } from './profile.service.js';

type ProfileUpdate = components['schemas']['ProfileUpdate'];

/** Version of the data format of /me and /user-data. */
const DATA_VERSION = '1.2.0';
/** Seconds a client app may reuse a /me answer before asking again. */
const CACHE_EXPIRY_SECONDS = 300;

function userProfileView(user: User): components['schemas']['UserProfile'] {
  return {
    id: publicUserId(user.id),
    username: user.username,
    email: user.email,
    full_name: user.fullName,
    account_status: user.accountStatus,
    email_verified: user.emailVerified,
    created_at: toIso(user.createdAt),
    last_login: user.lastLogin === null ? null : toIso(user.lastLogin),
    avatar: user.avatar,
    bio: user.bio,
    tags: user.tags,
    country: user.country,
  };
}

export function settingsView(settings: Settings): components['schemas']['Settings'] {
  return {
    notifications: { email: settings.notifyEmail, push: settings.notifyPush },
    privacy: { profile_visibility: settings.profileVisibility },
    timezone: settings.timezone,
    units: settings.units,
  };
}

function achievementsView(a: Achievements): components['schemas']['Achievements'] {
  return {
    workouts_completed: a.workoutsCompleted,
    streak_days: a.streakDays,
    minutes_this_week: a.minutesThisWeek,
    longest_streak_days: a.longestStreakDays,
  };
}

function toUserPatch(update: ProfileUpdate): UserPatch {
  const { full_name, ...rest } = update;
  return { ...rest, fullName: full_name };
}

/** /me, /user-data and /profile: views and partial updates of the same stored person. */
export function createProfileHandlers(service: ProfileService) {
  return {
    getMe: async ({ auth }) => {
      const { user, settings, summary, achievements } = await service.me(auth.userId, auth.person);
      return {
        status: 200,
        headers: { ETag: personTag(user.dataVersion) },
        body: {
          user_profile: userProfileView(user),
          training_profile: summary,
          account_settings: settingsView(settings),
          achievements: achievementsView(achievements),
          metadata: { cache_expiry: CACHE_EXPIRY_SECONDS, data_version: DATA_VERSION },
        },
      };
    },

    getUserData: async ({ auth }) => {
      const { user, settings, summary, achievements, lastUpdated } = await service.userData(auth.userId, auth.person);
      return {
        status: 200,
        headers: { ETag: personTag(user.dataVersion) },
        body: {
          user_profile: userProfileView(user),
          training_profile: {
            ...summary,
            achievements: achievementsView(achievements),
          },
          settings: settingsView(settings),
          metadata: { version: DATA_VERSION, last_updated: toIso(lastUpdated) },
        },
      };
    },

    updateUserData: async ({ auth, body, client, headers }) => {
      const training = body.training_profile;
      const { user, updated } = await service.updateUserData(
        auth.userId,
        {
          userProfile: body.user_profile && toUserPatch(body.user_profile),
          training: training && {
            goals: training.goals,
            level: training.level,
            workout_duration: training.preferences?.workout_duration,
            equipment: training.preferences?.equipment,
          },
          settings: body.settings,
        },
        client,
        preconditionOf(headers['if-match']),
      );
      return {
        status: 200,
        headers: { ETag: personTag(user.dataVersion) },
        body: {
          message: 'User data updated successfully',
          updated_fields: updated,
          user_data: { id: publicUserId(user.id), full_name: user.fullName, email: user.email },
        },
      };
    },

    updateProfile: async ({ auth, body, client, headers }) => {
      const { user } = await service.updateProfile(auth.userId, toUserPatch(body), client, preconditionOf(headers['if-match']));
      return {
        status: 200,
        headers: { ETag: personTag(user.dataVersion) },
        body: {
          message: 'Profile updated successfully',
          user_info: { username: user.username, email: user.email, full_name: user.fullName },
        },
      };
    },
  } satisfies Partial<HandlerMap>;
}
