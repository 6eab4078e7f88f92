// Parser for the Prometheus text exposition format (0.0.4), the body of a `/metrics` scrape.
//
// Pure and total: it never throws. A line it cannot read becomes an entry in `errors` (with its
// 1-based line number) and parsing goes on with the next line, so one bad exporter line does not
// hide the rest of the scrape.
//
//   # HELP name doc text            (doc escapes: \\ and \n)
//   # TYPE name counter|gauge|histogram|summary|untyped
//   # any other comment
//   name{label="value",...} value [timestamp_ms]
//
// Label values take the escapes \\ \" and \n. Values are Go floats: 1, -2.5e-3, NaN, +Inf, -Inf.
// Newer exporters may quote a UTF-8 metric name inside the braces: {"my.metric",label="x"} 1.

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  /** Optional timestamp of the sample, epoch milliseconds, when the exporter gave one. */
  timestampMs?: number;
}

export interface PromTextError {
  /** 1-based line number in the body. */
  line: number;
  message: string;
}

export type PromMetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped' | 'gaugehistogram' | 'info' | 'stateset' | 'unknown';

export interface PromTextResult {
  samples: PromSample[];
  errors: PromTextError[];
  /** `# TYPE` lines, by metric family name. */
  types: Record<string, PromMetricType>;
  /** `# HELP` lines, by metric family name (unescaped). */
  help: Record<string, string>;
}

const NAME_START = /[a-zA-Z_:]/;
const NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_START = /[a-zA-Z_]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const TYPES = new Set<string>(['counter', 'gauge', 'histogram', 'summary', 'untyped', 'gaugehistogram', 'info', 'stateset', 'unknown']);

class LineError extends Error {}

/** Parses a whole exposition body. Never throws. */
export function parsePromText(text: string): PromTextResult {
  const out: PromTextResult = { samples: [], errors: [], types: {}, help: {} };
  if (typeof text !== 'string') {
    out.errors.push({ line: 1, message: 'body is not text' });
    return out;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const lineNo = i + 1;
    try {
      parseLine(line, out);
    } catch (err) {
      out.errors.push({ line: lineNo, message: err instanceof LineError ? err.message : `unexpected: ${String(err)}` });
    }
  }
  return out;
}

function parseLine(line: string, out: PromTextResult): void {
  const trimmed = line.replace(/^[ \t]+/, '');
  if (trimmed === '') return;
  if (trimmed.startsWith('#')) {
    parseComment(trimmed, out);
    return;
  }
  const sample = parseSampleLine(trimmed);
  out.samples.push(sample);
}

function parseComment(line: string, out: PromTextResult): void {
  const m = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) return; // a plain comment (or `# EOF`)
  const [, kind, name, rest = ''] = m;
  if (!METRIC_NAME.test(name!)) throw new LineError(`${kind} names an invalid metric name "${name}"`);
  if (kind === 'TYPE') {
    const type = rest.trim().toLowerCase();
    if (!TYPES.has(type)) throw new LineError(`unknown metric type "${rest.trim()}" for ${name}`);
    out.types[name!] = type as PromMetricType;
  } else {
    out.help[name!] = rest.replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\'));
  }
}

/** Reads one sample line (already left-trimmed, not a comment). Throws LineError. */
function parseSampleLine(line: string): PromSample {
  let pos = 0;
  let name = '';
  // No prototype: `__proto__` is a valid label name.
  const labels = Object.create(null) as Record<string, string>;

  if (NAME_START.test(line[0] ?? '')) {
    while (pos < line.length && NAME_CHAR.test(line[pos]!)) pos++;
    name = line.slice(0, pos);
  } else if (line[0] !== '{') {
    throw new LineError(`expected a metric name, found "${line.slice(0, 20)}"`);
  }

  if (line[skipBlanks(line, pos)] === '{') {
    pos = skipBlanks(line, pos) + 1;
    let first = true;
    for (;;) {
      pos = skipBlanks(line, pos);
      if (line[pos] === '}') {
        pos++;
        break;
      }
      if (pos >= line.length) throw new LineError('unterminated label set: missing "}"');
      let labelName: string;
      if (line[pos] === '"') {
        // A quoted name: the metric name (first, without `=`) or a UTF-8 label name.
        const [s, next] = readQuoted(line, pos);
        pos = skipBlanks(line, next);
        if (line[pos] !== '=') {
          if (!first || name !== '') throw new LineError(`expected "=" after label name "${s}"`);
          name = s;
          first = false;
          pos = afterLabelPair(line, pos);
          continue;
        }
        labelName = s;
      } else {
        const start = pos;
        if (!LABEL_START.test(line[pos] ?? '')) throw new LineError(`invalid label name at column ${pos + 1}`);
        while (pos < line.length && LABEL_CHAR.test(line[pos]!)) pos++;
        labelName = line.slice(start, pos);
        pos = skipBlanks(line, pos);
      }
      first = false;
      if (line[pos] !== '=') throw new LineError(`expected "=" after label name "${labelName}"`);
      pos = skipBlanks(line, pos + 1);
      if (line[pos] !== '"') throw new LineError(`expected a quoted value for label "${labelName}"`);
      const [value, next] = readQuoted(line, pos);
      if (Object.hasOwn(labels, labelName)) throw new LineError(`duplicate label "${labelName}"`);
      labels[labelName] = value;
      pos = afterLabelPair(line, next);
    }
  }
  if (name === '') throw new LineError('sample without a metric name');

  const rest = line.slice(pos);
  if (rest !== '' && !/^[ \t]/.test(rest)) throw new LineError(`expected a space before the value, found "${rest.slice(0, 20)}"`);
  const fields = rest.trim().split(/[ \t]+/).filter((f) => f !== '');
  if (fields.length === 0) throw new LineError(`missing value for ${name}`);
  if (fields.length > 2) throw new LineError(`unexpected text after the timestamp: "${fields.slice(2).join(' ').slice(0, 20)}"`);
  const value = parseFloatGo(fields[0]!);
  if (value === undefined) throw new LineError(`invalid value "${fields[0]!.slice(0, 30)}" for ${name}`);
  const sample: PromSample = { name, labels, value };
  if (fields.length === 2) {
    const ts = fields[1]!;
    if (!/^-?\d+$/.test(ts)) throw new LineError(`invalid timestamp "${ts.slice(0, 30)}" for ${name}`);
    sample.timestampMs = Number(ts);
  }
  return sample;
}

/** After a label pair: `,` (then more or `}`) or `}` itself (left for the loop). */
function afterLabelPair(line: string, pos: number): number {
  pos = skipBlanks(line, pos);
  if (line[pos] === ',') return pos + 1;
  if (line[pos] === '}') return pos;
  if (pos >= line.length) throw new LineError('unterminated label set: missing "}"');
  throw new LineError(`expected "," or "}" at column ${pos + 1}`);
}

function skipBlanks(line: string, pos: number): number {
  while (line[pos] === ' ' || line[pos] === '\t') pos++;
  return pos;
}

/** Reads a double-quoted string starting at pos (on the quote); returns [value, position after]. */
function readQuoted(line: string, pos: number): [string, number] {
  let out = '';
  let i = pos + 1;
  while (i < line.length) {
    const c = line[i]!;
    if (c === '"') return [out, i + 1];
    if (c === '\\') {
      const n = line[i + 1];
      if (n === '\\') out += '\\';
      else if (n === '"') out += '"';
      else if (n === 'n') out += '\n';
      else if (n === undefined) break;
      else out += `\\${n}`; // Prometheus keeps unknown escapes as they are
      i += 2;
      continue;
    }
    out += c;
    i++;
  }
  throw new LineError('unterminated quoted string');
}

/** Go's strconv.ParseFloat, as far as exporters use it: decimals, exponents, NaN, ±Inf. */
export function parseFloatGo(s: string): number | undefined {
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return Number(s);
  const lower = s.toLowerCase();
  if (lower === 'nan') return NaN;
  if (/^[+]?inf(inity)?$/.test(lower)) return Infinity;
  if (/^-inf(inity)?$/.test(lower)) return -Infinity;
  if (/^[+-]?0x[0-9a-f]+$/.test(lower)) return (lower.startsWith('-') ? -1 : 1) * Number.parseInt(lower.replace(/^[+-]?0x/, ''), 16);
  return undefined;
}

/** Renders samples back into exposition text (for tests and fixtures). */
export function renderPromText(samples: readonly PromSample[]): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const num = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
  return samples
    .map((s) => {
      const pairs = Object.entries(s.labels).map(([k, v]) => `${k}="${esc(v)}"`);
      const ts = s.timestampMs !== undefined ? ` ${s.timestampMs}` : '';
      return `${s.name}${pairs.length ? `{${pairs.join(',')}}` : ''} ${num(s.value)}${ts}\n`;
    })
    .join('');
}
