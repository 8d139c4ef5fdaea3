/**
 * Dredd hooks for openapi.yaml (CommonJS: Dredd `require`s hookfiles; the package is ESM).
 *
 * Dredd turns every documented response into a transaction sent with the *happy* request, so
 * each non-2xx transaction is rewritten here until the documented error really happens:
 *   400  an invalid body, a malformed parameter, an unknown query parameter, a taken name, or an
 *        unknown mailed token
 *   401  no token, a token whose session was revoked (logged out), or an unknown refresh token
 *   404  an unknown session id; 409 a user whose address is verified
 *   413  a body over 16 KiB; 415 a text/plain body (also sent to operations that take none)
 *   429  a client IP (X-Forwarded-For; the service runs with TRUST_PROXY=1), or for a per-user
 *        limit a user, whose limit a hook has just used up; every other request gets an IP of
 *        its own
 *   304  If-None-Match with the ETag fetched first
 *   412  If-Match with a tag of no version; 422 an Idempotency-Key a first request used with
 *        another body (and the 2xx of the operations taking a key are that key's retry)
 *   survey 404/500: the survey file (a temp copy made by run-dredd.ts) is hidden or broken for
 *        the one transaction and restored right after
 * What cannot be caused from outside is skipped (skipReason: every 500 but the survey file's,
 * every 503, and a few by name in SKIPPED, each with the reason).
 *
 * The users, tokens and training profile the transactions need are created through the
 * service's own API in beforeAll, with a random suffix per run; verification and reset tokens
 * are taken from the mails the service sends to run-dredd.ts's SMTP server (CONTRACT_MAIL_DIR). Beyond Dredd's checks (status,
 * headers present, JSON keys and types as in the example), afterEach checks that an error body's
 * `code` equals the status and, where EXPECTED_TEXT names one, that the error text is the one
 * the rewrite was meant to cause.
 *
 * Anything that goes wrong in a hook is printed with the prefix `contract-hooks: ERROR` (which
 * run-dredd.ts treats as a failure) and fails the transaction concerned.
 */
const { randomBytes } = require('node:crypto');
const { Secret, TOTP } = require('otpauth');
const { readFileSync, readdirSync, writeFileSync, renameSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const hooks = require('hooks');

// ---------------------------------------------------------------------------------------------
// Where the service is

const endpoint = new URL(process.env.CONTRACT_ENDPOINT || hooks.configuration.endpoint || 'http://127.0.0.1:3000/api/v1');
const ORIGIN = process.env.CONTRACT_ORIGIN || endpoint.origin;
const API_PREFIX = endpoint.pathname.replace(/\/$/, ''); // "/api/v1"
const API = ORIGIN + API_PREFIX;
const SURVEY_FILE = process.env.CONTRACT_SURVEY_FILE; // a temp copy, only set by run-dredd.ts
const MAIL_DIR = process.env.CONTRACT_MAIL_DIR; // the mails the service sent, one JSON file each (run-dredd.ts)
const METRICS_PORT = process.env.CONTRACT_METRICS_PORT; // the metrics listener's port (run-dredd.ts)

// ---------------------------------------------------------------------------------------------
// What the service makes of each operation: run-dredd.ts asks the service's own code (auth mode
// from `security`, served at the root or under /api/v1, the `x-rate-limit` it names) and writes
// it to CONTRACT_RULES, with the parsed spec.

if (!process.env.CONTRACT_RULES) throw new Error('CONTRACT_RULES is not set: run the contract tests with npm run test:contract');
const { document: spec, operations } = JSON.parse(readFileSync(process.env.CONTRACT_RULES, 'utf8'));

/**
 * `{ auth: 'required' | 'optional' | 'none', atRoot, listener: 'api' | 'metrics', rateLimit }` of the transaction's operation;
 * `rateLimit` is `{ limiter, per: ['ip' | 'user', ...] }` or null.
 */
function ruleOf(t) {
  const rule = operations[`${t.request.method} ${t.origin.resourceName}`];
  if (!rule) throw new Error(`no operation ${t.request.method} ${t.origin.resourceName} in CONTRACT_RULES`);
  return rule;
}
const authModeOf = (t) => ruleOf(t).auth;
/** The ops endpoints are served at the server root (path-level `servers`, which Dredd ignores). */
const atServerRoot = (t) => ruleOf(t).atRoot;

// ---------------------------------------------------------------------------------------------
// Transactions skipped, by exact name, and why

const WHY_500 = 'a 500 needs an unexpected server fault; nothing a client sends can cause one';
const WHY_503 = 'a 503 needs the database to be unreachable, which cannot be caused from outside without stopping the database under the running service';
const WHY_IN_FLIGHT =
  'a 409 here needs a first request with the same Idempotency-Key still being processed when the second arrives, a race Dredd cannot hold open; test/idempotency.test.ts holds a claim open and gets it';
const WHY_ACCOUNT_GONE =
  'a 404 here needs the account of a still-valid session to disappear; deleting an account (DELETE /me, or in the database) deletes its sessions with it, so the request is then 401';

// Skipped by name: what a healthy service cannot be made to answer from outside.
const SKIPPED = {
  '/readyz > Readiness check > 503 > application/json':
    'readiness is 503 only while the database is unreachable or the service is shutting down; neither can be caused while Dredd still needs the service',
  "/me > Get the caller's profile > 404 > application/json": WHY_ACCOUNT_GONE,
  "/user-data > Get the caller's complete data > 404 > application/json": WHY_ACCOUNT_GONE,
  "/user-data > Update parts of the caller's data > 404 > application/json": WHY_ACCOUNT_GONE,
  "/profile > Update the caller's account details > 404 > application/json": WHY_ACCOUNT_GONE,
  '/register > Register a new account > 409 > application/json': WHY_IN_FLIGHT,
  '/create_user > Create a user (simple user API) > 409 > application/json': WHY_IN_FLIGHT,
  '/workouts > Log a workout > 409 > application/json': WHY_IN_FLIGHT,
};

/** Why a transaction is skipped: by name above, or by rule for every 500 (but the survey file's) and every 503. */
function skipReason(t) {
  if (SKIPPED[t.name]) return SKIPPED[t.name];
  const status = statusOf(t);
  if (status === 500 && !t.name.startsWith('/survey-data ')) return WHY_500;
  if (status === 503) return WHY_503;
  return undefined;
}

/** Error texts the rewrites are meant to cause; checked on the real answer (Dredd compares only keys and types). */
const EXPECTED_TEXT = {
  '/register > Register a new account > 400 > application/json': 'Username already taken',
  '/create_user > Create a user (simple user API) > 400 > application/json': 'Email already taken',
  "/get_user_details > Get a user's public details (simple user API) > 400 > application/json": 'User not found',
  '/login > Log in and get a token > 400 > application/json': 'Invalid password',
  '/change-password > Change the password > 400 > application/json': 'Invalid current password',
  "/active-sessions/{session_id} > End one of the caller's sessions > 404 > application/json": 'Session not found',
  "/user-data > Update parts of the caller's data > 400 > application/json": 'Username already taken',
  "/profile > Update the caller's account details > 400 > application/json": 'Email already registered',
  '/survey-data > Get survey reference data > 404 > application/json': 'Survey data file not found',
  '/survey-data > Get survey reference data > 500 > application/json': 'Invalid JSON format in survey data file',
  '/token/refresh > Get a new access token with a refresh token > 401 > application/json': 'Unauthorized',
  '/email/verify > Confirm the email address with the token from the mail > 400 > application/json': 'Invalid or expired verification token',
  '/email/verification > Send a new verification mail > 409 > application/json': 'Email already verified',
  '/password/reset > Set a new password with the token from the reset mail > 400 > application/json': 'Invalid or expired reset token',
  '/mfa/totp > Start turning on two-factor login > 409 > application/json': 'Two-factor login is already on',
  '/mfa/totp > Turn two-factor login off > 400 > application/json': 'Invalid two-factor code',
  '/mfa/totp > Turn two-factor login off > 409 > application/json': 'Two-factor login is off',
  '/mfa/totp/confirm > Turn two-factor login on with a first code > 400 > application/json': 'Invalid two-factor code',
  '/mfa/totp/confirm > Turn two-factor login on with a first code > 409 > application/json': 'No two-factor setup to confirm',
  "/me > Delete the caller's account > 400 > application/json": 'Invalid current password',
  '/workouts > Log a workout > 400 > application/json': 'Workout starts more than a day ahead',
  "/workouts/{workout_id} > Replace one of the caller's workouts > 400 > application/json": 'Workout starts more than a day ahead',
  "/workouts/{workout_id} > Get one of the caller's workouts > 404 > application/json": 'Workout not found',
  "/workouts/{workout_id} > Replace one of the caller's workouts > 404 > application/json": 'Workout not found',
  "/workouts/{workout_id} > Delete one of the caller's workouts > 404 > application/json": 'Workout not found',
  "/training-profile > Store the caller's training questionnaire > 412 > application/json": 'Precondition failed',
  "/profile > Update the caller's account details > 412 > application/json": 'Precondition failed',
  "/user-data > Update parts of the caller's data > 412 > application/json": 'Precondition failed',
  "/workouts/{workout_id} > Replace one of the caller's workouts > 412 > application/json": 'Precondition failed',
  '/register > Register a new account > 422 > application/json': 'Idempotency-Key was used with a different request',
  '/create_user > Create a user (simple user API) > 422 > application/json': 'Idempotency-Key was used with a different request',
  '/workouts > Log a workout > 422 > application/json': 'Idempotency-Key was used with a different request',
};

// The field a generic 400 rewrite makes invalid; afterEach checks the error names it. A `before`
// hook that rewrites the request differently drops the entry (see `before` below).
const expectedFields = new WeakMap();

// 401 transactions sent with no token at all; every other 401 is sent with a revoked token.
const MISSING_TOKEN_401 = new Set([
  "/me > Get the caller's profile > 401 > application/json",
  "/active-sessions > List the caller's active sessions > 401 > application/json",
  "/training-profile > Store the caller's training questionnaire > 401 > application/json",
]);

// ---------------------------------------------------------------------------------------------
// Helpers

function log(message) {
  console.log(`contract-hooks: ${message}`);
}
function error(message) {
  console.error(`contract-hooks: ERROR ${message}`);
}

const run = randomBytes(4).toString('hex');
const PASSWORD = 'SecurePass123!';
const NEW_PASSWORD = 'EvenMoreSecure456?';
// With TRUST_PROXY=1 the service takes the client IP from X-Forwarded-For: every request gets its
// own, except the 429 transactions, which are sent from an IP whose limit a hook used up first.
let ipCounter = 0;
function nextIp() {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

async function call(method, path, { token, body, ip, headers: extra } = {}) {
  const headers = { 'x-forwarded-for': ip || nextIp(), ...extra };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

async function expectCall(status, method, path, options) {
  const res = await call(method, path, options);
  if (res.status !== status) {
    throw new Error(`setup call ${method} ${path} answered ${res.status}, expected ${status}: ${res.text.slice(0, 300)}`);
  }
  return res.body;
}

async function registerUser(prefix) {
  const user = {
    username: `${prefix}_${run}`,
    email: `${prefix}_${run}@example.com`,
    password: PASSWORD,
    full_name: `Contract ${prefix}`,
  };
  await expectCall(200, 'POST', '/register', { body: user });
  return user;
}

async function loginAnswer(user) {
  return expectCall(200, 'POST', '/login', { body: { username: user.username, password: user.password } });
}

async function login(user) {
  return (await loginAnswer(user)).access_token;
}

const { setTimeout: sleep } = require('node:timers/promises');

/**
 * The token of the newest link to `page` (verify-email or reset-password) mailed to `address`,
 * waiting for the mail (run-dredd.ts writes every mail its SMTP server receives to MAIL_DIR).
 */
async function mailedToken(address, page) {
  if (!MAIL_DIR) throw new Error('CONTRACT_MAIL_DIR is not set: run the contract tests with npm run test:contract');
  const link = new RegExp(`/${page}\\?token=([A-Za-z0-9_-]+)`);
  for (let waited = 0; waited < 20_000; waited += 100) {
    const mails = readdirSync(MAIL_DIR)
      .sort()
      .map((f) => JSON.parse(readFileSync(join(MAIL_DIR, f), 'utf8')))
      .filter((m) => m.to.includes(address) && link.test(m.text));
    if (mails.length > 0) return link.exec(mails[mails.length - 1].text)[1];
    await sleep(100);
  }
  throw new Error(`no ${page} mail to ${address} arrived`);
}

/**
 * Uses up the limit that the operation's `x-rate-limit` names, then sends the transaction so
 * that it is refused: per client IP (an IP of its own per transaction, spent by sending the
 * operation itself with an empty body, or none for a GET, which the limit counts before
 * validating), or per user
 * (a user of its own, spent with valid requests).
 */
async function exhaustRateLimit(t) {
  const { rateLimit } = ruleOf(t);
  // A limit per user (and per IP too) is used up by one user from one IP.
  const per = rateLimit.per.includes('user') ? 'user' : 'ip';
  const ip = nextIp();
  let token;
  if (per === 'user') token = await login(await registerUser(`lim${ipCounter}`));
  for (let i = 0; i < 1000; i += 1) {
    const res = await call(t.request.method, pathOf(t), { body: per === 'ip' && t.request.method !== 'GET' ? {} : undefined, ip, token });
    if (res.status === 429) {
      setHeader(t, 'X-Forwarded-For', ip);
      if (token) setHeader(t, 'Authorization', `Bearer ${token}`);
      return;
    }
  }
  throw new Error(`could not use up the ${rateLimit.limiter} limit of ${t.name}`);
}

/** Runs an async hook body under Dredd's callback API (a hook with two parameters is async). */
function asyncHook(fn) {
  return function hook(data, done) {
    Promise.resolve()
      .then(() => fn(data))
      .then(
        () => done(),
        (err) => {
          const message = err?.message ? err.message : String(err);
          const transactions = Array.isArray(data) ? data : [data];
          error(`${Array.isArray(data) ? 'beforeAll' : data.name}: ${message}`);
          for (const t of transactions) if (!t.skip) t.fail = message;
          done();
        },
      );
  };
}

function statusOf(t) {
  return Number(t.expected.statusCode);
}

function setHeader(t, name, value) {
  for (const key of Object.keys(t.request.headers)) {
    if (key.toLowerCase() === name.toLowerCase()) delete t.request.headers[key];
  }
  if (value !== undefined) t.request.headers[name] = value;
}

/**
 * Points the transaction at another path and/or query. Dredd requests `t.fullPath` (built once
 * from the base URL and `request.uri`) and reports `t.id`; both are updated.
 */
function setUri(t, uri) {
  t.request.uri = uri;
  t.fullPath = (atServerRoot(t) ? '' : API_PREFIX) + uri;
  t.id = `${t.request.method} (${t.expected.statusCode}) ${uri}`;
}

function pathOf(t) {
  return t.request.uri.split('?')[0];
}

function withQuery(t, params) {
  const [path, query = ''] = t.request.uri.split('?');
  const search = new URLSearchParams(query);
  for (const [key, value] of Object.entries(params)) search.set(key, value);
  return `${path}?${search.toString()}`;
}

function setBody(t, body) {
  t.request.body = typeof body === 'string' ? body : JSON.stringify(body);
}

// The request body Dredd built from the spec's example, before any hook changed it.
const originalBodies = new WeakMap();
function happyBody(t) {
  const body = originalBodies.has(t) ? originalBodies.get(t) : t.request.body;
  return body ? JSON.parse(body) : {};
}

// ---------------------------------------------------------------------------------------------
// State created in beforeAll

const state = {
  setupError: undefined,
  main: undefined, // registered, logged in, with a stored training profile
  mainToken: undefined,
  mainId: undefined,
  other: undefined, // owns names the duplicate 400s reuse; logs in for the login 200
  pwUser: undefined, // changes its password (change-password 200)
  pwToken: undefined,
  profileUser: undefined, // renames itself (PUT /profile 200)
  profileToken: undefined,
  revokedToken: undefined, // a token of `main` whose session was ended by logout
  refreshToken: undefined, // the refresh token of a session of `other`
  verifyToken: undefined, // a verification token mailed to `other`
  verifiedToken: undefined, // an access token of a user whose address is verified
  resetToken: undefined, // a reset token mailed to a user of its own
  setupToken: undefined, // starts a two-factor setup (POST /mfa/totp 200)
  pending: undefined, // { token, secret } of a user whose two-factor setup awaits confirmation
  guesser: undefined, // { token, secret } of a user with a pending setup who guesses codes (confirm 429)
  factorOnToken: undefined, // a user with two-factor login on (POST /mfa/totp 409)
  factorOff: undefined, // { token, recoveryCode } of a user who turns two-factor login off
  doomedToken: undefined, // a user who deletes their account (DELETE /me 200)
  workoutId: undefined, // a workout of `main` (GET and PUT /workouts/{workout_id} 200)
  doomedWorkoutId: undefined, // a workout of `main` that DELETE /workouts/{workout_id} 200 deletes
  othersWorkoutId: undefined, // a workout of `other`: `main` gets 404 for it, as for an unknown id
  surveyOriginal: undefined,
};

const totpCode = (secret) => new TOTP({ secret: Secret.fromBase32(secret) }).generate();

/** A new user with a started two-factor setup: its token and secret. */
async function pendingFactor(prefix) {
  const token = await login(await registerUser(prefix));
  const { secret } = await expectCall(200, 'POST', '/mfa/totp', { token });
  return { token, secret };
}

/** A new user with two-factor login on: its token and recovery codes. */
async function factorOn(prefix) {
  const { token, secret } = await pendingFactor(prefix);
  const { recovery_codes } = await expectCall(200, 'POST', '/mfa/totp/confirm', { token, body: { code: totpCode(secret) } });
  return { token, recoveryCodes: recovery_codes };
}

const TRAINING_PROFILE = spec.paths['/training-profile'].put.requestBody.content['application/json'].example;

hooks.beforeAll(
  asyncHook(async (transactions) => {
    const names = new Set(transactions.map((t) => t.name));
    for (const name of [...Object.keys(SKIPPED), ...Object.keys(EXPECTED_TEXT), ...MISSING_TOKEN_401, ...Object.keys(namedHooks)]) {
      if (!names.has(name)) error(`no transaction is named "${name}" (was a summary or status renamed in openapi.yaml?)`);
    }
    try {
      state.main = await registerUser('main');
      state.other = await registerUser('other');
      state.pwUser = await registerUser('pw');
      state.profileUser = await registerUser('prof');
      state.mainToken = await login(state.main);
      state.pwToken = await login(state.pwUser);
      state.profileToken = await login(state.profileUser);
      state.revokedToken = await login(state.main);
      await expectCall(200, 'POST', '/logout', { token: state.revokedToken });
      await expectCall(200, 'PUT', '/training-profile', { token: state.mainToken, body: TRAINING_PROFILE });
      const verified = await expectCall(200, 'GET', '/verify-token', { token: state.mainToken });
      state.mainId = verified.user_info.user_id.replace(/^usr_/, '');
      state.refreshToken = (await loginAnswer(state.other)).refresh_token;
      state.verifyToken = await mailedToken(state.other.email, 'verify-email');
      const confirmed = await registerUser('conf');
      await expectCall(200, 'POST', '/email/verify', { body: { token: await mailedToken(confirmed.email, 'verify-email') } });
      state.verifiedToken = await login(confirmed);
      const resetting = await registerUser('rst');
      await expectCall(202, 'POST', '/password/forgot', { body: { email: resetting.email } });
      state.resetToken = await mailedToken(resetting.email, 'reset-password');
      state.setupToken = await login(await registerUser('mfa'));
      state.pending = await pendingFactor('pend');
      state.guesser = await pendingFactor('guess');
      state.factorOnToken = (await factorOn('mfaon')).token;
      const off = await factorOn('mfaoff');
      state.factorOff = { token: off.token, recoveryCode: off.recoveryCodes[0] };
      state.doomedToken = await login(await registerUser('doom'));
      const workout = spec.paths['/workouts'].post.requestBody.content['application/json'].example;
      state.workoutId = (await expectCall(201, 'POST', '/workouts', { token: state.mainToken, body: workout })).id;
      state.doomedWorkoutId = (await expectCall(201, 'POST', '/workouts', { token: state.mainToken, body: workout })).id;
      state.othersWorkoutId = (await expectCall(201, 'POST', '/workouts', { token: await login(state.other), body: workout })).id;
      if (SURVEY_FILE) state.surveyOriginal = readFileSync(SURVEY_FILE);
      log(`run ${run}: users ${state.main.username}, ${state.other.username}, ${state.pwUser.username}, ${state.profileUser.username} ready`);
    } catch (err) {
      state.setupError = err.message;
      throw err;
    }
  }),
);

// ---------------------------------------------------------------------------------------------
// Every transaction: skip list, ops paths, client IP, token, and the generic error rewrites

hooks.beforeEach(
  asyncHook(async (t) => {
    if (skipReason(t)) {
      t.skip = true;
      return;
    }
    if (state.setupError) throw new Error(`setup failed: ${state.setupError}`);
    originalBodies.set(t, t.request.body);

    // Dredd ignores `servers`, so it builds /api/v1/healthz; the ops endpoints live at the root.
    if (atServerRoot(t)) setUri(t, t.request.uri);
    // /metrics has a listener of its own (METRICS_PORT); Dredd would ask the API's port.
    if (ruleOf(t).listener === 'metrics') t.port = METRICS_PORT;

    // Dredd sends every header parameter, empty when it has no example (`If-None-Match: ""`).
    for (const [name, value] of Object.entries(t.request.headers)) if (value === '') setHeader(t, name, undefined);
    // The examples of If-Match and Idempotency-Key would make every write conditional on a tag
    // that does not exist and give every transaction of an operation one key: the hooks of the
    // 412 and 422 transactions set their own.
    setHeader(t, 'If-Match', undefined);
    setHeader(t, 'Idempotency-Key', undefined);
    setHeader(t, 'X-Forwarded-For', nextIp());
    const mode = authModeOf(t);
    if (mode === 'required') setHeader(t, 'Authorization', `Bearer ${state.mainToken}`);

    const status = statusOf(t);
    const hasBody = Boolean(t.request.body);
    switch (status) {
      case 400:
        // Bodies: an unknown field (every request schema has additionalProperties: false).
        // No body: an unknown query parameter (the service rejects undeclared query parameters).
        if (hasBody) {
          setBody(t, { ...happyBody(t), unexpected_field: true });
          expectedFields.set(t, '/body/unexpected_field');
        } else {
          setUri(t, withQuery(t, { unexpected: '1' }));
          expectedFields.set(t, '/query/unexpected');
        }
        break;
      case 401:
        if (MISSING_TOKEN_401.has(t.name)) setHeader(t, 'Authorization', undefined);
        else setHeader(t, 'Authorization', `Bearer ${state.revokedToken}`);
        break;
      case 413:
        // 16 KiB is the limit; the padding alone is 17 KiB.
        setBody(t, { ...happyBody(t), padding: 'x'.repeat(17 * 1024) });
        break;
      case 415:
        // A text body: refused as such, and by the operations that take no body at all.
        setHeader(t, 'Content-Type', 'text/plain');
        if (!hasBody) t.request.body = 'bye';
        break;
      case 429:
        // A 429 without x-rate-limit comes from the failure limit: a named hook causes it.
        if (ruleOf(t).rateLimit) await exhaustRateLimit(t);
        break;
      default:
        break;
    }
  }),
);

// ---------------------------------------------------------------------------------------------
// Per-transaction rewrites (run after beforeEach)

// Every name given to before(), checked against the transactions in beforeAll.
const namedHooks = {};
function before(name, fn) {
  namedHooks[name] = true;
  hooks.before(
    name,
    asyncHook((t) => {
      expectedFields.delete(t);
      return fn(t);
    }),
  );
}

// /register
// The 2xx of the operations that take an Idempotency-Key declare `Idempotent-Replayed`, which
// Dredd expects present: their transactions are the retry of a first request with the key
// (the answer of the first request is checked against the spec by the vitest suites).
async function asRetry(t, token) {
  setHeader(t, 'Idempotency-Key', await keyUsedElsewhere(pathOf(t), JSON.parse(t.request.body), token));
}
before('/register > Register a new account > 200 > application/json', async (t) => {
  setBody(t, { username: `reg_${run}`, password: PASSWORD, email: `reg_${run}@example.com`, full_name: 'Alex Johnson' });
  await asRetry(t);
});
before('/register > Register a new account > 400 > application/json', (t) => {
  // The username is taken (by another letter case, too: uniqueness ignores case).
  setBody(t, { username: state.other.username.toUpperCase(), password: PASSWORD, email: `reg2_${run}@example.com`, full_name: 'Alex Johnson' });
});

// /create_user
before('/create_user > Create a user (simple user API) > 201 > application/json', async (t) => {
  setBody(t, { ...happyBody(t), username: `cu_${run}`, email: `cu_${run}@example.com` });
  await asRetry(t);
});
before('/workouts > Log a workout > 201 > application/json', (t) => asRetry(t, state.mainToken));
before('/create_user > Create a user (simple user API) > 400 > application/json', (t) => {
  setBody(t, { ...happyBody(t), username: `cu2_${run}`, email: state.other.email });
});

// /get_user_details
before("/get_user_details > Get a user's public details (simple user API) > 200 > application/json", (t) => {
  setUri(t, withQuery(t, { user_id: state.mainId }));
});
before("/get_user_details > Get a user's public details (simple user API) > 400 > application/json", (t) => {
  // A well-formed id no user has.
  setUri(t, `${pathOf(t)}?user_id=9999999999`);
});
before("/get_user_details > Get a user's public details (simple user API) > 401 > application/json", (t) => {
  // The token is optional here, but one that is sent must be valid: send a revoked one.
  setUri(t, withQuery(t, { user_id: state.mainId }));
});

// /login
before('/login > Log in and get a token > 200 > application/json', (t) => {
  setBody(t, { username: state.other.username, password: PASSWORD, revoke_others: false });
});
before('/login > Log in and get a token > 400 > application/json', (t) => {
  setBody(t, { username: state.other.username, password: 'WrongPass999!' });
});

// /logout: end a session opened for this purpose, so the shared token stays valid.
before('/logout > End the current session > 200 > application/json', async (t) => {
  setHeader(t, 'Authorization', `Bearer ${await login(state.main)}`);
});

// /change-password
before('/change-password > Change the password > 200 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.pwToken}`);
  setBody(t, { current_password: PASSWORD, new_password: NEW_PASSWORD });
});
before('/change-password > Change the password > 400 > application/json', (t) => {
  setBody(t, { current_password: 'NotTheRightOne1!', new_password: NEW_PASSWORD });
});

// /token/refresh
before('/token/refresh > Get a new access token with a refresh token > 200 > application/json', (t) => {
  setBody(t, { refresh_token: state.refreshToken });
});
before('/token/refresh > Get a new access token with a refresh token > 401 > application/json', (t) => {
  setBody(t, { refresh_token: `unknown${run}` });
});

// /email/verify
before('/email/verify > Confirm the email address with the token from the mail > 200 > application/json', (t) => {
  setBody(t, { token: state.verifyToken });
});
before('/email/verify > Confirm the email address with the token from the mail > 400 > application/json', (t) => {
  setBody(t, { token: `unknown${run}` });
});

// /email/verification: `main` is unverified (202); a verified user gets 409.
before('/email/verification > Send a new verification mail > 409 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.verifiedToken}`);
});

// /password/reset
before('/password/reset > Set a new password with the token from the reset mail > 200 > application/json', (t) => {
  setBody(t, { token: state.resetToken, new_password: 'ResetByDredd789!' });
});
before('/password/reset > Set a new password with the token from the reset mail > 400 > application/json', (t) => {
  setBody(t, { token: `unknown${run}`, new_password: 'ResetByDredd789!' });
});

// /check-availability, /check-email-availability: malformed values.
before('/check-availability > Check whether a username is free > 400 > application/json', (t) => {
  setUri(t, `${pathOf(t)}?username=ab`); // shorter than 3 characters
  expectedFields.set(t, '/query/username');
});
before('/check-email-availability > Check whether an email is free > 400 > application/json', (t) => {
  setUri(t, `${pathOf(t)}?email=not-an-email`);
  expectedFields.set(t, '/query/email');
});

// /active-sessions/{session_id}
before("/active-sessions/{session_id} > End one of the caller's sessions > 200 > application/json", async (t) => {
  // Open a second session of the main user and end it with the main token.
  const second = await login(state.main);
  const { sessions } = await expectCall(200, 'GET', '/active-sessions', { token: second });
  const current = sessions.find((s) => s.current);
  if (!current) throw new Error('GET /active-sessions marked no session as current');
  setUri(t, `/active-sessions/${current.session_id}`);
});
before("/active-sessions/{session_id} > End one of the caller's sessions > 400 > application/json", (t) => {
  // Not a session id at all (the pattern is ^sess_...), instead of an unknown query parameter.
  setUri(t, '/active-sessions/not-a-session');
  expectedFields.set(t, '/path/session_id');
});
before("/active-sessions/{session_id} > End one of the caller's sessions > 404 > application/json", (t) => {
  setUri(t, `/active-sessions/sess_unknown${run}XXXXXXXX`);
});

// /user-data
before("/user-data > Update parts of the caller's data > 400 > application/json", (t) => {
  setBody(t, { user_profile: { username: state.other.username } });
});

// /profile
before("/profile > Update the caller's account details > 200 > application/json", (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.profileToken}`);
  setBody(t, { username: `upd_${run}`, email: `upd_${run}@example.com`, full_name: 'Updated Full Name' });
});
before("/profile > Update the caller's account details > 400 > application/json", (t) => {
  setBody(t, { email: state.other.email.toUpperCase() });
});

// /training-profile
before("/training-profile > Store the caller's training questionnaire > 400 > application/json", (t) => {
  const body = happyBody(t);
  body.basic_information = { ...body.basic_information, age: 5 }; // below the minimum of 14
  setBody(t, body);
  expectedFields.set(t, '/body/basic_information/age');
});

// /mfa/totp and /mfa/totp/confirm: users of their own, so `main` never gets a second factor.
before('/mfa/totp > Start turning on two-factor login > 200 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.setupToken}`);
});
before('/mfa/totp > Start turning on two-factor login > 409 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.factorOnToken}`);
});
before('/mfa/totp > Turn two-factor login off > 200 > application/json', (t) => {
  // A recovery code: an app code of this 30 s step was spent by the confirmation.
  setHeader(t, 'Authorization', `Bearer ${state.factorOff.token}`);
  setBody(t, { password: PASSWORD, code: state.factorOff.recoveryCode });
});
before('/mfa/totp > Turn two-factor login off > 400 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.factorOnToken}`);
  setBody(t, { password: PASSWORD, code: 'aaaa-bbbb-cccc-dddd' });
});
before('/mfa/totp > Turn two-factor login off > 409 > application/json', (t) => {
  // `main` has no second factor.
  setBody(t, { password: PASSWORD, code: '123456' });
});
before('/mfa/totp/confirm > Turn two-factor login on with a first code > 200 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.pending.token}`);
  setBody(t, { code: totpCode(state.pending.secret) });
});
before('/mfa/totp/confirm > Turn two-factor login on with a first code > 400 > application/json', (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.guesser.token}`);
  setBody(t, { code: String((Number(totpCode(state.guesser.secret)) + 1) % 1_000_000).padStart(6, '0') });
});
before('/mfa/totp/confirm > Turn two-factor login on with a first code > 409 > application/json', (t) => {
  // `main` started no setup.
  setBody(t, { code: '123456' });
});
before('/mfa/totp/confirm > Turn two-factor login on with a first code > 429 > application/json', async (t) => {
  // Wrong codes count against the account's failure limit (LOGIN_FAILURE_LIMIT, 10), per IP.
  const ip = nextIp();
  for (let i = 0; i < 20; i += 1) {
    const res = await call('POST', '/mfa/totp/confirm', { token: state.guesser.token, body: { code: '000000' }, ip });
    if (res.status === 429) {
      setHeader(t, 'Authorization', `Bearer ${state.guesser.token}`);
      setHeader(t, 'X-Forwarded-For', ip);
      return;
    }
  }
  throw new Error('could not use up the failure limit of the two-factor confirmation');
});

// DELETE /me: a user of its own; the other DELETE /me transactions are refused before anything is deleted.
before("/me > Delete the caller's account > 200 > application/json", (t) => {
  setHeader(t, 'Authorization', `Bearer ${state.doomedToken}`);
  setBody(t, { password: PASSWORD });
});
before("/me > Delete the caller's account > 400 > application/json", (t) => {
  setBody(t, { password: 'WrongPass999!' });
});

// /workouts and /workouts/{workout_id}: `main`'s own workouts, and `other`'s for the 404s.
const IN_TWO_DAYS = () => new Date(Date.now() + 2 * 86_400_000).toISOString();
before('/workouts > Log a workout > 400 > application/json', (t) => {
  setBody(t, { ...happyBody(t), started_at: IN_TWO_DAYS() });
});
before("/workouts/{workout_id} > Replace one of the caller's workouts > 400 > application/json", (t) => {
  setUri(t, `/workouts/${state.workoutId}`);
  setBody(t, { ...happyBody(t), started_at: IN_TWO_DAYS() });
});
for (const summary of ['Get', 'Replace']) {
  before(`/workouts/{workout_id} > ${summary} one of the caller's workouts > 200 > application/json`, (t) => setUri(t, `/workouts/${state.workoutId}`));
}
before("/workouts/{workout_id} > Delete one of the caller's workouts > 200 > application/json", (t) => setUri(t, `/workouts/${state.doomedWorkoutId}`));
for (const summary of ['Get', 'Replace', 'Delete']) {
  before(`/workouts/{workout_id} > ${summary} one of the caller's workouts > 404 > application/json`, (t) => setUri(t, `/workouts/${state.othersWorkoutId}`));
}

// If-Match: a tag of no version (the data and the workout are past their first version).
before("/training-profile > Store the caller's training questionnaire > 412 > application/json", (t) => setHeader(t, 'If-Match', '"p0"'));
before("/profile > Update the caller's account details > 412 > application/json", (t) => setHeader(t, 'If-Match', '"p0"'));
before("/user-data > Update parts of the caller's data > 412 > application/json", (t) => setHeader(t, 'If-Match', '"p0"'));
before("/workouts/{workout_id} > Replace one of the caller's workouts > 412 > application/json", (t) => {
  setUri(t, `/workouts/${state.workoutId}`);
  setHeader(t, 'If-Match', '"w0.0"');
});

// Idempotency-Key: a first request uses the key with one body, the transaction with another.
async function keyUsedElsewhere(path, body, token) {
  const key = `dredd-${run}-${randomBytes(6).toString('hex')}`;
  const res = await call('POST', path, { body, token, headers: { 'Idempotency-Key': key } });
  if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path} with a new Idempotency-Key answered ${res.status}`);
  return key;
}
before('/register > Register a new account > 422 > application/json', async (t) => {
  const first = { username: `idem_${run}`, password: PASSWORD, email: `idem_${run}@example.com`, full_name: 'Alex Johnson' };
  setHeader(t, 'Idempotency-Key', await keyUsedElsewhere('/register', first));
  setBody(t, { ...first, username: `idem2_${run}`, email: `idem2_${run}@example.com` });
});
before('/create_user > Create a user (simple user API) > 422 > application/json', async (t) => {
  const first = { ...happyBody(t), username: `cuidem_${run}`, email: `cuidem_${run}@example.com` };
  setHeader(t, 'Idempotency-Key', await keyUsedElsewhere('/create_user', first));
  setBody(t, { ...first, username: `cuidem2_${run}`, email: `cuidem2_${run}@example.com` });
});
before('/workouts > Log a workout > 422 > application/json', async (t) => {
  const first = happyBody(t);
  setHeader(t, 'Idempotency-Key', await keyUsedElsewhere('/workouts', first, state.mainToken));
  setBody(t, { ...first, duration_min: first.duration_min + 1 });
});

// /survey-data
before('/survey-data > Get survey reference data > 304', async (t) => {
  const res = await call('GET', '/survey-data');
  const etag = res.headers.get('etag');
  if (res.status !== 200 || !etag) throw new Error(`GET /survey-data answered ${res.status} with ETag ${etag}`);
  setHeader(t, 'If-None-Match', etag);
});

const SURVEY_404 = '/survey-data > Get survey reference data > 404 > application/json';
const SURVEY_500 = '/survey-data > Get survey reference data > 500 > application/json';
const SURVEY_FILE_NEEDED = 'needs the service to read a survey file this run may remove or break (CONTRACT_SURVEY_FILE, set by run-dredd.ts)';
before(SURVEY_404, (t) => {
  if (!SURVEY_FILE) {
    t.skip = true;
    log(`skipping "${t.name}": ${SURVEY_FILE_NEEDED}`);
    return;
  }
  renameSync(SURVEY_FILE, `${SURVEY_FILE}.hidden`);
  log('survey data file hidden for the 404 transaction (restored right after)');
});
before(SURVEY_500, (t) => {
  if (!SURVEY_FILE) {
    t.skip = true;
    log(`skipping "${t.name}": ${SURVEY_FILE_NEEDED}`);
    return;
  }
  writeFileSync(SURVEY_FILE, '{"countries": [ this is not JSON');
  log('survey data file broken for the 500 transaction (restored right after; the service logs this 500)');
});
// Dredd calls a hook with one parameter synchronously and one with two asynchronously; a hook
// declared with no parameter is never called back, and Dredd silently stops (exit code 0).
function restoreSurveyFile(_transaction) {
  if (!SURVEY_FILE || !state.surveyOriginal) return;
  if (existsSync(`${SURVEY_FILE}.hidden`)) renameSync(`${SURVEY_FILE}.hidden`, SURVEY_FILE);
  if (!readFileSync(SURVEY_FILE).equals(state.surveyOriginal)) writeFileSync(SURVEY_FILE, state.surveyOriginal);
}
hooks.after(SURVEY_404, restoreSurveyFile);
hooks.after(SURVEY_500, restoreSurveyFile);

// /metrics: Prometheus text. Dredd compares a text/plain body byte for byte with the example
// and the Content-Type value exactly, but the counters change with every request and the
// Prometheus content type carries parameters (`text/plain; version=0.0.4; charset=utf-8`).
// So the body is checked here instead: it must be Prometheus text with the documented metric.
before('/metrics > Prometheus metrics > 200 > text/plain', (t) => {
  delete t.expected.body;
});
hooks.beforeValidation('/metrics > Prometheus metrics > 200 > text/plain', (t) => {
  const type = t.real.headers['content-type'] || '';
  if (!/^text\/plain(;|$)/.test(type)) t.fail = `Content-Type is "${type}", expected text/plain`;
  else if (!/^# TYPE http_requests_total counter$/m.test(t.real.body)) t.fail = 'the metrics do not include http_requests_total';
});

// ---------------------------------------------------------------------------------------------
// Content-Type: Gavel compares the header value literally, so `application/json` (the spec's
// media type) does not match `application/json; charset=utf-8`. Compare the media types here
// (parameters ignored, as RFC 9110 does) and, when they agree, let Gavel see the real value.

function mediaType(value) {
  return String(value || '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

hooks.beforeEachValidation((t) => {
  const expectedKey = Object.keys(t.expected.headers || {}).find((k) => k.toLowerCase() === 'content-type');
  if (!expectedKey || !t.real) return;
  const actual = t.real.headers['content-type'];
  if (actual && mediaType(actual) === mediaType(t.expected.headers[expectedKey])) t.expected.headers[expectedKey] = actual;
});

// ---------------------------------------------------------------------------------------------
// After every transaction: checks Dredd does not make

hooks.afterEach((t) => {
  if (t.skip || !t.real) return;
  const status = statusOf(t);
  if (t.real.statusCode !== status) return; // Dredd already reports the wrong status
  if (status >= 400) {
    let body;
    try {
      body = JSON.parse(t.real.body);
    } catch {
      body = undefined;
    }
    const problems = [];
    if (!body || body.code !== status) problems.push(`error body code is ${body?.code}, expected ${status}`);
    const text = EXPECTED_TEXT[t.name];
    if (text && (!body || body.text !== text)) problems.push(`error text is "${body?.text}", expected "${text}"`);
    const field = expectedFields.get(t);
    const fields = body && Array.isArray(body.errors) ? body.errors.map((e) => e.field) : [];
    if (field && !fields.includes(field)) problems.push(`errors name ${JSON.stringify(fields)}, expected ${field}`);
    if (problems.length > 0) {
      error(`${t.name}: ${problems.join('; ')}`);
      t.fail = problems.join('; ');
    }
  }
});

hooks.afterAll((transactions) => {
  restoreSurveyFile(undefined);
  const skipped = transactions.filter((t) => t.skip).length;
  log(`${skipped} transactions skipped; reasons are in test/contract/hooks.cjs (skipReason) and docs/dredd.md`);
});
