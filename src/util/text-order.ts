// Number grouping and natural ordering without Intl: the first NumberFormat or Collator a process
// makes pages in megabytes of ICU locale data from the node binary (~5 MB for `toLocaleString`,
// ~3 MB for a Collator, measured as file-backed RSS), which an idle console keeps for its life.

/** 1234567 → "1,234,567" (integers; anything else as String(n)). */
export function groupThousands(n: number): string {
  if (!Number.isSafeInteger(n)) return String(n);
  const digits = String(Math.abs(n));
  let out = '';
  for (let i = 0; i < digits.length; i++) {
    if (i > 0 && (digits.length - i) % 3 === 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? `-${out}` : out;
}

const CHUNK = /(\d+)|(\D+)/g;

/**
 * Natural order for names: case-insensitive, runs of digits compared as numbers, so `api-2` comes
 * before `api-10`; names equal that way fall back to plain code-unit order, so the order is total.
 */
export function naturalCompare(a: string, b: string): number {
  const x = a.toLowerCase().match(CHUNK) ?? [];
  const y = b.toLowerCase().match(CHUNK) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i]!;
    const q = y[i]!;
    if (p === q) continue;
    const pd = p.charCodeAt(0) >= 48 && p.charCodeAt(0) <= 57;
    const qd = q.charCodeAt(0) >= 48 && q.charCodeAt(0) <= 57;
    if (pd && qd) {
      // As numbers, without overflow: strip leading zeros, then longer is larger.
      const ps = p.replace(/^0+(?=\d)/, '');
      const qs = q.replace(/^0+(?=\d)/, '');
      if (ps.length !== qs.length) return ps.length - qs.length;
      if (ps !== qs) return ps < qs ? -1 : 1;
      continue;
    }
    return p < q ? -1 : 1;
  }
  if (x.length !== y.length) return x.length - y.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
