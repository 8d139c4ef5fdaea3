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
 * The service's logger on stdout, written asynchronously: lines are gathered and written a few
 * KiB at a time instead of one write(2) per request line (7 of the 72 µs of CPU a
 * `GET /survey-data` cost). pino writes what is still buffered synchronously when the process
 * exits, however it exits (a signal's graceful stop, a fatal `process.exit(1)`, an uncaught
 * exception: test/async-log.test.ts), so no line is lost; only SIGKILL loses the last
 * milliseconds of lines.
 */
export function createServiceLogger(level: string): Logger {
  return createLogger(level, pino.destination({ dest: 1, sync: false, minLength: 4096 }));
}

/**
 * The logger for the per-request line, which holds only the fixed fields the request observer
 * builds (no headers, bodies or errors): redaction has nothing to find there, and checking its
 * paths on every line would cost more than writing the line.
 */
export function requestLineLogger(logger: Logger): Logger {
  return logger.child({}, { redact: { paths: [] } });
}
