// The log pane's memory: a ring buffer of lines with a cap, counters that never lie about what was
// evicted, and a search filter whose match count is kept up to date as lines arrive and leave
// (never by rescanning the whole buffer on every frame). Pure data structure: no I/O, no timers.

import type { LogLine } from '../live/events.js';

export const DEFAULT_LOG_CAP = 10_000;

// ---------------------------------------------------------------------------------------------
// Filter

export interface Filter {
  /** What the user typed. */
  readonly query: string;
  readonly kind: 'substring' | 'regex';
  /** True when the line's text matches. Never throws. */
  test(text: string): boolean;
}

export type ParsedFilter = { ok: true; filter: Filter | null } | { ok: false; error: string };

export interface FilterOptions {
  /** Substring searches ignore case unless this is true (a regex follows its own flags). */
  caseSensitive?: boolean;
}

/** Valid JavaScript regex flags (g and y are accepted but dropped: they make test() stateful). */
const REGEX_FORM = /^\/(.+)\/([dgimsuvy]*)$/s;

/**
 * Parses what the user typed after `/` in the log pane:
 * - `` (empty or only spaces) → no filter (every line shows);
 * - `/body/flags` → a regular expression (`/timeout|refused/i`); an invalid one is reported as
 *   `{ok: false, error}`, never thrown;
 * - anything else → a substring, case-insensitive by default.
 * A query that merely starts with `/` but does not end in `/flags` (`/api/v1`) is a substring.
 */
export function parseFilter(query: string, opts: FilterOptions = {}): ParsedFilter {
  if (query.trim() === '') return { ok: true, filter: null };
  const m = REGEX_FORM.exec(query);
  if (m) {
    const body = m[1]!;
    const flags = [...new Set(m[2]!.replace(/[gy]/g, ''))].join('');
    let re: RegExp;
    try {
      re = new RegExp(body, flags);
    } catch (err) {
      return { ok: false, error: `invalid regular expression ${query}: ${stripRegexPrefix((err as Error).message)}` };
    }
    return {
      ok: true,
      filter: {
        query,
        kind: 'regex',
        test: (text) => {
          try {
            return re.test(text);
          } catch {
            return false;
          }
        },
      },
    };
  }
  if (opts.caseSensitive) {
    return { ok: true, filter: { query, kind: 'substring', test: (text) => text.includes(query) } };
  }
  const needle = query.toLowerCase();
  return { ok: true, filter: { query, kind: 'substring', test: (text) => text.toLowerCase().includes(needle) } };
}

function stripRegexPrefix(message: string): string {
  // V8: "Invalid regular expression: /(/: Unterminated group" → "Unterminated group"
  const m = /^Invalid regular expression: \/.*\/[a-z]*: (.*)$/s.exec(message);
  return m ? m[1]! : message;
}

// ---------------------------------------------------------------------------------------------
// Level (for colouring)

export type LogLevel = 'error' | 'warn' | 'none';

/** Case-sensitive markers: upper-case level words, Go panics, Java/Python/JS exceptions. */
const ERROR_CS =
  /\b(?:ERROR|ERR|FATAL|CRITICAL|CRIT|PANIC|EMERG|ALERT|SEVERE)\b|^panic: |\bpanic\(|\w*Exception\b|^Traceback \(most recent call last\)|\b[A-Z]\w*Error: |^Error: /;
/** Structured forms, any case: level=error, "level":"error", severity: ERROR, [error]. */
const ERROR_CI =
  /\b(?:level|lvl|severity|loglevel)\s*[=:]\s*"?(?:error|err|fatal|panic|crit|critical|emerg|emergency|alert)\b|"(?:level|lvl|severity|loglevel)"\s*:\s*"(?:error|err|fatal|panic|crit|critical|emerg|emergency|alert)"|\[(?:error|err|fatal|crit|critical|emerg|alert|panic)\]/i;
const WARN_CS = /\b(?:WARN|WARNING)\b/;
const WARN_CI = /\b(?:level|lvl|severity|loglevel)\s*[=:]\s*"?(?:warn|warning)\b|"(?:level|lvl|severity|loglevel)"\s*:\s*"(?:warn|warning)"|\[(?:warn|warning)\]/i;
/** Levels sit near the start of a line; an exception name may come a little later. */
const LEVEL_SCAN_CHARS = 1_000;

/** Classifies a log line for colouring: ERROR, FATAL, panic, Exception, level=error, "level":"error" → error; WARN… → warn. */
export function level(text: string): LogLevel {
  const t = text.length > LEVEL_SCAN_CHARS ? text.slice(0, LEVEL_SCAN_CHARS) : text;
  if (ERROR_CS.test(t) || ERROR_CI.test(t)) return 'error';
  if (WARN_CS.test(t) || WARN_CI.test(t)) return 'warn';
  return 'none';
}

// ---------------------------------------------------------------------------------------------
// LogBuffer

export interface LogBufferOptions {
  /** Most lines kept (default 10,000); older ones are evicted and counted in `dropped`. */
  cap?: number;
}

export type SetFilterResult = { ok: true } | { ok: false; error: string };

/**
 * Lines in arrival order, at most `cap` of them. Every line appended is either still here or
 * counted in `dropped`: `total === dropped + size` (until drain() or clear() take lines out on
 * purpose).
 *
 * Positions: `slice(from, count)` indexes the current *view* — all kept lines, or only the
 * matching ones while a filter is set — with 0 the oldest. `viewOffset` counts the view rows that
 * have been evicted so far, so `viewOffset + index` is a stable position for a paused pane.
 */
export class LogBuffer {
  readonly cap: number;
  private readonly ring: (LogLine | undefined)[];
  /** Ring index of the oldest kept line. */
  private head = 0;
  private count = 0;
  private appended = 0;
  private evicted = 0;
  private changes = 0;

  private current: Filter | null = null;
  private error: string | undefined;
  /** Absolute sequence numbers (0 = first line ever appended) of kept lines that match, oldest first. */
  private readonly matchRing: Float64Array;
  private matchHead = 0;
  private matchSize = 0;
  /** Matches evicted since the filter was set. */
  private matchesEvicted = 0;

  constructor(opts: LogBufferOptions = {}) {
    const cap = Math.floor(opts.cap ?? DEFAULT_LOG_CAP);
    if (!Number.isFinite(cap) || cap < 1) throw new RangeError(`LogBuffer cap must be a positive integer, got ${opts.cap}`);
    this.cap = cap;
    this.ring = new Array<LogLine | undefined>(cap);
    this.matchRing = new Float64Array(cap);
  }

  /** Bumped on every change (append, filter, clear): a cheap "redraw needed?" check. */
  get version(): number {
    return this.changes;
  }
  /** Lines ever appended. */
  get total(): number {
    return this.appended;
  }
  /** Lines evicted because of the cap (shown to the user). */
  get dropped(): number {
    return this.evicted;
  }
  /** Lines kept now. */
  get size(): number {
    return this.count;
  }
  /** Sequence number of the oldest kept line (= dropped). */
  get firstSeq(): number {
    return this.appended - this.count;
  }
  get filter(): Filter | null {
    return this.current;
  }
  /** Why the last setFilter() was refused (the previous filter stays in force), else undefined. */
  get filterError(): string | undefined {
    return this.error;
  }
  /** Kept lines matching the filter (all kept lines when there is none). */
  get matchCount(): number {
    return this.current ? this.matchSize : this.count;
  }
  /** Rows in the view: matchCount. */
  get viewSize(): number {
    return this.matchCount;
  }
  /** View rows evicted so far (dropped when unfiltered; evicted matches since the filter was set). */
  get viewOffset(): number {
    return this.current ? this.matchesEvicted : this.evicted;
  }

  /** Appends a batch: O(batch), whatever the buffer holds. */
  append(lines: readonly LogLine[]): void {
    if (lines.length === 0) return;
    // Only the last `cap` lines of a huge batch can survive: count the rest as dropped unseen.
    let start = 0;
    if (lines.length > this.cap) {
      start = lines.length - this.cap;
      this.evictAll();
      this.appended += start;
      this.evicted += start;
      if (this.current) this.matchesEvicted += countMatches(this.current, lines, 0, start);
    }
    const f = this.current;
    for (let i = start; i < lines.length; i++) {
      const line = lines[i]!;
      if (this.count === this.cap) this.evictOldest();
      const seq = this.appended++;
      this.ring[(this.head + this.count) % this.cap] = line;
      this.count++;
      if (f && f.test(line.text)) this.pushMatch(seq);
    }
    this.changes++;
  }

  /** The kept line with this sequence number, if still kept. */
  get(seq: number): LogLine | undefined {
    const i = seq - this.firstSeq;
    if (!Number.isInteger(i) || i < 0 || i >= this.count) return undefined;
    return this.ring[(this.head + i) % this.cap];
  }

  /** Up to `count` view rows from view index `from` (oldest first). Out-of-range parts are cut off. */
  slice(from: number, count: number): LogLine[] {
    const size = this.viewSize;
    const a = Math.max(0, Math.floor(from));
    const b = Math.min(size, a + Math.max(0, Math.floor(count)));
    const out: LogLine[] = [];
    if (this.current) {
      for (let i = a; i < b; i++) {
        const line = this.get(this.matchRing[(this.matchHead + i) % this.cap]!);
        if (line) out.push(line);
      }
    } else {
      for (let i = a; i < b; i++) out.push(this.ring[(this.head + i) % this.cap]!);
    }
    return out;
  }

  /** The last `count` view rows (follow mode). */
  tail(count: number): LogLine[] {
    return this.slice(this.viewSize - count, count);
  }

  /**
   * Sets the search filter from what the user typed (see parseFilter); `null` or '' clears it.
   * Rescans the kept lines once; from then on matches are counted as lines arrive and leave.
   * An invalid regex is refused (`{ok: false, error}`, also in `filterError`) and the previous
   * filter stays in force.
   */
  setFilter(query: string | Filter | null, opts: FilterOptions = {}): SetFilterResult {
    let next: Filter | null;
    if (query === null) next = null;
    else if (typeof query === 'string') {
      const parsed = parseFilter(query, opts);
      if (!parsed.ok) {
        this.error = parsed.error;
        this.changes++;
        return parsed;
      }
      next = parsed.filter;
    } else next = query;
    this.error = undefined;
    this.current = next;
    this.matchHead = 0;
    this.matchSize = 0;
    this.matchesEvicted = 0;
    if (next) {
      for (let i = 0; i < this.count; i++) {
        if (next.test(this.ring[(this.head + i) % this.cap]!.text)) this.pushMatch(this.firstSeq + i);
      }
    }
    this.changes++;
    return { ok: true };
  }

  /** Removes and returns every kept line (oldest first); `total` and `dropped` keep counting. */
  drain(): LogLine[] {
    const out: LogLine[] = [];
    for (let i = 0; i < this.count; i++) {
      const idx = (this.head + i) % this.cap;
      out.push(this.ring[idx]!);
      this.ring[idx] = undefined;
    }
    this.head = 0;
    this.count = 0;
    this.matchHead = 0;
    this.matchSize = 0;
    if (out.length > 0) this.changes++;
    return out;
  }

  /** Forgets the kept lines (a user's "clear"); counters keep counting, cleared lines are not "dropped". */
  clear(): void {
    this.drain();
    this.matchesEvicted = 0;
    this.changes++;
  }

  private evictOldest(): void {
    const seq = this.firstSeq;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.cap;
    this.count--;
    this.evicted++;
    if (this.matchSize > 0 && this.matchRing[this.matchHead] === seq) {
      this.matchHead = (this.matchHead + 1) % this.cap;
      this.matchSize--;
      this.matchesEvicted++;
    }
  }

  private evictAll(): void {
    while (this.count > 0) this.evictOldest();
    this.head = 0;
  }

  private pushMatch(seq: number): void {
    // Matches are a subset of kept lines, so the ring never overflows.
    this.matchRing[(this.matchHead + this.matchSize) % this.cap] = seq;
    this.matchSize++;
  }
}

function countMatches(f: Filter, lines: readonly LogLine[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (f.test(lines[i]!.text)) n++;
  return n;
}
