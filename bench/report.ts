// Writes the results section of docs/benchmarks.md from a results file (bench/results/*.json):
// the targets with their ratios, every server's figures, and a bar chart (vega-lite, as SVG).
//   node --import tsx bench/report.ts bench/results/<date>-<db>.json
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { PROJECT_ROOT } from '../src/paths.js';

type Figures = { rps: number; cpuUs: number; p99: number };
type Group = Record<string, Figures>;
interface Results {
  survey?: Group;
  me?: Group;
  login?: { ratio: number; rps: number; cpuUs: number; rounds: { ceiling: number }[] };
  spec?: Group;
  log?: { page: Group; me: Group };
  users?: { filler: number; before: { me: Group; login: Group }; after: { me: Group; login: Group } };
  memory?: { rssMb: number[]; seconds: number };
}
interface Report {
  date: string;
  db: string;
  options: { rounds: number; seconds: number; connections: number };
  machine: { cpu?: string; cores: number; memoryGb: number; node: string };
  loadavg: { start: number; end: number };
  results: Results;
}
interface Target {
  name: string;
  rps?: number;
  cpu?: number;
  goal: number;
}

const f2 = (x: number | undefined) => (x === undefined ? '—' : x.toFixed(2));
/** Ours over theirs in req/s, and theirs over ours in CPU per request (1 = as cheap). */
const ratio = (g: Group | undefined, ours: string, theirs: string) =>
  g?.[ours] && g[theirs] ? { rps: g[ours].rps / g[theirs].rps, cpu: g[theirs].cpuUs / g[ours].cpuUs } : {};

function targets(r: Results): Target[] {
  const list: Target[] = [
    { name: 'GET /survey-data vs bare Koa', ...ratio(r.survey, 'service', 'koa'), goal: 0.9 },
    { name: 'GET /me vs the authenticated-read floor', ...ratio(r.me, 'service', 'floor'), goal: 0.8 },
    { name: 'POST /login vs argon2, every core verifying', rps: r.login?.ratio, goal: 0.9 },
    { name: 'GET /survey-data vs express-openapi-validator', ...ratio(r.survey, 'service', 'express'), goal: 1 },
    { name: 'GET /me vs express-openapi-validator', ...ratio(r.me, 'service', 'express'), goal: 1 },
    { name: 'GET /survey-data vs fastify-openapi-glue', ...ratio(r.survey, 'service', 'fastify'), goal: 1 },
    { name: 'GET /me vs fastify-openapi-glue', ...ratio(r.me, 'service', 'fastify'), goal: 0.9 },
    { name: 'GET /survey-data, 200 operations vs 21', ...ratio(r.spec, 'service-200', 'service-21'), goal: 0.95 },
    { name: 'GET /workouts, 10 000 workouts vs none', ...ratio(r.log?.page, 'full', 'none'), goal: 0.9 },
    { name: 'GET /me (achievements), 10 000 workouts vs none', ...ratio(r.log?.me, 'full', 'none'), goal: 0.9 },
  ];
  if (r.users) {
    const grown = (k: 'me' | 'login') => ({
      rps: (r.users?.after[k].service?.rps ?? 0) / (r.users?.before[k].service?.rps ?? 1),
      cpu: (r.users?.before[k].service?.cpuUs ?? 0) / (r.users?.after[k].service?.cpuUs ?? 1),
    });
    list.push({ name: `GET /me, ${r.users.filler.toLocaleString('en')} more users`, ...grown('me'), goal: 0.9 });
    list.push({ name: `POST /login, ${r.users.filler.toLocaleString('en')} more users`, ...grown('login'), goal: 0.9 });
  }
  return list.filter((t) => t.rps !== undefined);
}

const met = (t: Target) => ((t.rps ?? 0) >= t.goal && (t.cpu === undefined || t.cpu >= t.goal) ? 'yes' : 'no');

function groupTable(title: string, g: Group | undefined): string[] {
  if (!g) return [];
  return [
    `| ${title} | req/s | server CPU µs/req | p99 ms |`,
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(g).map(([name, x]) => `| ${name} | ${Math.round(x.rps)} | ${Math.round(x.cpuUs)} | ${x.p99} |`),
    '',
  ];
}

async function chart(list: Target[], file: string): Promise<void> {
  const values = list.flatMap((t) => [
    { target: t.name, measure: 'req/s', ratio: t.rps },
    ...(t.cpu === undefined ? [] : [{ target: t.name, measure: 'CPU per request', ratio: t.cpu }]),
  ]);
  const spec: vl.TopLevelSpec = {
    width: 420,
    data: { values },
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'target', type: 'nominal', sort: null, title: null },
          yOffset: { field: 'measure' },
          x: { field: 'ratio', type: 'quantitative', title: 'ratio (1 = as fast or as cheap as the other)' },
          color: { field: 'measure', type: 'nominal', title: null },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 4] }, encoding: { x: { datum: 1 } } },
    ],
  };
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  writeFileSync(file, await view.toSVG());
}

export async function writeReport(resultsFile: string): Promise<void> {
  const report = JSON.parse(readFileSync(resultsFile, 'utf8')) as Report;
  const kind = report.db.startsWith('SQLite') ? 'sqlite' : 'mysql';
  const r = report.results;
  const list = targets(r);
  const svg = `benchmarks-${kind}.svg`;
  await chart(list, join(PROJECT_ROOT, 'docs', svg));
  const m = report.machine;
  const lines = [
    `## ${kind === 'mysql' ? 'MySQL / MariaDB (`npm run bench`)' : 'SQLite (`npm run bench -- --db sqlite`)'}`,
    '',
    `${report.date.slice(0, 10)}, ${report.db}, ${m.cores} × ${m.cpu}, ${m.memoryGb} GiB, Node ${m.node}; load average ${f2(report.loadavg.start)} at the start, ${f2(report.loadavg.end)} at the end. ` +
      `${report.options.rounds} interleaved rounds of ${report.options.seconds} s, ${report.options.connections} connections; medians. From \`bench/results/${basename(resultsFile)}\`.`,
    '',
    '| Target | req/s ratio | CPU ratio | goal | met |',
    '| --- | ---: | ---: | ---: | --- |',
    ...list.map((t) => `| ${t.name} | ${f2(t.rps)} | ${f2(t.cpu)} | ${t.goal} | ${met(t)} |`),
    '',
    `![The targets' ratios](${svg})`,
    '',
    ...groupTable('GET /survey-data', r.survey),
    ...groupTable('GET /me', r.me),
    ...groupTable('spec size', r.spec),
    ...groupTable('GET /workouts, by log size', r.log?.page),
    ...groupTable('GET /me, by log size', r.log?.me),
    ...(r.login
      ? [
          `POST /login: ${Math.round(r.login.rps)} logins/s, ${Math.round(r.login.cpuUs)} µs CPU each; argon2 with every core verifying: ${r.login.rounds.map((x) => Math.round(x.ceiling)).join(', ')} verifies/s in the rounds.`,
          '',
        ]
      : []),
    ...(r.memory
      ? [
          `Resident memory of the service: ${r.memory.rssMb.map((x) => Math.round(x)).join(' → ')} MB (idle, then after each of three ${r.memory.seconds} s loads of GET /survey-data and GET /me at once).`,
          '',
        ]
      : []),
  ];
  const docs = join(PROJECT_ROOT, 'docs', 'benchmarks.md');
  const [head, rest] = readFileSync(docs, 'utf8').split(`<!-- bench:${kind}:start -->`);
  const tail = rest?.split(`<!-- bench:${kind}:end -->`)[1];
  if (head === undefined || tail === undefined) throw new Error(`docs/benchmarks.md has no bench:${kind} markers`);
  writeFileSync(docs, `${head}<!-- bench:${kind}:start -->\n${lines.join('\n')}<!-- bench:${kind}:end -->${tail}`);
}

if (process.argv[1]?.endsWith('report.ts') && process.argv[2]) await writeReport(process.argv[2]);
