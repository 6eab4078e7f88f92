import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { ContainerRow, Emit, LiveEvent, Source } from '../live/events.js';
import {
  PROJECT_LABEL,
  containerRows,
  cpuSample,
  type InspectData,
  type ListEntry,
  type StatsData,
} from './rows.js';

/** The Engine events that change what the containers pane shows. */
export const CONTAINER_EVENT_ACTIONS = ['die', 'start', 'restart', 'health_status', 'stop', 'kill', 'destroy', 'create'];

/** The state an event implies: running after start / restart, not running after die / stop / destroy. */
const EVENT_STATE: Record<string, boolean> = { start: true, restart: true, die: false, stop: false, destroy: false };
const EXPECT_FIRST_MS = 250;
const EXPECT_RETRIES = 5;

export interface ContainersSourceOptions {
  /** A client for the Engine, local or over SSH (see `dockerFor`). */
  docker: Docker;
  /** Only containers labelled `com.docker.compose.project=<project>`. */
  project?: string;
  /** How often the list is polled (events refresh it in between). */
  intervalMs: number;
  emit: Emit;
  /** Epoch ms, for the events' `at`. */
  now: () => number;
  /** Where the socket is, for error messages: `/var/run/docker.sock` or `/var/run/docker.sock on ssh://…`. Default: the client's socket path. */
  where?: string;
  /** A poll (list + inspect + stats) or an event-stream open that takes longer is abandoned (default max(10 s, intervalMs)). */
  requestTimeoutMs?: number;
  /** Events within this window are answered by one refresh (default 100 ms). */
  eventDebounceMs?: number;
  /** Re-opening the event stream after it ended: first delay, doubling up to max (default 500 ms … 30 s). */
  eventBackoff?: { initialMs?: number; maxMs?: number };
  /** Requests in flight at once during a poll (default 8). */
  concurrency?: number;
}

interface EventStreamHandle {
  abort: AbortController;
  stream?: NodeJS.ReadableStream;
  openedAt: number;
}

/**
 * The containers pane's source: the list, polled every `intervalMs` and refreshed at once on every
 * container event from the Engine's event stream, with restarts / start time / health from inspect
 * and CPU / memory from one-shot stats (CPU from two successive samples of our own, as
 * `docker stats` does from its stream). Never throws; errors become `source-error` events with
 * words for the screen, and `source-ok` follows on recovery. Polls never overlap.
 */
export class ContainersSource implements Source {
  private readonly docker: Docker;
  private readonly opts: ContainersSourceOptions;
  private readonly where: string;
  private readonly timeoutMs: number;
  private readonly debounceMs: number;

  private started = false;
  private stopped = false;

  // Polling
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private polling: Promise<void> | undefined;
  private pollAbort: AbortController | undefined;
  private pending = false;
  private failing: string | undefined;
  /** The pane is on screen; hidden, nothing is polled (the event stream stays open). */
  private shown = true;
  /** Something asked for a poll while hidden: poll as soon as the pane is shown. */
  private wantedWhileHidden = false;
  private lastPollAt = -Infinity;
  /** Last stats sample per container id, with the start time of the run it belongs to. */
  private samples = new Map<string, { startedAt: string | undefined; stats: StatsData }>();
  /** CPU % and memory last computed per container id, reused by refreshes that skip stats. */
  private usage = new Map<string, { startedAt: number | undefined; cpuPct?: number; memBytes?: number }>();
  private lastStatsAt = -Infinity;

  // Event stream
  private events: EventStreamHandle | undefined;
  private eventsRetry: NodeJS.Timeout | undefined;
  private eventsFailures = 0;
  private lastEventNano: bigint | undefined;

  // Inspect cache: valid only while the event stream is open (events invalidate entries).
  private cache = new Map<string, InspectData>();
  private cacheEpoch = 0;
  private eventSeq = 0;
  private lastEventFor = new Map<string, number>();
  /**
   * What an event says a container's state now is (die: not running; start: running), until a
   * refresh shows it. The Engine sends the event before its container list has caught up, so a
   * refresh right after the event can still read the old state; it is read again, with backoff.
   */
  private expected = new Map<string, { running: boolean; tries: number }>();
  /** Set by a refresh that did not show an event's state yet: when to read again. */
  private expectRetryMs: number | undefined;

  constructor(opts: ContainersSourceOptions) {
    this.opts = opts;
    this.docker = opts.docker;
    const socketPath = (opts.docker as unknown as { modem?: { socketPath?: unknown } }).modem?.socketPath;
    this.where = opts.where ?? (typeof socketPath === 'string' ? socketPath : 'the Docker socket');
    this.timeoutMs = opts.requestTimeoutMs ?? Math.max(10_000, opts.intervalMs);
    this.debounceMs = opts.eventDebounceMs ?? 100;
  }

  /** True while the Engine's event stream is open (changes show within ~eventDebounceMs). */
  get eventStreamOpen(): boolean {
    return this.events?.stream !== undefined;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.schedule(0);
    void this.openEvents();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.eventsRetry);
    this.timer = undefined;
    this.eventsRetry = undefined;
    this.pollAbort?.abort();
    this.closeEvents();
    await this.polling;
  }

  /** Polls now (or right after the poll in progress). */
  refresh(): void {
    this.schedule(0);
  }

  /**
   * The containers pane is on screen or not. Hidden, it polls nothing (list, inspect and stats
   * cost the Engine per container); the event stream stays open, and an event seen meanwhile, or
   * data older than the interval, makes it poll at once when the pane is shown again.
   */
  setShown(shown: boolean): void {
    if (shown === this.shown) return;
    this.shown = shown;
    if (!shown) {
      // A refresh due sooner than the regular poll (an event's, or a retry after one) is owed.
      if (this.timer !== undefined && this.timerDue < this.lastPollAt + this.opts.intervalMs) this.wantedWhileHidden = true;
      clearTimeout(this.timer);
      this.timer = undefined;
      this.timerDue = Infinity;
      return;
    }
    const wanted = this.wantedWhileHidden;
    this.wantedWhileHidden = false;
    this.schedule(wanted ? 0 : Math.max(0, this.lastPollAt + this.opts.intervalMs - Date.now()));
  }

  // -------------------------------------------------------------------------------------------
  // Polling

  private schedule(delayMs: number): void {
    if (this.stopped || !this.started) return;
    if (!this.shown) {
      if (delayMs < this.opts.intervalMs) this.wantedWhileHidden = true;
      return;
    }
    if (this.polling) {
      if (delayMs < this.opts.intervalMs) this.pending = true;
      return;
    }
    const due = Date.now() + delayMs;
    if (this.timer !== undefined && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.lastPollAt = Date.now();
      this.polling = this.poll().finally(() => {
        this.polling = undefined;
        if (this.stopped) return;
        const again = this.pending;
        this.pending = false;
        const retry = this.expectRetryMs;
        this.expectRetryMs = undefined;
        this.schedule(again ? this.debounceMs : Math.min(retry ?? Infinity, this.opts.intervalMs));
      });
    }, delayMs);
  }

  private async poll(): Promise<void> {
    const ac = new AbortController();
    this.pollAbort = ac;
    const t = setTimeout(() => ac.abort(new PollTimeout(this.timeoutMs)), this.timeoutMs);
    try {
      // Stats are fetched when due (every intervalMs), not on event-driven refreshes: the Engine
      // answers a one-shot stats request at its stats collector's next tick, up to 1 s away when
      // stats were asked for less than a second ago, which would delay the change the event is about.
      const withStats = Date.now() - this.lastStatsAt >= this.opts.intervalMs * 0.9;
      const rows = await this.collect(ac.signal, withStats);
      if (this.stopped) return;
      this.send({ type: 'containers', at: this.opts.now(), rows });
      this.checkExpected(rows);
      if (this.failing !== undefined) {
        this.failing = undefined;
        this.send({ type: 'source-ok', at: this.opts.now(), pane: 'containers', source: 'docker' });
        // The Engine answers again: if the event stream is waiting out its backoff, try it now.
        if (this.events === undefined && this.eventsRetry !== undefined) {
          clearTimeout(this.eventsRetry);
          this.eventsRetry = undefined;
          this.eventsFailures = 0;
          void this.openEvents();
        }
      }
    } catch (err) {
      if (this.stopped) return;
      const reason = ac.signal.aborted && ac.signal.reason instanceof PollTimeout ? ac.signal.reason : err;
      const error = describeDockerError(reason, this.where);
      if (error !== this.failing) {
        this.failing = error;
        this.send({ type: 'source-error', at: this.opts.now(), pane: 'containers', source: 'docker', error });
      }
      // A stream on a dead link may never end by itself: drop it and let it re-open with backoff.
      if (this.events?.stream !== undefined) this.closeEvents(true);
    } finally {
      clearTimeout(t);
      if (this.pollAbort === ac) this.pollAbort = undefined;
    }
  }

  private async collect(signal: AbortSignal, withStats: boolean): Promise<ReturnType<typeof containerRows>> {
    const { project } = this.opts;
    const listOpts: Docker.ContainerListOptions & { abortSignal: AbortSignal } = { all: true, abortSignal: signal };
    if (project !== undefined) listOpts.filters = { label: [`${PROJECT_LABEL}=${project}`] };
    const entries = (await abortable(this.docker.listContainers(listOpts), signal)) as ListEntry[];

    const inspects = new Map<string, InspectData>();
    await mapLimit(entries, this.opts.concurrency ?? 8, async (e) => {
      const info = await this.inspect(e, signal);
      if (info !== undefined) inspects.set(e.Id, info);
    });
    // Removed between the list and the inspect: it is gone.
    const present = entries.filter((e) => inspects.has(e.Id));

    const prev = new Map<string, StatsData>();
    const cur = new Map<string, StatsData>();
    const running = present.filter((e) => e.State === 'running');
    if (withStats) this.lastStatsAt = Date.now();
    await mapLimit(withStats ? running : [], this.opts.concurrency ?? 8, async (e) => {
      let stats: StatsData;
      try {
        const req = this.docker
          .getContainer(e.Id)
          .stats({ stream: false, 'one-shot': true, abortSignal: signal } as { stream: false; 'one-shot': boolean });
        stats = (await abortable(req, signal)) as StatsData;
      } catch (err) {
        if (signal.aborted) throw err;
        return; // stopped or removed meanwhile: no stats this time
      }
      const startedAt = inspects.get(e.Id)?.State?.StartedAt;
      const before = this.samples.get(e.Id);
      if (before !== undefined && before.startedAt === startedAt) prev.set(e.Id, before.stats);
      cur.set(e.Id, stats);
      if (cpuSample(stats) !== undefined) this.samples.set(e.Id, { startedAt, stats });
    });

    // Forget what belongs to containers that are no longer there (or no longer running).
    const runningIds = new Set(running.map((e) => e.Id));
    for (const id of this.samples.keys()) if (!runningIds.has(id)) this.samples.delete(id);
    const ids = new Set(present.map((e) => e.Id));
    for (const id of this.cache.keys()) if (!ids.has(id)) this.cache.delete(id);
    for (const id of this.lastEventFor.keys()) if (!ids.has(id)) this.lastEventFor.delete(id);
    for (const id of this.usage.keys()) if (!runningIds.has(id)) this.usage.delete(id);

    const rows = containerRows(present, inspects, prev, cur);
    for (const r of rows) {
      if (r.state !== 'running') continue;
      if (withStats) {
        this.usage.set(r.id, { startedAt: r.startedAt, cpuPct: r.cpuPct, memBytes: r.memBytes });
        continue;
      }
      // Same run as when they were measured: show the last values.
      const u = this.usage.get(r.id);
      if (u === undefined || u.startedAt !== r.startedAt) continue;
      if (u.cpuPct !== undefined) r.cpuPct = u.cpuPct;
      if (u.memBytes !== undefined) r.memBytes = u.memBytes;
    }
    return rows;
  }

  /** Inspect data, from the cache when it is still valid; undefined when the container is gone. */
  private async inspect(e: ListEntry, signal: AbortSignal): Promise<InspectData | undefined> {
    const cached = this.cache.get(e.Id);
    if (cached !== undefined && cached.State?.Status === e.State) return cached;
    const epoch = this.cacheEpoch;
    const seq = this.eventSeq;
    const openAtStart = this.eventStreamOpen;
    let info: InspectData;
    try {
      info = (await abortable(this.docker.getContainer(e.Id).inspect({ abortSignal: signal } as object), signal)) as InspectData;
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
    if (openAtStart && this.eventStreamOpen && epoch === this.cacheEpoch && (this.lastEventFor.get(e.Id) ?? 0) <= seq) {
      this.cache.set(e.Id, info);
    }
    return info;
  }

  // -------------------------------------------------------------------------------------------
  // Event stream

  private async openEvents(): Promise<void> {
    if (this.stopped || this.events !== undefined) return;
    clearTimeout(this.eventsRetry);
    this.eventsRetry = undefined;
    const handle: EventStreamHandle = { abort: new AbortController(), openedAt: 0 };
    this.events = handle;
    const filters: Record<string, string[]> = { type: ['container'], event: CONTAINER_EVENT_ACTIONS };
    if (this.opts.project !== undefined) filters['label'] = [`${PROJECT_LABEL}=${this.opts.project}`];
    const query: Record<string, unknown> = { filters, abortSignal: handle.abort.signal };
    // After a drop, ask for what happened meanwhile (the Engine keeps a short buffer).
    if (this.lastEventNano !== undefined) query['since'] = engineSince(this.lastEventNano + 1n);
    const openTimer = setTimeout(() => handle.abort.abort(), this.timeoutMs);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await abortable(this.docker.getEvents(query as Docker.GetEventsOptions), handle.abort.signal);
    } catch {
      if (this.events === handle) {
        this.events = undefined;
        this.retryEvents();
      }
      return;
    } finally {
      clearTimeout(openTimer);
    }
    if (this.events !== handle || this.stopped) {
      destroyStream(stream);
      return;
    }
    handle.stream = stream;
    handle.openedAt = Date.now();
    this.cacheEpoch++;
    const decoder = new StringDecoder('utf8');
    let buf = '';
    stream.on('data', (chunk: Buffer | string) => {
      if (this.events !== handle) return;
      buf += typeof chunk === 'string' ? chunk : decoder.write(chunk);
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onEventLine(line);
      }
      if (buf.length > 1 << 20) buf = ''; // not the Engine talking
    });
    const ended = () => {
      if (this.events !== handle) return;
      this.closeEvents(true);
    };
    stream.on('end', ended);
    stream.on('close', ended);
    stream.on('error', ended);
    // Whatever happened before the subscription took effect is picked up by this refresh.
    this.schedule(this.debounceMs);
  }

  private onEventLine(line: string): void {
    if (line.trim() === '') return;
    let ev: {
      Type?: string;
      Action?: string;
      status?: string;
      id?: string;
      Actor?: { ID?: string; Attributes?: Record<string, string> };
    };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      return;
    }
    // timeNano does not fit a double: read it from the text.
    const nano = /"timeNano"\s*:\s*(\d+)/.exec(line)?.[1];
    if (nano !== undefined) {
      const n = BigInt(nano);
      if (this.lastEventNano === undefined || n > this.lastEventNano) this.lastEventNano = n;
    }
    if (ev.Type !== undefined && ev.Type !== 'container') return;
    const id = ev.Actor?.ID ?? ev.id ?? '';
    const action = ev.Action ?? ev.status ?? '';
    const name = ev.Actor?.Attributes?.['name'] ?? id.slice(0, 12);
    this.eventSeq++;
    this.lastEventFor.set(id, this.eventSeq);
    this.cache.delete(id);
    const running = EVENT_STATE[action];
    if (running !== undefined) this.expected.set(id, { running, tries: 0 });
    this.eventsFailures = 0;
    this.send({ type: 'container-event', at: this.opts.now(), id, name, action });
    this.schedule(this.debounceMs);
  }

  /**
   * After a refresh: an event whose state the rows do not show yet is read again (0.25, 0.5, 1, 2,
   * 4 s); after that the regular poll takes over.
   */
  private checkExpected(rows: ContainerRow[]): void {
    let again: number | undefined;
    for (const [id, exp] of this.expected) {
      const row = rows.find((r) => r.id === id);
      const shown = exp.running ? row?.state === 'running' : row === undefined || row.state !== 'running';
      if (shown || exp.tries >= EXPECT_RETRIES) {
        this.expected.delete(id);
        continue;
      }
      const delay = EXPECT_FIRST_MS * 2 ** exp.tries++;
      again = again === undefined ? delay : Math.min(again, delay);
    }
    this.expectRetryMs = again;
  }

  /** Ends the event stream; with `retry`, opens it again after the backoff. */
  private closeEvents(retry = false): void {
    const h = this.events;
    this.events = undefined;
    this.cacheEpoch++;
    this.cache.clear();
    if (h !== undefined) {
      h.abort.abort();
      if (h.stream !== undefined) destroyStream(h.stream);
      // A stream that lived a while was healthy: start the backoff over.
      if (h.openedAt > 0 && Date.now() - h.openedAt > 10_000) this.eventsFailures = 0;
    }
    if (retry) this.retryEvents();
  }

  private retryEvents(): void {
    if (this.stopped || this.eventsRetry !== undefined) return;
    const initial = this.opts.eventBackoff?.initialMs ?? 500;
    const max = this.opts.eventBackoff?.maxMs ?? 30_000;
    const delay = Math.min(max, initial * 2 ** Math.min(this.eventsFailures, 30));
    this.eventsFailures++;
    this.eventsRetry = setTimeout(() => {
      this.eventsRetry = undefined;
      void this.openEvents();
    }, delay);
  }

  private send(e: LiveEvent): void {
    if (this.stopped) return;
    try {
      this.opts.emit(e);
    } catch {
      // A consumer's bug must not stop the source.
    }
  }
}

class PollTimeout extends Error {
  constructor(readonly ms: number) {
    super(`Docker did not answer within ${ms >= 1000 ? `${Math.round(ms / 1000)}s` : `${ms}ms`}`);
  }
}

/** The Engine's `since` form for an instant in ns: `seconds.nanoseconds`. */
export function engineSince(nano: bigint): string {
  const s = nano / 1_000_000_000n;
  const ns = nano % 1_000_000_000n;
  return `${s}.${ns.toString().padStart(9, '0')}`;
}

/**
 * The promise, or a rejection as soon as the signal aborts. docker-modem passes the signal to the
 * request, but an abort that lands while the response body is arriving destroys the response
 * without ever calling back, which would leave the promise (and a poll) pending for good.
 */
export function abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

function destroyStream(s: NodeJS.ReadableStream): void {
  try {
    (s as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  } catch {
    // already gone
  }
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}

/**
 * A Docker client error in words for the screen: the socket is missing, permission is denied,
 * the daemon is not listening, the SSH link is down, the Engine answered with an error, or it did
 * not answer in time. `where` names the socket (and the target, over SSH).
 */
export function describeDockerError(err: unknown, where = 'the Docker socket'): string {
  const e = (err ?? {}) as NodeJS.ErrnoException & { statusCode?: number; json?: { message?: string } | null; reason?: string };
  const code = e.code ?? '';
  const msg = typeof e.message === 'string' ? e.message : String(err);
  if (err instanceof PollTimeout) return err.message;
  if (code === 'ENOENT') return `Docker socket not found: ${where} (is Docker installed and running?)`;
  if (code === 'EACCES' || code === 'EPERM') return `permission denied on ${where} (is the user in the docker group?)`;
  if (code === 'ECONNREFUSED') return `Docker is not listening on ${where} (is the daemon running?)`;
  if (code === 'ECONNRESET' || code === 'EPIPE') return `connection to Docker reset (${where})`;
  if (code === 'ABORT_ERR' || e.name === 'AbortError') return 'Docker request aborted';
  // Over SSH (see SshTarget): not connected / the forward was refused by the host.
  const notConnected = /^not connected to (\S+): (.*)$/s.exec(msg);
  // (Without SshTarget's "retrying in Ns" countdown, so the message stays the same while it is down.)
  if (notConnected) return `SSH link down (${notConnected[1]}: ${notConnected[2]!.replace(/; retrying in \d+s$/, '')})`;
  if (/connection lost|target closed|Keepalive timeout|No response from server|Not connected/i.test(msg)) return `SSH link down: ${msg}`;
  const forward = /^cannot open unix socket (.*?) on (\S+): (.*)$/s.exec(msg);
  if (forward) {
    const [, path, host, why] = forward as unknown as [string, string, string, string];
    if (/no such file|not found|ENOENT/i.test(why)) return `Docker socket not found: ${path} on ${host}`;
    if (/permission denied|EACCES/i.test(why)) return `permission denied on ${path} on ${host} (is the SSH user in the docker group?)`;
    if (/administratively prohibited/i.test(why)) return `the SSH server on ${host} does not allow forwarding the Docker socket (AllowStreamLocalForwarding)`;
    const detail = why.replace(/^\(SSH\) Channel open failure:\s*/, '');
    return `cannot open the Docker socket ${path} on ${host}: the SSH server refused (${detail}): the socket is missing, the SSH user may not open it, or AllowStreamLocalForwarding is off`;
  }
  if (typeof e.statusCode === 'number') {
    const detail = e.json?.message ?? msg.replace(/^\(HTTP code \d+\)\s*/, '').trim();
    return `Docker answered HTTP ${e.statusCode}: ${detail}`;
  }
  return `Docker: ${msg}`;
}
