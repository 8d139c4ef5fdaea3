import { spawn, spawnSync } from 'node:child_process';
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

  it('when a quiet process has logged one line, then the line is written within about a second, while it still runs', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-after-logging.ts'], { env: { ...process.env, EXIT: 'linger', LINES: '1' } });
    const arrived = await new Promise<{ line: { line: number; time: number }; at: number }>((resolve) => {
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
        if (text.includes('\n')) resolve({ line: JSON.parse(text), at: Date.now() });
      });
    });
    await new Promise((resolve) => child.once('exit', resolve));
    expect(arrived.line.line).toBe(0);
    // The process idles 3 s after the line: without the periodic flush the line is written only when it exits.
    expect(arrived.at - arrived.line.time).toBeLessThan(2000);
  });
});
