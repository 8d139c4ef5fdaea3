import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../src/bounded-map.js';

describe('BoundedMap', () => {
  it('when more entries than the limit are set, then the oldest are forgotten first; setting a known key again evicts nothing', () => {
    const map = new BoundedMap<string, number>(3);
    map.set('a', 1).set('b', 2).set('c', 3);
    map.set('b', 20);
    expect([...map.entries()]).toEqual([
      ['a', 1],
      ['b', 20],
      ['c', 3],
    ]);
    map.set('d', 4);
    expect([...map.keys()]).toEqual(['b', 'c', 'd']);
    map.set('e', 5);
    expect([...map.keys()]).toEqual(['c', 'd', 'e']);
    expect(map.size).toBe(3);
  });
});
