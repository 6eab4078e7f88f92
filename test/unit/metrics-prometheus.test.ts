import { describe, expect, it } from 'vitest';
import { instantValue, parseApiBody, PrometheusError, promNumber } from '../../src/metrics/prometheus.js';

function caught(f: () => unknown): PrometheusError {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(PrometheusError);
    return err as PrometheusError;
  }
  throw new Error('did not throw');
}

describe('Prometheus API answers', () => {
  it('vector, scalar, matrix', () => {
    const vec = parseApiBody(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: { job: 'x' }, value: [1700000000.5, '0.25'] }] } }));
    expect(vec.resultType).toBe('vector');
    const sc = parseApiBody(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000, '+Inf'] } }));
    expect(sc).toEqual({ resultType: 'scalar', result: [1700000000, '+Inf'] });
    const m = parseApiBody(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: {}, values: [[1, '1'], [2, 'NaN']] }] } }));
    expect(m.resultType).toBe('matrix');
  });

  it('one number per reading: null for empty or NaN, an error for several series', () => {
    expect(instantValue({ resultType: 'vector', samples: [] })).toBeNull();
    expect(instantValue({ resultType: 'vector', samples: [{ metric: {}, t: 0, value: NaN }] })).toBeNull();
    expect(instantValue({ resultType: 'vector', samples: [{ metric: {}, t: 0, value: 0.5 }] })).toBe(0.5);
    expect(instantValue({ resultType: 'scalar', t: 0, value: 3 })).toBe(3);
    const e = caught(() => instantValue({ resultType: 'vector', samples: [{ metric: {}, t: 0, value: 1 }, { metric: { a: 'b' }, t: 0, value: 2 }] }));
    expect(e.kind).toBe('result');
    expect(e.message).toMatch(/2 series/);
  });

  it('sample values as Prometheus writes them', () => {
    expect(promNumber('+Inf')).toBe(Infinity);
    expect(promNumber('-Inf')).toBe(-Infinity);
    expect(promNumber('NaN')).toBeNaN();
    expect(promNumber('1e-3')).toBe(0.001);
    expect(promNumber('')).toBeNaN();
  });

  it('distinguishes Prometheus errors, HTTP errors and bad JSON', () => {
    const bad = caught(() => parseApiBody(400, JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected "}"' })));
    expect(bad.kind).toBe('prometheus');
    expect(bad.detail).toEqual({ status: 400, errorType: 'bad_data' });
    expect(bad.message).toBe('prometheus: bad_data: 1:5: parse error: unexpected "}"');

    const http = caught(() => parseApiBody(502, '<html>Bad Gateway</html>'));
    expect(http.kind).toBe('http');
    expect(http.message).toBe('prometheus: HTTP 502 (<html>Bad Gateway</html>)');

    const http2 = caught(() => parseApiBody(404, '{"nope":1}'));
    expect(http2.kind).toBe('http');

    const json = caught(() => parseApiBody(200, 'not json'));
    expect(json.kind).toBe('json');
    expect(json.message).toMatch(/not JSON/);

    const shape = caught(() => parseApiBody(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ metric: {}, value: ['x', 1] }] } })));
    expect(shape.kind).toBe('json');
    expect(shape.message).toMatch(/unexpected answer at data/);
  });
});
