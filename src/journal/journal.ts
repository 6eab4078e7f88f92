import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { readProcStat } from '../util/proc-stat.js';
import type * as z from 'zod/mini';

/**
 * An append-only journal: one JSON object per line, each written and fsynced before `append`
 * returns, so what the screen shows as done survives a crash, a kill -9 or a power cut. State is
 * the journal replayed; nothing else is the source of truth.
 */

export interface JournalProblem {
  line: number;
  message: string;
}

export interface ReadResult<E> {
  events: E[];
  /** Lines that did not parse or validate; they are kept in the file and reported, never fatal. */
  problems: JournalProblem[];
  /** A last line cut short by a crash, moved aside to this file (it is not lost). */
  tornSetAside?: string;
  /**
   * The highest `seq` on any line, understood or not: a line this version cannot read (written by
   * a newer hubops, say) still holds its number, and the next event must not take it again.
   */
  lastSeq: number;
  /** Where the complete lines read end (bytes): a JournalFollower goes on from there. */
  end: number;
}

/**
 * Reads and validates a journal. A torn last line (no newline at the end: the process died while
 * writing it) is moved to `<file>.torn-<n>` and cut from the journal so appends go on cleanly.
 */
export function readJournal<S extends z.ZodMiniType>(file: string, schema: S, opts: { repair?: boolean } = {}): ReadResult<z.output<S>> {
  if (!existsSync(file)) return { events: [], problems: [], lastSeq: 0, end: 0 };
  const text = readFileSync(file, 'utf8');
  const events: z.output<S>[] = [];
  const problems: JournalProblem[] = [];
  let tornSetAside: string | undefined;
  let body = text;
  if (text.length > 0 && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    const torn = text.slice(cut);
    body = text.slice(0, cut);
    const line = body.split('\n').length;
    if (opts.repair !== false) {
      let n = 1;
      while (existsSync(`${file}.torn-${n}`)) n++;
      tornSetAside = `${file}.torn-${n}`;
      writeFileSync(tornSetAside, torn);
      const fd = openSync(file, 'r+');
      try {
        ftruncateSync(fd, Buffer.byteLength(body));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      problems.push({ line, message: `torn last line (the writer died mid-line) set aside in ${tornSetAside}` });
    } else {
      problems.push({ line, message: 'torn last line (still being written, or the writer died mid-line)' });
    }
  }
  const lines = body.split('\n');
  let lastSeq = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    if (raw.trim() === '') continue;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      problems.push({ line: i + 1, message: `not JSON: ${(err as Error).message}` });
      continue;
    }
    lastSeq = Math.max(lastSeq, seqOf(json));
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      problems.push({ line: i + 1, message: `${issue.path.join('.') || 'event'}: ${issue.message}` });
      continue;
    }
    events.push(parsed.data);
  }
  return { events, problems, tornSetAside, lastSeq, end: Buffer.byteLength(body) };
}

/** A journal line's `seq`, read without its schema; 0 when it has none. */
export function seqOf(json: unknown): number {
  const seq = typeof json === 'object' && json !== null ? (json as { seq?: unknown }).seq : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq > 0 ? seq : 0;
}

/** The writing end. One writer per journal: see `acquireLock`. */
export class JournalWriter<E extends object> {
  private fd: number;

  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
  }

  /** Appends one event and returns once it is on disk (written and fsynced). */
  append(event: E): void {
    const line = `${JSON.stringify(event)}\n`;
    const buf = Buffer.from(line);
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * Follows a journal another process writes (a second engineer watching): reads complete new lines
 * as they land. Polling, because fs.watch misses events on some filesystems and over NFS.
 */
export class JournalFollower {
  /**
   * Where the first line not delivered yet starts. A partial last line is read again on the next
   * poll rather than kept: the writer that takes over after a crash cuts a torn line away and
   * appends after it, and a kept fragment would be glued to what it appends.
   */
  private offset = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly file: string,
    private readonly onLine: (json: unknown, raw: string) => void,
    private readonly intervalMs = 500,
  ) {}

  /** Reads what is there now; returns the number of complete lines delivered. */
  poll(): number {
    if (!existsSync(this.file)) return 0;
    const fd = openSync(this.file, 'r');
    let delivered = 0;
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        // Cut below what was delivered (not done by hubops): go on from its new end.
        this.offset = size;
        return 0;
      }
      if (size === this.offset) return 0;
      const buf = Buffer.alloc(size - this.offset);
      let got = 0;
      while (got < buf.length) {
        const n = readSync(fd, buf, got, buf.length - got, this.offset + got);
        if (n <= 0) break;
        got += n;
      }
      const end = buf.subarray(0, got).lastIndexOf(0x0a);
      if (end < 0) return 0; // only a partial line so far
      for (const raw of buf.subarray(0, end).toString('utf8').split('\n')) {
        if (raw.trim() === '') continue;
        try {
          this.onLine(JSON.parse(raw), raw);
          delivered++;
        } catch {
          /* a bad line is reported by readJournal on the writer's side */
        }
      }
      this.offset += end + 1;
    } finally {
      closeSync(fd);
    }
    return delivered;
  }

  /**
   * Goes on from `offset` bytes in: where the readJournal that replayed the file stopped
   * (ReadResult.end), so a line appended since is delivered, not skipped.
   */
  from(offset: number): this {
    this.offset = offset;
    return this;
  }

  start(): void {
    this.timer = setInterval(() => this.poll(), this.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

export interface LockInfo {
  pid: number;
  host: string;
  user: string;
  at: string;
  /** When the process started (/proc/<pid>/stat, field 22), so that a reused pid is not taken for the holder. */
  start?: number;
}

export type LockResult = { ok: true; release: () => void } | { ok: false; heldBy: LockInfo };

/** What a released lock's generation holds (a holder leaves it on top when it lets go). */
const RELEASED = 'released\n';

/**
 * One writer per journal: `<file>.lock` holds pid, host and user. A lock left by a dead process on
 * this host is taken over; one held by a live process (or by another host, which we cannot check)
 * is not, and the caller opens the journal read-only and follows it.
 *
 * Two consoles may find the same dead holder at the same moment, and a file cannot be swapped for
 * another atomically, so a lock is never replaced: the lock is a series of generations
 * (`<file>.lock`, `<file>.lock.1`, …) and the newest one says who holds it. Taking over from a dead
 * holder, or after a release, is creating the next generation, which only one process can do
 * (link fails if it exists); each lock is written whole to a file of its own and linked into place,
 * so none is ever seen half-written. Letting go is linking a `released` generation on top.
 * Generations are never removed, so there is no gap: the newest is found by looking for each in
 * turn (a stat each, exact even while others write, where a directory listing taken meanwhile may
 * miss a new entry), and N+1 can only be made by one who saw N. A few small files per session stay.
 */
export function acquireLock(file: string, me: Omit<LockInfo, 'at'>, now: () => Date = () => new Date(), isAlive: (pid: number, start?: number) => boolean = holderAlive): LockResult {
  mkdirSync(dirname(file), { recursive: true });
  const start = me.start ?? (me.pid === process.pid ? readProcStat(me.pid)?.startTicks : undefined);
  const mine = JSON.stringify({ ...me, ...(start !== undefined ? { start } : {}), at: now().toISOString() } satisfies LockInfo);
  let held: LockInfo | undefined;
  for (let attempt = 0; attempt < 5; attempt++) {
    const top = newestGeneration(file);
    if (top !== undefined) {
      const seen = readLock(lockPath(file, top));
      if (seen === undefined) continue; // removed by hand meanwhile: look again
      if (seen !== RELEASED) {
        held = parseLock(seen);
        // Unreadable: not written by this version (ours appear whole), so its holder is unknown: stale.
        if (held !== undefined && stillHeld(held, me.host, isAlive)) return { ok: false, heldBy: held };
      }
    }
    const g = top === undefined ? 0 : top + 1;
    const path = lockPath(file, g);
    if (!linkLock(path, mine)) continue; // another process made it first: look again
    return {
      ok: true,
      release: () => {
        // Only our own lock, compared whole (pids are reused), and only while it is the newest.
        if (readLock(path) !== mine || newestGeneration(file) !== g) return;
        linkLock(lockPath(file, g + 1), RELEASED);
      },
    };
  }
  return { ok: false, heldBy: held ?? { pid: 0, host: '?', user: '?', at: '' } };
}

/**
 * Whether the holder of a lock, seen from `host`, still holds it: one on another host always does
 * (its process cannot be checked from here); one on this host while its process lives.
 */
export function stillHeld(held: LockInfo, host: string, isAlive: (pid: number, start?: number) => boolean): boolean {
  return held.host !== host || isAlive(held.pid, held.start);
}

/**
 * Who holds the journal's lock now (its newest generation), alive or not; undefined when nobody
 * does (never taken, or released).
 */
export function lockHolder(file: string): LockInfo | undefined {
  const top = newestGeneration(file);
  if (top === undefined) return undefined;
  const text = readLock(lockPath(file, top));
  return text === undefined || text === RELEASED ? undefined : parseLock(text);
}

function lockPath(file: string, generation: number): string {
  return generation === 0 ? `${file}.lock` : `${file}.lock.${generation}`;
}

/**
 * The newest generation found last time, per journal: generations are never removed and have no
 * gaps, so the search can go on from there (a watcher looks every second; each session adds two).
 */
const knownGeneration = new Map<string, number>();

/** The newest generation of the lock (they have no gaps), or undefined when there is none. */
function newestGeneration(file: string): number | undefined {
  if (!existsSync(lockPath(file, 0))) return undefined;
  const known = knownGeneration.get(file) ?? 0;
  let g = existsSync(lockPath(file, known)) ? known : 0;
  while (existsSync(lockPath(file, g + 1))) g++;
  knownGeneration.set(file, g);
  return g;
}

function readLock(lock: string): string | undefined {
  try {
    return readFileSync(lock, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    if (typeof v.pid !== 'number' || typeof v.host !== 'string') return undefined;
    const info: LockInfo = { pid: v.pid, host: v.host, user: String(v.user ?? '?'), at: String(v.at ?? '') };
    if (typeof v.start === 'number') info.start = v.start;
    return info;
  } catch {
    return undefined;
  }
}

let lockFiles = 0;

/** Creates `lock` holding `text`, whole, or returns false when it exists. */
function linkLock(lock: string, text: string): boolean {
  // Unique among live processes (pid) and within this one (counter). One of that name can only be
  // a leftover of a dead process that had our pid: it is ours to replace.
  const tmp = `${lock}.${process.pid}.${++lockFiles}.new`;
  let fd: number;
  try {
    fd = openSync(tmp, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    unlinkSync(tmp);
    fd = openSync(tmp, 'wx');
  }
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(tmp, lock);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** The lock's holder is alive: its pid is, and (when the lock says) it is the same process. */
export function holderAlive(pid: number, start?: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // One read of /proc/<pid>/stat for both: a zombie is gone, another start time is another process.
  const st = readProcStat(pid);
  if (st === undefined) return true; // no /proc: answering kill(0) is all there is
  if (st.state === 'Z' || st.state === 'X') return false;
  return start === undefined || st.startTicks === start;
}
