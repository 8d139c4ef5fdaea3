import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

/** Runs the script in a process of its own and answers the JSON lines it wrote to stdout. */
function linesOf(exit: string, lines: number): { status: number | null; lines: { line: number }[] } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/support/crash-after-logging.ts'], {
    env: { ...process.env, EXIT: exit, LINES: String(lines) },
    encoding: 'utf8',
  });
  const parsed = run.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  return { status: run.status, lines: parsed };
}

describe("the service's asynchronous log", () => {
  it.each([
    ['an uncaught exception', 'throw', 1],
    ['process.exit(1)', 'exit', 1],
    ['a normal end', 'none', 0],
  ])('when the process ends by %s right after 5000 lines, then every line is written, in order', (_name, exit, status) => {
    const result = linesOf(exit, 5000);
    expect(result.status).toBe(status);
    expect(result.lines.map((l) => l.line)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });
});
