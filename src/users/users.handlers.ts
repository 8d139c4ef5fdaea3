import type { HandlerMap } from '../operations.js';
import type { EmailVerification } from './email-verification.js';
import type { UsersService } from './users.service.js';

// Only steps this service really offers.
const NEXT_STEPS = ['Verify your email (check inbox)', 'Log in at /api/v1/login', 'Complete your training profile at /api/v1/training-profile'];

/** Registration, email verification, availability checks and the simple user API's user endpoints. */
export function createUsersHandlers(service: UsersService, verification: EmailVerification) {
  return {
    verifyEmail: async ({ body, client }) => {
      await verification.verify(body.token, client);
      return { status: 200, body: { message: 'Email verified' } };
    },

    sendEmailVerification: async ({ auth, client }) => {
      await verification.resend(auth.userId, client);
      return { status: 202, body: { message: 'Verification email sent' } };
    },

    register: async ({ body, client }) => {
      const user = await service.register({ ...body, fullName: body.full_name }, client);
      return {
        status: 200,
        body: {
          message: 'User registered successfully',
          user_info: { username: user.username, email: user.email, full_name: user.fullName },
          next_steps: NEXT_STEPS,
        },
      };
    },

    createUser: async ({ body, client }) => {
      await service.register(body, client);
      return { status: 201, body: { code: 201, text: 'User created' } };
    },

    checkUsernameAvailability: async ({ query }) => ({
      status: 200,
      body: { username: query.username, available: await service.usernameAvailable(query.username) },
    }),

    checkEmailAvailability: async ({ query }) => ({
      status: 200,
      body: { email: query.email, available: await service.emailAvailable(query.email) },
    }),

    getUserDetails: async ({ query, maybeAuth }) => {
      const { user, showEmail } = await service.details(query.user_id, maybeAuth?.userId);
      return {
        status: 200,
        body: {
          code: 200,
          details: {
            id: user.id,
            registered_on: Math.floor(user.createdAt / 1000),
            username: user.username,
            ...(showEmail ? { email: user.email } : {}),
            tags: user.tags,
            avatar: user.avatar,
            bio: user.bio,
          },
        },
      };
    },
  } satisfies Partial<HandlerMap>;
}
