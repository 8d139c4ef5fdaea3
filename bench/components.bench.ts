// The pieces of a request, one at a time (vitest bench, tinybench): npm run bench:components
import { Writable } from 'node:stream';
import { bench, describe } from 'vitest';
import { createTokenService } from '../src/auth/tokens.js';
import { loadApi } from '../src/http/spec.js';
import { createLogger, requestLineWriter } from '../src/log.js';
import { calendarOf } from '../src/workouts/calendar.js';
import { exampleBody } from './spec.js';

const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
const writeLine = requestLineWriter(createLogger('info', sink));
const tokens = createTokenService('a-secret-that-is-long-enough-for-hs256-0123456789', 1800, Date.now);
const { token } = await tokens.sign(1, 'sess_bench');
const api = await loadApi();
const register = api.getOperation('register')!;
const body = exampleBody('/register', 'post');
const request = { method: 'post', path: '/register', headers: { 'content-type': 'application/json' }, query: {}, body };
const berlin = calendarOf('Europe/Berlin');

describe('a request, piece by piece', () => {
  bench('the request log line (to a discarding stream)', () => {
    writeLine({ requestId: 'a1b2', method: 'GET', route: '/survey-data', operation: 'getSurveyData', status: 200, durationMs: 0.41 });
  });
  bench('verifying an access token (jose, HS256)', async () => {
    await tokens.verify(token);
  });
  bench("validating POST /register's body (openapi-backend, ajv)", () => {
    api.validateRequest(request, register);
  });
  bench('the local day of an instant (a kept calendar)', () => {
    berlin.dayOf(Date.now());
  });
});
