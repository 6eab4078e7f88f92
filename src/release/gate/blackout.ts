// Blackout rules: when a release must not start (config `release.blackout`).
//
// A rule is weekly (`days`, optionally narrowed by `after` / `before`), dated (`from` / `to`), or
// both (then all its conditions must hold: "in December, Fridays after 16:00").
//
// Times are wall-clock times in `timeZone` when one is given, else on this machine's clock.
// - `after: '16:00'` alone → from 16:00 (inclusive) to midnight: 15:59 is open, 16:00 is closed.
// - `before: '08:00'` alone → from midnight to 08:00 (exclusive).
// - both, after < before → [after, before) the same day.
// - both, after > before → the window wraps midnight: `days: [fri], after: 22:00, before: 06:00`
//   is Friday 22:00 → Saturday 06:00. The hours after midnight belong to the day the window
//   started on, so it is Saturday 03:00 that is closed, not Friday 03:00.
// - after == before → the whole day (a 24-hour window starting at that time).
// - `days: []` matches no day.
// Dated windows: `YYYY-MM-DD` bounds are whole days, inclusive at both ends (`to: 2027-01-02`
// closes all of January 2nd). `YYYY-MM-DDTHH:MM` bounds are instants on the wall clock: `from`
// inclusive, `to` exclusive (`to: …T18:00` is open again at 18:00). A missing `from` is "since
// always", a missing `to` "for ever".

import { wallClock, type WallClock } from './clock.js';

export type BlackoutDay = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** Structurally the config's `release.blackout[]` entry. */
export interface BlackoutRule {
  days?: readonly BlackoutDay[] | undefined;
  after?: string | undefined;
  before?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  reason?: string | undefined;
}

export interface ActiveBlackout {
  /** Position in the configured list. */
  index: number;
  rule: BlackoutRule;
  /** What the rule is: `Friday after 16:00`, `dated window 2026-12-20 → 2027-01-02`. */
  window: string;
  /** `window`, plus `: reason` when the rule has one — the line for the gate. */
  text: string;
}

const DAY_INDEX: Record<BlackoutDay, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const DAY_NAME = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const CLOCK_RE = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})(?:T([01]\d|2[0-3]):([0-5]\d))?$/;

function minutesOf(clock: string, field: string): number {
  const m = CLOCK_RE.exec(clock);
  if (!m) throw new RangeError(`blackout ${field}: "${clock}" is not a time like 16:00`);
  return Number(m[1]) * 60 + Number(m[2]);
}

function checkDate(value: string, field: string): RegExpExecArray {
  const m = DATE_RE.exec(value);
  if (!m) throw new RangeError(`blackout ${field}: "${value}" is not a date like 2026-12-24 or 2026-12-24T18:00`);
  return m;
}

/** Is `now` (on the wall clock) inside the rule's dated window? True when the rule has none. */
function inDatedWindow(rule: BlackoutRule, now: WallClock): boolean {
  if (rule.from !== undefined) {
    const m = checkDate(rule.from, 'from');
    const fromKey = m[4] !== undefined ? rule.from : `${rule.from}T00:00`;
    if (now.key < fromKey) return false;
  }
  if (rule.to !== undefined) {
    const m = checkDate(rule.to, 'to');
    if (m[4] !== undefined ? now.key >= rule.to : now.date > rule.to) return false;
  }
  return true;
}

/** Is `now` inside the rule's weekly part (days and hours)? True when the rule has none. */
function inWeeklyWindow(rule: BlackoutRule, now: WallClock): boolean {
  const t = now.hour * 60 + now.minute;
  const onDay = (weekday: number) =>
    rule.days === undefined || rule.days.some((d) => DAY_INDEX[d] === weekday);
  const after = rule.after !== undefined ? minutesOf(rule.after, 'after') : undefined;
  const before = rule.before !== undefined ? minutesOf(rule.before, 'before') : undefined;

  if (after === undefined && before === undefined) return onDay(now.weekday);
  if (after === undefined) return t < before! && onDay(now.weekday);
  if (before === undefined || after < before) return t >= after && (before === undefined || t < before) && onDay(now.weekday);
  // Wraps midnight (or a whole day when equal): the part before `before` belongs to yesterday's window.
  if (t >= after) return onDay(now.weekday);
  if (t < before) return onDay((now.weekday + 6) % 7);
  return false;
}

/** Whether one rule is in force at `now`. */
export function isBlackoutActive(rule: BlackoutRule, now: Date, timeZone?: string): boolean {
  const clock = wallClock(now, timeZone);
  return inDatedWindow(rule, clock) && inWeeklyWindow(rule, clock);
}

function listDays(days: readonly BlackoutDay[]): string {
  const names = [...new Set(days)].sort((a, b) => ((DAY_INDEX[a] + 6) % 7) - ((DAY_INDEX[b] + 6) % 7)).map((d) => DAY_NAME[DAY_INDEX[d]]);
  if (names.length === 7) return 'every day';
  if (names.length <= 1) return names[0] ?? 'no day';
  return `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/** The rule in words, without its reason: `Friday after 16:00`, `dated window 2026-12-20 → 2027-01-02`. */
export function describeBlackout(rule: BlackoutRule): string {
  const parts: string[] = [];
  if (rule.from !== undefined || rule.to !== undefined) {
    const show = (s: string | undefined, open: string) => (s === undefined ? open : s.replace('T', ' '));
    parts.push(`dated window ${show(rule.from, '…')} → ${show(rule.to, '…')}`);
  }
  const hasWeekly = rule.days !== undefined || rule.after !== undefined || rule.before !== undefined;
  if (hasWeekly) {
    const days = rule.days !== undefined ? listDays(rule.days) : 'every day';
    let hours = '';
    if (rule.after !== undefined && rule.before !== undefined) {
      hours = rule.after === rule.before ? ` from ${rule.after} for 24 hours` : ` from ${rule.after} to ${rule.before}`;
    } else if (rule.after !== undefined) hours = ` after ${rule.after}`;
    else if (rule.before !== undefined) hours = ` before ${rule.before}`;
    const weekly = `${days}${hours}`;
    // Day names are capitalised already; only `every day` needs it, and only at the start.
    parts.push(parts.length === 0 ? weekly.charAt(0).toUpperCase() + weekly.slice(1) : weekly);
  }
  return parts.join(', ') || 'always';
}

/**
 * The rules in force at `now`, each with a line for the gate. Throws RangeError for an unknown time
 * zone or a malformed time/date (the config schema already refuses those).
 */
export function activeBlackouts(rules: readonly BlackoutRule[], now: Date, timeZone?: string): ActiveBlackout[] {
  const clock = wallClock(now, timeZone);
  const active: ActiveBlackout[] = [];
  rules.forEach((rule, index) => {
    if (!inDatedWindow(rule, clock) || !inWeeklyWindow(rule, clock)) return;
    const window = describeBlackout(rule);
    const reason = rule.reason?.trim();
    active.push({ index, rule, window, text: reason ? `${window}: ${reason}` : window });
  });
  return active;
}
