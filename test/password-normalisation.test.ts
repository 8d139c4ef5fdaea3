import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARGON2_OPTIONS, matchPassword } from '../src/passwords.js';
import { databases } from './support/databases.js';
import { type Service, startService } from './support/service.js';
import { registerUser } from './support/users.js';

// "Crème brûlée!" typed with precomposed letters (NFC) and with combining accents (NFD).
const NFC = 'Cr\u00e8me br\u00fbl\u00e9e!';
const NFD = NFC.normalize('NFD');

describe('password forms', () => {
  it('when a password is typed in NFD, then it matches the hash of its NFC form, and a hash of the raw NFD form only as typed', async () => {
    expect(NFD).not.toBe(NFC);
    const nfcHash = await hash(NFC, ARGON2_OPTIONS);
    expect(await matchPassword(nfcHash, NFD)).toBe('nfc');
    expect(await matchPassword(nfcHash, NFC)).toBe('nfc');
    const rawHash = await hash(NFD, ARGON2_OPTIONS);
    expect(await matchPassword(rawHash, NFD)).toBe('raw');
    expect(await matchPassword(rawHash, NFC)).toBeUndefined();
    expect(await matchPassword(nfcHash, 'Creme brulee!')).toBeUndefined();
  });
});

describe.each(databases)('Unicode passwords on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  const login = (username: string, password: string) => service.call('POST', '/login', { body: { username, password } });
  const hashOf = async (username: string) => (await service.db('users').where({ username }).first('password_hash')).password_hash as string;

  it('when a user registers with the NFC form, then the NFD form logs in too', async () => {
    const user = await registerUser(service, { password: NFC });
    expect((await login(user.username, NFD)).status).toBe(200);
    expect((await login(user.username, NFC)).status).toBe(200);
  });

  it('when a user registers with the NFD form, then the NFC form logs in too', async () => {
    const user = await registerUser(service, { password: NFD });
    expect((await login(user.username, NFC)).status).toBe(200);
  });

  it('when a hash was made of the raw NFD form (before normalisation), then that form still logs in and the hash is replaced by the NFC form', async () => {
    const user = await registerUser(service);
    const legacy = await hash(NFD, ARGON2_OPTIONS);
    await service.db('users').where({ username: user.username }).update({ password_hash: legacy });
    expect((await login(user.username, NFC)).body.error).toBe('invalid_password');
    expect((await login(user.username, NFD)).status).toBe(200);
    const rehashed = await hashOf(user.username);
    expect(rehashed).not.toBe(legacy);
    expect(await matchPassword(rehashed, NFC)).toBe('nfc');
    expect((await login(user.username, NFC)).status).toBe(200);
    expect(await hashOf(user.username)).toBe(rehashed);
  });

  it('when the password changes to an NFD form, then the NFC form is the current password', async () => {
    const user = await registerUser(service);
    const token = (await login(user.username, user.password)).body.token;
    const changed = await service.call('PUT', '/change-password', { token, body: { current_password: user.password, new_password: NFD } });
    expect(changed.status).toBe(200);
    expect((await login(user.username, NFC)).status).toBe(200);
  });
});
