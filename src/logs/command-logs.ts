// A command's output as a log (`run:` sources, e.g. `journalctl -fu api`): both streams, line by
// line, restarted with backoff whenever it ends, each restart noted in the log itself.

import type { Target, RunResult } from '../targets/target.js';
import { Backoff, LoopReader, type LogSink } from './sink.js';

export interface CommandLogsOptions {
  target: Target;
  /** A shell command line, run by `sh -c` on the target (as written in the config). */
  command: string;
  source: string;
  sink: LogSink;
  now: () => number;
  /** Restart delay: initial (default 1 s), doubling up to max (default 30 s) while it keeps ending quickly. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** A run that lasted this long resets the backoff (default 30 s). */
  healthyAfterMs?: number;
}

/** Why a run ended, in words for the log. */
export function describeEnd(r: RunResult): string {
  if (r.error !== undefined) return r.error;
  if (r.code !== null) return `exited with code ${r.code}`;
  if (r.signal !== undefined) return `killed by ${r.signal}`;
  return 'ended';
}

export class CommandLogs extends LoopReader {
  private restartCount = 0;

  constructor(private readonly opts: CommandLogsOptions) {
    super();
  }

  /** How many times the command was restarted. */
  get restarts(): number {
    return this.restartCount;
  }

  protected failed(err: unknown): void {
      this.opts.sink.error(`command stopped: ${(err as Error)?.message ?? String(err)}`);
  }

  protected async loop(): Promise<void> {
    const { target, command, sink, source, now } = this.opts;
    const backoff = new Backoff(this.opts.backoff?.initialMs ?? 1_000, this.opts.backoff?.maxMs ?? 30_000);
    const healthyAfter = this.opts.healthyAfterMs ?? 30_000;
    while (!this.stopped) {
      const ac = new AbortController();
      this.abort = ac;
      let failing = false;
      let sawOutput = false;
      const onLine = (text: string, stream: 'stdout' | 'stderr') => {
        if (this.stopped) return;
        if (!sawOutput) {
          sawOutput = true;
          sink.ok();
        }
        sink.lines([{ source, ts: now(), stream, text }]);
      };
      let r: RunResult;
      try {
        r = await target.run(command, { onLine, signal: ac.signal, tailLines: 1 });
      } catch (err) {
        r = { code: null, tail: [], timedOut: false, durationMs: 0, error: (err as Error)?.message ?? String(err) };
      }
      if (this.stopped) break;
      const why = describeEnd(r);
      if (r.error !== undefined || r.code !== 0) {
        failing = true;
        sink.error(`command ${why}`);
      }
      if (r.durationMs >= healthyAfter) backoff.reset();
      const delay = backoff.next();
      this.restartCount++;
      sink.notice(`command ${why}; restart #${this.restartCount} in ${formatDelay(delay)}`);
      await this.waiter.wait(delay);
      if (!failing) sink.ok();
    }
  }
}

function formatDelay(ms: number): string {
  return ms < 1_000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
