import { describe, expect, it } from 'vitest';
import { assessBackup, parseBackupTimestamp, type BackupRun } from '../../src/release/gate/backup.js';

const T = new Date('2026-11-23T10:00:00Z');
const EPOCH = T.getTime() / 1000; // 1795428000

function at(output: string): string {
  const r = parseBackupTimestamp(output);
  if (!r.ok) throw new Error(r.error);
  return r.at.toISOString();
}
const format = (output: string) => {
  const r = parseBackupTimestamp(output);
  return r.ok ? r.format : r.error;
};

describe('parseBackupTimestamp', () => {
  it('epoch seconds (date +%s, stat -c %Y), with a fraction or an @', () => {
    expect(at(`${EPOCH}\n`)).toBe(T.toISOString());
    expect(format(`${EPOCH}`)).toBe('epoch-seconds');
    expect(at(`${EPOCH}.250`)).toBe('2026-11-23T10:00:00.250Z');
    expect(at(`@${EPOCH}`)).toBe(T.toISOString());
  });
  it('epoch milliseconds', () => {
    expect(at(`${T.getTime()}`)).toBe(T.toISOString());
    expect(format(`${T.getTime()}`)).toBe('epoch-ms');
  });
  it('ISO 8601 in its usual forms', () => {
    expect(at('2026-11-23T10:00:00Z')).toBe(T.toISOString());
    expect(at('2026-11-23T11:00:00+01:00')).toBe(T.toISOString()); // date -Iseconds
    expect(at('2026-11-23T05:00:00-0500')).toBe(T.toISOString());
    expect(at('2026-11-23 10:00:00.123456789 +0000')).toBe('2026-11-23T10:00:00.123Z'); // stat -c %y
    expect(at('2026-11-23 11:00:00+01:00')).toBe(T.toISOString()); // date --rfc-3339=seconds
    expect(at('2026-11-23T10:00Z')).toBe(T.toISOString());
    expect(format('2026-11-23T10:00:00Z')).toBe('iso-8601');
  });
  it('a time without a zone is local time, and says so', () => {
    const r = parseBackupTimestamp('2026-11-23 10:00:00');
    expect(r).toMatchObject({ ok: true, assumedLocal: true });
    expect(r.ok && r.at.getTime()).toBe(new Date(2026, 10, 23, 10, 0, 0).getTime());
    expect(parseBackupTimestamp('2026-11-23')).toMatchObject({ ok: true, assumedLocal: true });
  });
  it('RFC 2822 (date -R)', () => {
    expect(at('Mon, 23 Nov 2026 10:00:00 +0000')).toBe(T.toISOString());
    expect(at('Mon, 23 Nov 2026 11:00:00 +0100')).toBe(T.toISOString());
    expect(at('23 Nov 2026 05:00:00 EST')).toBe(T.toISOString());
    expect(at('Mon, 23 Nov 2026 10:00:00 +0000 (UTC)')).toBe(T.toISOString());
    expect(format('Mon, 23 Nov 2026 10:00:00 +0000')).toBe('rfc-2822');
  });
  it("date's default output, in the C and other common locales", () => {
    expect(at('Mon Nov 23 10:00:00 UTC 2026')).toBe(T.toISOString());
    expect(at('Mon Nov 23 02:00:00 PST 2026')).toBe(T.toISOString());
    expect(at('Mon Nov 23 10:00:00 AM UTC 2026')).toBe(T.toISOString());
    expect(at('Mon 23 Nov 2026 10:00:00 AM UTC')).toBe(T.toISOString());
    expect(at('Mon Nov 23 11:00:00 +01 2026')).toBe(T.toISOString());
    expect(at('Mon Nov 23 12:00:00 AM UTC 2026')).toBe('2026-11-23T00:00:00.000Z');
    expect(at('Mon Nov 23 12:30:00 PM UTC 2026')).toBe('2026-11-23T12:30:00.000Z');
    expect(format('Mon Nov 23 10:00:00 UTC 2026')).toBe('date');
  });
  it('reads the last non-empty line', () => {
    expect(at(`last backup of db-main:\n${EPOCH}\n\n`)).toBe(T.toISOString());
  });
  it('refuses what is not clearly a time', () => {
    for (const bad of [
      '',
      '   \n',
      'no backups found',
      '1',
      '2026-13-01T00:00:00Z',
      '2026-02-30',
      '2026-11-23T25:00:00Z',
      'Mon Nov 23 10:00:00 2026 banana',
      'Nov 2026',
      '/var/backups/db-2026-11-23.sql.gz',
      'yesterday',
      '12:00',
    ]) {
      const r = parseBackupTimestamp(bad);
      // '1' is a (silly) epoch value: parseable, and stale; everything else must not parse.
      if (bad === '1') expect(r.ok).toBe(true);
      else expect(r.ok, bad).toBe(false);
    }
    expect(parseBackupTimestamp('')).toEqual({ ok: false, error: 'the backup command printed nothing' });
  });
  it('an ambiguous zone abbreviation is refused with a hint', () => {
    const r = parseBackupTimestamp('Mon Nov 23 11:00:00 CET 2026');
    expect(r).toMatchObject({ ok: false });
    expect(!r.ok && r.error).toMatch(/"CET" is ambiguous.*date \+%s/);
  });
});

describe('assessBackup', () => {
  const DAY = 24 * 3_600_000;
  const ok = (output: string): BackupRun => ({ output, exitCode: 0 });

  it('fresh when younger than maxAge, stale when older', () => {
    const now = new Date(T.getTime() + 3 * 3_600_000);
    expect(assessBackup(ok(`${EPOCH}`), DAY, now)).toMatchObject({ state: 'fresh', ageMs: 3 * 3_600_000, maxAgeMs: DAY, format: 'epoch-seconds' });
    expect(assessBackup(ok(`${EPOCH}`), DAY, now).detail).toBe('last backup 3h ago, at 2026-11-23T10:00:00.000Z (max 24h)');
    const later = new Date(T.getTime() + DAY + 60_000);
    const stale = assessBackup(ok(`${EPOCH}`), DAY, later);
    expect(stale).toMatchObject({ state: 'stale' });
    expect(stale.detail).toMatch(/last backup 24h01m ago, .*older than the 24h allowed/);
    expect(assessBackup(ok(`${EPOCH}`), DAY, new Date(T.getTime() + DAY)).state).toBe('fresh');
  });
  it('unparseable output is unknown, with the output quoted', () => {
    const r = assessBackup(ok('no backups found'), DAY, T);
    expect(r).toMatchObject({ state: 'unknown', output: 'no backups found' });
    expect(r.detail).toMatch(/cannot read the backup time: not a timestamp .*output: "no backups found"/);
  });
  it('a failed command is unknown, whatever it printed', () => {
    const r = assessBackup({ output: `${EPOCH}`, exitCode: 2, stderr: 'permission denied' }, DAY, T);
    expect(r.state).toBe('unknown');
    expect(r.detail).toMatch(/exited with code 2; output: .*permission denied/);
    expect(assessBackup({ output: '', exitCode: null, error: 'timed out after 1m' }, DAY, T).detail).toMatch(/backup command timed out after 1m/);
  });
  it('a time in the future is not believed (beyond a small clock skew)', () => {
    expect(assessBackup(ok(`${EPOCH + 60}`), DAY, T)).toMatchObject({ state: 'fresh', ageMs: 0 });
    const r = assessBackup(ok(`${EPOCH + 3600}`), DAY, T);
    expect(r.state).toBe('unknown');
    expect(r.detail).toMatch(/1h in the future/);
    // Milliseconds mistaken for microseconds, say: far in the future.
    expect(assessBackup(ok(`${T.getTime() * 1000}`), DAY, T).state).toBe('unknown');
  });
  it('a zoneless time says it was read as local time', () => {
    const r = assessBackup(ok('2026-11-23 10:00:00'), DAY, new Date(2026, 10, 23, 11, 0, 0));
    expect(r).toMatchObject({ state: 'fresh', assumedLocal: true });
    expect(r.detail).toMatch(/read as local time/);
  });
});
