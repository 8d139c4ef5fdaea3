import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databases } from './support/databases.js';
import { type CallResult, type Service, startService } from './support/service.js';
import { registerUser, uniqueName } from './support/users.js';

/** The validation envelope: 400, `validation_failed`, and a list of {field, message}. */
function expectValidationError(res: CallResult): void {
  expect(res.status).toBe(400);
  expect(res.body.code).toBe(400);
  expect(res.body.text).toBe('Invalid request');
  expect(res.body.error).toBe('validation_failed');
  expect(Array.isArray(res.body.errors)).toBe(true);
  expect(res.body.errors.length).toBeGreaterThan(0);
  for (const error of res.body.errors) expect(Object.keys(error).sort()).toEqual(['field', 'message']);
  expect(Object.keys(res.body).sort()).toEqual(['code', 'error', 'errors', 'text']);
}

const q = encodeURIComponent;

describe.each(databases)('availability checks on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  describe('GET /check-availability', () => {
    it('when a username is unused, then it is available', async () => {
      const username = uniqueName('free');
      const res = await service.call('GET', `/check-availability?username=${username}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ username, available: true });
    });

    it('when a username is registered, then it is not available in any letter case', async () => {
      const user = await registerUser(service);
      for (const asked of [user.username, user.username.toUpperCase(), user.username.toLowerCase()]) {
        const res = await service.call('GET', `/check-availability?username=${asked}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ username: asked, available: false });
      }
    });

    it('when a user was created through create_user, then the name is taken too', async () => {
      const username = uniqueName('legacy');
      const created = await service.call('POST', '/create_user', { body: { username, email: `${username}@example.com`, password: 'secret1' } });
      expect(created.status).toBe(201);
      const res = await service.call('GET', `/check-availability?username=${username}`);
      expect(res.body.available).toBe(false);
    });

    it('when the username parameter is missing or empty, then 400', async () => {
      expectValidationError(await service.call('GET', '/check-availability'));
      expectValidationError(await service.call('GET', '/check-availability?username='));
      expectValidationError(await service.call('GET', `/check-availability?user=${uniqueName()}`));
    });

    it.each([
      ['too short', 'ab'],
      ['with a hyphen', 'bad-name'],
      ['with a space', 'bad name'],
      ['51 characters long', 'a'.repeat(51)],
      ['with a non-ASCII letter', 'ålex_user'],
    ])('when the username is %s, then 400 with the validation envelope', async (_name, username) => {
      const res = await service.call('GET', `/check-availability?username=${q(username)}`);
      expectValidationError(res);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/query/username');
    });

    it('when the limits are met exactly, then it answers 200', async () => {
      const longest = `L${uniqueName()}`.padEnd(50, 'x');
      expect((await service.call('GET', `/check-availability?username=${longest}`)).body).toEqual({ username: longest, available: true });
      expect((await service.call('GET', '/check-availability?username=abc')).status).toBe(200);
    });

    it('when the parameter is repeated, then 400', async () => {
      const res = await service.call('GET', `/check-availability?username=${uniqueName()}&username=${uniqueName()}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
    });
  });

  describe('GET /check-email-availability', () => {
    it('when an email is unused, then it is available', async () => {
      const email = `${uniqueName()}@example.com`;
      const res = await service.call('GET', `/check-email-availability?email=${q(email)}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ email, available: true });
    });

    it('when an email is registered, then it is not available in any letter case', async () => {
      const user = await registerUser(service);
      for (const asked of [user.email, user.email.toUpperCase(), `${user.username.toUpperCase()}@Example.COM`]) {
        const res = await service.call('GET', `/check-email-availability?email=${q(asked)}`);
        expect(res.status).toBe(200);
        expect(res.body).toEqual({ email: asked, available: false });
      }
    });

    it('when the email parameter is missing or empty, then 400', async () => {
      expectValidationError(await service.call('GET', '/check-email-availability'));
      expectValidationError(await service.call('GET', '/check-email-availability?email='));
    });

    it.each([
      ['not an address', 'not-an-email'],
      ['missing the domain', 'user@'],
      ['with a space', 'user name@example.com'],
      ['longer than 254 characters', `${'a'.repeat(250)}@example.com`],
    ])('when the email is %s, then 400 with the validation envelope', async (_name, email) => {
      const res = await service.call('GET', `/check-email-availability?email=${q(email)}`);
      expectValidationError(res);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/query/email');
    });

    it('when the parameter is repeated, then 400', async () => {
      const res = await service.call('GET', `/check-email-availability?email=${q('a@example.com')}&email=${q('b@example.com')}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe(400);
    });
  });

  describe('hostile input', () => {
    const injections = ["x' OR '1'='1", "admin'--", '"; DROP TABLE users; --', 'a%', '_%_', '\\', "' UNION SELECT password_hash FROM users --"];

    it.each(injections)('when the username is %j, then 400: none of them is a valid username', async (value) => {
      await registerUser(service);
      const res = await service.call('GET', `/check-availability?username=${q(value)}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toContainEqual(expect.objectContaining({ field: '/query/username' }));
    });

    // Whether `<value>@example.com` is an address is the spec's `format: email` (Ajv's): the
    // ones with a space, a double quote or a backslash are not.
    const addressable = new Set(["admin'--", 'a%', '_%_']);
    it.each(injections)('when the email is %j, then 400 as it stands, and as a local part the exact spec answer', async (value) => {
      await registerUser(service);
      expect((await service.call('GET', `/check-email-availability?email=${q(value)}`)).status).toBe(400);
      const email = `${value}@example.com`;
      const res = await service.call('GET', `/check-email-availability?email=${q(email)}`);
      if (addressable.has(value)) expect(res.body).toEqual({ email, available: true });
      else expect(res.status).toBe(400);
    });

    it('when the users table is probed with injections, then it is still intact', async () => {
      const user = await registerUser(service);
      const res = await service.call('GET', `/check-availability?username=${user.username}`);
      expect(res.body.available).toBe(false);
      expect(await service.db('users').where({ username: user.username }).first('id')).toBeDefined();
    });
  });
});
