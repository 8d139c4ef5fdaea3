import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * The service's JSON logger. Credentials never reach it: these paths are redacted wherever a
 * request, a body or an error is logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.current_password',
        '*.new_password',
        '*.token',
        '*.access_token',
        '*.health',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
