import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSessionCount } from '../auth-helpers.js';
import { type DatabaseKind, databases } from '../support/databases.js';
import { linkToken, type Mailbox } from '../support/mailbox.js';
import { type CallResult, type MailService, type Service, startService, startServiceWithMail } from '../support/service.js';
import { loginUser, registerUser, uniqueName, userIdOf } from '../support/users.js';

// Races against the running service. On MySQL each race is repeated ROUNDS times (row locks and
// unique indexes really run concurrently there); on SQLite (one connection, writers serialised)
// a couple of rounds show the same outcome.
const roundsFor = (kind: DatabaseKind) => (kind === 'mysql' ? 20 : 2);
const LIMIT = 5;

/** Figures of the last run, printed for docs/robustness.md. */
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
          return i % 2 === 0
            ? service.call('POST', '/register', { body: { ...body, full_name: 'Race Runner' } })
            : service.call('POST', '/create_user', { body });
        }),
      );
      for (const [status, n] of Object.entries(tally(results))) statuses[status] = (statuses[status] ?? 0) + n;
      const won = results.filter((r) => r.status === 200 || r.status === 201);
      const lost = results.filter((r) => r.status === 400);
      expect(won, JSON.stringify(tally(results))).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const r of lost) expect(r.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
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
      const results = await Promise.all(
        Array.from({ length: 40 }, () => service.call('POST', '/login', { body: { username: user.username, password: user.password } })),
      );
      sampling = false;
      await sampler;
      for (const [status, n] of Object.entries(tally(results))) statuses[status] = (statuses[status] ?? 0) + n;
      expect(
        results.filter((r) => r.status === 200),
        JSON.stringify(tally(results)),
      ).toHaveLength(LIMIT);
      for (const r of results.filter((x) => x.status !== 200)) expect(r.body).toEqual({ code: 400, text: 'Too many tokens', error: 'too_many_tokens' });
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
              const _sentAt = Date.now();
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
            if (res.status !== 200) expect(res.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
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
        const late = await service
          .db('sessions')
          .where({ user_id: userId })
          .whereNull('revoked_at')
          .andWhere('created_at', '>', Number(changed.updated_at))
          .select('id');
        expect(late).toHaveLength(0);
        expect(await loginUser(service, { username: user.username, password: 'NewSecret456!' })).toBeTypeOf('string');
      }
    } finally {
      await service.close();
    }
    figures.changePassword = { rounds, oldPasswordLogins: Object.values(statuses).reduce((a, b) => a + b, 0), statuses, sentAfterChangeAnswer: sentAfter };
  });
});

describe.each(databases)('token and mail races on %s', (kind) => {
  const rounds = roundsFor(kind);
  let mailbox: Mailbox;
  let service: MailService;
  let strict: Service;
  beforeAll(async () => {
    service = await startServiceWithMail(kind);
    mailbox = service.mailbox;
    strict = await startService(kind, { refreshReuseGraceSeconds: 0 });
  });
  afterAll(async () => {
    await service.close();
    await strict.close();
  });

  async function loginTokens(target: Service) {
    const user = await registerUser(target);
    const res = await target.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(res.status).toBe(200);
    return res.body as { access_token: string; refresh_token: string };
  }

  const sidOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).sid as string;
  const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

  it('when 20 refreshes with one token race, then exactly one rotates it: every answer carries that one successor, and one spent row exists', async () => {
    const statuses: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const login = await loginTokens(service);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => service.call('POST', '/token/refresh', { body: { refresh_token: login.refresh_token } })),
      );
      for (const [status, n] of Object.entries(tally(answers))) statuses[status] = (statuses[status] ?? 0) + n;
      expect(answers.every((a) => a.status === 200)).toBe(true);
      const successors = new Set(answers.map((a) => a.body.refresh_token as string));
      expect(successors.size).toBe(1);
      const sid = sidOf(login.access_token);
      const row = await service.db('sessions').where({ id: sid }).first();
      expect(row.refresh_hash).toBe(sha256([...successors][0] as string));
      expect(await service.db('spent_refresh_tokens').where({ session_id: sid })).toHaveLength(1);
    }
    figures.refreshRace = { rounds, refreshes: rounds * 20, statuses };
  });

  it('when 20 refreshes with one token race and the grace window is off, then exactly one gets a token pair and the replays end the session', async () => {
    const statuses: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const login = await loginTokens(strict);
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => strict.call('POST', '/token/refresh', { body: { refresh_token: login.refresh_token } })),
      );
      for (const [status, n] of Object.entries(tally(answers))) statuses[status] = (statuses[status] ?? 0) + n;
      expect(answers.map((a) => a.status).sort()).toEqual([200, ...Array(19).fill(401)]);
      const winner = answers.find((a) => a.status === 200) as CallResult;
      expect((await strict.call('GET', '/verify-token', { token: winner.body.access_token })).status).toBe(401);
      expect(
        (
          await strict
            .db('sessions')
            .where({ id: sidOf(login.access_token) })
            .first()
        ).revoked_at,
      ).not.toBeNull();
    }
    figures.refreshRaceNoGrace = { rounds, refreshes: rounds * 20, statuses };
  });

  async function resetTokenFor(email: string): Promise<string> {
    await service.call('POST', '/password/forgot', { body: { email } });
    return linkToken(await mailbox.waitFor((m) => m.to.includes(email) && m.subject === 'Reset your password'), 'reset-password');
  }

  it('when 8 password resets with one token race, then exactly one succeeds and its password is the one that works', async () => {
    const statuses: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const user = await registerUser(service);
      const token = await resetTokenFor(user.email);
      const passwords = Array.from({ length: 8 }, (_, i) => `Reset${round}_${i}!pass`);
      const answers = await Promise.all(passwords.map((p) => service.call('POST', '/password/reset', { body: { token, new_password: p } })));
      for (const [status, n] of Object.entries(tally(answers))) statuses[status] = (statuses[status] ?? 0) + n;
      const won = passwords.filter((_, i) => answers[i]?.status === 200);
      expect(won).toHaveLength(1);
      for (const a of answers.filter((x) => x.status !== 200))
        expect(a.body).toEqual({ code: 400, text: 'Invalid or expired reset token', error: 'invalid_reset_token' });
      expect((await service.call('POST', '/login', { body: { username: user.username, password: won[0] } })).status).toBe(200);
    }
    figures.resetRace = { rounds, resets: rounds * 8, statuses };
  });

  it('when verifying an address races with changing it, then the new address is never verified by the old link', async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < rounds; round += 1) {
      const user = await registerUser(service);
      const token = linkToken(await mailbox.waitFor((m) => m.to.includes(user.email) && m.subject === 'Confirm your email address'), 'verify-email');
      const session = await loginUser(service, user);
      const moved = `${uniqueName('moved')}@example.com`;
      // The verification starts up to 6 ms after the change, so that either can commit first.
      const [verify, change] = await Promise.all([
        sleep((round % 4) * 2).then(() => service.call('POST', '/email/verify', { body: { token } })),
        service.call('PUT', '/profile', { token: session, body: { email: moved } }),
      ]);
      expect(change.status).toBe(200);
      expect([200, 400]).toContain(verify.status);
      outcomes[`verify ${verify.status}`] = (outcomes[`verify ${verify.status}`] ?? 0) + 1;
      const me = await service.call('GET', '/me', { token: session });
      expect(me.body.user_profile).toMatchObject({ email: moved, email_verified: false });
      // The mail to the new address verifies it.
      const fresh = linkToken(await mailbox.waitFor((m) => m.to.includes(moved)), 'verify-email');
      expect((await service.call('POST', '/email/verify', { body: { token: fresh } })).status).toBe(200);
    }
    figures.verifyVersusChange = { rounds, outcomes };
  });
});
