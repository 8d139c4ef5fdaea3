/** Runs at most `limit` tasks at a time; the others wait, and start in the order they came. */
export function createGate(limit: number) {
  let running = 0;
  const waiting: (() => void)[] = [];
  return {
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running < limit) running += 1;
      else await new Promise<void>((resolve) => waiting.push(resolve));
      try {
        return await task();
      } finally {
        // The slot goes straight to the next in line, if any.
        const next = waiting.shift();
        if (next) next();
        else running -= 1;
      }
    },
  };
}
