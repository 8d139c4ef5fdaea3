import { describe, expect, it } from 'vitest';
import { createGate } from '../src/gate.js';

/** A task that records when it starts and ends when `finish` is called (or fails with `fail`). */
function task(started: number[], n: number) {
  let finish = () => {};
  let fail = () => {};
  const run = () =>
    new Promise<number>((resolve, reject) => {
      started.push(n);
      finish = () => resolve(n);
      fail = () => reject(new Error(`task ${n} failed`));
    });
  return { run, finish: () => finish(), fail: () => fail() };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('a gate of 2', () => {
  it('when 5 tasks arrive at once, then 2 run, and each end lets the next waiting one start, in arrival order', async () => {
    const gate = createGate(2);
    const started: number[] = [];
    const tasks = [0, 1, 2, 3, 4].map((n) => task(started, n));
    // Settled from the start, so that task 0's failure is handled when it happens.
    const settled = Promise.allSettled(tasks.map((t) => gate.run(t.run)));
    await turn();
    expect(started).toEqual([0, 1]);
    tasks[1]?.finish();
    await turn();
    expect(started).toEqual([0, 1, 2]);
    tasks[0]?.fail();
    await turn();
    expect(started).toEqual([0, 1, 2, 3]);
    tasks[2]?.finish();
    tasks[3]?.finish();
    await turn();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    tasks[4]?.finish();
    expect(await settled).toEqual([
      { status: 'rejected', reason: new Error('task 0 failed') },
      { status: 'fulfilled', value: 1 },
      { status: 'fulfilled', value: 2 },
      { status: 'fulfilled', value: 3 },
      { status: 'fulfilled', value: 4 },
    ]);
  });

  it('when every task has ended, then 2 new ones start at once again', async () => {
    const gate = createGate(2);
    expect(await Promise.all([gate.run(async () => 'a'), gate.run(async () => 'b'), gate.run(async () => 'c')])).toEqual(['a', 'b', 'c']);
    const started: number[] = [];
    const tasks = [1, 2, 3].map((n) => task(started, n));
    const runs = tasks.map((t) => gate.run(t.run));
    await turn();
    expect(started).toEqual([1, 2]);
    tasks[0]?.finish();
    tasks[1]?.finish();
    await turn();
    expect(started).toEqual([1, 2, 3]);
    tasks[2]?.finish();
    expect(await Promise.all(runs)).toEqual([1, 2, 3]);
  });
});
