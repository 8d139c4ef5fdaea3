/**
 * Summarises V8 .cpuprofile files (from `npm run bench -- --profile`, written to bench/profiles/):
 * the functions with the most self time, and self time per package / source file.
 *
 *   node --import tsx bench/profile-summary.ts bench/profiles/<run>/<load>.cpuprofile [--top 25]
 *        [--callers <functionName>]   (also: the call stacks that spend that function's self time)
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '25' }, callers: { type: 'string' } },
});
const top = Number(values.top);

/** Where a function lives: node_modules/<package>, a project file, node:internal, or a V8 category. */
function place(frame: CallFrame): string {
  const url = frame.url;
  if (!url) return `(${frame.functionName || 'native'})`;
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1] as string;
  const project = /\/work\/main\/(.*)$/.exec(url.replace(/^file:\/\//, ''));
  if (project) return project[1] as string;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/.*/, 'node:internal');
  return url;
}

for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self.entries()].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const [id, t] of self) {
    const frame = (byId.get(id) as ProfileNode).callFrame;
    if (frame.functionName === '(idle)') continue;
    const where = place(frame);
    const key = `${frame.functionName || '(anonymous)'}  ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + t);
    byPlace.set(where, (byPlace.get(where) ?? 0) + t);
  }
  const pct = (t: number) => `${((100 * t) / busy).toFixed(1).padStart(5)}%`;
  const ms = (t: number) => `${(t / 1000).toFixed(0).padStart(7)} ms`;
  console.log(`\n${file}\n  wall ${(total / 1e6).toFixed(1)} s, busy (not idle) ${(busy / 1e6).toFixed(1)} s; percentages are of busy time`);
  console.log(`\n  Top ${top} functions by self time:`);
  for (const [key, t] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)} ${ms(t)}  ${key}`);
  console.log(`\n  Self time by package / file:`);
  for (const [key, t] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)} ${ms(t)}  ${key}`);

  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (f: CallFrame) => `${f.functionName || '(anonymous)'}  ${place(f)}${f.url ? `:${f.lineNumber + 1}` : ''}`;

  // Self time by owner: native and node: frames are charged to the nearest caller that lives
  // in a package or a project file (writev under Koa's respond -> koa, a SQLite step -> knex).
  const byOwner = new Map<string, number>();
  for (const [id, t] of self) {
    const start = byId.get(id) as ProfileNode;
    if (start.callFrame.functionName === '(idle)') continue;
    let owner = place(start.callFrame);
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      const f = (byId.get(p) as ProfileNode).callFrame;
      if (f.url && !f.url.startsWith('node:')) {
        owner = place(f);
        break;
      }
    }
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + t);
  }
  console.log(`\n  Self time by owning package / file (native and node: frames charged to their nearest package or project caller):`);
  for (const [key, t] of [...byOwner].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(t)} ${ms(t)}  ${key}`);

  // Inclusive time: a function counts once per sample in which it is anywhere on the stack.
  const inclusive = new Map<string, number>();
  for (const [id, t] of self) {
    if ((byId.get(id) as ProfileNode).callFrame.functionName === '(idle)') continue;
    const seen = new Set<string>();
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      const f = (byId.get(p) as ProfileNode).callFrame;
      if (f.functionName === '(root)' || !f.url) continue;
      seen.add(label(f));
    }
    for (const key of seen) inclusive.set(key, (inclusive.get(key) ?? 0) + t);
  }
  console.log(`\n  Top ${top} project functions (src/, bench/) by inclusive time:`);
  for (const [key, t] of [...inclusive]
    .filter(([k]) => /\s(src|bench)\//.test(k))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    console.log(`  ${pct(t)} ${ms(t)}  ${key}`);
  }

  if (values.callers) {
    const stacks = new Map<string, number>();
    for (const [id, t] of self) {
      const node = byId.get(id) as ProfileNode;
      if (node.callFrame.functionName !== values.callers) continue;
      const chain: string[] = [];
      for (let p = parent.get(id); p !== undefined && chain.length < 8; p = parent.get(p)) {
        const f = (byId.get(p) as ProfileNode).callFrame;
        if (f.functionName === '(root)') break;
        chain.push(label(f));
      }
      const key = chain.join(' <- ');
      stacks.set(key, (stacks.get(key) ?? 0) + t);
    }
    console.log(`\n  Callers of ${values.callers} (self time by stack, innermost first):`);
    for (const [key, t] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(t)} ${ms(t)}  ${key}`);
  }
}
