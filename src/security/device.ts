import { networkOf } from '../client-address.js';

// Checked in order: Edge and Opera also say Chrome, Chrome also says Safari.
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\biPhone|\biPad|\biPod/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMacintosh\b|\bMac OS X\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

const find = (table: [RegExp, string][], userAgent: string) => table.find(([pattern]) => pattern.test(userAgent))?.[1];

/**
 * The family of a user agent, stable across its updates: "Firefox on Linux", "Chrome on
 * Android"; for an app or tool, the name of its first product token ("FitnessApp",
 * "okhttp"); "an unknown device" without one.
 */
export function userAgentFamily(userAgent: string | undefined): string {
  if (!userAgent) return 'an unknown device';
  const browser = find(BROWSERS, userAgent);
  const system = find(SYSTEMS, userAgent);
  if (browser) return system ? `${browser} on ${system}` : browser;
  const product = /^([A-Za-z][A-Za-z0-9._-]{0,40})\//.exec(userAgent)?.[1];
  if (product && product !== 'Mozilla') return system ? `${product} on ${system}` : product;
  return system ?? 'an unknown device';
}

/** What tells one device of an account from another: its user agent's family and its network. */
export function deviceKey(userAgent: string | undefined, ip: string): string {
  return `${userAgentFamily(userAgent)} | ${networkOf(ip)}`.slice(0, 120);
}
