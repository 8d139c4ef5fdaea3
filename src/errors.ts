/** One offending value of a request that failed validation. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * An error the client is meant to see: its HTTP status and text become the `{code, text}`
 * envelope. Domain code throws these; one middleware renders them.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
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
  invalidRequest: (errors?: FieldError[], text = 'Invalid request') => new AppError(400, text, errors),
  invalidJson: () => new AppError(400, 'Request body is not valid JSON'),
  usernameTaken: () => new AppError(400, 'Username already taken'),
  emailTaken: () => new AppError(400, 'Email already taken'),
  emailRegistered: () => new AppError(400, 'Email already registered'),
  invalidUserId: () => new AppError(400, 'Invalid user_id'),
  userNotFound: () => new AppError(400, 'User not found'),
  invalidPassword: () => new AppError(400, 'Invalid password'),
  tooManyTokens: () => new AppError(400, 'Too many tokens'),
  invalidCurrentPassword: () => new AppError(400, 'Invalid current password'),
  samePassword: () => new AppError(400, 'New password must differ from the current password'),
  unknownCountry: () => new AppError(400, 'Unknown country code'),
  invalidVerificationToken: () => new AppError(400, 'Invalid or expired verification token'),
  invalidResetToken: () => new AppError(400, 'Invalid or expired reset token'),
  unauthorized: () => new AppError(401, 'Unauthorized'),
  routeNotFound: () => new AppError(404, 'Not found'),
  accountNotFound: () => new AppError(404, 'User not found'),
  sessionNotFound: () => new AppError(404, 'Session not found'),
  surveyFileNotFound: () => new AppError(404, 'Survey data file not found'),
  methodNotAllowed: (allowed: string) => new AppError(405, 'Method not allowed', undefined, { Allow: allowed }),
  emailAlreadyVerified: () => new AppError(409, 'Email already verified'),
  payloadTooLarge: () => new AppError(413, 'Payload too large'),
  unsupportedMediaType: () => new AppError(415, 'Content-Type must be application/json'),
  /** `headers`: Retry-After and the RateLimit-* headers of the limiter that refused. */
  tooManyRequests: (headers: Record<string, string>) => new AppError(429, 'Too many requests', undefined, headers),
  surveyInvalidJson: () => new AppError(500, 'Invalid JSON format in survey data file'),
  surveyLoadFailed: () => new AppError(500, 'Failed to load survey data'),
  internal: () => new AppError(500, 'Internal server error'),
  notImplemented: () => new AppError(501, 'Not implemented'),
  serviceUnavailable: () => new AppError(503, 'Service unavailable'),
} as const;
