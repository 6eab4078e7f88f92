// A fast path in front of `string-width` for the text a console frame is made of.
//
// string-width answers instantly only for printable ASCII; anything else (a box border, a braille
// chart, a "·") sends the whole string through Intl.Segmenter and an emoji regex per grapheme.
// Every row of our frame has a border, so during a log flood that slow path was the largest single
// cost of a frame. Here a string whose every UTF-16 unit is a single-width character that never
// joins a neighbour into one grapheme (no marks, no joiners, no variation selectors, no emoji
// presentation, no East Asian wide) is as wide as it is long; anything else goes to string-width
// unchanged. The build (scripts/ink-speedups.mjs) puts this in front of the copy Ink uses; the
// table is checked code point by code point against string-width in the unit tests.

import stripAnsi from 'strip-ansi';

/** Inclusive code point ranges whose characters are one column wide alone and in any company. */
export const NARROW_RANGES: readonly (readonly [number, number])[] = [
  [0x20, 0x7e], // printable ASCII
  [0xa0, 0xac], // Latin-1 (U+00AD, the soft hyphen, is invisible)
  [0xae, 0x2ff], // Latin-1, Latin Extended A/B, IPA, spacing modifiers
  [0x370, 0x482], // Greek, Cyrillic (combining marks U+0483–0489 left out)
  [0x48a, 0x4ff],
  [0x2010, 0x2027], // dashes, quotes, bullets, ellipsis
  [0x202f, 0x205e], // per mille, primes, guillemets (not the joiners and bidi controls around them)
  [0x20a0, 0x20c0], // currency
  [0x2100, 0x214f], // letterlike
  [0x2190, 0x2319], // arrows, mathematical operators, technical (⌚⌛ are emoji)
  [0x231c, 0x2328],
  [0x232b, 0x23e8],
  [0x2500, 0x25fc], // box drawing, block elements, geometric shapes (◽◾ are emoji)
  [0x2800, 0x28ff], // braille (the charts)
];

const TABLE_SIZE = 0x2900;
const NARROW = new Uint8Array(TABLE_SIZE);
for (const [a, b] of NARROW_RANGES) NARROW.fill(1, a, b + 1);

/** True when every character of `s` is one column wide whatever its neighbours: width = length. */
export function isNarrowText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= TABLE_SIZE || NARROW[c] === 0) return false;
  }
  return true;
}

/**
 * True when every UTF-16 unit of `s` is a grapheme cluster by itself: narrow characters as above,
 * and control characters other than CR (a control is always a cluster of its own; only CR LF pair
 * up). Splitting such a string by code unit gives exactly what Intl.Segmenter would.
 */
export function isOneUnitPerGrapheme(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < TABLE_SIZE && NARROW[c] === 1) continue;
    if ((c < 0x20 && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) continue;
    return false;
  }
  return true;
}

/** `segmenter.segment(s)`, or the same segments made by code unit when isOneUnitPerGrapheme(s). */
export function graphemes(segmenter: Intl.Segmenter, s: string): Iterable<{ segment: string; index: number }> {
  if (!isOneUnitPerGrapheme(s)) return segmenter.segment(s);
  const out: { segment: string; index: number }[] = new Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = { segment: s[i]!, index: i };
  return out;
}

type StringWidth = (input: string, options?: { ambiguousIsNarrow?: boolean; countAnsiEscapeCodes?: boolean }) => number;

/** `slow` with the fast path in front; same answers for every input. */
export function withFastPath(slow: StringWidth): StringWidth {
  return (input, options) => {
    // Box drawing is East Asian "ambiguous": only narrow when the caller says so (the default).
    if (typeof input === 'string' && (options === undefined || options.ambiguousIsNarrow !== false)) {
      if (isNarrowText(input)) return input.length;
      // Styled text: string-width strips the escapes (with strip-ansi) before measuring; so can we.
      if (options?.countAnsiEscapeCodes !== true && input.includes('\x1b')) {
        const plain = stripAnsi(input);
        if (isNarrowText(plain)) return plain.length;
      }
    }
    return slow(input, options);
  };
}
