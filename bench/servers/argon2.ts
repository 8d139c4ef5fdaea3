// The login ceiling: argon2id verifies with the service's parameters, one per CPU core at once,
// back to back for SECONDS. Prints {rps, cpuUs} (verifies per second, CPU µs per verify).
import os from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../../src/passwords.js';

const stored = await hash('SecurePass123!', ARGON2_OPTIONS);
const until = Date.now() + Number(process.env.SECONDS ?? 2) * 1000;
const cpu = process.cpuUsage();
const started = performance.now();
let done = 0;
await Promise.all(
  Array.from({ length: os.availableParallelism() }, async () => {
    while (Date.now() < until) if (await verify(stored, 'SecurePass123!')) done += 1;
  }),
);
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ rps: done / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / done }));
