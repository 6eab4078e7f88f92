// Container logs through the Docker Engine API: GET /containers/{id}/logs?follow=1&timestamps=1.
//
// The stream: for a container without a TTY, every log message is one frame of the multiplexed
// format — an 8-byte header (stream type: 0 stdin, 1 stdout, 2 stderr, 3 system error; 3 zero
// bytes; payload size, big-endian uint32) then the payload. HTTP chunks cut frames anywhere, so
// the demuxer carries partial frames over. A TTY container's stream is raw bytes (everything is
// "stdout"). With timestamps=1 each message starts with an RFC3339Nano timestamp and a space.
// Docker splits lines longer than 16 KiB into several messages; only the last ends in "\n".
//
// Resuming: the daemon's `since` is inclusive (messages *before* it are skipped), so after a
// reconnection we ask for `since` = the last timestamp seen and drop the messages at exactly that
// timestamp that were already delivered (same stream and bytes). Nothing is duplicated and,
// barring two messages written out of timestamp order at the very moment of a link drop, nothing
// is lost.

import { StringDecoder } from 'node:string_decoder';
import type Docker from 'dockerode';
import type { LogLine } from '../live/events.js';
import { describeNetError } from '../sources/http-via-target.js';
import { MAX_LINE_CHARS } from '../targets/output.js';
import { pace, type Paced, type PacedStream } from './paced.js';
import { Backoff, LoopReader, type LogSink } from './sink.js';

export const DEFAULT_INITIAL_TAIL = 200;
/** A container that does not exist (yet, or any more) is looked for at least this often. */
const NOT_FOUND_MAX_WAIT_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Frames

export interface Frame {
  /** stdin (0) counts as stdout, system error (3) as stderr. */
  stream: 'stdout' | 'stderr';
  payload: Buffer;
}

const EMPTY = Buffer.alloc(0);

/**
 * Splits Docker's multiplexed stream into frames, whatever the chunk boundaries. If a header is
 * not a valid one (the stream was not multiplexed after all), the rest of the stream is passed
 * through as raw stdout and `invalid` becomes true.
 */
export class FrameDemuxer {
  private carry: Buffer = EMPTY;
  private raw = false;

  /** True once a header was not a valid frame header; everything from there on is raw. */
  get invalid(): boolean {
    return this.raw;
  }
  /** Bytes held over, waiting for the rest of a frame. */
  get pending(): number {
    return this.carry.length;
  }

  /** The frames completed by this chunk, as objects: the tests' view of `each`, which the reader uses. */
  push(chunk: Buffer): Frame[] {
    const out: Frame[] = [];
    this.each(
      chunk,
      (stream, buf, start, end) => out.push({ stream, payload: buf.subarray(start, end) }),
      (rest) => out.push({ stream: 'stdout', payload: rest }),
    );
    return out;
  }

  /**
   * The same without a Frame or a Buffer per frame: `onFrame` gets the payload's place in `buf`
   * (valid during the call only). `onRaw` gets everything from the first invalid header on.
   */
  each(chunk: Buffer, onFrame: (stream: 'stdout' | 'stderr', buf: Buffer, start: number, end: number) => void, onRaw: (rest: Buffer) => void): void {
    if (this.raw) {
      if (chunk.length > 0) onRaw(chunk);
      return;
    }
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let off = 0;
    while (buf.length - off >= 8) {
      const type = buf[off]!;
      if (type > 3 || buf[off + 1] !== 0 || buf[off + 2] !== 0 || buf[off + 3] !== 0) {
        this.raw = true;
        this.carry = EMPTY;
        onRaw(buf.subarray(off));
        return;
      }
      const size = buf.readUInt32BE(off + 4);
      if (buf.length - off - 8 < size) break;
      onFrame(type === 2 || type === 3 ? 'stderr' : 'stdout', buf, off + 8, off + 8 + size);
      off += 8 + size;
    }
    // Copy the remainder so a small partial frame does not pin a large chunk in memory.
    this.carry = off === buf.length ? EMPTY : Buffer.from(buf.subarray(off));
  }
}

/** Encodes one frame (for tests and fakes). */
export function encodeFrame(stream: 'stdin' | 'stdout' | 'stderr' | 'system', payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const head = Buffer.alloc(8);
  head[0] = stream === 'stdin' ? 0 : stream === 'stdout' ? 1 : stream === 'stderr' ? 2 : 3;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

// ---------------------------------------------------------------------------------------------
// Timestamps

export interface DockerTimestamp {
  /** Whole seconds since the epoch (UTC). */
  sec: number;
  /** 0 … 999,999,999. */
  nanos: number;
  /** Epoch milliseconds (for LogLine.ts). */
  ms: number;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;
let lastSecText = '';
let lastSecValue = 0;

/**
 * Parses Docker's RFC3339Nano timestamps (`2026-11-23T10:51:02.123456789Z`; Docker pads to 9
 * digits, but fewer — or none — and `+hh:mm` offsets are accepted too). null if it is not one.
 */
export function parseDockerTimestamp(text: string): DockerTimestamp | null {
  const m = RFC3339.exec(text);
  if (!m) return null;
  const frac = m[7] ?? '';
  const nanos = frac === '' ? 0 : Number(frac.padEnd(9, '0'));
  const secText = text.slice(0, 19) + m[8]!;
  let sec: number;
  if (secText === lastSecText) sec = lastSecValue;
  else {
    const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
    const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59));
    const check = new Date(t);
    if (check.getUTCDate() !== d || check.getUTCMonth() !== mo - 1) return null;
    let offset = 0;
    const z = m[8]!;
    if (z !== 'Z' && z !== 'z') {
      const oh = Number(z.slice(1, 3));
      const om = Number(z.slice(4, 6));
      if (oh > 23 || om > 59) return null;
      offset = (z[0] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
    }
    sec = t / 1000 + (s === 60 ? 1 : 0) - offset;
    lastSecText = secText;
    lastSecValue = sec;
  }
  return { sec, nanos, ms: sec * 1000 + Math.floor(nanos / 1e6) };
}

export function compareTimestamps(a: DockerTimestamp, b: DockerTimestamp): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nanos - b.nanos;
}

/** The Engine API's `since` for this instant: `seconds.nanoseconds` (9 digits, exact). */
export function sinceParam(ts: DockerTimestamp): string {
  return `${ts.sec}.${String(ts.nanos).padStart(9, '0')}`;
}

export interface DockerMessage {
  stream: 'stdout' | 'stderr';
  /** null when the message did not start with a timestamp. */
  ts: DockerTimestamp | null;
  /** The message after the timestamp and its space (usually ends in "\n"). */
  body: Buffer;
}

/** Splits `<timestamp> <body>`; a payload without a timestamp is all body. */
export function splitTimestamp(stream: 'stdout' | 'stderr', payload: Buffer): DockerMessage {
  const sp = payload.indexOf(0x20);
  if (sp >= 20 && sp <= 40) {
    const ts = parseDockerTimestamp(payload.toString('latin1', 0, sp));
    if (ts) return { stream, ts, body: payload.subarray(sp + 1) };
  }
  return { stream, ts: null, body: payload };
}

/** A TTY container's raw stream → messages (one per line; each line carries its own timestamp). */
export class RawMessageSplitter {
  private carry: Buffer = EMPTY;

  push(chunk: Buffer): DockerMessage[] {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    const out: DockerMessage[] = [];
    let start = 0;
    let nl = buf.indexOf(0x0a, start);
    while (nl !== -1) {
      out.push(splitTimestamp('stdout', buf.subarray(start, nl + 1)));
      start = nl + 1;
      nl = buf.indexOf(0x0a, start);
    }
    let rest = buf.subarray(start);
    // No newline for a long time: pass it on in pieces rather than grow without bound.
    while (rest.length > MAX_LINE_CHARS * 4) {
      out.push(splitTimestamp('stdout', rest.subarray(0, MAX_LINE_CHARS * 4)));
      rest = rest.subarray(MAX_LINE_CHARS * 4);
    }
    this.carry = rest.length > 0 ? Buffer.from(rest) : EMPTY;
    return out;
  }
}

// ---------------------------------------------------------------------------------------------
// De-duplication on resume

/**
 * Remembers the last timestamp delivered and which messages carried it, so that after a
 * reconnection with `since` = that timestamp the messages already shown are dropped.
 */
export class ResumeDedup {
  private hasLast = false;
  private lastSec = 0;
  private lastNanos = 0;
  private lastTs: DockerTimestamp | null = null;
  // The messages delivered with exactly the last timestamp (usually one), keyed only when a
  // reconnection needs them: the first by its place in its chunk (no copy on the hot path).
  private firstStream: 'stdout' | 'stderr' = 'stdout';
  private firstBuf: Buffer = EMPTY;
  private firstStart = 0;
  private firstEnd = 0;
  private more: DockerMessage[] = [];
  private replay: Map<string, number> | null = null;

  /** The `since` to reconnect with (null before any timestamped message). */
  get since(): DockerTimestamp | null {
    if (!this.hasLast) return null;
    this.lastTs ??= { sec: this.lastSec, nanos: this.lastNanos, ms: this.lastSec * 1000 + Math.floor(this.lastNanos / 1e6) };
    return this.lastTs;
  }

  /** True while messages already delivered before a reconnection may still come again. */
  get replaying(): boolean {
    return this.replay !== null;
  }

  /** Call on every (re)connection, before its first message. */
  begin(): void {
    if (!this.hasLast) {
      this.replay = null;
      return;
    }
    const replay = new Map<string, number>();
    const add = (key: string) => replay.set(key, (replay.get(key) ?? 0) + 1);
    add(keyOf(this.firstStream, this.firstBuf, this.firstStart, this.firstEnd));
    for (const m of this.more) add(messageKey(m));
    this.replay = replay;
    // The chunk need not be kept any longer.
    this.firstBuf = Buffer.from(this.firstBuf.subarray(this.firstStart, this.firstEnd));
    this.firstStart = 0;
    this.firstEnd = this.firstBuf.length;
  }

  /** True: a new message, deliver it. False: it was delivered before the reconnection. */
  accept(msg: DockerMessage): boolean {
    const ts = msg.ts;
    if (ts === null) return true;
    return this.acceptAt(ts.sec, ts.nanos, msg.stream, msg.body, 0, msg.body.length);
  }

  /** accept() for a message whose body is buf[start, end) (kept only if it sets the resume point). */
  acceptAt(sec: number, nanos: number, stream: 'stdout' | 'stderr', buf: Buffer, start: number, end: number): boolean {
    const c = !this.hasLast ? 1 : sec !== this.lastSec ? sec - this.lastSec : nanos - this.lastNanos;
    if (this.replay !== null) {
      if (c < 0) return false;
      if (c === 0) {
        const key = keyOf(stream, buf, start, end);
        const n = this.replay.get(key) ?? 0;
        if (n > 0) {
          this.replay.set(key, n - 1);
          return false;
        }
      } else this.replay = null;
    }
    if (c > 0) {
      this.hasLast = true;
      this.lastSec = sec;
      this.lastNanos = nanos;
      this.lastTs = null;
      this.firstStream = stream;
      this.firstBuf = buf;
      this.firstStart = start;
      this.firstEnd = end;
      if (this.more.length > 0) this.more = [];
    } else if (c === 0) this.more.push({ stream, ts: null, body: Buffer.from(buf.subarray(start, end)) });
    // c < 0: a message written out of timestamp order (stdout and stderr are timestamped by two
    // copiers); delivered, but it does not move the resume point back.
    return true;
  }
}

function keyOf(stream: 'stdout' | 'stderr', buf: Buffer, start: number, end: number): string {
  return `${stream === 'stdout' ? 'o' : 'e'}${buf.toString('latin1', start, end)}`;
}

function messageKey(m: DockerMessage): string {
  return keyOf(m.stream, m.body, 0, m.body.length);
}

// ---------------------------------------------------------------------------------------------
// Messages → lines

/** One stream's messages joined into lines (a long line arrives in several messages). */
export class MessageLines {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private carryTs: number | undefined;
  private atLineStart = true;

  constructor(private readonly stream: 'stdout' | 'stderr') {}

  /** Nothing held over (no partial line, no partial UTF-8 character): a whole line can skip push(). */
  get clean(): boolean {
    return this.atLineStart;
  }

  /** Lines completed by this message; `ts` is the message's time in ms. */
  push(body: Buffer, ts: number, source: string, out: LogLine[]): void {
    // Ending in "\n" leaves nothing in the decoder; anything else may leave a partial character.
    this.atLineStart = false;
    const text = this.decoder.write(body);
    if (text === '') return;
    if (this.carry === '') this.carryTs = ts;
    let data = this.carry + text;
    let lineTs = this.carryTs ?? ts;
    let nl = data.indexOf('\n');
    while (nl !== -1) {
      out.push({ source, ts: lineTs, stream: this.stream, text: stripCr(data.slice(0, nl)) });
      data = data.slice(nl + 1);
      lineTs = ts;
      nl = data.indexOf('\n');
    }
    while (data.length > MAX_LINE_CHARS) {
      out.push({ source, ts: lineTs, stream: this.stream, text: data.slice(0, MAX_LINE_CHARS) });
      data = data.slice(MAX_LINE_CHARS);
    }
    this.carry = data;
    this.carryTs = data === '' ? undefined : lineTs;
    this.atLineStart = data === '' && body.length > 0 && body[body.length - 1] === 0x0a;
  }

  /** A partial last line, if any (at the very end). */
  flush(source: string, out: LogLine[], now: () => number): void {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (rest !== '') out.push({ source, ts: this.carryTs ?? now(), stream: this.stream, text: stripCr(rest) });
    this.carryTs = undefined;
    this.atLineStart = true;
  }
}

function stripCr(s: string): string {
  return s.endsWith('\r') ? s.slice(0, -1) : s;
}

// ---------------------------------------------------------------------------------------------
// Chunks → lines, in one pass

/** What a followed container's stream keeps across chunks and reconnections. */
export interface StreamLines {
  dedup: ResumeDedup;
  out: MessageLines;
  err: MessageLines;
}

/** Bytes before the body in Docker's own timestamps: `2026-11-23T10:51:02.123456789Z `. */
const TS_LEN = 31;

/**
 * Turns one multiplexed frame into lines. A message in the shape dockerd writes (a 30-byte
 * RFC3339Nano UTC timestamp, a space, one whole line) is decoded straight from the chunk — no
 * Frame, no Buffer, one string — while nothing is held over and no reconnection is being
 * de-duplicated; anything else takes the general path (splitTimestamp, ResumeDedup.accept,
 * MessageLines.push), which gives the same lines (checked by a property test).
 */
export class FrameLines {
  private prefix = Buffer.alloc(19);
  private prefixSec = NaN;
  /** Messages seen (delivered or de-duplicated). */
  messages = 0;

  constructor(
    private readonly st: StreamLines,
    private readonly source: string,
    private readonly now: () => number,
  ) {}

  frame(stream: 'stdout' | 'stderr', buf: Buffer, start: number, end: number, out: LogLine[]): void {
    this.messages++;
    const lines = stream === 'stderr' ? this.st.err : this.st.out;
    const body = start + TS_LEN;
    if (
      end - body >= 1 &&
      end - body <= MAX_LINE_CHARS &&
      buf[end - 1] === 0x0a &&
      buf[start + 30] === 0x20 &&
      buf[start + 29] === 0x5a &&
      buf[start + 19] === 0x2e &&
      lines.clean &&
      !this.st.dedup.replaying &&
      buf.indexOf(0x0a, body) === end - 1
    ) {
      const sec = this.seconds(buf, start);
      const nanos = nineDigits(buf, start + 20);
      if (!Number.isNaN(sec) && nanos >= 0) {
        if (this.st.dedup.acceptAt(sec, nanos, stream, buf, body, end)) {
          const stop = end - 1 > body && buf[end - 2] === 0x0d ? end - 2 : end - 1;
          out.push({ source: this.source, ts: sec * 1000 + Math.floor(nanos / 1e6), stream, text: buf.toString('utf8', body, stop) });
        }
        return;
      }
    }
    const m = splitTimestamp(stream, buf.subarray(start, end));
    if (!this.st.dedup.accept(m)) return;
    lines.push(m.body, m.ts?.ms ?? this.now(), this.source, out);
  }

  /** Whole seconds of the timestamp at buf[start]; NaN if it is not a valid one. */
  private seconds(buf: Buffer, start: number): number {
    if (buf.compare(this.prefix, 0, 19, start, start + 19) === 0) return this.prefixSec;
    const ts = parseDockerTimestamp(buf.toString('latin1', start, start + 30));
    if (!ts) return NaN;
    buf.copy(this.prefix, 0, start, start + 19);
    this.prefixSec = ts.sec;
    return ts.sec;
  }
}

/** The nine digits at buf[at] as a number; -1 if one is not a digit. */
function nineDigits(buf: Buffer, at: number): number {
  let n = 0;
  for (let i = at; i < at + 9; i++) {
    const d = buf[i]! - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Following one container

export interface ContainerLogsOptions {
  docker: Docker;
  /** Container name or id. */
  container: string;
  /** Log source name (LogLine.source). */
  source: string;
  sink: LogSink;
  /** For lines without a timestamp. */
  now: () => number;
  /** Lines of history on the first connection (default 200). */
  initialTail?: number;
  /** While the container is not running, how often to look again (default 1 s). */
  pollMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Key for sink.error / sink.ok (default: the source name). */
  key?: string;
  /** A member of a service: stop for good when the container is removed (instead of waiting for it). */
  endWhenRemoved?: boolean;
  /** The container appeared after we started watching: read all of its logs, not only the last lines. */
  fromStart?: boolean;
}

interface Followed {
  id: string;
  name: string;
  dedup: ResumeDedup;
  out: MessageLines;
  err: MessageLines;
  /** A stream was opened at least once (so "no since" means "no logs yet": ask for all). */
  connected: boolean;
  fromStart: boolean;
  /** FinishedAt of the stop whose last lines we already fetched. */
  drainedFor?: string;
  /** What we last told the user about its state. */
  shownState?: 'running' | 'stopped';
  startedAt?: string;
}

interface StreamResult {
  /** Set when the stream failed or was cut (not a clean end). */
  error?: string;
  messages: number;
  durationMs: number;
}

/**
 * Follows one container's logs for as long as it is asked to: across stops and restarts (the same
 * container), recreation under the same name (a new id: followed from its start), link drops and
 * daemon restarts (resumed with `since`, without duplicates).
 */
export class ContainerLogs extends LoopReader {
  private stream: (NodeJS.ReadableStream & { destroy?(err?: Error): void }) | undefined;
  private paced: Paced | undefined;
  private st: Followed | undefined;
  private readonly key: string;

  constructor(private readonly opts: ContainerLogsOptions) {
    super();
    this.key = opts.key ?? opts.source;
  }

  /** Resolves when the follower has ended (stop(), or its container was removed with endWhenRemoved). */
  get done(): Promise<void> {
    return this.loopDone ?? Promise.resolve();
  }

  /** The id of the container followed, once known. */
  get containerId(): string | undefined {
    return this.st?.id;
  }

  protected failed(err: unknown): void {
      this.opts.sink.error(`container logs of ${this.opts.container} stopped: ${describeNetError(err)}`, this.key);
  }

  /** Drops the current stream as a lost connection would (tests; a "reconnect" key). */
  override interrupt(): void {
    this.stream?.destroy?.(new Error('interrupted'));
  }

  override stop(): Promise<void> {
    this.paced?.abandon();
    this.stream?.destroy?.();
    return super.stop();
  }

  protected async loop(): Promise<void> {
    const { docker, sink } = this.opts;
    const backoff = new Backoff(this.opts.backoff?.initialMs ?? 1_000, this.opts.backoff?.maxMs ?? 30_000);
    const pollMs = this.opts.pollMs ?? 1_000;
    while (!this.stopped) {
      let info: Docker.ContainerInspectInfo;
      try {
        this.abort = new AbortController();
        // By the name (or id) configured, every time: a recreated container has a new id.
        info = await docker.getContainer(this.opts.container).inspect({ abortSignal: this.abort.signal });
      } catch (err) {
        if (this.stopped) break;
        if (isNotFound(err)) {
          if (this.opts.endWhenRemoved) {
            if (this.st?.connected) sink.notice(`container ${this.st.name} was removed`);
            sink.ok(this.key);
            break;
          }
          sink.error(`no such container: ${this.opts.container}`, this.key);
          // It may be recreated any moment (compose up): keep looking often.
          await this.waiter.wait(Math.min(backoff.next(), NOT_FOUND_MAX_WAIT_MS));
          continue;
        }
        sink.error(`cannot inspect container ${this.opts.container}: ${describeDockerError(err)}`, this.key);
        await this.waiter.wait(backoff.next());
        continue;
      }
      if (this.stopped) break;
      const name = info.Name.replace(/^\//, '') || info.Id.slice(0, 12);
      if (!this.st || !this.st.connected) {
        this.st = newFollowed(info.Id, name, this.st?.fromStart ?? this.opts.fromStart ?? false);
      } else if (this.st.id !== info.Id) {
        // The name now points at another container: it was recreated. It is new: all of its lines.
        sink.notice(`container ${name} was recreated (${info.Id.slice(0, 12)}); following the new one from its start`);
        this.flushPartial(this.st);
        this.st = newFollowed(info.Id, name, true);
      }
      const st = this.st;
      const running = info.State.Running && !info.State.Restarting;
      if (running && st.startedAt !== info.State.StartedAt && (st.shownState === 'stopped' || st.startedAt !== undefined)) {
        sink.notice(
          st.startedAt === undefined ? `container ${name} started` : st.shownState === 'stopped' ? `container ${name} is running again` : `container ${name} restarted`,
        );
      }
      if (running) {
        st.shownState = 'running';
        st.startedAt = info.State.StartedAt;
      }
      if (!running && st.connected && st.drainedFor === info.State.FinishedAt) {
        if (st.shownState !== 'stopped') {
          sink.notice(`container ${name} ${describeStopped(info.State)}`);
          st.shownState = 'stopped';
        }
        sink.ok(this.key);
        await this.waiter.wait(pollMs);
        continue;
      }
      // Running: follow. Stopped: fetch what it wrote up to its stop (the stream then ends).
      const r = await this.streamOnce(st, info.Config.Tty === true);
      if (this.stopped) break;
      if (r.error !== undefined) {
        // A stream that worked for a while: retry soon, not after the last backoff.
        if (r.messages > 0 || r.durationMs > 1_000) backoff.reset();
        sink.error(`log stream of ${name} lost: ${r.error}; reconnecting`, this.key);
        await this.waiter.wait(backoff.next());
        continue;
      }
      if (!running) {
        st.drainedFor = info.State.FinishedAt;
        this.flushPartial(st);
      }
      if (r.messages > 0 || r.durationMs > 1_000) backoff.reset();
      else if (running) await this.waiter.wait(backoff.next()); // ended at once: do not spin
    }
  }

  /** A last line without its newline, once the container has stopped (nothing will complete it). */
  private flushPartial(st: Followed): void {
    const lines: LogLine[] = [];
    st.out.flush(this.opts.source, lines, this.opts.now);
    st.err.flush(this.opts.source, lines, this.opts.now);
    if (lines.length > 0) this.opts.sink.lines(lines);
  }

  private async streamOnce(st: Followed, tty: boolean): Promise<StreamResult> {
    const { docker, sink, source } = this.opts;
    const started = Date.now();
    const ac = new AbortController();
    this.abort = ac;
    const since = st.dedup.since;
    const query: Record<string, unknown> = { follow: true, stdout: true, stderr: true, timestamps: true, abortSignal: ac.signal };
    if (since) query['since'] = sinceParam(since);
    else query['tail'] = st.connected || st.fromStart ? 'all' : (this.opts.initialTail ?? DEFAULT_INITIAL_TAIL);
    let stream: NodeJS.ReadableStream & { headers?: Record<string, string | string[] | undefined>; destroy?(err?: Error): void };
    try {
      stream = (await docker.getContainer(st.id).logs(query as unknown as Docker.ContainerLogsOptions & { follow: true })) as typeof stream;
    } catch (err) {
      return { error: this.stopped ? undefined : describeDockerError(err), messages: 0, durationMs: Date.now() - started };
    }
    if (this.stopped) {
      stream.destroy?.();
      return { messages: 0, durationMs: 0 };
    }
    this.stream = stream;
    st.connected = true;
    st.dedup.begin();
    sink.ok(this.key);

    // API ≥ 1.42 says which format it sends; older daemons: multiplexed unless the container has a TTY.
    const ct = String(stream.headers?.['content-type'] ?? '');
    const multiplexed = ct.includes('multiplexed-stream') ? true : ct.includes('raw-stream') ? false : !tty;
    const demux = multiplexed ? new FrameDemuxer() : undefined;
    // A TTY's raw stream, or the rest of a stream that turned out not to be multiplexed.
    const raw = new RawMessageSplitter();
    const frames = new FrameLines(st, source, this.opts.now);
    let rawMessages = 0;
    let warnedInvalid = false;

    const handle = (chunk: Buffer) => {
      const lines: LogLine[] = [];
      const onRaw = (rest: Buffer) => {
        for (const m of raw.push(rest)) {
          rawMessages++;
          if (!st.dedup.accept(m)) continue;
          (m.stream === 'stderr' ? st.err : st.out).push(m.body, m.ts?.ms ?? this.opts.now(), source, lines);
        }
      };
      if (demux) {
        demux.each(chunk, (stream, buf, start, end) => frames.frame(stream, buf, start, end, lines), onRaw);
        if (demux.invalid && !warnedInvalid) {
          warnedInvalid = true;
          sink.notice(`the log stream of ${st.name} is not in Docker's multiplexed format; showing it raw`);
        }
      } else onRaw(chunk);
      if (lines.length > 0) sink.lines(lines);
    };

    // Read a slice at a time: a flood must not hold keys and frames (see paced.ts).
    const paced = pace(stream as unknown as PacedStream, handle);
    this.paced = paced;
    const end = await paced.done;
    stream.destroy?.(); // already ended, unless the handler failed
    if (this.stream === stream) this.stream = undefined;
    if (this.paced === paced) this.paced = undefined;
    const r: StreamResult = { messages: frames.messages + rawMessages, durationMs: Date.now() - started };
    if (!this.stopped) {
      if (end.how === 'error') r.error = describeDockerError(end.error);
      else if (end.how === 'close') r.error = 'connection closed';
    }
    return r;
  }
}

function newFollowed(id: string, name: string, fromStart: boolean): Followed {
  return { id, name, dedup: new ResumeDedup(), out: new MessageLines('stdout'), err: new MessageLines('stderr'), connected: false, fromStart };
}

function describeStopped(s: Docker.ContainerInspectInfo['State']): string {
  const how = s.OOMKilled ? ', OOM-killed' : '';
  if (s.Status === 'created') return 'has not started yet';
  if (s.Restarting) return `is restarting (last exit code ${s.ExitCode}${how})`;
  if (s.Paused) return 'is paused';
  return `exited with code ${s.ExitCode}${how}`;
}

function isNotFound(err: unknown): boolean {
  return (err as { statusCode?: number })?.statusCode === 404;
}

/** dockerode's "(HTTP code 404) no such container - No such container: x " → "No such container: x". */
export function describeDockerError(err: unknown): string {
  const e = err as { statusCode?: number; json?: { message?: string }; message?: string; name?: string };
  if (e?.name === 'AbortError') return 'aborted';
  if (typeof e?.statusCode === 'number') {
    const m = e.json?.message ?? /\(HTTP code \d+\) [^-]*- (.*)$/s.exec(e.message ?? '')?.[1];
    return `${m?.trim() || e.message} (HTTP ${e.statusCode})`;
  }
  if ((e as { code?: string })?.code === 'ECONNRESET' || e?.message === 'aborted') return 'connection reset';
  return describeNetError(err);
}

// ---------------------------------------------------------------------------------------------
// A compose service: every container of it, merged

export const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';
export const COMPOSE_SERVICE_LABEL = 'com.docker.compose.service';
const COMPOSE_ONEOFF_LABEL = 'com.docker.compose.oneoff';

export interface ServiceLogsOptions {
  docker: Docker;
  service: string;
  /** com.docker.compose.project (the environment's docker.project); any project when absent. */
  project?: string;
  source: string;
  sink: LogSink;
  now: () => number;
  initialTail?: number;
  /** How often to look for new containers of the service (default 2 s). */
  pollMs?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

/**
 * Follows every container labelled with the service (and project): those there at the start with
 * their last lines, those that appear later (scale up, recreate) from their first line. Lines are
 * merged by timestamp in LogSource's batches.
 */
export class ServiceLogs extends LoopReader {
  private readonly followers = new Map<string, ContainerLogs>();

  constructor(private readonly opts: ServiceLogsOptions) {
    super();
  }

  /** Ids of the containers followed now. */
  get containerIds(): string[] {
    return [...this.followers.keys()];
  }

  protected failed(err: unknown): void {
    this.opts.sink.error(`service logs stopped: ${describeNetError(err)}`, 'list');
  }

  override wake(): void {
    super.wake();
    for (const f of this.followers.values()) f.wake();
  }

  override interrupt(): void {
    for (const f of this.followers.values()) f.interrupt();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
  }

  protected async loop(): Promise<void> {
    const { docker, sink, service, project } = this.opts;
    const labels = [`${COMPOSE_SERVICE_LABEL}=${service}`];
    if (project !== undefined) labels.push(`${COMPOSE_PROJECT_LABEL}=${project}`);
    const what = project !== undefined ? `service ${service} of project ${project}` : `service ${service}`;
    const backoff = new Backoff(this.opts.backoff?.initialMs ?? 1_000, this.opts.backoff?.maxMs ?? 30_000);
    let first = true;
    let toldEmpty = false;
    while (!this.stopped) {
      let list: Docker.ContainerInfo[];
      try {
        this.abort = new AbortController();
        list = await docker.listContainers({ all: true, filters: { label: labels }, abortSignal: this.abort.signal } as Docker.ContainerListOptions);
      } catch (err) {
        if (this.stopped) break;
        sink.error(`cannot list the containers of ${what}: ${describeDockerError(err)}`, 'list');
        await this.waiter.wait(backoff.next());
        continue;
      }
      if (this.stopped) break;
      backoff.reset();
      sink.ok('list');
      const members = list.filter((c) => c.Labels?.[COMPOSE_ONEOFF_LABEL] !== 'True');
      if (members.length === 0 && !toldEmpty) {
        sink.notice(`no container of ${what} yet; waiting for one`);
        toldEmpty = true;
      }
      if (members.length > 0) toldEmpty = false;
      for (const c of members) {
        const existing = this.followers.get(c.Id);
        if (existing) {
          if (c.State === 'running') existing.wake();
          continue;
        }
        const name = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
        if (!first) sink.notice(`container ${name} of ${what} appeared; following it`);
        const f = new ContainerLogs({
          docker,
          container: c.Id,
          source: this.opts.source,
          sink,
          now: this.opts.now,
          key: name,
          endWhenRemoved: true,
          fromStart: !first,
          pollMs: 10_000,
          ...(this.opts.initialTail !== undefined ? { initialTail: this.opts.initialTail } : {}),
          ...(this.opts.backoff !== undefined ? { backoff: this.opts.backoff } : {}),
        });
        this.followers.set(c.Id, f);
        f.start();
        void f.done.then(() => {
          if (this.followers.get(c.Id) === f) this.followers.delete(c.Id);
        });
      }
      first = false;
      await this.waiter.wait(this.opts.pollMs ?? 2_000);
    }
  }
}
