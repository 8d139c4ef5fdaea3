import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSessionCount, userIdOf } from '../auth-helpers.js';
import { databases, type DatabaseKind } from '../support/databases.js';
import { startService, type CallResult, type Service } from '../support/service.js';
import { loginUser, registerUser } from '../support/users.js';

// Races against the running service. On MySQL each race is repeated ROUNDS times (row locks and
// unique indexes really run concurrently there); on SQLite (one connection, writers serialised)
// a couple of rounds show the same outcome.
const roundsFor = (kind: DatabaseKind) => (kind === 'mysql' ? 20 : 2);
const LIMIT = 5;

/** Figures of the last run, printed for docs/robustness-faults.md. */
const figures: Record<string, unknown> = {};
afterAll(() => {
  console.log(`[races figures] ${JSON.stringify(figures)}`);
});

function tally(results: { status: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { status } of results) out[status] = (out[status] ?? 0) + 1;
  return out;
}

function caseVariant(name: string, i: number): string {
  switch (i % 4) {
    case 0:
      return name;
    case 1:
      return name.toUpperCase();
    case 2:
      return name.replace(/[a-z]/g, (c, at: number) => (at % 2 ? c.toUpperCase() : c));
    default:
      return name[0]!.toUpperCase() + name.slice(1);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(databases)('races on %s', (kind) => {
  let service: Service;
  const rounds = roundsFor(kind);
  beforeAll(async () => {
    service = await startService(kind, { maxSessionsPerUser: LIMIT, authRateLimit: 0, loginFailureLimit: 0 });
  });
  afterAll(() => service.close());

  it(`when 50 registrations of one username (case variants, /register and /create_user) race, then exactly one succeeds, 49 get 400 "Username already taken", and one row exists`, async () => {
    const statuses: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const base = `race_${round}_${randomBytes(3).toString('hex')}`;
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const body = { username: caseVariant(base, i), email: `${base}_${i}@example.com`, password: 'SecurePass123!' };
          return i % 2 === 0 ? service.call('POST', '/register', { body: { ...body, full_name: 'Race Runner' } }) : service.call('POST', '/create_user', { body });
        }),
      );
      for (const [status, n] of Object.entries(tally(results))) statuses[status] = (statuses[status] ?? 0) + n;
      const won = results.filter((r) => r.status === 200 || r.status === 201);
      const lost = results.filter((r) => r.status === 400);
      expect(won, JSON.stringify(tally(results))).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const r of lost) expect(r.body).toEqual({ code: 400, text: 'Username already taken' });
      const rows = await service.db('users').where({ username_key: base });
      expect(rows).toHaveLength(1);
      expect(await service.db('user_settings').where({ user_id: rows[0].id })).toHaveLength(1);
    }
    figures.registrations = { rounds, requests: rounds * 50, statuses };
  });

  it(`when 40 logins of one user race with a limit of ${LIMIT}, then exactly ${LIMIT} succeed and never more than ${LIMIT} sessions are active; 20 racing revoke_others logins leave exactly 1`, async () => {
    const statuses: Record<string, number> = {};
    const revokeStatuses: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const user = await registerUser(service);
      const userId = await userIdOf(service, user.username);
      let maxSeen = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          maxSeen = Math.max(maxSeen, await activeSessionCount(service, userId));
          await sleep(5);
        }
      })();
      const results = await Promise.all(Array.from({ length: 40 }, () => service.call('POST', '/login', { body: { username: user.username, password: user.password } })));
      sampling = false;
      await sampler;
      for (const [status, n] of Object.entries(tally(results))) statuses[status] = (statuses[status] ?? 0) + n;
      expect(results.filter((r) => r.status === 200), JSON.stringify(tally(results))).toHaveLength(LIMIT);
      for (const r of results.filter((x) => x.status !== 200)) expect(r.body).toEqual({ code: 400, text: 'Too many tokens' });
      expect(maxSeen).toBeLessThanOrEqual(LIMIT);
      expect(await activeSessionCount(service, userId)).toBe(LIMIT);

      const revoking = await Promise.all(
        Array.from({ length: 20 }, () => service.call('POST', '/login', { body: { username: user.username, password: user.password, revoke_others: true } })),
      );
      for (const [status, n] of Object.entries(tally(revoking))) revokeStatuses[status] = (revokeStatuses[status] ?? 0) + n;
      expect(revoking.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(await activeSessionCount(service, userId)).toBe(1);
      const valid = await Promise.all(revoking.map((r) => service.call('GET', '/verify-token', { token: r.body.token })));
      expect(valid.filter((r) => r.status === 200)).toHaveLength(1);
      expect(valid.filter((r) => r.status === 401)).toHaveLength(19);
    }
    figures.sessionLimit = { rounds, logins: rounds * 40, statuses, revokeOthersLogins: rounds * 20, revokeStatuses };
  });

  it('when POST /logout races 100 requests using the same token, then every request sent after the logout answer is 401', async () => {
    const statuses: Record<string, number> = {};
    let sentAfter = 0;
    for (let round = 0; round < rounds; round += 1) {
      const user = await registerUser(service);
      const token = await loginUser(service, user);
      let logoutAnsweredAt = Infinity;
      const requests: Promise<{ sentAt: number; result: CallResult }>[] = [];
      for (let i = 0; i < 100; i += 1) {
        if (i === 40) {
          requests.push(
            (async () => {
              const sentAt = Date.now();
              const result = await service.call('POST', '/logout', { token });
              logoutAnsweredAt = Date.now();
              expect(result.status).toBe(200);
              return { sentAt: -1, result };
            })(),
          );
        }
        const path = i % 2 ? '/me' : '/verify-token';
        requests.push(
          (async () => {
            const sentAt = Date.now();
            return { sentAt, result: await service.call('GET', path, { token }) };
          })(),
        );
        await sleep(i % 5 === 0 ? 1 : 0);
      }
      const done = (await Promise.all(requests)).filter((r) => r.sentAt >= 0);
      expect(done).toHaveLength(100);
      for (const { sentAt, result } of done) {
        statuses[result.status] = (statuses[result.status] ?? 0) + 1;
        expect([200, 401]).toContain(result.status);
        if (sentAt > logoutAnsweredAt) {
          sentAfter += 1;
          expect(result.status).toBe(401);
        }
      }
      // And from now on the token stays dead.
      expect((await service.call('GET', '/verify-token', { token })).status).toBe(401);
    }
    figures.logout = { rounds, requests: rounds * 100, statuses, sentAfterLogoutAnswer: sentAfter };
  });

  it('when PUT /change-password commits while logins with the old password run, then no login sent after its answer succeeds and no old-password session outlives the change', async () => {
    const statuses: Record<string, number> = {};
    let sentAfter = 0;
    // A limit high enough that every old-password login can only fail on the password.
    const service = await startService(kind, { maxSessionsPerUser: 1000, authRateLimit: 0, loginFailureLimit: 0 });
    try {
    for (let round = 0; round < rounds; round += 1) {
      const user = await registerUser(service);
      const userId = await userIdOf(service, user.username);
      const token = await loginUser(service, user);
      let changeAnsweredAt = Infinity;
      let stopAt = Infinity;
      const attempts: { sentAt: number; status: number }[] = [];
      const worker = async () => {
        while (Date.now() < stopAt) {
          const sentAt = Date.now();
          const res = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
          attempts.push({ sentAt, status: res.status });
          if (res.status !== 200) expect(res.body).toEqual({ code: 400, text: 'Invalid password' });
        }
      };
      const workers = Array.from({ length: 4 }, worker);
      await sleep(60 + (round % 5) * 20);
      const change = await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: 'NewSecret456!' } });
      changeAnsweredAt = Date.now();
      stopAt = changeAnsweredAt + 150;
      await Promise.all(workers);
      expect(change.status).toBe(200);
      for (const a of attempts) {
        statuses[a.status] = (statuses[a.status] ?? 0) + 1;
        if (a.sentAt > changeAnsweredAt) {
          sentAfter += 1;
          expect(a.status).toBe(400);
        }
      }
      // Every old-password session that exists was created before the change committed, so
      // the change revoked it: the only active session left is the changer's own.
      expect(await activeSessionCount(service, userId)).toBe(1);
      expect((await service.call('GET', '/verify-token', { token })).status).toBe(200);
      const changed = await service.db('users').where({ id: userId }).first('updated_at');
      const late = await service.db('sessions').where({ user_id: userId }).whereNull('revoked_at').andWhere('created_at', '>', Number(changed.updated_at)).select('id');
      expect(late).toHaveLength(0);
      expect(await loginUser(service, { username: user.username, password: 'NewSecret456!' })).toBeTypeOf('string');
    }
    } finally {
      await service.close();
    }
    figures.changePassword = { rounds, oldPasswordLogins: Object.values(statuses).reduce((a, b) => a + b, 0), statuses, sentAfterChangeAnswer: sentAfter };
  });
});
