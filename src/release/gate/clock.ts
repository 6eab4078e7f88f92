// Wall-clock reading of an instant: the date, weekday, hour and minute a person in a given time zone
// (or on this machine, when none is given) would read on a clock. Blackout rules and changelog dates
// are written in wall-clock terms, so they are compared in wall-clock terms too: fixed-width
// `YYYY-MM-DDTHH:MM` keys compare correctly as strings, and no wall time ever has to be turned back
// into an instant (which is where DST bugs live).

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export interface WallClock {
  year: number;
  /** 1–12. */
  month: number;
  /** 1–31. */
  day: number;
  /** 0–23. */
  hour: number;
  /** 0–59. */
  minute: number;
  /** 0 = Sunday … 6 = Saturday (as Date#getDay). */
  weekday: number;
  /** `YYYY-MM-DD`. */
  date: string;
  /** `YYYY-MM-DDTHH:MM` — sortable as a string. */
  key: string;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        weekday: 'short',
      });
    } catch {
      throw new RangeError(`unknown time zone "${timeZone}" (expected an IANA name such as Europe/Paris or UTC)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

const SHORT_WEEKDAY: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/** The wall clock at `now` in `timeZone` (an IANA name), or in this machine's local time when omitted. */
export function wallClock(now: Date, timeZone?: string): WallClock {
  if (Number.isNaN(now.getTime())) throw new RangeError('invalid date');
  let year: number, month: number, day: number, hour: number, minute: number, weekday: number;
  if (timeZone === undefined) {
    year = now.getFullYear();
    month = now.getMonth() + 1;
    day = now.getDate();
    hour = now.getHours();
    minute = now.getMinutes();
    weekday = now.getDay();
  } else {
    const parts: Record<string, string> = {};
    for (const p of formatterFor(timeZone).formatToParts(now)) parts[p.type] = p.value;
    year = Number(parts.year);
    month = Number(parts.month);
    day = Number(parts.day);
    hour = Number(parts.hour) % 24;
    minute = Number(parts.minute);
    weekday = SHORT_WEEKDAY[parts.weekday ?? ''] ?? Number.NaN;
  }
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  return { year, month, day, hour, minute, weekday, date, key: `${date}T${pad(hour)}:${pad(minute)}` };
}

/** `YYYY-MM-DD` for `now` on the wall clock (the date a changelog section is given). */
export function localDate(now: Date, timeZone?: string): string {
  return wallClock(now, timeZone).date;
}
