import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { pace, type PaceEnd } from '../../src/logs/paced.js';

/** One turn of the event loop: resolves from a setImmediate callback. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A readable the test pushes into; it stays open until push(null) or destroy(). */
const source = (): Readable => new Readable({ read() {} });

/** A clock that moves `step` ms every time it is read: each handled chunk "takes" that long. */
function steppingClock(step: number): () => number {
  let t = 1_000;
  return () => (t += step);
}

/** Counts turns of the event loop (a setImmediate that reschedules itself) until stopped. */
function turnCounter(): { readonly n: number; stop(): void } {
  let n = 0;
  let stopped = false;
  const tick = () => {
    if (stopped) return;
    n++;
    setImmediate(tick);
  };
  setImmediate(tick);
  return {
    get n() {
      return n;
    },
    stop() {
      stopped = true;
    },
  };
}

/** Lengths of the runs of equal values: [1,1,2,3,3] → [2,1,2]. */
function runLengths(xs: readonly number[]): number[] {
  const out: number[] = [];
  xs.forEach((x, i) => {
    if (i > 0 && x === xs[i - 1]) out[out.length - 1]!++;
    else out.push(1);
  });
  return out;
}

/** Records whether (and when) a promise has settled. */
function watch<T>(p: Promise<T>): { settled: boolean; value?: T } {
  const w: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => {
    w.settled = true;
    w.value = value;
  });
  return w;
}

const chunk = (size: number, fill: number): Buffer => Buffer.alloc(size, fill);

describe('pace: order and completeness', () => {
  it('property: every chunk is handled once, in the order read, byte-exact (any chunking, slice, mark)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }), yieldAfter: fc.boolean() }),
          { maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 20 }),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 400 }),
        async (pieces, sliceMs, step, highWaterBytes) => {
          const stream = source();
          const handled: Buffer[] = [];
          const read: Buffer[] = [];
          const p = pace(stream, (c) => handled.push(c), { sliceMs, highWaterBytes, clock: steppingClock(step) });
          let maxQueued = 0;
          let flowingAtMark = 0;
          stream.on('data', (c: Buffer) => {
            read.push(c);
            maxQueued = Math.max(maxQueued, p.queuedBytes);
            // At or above the mark, the stream must be paused.
            if (p.queuedBytes >= highWaterBytes && !stream.isPaused()) flowingAtMark++;
          });
          for (const { bytes, yieldAfter } of pieces) {
            stream.push(Buffer.from(bytes));
            if (yieldAfter) await turn();
          }
          stream.push(null);
          const end = await p.done;

          expect(end).toEqual({ how: 'end' });
          expect(handled.length).toBe(read.length);
          handled.forEach((c, i) => expect(c).toBe(read[i]));
          expect(Buffer.concat(handled).equals(Buffer.concat(pieces.map((x) => x.bytes)))).toBe(true);
          expect(p.queuedBytes).toBe(0);
          expect(flowingAtMark).toBe(0);
          // Paused once the mark is reached: never more than the mark plus the chunk that crossed it.
          expect(maxQueued).toBeLessThan(highWaterBytes + 64);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('keeps order through a long queue handled over many slices (thousands of chunks)', async () => {
    const stream = source();
    const handled: number[] = [];
    const p = pace(stream, (c) => handled.push(c.readUInt16BE(0)), { sliceMs: 100, clock: steppingClock(1) });
    const n = 5_000;
    for (let i = 0; i < n; i++) {
      const c = Buffer.alloc(2);
      c.writeUInt16BE(i);
      stream.push(c);
    }
    stream.push(null);
    expect(await p.done).toEqual({ how: 'end' });
    expect(handled).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it('an empty stream ends at once without calling handle', async () => {
    const stream = source();
    let calls = 0;
    const p = pace(stream, () => calls++);
    stream.push(null);
    expect(await p.done).toEqual({ how: 'end' });
    expect(calls).toBe(0);
  });

  it('removes its listeners from the stream once done', async () => {
    const stream = source();
    const p = pace(stream, () => {});
    expect(stream.listenerCount('data')).toBe(1);
    stream.push(chunk(3, 1));
    stream.push(null);
    await p.done;
    for (const ev of ['data', 'end', 'close', 'error']) expect(stream.listenerCount(ev)).toBe(0);
  });
});

describe('pace: time slices', () => {
  it.each([
    { step: 5, sliceMs: 8, perTurn: 2 },
    { step: 5, sliceMs: 10, perTurn: 2 },
    { step: 5, sliceMs: 11, perTurn: 3 },
    { step: 3, sliceMs: 0, perTurn: 1 },
    { step: 20, sliceMs: 8, perTurn: 1 },
  ])('clock +$step ms per read, sliceMs $sliceMs → $perTurn chunks per turn', async ({ step, sliceMs, perTurn }) => {
    const stream = source();
    const turns = turnCounter();
    const turnOfChunk: number[] = [];
    const p = pace(stream, () => turnOfChunk.push(turns.n), { sliceMs, clock: steppingClock(step) });
    for (let i = 0; i < 12; i++) stream.push(chunk(4, i));
    stream.push(null);
    await p.done;
    turns.stop();

    expect(turnOfChunk).toHaveLength(12);
    const sizes = runLengths(turnOfChunk);
    // Every turn but the last is a full slice; the last takes what is left.
    const full = Math.floor(12 / perTurn);
    const expected = [...Array<number>(full).fill(perTurn), ...(12 % perTurn ? [12 % perTurn] : [])];
    expect(sizes).toEqual(expected);
  });

  it('a clock that stands still lets one turn handle everything queued', async () => {
    const stream = source();
    const turns = turnCounter();
    const turnOfChunk: number[] = [];
    const p = pace(stream, () => turnOfChunk.push(turns.n), { sliceMs: 8, clock: () => 42 });
    for (let i = 0; i < 12; i++) stream.push(chunk(4, i));
    stream.push(null);
    await p.done;
    turns.stop();
    expect(runLengths(turnOfChunk)).toEqual([12]);
  });

  it('yields the loop between slices: a setImmediate queued during a slice runs before the next one', async () => {
    const stream = source();
    let handled = 0;
    const seenByOthers: number[] = [];
    const p = pace(
      stream,
      () => {
        handled++;
        // Something else wanting the loop (a key press, a timer) while a slice is running.
        if (handled === 1 || handled === 5) setImmediate(() => seenByOthers.push(handled));
      },
      { sliceMs: 8, clock: steppingClock(5) },
    );
    for (let i = 0; i < 10; i++) stream.push(chunk(8, i));
    stream.push(null);
    await p.done;
    expect(handled).toBe(10);
    // Slices of two: the first ends after chunk 2, the third after chunk 6.
    expect(seenByOthers).toEqual([2, 6]);
  });
});

describe('pace: how it ends', () => {
  it("done resolves with 'end' only after the last queued chunk was handled", async () => {
    const stream = source();
    let handled = 0;
    let handledAtEndEvent = -1;
    const p = pace(
      stream,
      () => {
        expect(w.settled).toBe(false);
        handled++;
      },
      { sliceMs: 0, clock: steppingClock(1) },
    );
    const w = watch(p.done);
    stream.on('end', () => (handledAtEndEvent = handled));
    for (let i = 0; i < 6; i++) stream.push(chunk(5, i));
    stream.push(null);
    const end = await p.done;
    expect(end).toEqual({ how: 'end' });
    // The stream had ended while everything was still queued; done waited for the handling.
    expect(handledAtEndEvent).toBe(0);
    expect(handled).toBe(6);
  });

  it("a stream destroyed with an error → 'error' with that error, after the chunks read before it", async () => {
    const stream = source();
    const handled: Buffer[] = [];
    let handledAtErrorEvent = -1;
    const p = pace(stream, (c) => handled.push(c), { sliceMs: 0, clock: steppingClock(1) });
    const boom = new Error('connection reset');
    let seen = 0;
    stream.on('data', () => {
      if (++seen === 4) stream.destroy(boom);
    });
    stream.on('error', () => (handledAtErrorEvent = handled.length));
    for (let i = 0; i < 4; i++) stream.push(chunk(3, i + 1));
    const end: PaceEnd = await p.done;
    expect(end.how).toBe('error');
    expect(end.error).toBe(boom);
    expect(handledAtErrorEvent).toBe(0);
    expect(Buffer.concat(handled).equals(Buffer.from([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]))).toBe(true);
  });

  it("a stream closed before its end (destroy() without an error) → 'close', after the chunks read before it", async () => {
    const stream = source();
    const handled: Buffer[] = [];
    let handledAtClose = -1;
    const p = pace(stream, (c) => handled.push(c), { sliceMs: 0, clock: steppingClock(1) });
    let seen = 0;
    stream.on('data', () => {
      if (++seen === 3) stream.destroy();
    });
    stream.on('close', () => (handledAtClose = handled.length));
    for (let i = 0; i < 3; i++) stream.push(chunk(2, i + 7));
    const end = await p.done;
    expect(end).toEqual({ how: 'close' });
    expect(handledAtClose).toBe(0);
    expect(Buffer.concat(handled).equals(Buffer.from([7, 7, 8, 8, 9, 9]))).toBe(true);
  });
});

describe('pace: backpressure', () => {
  it('pauses the stream at the mark, resumes below half of it, and everything arrives', async () => {
    const high = 100;
    const size = 10;
    const count = 60;
    const stream = source();
    const handled: Buffer[] = [];
    // Two chunks per turn: handling is slower than reading.
    const p = pace(stream, (c) => handled.push(c), { highWaterBytes: high, sliceMs: 8, clock: steppingClock(5) });
    const events: { before: number; after: number; paused: boolean }[] = [];
    stream.on('data', (c: Buffer) => {
      events.push({ before: p.queuedBytes - c.length, after: p.queuedBytes, paused: stream.isPaused() });
    });
    for (let i = 0; i < count; i++) stream.push(chunk(size, i));
    stream.push(null);

    const end = await p.done;
    expect(end).toEqual({ how: 'end' });
    expect(events).toHaveLength(count);

    // At the mark the stream is paused, below it not; the queue never goes past the mark.
    for (const e of events) expect(e.paused).toBe(e.after >= high);
    expect(Math.max(...events.map((e) => e.after))).toBe(high);
    const pauses = events.filter((e) => e.paused).length;
    expect(pauses).toBeGreaterThan(1);

    // After each pause, reading starts again only once the queue is below half the mark.
    const resumedAt = events.filter((_, i) => i > 0 && events[i - 1]!.paused).map((e) => e.before);
    expect(resumedAt.length).toBeGreaterThan(0);
    for (const q of resumedAt) expect(q).toBeLessThan(high / 2);

    expect(Buffer.concat(handled).equals(Buffer.concat(Array.from({ length: count }, (_, i) => chunk(size, i))))).toBe(
      true,
    );
  });

  it('queuedBytes counts the bytes read and not yet handled', async () => {
    const sizes = [3, 7, 11, 13, 1];
    const total = sizes.reduce((a, b) => a + b, 0);
    const stream = source();
    let handledBytes = 0;
    const inHandle: number[] = [];
    const p = pace(
      stream,
      (c) => {
        handledBytes += c.length;
        inHandle.push(p.queuedBytes);
      },
      { sliceMs: 0, clock: steppingClock(1) },
    );
    const onRead: number[] = [];
    stream.on('data', () => onRead.push(p.queuedBytes));
    expect(p.queuedBytes).toBe(0);
    sizes.forEach((n, i) => stream.push(chunk(n, i)));
    stream.push(null);
    await p.done;
    expect(onRead).toEqual([3, 10, 21, 34, 35]);
    // The chunk being handled is no longer counted.
    expect(inHandle).toEqual([32, 25, 14, 1, 0]);
    expect(handledBytes).toBe(total);
    expect(p.queuedBytes).toBe(0);
  });
});

describe('pace: abandon', () => {
  it('drops what is queued: handle is not called for it, and done resolves once the stream closes', async () => {
    const stream = source();
    let calls = 0;
    const p = pace(stream, () => calls++);
    const w = watch(p.done);
    const allRead = new Promise<void>((r) => {
      let seen = 0;
      stream.on('data', () => ++seen === 5 && r());
    });
    for (let i = 0; i < 5; i++) stream.push(chunk(6, i));
    await allRead;
    expect(p.queuedBytes).toBe(30);

    p.abandon();
    expect(p.queuedBytes).toBe(0);
    stream.push(chunk(6, 9)); // read after abandon: dropped too
    for (let i = 0; i < 5; i++) await turn();
    expect(calls).toBe(0);
    expect(p.queuedBytes).toBe(0);
    expect(w.settled).toBe(false); // the stream is still open

    stream.destroy();
    expect(await p.done).toEqual({ how: 'close' });
    expect(calls).toBe(0);
  });

  it('abandon() from inside handle stops at that chunk; a stream already ended resolves done at once', async () => {
    const stream = source();
    let calls = 0;
    const p = pace(
      stream,
      () => {
        if (++calls === 2) p.abandon();
      },
      { clock: () => 0 }, // one slice would handle all five
    );
    for (let i = 0; i < 5; i++) stream.push(chunk(4, i));
    stream.push(null);
    expect(await p.done).toEqual({ how: 'end' });
    expect(calls).toBe(2);
    expect(p.queuedBytes).toBe(0);
  });

  it('abandon() while paused by backpressure: nothing more is handled, and closing the stream resolves done', async () => {
    const stream = source();
    let calls = 0;
    const p = pace(stream, () => calls++, { highWaterBytes: 20, sliceMs: 0, clock: steppingClock(1) });
    const w = watch(p.done);
    const paused = new Promise<void>((r) => stream.on('data', () => stream.isPaused() && r()));
    for (let i = 0; i < 10; i++) stream.push(chunk(5, i));
    await paused;
    expect(p.queuedBytes).toBe(20);

    p.abandon();
    for (let i = 0; i < 5; i++) await turn();
    expect(calls).toBe(0);
    expect(w.settled).toBe(false);

    stream.destroy();
    expect(await p.done).toEqual({ how: 'close' });
    expect(calls).toBe(0);
  });
});

describe('pace: odd input', () => {
  it('a handler that throws ends the stream as an error, at once, instead of taking the process down', async () => {
    const s = source();
    const seen: number[] = [];
    const p = pace(s, (c) => {
      seen.push(c[0]!);
      if (c[0] === 2) throw new Error('bad chunk');
    });
    for (const n of [1, 2, 3]) s.push(chunk(4, n));
    const end = await p.done;
    expect(end.how).toBe('error');
    expect(end.error?.message).toBe('bad chunk');
    expect(seen).toEqual([1, 2]);
    s.destroy();
  });

  it('a high-water mark of 0 still reads everything (treated as 1 byte)', async () => {
    const s = source();
    const got: number[] = [];
    const p = pace(s, (c) => got.push(c.length), { highWaterBytes: 0 });
    for (let i = 0; i < 5; i++) s.push(chunk(3, i));
    s.push(null);
    expect((await p.done).how).toBe('end');
    expect(got).toEqual([3, 3, 3, 3, 3]);
  });
});
