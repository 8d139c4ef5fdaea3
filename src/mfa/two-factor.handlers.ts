import type { HandlerMap } from '../operations.js';
import type { TwoFactor } from './two-factor.service.js';

/** Turning two-factor login on and off. */
export function createTwoFactorHandlers(twoFactor: TwoFactor) {
  return {
    startTotpSetup: async ({ auth }) => {
      const { secret, uri, qrCode } = await twoFactor.begin(auth);
      return { status: 200, body: { secret, otpauth_uri: uri, qr_code: qrCode } };
    },

    confirmTotpSetup: async ({ auth, body, client }) => ({
      status: 200,
      body: { message: 'Two-factor login turned on', recovery_codes: await twoFactor.confirm(auth, body.code, client) },
    }),

    disableTotp: async ({ auth, body, client }) => {
      await twoFactor.disable(auth, body.password, body.code, client);
      return { status: 200, body: { message: 'Two-factor login turned off' } };
    },
  } satisfies Partial<HandlerMap>;
}
