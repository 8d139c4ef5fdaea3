import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { identityKey } from '../../src/users/identity.js';
import { databases } from '../support/databases.js';
import { type Service, startService } from '../support/service.js';
import { registerUser, signedInUser, uniqueName } from '../support/users.js';
import { snapshot } from './bad-input.js';

/**
 * The normalisation rule: usernames and emails are compared (and unique) as identityKey(v) =
 * NFC, then lower case; stored as given. Usernames are ASCII by the spec's pattern and emails
 * ASCII by the email format, so an NFC/NFD pair of a non-ASCII name is rejected (400) alike
 * wherever a name is validated. Login takes any string: there look-alikes find nobody, except
 * characters whose NFC form is ASCII (U+212A KELVIN SIGN is K), which are the same name.
 */
const q = encodeURIComponent;

describe('identityKey', () => {
  it('maps case and NFC/NFD variants to one key', () => {
    expect(identityKey('Jos\u00e9')).toBe(identityKey('Jose\u0301'));
    expect(identityKey('JOSE\u0301')).toBe('jos\u00e9');
    expect(identityKey('Alex_Case')).toBe(identityKey('aLEX_cASE'));
    expect(identityKey('Mixed.Case@Example.COM')).toBe('mixed.case@example.com');
    expect(identityKey('\u212Aelvin')).toBe('kelvin');
    // Compatibility forms are not folded (NFC, not NFKC): they stay distinct names.
    expect(identityKey('\uff41lice')).not.toBe('alice');
  });
});

describe.each(databases)('case and Unicode variants of names on %s', (kind) => {
  let service: Service;
  beforeAll(async () => {
    service = await startService(kind);
  });
  afterAll(() => service.close());

  it('when a username differs only in letter case, then availability, registration, create_user, login and profile updates treat it as the same name', async () => {
    const base = uniqueName('Alex_Case');
    const user = await registerUser(service, { username: base });
    const variants = [base.toLowerCase(), base.toUpperCase(), base.replace(/^a/i, (c) => (c === 'a' ? 'A' : 'a'))];
    for (const variant of variants) {
      expect((await service.call('GET', `/check-availability?username=${q(variant)}`)).body).toEqual({ username: variant, available: false });
      const reg = await service.call('POST', '/register', {
        body: { username: variant, email: `${uniqueName()}@example.com`, password: 'SecurePass123!', full_name: 'Other Person' },
      });
      expect(reg.status).toBe(400);
      expect(reg.body.text).toBe('Username already taken');
      const legacy = await service.call('POST', '/create_user', {
        body: { username: variant, email: `${uniqueName()}@example.com`, password: 'SecurePass123!' },
      });
      expect(legacy.status).toBe(400);
      expect(legacy.body.text).toBe('Username already taken');
      const login = await service.call('POST', '/login', { body: { username: variant, password: user.password } });
      expect(login.status).toBe(200);
      expect(login.body.user_info.username).toBe(base);
    }
    const other = await signedInUser(service);
    const rename = await service.call('PUT', '/profile', { token: other.token, body: { username: base.toUpperCase() } });
    expect(rename.status).toBe(400);
    expect(rename.body.text).toBe('Username already taken');
    // A user may change the letter case of their own name.
    const token = (await service.call('POST', '/login', { body: { username: base, password: user.password } })).body.token as string;
    const own = await service.call('PUT', '/profile', { token, body: { username: base.toUpperCase() } });
    expect(own.status).toBe(200);
    expect(own.body.user_info.username).toBe(base.toUpperCase());
  });

  it('when an email differs only in letter case, then it is the same email everywhere, and stored as given', async () => {
    const local = uniqueName('Mixed.Case');
    const email = `${local}@Example.COM`;
    const user = await signedInUser(service, { email });
    for (const variant of [email.toLowerCase(), email.toUpperCase()]) {
      expect((await service.call('GET', `/check-email-availability?email=${q(variant)}`)).body).toEqual({ email: variant, available: false });
      const reg = await service.call('POST', '/register', {
        body: { username: uniqueName(), email: variant, password: 'SecurePass123!', full_name: 'Other Person' },
      });
      expect(reg.status).toBe(400);
      expect(reg.body.text).toBe('Email already taken');
      const legacy = await service.call('POST', '/create_user', { body: { username: uniqueName(), email: variant, password: 'SecurePass123!' } });
      expect(legacy.body.text).toBe('Email already taken');
    }
    const other = await signedInUser(service);
    const change = await service.call('PUT', '/profile', { token: other.token, body: { email: email.toUpperCase() } });
    expect(change.status).toBe(400);
    expect(change.body.text).toBe('Email already registered');
    const me = await service.call('GET', '/me', { token: user.token });
    expect(me.body.user_profile.email).toBe(email);
  });

  it('when a name or email comes in NFC and NFD forms, then both are rejected alike (ASCII only) and nothing is written', async () => {
    const suffix = uniqueName('n').slice(2);
    const before = await snapshot(service.db);
    const token = (await signedInUser(service)).token;
    const afterLogin = await snapshot(service.db);
    const pairs: [string, string][] = [
      [`Jos\u00e9_${suffix}`, `Jose\u0301_${suffix}`],
      [`\u00c5ngstr\u00f6m_${suffix}`, `A\u030angstro\u0308m_${suffix}`],
    ];
    for (const pair of pairs) {
      const answers: unknown[] = [];
      for (const name of pair) {
        expect(name.normalize('NFC')).toBe(pair[0].normalize('NFC'));
        const availability = await service.call('GET', `/check-availability?username=${q(name)}`);
        const email = await service.call('GET', `/check-email-availability?email=${q(`${name}@example.com`)}`);
        const reg = await service.call('POST', '/register', {
          body: { username: name, email: `${name}@example.com`, password: 'SecurePass123!', full_name: name },
        });
        const regAsciiName = await service.call('POST', '/register', {
          body: { username: uniqueName(), email: `${name}@example.com`, password: 'SecurePass123!', full_name: name },
        });
        const login = await service.call('POST', '/login', { body: { username: name, password: 'SecurePass123!' } });
        const profile = await service.call('PUT', '/profile', { token, body: { email: `${name}@example.com` } });
        const rename = await service.call('PUT', '/profile', { token, body: { username: name } });
        const statuses = [availability, email, reg, regAsciiName, login, profile, rename].map((r) => r.status);
        expect(statuses, name).toEqual([400, 400, 400, 400, 400, 400, 400]);
        expect(login.body.text).toBe('User not found');
        answers.push([availability, email, reg, regAsciiName, login, profile, rename].map((r) => r.body));
      }
      // Both forms get the very same answers.
      expect(answers[1]).toEqual(answers[0]);
    }
    const after = await snapshot(service.db);
    expect(before.counts.users).toBe(after.counts.users! - 1);
    expect(after).toEqual(afterLogin);
  });

  it('when login names only look like a user, then no one is found, on every database alike', async () => {
    const name = uniqueName('look');
    const user = await registerUser(service, { username: name });
    const lookalikes = [
      `${name} `,
      ` ${name}`,
      `${name}\t`,
      `${name}\u0000`,
      `${name}\u200B`,
      `\u200B${name}`,
      `${name}\u202E`,
      `${name}\u00a0`,
      `${name.slice(0, -1)}%`,
      `${name.slice(0, -1)}_`,
      [...name].map((c) => (/[a-z]/.test(c) ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c)).join(''),
      name.replace('o', '\u00f6'),
      name.replace('o', 'o\u0308'),
    ];
    for (const lookalike of lookalikes) {
      const login = await service.call('POST', '/login', { body: { username: lookalike, password: user.password } });
      expect(login.status, JSON.stringify(lookalike)).toBe(400);
      expect(login.body.text, JSON.stringify(lookalike)).toBe('User not found');
    }
  });

  it('when a login name NFC-normalises to a registered ASCII name (Kelvin sign), then it is that name', async () => {
    const tail = uniqueName('elvin').slice(1);
    const user = await registerUser(service, { username: `K${tail}` });
    const login = await service.call('POST', '/login', { body: { username: `\u212A${tail}`, password: user.password } });
    expect(login.status).toBe(200);
    expect(login.body.user_info.username).toBe(user.username);
    // Where names are validated the Kelvin sign is not ASCII, so it is rejected.
    expect((await service.call('GET', `/check-availability?username=${q(`\u212A${tail}`)}`)).status).toBe(400);
  });
});
