import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import autocannon, { type Options, type Request, type Result } from 'autocannon';
import { BENCH_DIR, type Child } from './children.js';
import { fmt } from './format.js';
import { log } from './log.js';
import { CONNECTIONS, DURATION, dbKind, PROFILE, WARMUP, WARMUP_REQUESTS } from './options.js';
import { median } from './stats.js';

const PROFILE_DIR = join(BENCH_DIR, 'profiles');

export interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
  /** CPU time the server process used per request answered, in µs (all its threads). */
  cpuPerRequest: number;
}

/** What to send: one path (GET), or a list of requests cycled through by every connection. */
export type Load = Omit<Options, 'url' | 'duration' | 'connections'> & { path?: string };

/** One request of the load, made once first: anything but 2xx stops the benchmark. */
async function check(base: string, load: Load): Promise<void> {
  const request: Request = load.requests?.[0] ?? load;
  const res = await fetch(base + (request.path ?? ''), {
    method: request.method ?? 'GET',
    headers: request.headers,
    body: request.body as string | undefined,
  });
  const text = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new Error(`${request.method ?? 'GET'} ${request.path}: ${res.status} ${text.slice(0, 300)}`);
  }
}

let profileRun: string | undefined;

/** Servers that have had their first, longer warm-up. */
const warmed = new Set<Child>();
/**
 * A fresh process spends its first seconds of load compiling (V8's optimising compiler runs on
 * background threads, which counts in its CPU time): its first load gets at least this long a
 * warm-up, so that fresh children are not compared with warm ones.
 */
const FIRST_WARMUP = 3;

export async function measure(label: string, child: Child, load: Load, warmUp = true): Promise<Measurement> {
  await check(child.url, load);
  const { path, ...rest } = load;
  const options = { url: child.url + (path ?? ''), connections: CONNECTIONS, ...rest };
  const warmup = warmed.has(child) ? WARMUP : Math.max(WARMUP, FIRST_WARMUP);
  warmed.add(child);
  if (warmUp && warmup > 0) {
    const done = (await autocannon({ ...options, duration: warmup })).requests.total;
    // V8 optimises a function after enough calls, not enough seconds: a slow endpoint (a login
    // is one argon2 verify) would otherwise be measured while its code is still being compiled.
    if (done < WARMUP_REQUESTS) await autocannon({ ...options, amount: WARMUP_REQUESTS - done });
  }
  if (PROFILE) await child.startProfile();
  const cpuBefore = await child.cpu();
  const result: Result = await autocannon({ ...options, duration: DURATION });
  const cpuMicros = (await child.cpu()) - cpuBefore;
  if (PROFILE) {
    profileRun ??= join(PROFILE_DIR, `${dbKind}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    mkdirSync(profileRun, { recursive: true });
    const file = join(profileRun, `${label.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.cpuprofile`);
    await child.stopProfile(file);
    log(`  (CPU profile of the server: ${file})`);
  }
  const statusCodes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([code, s]) => [code, s.count]));
  const m = {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    statusCodes,
    cpuPerRequest: result.requests.total > 0 ? cpuMicros / result.requests.total : 0,
  };
  log(
    `  ${label.padEnd(46)} ${fmt(m.rps, 0).padStart(7)} req/s  p50 ${m.p50} ms  p99 ${m.p99} ms  non-2xx ${m.non2xx}  errors ${m.errors}  server CPU ${fmt(m.cpuPerRequest, 0)} µs/req`,
  );
  return m;
}

/** Several rounds of one load: medians of throughput and latencies, sums of failures. */
export function combine(list: Measurement[]): Measurement {
  if (list.length === 1) return list[0] as Measurement;
  const statusCodes: Record<string, number> = {};
  for (const m of list) for (const [code, n] of Object.entries(m.statusCodes)) statusCodes[code] = (statusCodes[code] ?? 0) + n;
  return {
    rps: median(list.map((m) => m.rps)),
    p50: median(list.map((m) => m.p50)),
    p99: median(list.map((m) => m.p99)),
    non2xx: list.reduce((a, m) => a + m.non2xx, 0),
    errors: list.reduce((a, m) => a + m.errors, 0),
    statusCodes,
    cpuPerRequest: median(list.map((m) => m.cpuPerRequest)),
  };
}
