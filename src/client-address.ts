import { isIPv4, isIPv6 } from 'node:net';

type Parsed = { v4: string } | { v6: number[] };

/** The eight 16-bit groups of an address isIPv6 accepted, its zone id already removed. */
function groupsOf(address: string): number[] {
  let text = address;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    // Mixed notation: the last 32 bits written as IPv4 become two hex groups.
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const hex = (part: string) => (part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16)));
  const [head = '', rest] = text.split('::');
  const left = hex(head);
  if (rest === undefined) return left;
  const right = hex(rest);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** IPv4 as given, IPv6 as its groups; an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is IPv4. */
function parse(ip: string): Parsed | undefined {
  if (isIPv4(ip)) return { v4: ip };
  const address = ip.split('%')[0] as string;
  if (!isIPv6(ip) || !isIPv6(address)) return undefined;
  const groups = groupsOf(address);
  const [g5 = 0, g6 = 0, g7 = 0] = groups.slice(5);
  if (groups.slice(0, 5).every((g) => g === 0) && g5 === 0xffff) {
    return { v4: `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}` };
  }
  return { v6: groups };
}

/** RFC 5952 text of eight groups: lower-case, no leading zeros, the first longest run of two or more zero groups as `::`. */
function format(groups: number[]): string {
  let runStart = -1;
  let runLength = 1;
  for (let i = 0; i < groups.length; ) {
    let end = i;
    while (end < groups.length && groups[end] === 0) end += 1;
    if (end - i > runLength) {
      runStart = i;
      runLength = end - i;
    }
    i = Math.max(end, i + 1);
  }
  const hex = groups.map((g) => g.toString(16));
  if (runStart < 0) return hex.join(':');
  return `${hex.slice(0, runStart).join(':')}::${hex.slice(runStart + runLength).join(':')}`;
}

/** The network of `bits` leading bits (a multiple of 16) in canonical form, e.g. `2001:db8:1::/48`. */
function prefix(groups: number[], bits: number): string {
  const kept = bits / 16;
  return `${format(groups.map((g, i) => (i < kept ? g : 0)))}/${bits}`;
}

/**
 * The key a per-IP rate limit counts under. IPv4 as given; an IPv4-mapped IPv6 address as its
 * IPv4 form; any other IPv6 address as its /64 (one key for the whole /64 however it is spelt),
 * because a single subscriber is routinely given a /64 and could otherwise spread its requests
 * over 2^64 keys. Anything unparsable is returned unchanged.
 */
export function rateLimitKey(ip: string): string {
  const parsed = parse(ip);
  if (!parsed) return ip;
  return 'v4' in parsed ? parsed.v4 : prefix(parsed.v6, 64);
}

/**
 * The client's network, for telling a known device's whereabouts from a new one: IPv4 as its
 * /24 (`a.b.c.0/24`), IPv6 as its /48 (a site), an IPv4-mapped address as IPv4. Anything
 * unparsable is returned unchanged.
 */
export function networkOf(ip: string): string {
  const parsed = parse(ip);
  if (!parsed) return ip;
  if ('v6' in parsed) return prefix(parsed.v6, 48);
  const [a, b, c] = parsed.v4.split('.');
  return `${a}.${b}.${c}.0/24`;
}
