// One configured log source (container, compose service, file or command) as a live Source.
//
// Readers never wait for the UI: lines go into a capped queue; at most one `logs` event leaves per
// `batchMs`, carrying everything queued since the last one. If more than `maxPending` lines pile
// up between two events, the oldest are evicted and a `logs-dropped` event says how many — so
// delivered + dropped always equals what was read. Failures become `source-error` events (and
// `source-ok` on recovery); nothing here throws.

import type Docker from 'dockerode';
import type { LogSource as LogSourceSpec } from '../config/schema.js';
import type { Emit, LiveEvent, LogLine, Source } from '../live/events.js';
import type { ConnectionState, Target } from '../targets/target.js';
import { DEFAULT_LOG_CAP, LogBuffer } from './buffer.js';
import { CommandLogs } from './command-logs.js';
import { ContainerLogs, ServiceLogs } from './docker-logs.js';
import { FileLogs } from './file-logs.js';
import { NOTICE_PREFIX, type LogSink } from './sink.js';

export const DEFAULT_BATCH_MS = 50;
/** A reader gone mad cannot fill memory with notices either (the oldest go, uncounted: they are ours). */
const MAX_PENDING_NOTICES = 100;

export interface LogSourceOptions {
  /** The source's name (LogLine.source, and the key of its errors). */
  name: string;
  /** From the config: exactly one of container, service, file, run. */
  spec: LogSourceSpec;
  target: Target;
  /** Needed for container and service sources (dockerFor(target, socket)). */
  docker?: Docker;
  /** The environment's docker.project (com.docker.compose.project) for service sources. */
  project?: string;
  emit: Emit;
  now: () => number;
  /** At most one `logs` event per this many ms (default 50). */
  batchMs?: number;
  /** Lines queued between two events before the oldest are dropped (default 10,000). */
  maxPending?: number;
  /** History shown at start: last N lines of a container or file (default 200). */
  initialLines?: number;
  /** Service sources: how often to look for new containers (default 2 s). */
  pollMs?: number;
  /** Retry / restart delays. */
  backoff?: { initialMs?: number; maxMs?: number };
}

/** Counters, for the pane's status line and for tests. */
export interface LogSourceStats {
  /** Lines delivered in `logs` events (notices included). */
  lines: number;
  /** Lines reported in `logs-dropped` events. */
  dropped: number;
  /** `logs` events emitted. */
  events: number;
}

interface Reader {
  start(): void;
  wake(): void;
  interrupt(): void;
  stop(): Promise<void>;
}

export class LogSource implements Source {
  readonly name: string;
  private readonly opts: LogSourceOptions;
  private readonly batchMs: number;
  private readonly pending: LogBuffer;
  /** Notices queued since the last event, each with the number of lines queued before it. */
  private notices: Array<{ at: number; line: LogLine }> = [];
  private reportedDrops = 0;
  private timer: NodeJS.Timeout | undefined;
  private reader: Reader | undefined;
  private unsubscribe: (() => void) | undefined;
  private linkDown = false;
  private started = false;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Stopped and flushed: nothing more is emitted. */
  private closed = false;
  private readonly failing = new Map<string, string>();
  private shownError: string | undefined;
  private readonly counters: LogSourceStats = { lines: 0, dropped: 0, events: 0 };
  /** Lines of a service come from several containers: each batch is merged by timestamp. */
  private readonly merge: boolean;

  constructor(opts: LogSourceOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.batchMs = Math.max(0, opts.batchMs ?? DEFAULT_BATCH_MS);
    this.pending = new LogBuffer({ cap: Math.max(1, opts.maxPending ?? DEFAULT_LOG_CAP) });
    this.merge = opts.spec.service !== undefined;
  }

  get stats(): Readonly<LogSourceStats> {
    return { ...this.counters };
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    try {
      this.reader = this.makeReader();
      if (!this.reader) return;
      this.unsubscribe = this.opts.target.onState((s: ConnectionState) => {
        if (s.state === 'disconnected') this.linkDown = true;
        else if (s.state === 'connected' && this.linkDown) {
          // Back: do not wait for the reader's backoff to run out.
          this.linkDown = false;
          this.reader?.wake();
        }
      });
      this.reader.start();
    } catch (err) {
      this.sinkError(`cannot start: ${(err as Error)?.message ?? String(err)}`, '');
    }
  }

  /** Cuts the current stream / command as a link drop would; the reader resumes (tests, a reconnect key). */
  interrupt(): void {
    this.reader?.interrupt();
  }

  /** Ends the streams, kills a command it started, and delivers what was still queued. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.unsubscribe?.();
      try {
        await this.reader?.stop();
      } catch {
        // a reader's stop never matters more than stopping
      }
      this.flush();
      this.closed = true;
    })();
    return this.stopping;
  }

  private makeReader(): Reader | undefined {
    const { spec, target, docker, now } = this.opts;
    const sink = this.sink;
    const source = this.name;
    const common = {
      source,
      sink,
      now,
      ...(this.opts.backoff !== undefined ? { backoff: this.opts.backoff } : {}),
    };
    const initial = this.opts.initialLines;
    if (spec.container !== undefined || spec.service !== undefined) {
      if (!docker) {
        this.sinkError('no Docker connection for this environment (add docker: to it in the config)', '');
        return undefined;
      }
      if (spec.container !== undefined) {
        return new ContainerLogs({ ...common, docker, container: spec.container, ...(initial !== undefined ? { initialTail: initial } : {}) });
      }
      return new ServiceLogs({
        ...common,
        docker,
        service: spec.service!,
        ...(this.opts.project !== undefined ? { project: this.opts.project } : {}),
        ...(initial !== undefined ? { initialTail: initial } : {}),
        ...(this.opts.pollMs !== undefined ? { pollMs: this.opts.pollMs } : {}),
      });
    }
    if (spec.file !== undefined) {
      return new FileLogs({ ...common, target, path: spec.file, ...(initial !== undefined ? { initialLines: initial } : {}) });
    }
    if (spec.run !== undefined) return new CommandLogs({ ...common, target, command: spec.run });
    this.sinkError('no log kind (container, service, file or run)', '');
    return undefined;
  }

  private readonly sink: LogSink = {
    lines: (lines) => this.queue(lines),
    notice: (text) => this.queueNotice(text),
    error: (message, key) => this.sinkError(message, key ?? ''),
    ok: (key) => this.sinkOk(key ?? ''),
  };

  private queue(lines: LogLine[]): void {
    if (this.closed || lines.length === 0) return;
    this.pending.append(lines);
    if (this.timer === undefined && !this.stopped) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  /** Notices are never evicted (they say what happened); they keep their place among the lines. */
  private queueNotice(text: string): void {
    if (this.closed) return;
    if (this.notices.length >= MAX_PENDING_NOTICES) this.notices.shift();
    this.notices.push({ at: this.pending.total, line: { source: this.name, ts: this.opts.now(), stream: 'stderr', text: NOTICE_PREFIX + text } });
    if (this.timer === undefined && !this.stopped) this.timer = setTimeout(() => this.flush(), this.batchMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.opts.now();
    const dropped = this.pending.dropped - this.reportedDrops;
    const first = this.pending.firstSeq;
    let lines = this.pending.drain();
    if (this.notices.length > 0) {
      // Put each notice before the first line that was queued after it.
      const merged: LogLine[] = [];
      let i = 0;
      for (const n of this.notices) {
        const upTo = Math.max(0, n.at - first);
        while (i < upTo && i < lines.length) merged.push(lines[i++]!);
        merged.push(n.line);
      }
      while (i < lines.length) merged.push(lines[i++]!);
      this.notices = [];
      lines = merged;
    }
    if (dropped > 0) {
      this.reportedDrops += dropped;
      this.counters.dropped += dropped;
      this.send({ type: 'logs-dropped', at, source: this.name, count: dropped });
    }
    if (lines.length > 0) {
      if (this.merge) lines.sort((a, b) => a.ts - b.ts); // stable: same-ms lines keep their order
      this.counters.lines += lines.length;
      this.counters.events++;
      this.send({ type: 'logs', at, lines });
    }
  }

  private sinkError(message: string, key: string): void {
    if (this.stopped) return;
    // Readers name the container / file / command in their messages. Status events do not flush
    // the queued lines: the one-logs-event-per-batchMs cadence holds whatever happens.
    this.failing.set(key, message);
    if (this.shownError === message) return;
    this.shownError = message;
    this.send({ type: 'source-error', at: this.opts.now(), pane: 'logs', source: this.name, error: message });
  }

  private sinkOk(key: string): void {
    if (this.stopped || !this.failing.delete(key)) return;
    if (this.failing.size > 0) {
      // Another part still fails: show that one.
      const [, other] = [...this.failing][0]!;
      if (other !== this.shownError) {
        this.shownError = other;
        this.send({ type: 'source-error', at: this.opts.now(), pane: 'logs', source: this.name, error: other });
      }
      return;
    }
    if (this.shownError === undefined) return;
    this.shownError = undefined;
    this.send({ type: 'source-ok', at: this.opts.now(), pane: 'logs', source: this.name });
  }

  private send(e: LiveEvent): void {
    try {
      this.opts.emit(e);
    } catch {
      // The consumer's bug must not stop the reader.
    }
  }
}
