// What a log reader (docker, file, command) hands its output to. LogSource implements it: lines
// are batched there, errors become source-error / source-ok events.

import type { LogLine } from '../live/events.js';

export interface LogSink {
  /** Lines read, in order. Must not block: the sink only queues them. */
  lines(lines: LogLine[]): void;
  /**
   * Something the user should see in the log itself (a restart, a rotation, what could not be
   * recovered after a link drop). Shown as a line starting with NOTICE_PREFIX.
   */
  notice(text: string): void;
  /** The reader is failing (`key` separates the parts of a source, e.g. one container of a service). */
  error(message: string, key?: string): void;
  /** The reader (or that part of it) works again. */
  ok(key?: string): void;
}

/** Text prefix of lines hubops adds to a log (notices), so panes can style them and tests skip them. */
export const NOTICE_PREFIX = '[hubops] ';

export function isNotice(line: { text: string }): boolean {
  return line.text.startsWith(NOTICE_PREFIX);
}

/** Sleeps `ms`, or less if `wake` is called or `signal` aborts. */
export class Waiter {
  private pending: (() => void) | undefined;

  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) {
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        if (this.pending === done) this.pending = undefined;
        resolve();
      };
      const t = setTimeout(done, Math.max(0, ms));
      signal?.addEventListener('abort', done, { once: true });
      this.pending?.();
      this.pending = done;
    });
  }

  /** Ends the current wait early (no-op when nothing waits). */
  wake(): void {
    this.pending?.();
  }
}

/** Retry delays: initial, doubling, capped; reset after success. */
export class Backoff {
  private failures = 0;
  constructor(
    private readonly initialMs = 1_000,
    private readonly maxMs = 30_000,
  ) {}
  next(): number {
    const d = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    return d;
  }
  reset(): void {
    this.failures = 0;
  }
  get count(): number {
    return this.failures;
  }
}

/**
 * The lifecycle every log reader shares: one loop that reads, reports and retries on its own until
 * stopped; `wake` cuts a backoff short (the link is back), `interrupt` ends the current attempt as
 * a lost connection would, `stop` ends the loop and waits for it.
 */
export abstract class LoopReader {
  protected stopped = false;
  protected readonly waiter = new Waiter();
  protected abort: AbortController | undefined;
  protected loopDone: Promise<void> | undefined;

  protected abstract loop(): Promise<void>;
  /** The loop itself failed (it should report and retry instead): say so in the log. */
  protected abstract failed(err: unknown): void;

  start(): void {
    this.loopDone ??= this.loop().catch((err: unknown) => this.failed(err));
  }

  wake(): void {
    this.waiter.wake();
  }

  interrupt(): void {
    this.abort?.abort();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abort?.abort();
    this.waiter.wake();
    await this.loopDone;
  }
}
