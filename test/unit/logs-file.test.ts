import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FilePosition,
  TAIL_MARK,
  classifyTailOutput,
  resumeMode,
  tailFromCommand,
  tailResumeCommand,
  tailStartCommand,
} from '../../src/logs/file-logs.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hol-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a command with `tail` replaced by `echo tail` so it ends at once and shows its argv. */
function dry(cmd: string): string[] {
  const fake = cmd.replace('exec tail ', 'exec echo TAIL ');
  return execFileSync('sh', ['-c', fake], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

describe('tail commands', () => {
  const weird = path.join(dir, "it's a -file $(x) `y`.log");
  writeFileSync(weird, Array.from({ length: 250 }, (_, i) => `l${i + 1}`).join('\n') + '\n');

  it('start: last N lines with their line number, quoting any path', () => {
    const out = dry(tailStartCommand(weird, 200));
    expect(out[0]).toBe(`${TAIL_MARK} start 51`);
    expect(out[1]).toBe(`TAIL -n +51 -F -- ${weird}`);
    expect(dry(tailStartCommand(weird, 1000))[0]).toBe(`${TAIL_MARK} start 1`);
  });

  it('start on a missing file: line 1 (tail -F waits for it)', () => {
    expect(dry(tailStartCommand(path.join(dir, 'nope.log'), 200))[0]).toBe(`${TAIL_MARK} start 1`);
  });

  it('resume: prints the file length and the text of the last line we have, then tails after it', () => {
    const out = dry(tailResumeCommand(weird, 120));
    expect(out[0]).toBe(`${TAIL_MARK} check 250 l120`);
    expect(out[1]).toBe(`TAIL -n +121 -F -- ${weird}`);
    expect(classifyTailOutput(out[0]!)).toEqual({ kind: 'check', lines: 250, text: 'l120' });
    expect(dry(tailResumeCommand(path.join(dir, 'nope.log'), 3))[0]).toBe(`${TAIL_MARK} check 0 `);
  });

  it('from: a given line', () => {
    expect(dry(tailFromCommand(weird, 7))).toEqual([`${TAIL_MARK} start 7`, `TAIL -n +7 -F -- ${weird}`]);
  });
});

describe('classifyTailOutput', () => {
  it.each([
    ["tail: 'a.log' has been replaced;  following new file", 'reset'],
    ["tail: 'a.log' has appeared;  following new file", 'reset'],
    ['tail: a.log: file truncated', 'reset'],
    ['tail: a.log has been replaced; following end of new file', 'reset'],
    ["tail: 'a.log' has become inaccessible: No such file or directory", 'notice'],
    ["tail: cannot open 'a.log' for reading: No such file or directory", 'notice'],
    ['tail: a.log has been renamed or deleted: No such file or directory', 'notice'],
    ['tail: something our app logs', 'line'],
    ['GET / 200', 'line'],
    [`${TAIL_MARK} start 12`, 'start'],
  ])('%s → %s', (text, kind) => {
    expect(classifyTailOutput(text).kind).toBe(kind);
  });
});

describe('resume bookkeeping', () => {
  const initial = { kind: 'last' as const, lines: 200 };
  it('before any start marker: the initial command again', () => {
    expect(resumeMode(new FilePosition(), initial)).toEqual(initial);
  });
  it('after lines: resume after the last one, with a check', () => {
    const p = new FilePosition();
    Object.assign(p, { known: true, line: 42, lastText: 'x' });
    expect(resumeMode(p, initial)).toEqual({ kind: 'after', line: 42 });
  });
  it('started but no line of this file seen yet: from the line after', () => {
    const p = new FilePosition();
    Object.assign(p, { known: true, line: 50, lastText: undefined });
    expect(resumeMode(p, initial)).toEqual({ kind: 'from', line: 51 });
    Object.assign(p, { line: 0 });
    expect(resumeMode(p, initial)).toEqual({ kind: 'from', line: 1 });
  });
  it('the check: same line → resume; shorter file or other text → rotated; a line cut by the drop → resume', () => {
    const p = new FilePosition();
    Object.assign(p, { known: true, line: 10, lastText: 'line-10' });
    expect(p.matches(12, 'line-10')).toBe(true);
    expect(p.matches(5, '')).toBe(false);
    expect(p.matches(12, 'other')).toBe(false);
    Object.assign(p, { lastText: 'line-1' });
    expect(p.matches(12, 'line-10')).toBe(true);
  });
});
