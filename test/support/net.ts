import type { ChildProcess } from 'node:child_process';
import { type AddressInfo, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/**
 * Waits until `url` answers 200 (a server process starting up), polling every 100 ms for at
 * most `timeoutMs`; fails at once when `process` (the server) exits meanwhile.
 */
export async function waitFor200(url: string, options: { timeoutMs?: number; process?: ChildProcess } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    const child = options.process;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`the server exited while starting (code ${child.exitCode ?? child.signalCode})`);
    }
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2000) })).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${(options.timeoutMs ?? 60_000) / 1000} s`);
}
