/** Milliseconds since the epoch. Injected so tests can move time instead of sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** ISO 8601 in UTC to the second (`2026-01-01T12:00:00Z`), as the seed documents show times. */
export function toIso(ms: number): string {
  // toISOString() is always YYYY-MM-DDTHH:mm:ss.sssZ for the years this service sees.
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
