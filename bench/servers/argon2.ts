// The login ceiling: argon2id verifies with the service's parameters, one per core at once, for SECONDS; prints {rps, cpuUs}: verifies a second, CPU µs each.
import os from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import { ARGON2_OPTIONS } from '../../src/passwords.js';

const stored = await hash('SecurePass123!', ARGON2_OPTIONS);
const until = Date.now() + Number(process.env.SECONDS ?? 2) * 1000;
const cpu = process.cpuUsage();
const started = performance.now();
let done = 0;
const verifyUntilTime = async () => {
  while (Date.now() < until) if (await verify(stored, 'SecurePass123!')) done += 1;
};
await Promise.all(Array.from({ length: os.availableParallelism() }, verifyUntilTime));
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ rps: done / ((performance.now() - started) / 1000), cpuUs: (used.user + used.system) / done }));
