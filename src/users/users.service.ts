import type { ClientInfo } from '../caller.js';
import type { Clock } from '../clock.js';
import { type Db, transaction } from '../db/db.js';
import { isUniqueViolation } from '../db/errors.js';
import { Errors } from '../errors.js';
import { hashPassword } from '../passwords.js';
import type { EmailVerification } from './email-verification.js';
import type { NewUser, User, UsersRepository } from './users.repository.js';

export interface Registration {
  username: string;
  email: string;
  password: string;
  fullName?: string;
  avatar?: string;
  bio?: string;
}

/**
 * The seed message for an insert or update that broke a unique index. When both the name and
 * the email are taken the name is reported, on every database alike (each reports the index
 * it checked first).
 */
export async function duplicateError(err: unknown, users: UsersRepository, attempted: { username?: string }, emailError = Errors.emailTaken): Promise<unknown> {
  if (!isUniqueViolation(err)) return err;
  if (isUniqueViolation(err, 'username_key')) return Errors.usernameTaken();
  if (attempted.username !== undefined && (await users.usernameExists(attempted.username))) return Errors.usernameTaken();
  return isUniqueViolation(err, 'email_key') ? emailError() : err;
}

export interface UserDetails {
  user: User;
  showEmail: boolean;
}

export type UsersService = ReturnType<typeof createUsersService>;

export function createUsersService(deps: { db: Db; users: UsersRepository; verification: EmailVerification; clock: Clock }) {
  const { db, users, verification, clock } = deps;
  return {
    /**
     * Creates the account and queues its verification mail, in one transaction. The unique
     * indexes decide between concurrent registrations of one name: exactly one insert
     * succeeds, the others get the seed's 400.
     */
    async register(registration: Registration, client: ClientInfo): Promise<User> {
      const newUser: NewUser = {
        username: registration.username,
        email: registration.email,
        passwordHash: await hashPassword(registration.password),
        fullName: registration.fullName,
        avatar: registration.avatar,
        bio: registration.bio,
      };
      try {
        const id = await transaction(db, async (trx) => {
          const now = clock();
          const inserted = await users.insert(newUser, now, trx);
          await verification.newAddress(trx, inserted, newUser.email, now, client);
          return inserted;
        });
        return (await users.findById(id)) as User;
      } catch (err) {
        throw await duplicateError(err, users, registration);
      }
    },

    usernameAvailable: async (username: string) => !(await users.usernameExists(username)),
    emailAvailable: async (email: string) => !(await users.emailExists(email)),

    /** A user's public details; the email only where the user's profile is public or the caller (`callerId`) is that user. */
    async details(rawUserId: string, callerId: number | undefined): Promise<UserDetails> {
      const id = Number(rawUserId);
      if (!Number.isSafeInteger(id) || id < 1) throw Errors.userNotFound();
      const user = await users.findById(id);
      if (!user) throw Errors.userNotFound();
      if (callerId === id) return { user, showEmail: true };
      const settings = await users.getSettings(id);
      return { user, showEmail: settings.profileVisibility === 'public' };
    },
  };
}
