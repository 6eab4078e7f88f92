import { describe, expect, it } from 'vitest';
import { activeBlackouts, describeBlackout, isBlackoutActive, type BlackoutRule } from '../../src/release/gate/blackout.js';
import { localDate, wallClock } from '../../src/release/gate/clock.js';

// 2026-11-27 is a Friday. `local(...)` builds a time on this machine's clock (the default), `utc`
// one for the rules evaluated with timeZone 'UTC'.
const local = (d: number, h: number, m = 0, month = 11, year = 2026) => new Date(year, month - 1, d, h, m);
const utc = (iso: string) => new Date(`${iso}Z`);

const FRIDAY_EVENING: BlackoutRule = { days: ['fri'], after: '16:00', reason: 'no Friday-evening releases' };
const WEEKEND: BlackoutRule = { days: ['sat', 'sun'] };
const NIGHT: BlackoutRule = { days: ['fri'], after: '22:00', before: '06:00' };
const YEAR_END: BlackoutRule = { from: '2026-12-20', to: '2027-01-02', reason: 'year-end freeze' };

describe('weekly rules (local time)', () => {
  it('Friday 15:59 is open, 16:00 is closed, until midnight', () => {
    expect(activeBlackouts([FRIDAY_EVENING], local(27, 15, 59))).toEqual([]);
    expect(activeBlackouts([FRIDAY_EVENING], local(27, 16, 0))).toEqual([
      { index: 0, rule: FRIDAY_EVENING, window: 'Friday after 16:00', text: 'Friday after 16:00: no Friday-evening releases' },
    ]);
    expect(isBlackoutActive(FRIDAY_EVENING, local(27, 23, 59))).toBe(true);
    expect(isBlackoutActive(FRIDAY_EVENING, local(28, 0, 0))).toBe(false);
    expect(isBlackoutActive(FRIDAY_EVENING, local(26, 17, 0))).toBe(false);
  });
  it('Saturday and Sunday, all day', () => {
    expect(isBlackoutActive(WEEKEND, local(28, 0, 0))).toBe(true);
    expect(isBlackoutActive(WEEKEND, local(29, 23, 59))).toBe(true);
    expect(isBlackoutActive(WEEKEND, local(30, 0, 0))).toBe(false);
    expect(isBlackoutActive(WEEKEND, local(27, 23, 59))).toBe(false);
    expect(activeBlackouts([FRIDAY_EVENING, WEEKEND], local(28, 10, 0)).map((b) => [b.index, b.text])).toEqual([[1, 'Saturday and Sunday']]);
  });
  it('before alone: from midnight, end exclusive', () => {
    const early: BlackoutRule = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], before: '08:00' };
    expect(isBlackoutActive(early, local(23, 7, 59))).toBe(true);
    expect(isBlackoutActive(early, local(23, 8, 0))).toBe(false);
    expect(isBlackoutActive(early, local(28, 7, 0))).toBe(false);
  });
  it('after and before in order: a window within the day', () => {
    const lunch: BlackoutRule = { days: ['mon'], after: '12:00', before: '14:00' };
    expect(isBlackoutActive(lunch, local(23, 11, 59))).toBe(false);
    expect(isBlackoutActive(lunch, local(23, 12, 0))).toBe(true);
    expect(isBlackoutActive(lunch, local(23, 13, 59))).toBe(true);
    expect(isBlackoutActive(lunch, local(23, 14, 0))).toBe(false);
  });
  it('after 22:00 before 06:00 wraps midnight, and the early hours belong to the day it started', () => {
    expect(isBlackoutActive(NIGHT, local(27, 21, 59))).toBe(false);
    expect(isBlackoutActive(NIGHT, local(27, 22, 0))).toBe(true);
    expect(isBlackoutActive(NIGHT, local(28, 3, 0))).toBe(true); // Saturday 03:00: Friday night's window
    expect(isBlackoutActive(NIGHT, local(28, 6, 0))).toBe(false);
    expect(isBlackoutActive(NIGHT, local(27, 3, 0))).toBe(false); // Friday 03:00 is Thursday night
    expect(isBlackoutActive(NIGHT, local(27, 12, 0))).toBe(false);
    expect(isBlackoutActive({ after: '22:00', before: '06:00' }, local(24, 5, 0))).toBe(true);
  });
  it('after == before is a whole day from that time', () => {
    const r: BlackoutRule = { days: ['fri'], after: '09:00', before: '09:00' };
    expect(isBlackoutActive(r, local(27, 8, 59))).toBe(false);
    expect(isBlackoutActive(r, local(27, 9, 0))).toBe(true);
    expect(isBlackoutActive(r, local(28, 8, 59))).toBe(true);
    expect(isBlackoutActive(r, local(28, 9, 0))).toBe(false);
  });
  it('an empty days list matches no day', () => {
    expect(isBlackoutActive({ days: [] }, local(27, 12))).toBe(false);
  });
});

describe('dated windows', () => {
  it('date bounds are whole days, inclusive', () => {
    expect(isBlackoutActive(YEAR_END, local(19, 23, 59, 12))).toBe(false);
    expect(isBlackoutActive(YEAR_END, local(20, 0, 0, 12))).toBe(true);
    expect(isBlackoutActive(YEAR_END, local(31, 12, 0, 12))).toBe(true);
    expect(isBlackoutActive(YEAR_END, local(2, 23, 59, 1, 2027))).toBe(true);
    expect(isBlackoutActive(YEAR_END, local(3, 0, 0, 1, 2027))).toBe(false);
    expect(activeBlackouts([YEAR_END], local(24, 10, 0, 12))[0]!.text).toBe('dated window 2026-12-20 → 2027-01-02: year-end freeze');
  });
  it('date-time bounds: from inclusive, to exclusive', () => {
    const r: BlackoutRule = { from: '2026-12-24T18:00', to: '2026-12-26T08:00' };
    expect(isBlackoutActive(r, local(24, 17, 59, 12))).toBe(false);
    expect(isBlackoutActive(r, local(24, 18, 0, 12))).toBe(true);
    expect(isBlackoutActive(r, local(26, 7, 59, 12))).toBe(true);
    expect(isBlackoutActive(r, local(26, 8, 0, 12))).toBe(false);
    expect(describeBlackout(r)).toBe('dated window 2026-12-24 18:00 → 2026-12-26 08:00');
  });
  it('a dated window with weekly conditions needs both', () => {
    const r: BlackoutRule = { from: '2026-12-01', to: '2026-12-31', days: ['fri'], after: '12:00' };
    expect(isBlackoutActive(r, local(4, 13, 0, 12))).toBe(true); // Friday 4 December
    expect(isBlackoutActive(r, local(4, 11, 0, 12))).toBe(false);
    expect(isBlackoutActive(r, local(27, 13, 0, 11))).toBe(false); // a Friday in November
    expect(describeBlackout(r)).toBe('dated window 2026-12-01 → 2026-12-31, Friday after 12:00');
  });
  it('an open end', () => {
    expect(isBlackoutActive({ days: ['fri'], to: '2026-11-30' }, local(27, 12))).toBe(true);
    expect(isBlackoutActive({ days: ['fri'], to: '2026-11-30' }, local(4, 12, 0, 12))).toBe(false);
    expect(describeBlackout({ days: ['fri'], to: '2026-11-30' })).toBe('dated window … → 2026-11-30, Friday');
  });
});

describe('time zones', () => {
  it('reads the wall clock in the zone given, not on this machine', () => {
    // 15:30 UTC on Friday 27 November is 16:30 in Paris (UTC+1 in winter) and 10:30 in New York.
    const now = utc('2026-11-27T15:30:00');
    expect(isBlackoutActive(FRIDAY_EVENING, now, 'UTC')).toBe(false);
    expect(isBlackoutActive(FRIDAY_EVENING, now, 'Europe/Paris')).toBe(true);
    expect(isBlackoutActive(FRIDAY_EVENING, now, 'America/New_York')).toBe(false);
    // 23:30 UTC Friday is already Saturday 00:30 in Paris.
    expect(isBlackoutActive(WEEKEND, utc('2026-11-27T23:30:00'), 'Europe/Paris')).toBe(true);
    expect(isBlackoutActive(WEEKEND, utc('2026-11-27T23:30:00'), 'UTC')).toBe(false);
  });
  it('follows summer time', () => {
    // 14:30 UTC on Friday 3 July 2026 is 16:30 in Paris (UTC+2).
    expect(isBlackoutActive(FRIDAY_EVENING, utc('2026-07-03T14:30:00'), 'Europe/Paris')).toBe(true);
    expect(isBlackoutActive(FRIDAY_EVENING, utc('2026-07-03T13:59:00'), 'Europe/Paris')).toBe(false);
  });
  it('dated windows use the zone too', () => {
    expect(isBlackoutActive(YEAR_END, utc('2026-12-19T23:30:00'), 'Europe/Paris')).toBe(true);
    expect(isBlackoutActive(YEAR_END, utc('2026-12-19T23:30:00'), 'UTC')).toBe(false);
  });
  it('an unknown zone is a clear error', () => {
    expect(() => activeBlackouts([WEEKEND], new Date(), 'Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
  });
  it('wallClock and localDate', () => {
    expect(wallClock(utc('2026-11-27T23:30:00'), 'Europe/Paris')).toEqual({
      year: 2026, month: 11, day: 28, hour: 0, minute: 30, weekday: 6, date: '2026-11-28', key: '2026-11-28T00:30',
    });
    expect(localDate(local(5, 0, 1, 1, 2027))).toBe('2027-01-05');
  });
});

describe('describeBlackout', () => {
  it('says what the rule is', () => {
    expect(describeBlackout(FRIDAY_EVENING)).toBe('Friday after 16:00');
    expect(describeBlackout(NIGHT)).toBe('Friday from 22:00 to 06:00');
    expect(describeBlackout({ days: ['sun', 'mon', 'sat'], before: '08:00' })).toBe('Monday, Saturday and Sunday before 08:00');
    expect(describeBlackout({ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], after: '20:00' })).toBe('Every day after 20:00');
    expect(describeBlackout({ from: '2026-12-20', to: '2027-01-02', after: '20:00' })).toBe('dated window 2026-12-20 → 2027-01-02, every day after 20:00');
  });
  it('malformed times are refused', () => {
    expect(() => activeBlackouts([{ days: ['fri'], after: '4pm' }], local(27, 12))).toThrow(/"4pm" is not a time/);
    expect(() => activeBlackouts([{ from: '24/12/2026', to: '2026-12-26' }], local(27, 12))).toThrow(/not a date/);
  });
});
