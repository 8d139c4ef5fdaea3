/** One offending value of a request that failed validation. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * Every `error` identifier the API answers with: stable and machine-readable, so clients need
 * not match on the English `text`. openapi.yaml lists the same values (`ErrorId`); a test keeps
 * the two equal.
 */
export const ERROR_IDS = [
  'validation_failed',
  'invalid_json',
  'bad_request',
  'username_taken',
  'email_taken',
  'invalid_user_id',
  'user_not_found',
  'invalid_password',
  'too_many_tokens',
  'invalid_current_password',
  'same_password',
  'unknown_country',
  'invalid_verification_token',
  'invalid_reset_token',
  'unauthorized',
  'not_found',
  'account_not_found',
  'session_not_found',
  'survey_data_not_found',
  'method_not_allowed',
  'request_timeout',
  'email_already_verified',
  'payload_too_large',
  'unsupported_media_type',
  'headers_too_large',
  'rate_limited',
  'survey_data_invalid',
  'survey_data_unavailable',
  'internal_error',
  'not_implemented',
  'service_unavailable',
  'account_suspended',
  'invalid_cursor',
  'two_factor_required',
  'invalid_two_factor_code',
  'two_factor_already_enabled',
  'two_factor_not_enabled',
  'two_factor_setup_missing',
  'workout_in_future',
  'workout_not_found',
  'precondition_failed',
  'idempotency_key_in_flight',
  'idempotency_key_reused',
  'unknown_time_zone',
] as const;

export type ErrorId = (typeof ERROR_IDS)[number];

/**
 * An error the client is meant to see: its HTTP status, identifier and text become the
 * `{code, text, error}` envelope. Domain code throws these; one middleware renders them.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly id: ErrorId,
    readonly text: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(text);
    this.name = 'AppError';
  }
}

/** The catalogue of every error the API answers with; seed messages are kept word for word. */
export const Errors = {
  invalidRequest: (errors?: FieldError[]) => new AppError(400, 'validation_failed', 'Invalid request', errors),
  invalidJson: () => new AppError(400, 'invalid_json', 'Request body is not valid JSON'),
  usernameTaken: () => new AppError(400, 'username_taken', 'Username already taken'),
  emailTaken: () => new AppError(400, 'email_taken', 'Email already taken'),
  /** The same as emailTaken, in the words of seed 000's PUT /profile. */
  emailRegistered: () => new AppError(400, 'email_taken', 'Email already registered'),
  /** `errors` when the value failed the spec's check (GET /get_user_details answers all such failures so). */
  invalidUserId: (errors?: FieldError[]) => new AppError(400, 'invalid_user_id', 'Invalid user_id', errors),
  userNotFound: () => new AppError(400, 'user_not_found', 'User not found'),
  invalidPassword: () => new AppError(400, 'invalid_password', 'Invalid password'),
  accountSuspended: () => new AppError(400, 'account_suspended', 'Account suspended'),
  tooManyTokens: () => new AppError(400, 'too_many_tokens', 'Too many tokens'),
  invalidCurrentPassword: () => new AppError(400, 'invalid_current_password', 'Invalid current password'),
  samePassword: () => new AppError(400, 'same_password', 'New password must differ from the current password'),
  unknownCountry: () => new AppError(400, 'unknown_country', 'Unknown country code'),
  invalidVerificationToken: () => new AppError(400, 'invalid_verification_token', 'Invalid or expired verification token'),
  invalidResetToken: () => new AppError(400, 'invalid_reset_token', 'Invalid or expired reset token'),
  invalidCursor: () => new AppError(400, 'invalid_cursor', 'Invalid cursor'),
  twoFactorRequired: () => new AppError(400, 'two_factor_required', 'Two-factor code required'),
  invalidTwoFactorCode: () => new AppError(400, 'invalid_two_factor_code', 'Invalid two-factor code'),
  workoutInFuture: () => new AppError(400, 'workout_in_future', 'Workout starts more than a day ahead'),
  unknownTimeZone: () => new AppError(400, 'unknown_time_zone', 'Unknown time zone'),
  unauthorized: () => new AppError(401, 'unauthorized', 'Unauthorized'),
  routeNotFound: () => new AppError(404, 'not_found', 'Not found'),
  accountNotFound: () => new AppError(404, 'account_not_found', 'User not found'),
  workoutNotFound: () => new AppError(404, 'workout_not_found', 'Workout not found'),
  sessionNotFound: () => new AppError(404, 'session_not_found', 'Session not found'),
  surveyFileNotFound: () => new AppError(404, 'survey_data_not_found', 'Survey data file not found'),
  methodNotAllowed: (allowed: string) => new AppError(405, 'method_not_allowed', 'Method not allowed', undefined, { Allow: allowed }),
  twoFactorAlreadyEnabled: () => new AppError(409, 'two_factor_already_enabled', 'Two-factor login is already on'),
  twoFactorNotEnabled: () => new AppError(409, 'two_factor_not_enabled', 'Two-factor login is off'),
  twoFactorSetupMissing: () => new AppError(409, 'two_factor_setup_missing', 'No two-factor setup to confirm'),
  idempotencyKeyInFlight: () => new AppError(409, 'idempotency_key_in_flight', 'Request with this Idempotency-Key is still in progress'),
  emailAlreadyVerified: () => new AppError(409, 'email_already_verified', 'Email already verified'),
  preconditionFailed: () => new AppError(412, 'precondition_failed', 'Precondition failed'),
  payloadTooLarge: () => new AppError(413, 'payload_too_large', 'Payload too large'),
  idempotencyKeyReused: () => new AppError(422, 'idempotency_key_reused', 'Idempotency-Key was used with a different request'),
  unsupportedMediaType: () => new AppError(415, 'unsupported_media_type', 'Content-Type must be application/json'),
  /** `headers`: Retry-After and the RateLimit-* headers of the limiter that refused. */
  tooManyRequests: (headers: Record<string, string>) => new AppError(429, 'rate_limited', 'Too many requests', undefined, headers),
  surveyInvalidJson: () => new AppError(500, 'survey_data_invalid', 'Invalid JSON format in survey data file'),
  surveyLoadFailed: () => new AppError(500, 'survey_data_unavailable', 'Failed to load survey data'),
  internal: () => new AppError(500, 'internal_error', 'Internal server error'),
  notImplemented: () => new AppError(501, 'not_implemented', 'Not implemented'),
  serviceUnavailable: () => new AppError(503, 'service_unavailable', 'Service unavailable'),
} as const;

/** The errors Node's HTTP parser finds before Koa sees the request (answered by `answerClientErrors`). */
export const ParserErrors = {
  headersTooLarge: () => new AppError(431, 'headers_too_large', 'Request header fields too large'),
  requestTimeout: () => new AppError(408, 'request_timeout', 'Request timeout'),
  badRequest: () => new AppError(400, 'bad_request', 'Bad request'),
} as const;

/** The `{code, text, error}` envelope of an error (with `errors` after a validation failure). */
export function envelope(error: AppError): Record<string, unknown> {
  const body: Record<string, unknown> = { code: error.status, text: error.text, error: error.id };
  if (error.errors) body.errors = error.errors;
  return body;
}
