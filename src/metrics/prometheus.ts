// Prometheus HTTP API client (instant and range queries), through the target: over SSH the request
// is made from the server, so a Prometheus on its 127.0.0.1 is reachable.

import * as z from 'zod/mini';
import '../util/zod-en.js';
import type { Target } from '../targets/target.js';
import { describeNetError, httpGet } from '../sources/http-via-target.js';

export type PrometheusErrorKind = 'http' | 'prometheus' | 'json' | 'network' | 'result';

/** Why a query failed, with a message fit for the screen. */
export class PrometheusError extends Error {
  override name = 'PrometheusError';
  constructor(
    message: string,
    readonly kind: PrometheusErrorKind,
    readonly detail: { status?: number; errorType?: string } = {},
  ) {
    super(message);
  }
}

export type PromLabels = Record<string, string>;

export type InstantResult =
  | { resultType: 'vector'; samples: { metric: PromLabels; t: number; value: number }[] }
  | { resultType: 'scalar'; t: number; value: number }
  | { resultType: 'string'; t: number; value: string }
  | { resultType: 'matrix'; series: RangeSeries[] };

export interface RangeSeries {
  metric: PromLabels;
  /** t in epoch ms. */
  points: { t: number; v: number }[];
}

// Prometheus sends sample values as strings: "1.5", "NaN", "+Inf", "-Inf".
const sampleValue = z.tuple([z.number(), z.string()]);
const metric = z.record(z.string(), z.string());
const vectorData = z.object({
  resultType: z.literal('vector'),
  result: z.array(z.object({ metric, value: z.optional(sampleValue), histogram: z.optional(z.unknown()) })),
});
const scalarData = z.object({ resultType: z.literal('scalar'), result: sampleValue });
const stringData = z.object({ resultType: z.literal('string'), result: sampleValue });
const matrixData = z.object({
  resultType: z.literal('matrix'),
  result: z.array(z.object({ metric, values: z.optional(z.array(sampleValue)), histograms: z.optional(z.unknown()) })),
});
const successBody = z.object({
  status: z.literal('success'),
  data: z.discriminatedUnion('resultType', [vectorData, scalarData, stringData, matrixData]),
  warnings: z.optional(z.array(z.string())),
});
const errorBody = z.object({ status: z.literal('error'), errorType: z.optional(z.string()), error: z.optional(z.string()) });

/** A Prometheus sample value string → number ("+Inf" is not something Number() reads). */
export function promNumber(s: string): number {
  if (s === '+Inf' || s === 'Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  const n = Number(s);
  return s.trim() === '' ? NaN : n;
}

export interface PrometheusClientOptions {
  target: Target;
  /** Base URL, e.g. http://127.0.0.1:9090 (a path prefix such as /prometheus is kept). */
  url: string;
  /** Per request (default 10 s). */
  timeoutMs?: number;
}

export class PrometheusClient {
  private readonly base: string;
  private readonly timeoutMs: number;

  constructor(private readonly opts: PrometheusClientOptions) {
    this.base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** Instant query at `timeMs` (epoch ms; default: Prometheus's now). */
  async query(expr: string, timeMs?: number, opts: { signal?: AbortSignal } = {}): Promise<InstantResult> {
    const params = new URLSearchParams({ query: expr });
    if (timeMs !== undefined) params.set('time', (timeMs / 1000).toFixed(3));
    const data = await this.get(`api/v1/query?${params}`, opts.signal);
    return toInstant(data);
  }

  /** Range query over [startMs, endMs] every stepMs. */
  async queryRange(expr: string, startMs: number, endMs: number, stepMs: number, opts: { signal?: AbortSignal } = {}): Promise<RangeSeries[]> {
    const params = new URLSearchParams({
      query: expr,
      start: (startMs / 1000).toFixed(3),
      end: (endMs / 1000).toFixed(3),
      step: `${Math.max(0.001, stepMs / 1000)}`,
    });
    const data = await this.get(`api/v1/query_range?${params}`, opts.signal);
    if (data.resultType !== 'matrix') throw new PrometheusError(`range query gave a ${data.resultType}, expected a matrix`, 'result');
    return toMatrix(data);
  }

  /**
   * The one number a reading shows: a scalar or a one-sample vector. null for an empty vector, NaN
   * or ±Inf. Several samples are an error (the query must aggregate them).
   */
  async queryValue(expr: string, timeMs?: number, opts: { signal?: AbortSignal } = {}): Promise<number | null> {
    return instantValue(await this.query(expr, timeMs, opts));
  }

  private async get(pathAndQuery: string, signal?: AbortSignal): Promise<z.output<typeof successBody>['data']> {
    const url = new URL(pathAndQuery, this.base).toString();
    let res;
    try {
      res = await httpGet(this.opts.target, url, { timeoutMs: this.timeoutMs, maxBody: 8 * 1024 * 1024, signal });
    } catch (err) {
      throw new PrometheusError(`prometheus: ${describeNetError(err)}`, 'network');
    }
    return parseApiBody(res.status, res.body);
  }
}

/** Reads a Prometheus API answer (status + body). Throws PrometheusError. Pure; exported for tests. */
export function parseApiBody(status: number, body: string): z.output<typeof successBody>['data'] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    if (status < 200 || status >= 300) throw new PrometheusError(`prometheus: HTTP ${status}${snippet(body)}`, 'http', { status });
    throw new PrometheusError(`prometheus: the answer is not JSON${snippet(body)}`, 'json', { status });
  }
  const err = errorBody.safeParse(json);
  if (err.success) {
    const { errorType, error } = err.data;
    throw new PrometheusError(`prometheus: ${errorType ? `${errorType}: ` : ''}${error ?? 'error'}`, 'prometheus', { status, errorType });
  }
  if (status < 200 || status >= 300) throw new PrometheusError(`prometheus: HTTP ${status}${snippet(body)}`, 'http', { status });
  const ok = successBody.safeParse(json);
  if (!ok.success) {
    const issue = ok.error.issues[0];
    const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new PrometheusError(`prometheus: unexpected answer${where}: ${issue?.message ?? 'invalid'}`, 'json', { status });
  }
  return ok.data.data;
}

function snippet(body: string): string {
  const s = body.replace(/\s+/g, ' ').trim().slice(0, 80);
  return s ? ` (${s})` : '';
}

function toInstant(data: z.output<typeof successBody>['data']): InstantResult {
  switch (data.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        samples: data.result.flatMap((r) => (r.value ? [{ metric: r.metric, t: r.value[0] * 1000, value: promNumber(r.value[1]) }] : [])),
      };
    case 'scalar':
      return { resultType: 'scalar', t: data.result[0] * 1000, value: promNumber(data.result[1]) };
    case 'string':
      return { resultType: 'string', t: data.result[0] * 1000, value: data.result[1] };
    case 'matrix':
      return { resultType: 'matrix', series: toMatrix(data) };
  }
}

function toMatrix(data: z.output<typeof matrixData>): RangeSeries[] {
  return data.result.map((r) => ({ metric: r.metric, points: (r.values ?? []).map(([t, v]) => ({ t: Math.round(t * 1000), v: promNumber(v) })) }));
}

/** See PrometheusClient.queryValue. Throws PrometheusError (kind `result`) for several series. */
export function instantValue(r: InstantResult): number | null {
  let n: number;
  switch (r.resultType) {
    case 'scalar':
      n = r.value;
      break;
    case 'vector':
      if (r.samples.length === 0) return null;
      if (r.samples.length > 1) {
        throw new PrometheusError(`the query gives ${r.samples.length} series; aggregate it to one, e.g. sum(...)`, 'result');
      }
      n = r.samples[0]!.value;
      break;
    case 'string':
      n = promNumber(r.value);
      break;
    case 'matrix':
      throw new PrometheusError('the query gives a range (matrix); an instant value is needed', 'result');
  }
  return Number.isFinite(n) ? n : null;
}
