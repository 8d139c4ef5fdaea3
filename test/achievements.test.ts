import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coversStreak, longestRun, streakFrom, streakOf, summaryOf } from '../src/workouts/achievements.js';
import { calendarOf } from '../src/workouts/calendar.js';
import { DAY_MS, iso } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { signedInUser } from './support/users.js';

const HOUR_MS = 60 * 60 * 1000;
const today = 20_454;

describe('streakFrom (distinct workout days, newest first)', () => {
  const cases: [string, number, number[]][] = [
    ['no workouts', 0, []],
    ['only today', 1, [today]],
    ['only yesterday', 1, [today - 1]],
    ['only the day before yesterday', 0, [today - 2]],
    ['today, yesterday and the day before', 3, [today, today - 1, today - 2]],
    ['yesterday and the two days before (today not yet)', 3, [today - 1, today - 2, today - 3]],
    ['today, then a gap of one day, then two days', 1, [today, today - 2, today - 3]],
    ['a long streak that ended a week ago', 0, [today - 7, today - 8, today - 9, today - 10]],
    ['a workout logged for tomorrow (clock skew) on top of a streak ending today', 2, [today + 1, today, today - 1]],
  ];
  it.each(cases)('when %s, then the streak is %i', (_name, expected, days) => {
    expect(streakFrom(days, today)).toBe(expected);
  });
});

describe('longestRun (distinct days, newest first)', () => {
  const cases: [string, number, number[]][] = [
    ['no days', 0, []],
    ['one day', 1, [today - 40]],
    ['a run of three, a gap, a run of two', 3, [today, today - 2, today - 3, today - 4, today - 9]],
    ['an old run of four beats the current two', 4, [today, today - 1, today - 10, today - 11, today - 12, today - 13]],
  ];
  it.each(cases)('when %s, then the longest run is %i', (_name, expected, days) => {
    expect(longestRun(days)).toBe(expected);
  });
});

describe('coversStreak (have the latest start times read reached past the streak?)', () => {
  const now = Date.UTC(2026, 0, 10, 12);
  const daysAgo = (n: number) => now - n * DAY_MS;
  it.each([
    ['fewer rows than asked for', [daysAgo(0), daysAgo(1)], 5, true],
    ['a full batch whose streak ends before its oldest day', [daysAgo(0), daysAgo(1), daysAgo(5)], 3, true],
    ['a full batch that is all one streak', [daysAgo(0), daysAgo(1), daysAgo(2)], 3, false],
    ['a full batch of one day (the streak may go on)', [daysAgo(0), daysAgo(0), daysAgo(0)], 3, false],
    ['a full batch without a streak', [daysAgo(3), daysAgo(4), daysAgo(5)], 3, true],
  ] as const)('when %s, then %s', (_name, starts, limit, expected) => {
    expect(coversStreak([...starts], limit, 'UTC', now)).toBe(expected);
  });
});

describe('summaryOf and streakOf (what a write keeps, what a read makes of it)', () => {
  const now = Date.UTC(2026, 0, 10, 12);
  const starts = [0, 1, 1, 2, 5, 6].map((d) => now - d * DAY_MS);
  const summary = summaryOf(starts, 'UTC');
  const day = Math.floor(now / DAY_MS);

  it('when a log is summarised, then it keeps the count, the longest run, the newest day and the run ending there', () => {
    expect(summary).toEqual({ workoutsCompleted: 6, longestStreakDays: 3, latestDay: day, latestRunDays: 3, latestStartedAt: now, timeZone: 'UTC' });
    expect(summaryOf([], 'UTC')).toEqual({
      workoutsCompleted: 0,
      longestStreakDays: 0,
      latestDay: null,
      latestRunDays: 0,
      latestStartedAt: null,
      timeZone: 'UTC',
    });
  });

  it.each([
    ['the newest day is today', day, 3],
    ['the newest day was yesterday', day + 1, 3],
    ['the newest day was two days ago', day + 2, 0],
    ['the newest day is after today (a clock ahead): the log must be read', day - 1, undefined],
  ])('when %s, then the streak is %s', (_name, today, expected) => {
    expect(streakOf(summary, today)).toBe(expected);
  });
});

describe('calendarOf (local days of a time zone)', () => {
  it('when an instant is 02:00 UTC, then it is the previous day in New York and the same day in Berlin', () => {
    const instant = Date.UTC(2026, 0, 8, 2, 0);
    const utcDay = Math.floor(instant / DAY_MS);
    expect(calendarOf('America/New_York').dayOf(instant)).toBe(utcDay - 1);
    expect(calendarOf('Europe/Berlin').dayOf(instant)).toBe(utcDay);
    expect(calendarOf('UTC').dayOf(instant)).toBe(utcDay);
  });

  it('when the clocks go forward in Berlin (29 March 2026), then the local days still change at local midnight', () => {
    const berlin = calendarOf('Europe/Berlin');
    const march29 = Math.floor(Date.UTC(2026, 2, 29) / DAY_MS);
    // 23:30 local on the 28th (UTC+1) and 23:30 local on the 29th (UTC+2).
    expect(berlin.dayOf(Date.UTC(2026, 2, 28, 22, 30))).toBe(march29 - 1);
    expect(berlin.dayOf(Date.UTC(2026, 2, 28, 23, 30))).toBe(march29);
    expect(berlin.dayOf(Date.UTC(2026, 2, 29, 21, 30))).toBe(march29);
    expect(berlin.dayOf(Date.UTC(2026, 2, 29, 22, 30))).toBe(march29 + 1);
  });

  it('when a zone is half an hour off UTC (Asia/Kolkata), then 18:29 UTC is today and 18:31 UTC tomorrow there', () => {
    const kolkata = calendarOf('Asia/Kolkata');
    const day = Math.floor(Date.UTC(2026, 5, 1) / DAY_MS);
    expect(kolkata.dayOf(Date.UTC(2026, 5, 1, 18, 29))).toBe(day);
    expect(kolkata.dayOf(Date.UTC(2026, 5, 1, 18, 31))).toBe(day + 1);
  });

  it('when asked for the Monday of a week, then it is the Monday on or before the day', () => {
    const calendar = calendarOf('UTC');
    const monday = Math.floor(Date.UTC(2025, 11, 29) / DAY_MS);
    for (let d = 0; d < 7; d++) expect(calendar.mondayOf(monday + d)).toBe(monday);
    expect(calendar.mondayOf(monday - 1)).toBe(monday - 7);
  });
});

describe.each(databases)('achievements in /me and /user-data on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    // Thursday 1 January 2026, 12:00 UTC; tokens outlive the days the tests move the clock by.
    clock = manualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    service = await startService(kind, { accessTokenTtl: 30 * 86400 }, clock);
  });
  afterAll(() => service.close());

  /** Logs a workout `daysAgo` days before now (0 = today, at the current time), plus `hours`. */
  async function log(token: string, daysAgo: number, durationMin = 30, hours = 0): Promise<string> {
    const body = { type: 'running', started_at: iso(clock() - daysAgo * DAY_MS + hours * HOUR_MS), duration_min: durationMin };
    const res = await service.call('POST', '/workouts', { token, body });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function achievements(token: string) {
    const [me, data] = await Promise.all([service.call('GET', '/me', { token }), service.call('GET', '/user-data', { token })]);
    expect(me.status).toBe(200);
    expect(data.status).toBe(200);
    expect(me.body.achievements).toEqual(data.body.training_profile.achievements);
    return me.body.achievements;
  }

  const setTimeZone = async (token: string, timezone: string) => service.call('POST', '/user-data', { token, body: { settings: { timezone } } });

  it('when a user is new, then every figure is 0 and the time zone is UTC', async () => {
    const user = await signedInUser(service);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 0, streak_days: 0, longest_streak_days: 0, minutes_this_week: 0 });
    expect((await service.call('GET', '/user-data', { token: user.token })).body.settings).toMatchObject({ timezone: 'UTC', units: 'metric' });
  });

  it('when workouts were logged today, yesterday and the day before, then 3 workouts and a 3-day streak', async () => {
    const user = await signedInUser(service);
    for (const d of [0, 1, 2]) await log(user.token, d);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 3, streak_days: 3, longest_streak_days: 3 });
  });

  it('when a day is missing, then the streak stops at the gap and the longest run is kept', async () => {
    const user = await signedInUser(service);
    for (const d of [0, 2, 3, 4, 9]) await log(user.token, d);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 5, streak_days: 1, longest_streak_days: 3 });
  });

  it('when several workouts fall on one day, then each counts but the day counts once', async () => {
    const user = await signedInUser(service);
    for (const d of [0, 0, 0, 1]) await log(user.token, d);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 4, streak_days: 2, longest_streak_days: 2 });
  });

  it('when minutes are logged this week and last, then minutes_this_week counts Monday to now only', async () => {
    const user = await signedInUser(service);
    await log(user.token, 0, 45); // Thursday
    await log(user.token, 3, 30); // Monday 29 December
    await log(user.token, 4, 60); // Sunday 28 December: last week
    expect((await achievements(user.token)).minutes_this_week).toBe(75);
  });

  it('when the time zone moves the days, then the streak and the week follow the local calendar', async () => {
    const user = await signedInUser(service);
    // 02:00 UTC today is 21:00 yesterday in New York; 12:00 UTC two days ago is 07:00 there.
    await log(user.token, 0, 20, -10);
    await log(user.token, 2, 20);
    expect(await achievements(user.token)).toMatchObject({ streak_days: 1, longest_streak_days: 1 });

    expect((await setTimeZone(user.token, 'America/New_York')).status).toBe(200);
    expect(await achievements(user.token)).toMatchObject({ streak_days: 2, longest_streak_days: 2 });

    // In Auckland (UTC+13) it is already Friday 01:00, and Sunday 28 December 12:00 UTC is Monday there.
    const sunday = await log(user.token, 4, 60);
    expect((await setTimeZone(user.token, 'Pacific/Auckland')).status).toBe(200);
    expect((await achievements(user.token)).minutes_this_week).toBe(100);
    expect((await setTimeZone(user.token, 'UTC')).status).toBe(200);
    expect((await achievements(user.token)).minutes_this_week).toBe(40);
    expect(sunday).toMatch(/^wrk_/);
  });

  it('when a workout is deleted, then the figures stop counting it', async () => {
    const user = await signedInUser(service);
    await log(user.token, 0, 30);
    const middle = await log(user.token, 1, 40);
    await log(user.token, 2, 50);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 3, streak_days: 3, minutes_this_week: 120 });
    expect((await service.call('DELETE', `/workouts/${middle}`, { token: user.token })).status).toBe(200);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 2, streak_days: 1, longest_streak_days: 1, minutes_this_week: 80 });
  });

  it('when another user works out, then it does not count for this one', async () => {
    const user = await signedInUser(service);
    const other = await signedInUser(service);
    for (const d of [0, 1, 2, 3, 4]) await log(other.token, d);
    await log(user.token, 0);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 1, streak_days: 1 });
    expect(await achievements(other.token)).toMatchObject({ workouts_completed: 5, streak_days: 5 });
  });

  it('when a workout starts later today or tomorrow (a clock ahead), then it counts but neither starts nor breaks the streak', async () => {
    const user = await signedInUser(service);
    await log(user.token, 1);
    await log(user.token, -1, 30, -1);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 2, streak_days: 1 });
  });

  it('when the clock moves past midnight without a new workout, then the streak holds through yesterday and breaks the day after', async () => {
    const user = await signedInUser(service);
    await log(user.token, 0);
    await log(user.token, 1);
    expect((await achievements(user.token)).streak_days).toBe(2);
    clock.advance(DAY_MS);
    expect((await achievements(user.token)).streak_days).toBe(2);
    clock.advance(DAY_MS);
    expect(await achievements(user.token)).toMatchObject({ streak_days: 0, longest_streak_days: 2, workouts_completed: 2 });
  });

  it('when the streak is longer than the first batch read (100 days in a row), then all of it counts', async () => {
    const user = await signedInUser(service);
    const id = Number((await service.db('users').where({ username: user.username }).first('id')).id);
    // Written straight into the log (100 API calls would only be slower); the next API write counts the summary.
    await service.db('workouts').insert(
      Array.from({ length: 99 }, (_, d) => ({
        user_id: id,
        type: 'running',
        started_at: clock() - (d + 1) * DAY_MS,
        duration_min: 20,
        created_at: clock(),
        updated_at: clock(),
        version: 1,
      })),
    );
    await log(user.token, 0, 20);
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 100, streak_days: 100, longest_streak_days: 100 });
  });

  it('when 10 workouts are logged at once, then every one is counted', async () => {
    const user = await signedInUser(service);
    await Promise.all(Array.from({ length: 10 }, (_, i) => log(user.token, i % 3, 10)));
    expect(await achievements(user.token)).toMatchObject({ workouts_completed: 10, streak_days: 3, longest_streak_days: 3 });
  });

  it('when the time zone is unknown, then 400 unknown_time_zone and the setting stays; a known one is stored by its canonical name', async () => {
    const user = await signedInUser(service);
    const bad = await setTimeZone(user.token, 'Mars/Olympus_Mons');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ code: 400, text: 'Unknown time zone', error: 'unknown_time_zone' });
    expect((await service.call('GET', '/user-data', { token: user.token })).body.settings.timezone).toBe('UTC');
    expect((await setTimeZone(user.token, 'europe/berlin')).status).toBe(200);
    expect((await service.call('GET', '/user-data', { token: user.token })).body.settings.timezone).toBe('Europe/Berlin');
  });
});
