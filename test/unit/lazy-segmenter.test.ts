import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { graphemes, isOneUnitPerGrapheme, NARROW_RANGES } from '../../screens/render/fast-string-width.js';
import { lazySegmenterClass } from '../../src/util/lazy-segmenter.js';

const real = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
const bySegmenter = (s: string) => [...real.segment(s)].map(({ segment, index }) => ({ segment, index }));

describe('lazy Intl.Segmenter', () => {
  it('makes the real segmenter on first use only, once, and segments as it does', () => {
    let made = 0;
    const Counting = class extends Intl.Segmenter {
      constructor(...args: ConstructorParameters<typeof Intl.Segmenter>) {
        super(...args);
        made++;
      }
    };
    const Lazy = lazySegmenterClass(Counting);
    const s = new Lazy(undefined, { granularity: 'word' });
    expect(made).toBe(0);
    const text = 'Checkout down, 🏳️‍🌈 e\u0301!';
    expect([...s.segment(text)]).toEqual([...new Intl.Segmenter(undefined, { granularity: 'word' }).segment(text)]);
    expect(s.resolvedOptions().granularity).toBe('word');
    s.segment('again');
    expect(made).toBe(1);
    expect(Lazy.supportedLocalesOf(['en'])).toEqual(Intl.Segmenter.supportedLocalesOf(['en']));
  });
});

describe('graphemes by code unit', () => {
  const narrow = NARROW_RANGES.flatMap(([a, b]) => [a, b, Math.floor((a + b) / 2)]).map((c) => String.fromCharCode(c));
  const controls = ['\n', '\t', '\x1b', '\x07', '\x00', '\x7f', '\x9b', '\x1b[31m', '\x1b]8;;http://x\x07'];
  const joining = ['\r', '\r\n', 'e\u0301', '\u200d', '\ufe0f', '👍', '🇫🇷', '각', '漢', '\u0903'];

  it('are what Intl.Segmenter gives for narrow text with controls, and are not used for anything else', () => {
    for (const c of [...narrow, ...controls]) expect(isOneUnitPerGrapheme(c)).toBe(true);
    for (const c of joining) expect(isOneUnitPerGrapheme(`ab${c}cd`)).toBe(false);
    const piece = fc.constantFrom(...narrow, ...controls, ...joining, 'abc', '╔══╗', '⣿⡇');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const s = parts.join('');
        expect([...graphemes(real, s)].map(({ segment, index }) => ({ segment, index }))).toEqual(bySegmenter(s));
      }),
      { numRuns: 500 },
    );
  });
});
