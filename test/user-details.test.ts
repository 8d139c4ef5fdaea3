import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { loginUser, signedInUser, uniqueName } from './support/users.js';

interface LegacyUser {
  id: number;
  username: string;
  email: string;
  password: string;
}

const AVATAR = 'https://example.com/avatar.jpg';
const BIO = 'This is a test user.';

describe.each(databases)('get_user_details on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  /** Creates a user through the simple user API and reads its id from the database. */
  async function createLegacyUser(): Promise<LegacyUser> {
    const username = uniqueName('testuser');
    const user = { username, email: `${username}@example.com`, password: 'testpassword' };
    const res = await service.call('POST', '/create_user', { body: { ...user, avatar: AVATAR, bio: BIO } });
    expect(res.status).toBe(201);
    const row = await service.db('users').where({ username }).first('id');
    return { ...user, id: Number(row.id) };
  }

  async function setVisibility(userId: number, visibility: 'public' | 'friends_only' | 'private'): Promise<void> {
    const updated = await service.db('user_settings').where({ user_id: userId }).update({ profile_visibility: visibility });
    expect(updated).toBe(1);
  }

  it('when a created user is looked up, then 200 with id, registration time, name, email, tags, avatar and bio', async () => {
    const before = Math.floor(Date.now() / 1000);
    const user = await createLegacyUser();
    const after = Math.ceil(Date.now() / 1000);
    const res = await service.call('GET', `/get_user_details?user_id=${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      code: 200,
      details: { id: user.id, registered_on: expect.any(Number), username: user.username, email: user.email, tags: [], avatar: AVATAR, bio: BIO },
    });
    expect(Number.isInteger(res.body.details.id)).toBe(true);
    expect(Number.isInteger(res.body.details.registered_on)).toBe(true);
    expect(res.body.details.registered_on).toBeGreaterThanOrEqual(before - 1);
    expect(res.body.details.registered_on).toBeLessThanOrEqual(after + 1);
  });

  it('when a user registered without avatar or bio is looked up, then they are null', async () => {
    const user = await signedInUser(service);
    const row = await service.db('users').where({ username: user.username }).first('id');
    const res = await service.call('GET', `/get_user_details?user_id=${row.id}`);
    expect(res.status).toBe(200);
    expect(res.body.details).toMatchObject({ username: user.username, email: user.email, avatar: null, bio: null, tags: [] });
  });

  it('when the id has leading zeros, then it is still that user', async () => {
    const user = await createLegacyUser();
    const res = await service.call('GET', `/get_user_details?user_id=000${user.id}`);
    expect(res.status).toBe(200);
    expect(res.body.details.id).toBe(user.id);
  });

  it.each([
    ['missing', ''],
    ['empty', '?user_id='],
    ['letters', '?user_id=abc'],
    ['negative', '?user_id=-1'],
    ['a fraction', '?user_id=1.5'],
    ['hexadecimal', '?user_id=0x10'],
    ['in exponent form', '?user_id=1e3'],
    ['with a sign', '?user_id=%2B1'],
    ['with spaces', '?user_id=%201'],
    ['longer than 10 digits', '?user_id=12345678901'],
    ['repeated', '?user_id=1&user_id=2'],
  ])('when user_id is %s, then 400 "Invalid user_id"', async (_name, query) => {
    const res = await service.call('GET', `/get_user_details${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 400, text: 'Invalid user_id', error: 'invalid_user_id' });
    expect(Object.keys(res.body).every((key) => ['code', 'text', 'error', 'errors'].includes(key))).toBe(true);
  });

  it.each([['999999'], ['0'], ['9999999999']])('when user_id %s names nobody, then 400 "User not found"', async (id) => {
    const res = await service.call('GET', `/get_user_details?user_id=${id}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'User not found', error: 'user_not_found' });
  });

  describe('privacy', () => {
    it('when the profile is private, then the email is hidden from anonymous callers and other users', async () => {
      const user = await createLegacyUser();
      await setVisibility(user.id, 'private');
      const anonymous = await service.call('GET', `/get_user_details?user_id=${user.id}`);
      expect(anonymous.status).toBe(200);
      expect(anonymous.body.details).not.toHaveProperty('email');
      expect(anonymous.body.details).toMatchObject({ id: user.id, username: user.username, avatar: AVATAR, bio: BIO });

      const other = await signedInUser(service);
      const asOther = await service.call('GET', `/get_user_details?user_id=${user.id}`, { token: other.token });
      expect(asOther.status).toBe(200);
      expect(asOther.body.details).not.toHaveProperty('email');
    });

    it('when the profile is private and the caller is that user, then the email is shown', async () => {
      const user = await createLegacyUser();
      await setVisibility(user.id, 'private');
      const token = await loginUser(service, user);
      const res = await service.call('GET', `/get_user_details?user_id=${user.id}`, { token });
      expect(res.status).toBe(200);
      expect(res.body.details.email).toBe(user.email);
    });

    it('when the profile is friends_only, then strangers do not see the email', async () => {
      const user = await createLegacyUser();
      await setVisibility(user.id, 'friends_only');
      const res = await service.call('GET', `/get_user_details?user_id=${user.id}`);
      expect(res.status).toBe(200);
      expect(res.body.details).not.toHaveProperty('email');
    });

    it('when the profile is public (the default), then everyone sees the email', async () => {
      const user = await createLegacyUser();
      const other = await signedInUser(service);
      const res = await service.call('GET', `/get_user_details?user_id=${user.id}`, { token: other.token });
      expect(res.body.details.email).toBe(user.email);
    });

    it('when the token sent is invalid, then 401 rather than an anonymous answer', async () => {
      const user = await createLegacyUser();
      for (const headers of [{ authorization: 'Bearer not.a.valid.token' }, { authorization: 'Bearer abc.def.ghi' }, { authorization: 'Basic dXNlcjpwYXNz' }]) {
        const res = await service.call('GET', `/get_user_details?user_id=${user.id}`, { headers });
        expect(res.status).toBe(401);
        expect(res.body.code).toBe(401);
      }
    });

    it('when the token was logged out, then 401', async () => {
      const user = await createLegacyUser();
      const token = await loginUser(service, user);
      expect((await service.call('POST', '/logout', { token })).status).toBe(200);
      const res = await service.call('GET', `/get_user_details?user_id=${user.id}`, { token });
      expect(res.status).toBe(401);
    });
  });
});
