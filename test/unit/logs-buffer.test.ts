import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/live/events.js';
import { LogBuffer, level, parseFilter } from '../../src/logs/buffer.js';

const line = (text: string, i = 0): LogLine => ({ source: 's', ts: i, stream: 'stdout', text });
const lines = (n: number, from = 0): LogLine[] => Array.from({ length: n }, (_, i) => line(`line-${from + i}`, from + i));

describe('LogBuffer', () => {
  it('keeps at most cap lines and counts every eviction', () => {
    const b = new LogBuffer({ cap: 5 });
    b.append(lines(3));
    expect([b.size, b.total, b.dropped]).toEqual([3, 3, 0]);
    b.append(lines(4, 3));
    expect([b.size, b.total, b.dropped]).toEqual([5, 7, 2]);
    expect(b.slice(0, 10).map((l) => l.text)).toEqual(['line-2', 'line-3', 'line-4', 'line-5', 'line-6']);
    expect(b.firstSeq).toBe(2);
    expect(b.get(2)?.text).toBe('line-2');
    expect(b.get(1)).toBeUndefined();
  });

  it('defaults to a 10,000-line cap', () => {
    const b = new LogBuffer();
    b.append(lines(10_050));
    expect(b.cap).toBe(10_000);
    expect(b.size).toBe(10_000);
    expect(b.dropped).toBe(50);
    expect(b.slice(0, 1)[0]?.text).toBe('line-50');
  });

  it('takes a batch larger than the cap in one go', () => {
    const b = new LogBuffer({ cap: 4 });
    b.append(lines(2));
    b.append(lines(10, 2));
    expect([b.size, b.total, b.dropped]).toEqual([4, 12, 8]);
    expect(b.slice(0, 4).map((l) => l.text)).toEqual(['line-8', 'line-9', 'line-10', 'line-11']);
  });

  it('bumps version on every change', () => {
    const b = new LogBuffer({ cap: 3 });
    const v0 = b.version;
    b.append(lines(1));
    const v1 = b.version;
    b.append([]);
    expect(b.version).toBe(v1);
    b.setFilter('x');
    expect(v1).toBeGreaterThan(v0);
    expect(b.version).toBeGreaterThan(v1);
  });

  it('slices only the rows asked for, clipped to what exists', () => {
    const b = new LogBuffer({ cap: 100 });
    b.append(lines(10));
    expect(b.slice(8, 5).map((l) => l.text)).toEqual(['line-8', 'line-9']);
    expect(b.slice(-3, 2).map((l) => l.text)).toEqual(['line-0', 'line-1']);
    expect(b.slice(20, 5)).toEqual([]);
    expect(b.tail(2).map((l) => l.text)).toEqual(['line-8', 'line-9']);
  });

  it('filters: view, match count, stable view offset', () => {
    const b = new LogBuffer({ cap: 6 });
    b.append(['GET /a', 'error: x', 'GET /b', 'ERROR y', 'ok'].map((t, i) => line(t, i)));
    expect(b.setFilter('error')).toEqual({ ok: true });
    expect(b.matchCount).toBe(2);
    expect(b.slice(0, 10).map((l) => l.text)).toEqual(['error: x', 'ERROR y']);
    b.append(['z', 'error again', 'q'].map((t) => line(t))); // evicts 'GET /a', 'error: x'
    expect(b.matchCount).toBe(2);
    expect(b.viewOffset).toBe(1);
    expect(b.slice(0, 10).map((l) => l.text)).toEqual(['ERROR y', 'error again']);
    b.setFilter('');
    expect(b.filter).toBeNull();
    expect(b.matchCount).toBe(6);
    expect(b.viewOffset).toBe(b.dropped);
  });

  it('reports an invalid regex, keeps the previous filter, and never throws', () => {
    const b = new LogBuffer();
    b.append(['a1', 'b2', 'A3'].map((t) => line(t)));
    expect(b.setFilter('/a\\d/i').ok).toBe(true);
    expect(b.matchCount).toBe(2);
    const r = b.setFilter('/a(/');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/invalid regular expression \/a\(\/: .*(group|\))/i);
    expect(b.filterError).toBeDefined();
    expect(b.filter?.query).toBe('/a\\d/i');
    expect(b.matchCount).toBe(2);
    b.setFilter('b');
    expect(b.filterError).toBeUndefined();
  });

  it('drain empties the buffer but keeps counting', () => {
    const b = new LogBuffer({ cap: 3 });
    b.append(lines(5));
    expect(b.drain().map((l) => l.text)).toEqual(['line-2', 'line-3', 'line-4']);
    expect([b.size, b.total, b.dropped]).toEqual([0, 5, 2]);
    b.append(lines(2, 5));
    expect(b.slice(0, 5).map((l) => l.text)).toEqual(['line-5', 'line-6']);
  });

  it('property: incremental matchCount and view equal a full rescan', () => {
    const word = fc.constantFrom('error', 'ERROR', 'warn', 'ok', 'GET /api', 'timeout', 'Err', '');
    const text = fc.array(word, { maxLength: 4 }).map((w) => w.join(' '));
    const op = fc.oneof(
      { arbitrary: fc.record({ kind: fc.constant('append' as const), batch: fc.array(text, { maxLength: 30 }) }), weight: 6 },
      { arbitrary: fc.record({ kind: fc.constant('filter' as const), q: fc.constantFrom('', 'error', '/err/', '/^ok/i', 'api', '/(/', 'x') }), weight: 1 },
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.array(op, { maxLength: 40 }), (cap, ops) => {
        const b = new LogBuffer({ cap });
        const all: LogLine[] = [];
        for (const o of ops) {
          if (o.kind === 'append') {
            const batch = o.batch.map((t, i) => line(t, all.length + i));
            all.push(...batch);
            b.append(batch);
          } else b.setFilter(o.q);
          const kept = all.slice(Math.max(0, all.length - cap));
          expect(b.total).toBe(all.length);
          expect(b.dropped + b.size).toBe(all.length);
          expect(b.slice(0, cap)).toEqual(b.filter ? kept.filter((l) => b.filter!.test(l.text)) : kept);
          const rescan = b.filter ? kept.filter((l) => b.filter!.test(l.text)).length : kept.length;
          expect(b.matchCount).toBe(rescan);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseFilter', () => {
  it('substring is case-insensitive by default', () => {
    const f = parseFilter('Timeout');
    expect(f.ok && f.filter?.test('upstream TIMEOUT after 5s')).toBe(true);
    const cs = parseFilter('Timeout', { caseSensitive: true });
    expect(cs.ok && cs.filter?.test('upstream TIMEOUT')).toBe(false);
  });
  it('/regex/flags; g and y dropped so test() is not stateful', () => {
    const f = parseFilter('/5\\d\\d/g');
    expect(f.ok && f.filter?.kind).toBe('regex');
    const t = f.ok ? f.filter! : null;
    expect([t?.test('HTTP 503'), t?.test('HTTP 503'), t?.test('HTTP 200')]).toEqual([true, true, false]);
  });
  it('a path is a substring, not a regex', () => {
    const f = parseFilter('/api/v1');
    expect(f.ok && f.filter?.kind).toBe('substring');
    expect(f.ok && f.filter?.test('GET /API/v1/users')).toBe(true);
  });
  it('empty → no filter', () => {
    expect(parseFilter('  ')).toEqual({ ok: true, filter: null });
  });
});

describe('level', () => {
  it.each([
    ['2026-11-23 ERROR db: connection refused', 'error'],
    ['FATAL: password authentication failed', 'error'],
    ['panic: runtime error: index out of range', 'error'],
    ['java.lang.NullPointerException: x', 'error'],
    ['Exception in thread "main"', 'error'],
    ['Traceback (most recent call last):', 'error'],
    ['time=… level=error msg="boom"', 'error'],
    ['{"level":"error","msg":"boom"}', 'error'],
    ['{"severity": "ERROR"}', 'error'],
    ['2026/11/23 [error] 12#12: upstream timed out', 'error'],
    ['TypeError: x is not a function', 'error'],
    ['WARN disk 91% full', 'warn'],
    ['WARNING: deprecated flag', 'warn'],
    ['level=warning msg=slow', 'warn'],
    ['{"level":"warn"}', 'warn'],
    ['GET /errors 200', 'none'],
    ['0 errors, 0 warnings', 'none'],
    ['terrorist attack on warnings', 'none'],
  ])('%s → %s', (text, want) => {
    expect(level(text)).toBe(want);
  });
});
