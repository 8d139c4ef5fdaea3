import { log } from './log.js';

/** Undo work, newest first: stop children, drop the database. Runs once, also on Ctrl-C. */
export const cleanups: (() => Promise<unknown>)[] = [];
let cleaningUp: Promise<void> | undefined;
export function cleanup(): Promise<void> {
  cleaningUp ??= (async () => {
    while (cleanups.length > 0) {
      const undo = cleanups.pop() as () => Promise<unknown>;
      await undo().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
    }
  })();
  return cleaningUp;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`\n${signal}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
