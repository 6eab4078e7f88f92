import { existsSync, readdirSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { acquireLock, holderAlive, JournalFollower, JournalWriter, lockHolder, readJournal, stillHeld, type JournalProblem, type LockInfo } from '../journal/journal.js';
import { slugify } from './clock.js';
import { incidentEventSchema, type IncidentEvent, type NewIncidentEvent, type Sev } from './events.js';
import { incidentReducer, replayIncident, type IncidentState } from './state.js';

export function whoAmI(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** Local time with its offset, so the journal reads right wherever it is opened. */
export function isoLocal(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const pad = (n: number, w = 2) => String(Math.abs(n)).padStart(w, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}${sign}${pad(Math.floor(Math.abs(off) / 60))}:${pad(Math.abs(off) % 60)}`;
}

export const incidentsDir = (journalDir: string) => join(journalDir, 'incidents');

export interface IncidentSummary {
  id: string;
  file: string;
  state: IncidentState;
}

/** Every incident in the journal folder, newest first. */
export function listIncidents(journalDir: string): IncidentSummary[] {
  const dir = incidentsDir(journalDir);
  if (!existsSync(dir)) return [];
  const out: IncidentSummary[] = [];
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.jsonl'))) {
    const file = join(dir, name);
    const { events } = readJournal(file, incidentEventSchema, { repair: false });
    const state = replayIncident(events);
    if (state) out.push({ id: state.id, file, state });
  }
  return out.sort((a, b) => Date.parse(b.state.startedAt) - Date.parse(a.state.startedAt));
}

/**
 * One incident, backed by its journal. The writer holds the lock; a second hubops on the same
 * incident gets a read-only session that follows the journal live.
 */
export class IncidentSession {
  private listeners = new Set<() => void>();
  private writer: JournalWriter<IncidentEvent> | undefined;
  private follower: JournalFollower | undefined;
  private releaseLock: (() => void) | undefined;
  private holder: LockInfo | undefined;
  /** The highest seq in the journal, lines this version cannot read included (see ReadResult.lastSeq). */
  private lastSeq: number;

  private constructor(
    readonly file: string,
    private current: IncidentState,
    readonly problems: JournalProblem[],
    private readonly me: string,
    private readonly now: () => number,
    lock: { ok: true; release: () => void } | { ok: false; heldBy: LockInfo | undefined },
    /** What the journal's reading found: the highest seq, and where its complete lines end. */
    read: { lastSeq: number; end: number },
    /** Opened with --readonly: never writes, whoever holds the incident. */
    private readonly watchOnly = false,
  ) {
    this.lastSeq = read.lastSeq;
    if (lock.ok) {
      this.releaseLock = lock.release;
      this.writer = new JournalWriter(file);
    } else {
      this.holder = lock.heldBy;
      this.follower = new JournalFollower(file, (json) => {
        const parsed = incidentEventSchema.safeParse(json);
        if (parsed.success && parsed.data.seq > this.current.seq) {
          this.current = incidentReducer(this.current, parsed.data);
          this.notify();
        }
      });
      this.follower.from(read.end).start();
    }
  }

  get state(): IncidentState {
    return this.current;
  }

  get readonly(): boolean {
    return this.writer === undefined;
  }

  /** Who holds the incident, when this session is read-only because of them. */
  get heldBy(): LockInfo | undefined {
    return this.holder;
  }

  /**
   * A read-only session whose incident nobody leads any more: its writer's console has stopped
   * (dead on this host) or quit. Returns who held it last (undefined: nobody holds a lock), or
   * false while someone leads it, or when this session may not write (--readonly).
   */
  leaderGone(isAlive: (pid: number, start?: number) => boolean = holderAlive): { last: LockInfo | undefined } | false {
    if (this.writer || this.watchOnly) return false;
    const held = lockHolder(this.file);
    if (held && stillHeld(held, lockOwner(this.me).host, isAlive)) {
      this.holder = held;
      return false;
    }
    return { last: held ?? this.holder };
  }

  /**
   * Makes this read-only session the incident's writer, when nobody else holds it. Everything the
   * last writer put in the journal is read first (a line it was cut off in the middle of is set
   * aside, not lost), so this session goes on from exactly there.
   */
  takeLead(): { ok: true; tornSetAside?: string } | { ok: false; heldBy: LockInfo } {
    if (this.writer) return { ok: true };
    if (this.watchOnly) return { ok: false, heldBy: { ...lockOwner(this.me), at: '' } };
    const lock = acquireLock(this.file, lockOwner(this.me));
    if (!lock.ok) {
      this.holder = lock.heldBy;
      return lock;
    }
    let read: ReturnType<typeof readJournal<typeof incidentEventSchema>>;
    let writer: JournalWriter<IncidentEvent>;
    try {
      read = readJournal(this.file, incidentEventSchema, { repair: true });
      writer = new JournalWriter(this.file);
    } catch (err) {
      // Still watching, and nobody's writer: the lock goes back.
      lock.release();
      throw err;
    }
    this.follower?.stop();
    this.follower = undefined;
    const state = replayIncident(read.events);
    if (state) this.current = state;
    this.lastSeq = read.lastSeq;
    this.releaseLock = lock.release;
    this.writer = writer;
    this.holder = undefined;
    this.notify();
    return read.tornSetAside ? { ok: true, tornSetAside: read.tornSetAside } : { ok: true };
  }

  static declare(journalDir: string, input: { sev: Sev; title: string; symptom?: string; service?: string; env?: string }, opts: { me?: string; now?: () => number } = {}): IncidentSession {
    const now = opts.now ?? Date.now;
    const me = opts.me ?? whoAmI();
    const day = isoLocal(now()).slice(0, 10);
    const base = `${day}-${slugify(input.title)}`;
    let id = base;
    for (let n = 2; existsSync(join(incidentsDir(journalDir), `${id}.jsonl`)); n++) id = `${base}-${n}`;
    const file = join(incidentsDir(journalDir), `${id}.jsonl`);
    const lock = acquireLock(file, lockOwner(me));
    if (!lock.ok) throw new Error(`incident ${id} is locked by ${lock.heldBy.user}@${lock.heldBy.host} (pid ${lock.heldBy.pid})`);
    const declared: IncidentEvent = {
      v: 1,
      seq: 1,
      at: isoLocal(now()),
      by: me,
      type: 'declared',
      id,
      sev: input.sev,
      title: input.title,
      symptom: input.symptom ?? '',
      service: input.service ?? '',
      env: input.env ?? '',
    };
    const writer = new JournalWriter<IncidentEvent>(file);
    writer.append(declared);
    writer.close();
    return new IncidentSession(file, replayIncident([declared])!, [], me, now, lock, { lastSeq: declared.seq, end: 0 });
  }

  /**
   * Opens an existing incident: for writing if nobody else holds it, else read-only and following.
   * `readonly` (--readonly) never writes; `follow` opens it read-only without trying the lock, and
   * takeLead() may make it the writer later.
   */
  static open(file: string, opts: { me?: string; now?: () => number; readonly?: boolean; follow?: boolean } = {}): IncidentSession {
    const me = opts.me ?? whoAmI();
    const now = opts.now ?? Date.now;
    const lock = opts.readonly
      ? ({ ok: false, heldBy: { ...lockOwner(me), at: '' } } as const)
      : opts.follow
        ? ({ ok: false, heldBy: lockHolder(file) } as const)
        : acquireLock(file, lockOwner(me));
    // Repair (set a torn line aside) only as the writer: a watcher must not cut a line being written.
    const read = readJournal(file, incidentEventSchema, { repair: lock.ok });
    const state = replayIncident(read.events);
    if (!state) {
      if (lock.ok) lock.release();
      throw new Error(`${file}: no incident in this journal (the first line must be a "declared" event)`);
    }
    return new IncidentSession(file, state, read.problems, me, now, lock, read, opts.readonly === true);
  }

  /** Appends an event (fsynced) and returns the new state; the screen moves on only after this. */
  record(e: NewIncidentEvent): IncidentState {
    if (!this.writer) throw new Error(`read-only: ${this.heldBy ? `${this.heldBy.user}@${this.heldBy.host} holds this incident` : 'opened for watching'}`);
    const full = { v: 1, seq: this.lastSeq + 1, at: isoLocal(this.now()), by: this.me, ...e } as IncidentEvent;
    this.writer.append(full);
    this.lastSeq = full.seq;
    this.current = incidentReducer(this.current, full);
    this.notify();
    return this.current;
  }

  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(): void {
    for (const l of this.listeners) l();
  }

  close(): void {
    this.follower?.stop();
    this.writer?.close();
    this.writer = undefined;
    this.releaseLock?.();
  }
}

function lockOwner(me: string): Omit<LockInfo, 'at'> {
  const [user = 'unknown', host = hostname()] = me.split('@');
  return { pid: process.pid, host, user };
}
