import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { createTestDatabase, databases, type TestDatabase } from './support/databases.js';
import { listen, testConfig } from './support/service.js';
import { newUser } from './support/users.js';

// Everything the service logs at info and above, one JSON object per line.
const sink = { text: '' };
const capture = {
  write: (line: string) => {
    sink.text += line;
  },
};
const logLines = (): Record<string, any>[] =>
  sink.text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));

describe.each(databases)('what unknown methods and real faults log on %s', (kind) => {
  let service: Awaited<ReturnType<typeof listen>>;
  let database: TestDatabase;
  let url: string;

  beforeAll(async () => {
    database = await createTestDatabase(kind);
    service = await listen(database.db, database, testConfig(), undefined, { logger: createLogger('info', capture) });
    url = service.url;
  });
  afterAll(async () => {
    await service.close();
    await database.drop();
  });
  beforeEach(() => {
    sink.text = '';
  });

  it.each([
    ['PROPFIND', '/api/v1/me'],
    ['MKCOL', '/api/v1/me'],
    ['PURGE', '/api/v1/nowhere'],
  ])('when %s %s is sent, then it is 501 in the envelope and logged in one info line without a stack', async (method, path) => {
    const requestId = `unknown-method-${method}`;
    const res = await fetch(`${url}${path}`, { method, headers: { 'x-request-id': requestId } });
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({ code: 501, text: 'Not implemented', error: 'not_implemented' });

    const lines = logLines();
    expect(lines.filter((line) => line.requestId === requestId)).toEqual([
      expect.objectContaining({ level: 30, msg: 'request', method, status: 501, route: 'unmatched' }),
    ]);
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    expect(sink.text).not.toContain('stack');
  });

  it('when the method is not one Node parses (FOO), then it is 400 in the envelope from the parser and nothing is logged', async () => {
    const res = await fetch(`${url}/api/v1/me`, { method: 'FOO' });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 400, text: 'Bad request', error: 'bad_request' });
    expect(sink.text).toBe('');
  });

  it('when a request fails in the database (a fault of ours), then it is still logged at error with its stack', async () => {
    const trigger =
      kind === 'sqlite'
        ? "CREATE TRIGGER fail_users BEFORE INSERT ON users BEGIN SELECT RAISE(ABORT, 'storage failed'); END"
        : "CREATE TRIGGER fail_users BEFORE INSERT ON users FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'storage failed'";
    await database.db.raw(trigger);
    try {
      const requestId = 'real-fault';
      const res = await fetch(`${url}/api/v1/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': requestId },
        body: JSON.stringify(newUser()),
      });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ code: 500, text: 'Internal server error', error: 'internal_error' });
      const lines = logLines().filter((line) => line.requestId === requestId);
      expect(lines.map((line) => [line.level, line.msg])).toEqual([
        [50, 'request failed'],
        [30, 'request'],
      ]);
      expect(lines[0]?.err.stack).toContain('storage failed');
    } finally {
      await database.db.raw('DROP TRIGGER fail_users');
    }
  });
});
