import { describe, expect, it } from 'vitest';
import { toIso } from '../src/clock.js';

const byDate = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

describe('toIso', () => {
  it('writes the seeds’ format: UTC, to the second, milliseconds dropped', () => {
    expect(toIso(Date.UTC(2026, 0, 1, 12, 0, 0, 999))).toBe('2026-01-01T12:00:00Z');
    expect(toIso(0)).toBe('1970-01-01T00:00:00Z');
  });

  it('agrees with Date on leap days, the ends of months, years and centuries', () => {
    const days = [
      [2024, 1, 29],
      [2000, 1, 29],
      [2100, 1, 28],
      [2100, 2, 1],
      [1999, 11, 31],
      [2000, 0, 1],
      [2023, 1, 28],
      [2023, 2, 1],
      [9999, 11, 31],
    ] as const;
    for (const [year, month, day] of days) {
      for (const ms of [Date.UTC(year, month, day), Date.UTC(year, month, day, 23, 59, 59, 999)]) expect(toIso(ms)).toBe(byDate(ms));
    }
  });

  it('agrees with Date at 20 000 times spread between 1970 and 9999', () => {
    const end = Date.UTC(10000, 0, 1);
    for (let i = 0; i < 20_000; i++) {
      // The golden ratio's multiples, modulo 1: spread evenly, and the same on every run.
      const ms = Math.floor(((i * 0.618_033_988_749_895) % 1) * end);
      expect(toIso(ms)).toBe(byDate(ms));
    }
  });

  it('takes the Date path before 1970 and from the year 10000', () => {
    expect(toIso(Date.UTC(1969, 11, 31, 23, 59, 59))).toBe('1969-12-31T23:59:59Z');
    for (const ms of [-1, Date.UTC(1, 0, 1), Date.UTC(10000, 0, 1)]) expect(toIso(ms)).toBe(byDate(ms));
  });
});
