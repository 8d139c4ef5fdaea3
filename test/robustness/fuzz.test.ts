import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseKind, databases } from '../support/databases.js';
import { type Service, startService } from '../support/service.js';
import { signedInUser, type TestUser } from '../support/users.js';
import {
  agent,
  checkedRequest,
  EVIL_STRINGS,
  expectPrototypeClean,
  fc,
  invalidArb,
  invalidBodyArb,
  pool,
  type RawRequest,
  rawRequest,
  type SpecOperation,
  type SpecParameter,
  satisfies,
  snapshot,
  specOperations,
  statusClass,
  toJsonText,
  validArb,
} from './bad-input.js';

/**
 * Schema-driven fuzzing of every operation of openapi.yaml. Per operation: HOSTILE requests
 * that each break the request's schema, authentication or encoding (all must be 4xx, in the
 * envelope, and the account tables must be byte-for-byte unchanged afterwards), then MIXED
 * requests that are mostly valid (no 5xx, every answer as the spec says).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const HOSTILE = Number(process.env.FUZZ_RUNS ?? 1000);
const MIXED = 150;
const CONCURRENCY = 8;
/** Operations whose schema-valid requests cost an argon2 hash or verification. */
const ARGON2 = new Set(['register', 'createUser', 'login', 'changePassword', 'resetPassword', 'deleteMe', 'disableTotp']);
/**
 * Operations that take no input and write when called with a valid token (logout ends the
 * session, sendEmailVerification queues a mail, exportMe records the export, startTotpSetup
 * stores a pending secret): their hostile batch is bad tokens only.
 */
const WRITES_WITHOUT_INPUT = new Set(['logout', 'sendEmailVerification', 'exportMe', 'startTotpSetup']);

interface Generated extends RawRequest {
  label: string;
  /** The request breaks the contract: it must be answered 4xx and write nothing. */
  must4xx: boolean;
}

interface Tally {
  sent: number;
  byClass: Record<string, number>;
}

const ops = specOperations();

/** Percent-encodes the UTF-8 bytes (a lone surrogate becomes U+FFFD, as a browser would send it). */
function pct(value: string): string {
  return [...Buffer.from(value, 'utf8')]
    .map((b) => (/[A-Za-z0-9_.~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
}

function encodeQuery(pairs: [string, string][]): string {
  return pairs.length ? `?${pairs.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}` : '';
}

/** A request of `op`, with the given parts (valid ones where not given). */
function build(
  op: SpecOperation,
  token: string | undefined,
  parts: { pathParam?: string; query?: string; body?: { text?: string | Buffer; contentType?: string }; headers?: Record<string, string | string[]> },
): RawRequest {
  const path = op.path.replace(/\{[^}]+\}/, pct(parts.pathParam ?? 'sess_abcdefghij'));
  const headers: Record<string, string | string[]> = {};
  if (token && op.auth !== 'none') headers.authorization = `Bearer ${token}`;
  if (parts.body?.contentType !== undefined) headers['content-type'] = parts.body.contentType;
  Object.assign(headers, parts.headers);
  return { method: op.method, path: `${op.prefix}${path}${parts.query ?? ''}`, headers, body: parts.body?.text };
}

function queryArb(op: SpecOperation, valid: boolean): fc.Arbitrary<string> {
  const params = op.parameters.filter((p) => p.in === 'query');
  if (params.length === 0) return fc.constant('');
  const validPairs = fc.tuple(
    ...params.map((p) => fc.oneof(fc.constant(String(p.example ?? '')), validArb(p.schema).map(String)).map((v) => [p.name, v] as [string, string])),
  );
  if (valid) return validPairs.map(encodeQuery);
  const p = params[0]!;
  return fc.oneof(
    fc.constant(''),
    invalidArb(p.schema)
      .filter((v) => typeof v === 'string')
      .map((v) => encodeQuery([[p.name, v as string]])),
    fc.constantFrom(...EVIL_STRINGS.filter((e) => !satisfies(p.schema, e))).map((v) => encodeQuery([[p.name, v]])),
    fc.constantFrom(
      `?${p.name}=`,
      `?${p.name}`,
      `?${p.name}[]=a`,
      `?${p.name}[a]=b`,
      `?${p.name}=%ZZ`,
      `?${p.name}=%E0%A4%A`,
      `?${p.name}=%00`,
      `?${p.name}=%C0%AF`,
      `?${p.name.toUpperCase()}=x`,
    ),
    fc
      .tuple(validPairs, validPairs)
      .map(([a, b]) => encodeQuery([...a, ...b]))
      .filter((q) => new Set(q.slice(1).split('&')).size > 1)
      .map((q) => q),
    fc.constant(`?${p.name}=${'9'.repeat(5000)}`),
  );
}

function junkQueryArb(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constant(''),
    fc
      .array(fc.tuple(fc.constantFrom('a', 'x', '__proto__', 'constructor', 'user_id', 'sort', 'q'), fc.constantFrom(...EVIL_STRINGS)), { maxLength: 4 })
      .map(encodeQuery),
    fc.constantFrom(
      '?a=1&a=2&a=3',
      '?%ZZ=1',
      '?a=%E0%A4%A',
      '?=',
      '?&&&',
      `?q=${'x'.repeat(6000)}`,
      '?__proto__[polluted]=yes',
      '?constructor[prototype][polluted]=yes',
    ),
  );
}

const BAD_AUTH: ((token: string) => Record<string, string | string[]>)[] = [
  () => ({ authorization: 'Bearer' }),
  () => ({ authorization: 'Bearer ' }),
  () => ({ authorization: 'Basic dXNlcjpwYXNz' }),
  () => ({ authorization: "Bearer ' OR '1'='1" }),
  () => ({ authorization: 'Bearer null' }),
  () => ({ authorization: `Bearer ${'a'.repeat(5000)}` }),
  (t) => ({ authorization: `Bearer ${t.slice(0, -2)}${t.endsWith('A') ? 'B' : 'A'}A` }),
  (t) => ({ authorization: `Bearer ${t}x` }),
  (t) => ({ authorization: `Bearer ${t} ${t}` }),
  (t) => ({ authorization: `Bearer ${t.split('.').slice(0, 2).join('.')}.` }),
  (t) => {
    const [, payload] = t.split('.');
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    return { authorization: `Bearer ${header}.${payload}.` };
  },
  (t) => {
    const [header, payload, sig] = t.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: '1', sid: "' OR '1'='1" })).toString('base64url');
    return { authorization: `Bearer ${header}.${forged}.${sig}` };
  },
];

function badAuthArb(op: SpecOperation, token: string): fc.Arbitrary<Generated> {
  const variants = op.auth === 'required' ? [...BAD_AUTH, () => ({})] : BAD_AUTH;
  return fc.tuple(fc.nat({ max: variants.length - 1 }), queryArb(op, true), op.body ? validArb(op.body) : fc.constant(undefined)).map(([i, query, body]) => ({
    ...build(op, undefined, {
      query,
      headers: variants[i]!(token),
      body: body === undefined ? undefined : { text: toJsonText(body), contentType: 'application/json' },
    }),
    label: `bad auth #${i}`,
    must4xx: true,
  }));
}

/** The header parameters an operation declares (If-Match, Idempotency-Key). */
const headerParams = (op: SpecOperation) => op.parameters.filter((p) => p.in === 'header' && p.name.toLowerCase() !== 'if-none-match');

/** Values of a declared header: schema-valid ones and the entity-tag forms a client may send. */
function headerValueArb(param: SpecParameter): fc.Arbitrary<string> {
  return fc.oneof(
    // What an HTTP client can put in a header: visible ASCII and spaces.
    validArb(param.schema).map((v) => String(v).replace(/[^\x20-\x7e]/g, '?')),
    fc.constantFrom('*', 'W/"p1"', '"p1", "p2"', '"w1.1"', '"p0"', "' OR '1'='1", '""', 'x'.repeat(255)),
  );
}

/** A valid request of `op` with a header it declares set to a value breaking that header's schema. */
function badHeaderArb(op: SpecOperation, token: string, param: SpecParameter): fc.Arbitrary<Generated> {
  const body = op.body ? fc.oneof(fc.constant(op.bodyExample), validArb(op.body)) : fc.constant(undefined);
  const bad = invalidArb(param.schema).filter((v): v is string => typeof v === 'string' && /^[\x21-\x7e]*$/.test(v));
  return fc.tuple(body, fc.oneof(bad, fc.constantFrom('', 'a b', 'k'.repeat(256)))).map(([b, value]) => ({
    ...build(op, token, {
      headers: { [param.name]: value },
      body: b === undefined ? undefined : { text: toJsonText(b), contentType: 'application/json' },
    }),
    label: `bad ${param.name} ${JSON.stringify(value).slice(0, 40)}`,
    must4xx: true,
  }));
}

/** Requests that each break the contract of `op` (or, for operations that take nothing, junk it must ignore). */
function hostileArb(op: SpecOperation, token: string): fc.Arbitrary<Generated> {
  const parts: fc.Arbitrary<Generated>[] = [];
  if (op.auth !== 'none') parts.push(badAuthArb(op, token));
  if (WRITES_WITHOUT_INPUT.has(op.operationId)) return fc.oneof(...parts);
  const pathParam = op.parameters.find((p) => p.in === 'path');
  const hasQuery = op.parameters.some((p) => p.in === 'query' && p.required);
  if (op.body) {
    const valid = fc.oneof(fc.constant(op.bodyExample), validArb(op.body));
    parts.push(
      fc
        .tuple(invalidBodyArb(op.body, valid), queryArb(op, true))
        .map(([body, query]) => ({ ...build(op, token, { body, query }), label: body.label, must4xx: true })),
    );
  }
  for (const param of headerParams(op).filter((p) => (p.schema as { minLength?: number }).minLength)) parts.push(badHeaderArb(op, token, param));
  if (hasQuery) parts.push(queryArb(op, false).map((query) => ({ ...build(op, token, { query }), label: `bad query ${query.slice(0, 40)}`, must4xx: true })));
  if (pathParam) {
    parts.push(
      fc
        .oneof(
          invalidArb(pathParam.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
          fc.constantFrom(...EVIL_STRINGS),
          validArb(pathParam.schema).map(String),
        )
        .map((id) => ({ ...build(op, token, { pathParam: id }), label: `session id ${JSON.stringify(id).slice(0, 40)}`, must4xx: true })),
    );
  }
  if (!op.body && !hasQuery && !pathParam) {
    // Nothing to get wrong but what the operation ignores: junk queries, headers and bodies on a GET.
    parts.push(
      fc
        .tuple(
          junkQueryArb(),
          fc.constantFrom<Record<string, string | string[]>>(
            {},
            { 'if-none-match': '"\u00ff"' },
            { 'if-none-match': "' OR '1'='1" },
            { 'if-none-match': 'x'.repeat(300) },
            { 'if-none-match': ['"a"', '"b"'] },
            { 'x-request-id': "'; DROP TABLE users; --" },
            { accept: 'text/html' },
            { 'content-type': 'text/plain' },
            { cookie: '__proto__=x' },
          ),
          fc.constantFrom<string | undefined>(undefined, '{"a":1}', '[', 'x'.repeat(20_000)),
        )
        .map(([query, headers, body]) => ({
          ...build(op, token, {
            query,
            headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
            body: body === undefined ? undefined : { text: body },
          }),
          label: 'junk the operation ignores',
          must4xx: false,
        })),
    );
  }
  return fc.oneof(...parts);
}

/** Mostly valid requests: the spec example and schema-generated values. */
function mixedArb(op: SpecOperation, token: string): fc.Arbitrary<Generated> {
  const body = op.body ? fc.oneof(fc.constant(op.bodyExample), validArb(op.body)) : fc.constant(undefined);
  const pathParam = op.parameters.find((p) => p.in === 'path');
  const headers = fc.tuple(...headerParams(op).map((p) => fc.option(headerValueArb(p).map((v) => [p.name, v] as const))));
  return fc
    .tuple(
      body,
      queryArb(op, true),
      pathParam ? validArb(pathParam.schema).map(String) : fc.constant(undefined),
      fc.oneof(fc.constant(''), junkQueryArb()),
      headers,
    )
    .map(([b, query, id, junk, pairs]) => ({
      ...build(op, token, {
        body: b === undefined ? undefined : { text: toJsonText(b), contentType: 'application/json' },
        query: query + (junk && query ? `&${junk.slice(1)}` : junk),
        pathParam: id,
        headers: Object.fromEntries(pairs.filter((pair) => pair !== null)),
      }),
      label: 'mixed',
      must4xx: false,
    }));
}

function short(text: string): string {
  return text.length > 700 ? `${text.slice(0, 200)} … ${text.slice(-500)}` : text;
}

async function runBatch(service: Service, requests: Generated[], tally: Tally, failures: string[], opId: string): Promise<void> {
  await pool(requests, CONCURRENCY, async (req) => {
    tally.sent += 1;
    try {
      const res = await checkedRequest(service, req);
      tally.byClass[statusClass(res.status)] = (tally.byClass[statusClass(res.status)] ?? 0) + 1;
      if (req.must4xx && (res.status < 400 || res.status >= 500)) throw new Error(`expected 4xx, got ${res.status} ${res.text.slice(0, 200)}`);
    } catch (err) {
      tally.byClass.failed = (tally.byClass.failed ?? 0) + 1;
      if (failures.length < 30)
        failures.push(
          `${opId} [${req.label}] ${req.method} ${req.path.slice(0, 120)} body=${String(req.body ?? '').slice(0, 120)}: ${short((err as Error).message)}`,
        );
    }
  });
}

function fuzzSuite(kind: DatabaseKind, runs: number) {
  let service: Service;
  const report: Record<string, { hostile: Tally; mixed: Tally; rowsChecked: number }> = {};
  beforeAll(async () => {
    service = await startService(kind);
    console.log(`fuzz on ${kind}: fast-check seed ${SEED} (set FUZZ_SEED to replay), ${runs} hostile requests per operation`);
  });
  afterAll(async () => {
    console.log(`fuzz on ${kind}: requests and answers by status class per operation`);
    console.table(
      Object.fromEntries(
        Object.entries(report).map(([op, r]) => [
          op,
          {
            hostile: r.hostile.sent,
            'h 2xx': r.hostile.byClass['2xx'] ?? 0,
            'h 3xx': r.hostile.byClass['3xx'] ?? 0,
            'h 4xx': r.hostile.byClass['4xx'] ?? 0,
            'h 5xx': r.hostile.byClass['5xx'] ?? 0,
            mixed: r.mixed.sent,
            'm 2xx': r.mixed.byClass['2xx'] ?? 0,
            'm 3xx': r.mixed.byClass['3xx'] ?? 0,
            'm 4xx': r.mixed.byClass['4xx'] ?? 0,
            'm 5xx': r.mixed.byClass['5xx'] ?? 0,
            failed: (r.hostile.byClass.failed ?? 0) + (r.mixed.byClass.failed ?? 0),
            'rows checked': r.rowsChecked,
          },
        ]),
      ),
    );
    await service?.close();
  });

  it.each(ops.map((op) => [op.operationId, op] as const))(
    '%s: hostile requests are 4xx in the envelope and write nothing; mixed ones match the spec',
    async (opId, op) => {
      const user: TestUser & { token: string } = await signedInUser(service);
      const seed = SEED + ops.indexOf(op);
      const hostile = fc.sample(hostileArb(op, user.token), { numRuns: runs, seed });
      const tally = { hostile: { sent: 0, byClass: {} }, mixed: { sent: 0, byClass: {} }, rowsChecked: 0 };
      report[opId] = tally;
      const failures: string[] = [];

      const before = await snapshot(service.db);
      await runBatch(service, hostile, tally.hostile, failures, opId);
      const after = await snapshot(service.db);
      tally.rowsChecked = after.rows;
      expect(failures, failures.join('\n')).toEqual([]);
      expect(after, `${opId}: the hostile batch changed the database`).toEqual(before);

      if (op.operationId === 'logout') {
        // A valid logout ends the session: each gets a fresh one.
        const requests: Generated[] = [];
        for (let i = 0; i < 5; i += 1) {
          const fresh = await signedInUser(service);
          requests.push(...fc.sample(mixedArb(op, fresh.token), { numRuns: 1, seed: seed + i }));
        }
        await runBatch(service, requests, tally.mixed, failures, opId);
      } else {
        const mixed = fc.sample(mixedArb(op, user.token), { numRuns: ARGON2.has(opId) ? Math.min(MIXED, 60) : MIXED, seed: seed + 1000 });
        await runBatch(service, mixed, tally.mixed, failures, opId);
      }
      expect(failures, failures.join('\n')).toEqual([]);
      expect(tally.hostile.sent + tally.mixed.sent).toBeGreaterThanOrEqual(runs);
    },
  );

  it('after __proto__ and constructor payloads, Object.prototype is clean and the service still works', async () => {
    for (const path of ['/api/v1/register', '/api/v1/profile', '/api/v1/user-data', '/api/v1/training-profile']) {
      for (const text of [
        '{"__proto__":{"polluted":"yes"}}',
        '{"constructor":{"prototype":{"polluted":"yes"}}}',
        '{"user_profile":{"__proto__":{"is_admin":true}}}',
      ]) {
        const res = await rawRequest(service.url, {
          method: path.endsWith('register') ? 'POST' : path.endsWith('user-data') ? 'POST' : 'PUT',
          path,
          headers: { 'content-type': 'application/json' },
          body: text,
        });
        expect(res.status, `${path} ${text}`).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }
    }
    expectPrototypeClean();
    const user = await signedInUser(service);
    const me = await service.call('GET', '/me', { token: user.token });
    expect(me.status).toBe(200);
    expect(me.body.user_profile.username).toBe(user.username);
    expect(me.body.user_profile.polluted).toBeUndefined();
  });
}

describe.each(databases.filter((k) => k === 'mysql'))('schema-driven fuzzing of every operation on %s', (kind) => {
  fuzzSuite(kind, HOSTILE);
});

// Without MySQL, a shorter run on SQLite keeps this file meaningful.
describe.each(databases.length === 1 ? databases : [])('schema-driven fuzzing of every operation on %s (short run)', (kind) => {
  fuzzSuite(kind, 150);
});

describe.each(databases)('schema-valid requests the service refuses on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  it('when a valid-looking request is refused (duplicates, wrong passwords, unknown country, unknown session), then 4xx and nothing is written, not even the other fields', async () => {
    const a = await signedInUser(service);
    const b = await signedInUser(service);
    const before = await snapshot(service.db);
    const refused: [string, string, Record<string, unknown> | undefined, string | undefined, number][] = [
      [
        'POST',
        '/register',
        { username: a.username.toUpperCase(), email: 'fresh1@example.com', password: 'SecurePass123!', full_name: 'New Person' },
        undefined,
        400,
      ],
      ['POST', '/register', { username: 'fresh_name_1', email: a.email.toUpperCase(), password: 'SecurePass123!', full_name: 'New Person' }, undefined, 400],
      ['POST', '/create_user', { username: a.username, email: 'fresh2@example.com', password: 'SecurePass123!', bio: 'x' }, undefined, 400],
      ['POST', '/login', { username: a.username, password: 'WrongPass123!' }, undefined, 400],
      ['POST', '/login', { username: 'nobody_here', password: 'WrongPass123!' }, undefined, 400],
      ['PUT', '/change-password', { current_password: 'WrongPass123!', new_password: 'Another$Pass99' }, a.token, 400],
      ['PUT', '/change-password', { current_password: a.password, new_password: a.password }, a.token, 400],
      ['PUT', '/profile', { bio: 'must not be stored', full_name: 'Changed Name', country: 'zz' }, a.token, 400],
      ['PUT', '/profile', { bio: 'must not be stored', username: b.username.toLowerCase() }, a.token, 400],
      ['PUT', '/profile', { bio: 'must not be stored', email: b.email.toUpperCase() }, a.token, 400],
      [
        'POST',
        '/user-data',
        {
          user_profile: { email: b.email, full_name: 'Changed Name' },
          settings: { privacy: { profile_visibility: 'private' } },
          training_profile: { level: 'advanced' },
        },
        a.token,
        400,
      ],
      ['POST', '/user-data', { user_profile: { country: 'zz' }, settings: { notifications: { push: true } } }, a.token, 400],
      ['DELETE', '/active-sessions/sess_doesnotexist0', undefined, a.token, 404],
      ['GET', '/get_user_details?user_id=999999', undefined, undefined, 400],
    ];
    for (const [method, path, body, token, status] of refused) {
      const res = await service.call(method, path, { body, token });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(status);
    }
    expect(await snapshot(service.db)).toEqual(before);
    const me = await service.call('GET', '/me', { token: a.token });
    expect(me.body.user_profile.bio).toBeNull();
    expect(me.body.account_settings.privacy.profile_visibility).toBe('public');
  });
});

describe.each(databases)('malformed HTTP on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  /** Sends bytes on a fresh socket and returns what comes back until the server closes it. */
  function rawSocket(bytes: string | Buffer): Promise<string> {
    const url = new URL(service.url);
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.end(bytes));
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
      socket.on('error', reject);
    });
  }

  function parse(answer: string): { status: number; body: any } {
    const [head = '', body = ''] = answer.split('\r\n\r\n');
    expect(head).toMatch(/content-type: application\/json/i);
    return { status: Number(head.split(' ')[1]), body: JSON.parse(body) };
  }

  it('when the headers are larger than Node allows, then 431 in the envelope', async () => {
    const res = parse(await rawSocket(`GET /api/v1/survey-data HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`));
    expect(res).toEqual({ status: 431, body: { code: 431, text: 'Request header fields too large', error: 'headers_too_large' } });
  });

  it('when very many headers are sent, then 431 in the envelope', async () => {
    const headers = Array.from({ length: 3000 }, (_, i) => `X-H${i}: ${'v'.repeat(10)}`).join('\r\n');
    const res = parse(await rawSocket(`GET /api/v1/survey-data HTTP/1.1\r\nHost: x\r\n${headers}\r\n\r\n`));
    expect(res.status).toBe(431);
    expect(res.body.code).toBe(431);
  });

  it.each([
    ['a malformed request line', 'GARBAGE\r\n\r\n'],
    ['an invalid method', 'G@T / HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['a bad header line', 'GET /healthz HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n'],
    ['a NUL in a header', 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n'],
    [
      'both Content-Length and chunked',
      'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    ['a bad chunk size', 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n'],
    ['two Content-Lengths', 'POST /api/v1/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}'],
  ])('when a request has %s, then 400 in the envelope', async (_name, bytes) => {
    const res = parse(await rawSocket(bytes));
    expect(res).toEqual({ status: 400, body: { code: 400, text: 'Bad request', error: 'bad_request' } });
  });

  it('when a body is just over 16 KiB, then 413; just under, then the body is read', async () => {
    const filler = (n: number) => `{"username":"u","password":"p","x":"${'a'.repeat(n)}"}`;
    const base = filler(0).length;
    const over = await checkedRequest(service, {
      method: 'POST',
      path: '/api/v1/login',
      headers: { 'content-type': 'application/json' },
      body: filler(16 * 1024 - base + 1),
    });
    expect(over.status).toBe(413);
    const under = await checkedRequest(service, {
      method: 'POST',
      path: '/api/v1/login',
      headers: { 'content-type': 'application/json' },
      body: filler(16 * 1024 - base),
    });
    expect(under.status).toBe(400);
    expect(under.body.text).toBe('Invalid request');
    const chunkedOver = await checkedRequest(service, {
      method: 'POST',
      path: '/api/v1/login',
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: undefined,
    });
    expect(chunkedOver.status).toBeLessThan(500);
  });

  it('when a query parameter is repeated, then 400', async () => {
    for (const path of [
      '/check-availability?username=alice&username=bob',
      '/check-email-availability?email=a%40example.com&email=b%40example.com',
      '/get_user_details?user_id=1&user_id=2',
    ]) {
      const res = await service.call('GET', path);
      expect(res.status, path).toBe(400);
    }
  });
});

afterAll(() => agent.destroy());
