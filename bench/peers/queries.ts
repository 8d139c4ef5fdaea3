import { jwtVerify } from 'jose';
import { AUDIENCE, ISSUER } from '../../src/auth/tokens.js';

// The service's statements for GET /me (the person with the session check and the log's summary, then the week's workouts if recent).
const PERSON = `SELECT users.*, s.notify_email, s.notify_push, s.profile_visibility, s.timezone, s.units,
  s.updated_at AS settings_updated_at, t.profile AS training_profile, t.updated_at AS training_updated_at,
  w.workouts_completed, w.longest_streak_days, w.latest_day, w.latest_run_days, w.latest_started_at
  FROM sessions JOIN users ON users.id = sessions.user_id JOIN user_settings s ON s.user_id = users.id
  LEFT JOIN training_profiles t ON t.user_id = users.id LEFT JOIN workout_summaries w ON w.user_id = users.id
  WHERE sessions.revoked_at IS NULL AND sessions.expires_at > ? AND sessions.id = ? AND sessions.user_id = ?
  AND users.account_status = 'active' LIMIT 1`;
const WEEK = 'SELECT started_at, duration_min FROM workouts WHERE user_id = ? AND started_at >= ?';
const SESSION = 'SELECT id FROM sessions WHERE id = ?';
type Row = Record<string, unknown>;
/** The statements through mysql2 (prepared, as the service sends its session check) or better-sqlite3 directly, for the caller of a bearer token (undefined when it is invalid). */
export async function openQueries(url: string, secret: string) {
  let all: (sql: string, params: (string | number)[]) => Promise<Row[]>;
  if (url.startsWith('mysql:')) {
    const mysql = await import('mysql2/promise');
    const pool = mysql.createPool({ uri: url, connectionLimit: 10 });
    all = async (sql, params) => (await pool.execute(sql, params))[0] as Row[];
  } else {
    const { default: Database } = await import('better-sqlite3');
    const sqlite = new Database(url.replace(/^sqlite:/, ''), { readonly: true });
    const prepared = new Map([PERSON, WEEK, SESSION].map((sql) => [sql, sqlite.prepare<unknown[]>(sql)]));
    all = async (sql, params) => prepared.get(sql)!.all(...params) as Row[];
  }
  const key = new TextEncoder().encode(secret);
  /** The caller of a bearer token (its user and session) as the service verifies it; undefined when invalid. */
  async function callerOf(authorization?: string) {
    const token = /^Bearer (.+)$/i.exec(authorization ?? '')?.[1] ?? '';
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, audience: AUDIENCE });
      return { userId: Number(payload.sub), sessionId: String(payload.sid) };
    } catch {
      return undefined;
    }
  }
  return {
    /** The floor's one primary-key query. */
    async session(authorization?: string) {
      const caller = await callerOf(authorization);
      return caller && (await all(SESSION, [caller.sessionId]))[0];
    },
    /** What GET /me reads: the person of an active session, with the log's summary and the week's minutes. */
    async me(authorization?: string) {
      const caller = await callerOf(authorization);
      if (!caller) return undefined;
      const now = Date.now();
      const [person] = await all(PERSON, [now, caller.sessionId, caller.userId]);
      if (!person) return undefined;
      const since = now - 8 * 86_400_000;
      const week = Number(person.latest_started_at ?? 0) >= since ? await all(WEEK, [caller.userId, since]) : [];
      const minutes = week.reduce((sum: number, w) => sum + Number(w.duration_min), 0);
      return meView(person, minutes);
    },
  };
}

const iso = (ms: unknown) => (ms === null ? null : new Date(Number(ms)).toISOString().replace(/\.\d{3}Z$/, 'Z'));
/** The person row in the shape of the spec's MeResponse (fastify serialises by it). */
function meView(p: Row, minutes: number) {
  const training = p.training_profile ? JSON.parse(String(p.training_profile)) : undefined;
  return {
    user_profile: {
      id: `usr_${p.id}`,
      username: p.username,
      email: p.email,
      full_name: p.full_name,
      account_status: p.account_status,
      email_verified: Boolean(p.email_verified),
      created_at: iso(p.created_at),
      last_login: iso(p.last_login),
      avatar: p.avatar,
      bio: p.bio,
      tags: p.tags ? JSON.parse(String(p.tags)) : [],
      country: p.country,
    },
    training_profile: {
      goals: training?.training_goals ?? ['maintain_fitness'],
      level: training?.training_experience.level ?? 'beginner',
      preferences: { workout_duration: training?.preferences.session_duration ?? '30_45_min', equipment: training?.preferences.equipment ?? [] },
    },
    account_settings: {
      notifications: { email: Boolean(p.notify_email), push: Boolean(p.notify_push) },
      privacy: { profile_visibility: p.profile_visibility },
      timezone: p.timezone,
      units: p.units,
    },
    achievements: {
      workouts_completed: Number(p.workouts_completed ?? 0),
      streak_days: Number(p.latest_run_days ?? 0),
      minutes_this_week: minutes,
      longest_streak_days: Number(p.longest_streak_days ?? 0),
    },
    metadata: { cache_expiry: 300, data_version: '1.2.0' },
  };
}
