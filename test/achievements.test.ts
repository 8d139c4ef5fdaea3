import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streakFrom } from '../src/profile/workouts.repository.js';
import { DAY_MS } from './profile-helpers.js';
import { databases } from './support/databases.js';
import { type ManualClock, manualClock, type Service, startService } from './support/service.js';
import { loginUser, signedInUser, userIdOf } from './support/users.js';

describe('streakFrom (distinct workout days, newest first)', () => {
  const today = 20_454;
  const cases: [string, number, number[]][] = [
    ['no workouts', 0, []],
    ['only today', 1, [today]],
    ['only yesterday', 1, [today - 1]],
    ['only the day before yesterday', 0, [today - 2]],
    ['today, yesterday and the day before', 3, [today, today - 1, today - 2]],
    ['yesterday and the two days before (today not yet)', 3, [today - 1, today - 2, today - 3]],
    ['today, then a gap of one day, then two days', 1, [today, today - 2, today - 3]],
    ['yesterday, then a gap', 1, [today - 1, today - 3, today - 4, today - 5]],
    [
      'a week in a row ending today, then older days after a gap',
      7,
      [today, today - 1, today - 2, today - 3, today - 4, today - 5, today - 6, today - 8, today - 9],
    ],
    ['a long streak that ended a week ago', 0, [today - 7, today - 8, today - 9, today - 10]],
    ['a workout logged for tomorrow (clock skew) on top of a streak ending today', 2, [today + 1, today, today - 1]],
  ];
  it.each(cases)('when %s, then the streak is %i', (_name, expected, days) => {
    expect(streakFrom(days, today)).toBe(expected);
  });
});

describe.each(databases)('achievements in /user-data on %s', (kind) => {
  let service: Service;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = manualClock();
    service = await startService(kind, {}, clock);
  });
  afterAll(() => service.close());

  /** Logs workouts the given number of days ago (0 = today), at the current time of day. */
  async function logWorkouts(userId: number, daysAgo: number[]): Promise<void> {
    await service.db('workouts').insert(daysAgo.map((d) => ({ user_id: userId, completed_at: clock() - d * DAY_MS })));
  }

  async function achievements(token: string) {
    const res = await service.call('GET', '/user-data', { token });
    expect(res.status).toBe(200);
    return res.body.training_profile.achievements;
  }

  async function newUser() {
    const user = await signedInUser(service);
    return { ...user, id: await userIdOf(service, user.username) };
  }

  it('when a user is new, then workouts_completed and streak_days are 0', async () => {
    const user = await newUser();
    expect(await achievements(user.token)).toEqual({ workouts_completed: 0, streak_days: 0 });
  });

  it('when workouts were completed today, yesterday and the day before, then 3 workouts and a 3-day streak', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [0, 1, 2]);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 3, streak_days: 3 });
  });

  it('when the workouts are early in their UTC days, then each still counts for its own day', async () => {
    const user = await newUser();
    const today = Math.floor(clock() / DAY_MS);
    await service.db('workouts').insert([0, 1, 2, 3].map((d) => ({ user_id: user.id, completed_at: (today - d) * DAY_MS + 60_000 })));
    expect(await achievements(user.token)).toEqual({ workouts_completed: 4, streak_days: 4 });
  });

  it('when a day is missing between workouts, then the streak stops at the gap but every workout counts', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [0, 2, 3, 4]);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 4, streak_days: 1 });
  });

  it('when the last workout was yesterday, then the streak still holds; when it was two days ago, then it is 0', async () => {
    const holding = await newUser();
    await logWorkouts(holding.id, [1, 2]);
    expect(await achievements(holding.token)).toEqual({ workouts_completed: 2, streak_days: 2 });

    const broken = await newUser();
    await logWorkouts(broken.id, [2, 3, 4]);
    expect(await achievements(broken.token)).toEqual({ workouts_completed: 3, streak_days: 0 });
  });

  it('when several workouts fall on one day, then each is completed but the day counts once in the streak', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [0, 0, 0, 1]);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 4, streak_days: 2 });
  });

  it('when another user works out, then it does not count for this one', async () => {
    const user = await newUser();
    const other = await newUser();
    await logWorkouts(other.id, [0, 1, 2, 3, 4]);
    await logWorkouts(user.id, [0]);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 1, streak_days: 1 });
    expect(await achievements(other.token)).toEqual({ workouts_completed: 5, streak_days: 5 });
  });

  it('when the clock moves past midnight without a new workout, then the streak ends at yesterday and breaks the day after', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [0, 1]);
    expect((await achievements(user.token)).streak_days).toBe(2);
    clock.advance(DAY_MS);
    // A token lives 30 minutes: log in again after each day.
    expect(await achievements(await loginUser(service, user))).toEqual({ workouts_completed: 2, streak_days: 2 });
    clock.advance(DAY_MS);
    const later = await loginUser(service, user);
    expect(await achievements(later)).toEqual({ workouts_completed: 2, streak_days: 0 });
  });

  it('when a workout is dated tomorrow (a device clock ahead), then it counts but neither starts nor breaks the streak', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [-1, 0, 1]);
    expect(await achievements(user.token)).toEqual({ workouts_completed: 3, streak_days: 2 });
  });

  it('when /me is read, then it carries no achievements (they belong to /user-data)', async () => {
    const user = await newUser();
    await logWorkouts(user.id, [0]);
    const res = await service.call('GET', '/me', { token: user.token });
    expect(res.body.training_profile).not.toHaveProperty('achievements');
  });
});
