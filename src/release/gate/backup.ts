// Backup freshness: `release.backup.run` prints when the last backup was made; older than
// `maxAge` blocks the release. Anything that is not clearly a time is a block too, with the output
// quoted — never a pass.
//
// The timestamp is read from the last non-empty line of the command's standard output (so a
// command may print a few words before it). Accepted forms:
// - epoch seconds, as `date +%s` or `stat -c %Y FILE` print them (a fraction is allowed, as with
//   `stat -c %.Y`, and a leading `@`); epoch milliseconds (12 digits or more);
// - ISO 8601 / RFC 3339: `2026-11-23T10:00:00Z`, `2026-11-23T10:00:00+01:00` (`date -Iseconds`),
//   `2026-11-23 10:00:00.123456789 +0000` (`stat -c %y`), a bare date `2026-11-23`;
// - RFC 2822 (`date -R`): `Mon, 23 Nov 2026 10:00:00 +0000`;
// - `date`'s default output: `Mon Nov 23 10:00:00 UTC 2026`, also with AM/PM and the day before
//   the month as some locales print it. Zone abbreviations: UT/UTC/GMT/Z and the US ones that
//   RFC 2822 defines (EST, EDT, CST, CDT, MST, MDT, PST, PDT); others (CET, BST, IST …) are
//   ambiguous and refused, with a hint to print `date +%s` instead.
// A time without a zone is read as this machine's local time, and says so (`assumedLocal`).
// No free-form date parsing (`Date.parse` takes `"1"` for January 2001): only these shapes.

import { formatDuration } from '../../config/duration.js';

export type TimestampFormat = 'epoch-seconds' | 'epoch-ms' | 'iso-8601' | 'rfc-2822' | 'date';

export interface ParsedTimestamp {
  at: Date;
  format: TimestampFormat;
  /** The output had no time zone; it was read as this machine's local time. */
  assumedLocal: boolean;
  /** The line the time was read from. */
  line: string;
}

export type TimestampParse = ({ ok: true } & ParsedTimestamp) | { ok: false; error: string };

/** A timestamp more than this far in the future is not believed (clock skew, wrong unit). */
export const FUTURE_TOLERANCE_MS = 5 * 60_000;

const EPOCH_RE = /^@?(\d+)(?:\.(\d+))?$/;
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?[ \t]*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** RFC 2822 §4.3 zone names, in minutes east of UTC. */
const ZONES: Record<string, number> = {
  UT: 0, UTC: 0, GMT: 0, Z: 0,
  EST: -300, EDT: -240, CST: -360, CDT: -300, MST: -420, MDT: -360, PST: -480, PDT: -420,
};

function offsetMinutes(text: string): number | undefined {
  if (text === 'Z' || text === 'z') return 0;
  const m = /^([+-])(\d{2})(?::?(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const h = Number(m[2]);
  const min = Number(m[3] ?? '0');
  if (h > 23 || min > 59) return undefined;
  return (m[1] === '-' ? -1 : 1) * (h * 60 + min);
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offset: number | undefined;
}

/** Builds the instant, or undefined when a field is out of range (Feb 30, 25:00 …). */
function build(f: Fields): Date | undefined {
  if (f.month < 1 || f.month > 12 || f.day < 1 || f.hour > 23 || f.minute > 59 || f.second > 60) return undefined;
  const second = Math.min(f.second, 59); // a leap second reads as :59
  const utc = Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute, second, f.ms);
  const check = new Date(utc);
  if (check.getUTCFullYear() !== f.year || check.getUTCMonth() !== f.month - 1 || check.getUTCDate() !== f.day) return undefined;
  if (f.offset !== undefined) return new Date(utc - f.offset * 60_000);
  return new Date(f.year, f.month - 1, f.day, f.hour, f.minute, second, f.ms);
}

function fractionMs(digits: string | undefined): number {
  return digits === undefined ? 0 : Math.floor(Number(`0.${digits}`) * 1000);
}

function parseIso(line: string): ParsedTimestamp | undefined {
  const m = ISO_RE.exec(line);
  if (!m) return undefined;
  const offset = m[8] !== undefined ? offsetMinutes(m[8]) : undefined;
  if (m[8] !== undefined && offset === undefined) return undefined;
  const at = build({
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? '0'),
    minute: Number(m[5] ?? '0'),
    second: Number(m[6] ?? '0'),
    ms: fractionMs(m[7]),
    offset,
  });
  return at && { at, format: 'iso-8601', assumedLocal: offset === undefined, line };
}

/** RFC 2822 and `date`'s default output, read token by token. */
function parseWords(line: string): ParsedTimestamp | { error: string } | undefined {
  const tokens = line.replace(/\([^)]*\)/g, ' ').replace(/,/g, ' ').split(/\s+/).filter((t) => t !== '');
  let month: number | undefined, day: number | undefined, year: number | undefined, offset: number | undefined;
  let time: RegExpExecArray | undefined;
  let meridiem: 'AM' | 'PM' | undefined;
  let weekday = false;
  let sawMonth = false;
  for (const token of tokens) {
    const lower = token.toLowerCase();
    const three = lower.slice(0, 3);
    const t = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?$/.exec(token);
    if (!weekday && !sawMonth && day === undefined && WEEKDAY_NAMES.includes(three) && /^[a-z]+\.?$/.test(lower)) {
      weekday = true;
    } else if (month === undefined && MONTHS.includes(three) && /^[a-z]+\.?$/.test(lower)) {
      month = MONTHS.indexOf(three) + 1;
      sawMonth = true;
    } else if (year === undefined && /^\d{4}$/.test(token)) {
      year = Number(token);
    } else if (day === undefined && /^\d{1,2}$/.test(token)) {
      day = Number(token);
    } else if (time === undefined && t) {
      time = t;
    } else if (meridiem === undefined && time !== undefined && /^(am|pm)$/.test(lower)) {
      meridiem = lower === 'am' ? 'AM' : 'PM';
    } else if (offset === undefined && offsetMinutes(token) !== undefined && /^[+-]/.test(token)) {
      offset = offsetMinutes(token);
    } else if (offset === undefined && Object.hasOwn(ZONES, token.toUpperCase())) {
      offset = ZONES[token.toUpperCase()];
    } else if (offset === undefined && /^[A-Z]{2,5}$/.test(token) && month !== undefined && time !== undefined) {
      return {
        error: `time zone "${token}" is ambiguous; have the backup command print epoch seconds (date +%s, stat -c %Y) or ISO 8601 (date -Iseconds)`,
      };
    } else {
      return undefined;
    }
  }
  if (month === undefined || day === undefined || year === undefined || time === undefined) return undefined;
  let hour = Number(time[1]);
  if (meridiem !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    hour = (hour % 12) + (meridiem === 'PM' ? 12 : 0);
  }
  const at = build({
    year,
    month,
    day,
    hour,
    minute: Number(time[2]),
    second: Number(time[3] ?? '0'),
    ms: fractionMs(time[4]),
    offset,
  });
  if (!at) return undefined;
  const format: TimestampFormat = /^[A-Za-z]+,/.test(line) || /^\d/.test(line) ? 'rfc-2822' : 'date';
  return { at, format, assumedLocal: offset === undefined, line };
}

/** The backup command's output → when the backup was made. */
export function parseBackupTimestamp(output: string): TimestampParse {
  const lines = output.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.at(-1);
  if (line === undefined) return { ok: false, error: 'the backup command printed nothing' };

  const epoch = EPOCH_RE.exec(line);
  if (epoch) {
    const whole = epoch[1]!;
    const ms = whole.length >= 12;
    const value = Number(`${whole}.${epoch[2] ?? '0'}`);
    const at = new Date(ms ? value : value * 1000);
    if (Number.isFinite(at.getTime())) return { ok: true, at, format: ms ? 'epoch-ms' : 'epoch-seconds', assumedLocal: false, line };
  }
  const iso = parseIso(line);
  if (iso) return { ok: true, ...iso };
  const words = parseWords(line);
  if (words && 'error' in words) return { ok: false, error: words.error };
  if (words) return { ok: true, ...words };
  return {
    ok: false,
    error: 'not a timestamp (expected epoch seconds, epoch milliseconds, ISO 8601, RFC 2822 or date output)',
  };
}

/** What the backup command gave back (its standard output only; stderr does not hold the time). */
export interface BackupRun {
  output: string;
  /** Exit code; null when it did not run to the end. */
  exitCode: number | null;
  /** Why it could not run or was cut short (`timed out after 30s`, `connection lost`). */
  error?: string | undefined;
  /** Its standard error, shown when it failed. */
  stderr?: string | undefined;
}

export type BackupStatus =
  | {
      state: 'fresh' | 'stale';
      at: Date;
      ageMs: number;
      maxAgeMs: number;
      format: TimestampFormat;
      assumedLocal: boolean;
      detail: string;
    }
  | { state: 'unknown'; detail: string; output: string };

/** Up to 200 characters of output, for a message. */
export function quoteOutput(output: string): string {
  const t = output.trim();
  if (t === '') return '(no output)';
  return JSON.stringify(t.length > 200 ? `${t.slice(0, 200)}…` : t);
}

/** Fresh (age ≤ maxAge), stale (older) or unknown (failed, unparseable, in the future). */
export function assessBackup(run: BackupRun, maxAgeMs: number, now: Date): BackupStatus {
  const shown = run.exitCode === 0 || run.exitCode === null ? run.output : [run.output, run.stderr ?? ''].join('\n');
  if (run.error !== undefined || run.exitCode !== 0) {
    const why = run.error ?? `exited with code ${run.exitCode}`;
    return { state: 'unknown', detail: `backup command ${why}; output: ${quoteOutput(shown)}`, output: shown };
  }
  const parsed = parseBackupTimestamp(run.output);
  if (!parsed.ok) {
    return { state: 'unknown', detail: `cannot read the backup time: ${parsed.error}; output: ${quoteOutput(run.output)}`, output: run.output };
  }
  const ageMs = now.getTime() - parsed.at.getTime();
  if (ageMs < -FUTURE_TOLERANCE_MS) {
    return {
      state: 'unknown',
      detail: `the backup time ${parsed.at.toISOString()} is ${formatDuration(-ageMs)} in the future (clock skew, or the wrong unit?); output: ${quoteOutput(run.output)}`,
      output: run.output,
    };
  }
  const age = Math.max(0, ageMs);
  const state = age > maxAgeMs ? 'stale' : 'fresh';
  const local = parsed.assumedLocal ? ' (no time zone in the output: read as local time)' : '';
  const detail =
    state === 'fresh'
      ? `last backup ${formatDuration(age)} ago, at ${parsed.at.toISOString()}${local} (max ${formatDuration(maxAgeMs)})`
      : `last backup ${formatDuration(age)} ago, at ${parsed.at.toISOString()}${local}: older than the ${formatDuration(maxAgeMs)} allowed`;
  return { state, at: parsed.at, ageMs: age, maxAgeMs, format: parsed.format, assumedLocal: parsed.assumedLocal, detail };
}
