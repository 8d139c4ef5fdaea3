import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { networkOf, rateLimitKey } from '../src/client-address.js';

/** The WHATWG URL parser's canonical text of an IPv6 address (RFC 5952): an oracle written by others. */
const urlCanonical = (groups: number[]) => new URL(`http://[${groups.map((g) => g.toString(16)).join(':')}]/`).hostname.slice(1, -1);

describe('rateLimitKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:203.0.113.7', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['0000:0000:0000:0000:0000:FFFF:CB00:7107', '203.0.113.7'],
  ])('when the address is IPv4 or IPv4-mapped (%s), then the key is the IPv4 address %s', (ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });

  it.each([
    '2001:db8:1:2::1',
    '2001:db8:1:2:0:0:0:1',
    '2001:0db8:0001:0002:0000:0000:0000:0001',
    '2001:DB8:1:2::ABCD',
    '2001:db8:1:2:ffff:ffff:ffff:ffff',
    '2001:db8:1:2::',
    '2001:db8:1:2:a:b:c:d%eth0',
    '2001:db8:1:2::1%25',
    '2001:db8:1:2::203.0.113.7',
    '2001:db8:1:2:0:ffff:203.0.113.7',
  ])('when an IPv6 address of 2001:db8:1:2::/64 is spelt %s, then the key is 2001:db8:1:2::/64', (ip) => {
    expect(rateLimitKey(ip)).toBe('2001:db8:1:2::/64');
  });

  it.each([
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['2001:db8::1', '2001:db8::/64'],
    ['2001:db8:0:0:1::', '2001:db8::/64'],
    ['2001:0:0:1::5', '2001:0:0:1::/64'],
    ['0:0:1::', '0:0:1::/64'],
    ['1:0:0:2:3:4:5:6', '1:0:0:2::/64'],
    ['fe80::1%eth0', 'fe80::/64'],
    ['::1', '::/64'],
    ['::', '::/64'],
    ['::203.0.113.7', '::/64'],
  ])('when the IPv6 address is %s, then the key is its /64 in canonical form, %s', (ip, key) => {
    expect(rateLimitKey(ip)).toBe(key);
  });

  it.each(['', 'unknown', '[::1]', '[2001:db8::1]:443', '203.0.113', '203.0.113.256', '01.2.3.4', '1::2::3', 'fe80::1%', '2001:db8:1:2:3:4:5:6:7', 'g::1'])(
    'when the address %j cannot be parsed, then it is its own key',
    (ip) => {
      expect(rateLimitKey(ip)).toBe(ip);
    },
  );

  it('when any address is written fully expanded in upper case or compressed, then both give the /64 the URL parser computes', () => {
    const group = fc.integer({ min: 0, max: 0xffff });
    const notMapped = (groups: number[]) => !(groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff);
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }).filter(notMapped), (groups) => {
        const expanded = groups.map((g) => g.toString(16).toUpperCase().padStart(4, '0')).join(':');
        const expected = `${urlCanonical([...groups.slice(0, 4), 0, 0, 0, 0])}/64`;
        expect(rateLimitKey(expanded)).toBe(expected);
        expect(rateLimitKey(urlCanonical(groups))).toBe(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('networkOf', () => {
  it.each([
    ['203.0.113.7', '203.0.113.0/24'],
    ['203.0.113.250', '203.0.113.0/24'],
    ['::ffff:203.0.113.7', '203.0.113.0/24'],
    ['::ffff:cb00:71fe', '203.0.113.0/24'],
    ['2001:db8:1:2::1', '2001:db8:1::/48'],
    ['2001:DB8:0001:ffff:1:2:3:4%eth0', '2001:db8:1::/48'],
    ['2001:db8:1::', '2001:db8:1::/48'],
    ['2001:db8::1', '2001:db8::/48'],
    ['2001:db8:0:5::203.0.113.7', '2001:db8::/48'],
    ['fe80::1', 'fe80::/48'],
    ['::1', '::/48'],
  ])('when the address is %s, then its network is %s', (ip, network) => {
    expect(networkOf(ip)).toBe(network);
  });

  it.each(['', 'unknown', '[::1]', '203.0.113'])('when the address %j cannot be parsed, then it is returned unchanged', (ip) => {
    expect(networkOf(ip)).toBe(ip);
  });
});
