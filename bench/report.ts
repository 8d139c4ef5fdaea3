// A results file's section of docs/benchmarks.md, with a bar chart of the targets (vega-lite, as SVG): node --import tsx bench/report.ts <file>
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { PROJECT_ROOT } from '../src/paths.js';

type Group = Record<string, { rps: number; cpuUs: number; p99: number }>;
type Target = { name: string; rps?: number; cpu?: number; goal: number };
const f2 = (x?: number) => (x === undefined ? '—' : x.toFixed(2));
/** Ours over theirs in req/s, and theirs over ours in CPU per request (1 = as cheap). */
const vs = (name: string, goal: number, ours?: Group[string], theirs?: Group[string]): Target =>
  ours && theirs ? { name, goal, rps: ours.rps / theirs.rps, cpu: theirs.cpuUs / ours.cpuUs } : { name, goal };
/** The targets from a results file's `results` (bench/run.ts: a Group per set of compared servers), for the cases that ran. */
function targets(r: Record<string, any>): Target[] {
  const sizes = `${r.users?.large.toLocaleString('en')} users vs ${r.users?.small.toLocaleString('en')}`;
  const grown = (k: 'me' | 'login', label: string) => vs(`${label}, ${sizes}`, 0.9, r.users?.[k].large, r.users?.[k].small);
  return [
    vs('GET /survey-data vs bare Koa', 0.9, r.survey?.service, r.survey?.koa),
    vs('GET /me vs the authenticated-read floor', 0.8, r.me?.service, r.me?.floor),
    { name: 'POST /login vs argon2, every core verifying', rps: r.login?.ratio, goal: 0.9 },
    vs('GET /survey-data vs express-openapi-validator', 1, r.survey?.service, r.survey?.express),
    vs('GET /me vs express-openapi-validator', 1, r.me?.service, r.me?.express),
    vs('GET /survey-data vs fastify-openapi-glue', 1, r.survey?.service, r.survey?.fastify),
    vs('GET /me vs fastify-openapi-glue', 0.9, r.me?.service, r.me?.fastify),
    vs('GET /survey-data, 200 operations vs 21', 0.95, r.spec?.['service-200'], r.spec?.['service-21']),
    vs('GET /workouts, 10 000 workouts vs 30', 0.9, r.log?.page['10 000 workouts'], r.log?.page['30 workouts']),
    vs('GET /me (achievements), 10 000 workouts vs 30', 0.9, r.log?.me['10 000 workouts'], r.log?.me['30 workouts']),
    grown('me', 'GET /me'),
    grown('login', 'POST /login'),
  ].filter((t) => t.rps !== undefined);
}

const met = (t: Target) => (Math.min(t.rps ?? 0, t.cpu ?? Infinity) >= t.goal ? 'yes' : 'no');
function table(title: string, g?: Group): string[] {
  if (!g) return [];
  const rows = Object.entries(g).map(([n, x]) => `| ${n} | ${Math.round(x.rps)} | ${Math.round(x.cpuUs)} | ${x.p99} |`);
  return [`| ${title} | req/s | server CPU µs/req | p99 ms |`, '| --- | ---: | ---: | ---: |', ...rows, ''];
}

async function chart(list: Target[], file: string): Promise<void> {
  const bar = (t: Target, measure: string, ratio?: number) => ({ target: t.name, measure, ratio });
  const values = list.flatMap((t) => [bar(t, 'req/s', t.rps), bar(t, 'CPU per request', t.cpu)]).filter((v) => v.ratio !== undefined);
  const y = { field: 'target', type: 'nominal', sort: null, title: null, axis: { labelLimit: 360 } } as const;
  const x = { field: 'ratio', type: 'quantitative', title: 'ratio (1 = as fast, or as cheap)' } as const;
  const bars = { mark: 'bar', encoding: { y, yOffset: { field: 'measure' }, color: { field: 'measure', title: null }, x } } as const;
  const atOne = { mark: { type: 'rule' as const, strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } };
  const spec: vl.TopLevelSpec = { width: 420, data: { values }, layer: [bars, atOne] };
  writeFileSync(file, await new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' }).toSVG());
}

/** Goal: at most 100 MB at the peak of a load, and flat (the last load ends within 10% of the first). */
function memoryLine({ rssMb: rss, fileMb, servedMb, seconds }: { rssMb: number[]; fileMb: number; servedMb: number; seconds: number }): string {
  const met = Math.max(rss[1]!, rss[3]!, rss[5]!) <= 100 && rss[6]! <= rss[2]! * 1.1 ? 'met' : 'not met';
  return `Resident memory of a service started for the case, MB: ${rss[0]} idle (${fileMb} of it node's binary and the native modules, mapped from their files); peak and after, for each of three ${seconds} s loads of GET /survey-data and GET /me at once: ${rss.slice(1).join(', ')} (goal: at most 100 at the peak, flat across the loads: ${met}). The service that had run every case before: ${servedMb} idle.`;
}
const loginLine = ({ rps, cpuUs, rounds }: { rps: number; cpuUs: number; rounds: { ceiling: number }[] }) =>
  `POST /login: ${Math.round(rps)}/s, ${Math.round(cpuUs)} µs CPU each; argon2 ceiling per round: ${rounds.map((x) => Math.round(x.ceiling)).join(', ')}/s.`;

export async function writeReport(file: string): Promise<void> {
  const { date, db, options: o, machine: m, loadavg, results: r } = JSON.parse(readFileSync(file, 'utf8'));
  const kind = db.startsWith('SQLite') ? 'sqlite' : 'mysql';
  const list = targets(r);
  await chart(list, join(PROJECT_ROOT, 'docs', `benchmarks-${kind}.svg`));
  const lines = [
    `## ${kind === 'mysql' ? 'MySQL / MariaDB (`npm run bench`)' : 'SQLite (`npm run bench -- --db sqlite`)'}`,
    '',
    `${date.slice(0, 10)}, ${db}, ${m.cores} × ${m.cpu}, ${m.memoryGb} GiB, Node ${m.node}; load average ${f2(loadavg.start)} at the start, ${f2(loadavg.end)} at the end; ` +
      `${o.rounds} interleaved rounds of ${o.seconds} s, ${o.connections} connections, medians (\`bench/results/${basename(file)}\`).`,
    '',
    '| Target | req/s ratio | CPU ratio | goal | met |',
    '| --- | ---: | ---: | ---: | --- |',
    ...list.map((t) => `| ${t.name} | ${f2(t.rps)} | ${f2(t.cpu)} | ${t.goal} | ${met(t)} |`),
    '',
    `![The targets' ratios](benchmarks-${kind}.svg)`,
    '',
    ...table('GET /survey-data', r.survey),
    ...table('GET /me', r.me),
    ...table('GET /survey-data by spec size', r.spec),
    ...table('GET /workouts by log size', r.log?.page),
    ...table('GET /me by log size', r.log?.me),
    ...(r.login ? [loginLine(r.login), ''] : []),
    ...(r.memory ? [memoryLine(r.memory), ''] : []),
  ];
  const docs = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
  const [head, rest] = readFileSync(docs, 'utf8').split(`<!-- bench:${kind}:start -->`);
  const tail = rest?.split(`<!-- bench:${kind}:end -->`)[1];
  if (head === undefined || tail === undefined) throw new Error(`docs/benchmarks.md has no bench:${kind} markers`);
  writeFileSync(docs, `${head}<!-- bench:${kind}:start -->\n${lines.join('\n')}<!-- bench:${kind}:end -->${tail}`);
}
if (process.argv[1]?.endsWith('report.ts') && process.argv[2]) await writeReport(process.argv[2]);
