import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { newUser, registerUser, uniqueName } from './support/users.js';

describe.each(databases)('registration on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  it('when the seed example registers, then it answers 200 with user_info and real next steps', async () => {
    const username = uniqueName('fit_user');
    const res = await service.call('POST', '/register', {
      body: { username, password: 'SecurePass123!', email: `${username}@example.com`, full_name: 'Alex Johnson' },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('User registered successfully');
    expect(res.body.user_info).toEqual({ username, email: `${username}@example.com`, full_name: 'Alex Johnson' });
    expect(res.body.next_steps).toEqual([
      'Verify your email (check inbox)',
      'Log in at /api/v1/login',
      'Complete your training profile at /api/v1/training-profile',
    ]);
  });

  it('when create_user gets the seed example, then it answers 201 {code, text}', async () => {
    const username = uniqueName('testuser');
    const res = await service.call('POST', '/create_user', {
      body: { username, email: `${username}@example.com`, password: 'testpassword', avatar: 'https://example.com/avatar.jpg', bio: 'This is a test user.' },
    });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ code: 201, text: 'User created' });
  });

  it('then the password is stored as an argon2id hash with the OWASP parameters, never in plain text', async () => {
    const user = await registerUser(service);
    const row = await service.db('users').where({ username: user.username }).first('password_hash');
    expect(row.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(row.password_hash).not.toContain(user.password);
  });

  it('when a username is taken in any letter case, then both endpoints answer "Username already taken"', async () => {
    const user = await registerUser(service);
    const upper = user.username.toUpperCase();
    const viaRegister = await service.call('POST', '/register', { body: newUser({ username: upper }) });
    expect(viaRegister.status).toBe(400);
    expect(viaRegister.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
    const viaCreate = await service.call('POST', '/create_user', { body: { username: upper, email: `${uniqueName()}@example.com`, password: 'secret1' } });
    expect(viaCreate.body).toEqual({ code: 400, text: 'Username already taken', error: 'username_taken' });
  });

  it('when an email is taken in any letter case, then it answers "Email already taken" and writes nothing', async () => {
    const user = await registerUser(service);
    const before = await service.db('users').count({ n: '*' });
    const res = await service.call('POST', '/create_user', {
      body: { username: uniqueName(), email: user.email.toUpperCase(), password: 'secret1' },
    });
    expect(res.body).toEqual({ code: 400, text: 'Email already taken', error: 'email_taken' });
    expect(await service.db('users').count({ n: '*' })).toEqual(before);
  });

  it('when 20 registrations of one username race, then exactly one succeeds and the rest get the seed 400', async () => {
    const username = uniqueName('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        service.call('POST', '/register', { body: newUser({ username: i % 2 ? username : username.toUpperCase(), email: `${username}_${i}@example.com` }) }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 400)) expect(r.body.text).toBe('Username already taken');
    const rows = await service.db('users').whereRaw('lower(username) = ?', [username.toLowerCase()]);
    expect(rows).toHaveLength(1);
  });

  describe('validation: every constrained field', () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['username too short', { username: 'ab' }, '/body/username'],
      ['username too long', { username: 'a'.repeat(51) }, '/body/username'],
      ['username with a hyphen', { username: 'bad-name' }, '/body/username'],
      ['username with a space', { username: 'bad name' }, '/body/username'],
      ['username not a string', { username: 12345 }, '/body/username'],
      ['password too short', { password: '12345' }, '/body/password'],
      ['password too long', { password: 'x'.repeat(129) }, '/body/password'],
      ['email malformed', { email: 'not-an-email' }, '/body/email'],
      ['email too long', { email: `${'a'.repeat(250)}@example.com` }, '/body/email'],
      ['full_name too short', { full_name: 'A' }, '/body/full_name'],
      ['full_name too long', { full_name: 'A'.repeat(101) }, '/body/full_name'],
      ['an unknown field (mass assignment)', { is_admin: true }, '/body/is_admin'],
      ['a plan (mass assignment)', { plan: 'enterprise' }, '/body/plan'],
    ];
    it.each(cases)('when %s, then 400 names the field and nothing is written', async (_name, patch, field) => {
      const body = { ...newUser(), ...patch };
      const res = await service.call('POST', '/register', { body });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
      const written = await service.db('users').where({ email: body.email }).first();
      expect(written).toBeUndefined();
    });

    it('when a required field is missing, then 400 names it', async () => {
      const { full_name: _omitted, ...body } = newUser();
      const res = await service.call('POST', '/register', { body });
      expect(res.status).toBe(400);
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: '/body/full_name' }));
    });

    it('when the limits are met exactly, then registration succeeds', async () => {
      const username = `u${uniqueName().replace(/_/g, '').slice(0, 2)}`.slice(0, 3);
      const res = await service.call('POST', '/register', {
        body: { username: username.padEnd(3, 'x'), password: '123456', email: `${uniqueName()}@example.com`, full_name: 'Al' },
      });
      expect([200, 400]).toContain(res.status);
      if (res.status === 400) expect(res.body.text).toBe('Username already taken');
      const long = await service.call('POST', '/register', {
        body: { username: `L${uniqueName()}`.padEnd(50, 'x'), password: 'p'.repeat(128), email: `${uniqueName()}@example.com`, full_name: 'F'.repeat(100) },
      });
      expect(long.status).toBe(200);
    });

    it('when the body is not JSON, then 415; when it is malformed JSON, then 400; when it is too large, then 413', async () => {
      const text = await service.call('POST', '/register', { rawBody: 'username=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(text.status).toBe(415);
      const broken = await service.call('POST', '/register', { rawBody: '{"username": ', headers: { 'content-type': 'application/json' } });
      expect(broken.status).toBe(400);
      const huge = await service.call('POST', '/register', { body: { ...newUser(), full_name: 'x'.repeat(20_000) } });
      expect(huge.status).toBe(413);
      const none = await service.call('POST', '/register', { headers: { 'content-type': 'application/json' } });
      expect(none.status).toBe(400);
    });

    it('when a JSON key is __proto__, then it is rejected and nothing is polluted', async () => {
      const res = await service.call('POST', '/register', {
        rawBody: `{"__proto__": {"is_admin": true}, "username": "${uniqueName()}"}`,
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(400);
      expect(({} as Record<string, unknown>).is_admin).toBeUndefined();
    });
  });
});
