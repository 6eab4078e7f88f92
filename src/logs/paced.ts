// Reading a fast stream without holding the event loop.
//
// Node hands a readable socket's data over in bursts (libuv reads up to 32 times per wake-up): a
// log flood arrives as megabytes per callback, and parsing them in one go held the loop for
// hundreds of milliseconds — keys and frames waited. Here chunks are queued as they arrive and
// handled a time slice at a time, yielding between slices (setImmediate: input and timers get
// their turn). When more than `highWaterBytes` wait, the stream is paused, so the sender is held
// back (TCP / the pipe fills; dockerd keeps the log on disk) instead of our memory filling up:
// nothing is dropped, it is only read later.

export interface PacedStream {
  on(event: 'data', fn: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
  removeListener(event: string, fn: (...args: never[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
  readableEnded?: boolean;
}

export interface PaceOptions {
  /** Longest stretch of handling before yielding (default 8 ms). */
  sliceMs?: number;
  /** Pause the stream while this many bytes wait (default 1 MiB); resume below half of it. */
  highWaterBytes?: number;
  /** Monotonic clock (ms). */
  clock?: () => number;
}

export interface PaceEnd {
  /** How it ended: 'end' (clean), 'close' (closed before its end), or the stream's error. */
  how: 'end' | 'close' | 'error';
  error?: Error;
}

export interface Paced {
  /**
   * Resolves once the stream has ended (or failed) and every chunk read before that was handled;
   * at once, as an error, if `handle` throws (the stream is then left to the caller to destroy).
   */
  readonly done: Promise<PaceEnd>;
  /** Bytes read and not handled yet. */
  readonly queuedBytes: number;
  /** Stop handling: what is still queued is dropped (the reader is being stopped; destroy the stream). */
  abandon(): void;
}

/** Feeds `handle` the stream's chunks in order, a time slice at a time. */
export function pace(stream: PacedStream, handle: (chunk: Buffer) => void, opts: PaceOptions = {}): Paced {
  const sliceMs = opts.sliceMs ?? 8;
  const high = Math.max(1, opts.highWaterBytes ?? 1 << 20);
  const clock = opts.clock ?? (() => performance.now());
  const queue: Buffer[] = [];
  let head = 0;
  let queued = 0;
  let paused = false;
  let scheduled = false;
  let ended: PaceEnd | undefined;
  let abandoned = false;
  let resolveDone!: (e: PaceEnd) => void;
  const done = new Promise<PaceEnd>((r) => (resolveDone = r));

  const finishIfDrained = () => {
    if (ended && (head === queue.length || abandoned)) {
      cleanup();
      resolveDone(ended);
    }
  };

  const work = () => {
    scheduled = false;
    if (abandoned) return finishIfDrained();
    const until = clock() + sliceMs;
    while (head < queue.length) {
      const chunk = queue[head]!;
      queue[head++] = EMPTY;
      queued -= chunk.length;
      try {
        handle(chunk);
      } catch (err) {
        // A bug in the handler ends this stream as a failure (the reader reports it and reconnects)
        // instead of an exception in a setImmediate, which would take the process down.
        ended ??= { how: 'error', error: err instanceof Error ? err : new Error(String(err)) };
        abandoned = true;
      }
      if (abandoned || clock() >= until) break;
    }
    if (head === queue.length) {
      queue.length = 0;
      head = 0;
    } else if (head > 1024) {
      queue.splice(0, head);
      head = 0;
    }
    if (paused && queued < high / 2 && !ended) {
      paused = false;
      stream.resume();
    }
    if (head < queue.length && !abandoned) schedule();
    else finishIfDrained();
  };
  const schedule = () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(work);
  };

  const onData = (chunk: Buffer) => {
    if (abandoned) return;
    queue.push(chunk);
    queued += chunk.length;
    if (!paused && queued >= high) {
      paused = true;
      stream.pause();
    }
    schedule();
  };
  const end = (e: PaceEnd) => {
    if (ended) return;
    ended = e;
    if (!scheduled) finishIfDrained();
  };
  const onEnd = () => end({ how: 'end' });
  const onClose = () => end(stream.readableEnded === false ? { how: 'close' } : { how: 'end' });
  const onError = (error: Error) => end({ how: 'error', error });
  const cleanup = () => {
    stream.removeListener('data', onData as (...args: never[]) => void);
    stream.removeListener('end', onEnd);
    stream.removeListener('close', onClose);
    stream.removeListener('error', onError as (...args: never[]) => void);
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('close', onClose);
  stream.on('error', onError);

  return {
    done,
    get queuedBytes() {
      return queued;
    },
    abandon() {
      abandoned = true;
      queue.length = 0;
      head = 0;
      queued = 0;
      if (!scheduled) finishIfDrained();
    },
  };
}

const EMPTY = Buffer.alloc(0);
