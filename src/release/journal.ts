import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, JournalWriter, readJournal, type LockInfo } from '../journal/journal.js';
import { isoLocal, whoAmI } from '../incident/session.js';
import { releaseEventSchema, type NewReleaseEvent, type ReleaseEvent } from './events.js';

export const releasesDir = (journalDir: string) => join(journalDir, 'releases');

/** A release's journal: every event stamped (seq, time, who) and fsynced before it counts. */
export class ReleaseJournal {
  private writer: JournalWriter<ReleaseEvent>;
  private seq: number;
  private release: () => void;
  readonly events: ReleaseEvent[];
  /** Told of every event once it is on disk (the console's release panel follows the run this way). */
  onRecord?: (e: ReleaseEvent) => void;

  private constructor(readonly file: string, events: ReleaseEvent[], lastSeq: number, release: () => void, private readonly now: () => number, private readonly me: string) {
    this.events = events;
    this.seq = lastSeq;
    this.writer = new JournalWriter(file);
    this.release = release;
  }

  static open(file: string, opts: { now?: () => number; me?: string } = {}): ReleaseJournal {
    const me = opts.me ?? whoAmI();
    const [user = 'unknown', host = ''] = me.split('@');
    const lock = acquireLock(file, { pid: process.pid, host, user });
    if (!lock.ok) throw new LockedError(lock.heldBy);
    const { events, lastSeq } = readJournal(file, releaseEventSchema);
    return new ReleaseJournal(file, events, lastSeq, lock.release, opts.now ?? Date.now, me);
  }

  record(e: NewReleaseEvent): ReleaseEvent {
    const full = { v: 1, seq: ++this.seq, at: isoLocal(this.now()), by: this.me, ...e } as ReleaseEvent;
    this.writer.append(full);
    this.events.push(full);
    this.onRecord?.(full);
    return full;
  }

  get by(): string {
    return this.me;
  }

  close(): void {
    this.writer.close();
    this.release();
  }
}

export class LockedError extends Error {
  constructor(readonly heldBy: LockInfo) {
    super(`this release is being run by ${heldBy.user}@${heldBy.host} (pid ${heldBy.pid}) since ${heldBy.at}`);
  }
}

/** The newest release journal whose last event is not a verdict, if any. */
export function unfinishedRelease(journalDir: string): string | undefined {
  const dir = releasesDir(journalDir);
  if (!existsSync(dir)) return undefined;
  const files = readdirSync(dir)
    .filter((n) => n.endsWith('.jsonl'))
    .map((n) => join(dir, n))
    .sort()
    .reverse();
  for (const f of files) {
    const { events } = readJournal(f, releaseEventSchema, { repair: false });
    if (events.length > 0 && !events.some((e) => e.type === 'verdict')) return f;
  }
  return undefined;
}
