import { type DestinationStream, type Logger, pino, stdSerializers } from 'pino';

export type { Logger };

/** Errors as pino logs them, less the SQL text drivers attach (mysql2 puts the values in `sql`). */
function safeError(err: Error): Record<string, unknown> {
  const serialized: Record<string, unknown> = { ...stdSerializers.err(err) };
  delete serialized.sql;
  delete serialized.bindings;
  return serialized;
}

/**
 * The service's JSON logger. Credentials never reach it: these paths are redacted wherever a
 * request, a body or an error is logged.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    serializers: { err: safeError },
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        '*.password',
        '*.current_password',
        '*.new_password',
        '*.token',
        '*.access_token',
        '*.refresh_token',
        '*.health',
      ],
      censor: '[redacted]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}

/**
 * The logger for the per-request line, which holds only the fixed fields the request observer
 * builds (no headers, bodies or errors): redaction has nothing to find there, and checking its
 * paths on every line would cost more than writing the line.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}
