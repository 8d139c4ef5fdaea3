import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedAtRoot } from '../src/http/spec.js';
import { claimsOf } from './auth-helpers.js';
import { agent, checkedRequest } from './robustness/bad-input.js';
import { type CallResult, type Service, startService } from './support/service.js';
import { loginUser, newUser, signedInUser } from './support/users.js';

/** An error body is exactly {code, text, error} or {code, text, error, errors}, and code is the HTTP status. */
function expectEnvelope(res: CallResult, status: number): void {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const keys = Object.keys(res.body).sort();
  expect([
    ['code', 'error', 'text'],
    ['code', 'error', 'errors', 'text'],
  ]).toContainEqual(keys);
  expect(res.body.code).toBe(status);
  expect(res.body.text).toBeTypeOf('string');
  expect(res.body.text.length).toBeGreaterThan(0);
  expect(res.body.error).toMatch(/^[a-z_]+$/);
  if (res.body.errors) for (const error of res.body.errors) expect(Object.keys(error).sort()).toEqual(['field', 'message']);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// The pipeline (routing, body parsing, error rendering) does not depend on the database.
describe('request pipeline on sqlite', () => {
  let service: Service;
  beforeAll(async () => {
    service = await startService('sqlite');
  });
  afterAll(async () => {
    await service.close();
    agent.destroy();
  });

  /** A request outside /api/v1, which service.call cannot make. */
  async function raw(method: string, path: string): Promise<CallResult> {
    const res = await fetch(`${service.url}${path}`, { method });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  describe('routing', () => {
    it('when a path under /api/v1 is unknown, then 404 with the envelope', async () => {
      expectEnvelope(await service.call('GET', '/nope'), 404);
      expectEnvelope(await service.call('POST', '/nope/deeper', { body: {} }), 404);
    });

    it('when a path outside the API is asked for, then 404 with the envelope', async () => {
      expectEnvelope(await raw('GET', '/nope'), 404);
      expectEnvelope(await raw('GET', '/'), 404);
      expectEnvelope(await raw('GET', '/survey-data'), 404);
    });

    it('when a known path is called with another method, then 405 with an Allow header', async () => {
      const res = await service.call('DELETE', '/survey-data');
      expectEnvelope(res, 405);
      const allowed = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      expect(allowed).toContain('GET');
      expect(allowed).not.toContain('DELETE');

      const onRegister = await service.call('GET', '/register');
      expectEnvelope(onRegister, 405);
      expect(onRegister.headers.get('allow')).toContain('POST');

      const onUserData = await service.call('PATCH', '/user-data', { body: {} });
      expectEnvelope(onUserData, 405);
      const userDataAllowed = (onUserData.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      expect(userDataAllowed).toEqual(expect.arrayContaining(['GET', 'POST']));
    });
  });

  describe('bodies', () => {
    it('when a JSON body of 20 KB is sent, then 413 with the envelope', async () => {
      const res = await service.call('POST', '/register', { body: { ...newUser(), full_name: 'x'.repeat(20_000) } });
      expectEnvelope(res, 413);
    });

    it('when the login body is text/plain, then 415 with the envelope', async () => {
      const res = await service.call('POST', '/login', { rawBody: 'username=a&password=b', headers: { 'content-type': 'text/plain' } });
      expectEnvelope(res, 415);
    });

    it('when the JSON content type carries a charset, then it is accepted', async () => {
      const res = await service.call('POST', '/login', {
        rawBody: JSON.stringify({ username: 'nobody_here', password: 'whatever1' }),
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
      expectEnvelope(res, 400);
      expect(res.body.text).toBe('User not found');
    });

    it('when the JSON is malformed, then 400 with the envelope and no parser detail', async () => {
      const res = await service.call('POST', '/login', { rawBody: '{"username": "x", ', headers: { 'content-type': 'application/json' } });
      expectEnvelope(res, 400);
      expect(res.body.text).not.toMatch(/Unexpected|position|SyntaxError/);
    });

    it.each(['null', '[]', '123', '"text"', '['.repeat(2000) + ']'.repeat(2000), '{"constructor": {"prototype": {"x": 1}}}'])(
      'when the JSON body is %s, then 400 with the envelope, never 5xx',
      async (rawBody) => {
        const res = await service.call('POST', '/login', { rawBody, headers: { 'content-type': 'application/json' } });
        expectEnvelope(res, 400);
      },
    );

    it('when a body fails validation, then 400 with errors naming the fields', async () => {
      const res = await service.call('POST', '/login', { body: { username: 'someone' } });
      expectEnvelope(res, 400);
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: '/body/password' }));
    });
  });

  describe('every operation', () => {
    it('when an unknown query parameter is sent, then the answer is a status the spec documents', async () => {
      const user = await signedInUser(service);
      const undocumented: string[] = [];
      for (const operation of service.api.getOperations()) {
        const path = operation.path.replace('{session_id}', 'sess_abcdefghijkl');
        const method = operation.method.toUpperCase();
        try {
          const res = await service.call(method, `${path}?unexpected_param=1`, { token: user.token, body: operation.requestBody ? {} : undefined });
          expect(res.status, `${method} ${path}`).toBeLessThan(500);
        } catch (err) {
          undocumented.push((err as Error).message.slice(0, 160));
        }
      }
      expect(undocumented).toEqual([]);
    });
  });

  describe('operations that take no body', () => {
    const bodyless = () => service.api.getOperations().filter((op) => !op.requestBody);
    const pathOf = (op: { path: string }, sessionId: string) =>
      (servedAtRoot(service.api, op.path) ? '' : '/api/v1') + op.path.replace('{session_id}', sessionId);

    it('when a body is sent to one, then 415 for text and 400 for JSON, and the operation does not run', async () => {
      const user = await signedInUser(service);
      const other = await loginUser(service, user);
      const sessionId = claimsOf(other).sid;
      const mailsBefore = await service.db('mail_outbox').count({ n: '*' });
      const answers: string[] = [];
      for (const op of bodyless()) {
        const path = pathOf(op, sessionId);
        const headers = { authorization: `Bearer ${user.token}` };
        const text = await checkedRequest(service, {
          method: op.method.toUpperCase(),
          path,
          headers: { ...headers, 'content-type': 'text/plain' },
          body: 'bye',
        });
        const json = await checkedRequest(service, {
          method: op.method.toUpperCase(),
          path,
          headers: { ...headers, 'content-type': 'application/json' },
          body: '{"all":true}',
        });
        answers.push(`${op.operationId} ${text.status} ${text.body?.error} ${json.status} ${json.body?.error} ${json.body?.errors?.[0]?.field}`);
      }
      expect(answers).toEqual(bodyless().map((op) => `${op.operationId} 415 unsupported_media_type 400 validation_failed /body`));
      expect(answers.length).toBeGreaterThanOrEqual(15);
      // Nothing ran: the caller is still logged in, the other session lives, no mail was queued.
      expect((await service.call('GET', '/verify-token', { token: user.token })).status).toBe(200);
      expect((await service.call('GET', '/verify-token', { token: other })).status).toBe(200);
      expect(await service.db('mail_outbox').count({ n: '*' })).toEqual(mailsBefore);
    });

    it('when no body is sent, or an empty one, then they answer as usual', async () => {
      const user = await signedInUser(service);
      const res = await checkedRequest(service, {
        method: 'POST',
        path: '/api/v1/logout',
        headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
        body: '',
      });
      expect(res.status).toBe(200);
    });
  });

  describe('paths the spec does not name', () => {
    it('when a path of the spec is asked with a trailing slash, then 404, with every method', async () => {
      const user = await signedInUser(service);
      const answers: string[] = [];
      for (const op of service.api.getOperations()) {
        const path = (servedAtRoot(service.api, op.path) ? '' : '/api/v1') + op.path.replace('{session_id}', 'sess_abcdefghijkl');
        const res = await checkedRequest(service, { method: op.method.toUpperCase(), path: `${path}/`, headers: { authorization: `Bearer ${user.token}` } });
        answers.push(`${op.method.toUpperCase()} ${path}/ ${res.status} ${res.body?.error}`);
      }
      const deleteAll = await checkedRequest(service, {
        method: 'DELETE',
        path: '/api/v1/active-sessions/',
        headers: { authorization: `Bearer ${user.token}` },
      });
      answers.push(`DELETE /api/v1/active-sessions/ ${deleteAll.status} ${deleteAll.body?.error}`);
      expect(
        answers.every((a) => a.endsWith(' 404 not_found')),
        answers.join('\n'),
      ).toBe(true);
      expect(answers.length).toBe(service.api.getOperations().length + 1);
    });
  });

  describe('X-Request-Id', () => {
    it('when a well-formed id is sent, then it is echoed', async () => {
      const id = 'client-req_42.abc';
      const res = await service.call('GET', '/survey-data', { headers: { 'x-request-id': id } });
      expect(res.headers.get('x-request-id')).toBe(id);
      const onError = await service.call('GET', '/nope', { headers: { 'x-request-id': id } });
      expect(onError.headers.get('x-request-id')).toBe(id);
    });

    it.each([
      ['contains spaces', 'bad id with spaces'],
      ['is 200 characters long', 'a'.repeat(200)],
      ['contains markup', '<script>x</script>'],
    ])('when the sent id %s, then it is replaced by a generated one', async (_name, id) => {
      const res = await service.call('GET', '/survey-data', { headers: { 'x-request-id': id } });
      const echoed = res.headers.get('x-request-id');
      expect(echoed).not.toBe(id);
      expect(echoed).toMatch(UUID);
    });

    it('when no id is sent, then each answer gets a fresh generated one', async () => {
      const first = await service.call('GET', '/survey-data');
      const second = await service.call('GET', '/nope');
      expect(first.headers.get('x-request-id')).toMatch(UUID);
      expect(second.headers.get('x-request-id')).toMatch(UUID);
      expect(first.headers.get('x-request-id')).not.toBe(second.headers.get('x-request-id'));
    });
  });

  describe('authentication', () => {
    it.each([
      ['GET', '/me'],
      ['GET', '/user-data'],
      ['GET', '/training-profile'],
      ['GET', '/verify-token'],
      ['GET', '/active-sessions'],
      ['POST', '/logout'],
    ])('when %s %s is called without a token, then 401 with the envelope', async (method, path) => {
      expectEnvelope(await service.call(method, path), 401);
    });

    it('when the Authorization header is not a bearer token, then 401', async () => {
      expectEnvelope(await service.call('GET', '/me', { headers: { authorization: 'Basic dXNlcjpwYXNz' } }), 401);
      expectEnvelope(await service.call('GET', '/me', { headers: { authorization: 'Bearer' } }), 401);
      expectEnvelope(await service.call('GET', '/me', { token: 'not-a-jwt' }), 401);
    });

    it('when a private operation is called with a valid token, then it never answers 5xx', async () => {
      const user = await signedInUser(service);
      for (const path of ['/me', '/user-data', '/training-profile', '/verify-token', '/active-sessions']) {
        const res = await service.call('GET', path, { token: user.token });
        expect(res.status, `GET ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(500);
        expect(res.status, `GET ${path}`).toBe(200);
      }
    });
  });
});
