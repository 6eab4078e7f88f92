import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFloatGo, parsePromText, renderPromText, type PromSample } from '../../src/metrics/prom-text.js';

describe('parsePromText', () => {
  it('reads HELP, TYPE, labels, escapes, special values and timestamps', () => {
    const text = [
      '# HELP http_requests_total Total requests.\\nSecond line \\\\ done',
      '# TYPE http_requests_total counter',
      'http_requests_total{code="200",method="GET"} 1027 1395066363000',
      'http_requests_total{code="500", method="POST",} 3',
      '# a plain comment',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      'neg_inf -Inf',
      'not_a_number NaN',
      '  \t indented_metric\t 42  ',
      'http_request_duration_seconds_bucket{le="+Inf"} 144320',
      '{"my.dotted.metric", zone="eu"} 7',
      'windows_line 5\r',
      '# EOF',
    ].join('\n');
    const r = parsePromText(text);
    expect(r.errors).toEqual([]);
    expect(r.types).toEqual({ http_requests_total: 'counter' });
    expect(r.help.http_requests_total).toBe('Total requests.\nSecond line \\ done');
    const byName = (n: string) => r.samples.filter((s) => s.name === n);
    expect(byName('http_requests_total')).toEqual([
      { name: 'http_requests_total', labels: { code: '200', method: 'GET' }, value: 1027, timestampMs: 1395066363000 },
      { name: 'http_requests_total', labels: { code: '500', method: 'POST' }, value: 3 },
    ]);
    expect(byName('msdos_file_access_time_seconds')[0]!.labels).toEqual({ path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' });
    expect(byName('msdos_file_access_time_seconds')[0]!.value).toBe(1.458255915e9);
    expect(byName('metric_without_timestamp_and_labels')[0]).toEqual({ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 });
    expect(byName('something_weird')[0]).toMatchObject({ value: Infinity, timestampMs: -3982045 });
    expect(byName('neg_inf')[0]!.value).toBe(-Infinity);
    expect(byName('not_a_number')[0]!.value).toBeNaN();
    expect(byName('indented_metric')[0]!.value).toBe(42);
    expect(byName('http_request_duration_seconds_bucket')[0]!.labels).toEqual({ le: '+Inf' });
    expect(byName('my.dotted.metric')[0]).toMatchObject({ labels: { zone: 'eu' }, value: 7 });
    expect(byName('windows_line')[0]!.value).toBe(5);
    expect(r.samples).toHaveLength(11);
  });

  it('reports bad lines with their line numbers and keeps the good ones', () => {
    const text = [
      'good 1', // 1
      'bad{code="200" 1', // 2: missing }
      'bad2{code=200} 1', // 3: unquoted value
      'bad3 abc', // 4: bad value
      'bad4', // 5: no value
      '# TYPE x flavour', // 6: unknown type
      'bad5{a="1",a="2"} 1', // 7: duplicate label
      '9bad 1', // 8: bad name
      'bad6 1 2 3', // 9: trailing junk
      'bad7 1 1.5', // 10: bad timestamp
      'bad8{a="unterminated} 1', // 11
      'good 2', // 12
    ].join('\n');
    const r = parsePromText(text);
    expect(r.samples.map((s) => s.value)).toEqual([1, 2]);
    expect(r.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(r.errors[0]!.message).toMatch(/"}"|","/);
    expect(r.errors[2]!.message).toMatch(/invalid value "abc"/);
    expect(r.errors[5]!.message).toMatch(/duplicate label "a"/);
  });

  it('Go float syntax', () => {
    expect(parseFloatGo('1e3')).toBe(1000);
    expect(parseFloatGo('.5')).toBe(0.5);
    expect(parseFloatGo('5.')).toBe(5);
    expect(parseFloatGo('+Inf')).toBe(Infinity);
    expect(parseFloatGo('inf')).toBe(Infinity);
    expect(parseFloatGo('-Inf')).toBe(-Infinity);
    expect(parseFloatGo('nan')).toBeNaN();
    expect(parseFloatGo('0x1F')).toBe(31);
    expect(parseFloatGo('1,5')).toBeUndefined();
    expect(parseFloatGo('')).toBeUndefined();
  });

  it('a label named __proto__ is an ordinary label', () => {
    const r = parsePromText('m{__proto__="x"} 1');
    expect(r.errors).toEqual([]);
    expect(r.samples[0]!.labels.__proto__).toBe('x');
  });

  it('never throws on junk, and every error names a line of the input (property)', () => {
    const junk = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc
        .array(fc.constantFrom('{', '}', '"', '\\', '=', ',', ' ', '\t', 'a', 'le', '_', '1', '.', 'e', '-', '+Inf', 'NaN', '#', ' TYPE ', ' HELP ', 'counter', '\n', '\r\n'), { maxLength: 60 })
        .map((parts) => parts.join('')),
    );
    fc.assert(
      fc.property(junk, (text) => {
        const r = parsePromText(text);
        const lines = text.split('\n').length;
        for (const e of r.errors) {
          expect(e.line).toBeGreaterThanOrEqual(1);
          expect(e.line).toBeLessThanOrEqual(lines);
          expect(typeof e.message).toBe('string');
        }
        for (const s of r.samples) expect(typeof s.value).toBe('number');
      }),
      { numRuns: 2000 },
    );
  });

  it('reads back what it renders (property)', () => {
    const sample = fc.record(
      {
        name: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,12}$/),
        labels: fc.dictionary(fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/), fc.string({ unit: 'binary', maxLength: 12 }), { maxKeys: 4 }),
        value: fc.double().map((v) => (Object.is(v, -0) ? 0 : v)),
        timestampMs: fc.integer({ min: -1e12, max: 4e12 }),
      },
      { requiredKeys: ['name', 'labels', 'value'] },
    );
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 8 }), (samples: PromSample[]) => {
        const r = parsePromText(renderPromText(samples));
        expect(r.errors).toEqual([]);
        expect(r.samples).toEqual(samples.map((s) => ({ ...s, labels: { ...s.labels } })));
      }),
      { numRuns: 500 },
    );
  });
});
