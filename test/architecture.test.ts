import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../src/paths.js';

/**
 * The layering of src/ (STYLE.md), checked on the import graph read from the sources: no
 * import cycle between files or between folders; domain folders never import http/; http/
 * never imports a repository.
 */

const SRC = join(PROJECT_ROOT, 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every file of src/ with the src/ files it imports (type-only imports included). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => resolve(dirname(file), name.replace(/\.js$/, '.ts')))
      .filter((target) => target.startsWith(`${SRC}/`));
    graph.set(
      relative(SRC, file),
      targets.map((t) => relative(SRC, t)),
    );
  }
  return graph;
}

/** The cycles of a directed graph: its strongly connected components with more than one node (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, indices.get(next) as number));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}

/** `auth/auth.service.ts` → `auth`; files directly in src/ belong to the folder `.`. */
const folderOf = (file: string) => (file.includes('/') ? (file.split('/')[0] as string) : '.');

const graph = importGraph();

describe('the import graph of src/', () => {
  it('when the graph is read, then it has every file and the edges it should (the check itself works)', () => {
    expect(graph.size).toBeGreaterThan(40);
    expect(graph.get('app.ts')).toContain('http/routes.ts');
    expect(
      cycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c']]);
  });

  it('then no files import each other in a cycle', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('then no folders import each other in a cycle (files directly in src/ aside: they sit below every folder)', () => {
    const folders = new Map<string, string[]>();
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      if (from === '.') continue;
      const to = new Set(folders.get(from) ?? []);
      for (const target of targets) if (folderOf(target) !== from && folderOf(target) !== '.') to.add(folderOf(target));
      folders.set(from, [...to]);
    }
    expect(cycles(folders)).toEqual([]);
  });

  it('then domain folders never import http/, and http/ never imports a repository', () => {
    const wrong: string[] = [];
    for (const [file, targets] of graph) {
      for (const target of targets) {
        const domain = !['http', '.', 'client'].includes(folderOf(file));
        if (domain && folderOf(target) === 'http') wrong.push(`${file} -> ${target}`);
        if (folderOf(file) === 'http' && target.endsWith('.repository.ts')) wrong.push(`${file} -> ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** Where Knex would bind a LIMIT: its `first()` and `limit()`, which src/ calls through firstRow and limitTo. */
const BOUND_LIMIT = /\.(first|limit)\s*[<(]/;

describe('the queries of src/', () => {
  it('then none binds its LIMIT, which makes SQLite plan the statement again on every run (src/db/db.ts)', () => {
    const binds = (code: string) => BOUND_LIMIT.test(code);
    expect(['.first()', '.first<Row | undefined>()', '.limit(10)'].filter(binds)).toHaveLength(3);
    expect(['firstRow(q)', 'limitTo(q, 10)'].filter(binds)).toEqual([]);
    const bound = sourceFiles(SRC)
      .filter((file) => relative(SRC, file) !== 'db/db.ts')
      .flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .flatMap((line, i) => (BOUND_LIMIT.test(line) ? [`${relative(SRC, file)}:${i + 1}`] : [])),
      );
    expect(bound).toEqual([]);
  });
});
