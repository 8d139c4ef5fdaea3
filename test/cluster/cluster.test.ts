import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conflictStats, createDb, type Db } from '../../src/db/db.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { seedQuestionnaire } from '../profile-helpers.js';
import type { TestDatabase } from '../support/databases.js';
import { type CallResult, listen, type Service, testConfig } from '../support/service.js';
import { newUser, type TestUser } from '../support/users.js';
import { GaleraCluster, missingPrerequisites } from './galera.js';
import { HAProxy } from './haproxy.js';

/**
 * The service on a three-node MariaDB Galera cluster (docs/scaling.md): three instances, each
 * on its own node, race as the robustness suite does (registrations of one name, logins at the
 * session limit, revoke_others, logout then use elsewhere, a password change during logins,
 * refreshes of one token), each for several rounds, with exact outcomes and no 5xx; then three
 * instances behind HAProxy under mixed load lose a node to kill -9, which rejoins by IST, and
 * every node ends with the same rows.
 */
const DATABASE = 'fitness';
const LIMIT = 5;
const ROUNDS = 5;
const figures: Record<string, unknown> = {};

const missing = missingPrerequisites();
if (missing.length > 0) throw new Error(`the cluster test needs ${missing.join(', ')}`);

/** Tallies answers by status; every test asserts there is no 5xx among them. */
function tally(results: { status: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { status } of results) out[status] = (out[status] ?? 0) + 1;
  return out;
}

describe('the service on a Galera cluster', () => {
  const cluster = new GaleraCluster();
  const proxy = new HAProxy(cluster);
  const pools: Db[] = [];
  const instances: Service[] = [];
  const behindProxy: Service[] = [];

  /** An instance of the service on `url` (the app, its own pool, a port of its own). */
  async function instance(url: string, extra: Record<string, unknown> = {}): Promise<Service> {
    const db = createDb(url, { poolMax: 10, acquireTimeoutMs: 15_000 });
    pools.push(db);
    const database: TestDatabase = { db, url, open: () => db, drop: async () => undefined };
    const config = testConfig({ maxSessionsPerUser: LIMIT, jwtSecret: 'cluster-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz', ...extra });
    const service = await listen(db, database, config, undefined, {});
    return { ...service, startPeer: () => Promise.reject(new Error('no peers here')) };
  }

  beforeAll(async () => {
    await cluster.start();
    await cluster.root(1, (c) => c.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`));
    const migrator = createDb(cluster.url(1, DATABASE));
    await migrateLatest(migrator);
    await migrator.destroy();
    await proxy.start();
    for (const i of [1, 2, 3]) instances.push(await instance(cluster.url(i, DATABASE)));
    for (let i = 0; i < 3; i += 1) behindProxy.push(await instance(proxy.url(DATABASE)));
  }, 300_000);

  afterAll(async () => {
    console.log(`[cluster figures] ${JSON.stringify(figures)}`);
    await Promise.all([...instances, ...behindProxy].map((s) => s.close()));
    await Promise.all(pools.map((p) => p.destroy()));
    await proxy.stop();
    await cluster.stop();
  }, 120_000);

  /** The instance of the i-th request: round robin over the three nodes. */
  const on = (i: number) => instances[i % 3] as Service;

  /** A statement on every node, as root, after the node has applied every commit the cluster made before it. */
  async function onEveryNode<T>(sql: string, bindings: unknown[] = []): Promise<T[]> {
    return Promise.all(
      [1, 2, 3].map((i) =>
        cluster.root(i, async (c) => {
          await c.query('SET SESSION wsrep_sync_wait = 1');
          const [rows] = await c.query(sql, bindings);
          return rows as T;
        }),
      ),
    );
  }

  async function activeSessions(userId: number): Promise<number[]> {
    const rows = await onEveryNode<{ n: number }[]>(
      `SELECT COUNT(*) AS n FROM ${DATABASE}.sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`,
      [userId, Date.now()],
    );
    return rows.map((r) => Number(r[0]?.n));
  }

  async function register(user: TestUser = newUser()): Promise<TestUser & { id: number }> {
    const res = await on(0).call('POST', '/register', { body: user });
    expect(res.status).toBe(200);
    const [rows] = await onEveryNode<{ id: number }[]>(`SELECT id FROM ${DATABASE}.users WHERE username = ?`, [user.username]);
    return { ...user, id: Number(rows?.[0]?.id) };
  }

  const login = (service: Service, user: TestUser, extra: Record<string, unknown> = {}) =>
    service.call('POST', '/login', { body: { username: user.username, password: user.password, ...extra } });

  function loginConflicts() {
    return instances.reduce((sum, s) => sum + conflictStats(s.db).conflicts, 0);
  }

  it('when 30 registrations of one name race on three nodes, then exactly one succeeds and every node has one row', async () => {
    const statuses: Record<string, number> = {};
    for (let round = 0; round < ROUNDS; round += 1) {
      const name = `gal_${round}_${randomBytes(3).toString('hex')}`;
      const results = await Promise.all(
        Array.from({ length: 30 }, (_, i) => {
          const body = { username: i % 2 ? name.toUpperCase() : name, email: `${name}_${i}@example.com`, password: 'SecurePass123!' };
          return i % 3 === 0 ? on(i).call('POST', '/create_user', { body }) : on(i).call('POST', '/register', { body: { ...body, full_name: 'Race Runner' } });
        }),
      );
      for (const [s, n] of Object.entries(tally(results))) statuses[s] = (statuses[s] ?? 0) + n;
      expect(results.filter((r) => r.status === 200 || r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 400).every((r) => r.body.error === 'username_taken')).toBe(true);
      expect(results.filter((r) => r.status === 400)).toHaveLength(29);
      const counts = await onEveryNode<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${DATABASE}.users WHERE username_key = ?`, [name]);
      expect(counts.map((r) => Number(r[0]?.n))).toEqual([1, 1, 1]);
    }
    figures.registrations = { rounds: ROUNDS, requests: ROUNDS * 30, statuses };
  });

  it(`when 20 logins of one user race on three nodes with a limit of ${LIMIT}, then exactly ${LIMIT} succeed, on every node`, async () => {
    const statuses: Record<string, number> = {};
    const conflictsBefore = loginConflicts();
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await register();
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => login(on(i), user)));
      for (const [s, n] of Object.entries(tally(results))) statuses[s] = (statuses[s] ?? 0) + n;
      expect(results.filter((r) => r.status === 200)).toHaveLength(LIMIT);
      expect(results.filter((r) => r.status === 400).map((r) => r.body.error)).toEqual(Array(20 - LIMIT).fill('too_many_tokens'));
      expect(await activeSessions(user.id)).toEqual([LIMIT, LIMIT, LIMIT]);
    }
    const logins = ROUNDS * 20;
    figures.sessionLimit = { rounds: ROUNDS, logins, statuses, conflictsPer1000Logins: Math.round(((loginConflicts() - conflictsBefore) / logins) * 1000) };
  });

  it('when 9 revoke_others logins race on three nodes, then all succeed and exactly one session is left, the last one', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await register();
      for (let i = 0; i < 3; i += 1) expect((await login(on(i), user)).status).toBe(200);
      const results = await Promise.all(Array.from({ length: 9 }, (_, i) => login(on(i), user, { revoke_others: true })));
      expect(tally(results)).toEqual({ 200: 9 });
      expect(await activeSessions(user.id)).toEqual([1, 1, 1]);
      const valid = await Promise.all(results.map((r, i) => on(i + 1).call('GET', '/verify-token', { token: r.body.token })));
      expect(valid.filter((v) => v.status === 200)).toHaveLength(1);
      expect(valid.filter((v) => v.status === 401)).toHaveLength(8);
    }
  });

  it('when a token is logged out on one node, then the next request with it is 401 on every other node', async () => {
    const user = await register();
    let accepted = 0;
    for (let round = 0; round < 40; round += 1) {
      const here = on(round);
      const token = (await login(here, user)).body.token as string;
      expect((await here.call('POST', '/logout', { token })).status).toBe(200);
      const elsewhere = await Promise.all([on(round + 1), on(round + 2)].map((s) => s.call('GET', '/verify-token', { token })));
      accepted += elsewhere.filter((r) => r.status === 200).length;
      expect(elsewhere.map((r) => r.status)).toEqual([401, 401]);
    }
    figures.logoutSeenElsewhere = { rounds: 40, acceptedAfterLogout: accepted };
  });

  it('when /me is read 200 times with causal reads and 200 times without, interleaved on one node, then all answer 200 (the cost is a figure)', async () => {
    const user = await register();
    const token = (await login(on(0), user)).body.token as string;
    const eager = await instance(cluster.url(1, DATABASE), { dbGalera: 'off' });
    instances.push(eager); // closed with the others
    const took = { causal: [] as number[], plain: [] as number[] };
    for (let i = 0; i < 400; i += 1) {
      const [service, list] = i % 2 ? ([on(0), took.causal] as const) : ([eager, took.plain] as const);
      const started = performance.now();
      expect((await service.call('GET', '/me', { token })).status).toBe(200);
      list.push(performance.now() - started);
    }
    const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
    figures.syncWait = { medianMsCausal: median(took.causal).toFixed(2), medianMsWithout: median(took.plain).toFixed(2) };
  });

  it('when the password changes on one node while logins with the old one run on the others, then none sent after the answer succeeds, and no old-password session survives', async () => {
    const statuses: Record<string, number> = {};
    // How often each change lost to a login committed on another node and was run again.
    const changeConflicts: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await register();
      const token = (await login(on(0), user)).body.token as string;
      const conflictsBefore = conflictStats(on(0).db).conflicts;
      let changedAt = Number.POSITIVE_INFINITY;
      let stopAt = Number.POSITIVE_INFINITY;
      const attempts: { sentAt: number; status: number }[] = [];
      const loop = async (service: Service) => {
        while (Date.now() < stopAt) {
          const sentAt = Date.now();
          const res = await login(service, user);
          attempts.push({ sentAt, status: res.status });
          // Logins that succeed before the change fill the limit; make room for the next ones.
          if (res.status === 200) await service.call('POST', '/logout', { token: res.body.token });
        }
      };
      const loops = [loop(on(1)), loop(on(2))];
      await sleep(300);
      const change = await on(0).call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: 'NewSecret456!' } });
      changedAt = Date.now();
      changeConflicts.push(conflictStats(on(0).db).conflicts - conflictsBefore);
      stopAt = changedAt + 300;
      await Promise.all(loops);
      expect(change.status).toBe(200);
      for (const a of attempts) statuses[a.status] = (statuses[a.status] ?? 0) + 1;
      expect(attempts.filter((a) => a.sentAt > changedAt).every((a) => a.status === 400)).toBe(true);
      expect(attempts.every((a) => a.status === 200 || a.status === 400)).toBe(true);
      expect(await activeSessions(user.id)).toEqual([1, 1, 1]);
      expect((await on(2).call('GET', '/verify-token', { token })).status).toBe(200);
    }
    figures.passwordChange = { rounds: ROUNDS, oldPasswordLogins: statuses, changeConflicts };
  });

  it('when 18 refreshes of one refresh token race on three nodes, then exactly one rotates it and all get that successor', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await register();
      const tokens = (await login(on(round), user)).body;
      const results = await Promise.all(
        Array.from({ length: 18 }, (_, i) => on(i).call('POST', '/token/refresh', { body: { refresh_token: tokens.refresh_token } })),
      );
      expect(tally(results)).toEqual({ 200: 18 });
      const successors = new Set(results.map((r) => r.body.refresh_token as string));
      expect(successors.size).toBe(1);
      const hash = createHash('sha256')
        .update([...successors][0] as string)
        .digest('hex');
      const sid = JSON.parse(Buffer.from((tokens.access_token as string).split('.')[1] as string, 'base64url').toString()).sid;
      const rows = await onEveryNode<{ refresh_hash: string }[]>(`SELECT refresh_hash FROM ${DATABASE}.sessions WHERE id = ?`, [sid]);
      expect(rows.map((r) => r[0]?.refresh_hash)).toEqual([hash, hash, hash]);
    }
  });

  it('when 12 writes of one questionnaire race on three nodes with one If-Match tag, then exactly one wins and every node holds it', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = await register();
      const token = (await login(on(round), user)).body.token as string;
      const tag = (await on(round).call('GET', '/training-profile', { token })).headers.get('etag') as string;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => {
          const body = { ...seedQuestionnaire(), basic_information: { ...seedQuestionnaire().basic_information, age: 20 + i } };
          return on(i).call('PUT', '/training-profile', { token, body, headers: { 'If-Match': tag } });
        }),
      );
      expect(tally(results)).toEqual({ 200: 1, 412: 11 });
      const age = results.find((r) => r.status === 200)?.body.training_profile.basic_information.age;
      const rows = await onEveryNode<{ profile: string }[]>(`SELECT profile FROM ${DATABASE}.training_profiles WHERE user_id = ?`, [user.id]);
      expect(rows.map((r) => JSON.parse(r[0]?.profile ?? '{}').basic_information.age)).toEqual([age, age, age]);
    }
  });

  it('when 20 registrations with one Idempotency-Key and one body race on three nodes, then one account and every answer is 409 or the 200', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const user = newUser();
      const headers = { 'Idempotency-Key': `gal-${randomBytes(8).toString('hex')}` };
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => on(i).call('POST', '/register', { body: user, headers })));
      expect(Object.keys(tally(results)).every((s) => s === '200' || s === '409')).toBe(true);
      expect(results.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      const counts = await onEveryNode<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${DATABASE}.users WHERE username = ?`, [user.username]);
      expect(counts.map((r) => Number(r[0]?.n))).toEqual([1, 1, 1]);
    }
  });

  it('when a node is killed with kill -9 under load, then only requests in flight fail, the service answers again within seconds, and the node rejoins by IST with every row', async () => {
    const users = await Promise.all(Array.from({ length: 6 }, () => register()));
    const tokens = await Promise.all(users.map(async (u, i) => (await login(behindProxy[i % 3] as Service, u)).body.token as string));
    const answers: { at: number; status: number | 'network'; took: number }[] = [];
    let stop = false;
    let n = 0;
    const client = async () => {
      while (!stop) {
        n += 1;
        const i = n;
        const service = behindProxy[i % 3] as Service;
        const started = Date.now();
        let res: CallResult | undefined;
        try {
          if (i % 4 === 0) res = await service.call('POST', '/register', { body: newUser() });
          else if (i % 4 === 1) res = await service.call('GET', '/me', { token: tokens[i % 6] });
          else if (i % 4 === 2) res = await service.call('PUT', '/training-profile', { token: tokens[i % 6], body: seedQuestionnaire() });
          else res = await login(service, users[i % 6] as TestUser);
          // Logins fill the session limit: end the new session at once.
          if (i % 4 === 3 && res.status === 200) await service.call('POST', '/logout', { token: res.body.token });
        } catch {
          // A connection cut under the request.
        }
        answers.push({ at: started, status: res?.status ?? 'network', took: Date.now() - started });
      }
    };
    const conflictsAtStart = behindProxy.reduce((sum, s) => sum + conflictStats(s.db).conflicts, 0);
    const clients = Array.from({ length: 6 }, client);
    await sleep(2000);
    const killedAt = Date.now();
    await cluster.kill(2);
    // The process is gone; the connections to it learn so when their socket closes.
    const deadAt = Date.now();
    await sleep(8000);
    const restartedAt = Date.now();
    const { position } = await cluster.restart(2);
    const rejoinMs = Date.now() - restartedAt;
    await sleep(1000);
    stop = true;
    await Promise.all(clients);
    const loginConflictsDuringLoad = behindProxy.reduce((sum, s) => sum + conflictStats(s.db).conflicts, 0) - conflictsAtStart;

    const failed = answers.filter((a) => a.status === 'network' || (a.status as number) >= 500);
    const before = answers.filter((a) => a.at + a.took < killedAt);
    const firstOkAfter = answers.filter((a) => a.at >= killedAt && a.status !== 'network' && (a.status as number) < 400).sort((x, y) => x.at - y.at)[0];
    const crossing = answers.filter((a) => a.at + a.took >= killedAt && a.at < restartedAt);
    figures.nodeKill = {
      requests: answers.length,
      byStatus: tally(answers.map((a) => ({ status: a.status === 'network' ? 0 : (a.status as number) }))),
      failed: failed.length,
      killTookMs: deadAt - killedAt,
      failedAfterMs: failed.map((f) => f.at - killedAt),
      // The first request sent after the kill that succeeded: when it was answered.
      answeredAgainAfterMs: firstOkAfter ? firstOkAfter.at + firstOkAfter.took - killedAt : null,
      // Writes wait while the survivors decide the node is gone (evs.suspect_timeout, 3 s here).
      longestWaitMs: Math.max(...crossing.map((a) => a.took)),
      loginConflicts: loginConflictsDuringLoad,
      rejoinMs,
      position,
      ist: cluster.rejoinedByIst(2),
    };
    // Before the kill, nothing failed; after it, only what was on its way to the dead node.
    expect(before.filter((a) => a.status === 'network' || (a.status as number) >= 500)).toEqual([]);
    // The failures are the requests that were on their way to the node when it died (each of
    // the six clients has at most one in flight): sent before it was gone (give its sockets
    // 100 ms to close), answered within the second after.
    expect(failed.length).toBeLessThanOrEqual(6);
    expect(failed.every((f) => f.at < deadAt + 100 && f.at + f.took < killedAt + 1000)).toBe(true);
    expect(firstOkAfter).toBeDefined();
    expect((firstOkAfter?.at ?? Number.POSITIVE_INFINITY) - killedAt).toBeLessThan(10_000);
    expect(cluster.rejoinedByIst(2)).toBe(true);

    // Every node holds the same rows.
    const tables = ['users', 'user_settings', 'training_profiles', 'sessions', 'spent_refresh_tokens', 'user_tokens', 'mail_outbox'];
    const sums = await onEveryNode<{ Table: string; Checksum: number }[]>(`CHECKSUM TABLE ${tables.map((t) => `${DATABASE}.${t}`).join(', ')}`);
    const byNode = sums.map((rows) => rows.map((r) => `${r.Table}=${r.Checksum}`).join(' '));
    expect(byNode[1]).toBe(byNode[0]);
    expect(byNode[2]).toBe(byNode[0]);
    const counts = await onEveryNode<{ n: number }[]>(`SELECT COUNT(*) AS n FROM ${DATABASE}.users`);
    expect(new Set(counts.map((c) => Number(c[0]?.n))).size).toBe(1);
  }, 120_000);
});
