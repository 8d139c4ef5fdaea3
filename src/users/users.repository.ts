import { type Db, type Executor, firstRow } from '../db/db.js';
import { identityKey } from './identity.js';

export type Plan = 'standard' | 'enterprise';
export type ProfileVisibility = 'public' | 'friends_only' | 'private';

export interface User {
  id: number;
  username: string;
  email: string;
  fullName: string | null;
  passwordHash: string;
  plan: Plan;
  isAdmin: boolean;
  accountStatus: 'active' | 'suspended';
  /** The address was confirmed through a mailed link. */
  emailVerified: boolean;
  avatar: string | null;
  bio: string | null;
  tags: string[];
  country: string | null;
  createdAt: number;
  updatedAt: number;
  lastLogin: number | null;
  /** Logins so far (0 until the first). */
  loginCount: number;
  /** Counts the writes of the editable data (profile, settings, questionnaire): their ETag. */
  dataVersion: number;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  fullName?: string | null;
  avatar?: string | null;
  bio?: string | null;
}

/** Account fields a user may change about themselves. */
export interface UserPatch {
  username?: string;
  email?: string;
  fullName?: string;
  avatar?: string | null;
  bio?: string | null;
  tags?: string[];
  country?: string | null;
}

export type Units = 'metric' | 'imperial';

export interface SettingsValues {
  notifyEmail: boolean;
  notifyPush: boolean;
  profileVisibility: ProfileVisibility;
  /** IANA time zone: days of streaks and weeks of weekly minutes are counted in it. */
  timezone: string;
  units: Units;
}

export interface Settings extends SettingsValues {
  updatedAt: number;
}

export interface UserRow {
  id: number;
  username: string;
  username_key: string;
  email: string;
  email_key: string;
  full_name: string | null;
  password_hash: string;
  plan: string;
  is_admin: number | boolean;
  account_status: string;
  email_verified: number | boolean;
  avatar: string | null;
  bio: string | null;
  tags: string | null;
  country: string | null;
  created_at: number | string;
  updated_at: number | string;
  last_login: number | string | null;
  login_count: number | string;
  data_version: number | string;
}

export interface SettingsRow {
  user_id: number;
  notify_email: number | boolean;
  notify_push: number | boolean;
  profile_visibility: string;
  timezone: string;
  units: string;
  updated_at: number | string;
}

export function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    fullName: row.full_name,
    passwordHash: row.password_hash,
    plan: row.plan as Plan,
    isAdmin: Boolean(row.is_admin),
    accountStatus: row.account_status as User['accountStatus'],
    emailVerified: Boolean(row.email_verified),
    avatar: row.avatar,
    bio: row.bio,
    tags: row.tags ? (JSON.parse(row.tags) as string[]) : [],
    country: row.country,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
    lastLogin: row.last_login === null ? null : Number(row.last_login),
    loginCount: Number(row.login_count),
    dataVersion: Number(row.data_version),
  };
}

export function toSettings(row: SettingsRow): Settings {
  return {
    notifyEmail: Boolean(row.notify_email),
    notifyPush: Boolean(row.notify_push),
    profileVisibility: row.profile_visibility as ProfileVisibility,
    timezone: row.timezone,
    units: row.units as Units,
    updatedAt: Number(row.updated_at),
  };
}

function patchColumns(patch: UserPatch): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (patch.username !== undefined) Object.assign(columns, { username: patch.username, username_key: identityKey(patch.username) });
  if (patch.email !== undefined) Object.assign(columns, { email: patch.email, email_key: identityKey(patch.email) });
  if (patch.fullName !== undefined) columns.full_name = patch.fullName;
  if (patch.avatar !== undefined) columns.avatar = patch.avatar;
  if (patch.bio !== undefined) columns.bio = patch.bio;
  if (patch.tags !== undefined) columns.tags = JSON.stringify(patch.tags);
  if (patch.country !== undefined) columns.country = patch.country;
  return columns;
}

/** The address the patch gives the user, when it is another one (not merely another letter case). */
export function newAddressOf(user: User, patch: UserPatch): string | undefined {
  return patch.email !== undefined && identityKey(patch.email) !== identityKey(user.email) ? patch.email : undefined;
}

export type UsersRepository = ReturnType<typeof createUsersRepository>;

/** Users and their settings. Every method takes an optional executor (pool or transaction). */
export function createUsersRepository(db: Db) {
  return {
    /** Inserts the user and its settings row; a taken name fails on the unique indexes. */
    async insert(user: NewUser, now: number, exec: Executor = db): Promise<number> {
      const [id] = await exec('users').insert({
        username: user.username,
        username_key: identityKey(user.username),
        email: user.email,
        email_key: identityKey(user.email),
        full_name: user.fullName ?? null,
        password_hash: user.passwordHash,
        avatar: user.avatar ?? null,
        bio: user.bio ?? null,
        tags: JSON.stringify([]),
        created_at: now,
        updated_at: now,
      });
      await exec('user_settings').insert({ user_id: id, updated_at: now });
      return Number(id);
    },

    async findById(id: number, exec: Executor = db): Promise<User | undefined> {
      const row = await firstRow(exec<UserRow>('users').where({ id }));
      return row && toUser(row);
    },

    async findByUsername(username: string, exec: Executor = db): Promise<User | undefined> {
      const key = identityKey(username);
      const row = await firstRow(exec<UserRow>('users').where({ username_key: key }));
      // MySQL/MariaDB collations pad with spaces ('alice ' = 'alice'): only an exact key is a match,
      // as on SQLite. (Login takes any string; elsewhere names cannot hold spaces.)
      return row && row.username_key === key ? toUser(row) : undefined;
    },

    /** Reads the user and locks its row until the transaction ends (MySQL; SQLite serialises writers). */
    async lockById(id: number, exec: Executor = db): Promise<User | undefined> {
      const row = await firstRow(exec<UserRow>('users').where({ id }).forUpdate());
      return row && toUser(row);
    },

    /** The user whose address compares equal to `email` (as registration compares them). */
    async findByEmail(email: string, exec: Executor = db): Promise<User | undefined> {
      const key = identityKey(email);
      const row = await firstRow(exec<UserRow>('users').where({ email_key: key }));
      return row && row.email_key === key ? toUser(row) : undefined;
    },

    async usernameExists(username: string): Promise<boolean> {
      const key = identityKey(username);
      const row = (await firstRow(db('users').where({ username_key: key }).select('username_key'))) as { username_key: string } | undefined;
      return row?.username_key === key;
    },

    async emailExists(email: string): Promise<boolean> {
      const key = identityKey(email);
      const row = (await firstRow(db('users').where({ email_key: key }).select('email_key'))) as { email_key: string } | undefined;
      return row?.email_key === key;
    },

    /**
     * Applies the patch; returns whether any column really changed value. A new address (not
     * merely another letter case) is unverified.
     */
    async update(user: User, patch: UserPatch, now: number, exec: Executor = db): Promise<boolean> {
      const columns = patchColumns(patch);
      if (newAddressOf(user, patch) !== undefined) columns.email_verified = false;
      const current = patchColumns({
        username: user.username,
        email: user.email,
        fullName: user.fullName ?? undefined,
        avatar: user.avatar,
        bio: user.bio,
        tags: user.tags,
        country: user.country,
      });
      const changed = Object.keys(columns).some((column) => columns[column] !== current[column]);
      if (changed)
        await exec('users')
          .where({ id: user.id })
          .update({ ...columns, updated_at: now });
      return changed;
    },

    /**
     * Counts a write of the user's editable data; with `expected`, only while the data is still
     * at that version (the conditional write of If-Match: of two writers holding one version,
     * the database lets one through). False when it moved on.
     */
    async bumpDataVersion(id: number, expected: number | undefined, exec: Executor = db): Promise<boolean> {
      const query = exec('users').where({ id });
      if (expected !== undefined) query.andWhere({ data_version: expected });
      return (await query.update({ data_version: exec.raw('data_version + 1') })) > 0;
    },

    /** Marks the address verified while it is still `emailKey`; false when the user or that address is gone. */
    async markEmailVerified(id: number, emailKey: string, exec: Executor = db): Promise<boolean> {
      return (await exec('users').where({ id, email_key: emailKey }).update({ email_verified: true })) > 0;
    },

    /**
     * Deletes the account while its password is still `passwordHash`; every row of the user
     * goes with it (foreign keys ON DELETE CASCADE). False when the user is gone or the
     * password changed meanwhile.
     */
    async deleteIfPassword(id: number, passwordHash: string, exec: Executor = db): Promise<boolean> {
      return (await exec('users').where({ id, password_hash: passwordHash }).delete()) > 0;
    },

    /** Suspends or reactivates the account; false when the user is gone. */
    async setStatus(id: number, status: User['accountStatus'], now: number, exec: Executor = db): Promise<boolean> {
      return (await exec('users').where({ id }).update({ account_status: status, updated_at: now })) > 0;
    },

    async setPasswordHash(id: number, passwordHash: string, now: number, exec: Executor = db): Promise<void> {
      await exec('users').where({ id }).update({ password_hash: passwordHash, updated_at: now });
    },

    /**
     * Replaces the password `current` with `next`; false when the user is gone or the password
     * is no longer `current`. One statement, so the row is locked only from here to the commit.
     */
    async replacePasswordHash(change: { id: number; current: string; next: string; now: number }, exec: Executor = db): Promise<boolean> {
      const { id, current, next, now } = change;
      return (await exec('users').where({ id, password_hash: current }).update({ password_hash: next, updated_at: now })) > 0;
    },

    /**
     * A login's write of its user's row, while the password is still `passwordHash` and the
     * account is active: counts the login and sets `last_login` to `now` unless a later login
     * already set it (two logins may finish in either order), and stores `rehash` as the new
     * hash when given. False when the user is gone, suspended or the password changed.
     * Competing logins, password changes, resets and suspensions all write this row, so they
     * take turns on it (a row lock; on a cluster, certification).
     */
    async recordLogin(login: { id: number; passwordHash: string; now: number; rehash?: string }, exec: Executor = db): Promise<boolean> {
      const { id, passwordHash, now } = login;
      const updated = await exec('users')
        .where({ id, password_hash: passwordHash, account_status: 'active' })
        .update({
          login_count: exec.raw('login_count + 1'),
          last_login: exec.raw('CASE WHEN last_login IS NULL OR last_login < ? THEN ? ELSE last_login END', [now, now]),
          ...(login.rehash === undefined ? {} : { password_hash: login.rehash }),
        });
      return updated > 0;
    },

    async getSettings(userId: number, exec: Executor = db): Promise<Settings> {
      const row = await firstRow(exec<SettingsRow>('user_settings').where({ user_id: userId }));
      if (!row) throw new Error(`settings row missing for user ${userId}`);
      return toSettings(row);
    },

    /** Applies the changed settings; returns whether any really changed. */
    async updateSettings(userId: number, patch: Partial<SettingsValues>, now: number, exec: Executor = db): Promise<boolean> {
      const current = await this.getSettings(userId, exec);
      const changed = (Object.keys(patch) as (keyof SettingsValues)[]).some((key) => patch[key] !== current[key]);
      if (changed) {
        const next = { ...current, ...patch };
        await exec('user_settings').where({ user_id: userId }).update({
          notify_email: next.notifyEmail,
          notify_push: next.notifyPush,
          profile_visibility: next.profileVisibility,
          timezone: next.timezone,
          units: next.units,
          updated_at: now,
        });
      }
      return changed;
    },
  };
}
