import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../src/live/events.js';
import {
  FrameDemuxer,
  FrameLines,
  MessageLines,
  RawMessageSplitter,
  ResumeDedup,
  compareTimestamps,
  encodeFrame,
  parseDockerTimestamp,
  sinceParam,
  splitTimestamp,
  type DockerMessage,
  type Frame,
  type StreamLines,
} from '../../src/logs/docker-logs.js';

const frameArb = fc.record({
  stream: fc.constantFrom('stdin' as const, 'stdout' as const, 'stderr' as const, 'system' as const),
  payload: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
});

function collect(d: FrameDemuxer, chunks: Buffer[]): Frame[] {
  return chunks.flatMap((c) => d.push(c)).map((f) => ({ stream: f.stream, payload: Buffer.from(f.payload) }));
}

describe('FrameDemuxer', () => {
  it('splits frames and maps stdin→stdout, system→stderr', () => {
    const d = new FrameDemuxer();
    const out = d.push(Buffer.concat([encodeFrame('stdout', 'a\n'), encodeFrame('stderr', 'b\n'), encodeFrame('stdin', 'c'), encodeFrame('system', 'd')]));
    expect(out.map((f) => [f.stream, f.payload.toString()])).toEqual([
      ['stdout', 'a\n'],
      ['stderr', 'b\n'],
      ['stdout', 'c'],
      ['stderr', 'd'],
    ]);
    expect(d.pending).toBe(0);
  });

  it('property: any split of the byte stream gives the same frames (every boundary)', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 8 }), (frames) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.stream, f.payload)));
        const want = frames.map((f) => ({
          stream: f.stream === 'stderr' || f.stream === 'system' ? 'stderr' : 'stdout',
          payload: f.payload,
        }));
        // Every single cut point, and byte-by-byte.
        for (let cut = 0; cut <= bytes.length; cut++) {
          expect(collect(new FrameDemuxer(), [bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(want);
        }
        expect(collect(new FrameDemuxer(), [...bytes].map((b) => Buffer.from([b])))).toEqual(want);
      }),
      { numRuns: 200 },
    );
  });

  it('property: random multi-way splits', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 12 }), (frames, cuts) => {
        const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.stream, f.payload)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(prev, p));
          prev = p;
        }
        expect(collect(new FrameDemuxer(), chunks).map((f) => f.payload)).toEqual(frames.map((f) => f.payload));
      }),
    );
  });

  it('falls back to raw when a header is not a frame header', () => {
    const d = new FrameDemuxer();
    const out = d.push(Buffer.from('2026-11-23T10:00:00.000000000Z hello from a tty\n'));
    expect(d.invalid).toBe(true);
    expect(out[0]?.payload.toString()).toContain('hello from a tty');
    expect(d.push(Buffer.from('more\n'))[0]?.payload.toString()).toBe('more\n');
  });
});

describe('timestamps', () => {
  it('parses RFC3339Nano exactly', () => {
    const t = parseDockerTimestamp('2026-11-23T10:51:02.123456789Z')!;
    expect(t.sec).toBe(Date.UTC(2026, 10, 23, 10, 51, 2) / 1000);
    expect(t.nanos).toBe(123_456_789);
    expect(t.ms).toBe(Date.UTC(2026, 10, 23, 10, 51, 2) + 123);
    expect(sinceParam(t)).toBe(`${t.sec}.123456789`);
  });
  it('accepts short fractions, none, and offsets', () => {
    expect(parseDockerTimestamp('2026-11-23T10:51:02.5Z')?.nanos).toBe(500_000_000);
    expect(parseDockerTimestamp('2026-11-23T10:51:02Z')?.nanos).toBe(0);
    const a = parseDockerTimestamp('2026-11-23T12:51:02.000000001+02:00')!;
    const b = parseDockerTimestamp('2026-11-23T10:51:02.000000001Z')!;
    expect(compareTimestamps(a, b)).toBe(0);
    expect(sinceParam(parseDockerTimestamp('2026-11-23T10:51:02.000000042Z')!)).toMatch(/\.000000042$/);
  });
  it('rejects what is not a timestamp', () => {
    for (const s of ['', 'hello', '2026-13-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-11-23T10:51:02.1234567891Z', '2026-11-23 10:51']) {
      expect(parseDockerTimestamp(s)).toBeNull();
    }
  });
  it('orders by nanoseconds within a millisecond', () => {
    const a = parseDockerTimestamp('2026-11-23T10:51:02.123456788Z')!;
    const b = parseDockerTimestamp('2026-11-23T10:51:02.123456789Z')!;
    expect(a.ms).toBe(b.ms);
    expect(compareTimestamps(a, b)).toBeLessThan(0);
  });
  it('property: sinceParam round-trips through a formatted timestamp', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), (sec, nanos) => {
        const iso = new Date(sec * 1000).toISOString().slice(0, 19) + '.' + String(nanos).padStart(9, '0') + 'Z';
        const t = parseDockerTimestamp(iso)!;
        expect([t.sec, t.nanos]).toEqual([sec, nanos]);
        expect(sinceParam(t)).toBe(`${sec}.${String(nanos).padStart(9, '0')}`);
      }),
    );
  });
  it('splitTimestamp takes the prefix off a message', () => {
    const m = splitTimestamp('stderr', Buffer.from('2026-11-23T10:51:02.000000001Z oops: x y\n'));
    expect(m.ts?.nanos).toBe(1);
    expect(m.body.toString()).toBe('oops: x y\n');
    expect(splitTimestamp('stdout', Buffer.from('no timestamp here\n')).ts).toBeNull();
  });
});

describe('MessageLines and RawMessageSplitter', () => {
  it('joins a long line Docker split into several messages, and UTF-8 cut between them', () => {
    const ml = new MessageLines('stdout');
    const out: LogLine[] = [];
    const euro = Buffer.from('€');
    ml.push(Buffer.concat([Buffer.from('part1-'), euro.subarray(0, 2)]), 1, 's', out);
    expect(out).toEqual([]);
    ml.push(Buffer.concat([euro.subarray(2), Buffer.from('-part2\r\n')]), 2, 's', out);
    expect(out).toEqual([{ source: 's', ts: 1, stream: 'stdout', text: 'part1-€-part2' }]);
  });
  it('splits a TTY stream into timestamped lines across chunks', () => {
    const r = new RawMessageSplitter();
    const a = r.push(Buffer.from('2026-11-23T10:51:02.000000001Z hel'));
    const b = r.push(Buffer.from('lo\r\n2026-11-23T10:51:02.000000002Z world\r\n'));
    expect(a).toEqual([]);
    expect(b.map((m) => [m.ts?.nanos, m.body.toString()])).toEqual([
      [1, 'hello\r\n'],
      [2, 'world\r\n'],
    ]);
  });
});

const msg = (nanos: number, text: string, stream: 'stdout' | 'stderr' = 'stdout'): DockerMessage => ({
  stream,
  ts: parseDockerTimestamp(`2026-11-23T10:00:00.${String(nanos).padStart(9, '0')}Z`),
  body: Buffer.from(text + '\n'),
});

describe('ResumeDedup', () => {
  it('drops the messages at the resume timestamp that were already delivered, keeps the new ones', () => {
    const d = new ResumeDedup();
    d.begin();
    expect([msg(1, 'a'), msg(2, 'b'), msg(2, 'c')].map((m) => d.accept(m))).toEqual([true, true, true]);
    expect(d.since?.nanos).toBe(2);
    // Reconnected with since=2: the daemon replays everything at ts >= 2.
    d.begin();
    expect([msg(2, 'b'), msg(2, 'c'), msg(2, 'd'), msg(3, 'e')].map((m) => d.accept(m))).toEqual([false, false, true, true]);
    // Past the resume point the same text at the same instant is a new line again.
    d.begin();
    expect([msg(3, 'e'), msg(3, 'e')].map((m) => d.accept(m))).toEqual([false, true]);
  });
  it('tells stdout and stderr apart and counts repeats', () => {
    const d = new ResumeDedup();
    d.begin();
    [msg(5, 'x'), msg(5, 'x'), msg(5, 'x', 'stderr')].forEach((m) => d.accept(m));
    d.begin();
    expect([msg(5, 'x', 'stderr'), msg(5, 'x'), msg(5, 'x'), msg(5, 'x')].map((m) => d.accept(m))).toEqual([false, false, false, true]);
  });
  it('drops anything older than the resume point on a replay (a daemon that ignored since)', () => {
    const d = new ResumeDedup();
    d.begin();
    [msg(1, 'a'), msg(2, 'b')].forEach((m) => d.accept(m));
    d.begin();
    expect([msg(1, 'a'), msg(2, 'b'), msg(3, 'c')].map((m) => d.accept(m))).toEqual([false, false, true]);
  });
  it('property: cutting a stream anywhere and resuming with since delivers each message exactly once', () => {
    // Timestamps with many ties (several messages in one nanosecond), non-decreasing, as Docker writes them.
    const streamArb = fc.array(fc.record({ dt: fc.constantFrom(0, 0, 1, 2), text: fc.constantFrom('a', 'b', 'c'), err: fc.boolean() }), { maxLength: 30 });
    fc.assert(
      fc.property(streamArb, fc.array(fc.nat(), { maxLength: 4 }), (spec, cutsRaw) => {
        let t = 1;
        const all = spec.map((s) => msg((t += s.dt), s.text, s.err ? 'stderr' : 'stdout'));
        const d = new ResumeDedup();
        const got: DockerMessage[] = [];
        let pos = 0;
        const cuts = [...cutsRaw.map((c) => c % (all.length + 1)), all.length];
        for (const cut of cuts) {
          d.begin();
          // The daemon: everything at or after since (inclusive), in order.
          const since = d.since;
          const from = since === null ? 0 : all.findIndex((m) => compareTimestamps(m.ts!, since) >= 0);
          const replay = from < 0 ? [] : all.slice(from, Math.max(from, Math.max(cut, pos)));
          for (const m of replay) if (d.accept(m)) got.push(m);
          pos = Math.max(pos, cut);
        }
        expect(got.map((m) => `${m.ts!.nanos}${m.stream}${m.body}`)).toEqual(all.map((m) => `${m.ts!.nanos}${m.stream}${m.body}`));
      }),
      { numRuns: 500 },
    );
  });
});

describe('FrameLines (the one-pass decoder)', () => {
  // Messages as dockerd writes them, and every other shape the general path accepts.
  const tsText = (kind: string, sec: number, nanos: number) => {
    const base = new Date(Date.UTC(2026, 10, 23, 10, 0, sec)).toISOString().slice(0, 19);
    if (kind === 'fixed') return `${base}.${String(nanos).padStart(9, '0')}Z `;
    if (kind === 'short') return `${base}.5Z `;
    if (kind === 'offset') return `${base}.${String(nanos).padStart(9, '0')}+02:00 `;
    if (kind === 'bad') return `2026-13-45T99:00:00.${String(nanos).padStart(9, '0')}Z `;
    if (kind === 'digits') return `${base}.12345678xZ `;
    return '';
  };
  const bodies = ['hello world\n', 'é 日本 ✓\n', 'crlf\r\n', '\n', 'two\nlines\n', 'no newline', Buffer.from('é').subarray(0, 1), Buffer.concat([Buffer.from('é').subarray(1), Buffer.from(' rest\n')]), Buffer.from([0xe2, 0x82, 0x0a]), 'x'.repeat(70_000) + '\n'];
  const message = fc.record({
    kind: fc.constantFrom('fixed', 'fixed', 'fixed', 'short', 'none', 'offset', 'bad', 'digits'),
    dsec: fc.constantFrom(0, 0, 0, 1),
    dnanos: fc.constantFrom(0, 1, 7),
    body: fc.constantFrom(...bodies),
    err: fc.boolean(),
  });

  const frameFor = (m: { kind: string; body: string | Buffer; err: boolean }, sec: number, nanos: number) =>
    encodeFrame(m.err ? 'stderr' : 'stdout', Buffer.concat([Buffer.from(tsText(m.kind, sec, nanos), 'latin1'), typeof m.body === 'string' ? Buffer.from(m.body) : m.body]));

  /** The general path alone: what the decoder must reproduce. */
  function reference(st: StreamLines, demux: FrameDemuxer, chunk: Buffer, out: LogLine[]) {
    for (const f of demux.push(chunk)) {
      const m = splitTimestamp(f.stream, f.payload);
      if (!st.dedup.accept(m)) continue;
      (m.stream === 'stderr' ? st.err : st.out).push(m.body, m.ts?.ms ?? 42, 'src', out);
    }
  }
  const fresh = (): StreamLines => ({ dedup: new ResumeDedup(), out: new MessageLines('stdout'), err: new MessageLines('stderr') });

  it('property: gives exactly the lines of the general path, whatever the messages, chunking and reconnections', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 25 }), fc.array(fc.nat(), { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 3 }), (msgs, cutsRaw, reconnectsRaw) => {
        let sec = 0;
        let nanos = 1;
        const frames = msgs.map((m) => {
          sec += m.dsec;
          nanos = m.dsec ? 1 : nanos + m.dnanos;
          return frameFor(m, sec, nanos);
        });
        // A reconnection replays the last few frames (the daemon's inclusive `since`).
        const plan: Buffer[][] = [frames];
        for (const r of reconnectsRaw) plan.push(frames.slice(Math.max(0, frames.length - 1 - (r % 4))));
        const refSt = fresh();
        const newSt = fresh();
        const want: LogLine[] = [];
        const got: LogLine[] = [];
        for (const part of plan) {
          refSt.dedup.begin();
          newSt.dedup.begin();
          const bytes = Buffer.concat(part);
          const cuts = [...new Set(cutsRaw.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks: Buffer[] = [];
          let at = 0;
          for (const c of [...cuts, bytes.length]) {
            chunks.push(bytes.subarray(at, c));
            at = c;
          }
          const refDemux = new FrameDemuxer();
          const newDemux = new FrameDemuxer();
          const decoder = new FrameLines(newSt, 'src', () => 42);
          for (const chunk of chunks) {
            reference(refSt, refDemux, chunk, want);
            newDemux.each(chunk, (stream, buf, start, end) => decoder.frame(stream, buf, start, end, got), () => {});
          }
          expect(decoder.messages).toBe(part.length);
        }
        expect(got).toEqual(want);
        expect(newSt.dedup.since).toEqual(refSt.dedup.since);
      }),
      { numRuns: 400 },
    );
  });

  it('decodes dockerd’s usual message without the general path’s objects: one line, its time, CR stripped', () => {
    const st = fresh();
    const d = new FrameLines(st, 'api', () => 0);
    const out: LogLine[] = [];
    const f = encodeFrame('stderr', '2026-11-23T10:51:02.123456789Z GET /health 200\r\n');
    d.frame('stderr', f, 8, f.length, out);
    expect(out).toEqual([{ source: 'api', ts: Date.UTC(2026, 10, 23, 10, 51, 2, 123), stream: 'stderr', text: 'GET /health 200' }]);
    expect(st.dedup.since).toEqual({ sec: Date.UTC(2026, 10, 23, 10, 51, 2) / 1000, nanos: 123_456_789, ms: Date.UTC(2026, 10, 23, 10, 51, 2, 123) });
  });
});
