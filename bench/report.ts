import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';
import { DOCS_FINDINGS } from './docs-findings.js';
import { DOCS_HEADER } from './docs-header.js';
import { fmt, fmtRatio } from './format.js';
import type { Measurement } from './load.js';
import { log } from './log.js';
import { dbKind } from './options.js';

const DOCS_FILE = join(PROJECT_ROOT, 'docs', 'benchmarks.md');

export interface Row {
  endpoint: string;
  m: Measurement;
  baseline?: string;
  /** Throughput of the baseline, req/s. */
  baselineRps?: number;
  /** CPU time of the baseline per request, µs. */
  baselineCpu?: number;
  /** The ratio when it is not req/s over baselineRps (logins: the median of per-round ratios). */
  ratio?: number;
}

export interface Target {
  name: string;
  measured: number | undefined;
  required: string;
  met: boolean | undefined;
  detail: string;
}

const ratioOf = (row: Row | undefined) => row?.ratio ?? (row?.baselineRps ? row.m.rps / row.baselineRps : undefined);
/** How close to the baseline's CPU cost per request: baseline µs / ours µs (1 = as cheap). */
const cpuRatioOf = (row: Row | undefined) => (row?.baselineCpu && row.m.cpuPerRequest ? row.baselineCpu / row.m.cpuPerRequest : undefined);

export function tableMarkdown(rows: Row[]): string {
  const lines = [
    '| Endpoint | req/s | p50 ms | p99 ms | non-2xx | errors | server CPU µs/req | baseline | ratio | CPU ratio |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |',
  ];
  for (const row of rows) {
    const ratio = ratioOf(row);
    const cpuRatio = cpuRatioOf(row);
    const baseline = row.baseline ? `${row.baseline} (${fmt(row.baselineRps ?? 0, 0)} req/s)` : '—';
    lines.push(
      `| ${row.endpoint} | ${fmt(row.m.rps, 0)} | ${row.m.p50} | ${row.m.p99} | ${row.m.non2xx} | ${row.m.errors} | ${fmt(row.m.cpuPerRequest, 0)} | ${baseline} | ${ratio === undefined ? '—' : fmtRatio(ratio)} | ${cpuRatio === undefined ? '—' : fmtRatio(cpuRatio)} |`,
    );
  }
  return lines.join('\n');
}

export function targetsMarkdown(targets: Target[]): string {
  const lines = ['| Target | measured | required | status |', '| --- | ---: | ---: | --- |'];
  for (const t of targets) {
    const status = t.met === undefined ? 'not measured' : t.met ? '**met**' : '**NOT met**';
    lines.push(`| ${t.name} | ${t.measured === undefined ? '—' : fmtRatio(t.measured)} | ${t.required} | ${status} |`);
  }
  return `${lines.join('\n')}\n\n${targets.map((t) => `- ${t.name}: ${t.detail}`).join('\n')}`;
}

export function printTable(rows: Row[]): void {
  const header = ['Endpoint', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'CPU µs/req', 'baseline', 'ratio', 'CPU ratio'];
  const body = rows.map((row) => {
    const ratio = ratioOf(row);
    const cpuRatio = cpuRatioOf(row);
    return [
      row.endpoint,
      fmt(row.m.rps, 0),
      String(row.m.p50),
      String(row.m.p99),
      String(row.m.non2xx),
      String(row.m.errors),
      fmt(row.m.cpuPerRequest, 0),
      row.baseline ? `${row.baseline} (${fmt(row.baselineRps ?? 0, 0)})` : '-',
      ratio === undefined ? '-' : fmtRatio(ratio),
      cpuRatio === undefined ? '-' : fmtRatio(cpuRatio),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] as string).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 7 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number))).join('  ');
  console.log(`\n${line(header)}`);
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of body) console.log(line(r));
}

export function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const gib = os.totalmem() / 1024 ** 3;
  return `${model}, ${os.availableParallelism()} cores, ${fmt(gib, 1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}, Node ${process.version}`;
}

export const loadavg = () =>
  os
    .loadavg()
    .map((l) => fmt(l, 2))
    .join(' / ');

export function writeDocs(section: string): void {
  const start = `<!-- bench:${dbKind}:start -->`;
  const end = `<!-- bench:${dbKind}:end -->`;
  const sections: Record<string, string> = {};
  if (existsSync(DOCS_FILE)) {
    const old = readFileSync(DOCS_FILE, 'utf8');
    for (const kind of ['mysql', 'sqlite']) {
      const match = new RegExp(`<!-- bench:${kind}:start -->[\\s\\S]*?<!-- bench:${kind}:end -->`).exec(old);
      if (match) sections[kind] = match[0];
    }
  }
  sections[dbKind] = `${start}\n${section.trim()}\n${end}`;
  const text = `${[DOCS_HEADER.trim(), DOCS_FINDINGS.trim(), sections.mysql, sections.sqlite].filter(Boolean).join('\n\n')}\n`;
  mkdirSync(join(PROJECT_ROOT, 'docs'), { recursive: true });
  writeFileSync(DOCS_FILE, text);
  log(`wrote the ${dbKind} section of ${DOCS_FILE}`);
}
