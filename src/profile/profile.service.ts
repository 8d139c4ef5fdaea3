import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { type AppError, Errors } from '../errors.js';
import { type Precondition, personTag } from '../preconditions.js';
import type { SecurityLog } from '../security/security-log.js';
import type { SurveyService } from '../survey/survey.service.js';
import type { SummaryPatch, TrainingService } from '../training/training.service.js';
import type { EmailVerification } from '../users/email-verification.js';
import { newAddressOf, type Settings, type SettingsValues, type User, type UserPatch, type UsersRepository } from '../users/users.repository.js';
import { duplicateError } from '../users/users.service.js';
import { isTimeZone } from '../workouts/calendar.js';
import type { WorkoutsService } from '../workouts/workouts.service.js';
import type { Person, ProfileRepository } from './profile.repository.js';

export interface SettingsPatch {
  notifications?: { email?: boolean; push?: boolean };
  privacy?: { profile_visibility?: Settings['profileVisibility'] };
  timezone?: string;
  units?: Settings['units'];
}

export interface UserDataPatch {
  userProfile?: UserPatch;
  training?: SummaryPatch;
  settings?: SettingsPatch;
}

export interface UpdatedSections {
  user_profile: boolean;
  training_profile: boolean;
  settings: boolean;
}

function settingsChanges(patch: SettingsPatch): Partial<SettingsValues> {
  const changes: Partial<SettingsValues> = {};
  if (patch.notifications?.email !== undefined) changes.notifyEmail = patch.notifications.email;
  if (patch.notifications?.push !== undefined) changes.notifyPush = patch.notifications.push;
  if (patch.privacy?.profile_visibility !== undefined) changes.profileVisibility = patch.privacy.profile_visibility;
  if (patch.timezone !== undefined) {
    if (!isTimeZone(patch.timezone)) throw Errors.unknownTimeZone();
    // As the runtime spells it (`europe/berlin` is `Europe/Berlin`).
    changes.timezone = new Intl.DateTimeFormat('en-US', { timeZone: patch.timezone }).resolvedOptions().timeZone;
  }
  if (patch.units !== undefined) changes.units = patch.units;
  return changes;
}

export type ProfileService = ReturnType<typeof createProfileService>;

/** The person behind an account, in the views of /me and /user-data, and their partial updates. */
export function createProfileService(deps: {
  db: Db;
  users: UsersRepository;
  people: ProfileRepository;
  workouts: Pick<WorkoutsService, 'achievements' | 'timeZoneChanged'>;
  training: TrainingService;
  survey: SurveyService;
  verification: EmailVerification;
  securityLog: SecurityLog;
  clock: Clock;
}) {
  const { db, users, people, workouts, training, survey, verification, securityLog, clock } = deps;

  async function checkCountry(country: string | null | undefined): Promise<void> {
    if (country === undefined || country === null) return;
    const { data } = await survey.load();
    if (!data.countries.some((c) => c.code === country)) throw Errors.unknownCountry();
  }

  /** The person behind the account and their achievements; `known` when the caller's authentication already read it. */
  async function load(userId: number, known?: Person) {
    const person = known ?? (await people.findPerson(userId));
    if (!person) throw Errors.accountNotFound();
    const [{ summary, updatedAt: trainingUpdatedAt }, achievements] = await Promise.all([
      training.summary(person.training),
      workouts.achievements(userId, person.settings.timezone, person.log),
    ]);
    return { user: person.user, settings: person.settings, summary, trainingUpdatedAt, achievements };
  }

  /**
   * Applies a patch in one transaction under the user's row lock; a taken name or email rolls
   * everything back with the seed's 400. A new address gets its verification mail in the same
   * transaction, and what was mailed to the old one stops working. A change counts a new
   * version of the data; with a precondition only while the data is still at the version it
   * names (compared in that UPDATE: on a multi-primary cluster the lock is local, the write
   * conflict is not).
   */
  async function apply(
    userId: number,
    patch: UserDataPatch,
    emailTaken: () => AppError,
    client: ClientInfo,
    precondition: Precondition | undefined,
  ): Promise<{ user: User; updated: UpdatedSections }> {
    await checkCountry(patch.userProfile?.country);
    const changedSettings = patch.settings ? settingsChanges(patch.settings) : {};
    const now = clock();
    try {
      return await transaction(db, async (trx) => {
        const user = await users.lockById(userId, trx);
        if (!user) throw Errors.accountNotFound();
        if (precondition && !precondition.matches(personTag(user.dataVersion))) throw Errors.preconditionFailed();
        const newAddress = patch.userProfile && newAddressOf(user, patch.userProfile);
        const updated: UpdatedSections = {
          user_profile: patch.userProfile ? await users.update(user, patch.userProfile, now, trx) : false,
          training_profile: patch.training ? await training.updateSummary(userId, patch.training, now, trx) : false,
          settings: patch.settings ? await users.updateSettings(userId, changedSettings, now, trx) : false,
        };
        // The log's summary counts days in the time zone: count them again in the new one.
        if (changedSettings.timezone !== undefined) await workouts.timeZoneChanged(userId, changedSettings.timezone, trx);
        const changed = updated.user_profile || updated.training_profile || updated.settings;
        if (changed && !(await users.bumpDataVersion(userId, precondition && user.dataVersion, trx))) throw Errors.preconditionFailed();
        if (newAddress !== undefined) {
          await securityLog.record(trx, userId, 'email_changed', { client }, now);
          await verification.newAddress(trx, userId, newAddress, now, client);
        }
        return { user: (await users.findById(userId, trx)) as User, updated };
      });
    } catch (err) {
      throw await duplicateError(err, users, { username: patch.userProfile?.username }, emailTaken);
    }
  }

  return {
    /** Everything /me shows. 404 when the account no longer exists. */
    me: load,

    /** Everything /user-data shows: /me's data plus the last change time. */
    async userData(userId: number, known?: Person) {
      const loaded = await load(userId, known);
      const lastUpdated = Math.max(loaded.user.updatedAt, loaded.settings.updatedAt, loaded.trainingUpdatedAt ?? 0);
      return { ...loaded, lastUpdated };
    },

    updateProfile: (userId: number, patch: UserPatch, client: ClientInfo, precondition?: Precondition) =>
      apply(userId, { userProfile: patch }, Errors.emailRegistered, client, precondition),

    updateUserData: (userId: number, patch: UserDataPatch, client: ClientInfo, precondition?: Precondition) =>
      apply(userId, patch, Errors.emailTaken, client, precondition),
  };
}
