const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** True when `timeZone` names an IANA time zone this runtime knows. */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

export type Calendar = ReturnType<typeof calendarOf>;

/**
 * Local calendar days in `timeZone` as day numbers (days since 1970-01-01 there), so that a
 * streak is counted in the days the user lives in. The zone's offset is looked up once per
 * hour of time it is asked about (offsets change on the hour or half hour at most), so ten
 * thousand workouts cost a few hundred Intl calls, not ten thousand.
 */
export function calendarOf(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
  });
  const offsets = new Map<number, number>();
  function offsetAt(instant: number): number {
    const hour = Math.floor(instant / HOUR_MS);
    let offset = offsets.get(hour);
    if (offset === undefined) {
      const at = hour * HOUR_MS;
      const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, Number(p.value)]));
      const local = Date.UTC(parts.year as number, (parts.month as number) - 1, parts.day, parts.hour, parts.minute);
      offset = local - at;
      offsets.set(hour, offset);
    }
    return offset;
  }
  return {
    /** The local day number of an instant. */
    dayOf: (instant: number): number => Math.floor((instant + offsetAt(instant)) / DAY_MS),
    /** The day number of the Monday of the local week of `day`. */
    mondayOf: (day: number): number => day - ((((day + 3) % 7) + 7) % 7),
  };
}
