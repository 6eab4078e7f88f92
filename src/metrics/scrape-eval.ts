// The small part of PromQL our metric configs use, evaluated against successive `/metrics` scrapes,
// so that an environment with `scrape:` needs no Prometheus server.
//
// Supported (and nothing else — anything outside is refused when the config is checked):
//   rate(name{label="v", label!="v", label=~"re", label!~"re"}[1m])    counter rate, resets handled
//   sum(...)   sum by (a, b) (...)   sum(...) by (a, b)
//   histogram_quantile(0.99, sum by (le) (rate(x_bucket[1m])))          linear interpolation in the bucket
//   a / b      between numbers and/or vectors (one-to-one on identical label sets)
//   name{...}  an instant selector: the latest scrape's value (for gauges)
//   0.5, (...)
//
// Pure: the scrapes and the evaluation time are passed in. The arithmetic follows Prometheus's own
// (promql/functions.go extrapolatedRate, promql/quantile.go bucketQuantile), so the figures agree
// with a Prometheus scraping the same service, up to the difference in sample times. One deliberate
// difference: while hubops has been scraping for less than the range (it just started), the range
// is clipped to the time it has been watching, instead of reading the unobserved part as "no series".

import { parseFloatGo, type PromSample } from './prom-text.js';

export type Labels = Record<string, string>;

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

export interface SelectorExpr {
  kind: 'selector';
  matchers: Matcher[];
}

export type PromExpr =
  | { kind: 'number'; value: number }
  | SelectorExpr
  | { kind: 'rate'; selector: SelectorExpr; rangeMs: number }
  | { kind: 'sum'; by?: string[]; expr: PromExpr }
  | { kind: 'histogram_quantile'; q: number; expr: PromExpr }
  | { kind: 'div'; left: PromExpr; right: PromExpr };

export const SCRAPE_SUBSET_HINT = 'scrape mode supports rate/sum/sum by/histogram_quantile and /; use prometheus: for more';

/** An expression outside the supported subset, or not valid PromQL. `column` is 1-based. */
export class PromQLSubsetError extends Error {
  override name = 'PromQLSubsetError';
  constructor(
    message: string,
    readonly column: number,
  ) {
    super(message);
  }
}

/** A problem met while evaluating (e.g. two series with the same labels on one side of `/`). */
export class PromEvalError extends Error {
  override name = 'PromEvalError';
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokKind = 'ident' | 'number' | 'string' | 'duration' | 'punct' | 'op' | 'eof';
interface Tok {
  kind: TokKind;
  text: string;
  /** 0-based offset in the source. */
  pos: number;
  value?: string | number;
}

const PUNCT = ['!=', '=~', '!~', '(', ')', '{', '}', '[', ']', ',', '=', '/'];
const OTHER_OPS = ['==', '>=', '<=', '+', '-', '*', '%', '^', '>', '<', '@', ':'];
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let inBracket = false;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (inBracket && c !== ']') {
      const m = /^[^\]\s]+/.exec(src.slice(i))!;
      if (m[0].includes(':')) throw new PromQLSubsetError(`a subquery at column ${i + 1} is not supported: ${SCRAPE_SUBSET_HINT}`, i + 1);
      const ms = parseDurationMs(m[0]);
      if (ms === undefined) throw new PromQLSubsetError(`invalid duration "${m[0]}" at column ${i + 1} (e.g. 30s, 1m, 5m)`, i + 1);
      toks.push({ kind: 'duration', text: m[0], pos: i, value: ms });
      i += m[0].length;
      continue;
    }
    const rest = src.slice(i);
    const ident = /^[a-zA-Z_][a-zA-Z0-9_:]*/.exec(rest);
    if (ident) {
      toks.push({ kind: 'ident', text: ident[0], pos: i });
      i += ident[0].length;
      continue;
    }
    const num = /^(0[xX][0-9a-fA-F]+|(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)/.exec(rest);
    if (num) {
      toks.push({ kind: 'number', text: num[0], pos: i, value: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      const [value, end] = readString(src, i);
      toks.push({ kind: 'string', text: src.slice(i, end), pos: i, value });
      i = end;
      continue;
    }
    const punct = PUNCT.find((p) => rest.startsWith(p));
    const other = OTHER_OPS.find((p) => rest.startsWith(p));
    if (punct && !(other && other.length > punct.length)) {
      toks.push({ kind: 'punct', text: punct, pos: i });
      if (punct === '[') inBracket = true;
      if (punct === ']') inBracket = false;
      i += punct.length;
      continue;
    }
    if (other) {
      toks.push({ kind: 'op', text: other, pos: i });
      i += other.length;
      continue;
    }
    throw new PromQLSubsetError(`unexpected character "${c}" at column ${i + 1}`, i + 1);
  }
  toks.push({ kind: 'eof', text: 'end of expression', pos: src.length });
  return toks;
}

function readString(src: string, start: number): [string, number] {
  const q = src[start]!;
  let out = '';
  let i = start + 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === q) return [out, i + 1];
    if (c === '\\' && q !== '`') {
      const n = src[i + 1];
      const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'", a: '\x07', b: '\b', f: '\f', v: '\v' };
      if (n !== undefined && map[n] !== undefined) {
        out += map[n];
        i += 2;
        continue;
      }
      throw new PromQLSubsetError(`unknown escape "\\${n ?? ''}" in string at column ${i + 1}`, i + 1);
    }
    out += c;
    i++;
  }
  throw new PromQLSubsetError(`unterminated string starting at column ${start + 1}`, start + 1);
}

/** `30s`, `1m`, `1h30m`, `500ms` → milliseconds; undefined if not a PromQL duration. */
export function parseDurationMs(s: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total > 0 ? total : undefined;
}

// ---------------------------------------------------------------------------------------------
// Parser (recursive descent over the subset)

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(offset = 0): Tok {
    return this.toks[Math.min(this.i + offset, this.toks.length - 1)]!;
  }
  private next(): Tok {
    const t = this.peek();
    if (this.i < this.toks.length - 1) this.i++;
    return t;
  }
  private isPunct(text: string, offset = 0): boolean {
    const t = this.peek(offset);
    return t.kind === 'punct' && t.text === text;
  }
  private expect(text: string, what = `"${text}"`): Tok {
    const t = this.peek();
    if (t.kind === 'punct' && t.text === text) return this.next();
    throw this.unexpected(t, what);
  }
  private unexpected(t: Tok, expected: string): PromQLSubsetError {
    if (t.kind === 'op') return this.unsupported(t, `operator "${t.text}"`);
    if (t.kind === 'ident' && ['offset', 'bool', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'without'].includes(t.text)) {
      return this.unsupported(t, `"${t.text}"`);
    }
    const found = t.kind === 'eof' ? 'the end of the expression' : `"${t.text}"`;
    return new PromQLSubsetError(`expected ${expected} at column ${t.pos + 1}, found ${found}`, t.pos + 1);
  }
  private unsupported(t: Tok, what: string): PromQLSubsetError {
    return new PromQLSubsetError(`${what} at column ${t.pos + 1} is not supported: ${SCRAPE_SUBSET_HINT}`, t.pos + 1);
  }

  parse(): PromExpr {
    if (this.peek().kind === 'eof') throw new PromQLSubsetError('empty expression', 1);
    const e = this.parseDiv();
    const t = this.peek();
    if (t.kind !== 'eof') throw this.unexpected(t, 'an operator ("/") or the end');
    return e;
  }

  private parseDiv(): PromExpr {
    let left = this.parseTerm();
    while (this.isPunct('/')) {
      this.next();
      const right = this.parseTerm();
      left = { kind: 'div', left, right };
    }
    return left;
  }

  private parseTerm(): PromExpr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'number', value: t.value as number };
    }
    if (this.isPunct('(')) {
      this.next();
      const e = this.parseDiv();
      this.expect(')');
      return e;
    }
    if (this.isPunct('{')) return this.parseInstantSelector(undefined);
    if (t.kind === 'ident') {
      const lower = t.text;
      if (this.isPunct('(', 1)) {
        if (lower === 'rate') return this.parseRate();
        if (lower === 'histogram_quantile') return this.parseQuantile();
        if (lower === 'sum') return this.parseSum();
        throw this.unsupported(t, `function or aggregation "${t.text}"`);
      }
      if (lower === 'sum' && this.peek(1).kind === 'ident' && ['by', 'without'].includes(this.peek(1).text)) return this.parseSum();
      if (['avg', 'min', 'max', 'count', 'topk', 'bottomk', 'quantile', 'stddev', 'stdvar', 'count_values', 'group'].includes(lower) && this.peek(1).kind === 'ident' && ['by', 'without'].includes(this.peek(1).text)) {
        throw this.unsupported(t, `aggregation "${t.text}"`);
      }
      this.next();
      return this.parseInstantSelector(t);
    }
    throw this.unexpected(t, 'a metric, a number, "(" or a function');
  }

  private parseInstantSelector(nameTok: Tok | undefined): SelectorExpr {
    const sel = this.parseSelector(nameTok);
    if (this.isPunct('[')) throw this.unsupported(this.peek(), 'a range selector outside rate()');
    return sel;
  }

  /** name{matchers} / name / {matchers}; nameTok already consumed when given. */
  private parseSelector(nameTok: Tok | undefined): SelectorExpr {
    const matchers: Matcher[] = [];
    if (nameTok) matchers.push({ name: '__name__', op: '=', value: nameTok.text });
    if (this.isPunct('{')) {
      const open = this.next();
      while (!this.isPunct('}')) {
        const lt = this.peek();
        if (lt.kind !== 'ident' && lt.kind !== 'string') throw this.unexpected(lt, 'a label name');
        this.next();
        const opTok = this.peek();
        if (opTok.kind !== 'punct' || !['=', '!=', '=~', '!~'].includes(opTok.text)) {
          throw this.unexpected(opTok, 'a label matcher (=, !=, =~, !~)');
        }
        this.next();
        const vt = this.peek();
        if (vt.kind !== 'string') throw this.unexpected(vt, 'a quoted label value');
        this.next();
        const m: Matcher = { name: lt.kind === 'string' ? (lt.value as string) : lt.text, op: opTok.text as MatchOp, value: vt.value as string };
        if (m.op === '=~' || m.op === '!~') compileRegex(m.value, vt.pos + 1);
        matchers.push(m);
        if (this.isPunct(',')) this.next();
        else if (!this.isPunct('}')) throw this.unexpected(this.peek(), '"," or "}"');
      }
      this.next();
      if (matchers.length === 0) throw new PromQLSubsetError(`an empty selector "{}" at column ${open.pos + 1} matches nothing useful`, open.pos + 1);
      if (!nameTok && matchers.every((m) => matchesEmpty(m))) {
        throw new PromQLSubsetError(`the selector at column ${open.pos + 1} needs at least one matcher that does not match the empty string`, open.pos + 1);
      }
    }
    return { kind: 'selector', matchers };
  }

  private parseRate(): PromExpr {
    this.next(); // rate
    this.expect('(');
    const t = this.peek();
    let nameTok: Tok | undefined;
    if (t.kind === 'ident') nameTok = this.next();
    else if (!this.isPunct('{')) throw this.unexpected(t, 'a counter selector such as http_requests_total[1m]');
    const selector = this.parseSelector(nameTok);
    if (!this.isPunct('[')) throw this.unexpected(this.peek(), 'a range such as [1m] (rate needs a range)');
    this.next();
    const d = this.peek();
    if (d.kind !== 'duration') throw this.unexpected(d, 'a duration such as 1m');
    this.next();
    this.expect(']');
    if (this.peek().kind === 'ident' && this.peek().text === 'offset') throw this.unsupported(this.peek(), '"offset"');
    this.expect(')');
    return { kind: 'rate', selector, rangeMs: d.value as number };
  }

  private parseQuantile(): PromExpr {
    this.next(); // histogram_quantile
    this.expect('(');
    let parens = 0;
    while (this.isPunct('(')) {
      this.next();
      parens++;
    }
    const qt = this.peek();
    if (qt.kind !== 'number') throw this.unexpected(qt, 'a number such as 0.99 (the quantile)');
    this.next();
    for (; parens > 0; parens--) this.expect(')');
    this.expect(',');
    const expr = this.parseDiv();
    this.expect(')');
    return { kind: 'histogram_quantile', q: qt.value as number, expr };
  }

  private parseSum(): PromExpr {
    this.next(); // sum
    let by = this.parseGrouping();
    this.expect('(');
    const expr = this.parseDiv();
    this.expect(')');
    const after = this.parseGrouping();
    if (after) {
      if (by) throw new PromQLSubsetError(`"by" given twice for sum at column ${this.peek().pos + 1}`, this.peek().pos + 1);
      by = after;
    }
    return by ? { kind: 'sum', by, expr } : { kind: 'sum', expr };
  }

  private parseGrouping(): string[] | undefined {
    const t = this.peek();
    if (t.kind !== 'ident' || (t.text !== 'by' && t.text !== 'without')) return undefined;
    if (t.text === 'without') throw this.unsupported(t, '"without"');
    this.next();
    this.expect('(');
    const labels: string[] = [];
    while (!this.isPunct(')')) {
      const l = this.peek();
      if (l.kind !== 'ident' && l.kind !== 'string') throw this.unexpected(l, 'a label name');
      this.next();
      labels.push(l.kind === 'string' ? (l.value as string) : l.text);
      if (this.isPunct(',')) this.next();
      else if (!this.isPunct(')')) throw this.unexpected(this.peek(), '"," or ")"');
    }
    this.next();
    return labels;
  }
}

/**
 * Parses an expression of the supported subset, once. Throws PromQLSubsetError (with the column)
 * for anything else, naming what is supported.
 */
export function parseScrapeExpr(src: string): PromExpr {
  return new Parser(lex(src)).parse();
}

/** For config checks: undefined when `src` works in scrape mode, else the reason in words. */
export function checkScrapeExpr(src: string): string | undefined {
  try {
    parseScrapeExpr(src);
    return undefined;
  } catch (err) {
    return err instanceof PromQLSubsetError ? err.message : String(err);
  }
}

/** The metric names an expression reads; `undefined` when some selector has no fixed name. */
export function exprMetricNames(e: PromExpr): Set<string> | undefined {
  const out = new Set<string>();
  let all = false;
  const visit = (x: PromExpr): void => {
    switch (x.kind) {
      case 'number':
        return;
      case 'selector': {
        const m = x.matchers.find((mm) => mm.name === '__name__' && mm.op === '=');
        if (m) out.add(m.value);
        else all = true;
        return;
      }
      case 'rate':
        return visit(x.selector);
      case 'sum':
      case 'histogram_quantile':
        return visit(x.expr);
      case 'div':
        visit(x.left);
        visit(x.right);
    }
  };
  visit(e);
  return all ? undefined : out;
}

/** The longest `[range]` in an expression (0 if none). */
export function exprMaxRangeMs(e: PromExpr): number {
  switch (e.kind) {
    case 'number':
    case 'selector':
      return 0;
    case 'rate':
      return e.rangeMs;
    case 'sum':
    case 'histogram_quantile':
      return exprMaxRangeMs(e.expr);
    case 'div':
      return Math.max(exprMaxRangeMs(e.left), exprMaxRangeMs(e.right));
  }
}

// ---------------------------------------------------------------------------------------------
// Matching

const regexCache = new Map<string, RegExp>();

/** PromQL regexes are RE2 and fully anchored; `(?i)` at the start becomes the i flag. */
function compileRegex(re: string, column = 0): RegExp {
  const cached = regexCache.get(re);
  if (cached) return cached;
  let body = re;
  let flags = 's';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags += 'i';
  }
  let r: RegExp;
  try {
    r = new RegExp(`^(?:${body})$`, flags);
  } catch (err) {
    throw new PromQLSubsetError(`invalid regular expression "${re}"${column ? ` at column ${column}` : ''}: ${(err as Error).message}`, column);
  }
  if (regexCache.size > 500) regexCache.clear();
  regexCache.set(re, r);
  return r;
}

function matchesEmpty(m: Matcher): boolean {
  return matchValue(m, '');
}

function matchValue(m: Matcher, v: string): boolean {
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return compileRegex(m.value).test(v);
    case '!~':
      return !compileRegex(m.value).test(v);
  }
}

/** A label that is absent matches as the empty string, as in Prometheus. */
export function matchesSeries(matchers: readonly Matcher[], name: string, labels: Labels): boolean {
  for (const m of matchers) {
    const v = m.name === '__name__' ? name : (labels[m.name] ?? '');
    if (!matchValue(m, v)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Scrape window

interface Series {
  name: string;
  labels: Labels;
  points: { t: number; v: number }[];
}

export interface VectorElement {
  /** Labels without the metric name (functions and operators drop it, as in Prometheus). */
  labels: Labels;
  value: number;
  /** Present on instant selectors only. */
  name?: string;
}

export type EvalValue = { type: 'scalar'; value: number } | { type: 'vector'; elements: VectorElement[] };

export interface ScrapeWindowOptions {
  /** How far back to keep samples; at least the longest range evaluated (plus an interval). */
  retainMs: number;
  /** Only keep these metric names (undefined: keep all). */
  keep?: ReadonlySet<string>;
  /** Bound on the number of scrapes kept, whatever the times (default 1000). */
  maxScrapes?: number;
}

function seriesKey(name: string, labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let k = name;
  for (const key of keys) k += `\u0000${key}\u0001${labels[key]}`;
  return k;
}

function labelsKey(labels: Labels): string {
  return seriesKey('', labels);
}

/**
 * Successive scrapes of one `/metrics` endpoint, kept for `retainMs`, series by series.
 * Times are epoch ms passed in by the caller; scrapes must be added in time order.
 */
export class ScrapeWindow {
  private readonly series = new Map<string, Series>();
  private readonly scrapeTimes: number[] = [];
  private first: number | undefined;

  constructor(private readonly opts: ScrapeWindowOptions) {}

  /** Time of the first scrape ever added (the start of what hubops has observed). */
  get firstAt(): number | undefined {
    return this.first;
  }
  get latestAt(): number | undefined {
    return this.scrapeTimes.at(-1);
  }
  /** Number of scrapes held. */
  get size(): number {
    return this.scrapeTimes.length;
  }

  add(t: number, samples: readonly PromSample[]): void {
    const last = this.latestAt;
    if (last !== undefined && t <= last) return; // out of order: ignore
    this.first ??= t;
    this.scrapeTimes.push(t);
    const keep = this.opts.keep;
    for (const s of samples) {
      if (keep && !keep.has(s.name)) continue;
      const key = seriesKey(s.name, s.labels);
      let series = this.series.get(key);
      if (!series) {
        series = { name: s.name, labels: { ...s.labels }, points: [] };
        this.series.set(key, series);
      }
      const prev = series.points.at(-1);
      if (prev && prev.t === t) prev.v = s.value; // a duplicate line in one scrape: last wins
      else series.points.push({ t, v: s.value });
    }
    this.trim(t);
  }

  private trim(now: number): void {
    const maxScrapes = this.opts.maxScrapes ?? 1000;
    let cutoff = now - this.opts.retainMs;
    if (this.scrapeTimes.length > maxScrapes) cutoff = Math.max(cutoff, this.scrapeTimes[this.scrapeTimes.length - maxScrapes]! - 1);
    while (this.scrapeTimes.length > 0 && this.scrapeTimes[0]! < cutoff) this.scrapeTimes.shift();
    for (const [key, s] of this.series) {
      let drop = 0;
      while (drop < s.points.length && s.points[drop]!.t < cutoff) drop++;
      if (drop > 0) s.points.splice(0, drop);
      if (s.points.length === 0) this.series.delete(key);
    }
  }

  /** Evaluates a parsed expression at time t (default: the latest scrape). Throws PromEvalError. */
  evaluate(expr: PromExpr, t: number | undefined = this.latestAt): EvalValue {
    if (t === undefined) return { type: 'vector', elements: [] };
    return this.eval(expr, t);
  }

  private eval(e: PromExpr, t: number): EvalValue {
    switch (e.kind) {
      case 'number':
        return { type: 'scalar', value: e.value };
      case 'selector':
        return { type: 'vector', elements: this.instant(e, t) };
      case 'rate':
        return { type: 'vector', elements: this.rate(e.selector, e.rangeMs, t) };
      case 'sum': {
        const inner = this.eval(e.expr, t);
        if (inner.type === 'scalar') throw new PromEvalError('sum() needs a vector, not a number');
        return { type: 'vector', elements: sumBy(inner.elements, e.by) };
      }
      case 'histogram_quantile': {
        const inner = this.eval(e.expr, t);
        if (inner.type === 'scalar') throw new PromEvalError('histogram_quantile() needs a vector of buckets');
        return { type: 'vector', elements: histogramQuantile(e.q, inner.elements) };
      }
      case 'div':
        return divide(this.eval(e.left, t), this.eval(e.right, t));
    }
  }

  /** Series present in the latest scrape at or before t, with their value there. */
  private instant(sel: SelectorExpr, t: number): VectorElement[] {
    let at: number | undefined;
    for (let i = this.scrapeTimes.length - 1; i >= 0; i--) {
      if (this.scrapeTimes[i]! <= t) {
        at = this.scrapeTimes[i];
        break;
      }
    }
    if (at === undefined) return [];
    const out: VectorElement[] = [];
    for (const s of this.series.values()) {
      if (!matchesSeries(sel.matchers, s.name, s.labels)) continue;
      const p = s.points.at(-1);
      let point = p && p.t === at ? p : undefined;
      if (!point) point = s.points.find((q) => q.t === at);
      if (point) out.push({ labels: s.labels, value: point.v, name: s.name });
    }
    return out;
  }

  private rate(sel: SelectorExpr, rangeMs: number, t: number): VectorElement[] {
    const out: VectorElement[] = [];
    const rangeStart = Math.max(t - rangeMs, this.first ?? t - rangeMs);
    for (const s of this.series.values()) {
      if (!matchesSeries(sel.matchers, s.name, s.labels)) continue;
      const pts = s.points.filter((p) => p.t >= t - rangeMs && p.t <= t && !Number.isNaN(p.v));
      const v = extrapolatedRate(pts, rangeStart, t);
      if (v !== undefined) out.push({ labels: s.labels, value: v });
    }
    return out;
  }
}

/**
 * Prometheus's extrapolatedRate for a counter (rate()), over [rangeStart, rangeEnd] in epoch ms.
 * undefined with fewer than two points.
 */
export function extrapolatedRate(points: readonly { t: number; v: number }[], rangeStart: number, rangeEnd: number): number | undefined {
  if (points.length < 2) return undefined;
  const first = points[0]!;
  const last = points[points.length - 1]!;
  let result = last.v - first.v;
  let prev = 0;
  for (const p of points) {
    if (p.v < prev) result += prev; // counter reset
    prev = p.v;
  }
  const sampledInterval = (last.t - first.t) / 1000;
  if (sampledInterval <= 0) return undefined;
  let durationToStart = (first.t - rangeStart) / 1000;
  const durationToEnd = (rangeEnd - last.t) / 1000;
  const avgBetween = sampledInterval / (points.length - 1);
  if (result > 0 && first.v >= 0) {
    const durationToZero = sampledInterval * (first.v / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = avgBetween * 1.1;
  let extrapolateTo = sampledInterval;
  extrapolateTo += durationToStart < threshold ? durationToStart : avgBetween / 2;
  extrapolateTo += durationToEnd < threshold ? durationToEnd : avgBetween / 2;
  const rangeSeconds = (rangeEnd - rangeStart) / 1000;
  if (rangeSeconds <= 0) return undefined;
  return (result * (extrapolateTo / sampledInterval)) / rangeSeconds;
}

/** sum / sum by (labels). An empty input gives an empty vector (as in Prometheus). */
export function sumBy(elements: readonly VectorElement[], by: readonly string[] | undefined): VectorElement[] {
  const groups = new Map<string, VectorElement>();
  for (const el of elements) {
    const labels: Labels = {};
    for (const l of by ?? []) {
      const v = el.labels[l];
      if (v !== undefined && v !== '') labels[l] = v;
    }
    const key = labelsKey(labels);
    const g = groups.get(key);
    if (g) g.value += el.value;
    else groups.set(key, { labels, value: el.value });
  }
  return [...groups.values()];
}

/** histogram_quantile over bucket series (grouped by their labels without `le`). */
export function histogramQuantile(q: number, elements: readonly VectorElement[]): VectorElement[] {
  const groups = new Map<string, { labels: Labels; buckets: { upperBound: number; count: number }[] }>();
  for (const el of elements) {
    const le = el.labels.le;
    if (le === undefined) continue;
    const upperBound = parseFloatGo(le);
    if (upperBound === undefined || Number.isNaN(upperBound)) continue;
    const { le: _le, ...rest } = el.labels;
    const key = labelsKey(rest);
    let g = groups.get(key);
    if (!g) {
      g = { labels: rest, buckets: [] };
      groups.set(key, g);
    }
    g.buckets.push({ upperBound, count: el.value });
  }
  return [...groups.values()].map((g) => ({ labels: g.labels, value: bucketQuantile(q, g.buckets) }));
}

/** Prometheus's bucketQuantile (promql/quantile.go): linear interpolation inside the bucket. */
export function bucketQuantile(q: number, input: readonly { upperBound: number; count: number }[]): number {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  if (input.length === 0) return NaN;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted[sorted.length - 1]!.upperBound !== Infinity) return NaN;
  // coalesce buckets with the same upper bound
  const buckets: { upperBound: number; count: number }[] = [];
  for (const b of sorted) {
    const last = buckets.at(-1);
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push({ ...b });
  }
  // ensure monotonic counts
  let max = -Infinity;
  for (const b of buckets) {
    if (b.count > max) max = b.count;
    else if (b.count < max) b.count = max;
  }
  if (buckets.length < 2) return NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (!(observations > 0)) return NaN;
  let rank = q * observations;
  let b = buckets.length - 1;
  for (let i = 0; i < buckets.length - 1; i++) {
    if (buckets[i]!.count >= rank) {
      b = i;
      break;
    }
  }
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** `/` between scalars and vectors; vector/vector matches one-to-one on identical label sets. */
export function divide(a: EvalValue, b: EvalValue): EvalValue {
  if (a.type === 'scalar' && b.type === 'scalar') return { type: 'scalar', value: a.value / b.value };
  if (a.type === 'vector' && b.type === 'scalar') return { type: 'vector', elements: a.elements.map((e) => ({ labels: e.labels, value: e.value / b.value })) };
  if (a.type === 'scalar' && b.type === 'vector') return { type: 'vector', elements: b.elements.map((e) => ({ labels: e.labels, value: a.value / e.value })) };
  const left = (a as { elements: VectorElement[] }).elements;
  const right = (b as { elements: VectorElement[] }).elements;
  const byKey = new Map<string, VectorElement>();
  for (const r of right) {
    const k = labelsKey(r.labels);
    if (byKey.has(k)) throw new PromEvalError(`the right side of "/" has two series with the labels ${fmtLabels(r.labels)}; aggregate it first (e.g. sum(...))`);
    byKey.set(k, r);
  }
  const seen = new Set<string>();
  const out: VectorElement[] = [];
  for (const l of left) {
    const k = labelsKey(l.labels);
    if (seen.has(k)) throw new PromEvalError(`the left side of "/" has two series with the labels ${fmtLabels(l.labels)}; aggregate it first (e.g. sum(...))`);
    seen.add(k);
    const r = byKey.get(k);
    if (r) out.push({ labels: l.labels, value: l.value / r.value });
  }
  return { type: 'vector', elements: out };
}

function fmtLabels(l: Labels): string {
  return `{${Object.entries(l)
    .map(([k, v]) => `${k}="${v}"`)
    .join(', ')}}`;
}

/**
 * The one number a metric reading shows: a scalar, or a vector of exactly one element. null for an
 * empty vector, NaN or ±Inf (no data, e.g. 0/0 when there was no traffic). Throws PromEvalError
 * when the expression gives several series.
 */
export function toReadingValue(v: EvalValue): number | null {
  let n: number;
  if (v.type === 'scalar') n = v.value;
  else if (v.elements.length === 0) return null;
  else if (v.elements.length > 1) {
    throw new PromEvalError(`the expression gives ${v.elements.length} series (e.g. ${fmtLabels(v.elements[0]!.labels)}); aggregate it to one, e.g. sum(...)`);
  } else n = v.elements[0]!.value;
  return Number.isFinite(n) ? n : null;
}

/** A parsed expression with what the scrape window needs to know about it. */
export interface CompiledScrapeExpr {
  source: string;
  expr: PromExpr;
  /** Metric names read; undefined when some selector has no fixed name (keep everything). */
  names: Set<string> | undefined;
  maxRangeMs: number;
}

/** parseScrapeExpr plus what the window needs. Throws PromQLSubsetError. */
export function compileScrapeExpr(source: string): CompiledScrapeExpr {
  const expr = parseScrapeExpr(source);
  return { source, expr, names: exprMetricNames(expr), maxRangeMs: exprMaxRangeMs(expr) };
}
