import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { groupThousands, naturalCompare } from '../../src/util/text-order.js';

describe('groupThousands', () => {
  it("groups as Intl's en-US does, for every safe integer", () => {
    for (const n of [0, 7, 999, 1000, 12345, -1000, 1234567, Number.MAX_SAFE_INTEGER]) expect(groupThousands(n)).toBe(n.toLocaleString('en-US'));
    fc.assert(fc.property(fc.maxSafeInteger(), (n) => groupThousands(n) === n.toLocaleString('en-US')));
  });
});

describe('naturalCompare', () => {
  it('orders numbers inside names by value, ignoring case and leading zeros', () => {
    const names = ['web-10', 'Api-2', 'api-10', 'api-1', 'web-2', 'db', 'api-02b', 'api-2a'];
    expect([...names].sort(naturalCompare)).toEqual(['api-1', 'Api-2', 'api-2a', 'api-02b', 'api-10', 'db', 'web-2', 'web-10']);
    expect(naturalCompare('a99999999999999999999', 'a100000000000000000000')).toBeLessThan(0);
  });

  it('is a total order: antisymmetric and 0 only for the same string', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zA-Z0-9-]{0,8}$/), fc.stringMatching(/^[a-zA-Z0-9-]{0,8}$/), (a, b) => {
        const ab = Math.sign(naturalCompare(a, b));
        expect(ab === -Math.sign(naturalCompare(b, a))).toBe(true);
        expect(ab === 0).toBe(a === b);
      }),
    );
  });
});
