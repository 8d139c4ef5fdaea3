import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyStatus } from './auth-helpers.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { loginUser, registerUser, signedInUser } from './support/users.js';

const NEW_PASSWORD = 'EvenMoreSecure456?';

describe.each(databases)('change password on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  async function passwordHashOf(username: string): Promise<string> {
    const row = await service.db('users').where({ username }).first('password_hash');
    return row.password_hash as string;
  }

  it('when the current password is wrong, then 400 "Invalid current password" and nothing changes', async () => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    const other = await loginUser(service, user);
    const hash = await passwordHashOf(user.username);
    const res = await service.call('PUT', '/change-password', { token, body: { current_password: 'NotMyPassword1!', new_password: NEW_PASSWORD } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'Invalid current password', error: 'invalid_current_password' });
    expect(await passwordHashOf(user.username)).toBe(hash);
    expect(await verifyStatus(service, other)).toBe(200);
    expect(await verifyStatus(service, token)).toBe(200);
  });

  it('when the new password equals the current one, then 400 "New password must differ from the current password"', async () => {
    const user = await signedInUser(service);
    const hash = await passwordHashOf(user.username);
    const res = await service.call('PUT', '/change-password', { token: user.token, body: { current_password: user.password, new_password: user.password } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ code: 400, text: 'New password must differ from the current password', error: 'same_password' });
    expect(await passwordHashOf(user.username)).toBe(hash);
  });

  it.each([
    ['too short', '12345'],
    ['too long', 'x'.repeat(129)],
  ])('when the new password is %s, then 400 names new_password and nothing changes', async (_name, newPassword) => {
    const user = await registerUser(service);
    const token = await loginUser(service, user);
    const other = await loginUser(service, user);
    const hash = await passwordHashOf(user.username);
    const res = await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: newPassword } });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/body/new_password');
    expect(await passwordHashOf(user.username)).toBe(hash);
    expect(await verifyStatus(service, other)).toBe(200);
  });

  it('when a field is missing, then 400', async () => {
    const user = await signedInUser(service);
    const res = await service.call('PUT', '/change-password', { token: user.token, body: { new_password: NEW_PASSWORD } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('/body/current_password');
  });

  it('when no token is sent, then 401 and the password stays', async () => {
    const user = await registerUser(service);
    const res = await service.call('PUT', '/change-password', { body: { current_password: user.password, new_password: NEW_PASSWORD } });
    expect(res.status).toBe(401);
    await loginUser(service, user);
  });

  it('when the change succeeds, then 200, the current token still works, the other tokens are 401, and only the new password logs in', async () => {
    const user = await registerUser(service);
    const current = await loginUser(service, user);
    const others = [await loginUser(service, user), await loginUser(service, user)];
    const bystander = await signedInUser(service);
    const res = await service.call('PUT', '/change-password', { token: current, body: { current_password: user.password, new_password: NEW_PASSWORD } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: 'Password changed successfully' });

    expect(await verifyStatus(service, current)).toBe(200);
    for (const token of others) expect(await verifyStatus(service, token)).toBe(401);
    expect(await verifyStatus(service, bystander.token)).toBe(200);
    const listed = await service.call('GET', '/active-sessions', { token: current });
    expect(listed.body.sessions).toHaveLength(1);
    expect(listed.body.sessions[0].current).toBe(true);

    const withOld = await service.call('POST', '/login', { body: { username: user.username, password: user.password } });
    expect(withOld.status).toBe(400);
    expect(withOld.body).toEqual({ code: 400, text: 'Invalid password', error: 'invalid_password' });
    const withNew = await service.call('POST', '/login', { body: { username: user.username, password: NEW_PASSWORD } });
    expect(withNew.status).toBe(200);
    expect(await verifyStatus(service, withNew.body.token)).toBe(200);

    const hash = await passwordHashOf(user.username);
    expect(hash).toMatch(/^\$argon2id\$/);
    expect(hash).not.toContain(NEW_PASSWORD);
  });

  it('when 5 changes from the same current password race, then exactly one wins and only its new password logs in', async () => {
    const user = await signedInUser(service);
    const candidates = Array.from({ length: 5 }, (_, i) => `RacingPassword_${i}!`);
    const results = await Promise.all(
      candidates.map((newPassword) =>
        service.call('PUT', '/change-password', { token: user.token, body: { current_password: user.password, new_password: newPassword } }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 200))
      expect(r.body).toEqual({ code: 400, text: 'Invalid current password', error: 'invalid_current_password' });
    const winner = candidates[results.findIndex((r) => r.status === 200)] as string;
    for (const candidate of candidates) {
      const res = await service.call('POST', '/login', { body: { username: user.username, password: candidate } });
      expect(res.status, candidate).toBe(candidate === winner ? 200 : 400);
    }
  });

  it('when the password was changed, then the old password is no longer the current one for a second change', async () => {
    const user = await signedInUser(service);
    await service.call('PUT', '/change-password', { token: user.token, body: { current_password: user.password, new_password: NEW_PASSWORD } });
    const again = await service.call('PUT', '/change-password', {
      token: user.token,
      body: { current_password: user.password, new_password: 'ThirdPassword789' },
    });
    expect(again.body).toEqual({ code: 400, text: 'Invalid current password', error: 'invalid_current_password' });
    const back = await service.call('PUT', '/change-password', {
      token: user.token,
      body: { current_password: NEW_PASSWORD, new_password: 'ThirdPassword789' },
    });
    expect(back.status).toBe(200);
  });
});
