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
 * The service's logger on stdout, written asynchronously: lines are gathered and written 64 KiB
 * at a time instead of one write(2) per request line. A write to a file costs the filesystem
 * about the same whatever its size (ext4 updates the inode and journals it on each), so the
 * fewer the cheaper: 4 KiB writes cost 1.2–1.7 µs a line timed alone and 64 KiB writes 0.5,
 * and under load the 4 KiB writes were a tenth of a `GET /survey-data` (docs/benchmark-findings.md).
 * pino writes what is still buffered synchronously when the process exits, however it exits (a
 * signal's graceful stop, a fatal `process.exit(1)`, an uncaught exception:
 * test/async-log.test.ts), so no line is lost; only SIGKILL loses what is buffered, at most
 * 64 KiB of lines (about 250) or, on a quiet server, the last second's.
 *
 * The lines reach the buffer as bytes: given strings, sonic-boom appends each line to the
 * pending string and measures that string's byte length again, so every line cost as much as
 * the KiB waiting before it (7% of a `GET /survey-data` under load; 2.8 → 0.8 µs a line).
 */
export function createServiceLogger(level: string): Logger {
  // periodicFlush: on a quiet server a line waits at most a second, not for 64 KiB of others.
  // maxWrite, the most sonic-boom writes at once, must exceed minLength.
  const file = pino.destination({ dest: 1, sync: false, minLength: 64 * 1024, maxWrite: 128 * 1024, periodicFlush: 1000, contentMode: 'buffer' });
  // In 'buffer' mode sonic-boom takes Buffers, which its type declarations do not know of.
  const writeBytes = file.write.bind(file) as unknown as (bytes: Buffer) => boolean;
  const stream = { write: (line: string) => writeBytes(Buffer.from(line)), flush: (cb: (err?: Error) => void) => file.flush(cb) };
  return createLogger(level, stream);
}

/** The fields of the line logged for every request. */
export interface RequestLine {
  requestId: string;
  method: string;
  route: string;
  operation: string;
  status: number;
  durationMs: number;
  userId?: number;
}

/**
 * Writes the per-request line exactly as `logger.info(line, 'request')` would with the
 * service's options (test/request-line.test.ts compares the two), straight to the logger's
 * destination. The line holds only these fixed fields, so pino's general path (redaction, the
 * serializers, the key-by-key walk) has nothing to do for it; skipping it makes the line about
 * a quarter cheaper (3.5 → 2.7 µs to a discarding stream, vitest bench, 2026-12-01).
 */
export function requestLineWriter(logger: Logger): (line: RequestLine) => void {
  const internals = logger as unknown as Record<symbol, unknown>;
  const destination = internals[pino.symbols.streamSym] as DestinationStream;
  // The logger's bindings (pid, hostname, a child's fields) as pino serialised them: `,"pid":1,…`.
  const bindings = internals[pino.symbols.chindingsSym] as string;
  const text = JSON.stringify;
  return (line) => {
    if (!logger.isLevelEnabled('info')) return;
    const user = line.userId === undefined ? '' : `,"userId":${line.userId}`;
    destination.write(
      `{"level":30,"time":${Date.now()}${bindings},"requestId":${text(line.requestId)},"method":${text(line.method)},"route":${text(line.route)},"operation":${text(line.operation)},"status":${line.status},"durationMs":${line.durationMs}${user},"msg":"request"}\n`,
    );
  };
}
