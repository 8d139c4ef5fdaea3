import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/passwords.js';
import { median } from './stats.js';

const PASSWORD = 'SecurePass123!';

async function storedHash(): Promise<string> {
  const stored = await hash(PASSWORD, ARGON2_OPTIONS);
  await verify(stored, PASSWORD);
  return stored;
}

/**
 * One argon2id verify at a time with the service's parameters, `runs` times in a row: the
 * median wall time in seconds.
 */
export async function argon2Verify(runs: number): Promise<{ seconds: number }> {
  const stored = await storedHash();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    if (!(await verify(stored, PASSWORD))) throw new Error('argon2 verify failed');
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  return { seconds: median(times) };
}

/**
 * argon2id verifies with the service's parameters, `concurrency` of them running at once
 * back to back for `seconds`: how many per second the CPUs gave, and the mean CPU time of this
 * process per verify in µs.
 */
export async function argon2Rate(seconds: number, concurrency: number): Promise<{ rps: number; cpuMicros: number }> {
  const stored = await storedHash();
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        if (!(await verify(stored, PASSWORD))) throw new Error('argon2 verify failed');
        done++;
      }
    }),
  );
  const used = process.cpuUsage(cpu);
  return { rps: done / (Number(process.hrtime.bigint() - started) / 1e9), cpuMicros: (used.user + used.system) / done };
}
