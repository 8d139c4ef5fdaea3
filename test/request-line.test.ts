import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type RequestLine, requestLineWriter } from '../src/log.js';

/** A logger writing into an array of lines, as the service's logger writes to stdout. */
function capturingLogger(level: string) {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  return { logger: createLogger(level, sink), lines };
}

const withoutTime = (line: string) => line.replace(/"time":\d+/, '"time":0');

const LINES: [string, RequestLine][] = [
  ['a signed-in request', { requestId: 'b7c1f0e2', method: 'GET', route: '/me', operation: 'getMe', status: 200, durationMs: 0.41, userId: 17 }],
  ['an anonymous one', { requestId: 'r-1', method: 'POST', route: 'unmatched', operation: 'unmatched', status: 404, durationMs: 12 }],
  ['fields that need escaping', { requestId: 'a"b\\c', method: 'GET', route: '/é/"x"\n', operation: 'op', status: 500, durationMs: 1.5 }],
];

describe('the request line written by hand', () => {
  it.each(LINES)('when it is %s, then it is byte for byte the line pino writes', async (_name, line) => {
    const { logger, lines } = capturingLogger('info');
    const child = logger.child({ listener: 'api' });
    requestLineWriter(child)(line);
    child.info(line, 'request');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(2);
    expect(withoutTime(lines[0] ?? '')).toBe(withoutTime(lines[1] ?? ''));
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 30, listener: 'api', msg: 'request', ...line });
  });

  it('when the level is above info, then nothing is written', async () => {
    const { logger, lines } = capturingLogger('warn');
    requestLineWriter(logger)({ requestId: 'r-2', method: 'GET', route: '/me', operation: 'getMe', status: 200, durationMs: 1 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toEqual([]);
  });
});
