/**
 * Conditional writes (RFC 9110 §13.1.1, If-Match): a client sends back the ETag it read, and
 * the write happens only while the resource is still at that version.
 */

/** What an If-Match header allows: a write to the version whose tag `matches`. */
export interface Precondition {
  matches(tag: string): boolean;
}

const ENTITY_TAG = /^\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/;

/**
 * The precondition of an If-Match header; undefined without one (the write is unconditional).
 * `*` matches any current version. Tags compare strongly, so a weak tag (`W/"…"`) never
 * matches; a header that is not a list of entity tags matches nothing.
 */
export function preconditionOf(header: string | string[] | undefined): Precondition | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value.trim() === '*') return { matches: () => true };
  const strong = new Set<string>();
  let rest = value;
  while (rest.trim() !== '') {
    const match = ENTITY_TAG.exec(rest);
    if (!match) return { matches: () => false };
    if (!match[1]) strong.add(`"${match[2]}"`);
    rest = rest.slice(match[0].length);
  }
  return { matches: (tag) => strong.has(tag) };
}

/** The ETag of the version of an account's editable data (/me, /user-data, /training-profile). */
export const personTag = (dataVersion: number) => `"p${dataVersion}"`;

/** The ETag of a version of a workout. */
export const workoutTag = (id: number, version: number) => `"w${id}.${version}"`;
