import { BoundedMap } from '../bounded-map.js';
import { DAY_MS } from '../clock.js';

/** True when `timeZone` names an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export type Calendar = ReturnType<typeof newCalendar>;

/**
 * Local calendar days in `timeZone` as day numbers (days since 1970-01-01 there), so that a
 * streak is counted in the days the user lives in. The zone's offset is looked up at the
 * start and end of each UTC day asked about: when they agree (every day but the few a year
 * when the clocks change), it holds for the whole day; on those days each instant is looked
 * up itself. Ten thousand workouts cost about two Intl calls per day they fall on.
 */
export function calendarOf(timeZone: string): Calendar {
  const kept = calendars.get(timeZone);
  if (kept) return kept;
  const calendar = newCalendar(timeZone);
  calendars.set(timeZone, calendar);
  return calendar;
}

/** Calendars by time zone: building the Intl formatter costs more than a request's other work. */
const calendars = new BoundedMap<string, Calendar>(1000);
/** UTC days whose offset a calendar keeps (about 27 years of days). */
const KEPT_DAYS = 10_000;

function newCalendar(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  function lookUp(instant: number): number {
    const at = Math.floor(instant / 1000) * 1000;
    const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, Number(p.value)]));
    return Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute, parts.second) - at;
  }
  /** Per UTC day: the offset that holds all day, or null on a day the clocks change. */
  const days = new BoundedMap<number, number | null>(KEPT_DAYS);
  function offsetAt(instant: number): number {
    const utcDay = Math.floor(instant / DAY_MS);
    let offset = days.get(utcDay);
    if (offset === undefined) {
      const start = lookUp(utcDay * DAY_MS);
      offset = start === lookUp((utcDay + 1) * DAY_MS - 1000) ? start : null;
      days.set(utcDay, offset);
    }
    return offset ?? lookUp(instant);
  }
  return {
    /** The local day number of an instant. */
    dayOf: (instant: number): number => Math.floor((instant + offsetAt(instant)) / DAY_MS),
    /** The day number of the Monday of the local week of `day`. */
    mondayOf: (day: number): number => day - ((((day + 3) % 7) + 7) % 7),
  };
}
