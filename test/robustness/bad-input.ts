/**
 * Shared tools of the bad-input robustness files: a raw HTTP client (bytes, duplicate headers,
 * bodies on GET), the spec's operations with their $refs resolved, fast-check arbitraries
 * derived from request schemas, mutations that are guaranteed to break a schema, and a
 * database snapshot (row counts and a checksum) to prove that rejected requests wrote nothing.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Db } from '../../src/db/db.js';
import { listenerOf } from '../../src/http/spec.js';
import { checkAgainstSpec, type Service, sharedApi } from '../support/service.js';

// ---------------------------------------------------------------------------------------------
// The spec

export type Schema = Record<string, any>;
// openapi-backend's copy of the spec, with every $ref already resolved.
const spec = (await sharedApi()).definition as Schema;

/** A component schema of the spec, by name (resolved). */
export function specSchema(name: string): Schema {
  const schema = (spec.components?.schemas as Record<string, Schema> | undefined)?.[name];
  if (!schema) throw new Error(`openapi.yaml has no schema ${name}`);
  return schema;
}

const ajv = new Ajv({ strict: false, allErrors: false });
addFormats.default(ajv);
const compiled = new Map<Schema, (value: unknown) => boolean>();

/** Does the value satisfy the schema, as the service's Ajv (with formats and `nullable`) judges it? */
export function satisfies(schema: Schema, value: unknown): boolean {
  let check = compiled.get(schema);
  if (!check) {
    const validate = ajv.compile(schema);
    check = (v) => validate(v) as boolean;
    compiled.set(schema, check);
  }
  return check(value);
}

/** Does the JSON text parse to a value that satisfies the schema? */
export function textSatisfies(schema: Schema, text: string | Buffer | undefined): boolean {
  try {
    return satisfies(schema, JSON.parse(String(text)));
  } catch {
    return false;
  }
}

export interface SpecParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  required: boolean;
  schema: Schema;
  example?: unknown;
}

export interface SpecOperation {
  operationId: string;
  method: string;
  /** The path as the spec writes it, e.g. /active-sessions/{session_id}. */
  path: string;
  /** Where it is served: /api/v1 or the root (of the API's listener, or the metrics listener's). */
  prefix: string;
  parameters: SpecParameter[];
  body?: Schema;
  bodyExample?: unknown;
  auth: 'required' | 'optional' | 'none';
}

export function specOperations(): SpecOperation[] {
  const ops: SpecOperation[] = [];
  for (const [path, item] of Object.entries(spec.paths as Record<string, Schema>)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      const op = item[method] as Schema | undefined;
      if (!op) continue;
      const security = (op.security ?? spec.security ?? []) as Schema[];
      const bearer = security.some((r) => 'bearerAuth' in r);
      const media = op.requestBody?.content?.['application/json'];
      ops.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        prefix: item['x-listener'] === 'metrics' || item.servers?.[0]?.url === '/' ? '' : '/api/v1',
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p: Schema) => p as SpecParameter),
        body: media?.schema,
        bodyExample: media?.example,
        auth: !bearer ? 'none' : security.some((r) => Object.keys(r).length === 0) ? 'optional' : 'required',
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------------
// Raw JSON text: values JSON.stringify cannot write (1e309, -0, duplicate keys, __proto__ keys)

/** A fragment put into the JSON text as is. */
export class Raw {
  constructor(readonly text: string) {}
}

/** JSON.stringify, except that Raw values are written verbatim. */
export function toJsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0000raw${raws.length - 1}\u0000`;
    }
    return v;
  });
  if (text === undefined) return '';
  return text.replace(/"\\u0000raw(\d+)\\u0000"/g, (_m, i: string) => raws[Number(i)] as string);
}

// ---------------------------------------------------------------------------------------------
// Hostile values

export const EVIL_STRINGS: string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001\u0007\u001b[31m\u007f',
  '\r\n\t',
  'admin\u202Egnp.exe',
  'zero\u200Bwidth',
  '\uFEFFbom',
  'Jos\u00e9',
  'Jose\u0301',
  '\u212Aelvin',
  '\u0130stanbul',
  '💪🏋️‍♀️🔥',
  '\uD800',
  'x\uDFFFy',
  '\uFFFF\uFFFE',
  '𝕬𝖑𝖊𝖝',
  '١٢٣',
  "' OR '1'='1",
  "'; DROP TABLE users; --",
  "\\' UNION SELECT password_hash FROM users --",
  '" OR ""="',
  '\\',
  '\\\\',
  '%',
  '_',
  '%_%',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template-injection probe, sent literally
  '${7*7}{{7*7}}',
  '<script>alert(1)</script>',
  '../../../../etc/passwd',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  'x'.repeat(300),
];

export const SQL_INJECTION: string[] = [
  "' OR '1'='1",
  "' OR 1=1 --",
  "'; DROP TABLE users; --",
  "\\' UNION SELECT password_hash FROM users --",
  "admin'--",
  "' UNION SELECT NULL, NULL, NULL --",
  '1; DELETE FROM sessions',
  "1' AND SLEEP(5) AND '1'='1",
  "\\'; TRUNCATE user_settings; --",
  '\\',
  '\\\\%',
  '%',
  '%%',
  '_',
  '___',
  'a%',
  '%@example.com',
  '_lice@example.com',
  "o'brien@example.com",
  '"; SELECT * FROM users; --',
  "\u0000' OR 1=1 --",
  '` OR 1=1 --',
];

const arbEvil = fc.constantFrom(...EVIL_STRINGS);

// ---------------------------------------------------------------------------------------------
// Arbitraries of valid values, derived from a schema

function fitLength(value: string, min: number, max: number): string {
  let v = value.slice(0, max);
  while (v.length < min) v += 'a';
  return v;
}

function stringArb(s: Schema): fc.Arbitrary<string> {
  const min = (s.minLength as number | undefined) ?? 0;
  const max = (s.maxLength as number | undefined) ?? 200;
  if (s.format === 'email') return fc.emailAddress().filter((e) => e.length >= min && e.length <= max && /^[\x21-\x7e]+$/.test(e));
  if (s.format === 'uri') return fc.webUrl().filter((u) => u.length <= max && /^https?:\/\//.test(u));
  if (s.pattern) return fc.stringMatching(new RegExp(s.pattern as string)).map((v) => fitLength(v, min, max));
  return fc
    .oneof(
      fc.string({ minLength: min, maxLength: Math.min(max, 40) }),
      fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'grapheme' }),
      fc.string({ minLength: min, maxLength: Math.min(max, 40), unit: 'binary' }),
    )
    .map((v) => fitLength(v, min, max));
}

/** Values that satisfy the schema (up to formats fast-check and Ajv disagree on). */
export function validArb(schema: Schema): fc.Arbitrary<unknown> {
  const s = schema ?? {};
  let arb: fc.Arbitrary<unknown>;
  if (Array.isArray(s.enum)) arb = fc.constantFrom(...(s.enum as unknown[]).filter((v) => v !== null));
  else if (s.type === 'string') arb = stringArb(s);
  else if (s.type === 'integer') arb = fc.integer({ min: s.minimum ?? -(2 ** 31), max: s.maximum ?? 2 ** 31 - 1 });
  else if (s.type === 'number')
    arb = fc.double({ min: s.minimum ?? -1e6, max: s.maximum ?? 1e6, noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
  else if (s.type === 'boolean') arb = fc.boolean();
  else if (s.type === 'array') {
    const items = validArb(s.items as Schema);
    const constraints = { minLength: s.minItems ?? 0, maxLength: Math.min(s.maxItems ?? 5, 5) };
    arb = s.uniqueItems ? fc.uniqueArray(items, { ...constraints, selector: (v) => JSON.stringify(v) }) : fc.array(items, constraints);
  } else if (s.type === 'object' || s.properties) {
    const props = (s.properties ?? {}) as Record<string, Schema>;
    const shape = Object.fromEntries(Object.entries(props).map(([k, p]) => [k, validArb(p)]));
    const minProperties = (s.minProperties as number | undefined) ?? 0;
    arb = fc.record(shape, { requiredKeys: (s.required ?? []) as string[] }).filter((o) => Object.keys(o).length >= minProperties);
  } else arb = fc.constant('x');
  return s.nullable ? fc.oneof({ arbitrary: arb, weight: 5 }, { arbitrary: fc.constant(null), weight: 1 }) : arb;
}

// ---------------------------------------------------------------------------------------------
// Values that break a schema, whatever else the request holds

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (value instanceof Raw) return 'raw';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

const ANY_TYPE: unknown[] = ['text', '', 0, 1, -1, 1.5, 2 ** 53 + 1, true, false, null, [], ['a'], {}, { a: 1 }, [[[]]]];

/** Does a value of this JSON type satisfy the schema's `type`? */
function typeAllowed(s: Schema, value: unknown): boolean {
  const t = typeOf(value);
  if (t === 'null') return s.nullable === true;
  if (s.type === 'number') return t === 'integer' || t === 'number';
  if (s.type === 'integer') return t === 'integer';
  return t === s.type;
}

/** Invalid values for one slot: wrong types, out of range, off the pattern, outside the enum. */
export function invalidArb(schema: Schema): fc.Arbitrary<unknown> {
  const s = schema ?? {};
  const options: fc.Arbitrary<unknown>[] = [fc.constantFrom(...ANY_TYPE.filter((v) => !typeAllowed(s, v)))];
  if (s.type === 'string') {
    const max = s.maxLength as number | undefined;
    const min = s.minLength as number | undefined;
    if (max !== undefined)
      options.push(
        fc.integer({ min: max + 1, max: max + 5000 }).map((n) => 'é'.repeat(n)),
        fc.constant('a'.repeat(max + 1)),
      );
    if (min !== undefined && min > 0) options.push(fc.string({ maxLength: min - 1 }));
    if (Array.isArray(s.enum))
      options.push(
        fc.constantFrom(...(s.enum as string[]).filter(Boolean).flatMap((e) => [e.toUpperCase(), ` ${e}`, `${e}\u0000`, `${e}\u200B`])),
        arbEvil.filter((e) => !(s.enum as unknown[]).includes(e)),
      );
    if (s.pattern || s.format === 'email' || s.format === 'uri') {
      // Each of these breaks the ASCII patterns and formats of the spec (spaces, quotes, control or non-ASCII characters).
      const breaking = EVIL_STRINGS.filter((e) => /[^A-Za-z0-9_]/.test(e) && e !== '' && !/^[a-z0-9_-]+$/.test(e));
      options.push(fc.constantFrom(...breaking).filter((e) => !new RegExp((s.pattern as string | undefined) ?? '^$').test(e)));
      // biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is one of the characters looked for
      options.push(fc.constantFrom(...SQL_INJECTION).filter((e) => /[ '"\\;`\u0000]/.test(e)));
    }
  }
  if (s.type === 'integer' || s.type === 'number') {
    if (s.minimum !== undefined) {
      options.push(fc.constantFrom(s.minimum - 1, -1e308, new Raw('-1e309')));
      if (s.minimum > 0) options.push(fc.constant(new Raw('-0')), fc.constant(0));
    }
    if (s.maximum !== undefined) options.push(fc.constantFrom(s.maximum + 1, 1e308, new Raw('1e309'), new Raw(`1${'0'.repeat(400)}`)));
    if (s.type === 'integer') options.push(fc.constantFrom(1.5, new Raw('3.0000000000000001e0'), 'NaN'));
  }
  if (s.type === 'array') {
    options.push(fc.constant([{ nested: 'object' }]));
    if (s.maxItems !== undefined) options.push(fc.constant(Array.from({ length: s.maxItems + 1 }, (_, i) => `x${i}`)));
    if (s.minItems) options.push(fc.constant([]));
    const items = (s.items ?? {}) as Schema;
    options.push(invalidArb(items).map((bad) => [bad]));
    if (s.uniqueItems && Array.isArray(items.enum)) options.push(fc.constant([items.enum[0], items.enum[0]]));
  }
  return fc.oneof(...options).filter((v) => v instanceof Raw || (Array.isArray(v) && v.some((x) => x instanceof Raw)) || !satisfies(s, v));
}

type Path = (string | number)[];

/** Every place in a body where a value may go, with its schema and whether its parent requires it. */
export function slotsOf(schema: Schema, path: Path = []): { path: Path; schema: Schema; required: boolean }[] {
  const s = schema ?? {};
  const slots: { path: Path; schema: Schema; required: boolean }[] = [];
  if (s.type === 'object' || s.properties) {
    for (const [key, child] of Object.entries((s.properties ?? {}) as Record<string, Schema>)) {
      slots.push({ path: [...path, key], schema: child, required: ((s.required ?? []) as string[]).includes(key) });
      slots.push(...slotsOf(child, [...path, key]));
    }
  } else if (s.type === 'array') {
    slots.push({ path: [...path, 0], schema: s.items as Schema, required: false });
  }
  return slots;
}

function cloneSet(root: unknown, path: Path, value: unknown, remove = false): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...Path];
  const container: any =
    typeof head === 'number' ? (Array.isArray(root) ? [...root] : []) : root && typeof root === 'object' && !Array.isArray(root) ? { ...root } : {};
  if (rest.length === 0 && remove) delete container[head];
  else container[head] = cloneSet(container[head], rest, value, remove);
  return container;
}

/** A JSON body, or raw bytes with a content type. */
export interface BodySpec {
  text?: string | Buffer;
  contentType?: string;
  label: string;
}

/**
 * Request bodies that break `schema` whatever the rest holds: a bad value in one slot, a
 * missing required field, an unknown field, a body of another type, broken JSON text.
 */
export function invalidBodyArb(schema: Schema, valid: fc.Arbitrary<unknown>): fc.Arbitrary<BodySpec> {
  const s = schema ?? {};
  const slots = slotsOf(s);
  const objectSlots = [{ path: [] as Path, schema: s }, ...slots.filter((x) => x.schema.additionalProperties === false)];
  const required = slots.filter((x) => x.required);
  const json =
    (label: string) =>
    (v: unknown): BodySpec => ({ text: toJsonText(v), contentType: 'application/json', label });
  const parts: fc.Arbitrary<BodySpec>[] = [
    fc
      .tuple(valid, fc.constantFrom(...slots), fc.nat())
      .chain(([base, slot]) => invalidArb(slot.schema).map((bad) => cloneSet(base, slot.path, bad)))
      .map(json('bad value')),
    fc
      .tuple(
        valid,
        fc.constantFrom(...objectSlots),
        fc.constantFrom('constructor', 'prototype', 'isAdmin', 'is_admin', 'id', 'password_hash', 'plan', '$where', '', ' ', '\u0000', 'x'.repeat(500)),
        fc.constantFrom<unknown>(true, 1, 'enterprise', null, {}),
      )
      .map(([base, slot, key, v]) => cloneSet(base, [...slot.path, key], v))
      .map(json('extra field')),
    fc.constantFrom<unknown>(null, [], [{}], 'string', 0, -0, true, [[[]]]).map(json('wrong body type')),
    fc.tuple(valid, fc.nat()).map(([base, n]) => {
      const text = toJsonText(base);
      return { text: text.slice(0, 1 + (n % Math.max(1, text.length - 1))), contentType: 'application/json', label: 'truncated JSON' };
    }),
    fc.constantFrom<BodySpec>(
      { text: '['.repeat(10_000) + ']'.repeat(10_000), contentType: 'application/json', label: 'deep array nesting' },
      { text: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, contentType: 'application/json', label: 'deep object nesting' },
      { text: `${'{"a":'.repeat(3_000)}1${'}'.repeat(3_000)}`, contentType: 'application/json', label: 'deep object nesting (under the limit)' },
      { text: '{"__proto__":{"polluted":"yes","is_admin":true}}', contentType: 'application/json', label: '__proto__ key' },
      { text: '{"constructor":{"prototype":{"polluted":"yes"}}}', contentType: 'application/json', label: 'constructor key' },
      { text: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]), contentType: 'application/json', label: 'invalid UTF-8 key' },
      { text: Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0xf8, 0x88, 0x80, 0x80, 0x80]), contentType: 'application/json', label: 'invalid UTF-8 bytes' },
      { text: '{"a":1,}', contentType: 'application/json', label: 'trailing comma' },
      { text: "{'a':1}", contentType: 'application/json', label: 'single quotes' },
      { text: 'NaN', contentType: 'application/json', label: 'NaN' },
      { text: '1e309', contentType: 'application/json', label: '1e309 body' },
      { text: '\u0000', contentType: 'application/json', label: 'NUL body' },
      { text: '{"a":"\\ud800"}', contentType: 'application/json', label: 'escaped lone surrogate, unknown key' },
      { text: '{"a":1}', contentType: 'application/json; charset=utf-16', label: 'utf-16 charset' },
      { text: '{"a":1}', contentType: 'application/json; charset=latin-1', label: 'unsupported charset' },
      { text: 'x'.repeat(17 * 1024), contentType: 'application/json', label: 'over the limit (junk)' },
      { text: `{"a":"${'x'.repeat(20 * 1024)}"}`, contentType: 'application/json', label: 'over the limit (JSON)' },
    ),
    fc
      .tuple(
        valid,
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/jsonx',
          'json',
          '',
          'application/json-patch+json',
        ),
      )
      .map(([base, contentType]) => ({
        text: toJsonText(base),
        contentType,
        label: `content type "${contentType}"`,
      })),
    fc.tuple(valid, fc.nat()).map(([base]) => ({ text: toJsonText(base), contentType: undefined, label: 'no content type' })),
  ];
  if (required.length > 0) {
    parts.push(
      fc
        .tuple(valid, fc.constantFrom(...required))
        .map(([base, slot]) => cloneSet(base, slot.path, undefined, true))
        .map(json('missing field')),
    );
    // Duplicate keys: the last one wins in JSON.parse, so both values are bad.
    parts.push(
      fc.constantFrom(...required.filter((x) => x.path.length === 1)).chain((slot) =>
        fc.tuple(valid, invalidArb(slot.schema), invalidArb(slot.schema)).map(([base, bad1, bad2]) => {
          const key = JSON.stringify(slot.path[0]);
          const rest = toJsonText({ ...(base as object), [slot.path[0] as string]: bad2 ?? null }).slice(1);
          return { text: `{${key}:${toJsonText(bad1 ?? null)},${rest}`, contentType: 'application/json', label: 'duplicate keys' };
        }),
      ),
    );
    parts.push(fc.constant({ text: '{}', contentType: 'application/json', label: 'empty object' }));
  }
  // Whatever the mutation, the body really breaks the schema (formats judged as the service's Ajv does).
  return fc.oneof(...parts).filter((b) => b.contentType !== 'application/json' || !textSatisfies(s, b.text));
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP

export const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

export interface RawRequest {
  method: string;
  /** The full path including /api/v1 and the query string, sent as is. */
  path: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  body: any;
  text: string;
  headers: http.IncomingHttpHeaders;
}

export function rawRequest(url: string, req: RawRequest): Promise<RawResponse> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | string[] | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = Buffer.byteLength(req.body);
    const r = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.path, headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text || undefined;
        if (text && res.headers['content-type']?.startsWith('application/json')) {
          try {
            body = JSON.parse(text);
          } catch {
            body = text;
          }
        }
        resolve({ status: res.statusCode ?? 0, body, text, headers: res.headers });
      });
      res.on('error', reject);
    });
    r.on('error', reject);
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/**
 * A raw request checked like service.call: the status is documented for the operation, the
 * body matches its schema, errors are the envelope with code equal to the status.
 */
export async function checkedRequest(service: Service, req: RawRequest): Promise<RawResponse> {
  const specPath = req.path.startsWith('/api/v1') ? req.path.slice('/api/v1'.length) : req.path;
  const onMetrics = listenerOf(service.api, specPath.split('?')[0] as string) === 'metrics';
  const res = await rawRequest(onMetrics ? service.metricsUrl : service.url, req);
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') headers.set(k, v);
  const context = `${req.method} ${req.path.slice(0, 200)}`;
  // 431 comes from Node's parser (headers plus request line over 16 KiB) before any route is
  // chosen, so no operation documents it; it must still be the envelope.
  if (res.status === 431) expect(res.body, context).toEqual({ code: 431, text: 'Request header fields too large', error: 'headers_too_large' });
  else checkAgainstSpec(service.api, req.method, specPath || '/', { status: res.status, body: res.body, headers });
  if (res.status >= 400 && res.status !== 304) {
    expect(res.body?.code, `${context}: envelope code`).toBe(res.status);
    expect(typeof res.body?.text, `${context}: envelope text`).toBe('string');
  }
  return res;
}

/** Runs the tasks with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, run: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await run(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

// ---------------------------------------------------------------------------------------------
// What the database holds

export const CHECKED_TABLES = [
  'users',
  'user_settings',
  'training_profiles',
  'sessions',
  'spent_refresh_tokens',
  'user_tokens',
  'mail_outbox',
  'security_events',
  'totp_factors',
  'recovery_codes',
  'workouts',
  'idempotency_keys',
  'workout_summaries',
] as const;

export interface Snapshot {
  counts: Record<string, number>;
  checksum: string;
  rows: number;
}

/**
 * Row counts and a SHA-256 over every row of the account tables, in primary-key order. A
 * refused login's `login_failed` event is left out: recording it is the point (the owner's
 * security log), and it is the one write a refused request makes.
 */
export async function snapshot(db: Db): Promise<Snapshot> {
  const hash = createHash('sha256');
  const counts: Record<string, number> = {};
  let rows = 0;
  for (const table of CHECKED_TABLES) {
    const query = db(table).select('*');
    if (table === 'security_events') query.whereNot({ type: 'login_failed' });
    const all = (await query) as Record<string, unknown>[];
    const lines = all
      .map((row) =>
        JSON.stringify(
          Object.keys(row)
            .sort()
            .map((k) => [k, row[k] instanceof Buffer ? (row[k] as Buffer).toString('hex') : String(row[k])]),
        ),
      )
      .sort();
    counts[table] = all.length;
    rows += all.length;
    hash.update(`${table}\n${lines.join('\n')}\n`);
  }
  return { counts, checksum: hash.digest('hex'), rows };
}

/** Object.prototype is untouched: a fresh object has no inherited surprises. */
export function expectPrototypeClean(): void {
  const fresh: Record<string, unknown> = {};
  for (const key of ['polluted', 'is_admin', 'isAdmin', 'plan', 'admin']) expect(fresh[key], `Object.prototype.${key}`).toBeUndefined();
  expect(Object.keys(Object.prototype)).toEqual([]);
  expect(({} as { constructor: unknown }).constructor).toBe(Object);
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

export { fc };
