import { fork } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/paths.js';
import { cleanups } from './cleanup.js';
import { log } from './log.js';

export const BENCH_DIR = join(PROJECT_ROOT, 'bench');

export interface Child {
  url: string;
  stop(): Promise<void>;
  /** CPU profile of the child's main thread from now until stopProfile (--profile). */
  startProfile(): Promise<void>;
  stopProfile(file: string): Promise<void>;
  /** CPU time the child has used so far (user + system, all threads), in microseconds. */
  cpu(): Promise<number>;
}

/** Forks bench/serve.ts as `kind` and waits until it listens. Its stdout goes to /dev/null. */
export async function startChild(kind: string, extra: string[], env: Record<string, string>): Promise<Child> {
  const name = [kind, ...extra.map((a) => a.replace(/^--/, ''))].join('-');
  const execArgv = ['--import', 'tsx'];
  const child = fork(join(BENCH_DIR, 'serve.ts'), [kind, ...extra], {
    cwd: PROJECT_ROOT,
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s`)), 60_000);
    child.on('message', (message: { type?: string; port?: number }) => {
      if (message?.type === 'ready' && typeof message.port === 'number') {
        clearTimeout(timer);
        resolve(message.port);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with code ${code} before listening`));
    });
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.send('stop');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    })();
    return stopped;
  };
  cleanups.push(stop);
  /** Sends a message and waits for the child's answer of type `reply`. */
  const ask = (message: object | string, reply: string) =>
    new Promise<any>((resolve, reject) => {
      const onExit = () => reject(new Error(`${name} exited while asked for ${reply}`));
      const onMessage = (answer: { type?: string }) => {
        if (answer?.type !== reply) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(answer);
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send(message);
    });
  log(`started ${name} (pid ${child.pid}) on port ${port}`);
  return {
    url: `http://127.0.0.1:${port}`,
    stop,
    startProfile: () => ask({ type: 'profile-start' }, 'profile-started'),
    stopProfile: (file) => ask({ type: 'profile-stop', file }, 'profile-stopped'),
    cpu: async () => {
      const { usage } = (await ask('cpu', 'cpu')) as { usage: NodeJS.CpuUsage };
      return usage.user + usage.system;
    },
  };
}
