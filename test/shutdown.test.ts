import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, waitFor200 } from './support/net.js';
import { newUser } from './support/users.js';

describe('graceful shutdown of the real server process', () => {
  let child: ChildProcess | undefined;
  afterAll(() => {
    child?.kill('SIGKILL');
  });

  it('when SIGTERM arrives during a burst of logins, then every in-flight request succeeds and the process exits 0 within 10 s', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'shutdown-')), 'app.db')}`,
        JWT_SECRET: 'shutdown-test-secret-0123456789-abcdefghij',
        AUTH_RATE_LIMIT: '0',
        LOGIN_FAILURE_LIMIT: '0',
        MAX_SESSIONS_PER_USER: '100',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    child = server;
    const exited = new Promise<{ code: number | null; at: number }>((resolve) => server.once('exit', (code) => resolve({ code, at: Date.now() })));
    await waitFor200(`${base}/healthz`);

    const user = newUser();
    const registered = await fetch(`${base}/api/v1/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(user) });
    expect(registered.status).toBe(200);

    // Each login spends an argon2 verification (about 40 ms of a core), so 24 of them are still
    // queued or running when SIGTERM lands; the pause lets the server read every request first
    // (a connection it has not read a request from yet is not in flight, and may be closed).
    const logins = Array.from({ length: 24 }, () =>
      fetch(`${base}/api/v1/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: user.username, password: user.password }),
      }).then(
        (res) => res.status,
        (err: Error & { cause?: { code?: string } }) => `failed: ${err.cause?.code ?? err.message}`,
      ),
    );
    await sleep(250);
    const signalledAt = Date.now();
    server.kill('SIGTERM');

    const statuses = await Promise.all(logins);
    expect(statuses, JSON.stringify(statuses)).toEqual(Array(24).fill(200));
    const { code, at } = await exited;
    expect(code).toBe(0);
    expect(at - signalledAt).toBeLessThan(10_000);
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
  }, 180_000);
});
