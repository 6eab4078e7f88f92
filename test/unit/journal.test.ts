import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { build } from 'esbuild';
import { acquireLock, holderAlive, JournalFollower, JournalWriter, lockHolder, readJournal } from '../../src/journal/journal.js';
import { pidAlive, readProcStat } from '../../src/util/proc-stat.js';
import { waitFor } from '../fixtures/procs.js';

const Event = z.object({ seq: z.number().int(), kind: z.string() });
const dir = () => mkdtempSync(join(tmpdir(), 'hubops-journal-'));

describe('journal', () => {
  it('appends lines and reads them back validated', () => {
    const file = join(dir(), 'j.jsonl');
    const w = new JournalWriter<{ seq: number; kind: string }>(file);
    w.append({ seq: 1, kind: 'a' });
    w.append({ seq: 2, kind: 'b' });
    w.close();
    expect(readFileSync(file, 'utf8')).toBe('{"seq":1,"kind":"a"}\n{"seq":2,"kind":"b"}\n');
    expect(readJournal(file, Event)).toEqual({ events: [{ seq: 1, kind: 'a' }, { seq: 2, kind: 'b' }], problems: [], tornSetAside: undefined, lastSeq: 2, end: 42 });
  });

  it('sets a torn last line aside, reports it, and appends cleanly after', () => {
    const file = join(dir(), 'j.jsonl');
    writeFileSync(file, '{"seq":1,"kind":"a"}\n{"seq":2,"ki');
    const r = readJournal(file, Event);
    expect(r.events).toEqual([{ seq: 1, kind: 'a' }]);
    expect(r.problems).toEqual([{ line: 2, message: `torn last line (the writer died mid-line) set aside in ${file}.torn-1` }]);
    expect(readFileSync(`${file}.torn-1`, 'utf8')).toBe('{"seq":2,"ki');
    const w = new JournalWriter(file);
    w.append({ seq: 2, kind: 'b' });
    w.close();
    expect(readJournal(file, Event).events).toHaveLength(2);
  });

  it('reports an invalid line with its number and keeps the others', () => {
    const file = join(dir(), 'j.jsonl');
    writeFileSync(file, '{"seq":1,"kind":"a"}\nnot json\n{"seq":"x","kind":"b"}\n{"seq":4,"kind":"d"}\n');
    const r = readJournal(file, Event);
    expect(r.events.map((e) => e.seq)).toEqual([1, 4]);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3]);
    expect(r.problems[1]!.message).toMatch(/^seq: /);
    expect(r.lastSeq).toBe(4);
    // A line the schema refuses still holds its number: the next writer must not reuse it.
    writeFileSync(file, '{"seq":1,"kind":"a"}\n{"seq":7,"kind":5}\n');
    const later = readJournal(file, Event);
    expect(later.events.map((e) => e.seq)).toEqual([1]);
    expect(later.lastSeq).toBe(7);
  });

  it('keeps every acknowledged event through a kill -9 of the writer', async () => {
    const file = join(dir(), 'j.jsonl');
    // A real process appends as fast as it can and says which seq is on disk; we kill -9 it.
    const bundled = join(dir(), 'journal.mjs');
    await build({ entryPoints: [new URL('../../src/journal/journal.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: bundled, logLevel: 'error' });
    const src = `
      const { JournalWriter } = await import(${JSON.stringify(bundled)});
      const w = new JournalWriter(${JSON.stringify(file)});
      for (let i = 1; ; i++) { w.append({ seq: i, kind: 'x'.repeat(200) }); process.stdout.write(i + '\\n'); }`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acked = 0;
    child.stdout.on('data', (d: Buffer) => {
      const nums = d.toString().trim().split('\n').map(Number);
      acked = Math.max(acked, ...nums);
    });
    const exited = new Promise((r) => child.on('exit', r));
    // Killed once it has written a while (waited for: a busy machine can take over 700 ms just to
    // start node), not after a fixed 700 ms.
    await waitFor(() => acked > 1_000, { what: 'the writer to append 1000 events', timeoutMs: 20_000 });
    child.kill('SIGKILL');
    await exited;
    expect(acked).toBeGreaterThan(10);
    const r = readJournal(file, Event);
    const seqs = r.events.map((e) => e.seq);
    expect(seqs.length).toBeGreaterThanOrEqual(acked);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
  });

  it('lets one writer hold the lock; a dead holder on this host is taken over', () => {
    const file = join(dir(), 'j.jsonl');
    const me = { pid: process.pid, host: hostname(), user: 'me' };
    const a = acquireLock(file, me);
    expect(a.ok).toBe(true);
    const b = acquireLock(file, { ...me, pid: process.pid + 1 }, undefined, () => true);
    expect(b).toMatchObject({ ok: false, heldBy: { pid: process.pid, host: hostname() } });
    // The holder died: its lock is stale.
    const c = acquireLock(file, { ...me, pid: 42 }, undefined, (pid) => pid !== process.pid);
    expect(c.ok).toBe(true);
    // Another host's lock cannot be checked, so it is respected.
    const d = acquireLock(file, { ...me, host: 'elsewhere' }, undefined, () => false);
    expect(d.ok).toBe(false);
    // Taking over made the lock's next generation, beside the dead one's.
    const locks = () => readdirSync(dirname(file)).filter((n) => n.startsWith('j.jsonl.lock')).sort();
    expect(locks()).toEqual(['j.jsonl.lock', 'j.jsonl.lock.1']);
    expect(lockHolder(file)).toMatchObject({ pid: 42 });
    // The dead holder's release (were it to come back) touches nothing: the lock is not its own.
    if (a.ok) a.release();
    expect(lockHolder(file)).toMatchObject({ pid: 42 });
    // Letting go leaves a released generation on top: nobody holds it, and the dead one does not come back.
    if (c.ok) c.release();
    expect(locks()).toEqual(['j.jsonl.lock', 'j.jsonl.lock.1', 'j.jsonl.lock.2']);
    expect(lockHolder(file)).toBeUndefined();
    const e = acquireLock(file, me);
    expect(e.ok).toBe(true);
    expect(locks()).toHaveLength(4);
    expect(lockHolder(file)).toMatchObject({ pid: process.pid, start: expect.any(Number) });
    if (e.ok) e.release();
    expect(lockHolder(file)).toBeUndefined();
  });

  it('a reused pid does not pass for the holder: the lock records when its process started', () => {
    const file = join(dir(), 'j.jsonl');
    const me = { pid: process.pid, host: hostname(), user: 'me' };
    // A lock left by an earlier process that had our pid.
    writeFileSync(`${file}.lock`, JSON.stringify({ ...me, at: '2026-01-01T00:00:00.000Z', start: 1 }));
    expect(holderAlive(process.pid, 1)).toBe(false);
    expect(holderAlive(process.pid, readProcStat(process.pid)?.startTicks)).toBe(true);
    const r = acquireLock(file, { ...me, user: 'new' });
    expect(r.ok).toBe(true);
    expect(lockHolder(file)).toMatchObject({ user: 'new' });
  });

  it('a stale lock taken over by several processes at once goes to exactly one of them', async () => {
    const base = dir();
    const file = join(base, 'j.jsonl');
    const bundled = join(base, 'journal.mjs');
    await build({ entryPoints: [new URL('../../src/journal/journal.ts', import.meta.url).pathname], bundle: true, platform: 'node', format: 'esm', outfile: bundled, logLevel: 'error' });
    const ROUNDS = 15;
    const TAKERS = 6;
    // Each taker waits for round r's go file, spins to the instant it names, tries, and says how it went.
    const src = `
      import { existsSync, readFileSync } from 'node:fs';
      import { hostname } from 'node:os';
      const { acquireLock } = await import(${JSON.stringify(bundled)});
      for (let r = 0; r < ${ROUNDS}; r++) {
        const go = ${JSON.stringify(base)} + '/go-' + r;
        while (!existsSync(go)) await new Promise((ok) => setTimeout(ok, 1));
        const at = Number(readFileSync(go, 'utf8'));
        while (Date.now() < at) {}
        const got = acquireLock(${JSON.stringify(file)}, { pid: process.pid, host: hostname(), user: 'taker' });
        process.stdout.write(r + ' ' + (got.ok ? 'ok' : 'held') + '\\n');
      }
      // Alive until killed: a winner that exited would leave a stale lock, rightly taken over by a
      // slower taker of the same round.
      setInterval(() => {}, 60_000);`;
    const out: string[][] = Array.from({ length: ROUNDS }, () => []);
    const takers = Array.from({ length: TAKERS }, () => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', src], { stdio: ['ignore', 'pipe', 'inherit'] });
      let carry = '';
      child.stdout.on('data', (d: Buffer) => {
        const lines = (carry + d.toString()).split('\n');
        carry = lines.pop()!;
        for (const l of lines) {
          const [r, what] = l.split(' ');
          out[Number(r)]!.push(what!);
        }
      });
      return { child, exited: new Promise((ok) => child.on('exit', ok)) };
    });
    try {
      // A holder that is certainly dead: a process that has exited and been reaped.
      const dead = spawn('true');
      await new Promise((ok) => dead.on('exit', ok));
      const stale = JSON.stringify({ pid: dead.pid, host: hostname(), user: 'crashed', at: '2026-01-01T00:00:00.000Z' });
      const locks = () => readdirSync(base).filter((n) => /^j\.jsonl\.lock(\.\d+)?$/.test(n));
      for (let r = 0; r < ROUNDS; r++) {
        for (const n of locks()) rmSync(join(base, n));
        writeFileSync(`${file}.lock`, stale);
        writeFileSync(join(base, `go-${r}`), String(Date.now() + 150));
        const t0 = Date.now();
        while (out[r]!.length < TAKERS && Date.now() - t0 < 20_000) await new Promise((ok) => setTimeout(ok, 5));
        expect(out[r]!.length, `round ${r}: every taker answered`).toBe(TAKERS);
        expect(out[r]!.filter((w) => w === 'ok').length, `round ${r}: ${out[r]!.join(' ')}`).toBe(1);
        // The newest lock on disk is the winner's: a live taker.
        expect(locks().sort()).toEqual(['j.jsonl.lock', 'j.jsonl.lock.1']);
        const held = JSON.parse(readFileSync(`${file}.lock.1`, 'utf8')) as { pid: number; user: string };
        expect(held.user).toBe('taker');
        expect(pidAlive(held.pid)).toBe(true);
      }
    } finally {
      for (const t of takers) t.child.kill('SIGKILL');
      await Promise.all(takers.map((t) => t.exited));
    }
  }, 60_000);

  it('follows lines another writer appends, complete lines only', () => {
    const file = join(dir(), 'j.jsonl');
    writeFileSync(file, '{"seq":1,"kind":"a"}\n');
    const seen: unknown[] = [];
    const f = new JournalFollower(file, (j) => seen.push(j)).from(readJournal(file, Event).end);
    appendFileSync(file, '{"seq":2,"kind":"b"}\n{"seq":3,');
    expect(f.poll()).toBe(1);
    appendFileSync(file, '"kind":"c"}\n');
    expect(f.poll()).toBe(1);
    expect(seen).toEqual([{ seq: 2, kind: 'b' }, { seq: 3, kind: 'c' }]);
  });

  it('a follower started from where a reading ended delivers what was appended after it', () => {
    const file = join(dir(), 'j.jsonl');
    writeFileSync(file, '{"seq":1,"kind":"a"}\n{"seq":2,"ki');
    const read = readJournal(file, Event, { repair: false });
    expect(read.events).toHaveLength(1);
    // Written between the reading and the follower's first look (the torn line finished, one more).
    appendFileSync(file, 'nd":"b"}\n{"seq":3,"kind":"c"}\n');
    const seen: unknown[] = [];
    expect(new JournalFollower(file, (j) => seen.push(j)).from(read.end).poll()).toBe(2);
    expect(seen).toEqual([{ seq: 2, kind: 'b' }, { seq: 3, kind: 'c' }]);
  });

  it('a torn line cut away by the writer that takes over is not glued to what it appends next', () => {
    const file = join(dir(), 'j.jsonl');
    writeFileSync(file, '{"seq":1,"kind":"a"}\n');
    const seen: unknown[] = [];
    const f = new JournalFollower(file, (j) => seen.push(j)).from(readJournal(file, Event).end);
    // The first writer dies in the middle of a line; a follower looks meanwhile.
    appendFileSync(file, '{"seq":2,"kind":"to');
    expect(f.poll()).toBe(0);
    // The next writer sets the torn line aside (readJournal with repair) and appends.
    expect(readJournal(file, Event, { repair: true }).problems).toHaveLength(1);
    appendFileSync(file, '{"seq":2,"kind":"took the lead"}\n');
    expect(f.poll()).toBe(1);
    expect(seen).toEqual([{ seq: 2, kind: 'took the lead' }]);
  });
});

describe('pidAlive', () => {
  it('counts a zombie (killed, not reaped yet) as dead, so its lock is taken over', async () => {
    // `sleep 0.1 &` is a child of the shell, which then becomes `sleep 5`: nobody reaps it.
    const parent = spawn('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], { stdio: ['ignore', 'pipe', 'ignore'] });
    const zombie = await new Promise<number>((resolve) => parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim()))));
    try {
      // Waited for: on a busy machine `sleep 0.1` may take longer than 400 ms to start and end.
      await waitFor(() => readProcStat(zombie)?.state === 'Z', { what: `pid ${zombie} to be a zombie`, timeoutMs: 10_000 });
      expect(() => process.kill(zombie, 0)).not.toThrow();
      expect(pidAlive(zombie)).toBe(false);
      expect(holderAlive(zombie)).toBe(false);
      expect(pidAlive(process.pid)).toBe(true);
    } finally {
      parent.kill('SIGKILL');
    }
  });
});
