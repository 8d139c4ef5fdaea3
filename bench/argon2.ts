import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../src/auth/passwords.js';
import { median } from './load.js';

/**
 * One argon2id verify with the service's parameters, `runs` times in a row: the median wall
 * time in seconds, and the mean CPU time of this process per verify in µs.
 */
export async function argon2Verify(runs: number): Promise<{ seconds: number; cpuMicros: number }> {
  const password = 'SecurePass123!';
  const stored = await hash(password, ARGON2_OPTIONS);
  await verify(stored, password);
  const times: number[] = [];
  const cpu = process.cpuUsage();
  for (let i = 0; i < runs; i++) {
    const started = process.hrtime.bigint();
    if (!(await verify(stored, password))) throw new Error('argon2 verify failed');
    times.push(Number(process.hrtime.bigint() - started) / 1e9);
  }
  const used = process.cpuUsage(cpu);
  return { seconds: median(times), cpuMicros: (used.user + used.system) / runs };
}

/**
 * For the report only: argon2id verifies per second actually achieved now with 2 × cores of
 * them running at once for `seconds` (what the CPUs give, with whatever else is running).
 */
export async function argon2ParallelRate(seconds: number, concurrency: number): Promise<number> {
  const password = 'SecurePass123!';
  const stored = await hash(password, ARGON2_OPTIONS);
  const started = process.hrtime.bigint();
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < deadline) {
        await verify(stored, password);
        done++;
      }
    }),
  );
  return done / (Number(process.hrtime.bigint() - started) / 1e9);
}
