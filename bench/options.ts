/**
 * The options of bench/run.ts (its top comment documents them), parsed and checked when this
 * module is imported: `--help` prints that comment, a bad option exits with status 2.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

export const STEPS = ['survey', 'check', 'me', 'verify', 'training', 'login', 'scaling'] as const;
export type Step = (typeof STEPS)[number];

export const TARGETS = { survey: 0.75, me: 0.6, login: 0.8, scaling: 0.9 };

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'mysql' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    'warmup-requests': { type: 'string', default: '3000' },
    connections: { type: 'string', default: '10' },
    users: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '1' },
    'argon2-runs': { type: 'string', default: '40' },
    'argon2-seconds': { type: 'string', default: '2' },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    'service-env': { type: 'string', multiple: true },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  // The usage is the comment at the top of bench/run.ts, not of this module.
  console.log(readFileSync(new URL('./run.ts', import.meta.url), 'utf8').split('*/')[0]);
  process.exit(0);
}

function positive(name: string, raw: string, integer = false): number {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) {
    console.error(`--${name} must be a positive ${integer ? 'whole ' : ''}number, got "${raw}"`);
    process.exit(2);
  }
  return value;
}

export const dbKind = args.db as string;
if (dbKind !== 'mysql' && dbKind !== 'sqlite') {
  console.error(`--db must be mysql or sqlite, got "${dbKind}"`);
  process.exit(2);
}
export const DURATION = positive('duration', args.duration as string);
export const WARMUP = Number(args.warmup);
if (!Number.isFinite(WARMUP) || WARMUP < 0) {
  console.error(`--warmup must be a number of seconds (0 for none), got "${args.warmup}"`);
  process.exit(2);
}
export const WARMUP_REQUESTS = Number(args['warmup-requests']);
if (!Number.isInteger(WARMUP_REQUESTS) || WARMUP_REQUESTS < 0) {
  console.error(`--warmup-requests must be a whole number (0 for none), got "${args['warmup-requests']}"`);
  process.exit(2);
}
export const CONNECTIONS = positive('connections', args.connections as string, true);
export const USERS = positive('users', args.users as string, true);
export const ROUNDS = positive('rounds', args.rounds as string, true);
export const ARGON2_RUNS = positive('argon2-runs', args['argon2-runs'] as string, true);
export const ARGON2_SECONDS = positive('argon2-seconds', args['argon2-seconds'] as string);
const only = args.only
  ?.split(',')
  .map((s) => s.trim())
  .filter(Boolean);
for (const step of only ?? []) {
  if (!(STEPS as readonly string[]).includes(step)) {
    console.error(`--only takes a comma-separated list of ${STEPS.join(', ')}; got "${step}"`);
    process.exit(2);
  }
}
export const runs = (step: Step) => !only || only.includes(step);
export const PROFILE = args.profile as boolean;
/** Experiments: extra environment for the service under test (e.g. LOG_LEVEL=silent). */
export const serviceEnv: Record<string, string> = {};
for (const pair of args['service-env'] ?? []) {
  const eq = pair.indexOf('=');
  if (eq < 1) {
    console.error(`--service-env takes NAME=VALUE, got "${pair}"`);
    process.exit(2);
  }
  serviceEnv[pair.slice(0, eq)] = pair.slice(eq + 1);
}
export const WRITE_DOCS = !only && !PROFILE && !args['no-write'] && Object.keys(serviceEnv).length === 0;
