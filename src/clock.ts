/** Milliseconds since the epoch. Injected so tests can move time instead of sleeping. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** A UTC day in milliseconds (epoch time has no leap seconds). */
export const DAY_MS = 24 * 60 * 60 * 1000;
/** 10000-01-01T00:00:00Z: up to here every year has four digits. */
const YEAR_10000_MS = 253_402_300_800_000;

/** '00' to '99'. */
const TWO_DIGITS = Array.from({ length: 100 }, (_, n) => String(n).padStart(2, '0'));

/**
 * The calendar date of a day counted from 1970-01-01 (0 and later), by the proleptic Gregorian
 * rules: days are counted in 400-year eras that begin on 1 March, so that the leap day ends a
 * year (H. Hinnant, "chrono-compatible low-level date algorithms", civil_from_days).
 */
function dateOfDay(days: number): { year: number; month: number; day: number } {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153);
  const month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day: dayOfYear - Math.floor((153 * shiftedMonth + 2) / 5) + 1 };
}

/** ISO 8601 in UTC to the second (`2026-01-01T12:00:00Z`), as the seed documents show times. */
export function toIso(ms: number): string {
  // `new Date(ms).toISOString()` costs about 1 µs on Node 20, and a page of workouts asks for
  // three times per workout; by arithmetic it is a fraction of that. Times before 1970 or after
  // 9999 (not ones this service stores) take the Date path.
  if (!(ms >= 0 && ms < YEAR_10000_MS)) return `${new Date(ms).toISOString().slice(0, 19)}Z`;
  const days = Math.floor(ms / DAY_MS);
  const second = Math.floor((ms - days * DAY_MS) / 1000);
  const { year, month, day } = dateOfDay(days);
  const time = `${TWO_DIGITS[Math.floor(second / 3600)]}:${TWO_DIGITS[Math.floor(second / 60) % 60]}:${TWO_DIGITS[second % 60]}`;
  return `${year}-${TWO_DIGITS[month]}-${TWO_DIGITS[day]}T${time}Z`;
}
