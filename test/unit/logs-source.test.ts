import type { Duplex } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEvent, LogLine } from '../../src/live/events.js';
import { isNotice } from '../../src/logs/sink.js';
import { LogSource } from '../../src/logs/source.js';
import { LocalTarget } from '../../src/targets/local.js';
import type { ConnectionState, RunOptions, RunResult, Target } from '../../src/targets/target.js';

/** A target whose commands the test drives by hand. */
class FakeTarget implements Target {
  readonly id = 'fake';
  runs: Array<{ command: string; opts: RunOptions; finish: (r: Partial<RunResult>) => void }> = [];
  private listeners = new Set<(s: ConnectionState) => void>();
  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve) => {
      const finish = (r: Partial<RunResult>) => resolve({ code: 0, tail: [], timedOut: false, durationMs: 1, ...r });
      opts.signal?.addEventListener('abort', () => finish({ code: null, error: 'aborted' }), { once: true });
      this.runs.push({ command, opts, finish });
    });
  }
  openUnixSocket(): Promise<Duplex> {
    return Promise.reject(new Error('no'));
  }
  openTcp(): Promise<Duplex> {
    return Promise.reject(new Error('no'));
  }
  onState(l: (s: ConnectionState) => void): () => void {
    this.listeners.add(l);
    l({ state: 'connected' });
    return () => this.listeners.delete(l);
  }
  setState(s: ConnectionState): void {
    for (const l of this.listeners) l(s);
  }
  async close(): Promise<void> {}
}

function collector() {
  const events: LiveEvent[] = [];
  const lines = () => events.flatMap((e) => (e.type === 'logs' ? e.lines : [])) as LogLine[];
  const dropped = () => events.reduce((n, e) => n + (e.type === 'logs-dropped' ? e.count : 0), 0);
  return { events, emit: (e: LiveEvent) => events.push(e), lines, dropped };
}

// Generous: on a loaded machine timers can be late by a second or more; a met condition returns at once.
async function until(cond: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

const sources: LogSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});
function make(opts: ConstructorParameters<typeof LogSource>[0]): LogSource {
  const s = new LogSource(opts);
  sources.push(s);
  return s;
}

describe('LogSource batching', () => {
  it('a flood becomes a few events; what does not fit is counted, never silently lost', async () => {
    const t = new FakeTarget();
    const c = collector();
    const s = make({ name: 'cmd', spec: { name: 'cmd', run: 'x' }, target: t, emit: c.emit, now: Date.now, batchMs: 20, maxPending: 1_000 });
    s.start();
    await until(() => t.runs.length === 1);
    const { onLine } = t.runs[0]!.opts;
    for (let i = 0; i < 25_000; i++) onLine!(`l${i}`, i % 2 ? 'stderr' : 'stdout');
    await until(() => c.lines().length + c.dropped() === 25_000);
    expect(c.dropped()).toBe(24_000);
    expect(c.lines().at(-1)?.text).toBe('l24999'); // the oldest go, the newest stay
    expect(c.lines()[0]?.text).toBe('l24000');
    expect(c.events.filter((e) => e.type === 'logs').length).toBe(1);
    // The dropped count comes before the lines it precedes.
    expect(c.events.findIndex((e) => e.type === 'logs-dropped')).toBeLessThan(c.events.findIndex((e) => e.type === 'logs'));
    expect(s.stats).toEqual({ lines: 1_000, dropped: 24_000, events: 1 });
  });

  it('notices are never evicted and keep their place among the lines', async () => {
    const t = new FakeTarget();
    const c = collector();
    const s = make({ name: 'job', spec: { name: 'job', run: 'x' }, target: t, emit: c.emit, now: Date.now, batchMs: 20, maxPending: 10, backoff: { initialMs: 1, maxMs: 1 } });
    s.start();
    await until(() => t.runs.length === 1);
    for (let i = 0; i < 5; i++) t.runs[0]!.opts.onLine!(`a${i}`, 'stdout');
    t.runs[0]!.finish({ code: 0 }); // → a notice
    await until(() => t.runs.length === 2);
    for (let i = 0; i < 8; i++) t.runs[1]!.opts.onLine!(`b${i}`, 'stdout');
    await until(() => c.lines().length + c.dropped() >= 14);
    const texts = c.lines().map((l) => (isNotice(l) ? 'NOTICE' : l.text));
    expect(c.dropped()).toBe(3);
    expect(texts).toEqual(['a3', 'a4', 'NOTICE', 'b0', 'b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7']);
  });

  it('at most one logs event per batchMs, keeping order and streams', async () => {
    const t = new FakeTarget();
    const c = collector();
    const times: number[] = [];
    const s = make({
      name: 'cmd',
      spec: { name: 'cmd', run: 'x' },
      target: t,
      emit: (e) => {
        if (e.type === 'logs') times.push(performance.now());
        c.emit(e);
      },
      now: Date.now,
      batchMs: 40,
    });
    s.start();
    await until(() => t.runs.length === 1);
    const { onLine } = t.runs[0]!.opts;
    const fedFrom = performance.now();
    for (let i = 0; i < 60; i++) {
      onLine!(`l${i}`, i % 3 === 0 ? 'stderr' : 'stdout');
      await sleep(4);
    }
    const fedMs = performance.now() - fedFrom;
    await until(() => c.lines().length === 60);
    expect(c.lines().map((l) => l.text)).toEqual(Array.from({ length: 60 }, (_, i) => `l${i}`));
    expect(c.lines().filter((l) => l.stream === 'stderr').length).toBe(20);
    // Lines were fed every 4 ms (240 ms in all, more on a busy machine, where the 4 ms sleeps run
    // late): the number of events is bounded by the feeding time actually taken, not by 240 ms.
    expect(times.length).toBeLessThan(Math.max(60 / 3, fedMs / 40 + 3));
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(38);
  });

  it('an emit that throws does not stop the source', async () => {
    const t = new FakeTarget();
    let n = 0;
    const s = make({
      name: 'cmd',
      spec: { name: 'cmd', run: 'x' },
      target: t,
      emit: (e) => {
        if (e.type === 'logs') n += e.lines.length;
        throw new Error('UI bug');
      },
      now: Date.now,
      batchMs: 5,
    });
    s.start();
    await until(() => t.runs.length === 1);
    t.runs[0]!.opts.onLine!('a', 'stdout');
    await until(() => n === 1);
    t.runs[0]!.opts.onLine!('b', 'stdout');
    await until(() => n === 2);
  });
});

describe('LogSource command', () => {
  it('restarts a command that ends, noting each restart; errors and recovery become events', async () => {
    const t = new FakeTarget();
    const c = collector();
    const s = make({ name: 'job', spec: { name: 'job', run: 'journalctl -f' }, target: t, emit: c.emit, now: Date.now, batchMs: 5, backoff: { initialMs: 10, maxMs: 40 } });
    s.start();
    await until(() => t.runs.length === 1);
    expect(t.runs[0]!.command).toBe('journalctl -f');
    t.runs[0]!.finish({ code: 3 });
    await until(() => t.runs.length === 2);
    await until(() => c.events.some((e) => e.type === 'source-error'));
    const err = c.events.find((e) => e.type === 'source-error');
    expect(err).toMatchObject({ pane: 'logs', source: 'job', error: 'command exited with code 3' });
    t.runs[1]!.opts.onLine!('back', 'stdout');
    await until(() => c.events.some((e) => e.type === 'source-ok'));
    await until(() => c.lines().some((l) => l.text === 'back'));
    const notes = c.lines().filter(isNotice).map((l) => l.text);
    expect(notes[0]).toMatch(/command exited with code 3; restart #1 in 10 ms/);
    // A link that is lost: reported, then retried.
    t.runs[1]!.finish({ code: null, error: 'connection lost' });
    await until(() => t.runs.length === 3);
    expect(c.events.filter((e) => e.type === 'source-error').at(-1)).toMatchObject({ error: 'command connection lost' });
  });

  it('stop() aborts the running command and resolves', async () => {
    const t = new FakeTarget();
    const c = collector();
    const s = make({ name: 'job', spec: { name: 'job', run: 'x' }, target: t, emit: c.emit, now: Date.now });
    s.start();
    await until(() => t.runs.length === 1);
    await s.stop();
    expect(t.runs[0]!.opts.signal?.aborted).toBe(true);
    expect(t.runs.length).toBe(1);
  });

  it('real command on the local target: every line delivered or counted', async () => {
    const target = new LocalTarget();
    const c = collector();
    const s = make({ name: 'seq', spec: { name: 'seq', run: 'seq 1 30000; sleep 60' }, target, emit: c.emit, now: Date.now, batchMs: 20, maxPending: 2_000 });
    s.start();
    // (The command then sleeps, long enough that a slow delivery is never followed by a restart and
    // a second seq; stop() ends it.)
    await until(() => c.lines().filter((l) => !isNotice(l)).length + c.dropped() >= 30_000, 30_000);
    await s.stop();
    const got = c.lines().filter((l) => !isNotice(l));
    expect(got.length + c.dropped()).toBe(30_000);
    expect(got.at(-1)?.text).toBe('30000');
    await target.close();
  });
});

describe('LogSource setup errors', () => {
  it('a container source without Docker is a source-error, not a throw', async () => {
    const c = collector();
    const s = make({ name: 'api', spec: { name: 'api', container: 'api' }, target: new FakeTarget(), emit: c.emit, now: () => 7 });
    s.start();
    expect(c.events).toEqual([{ type: 'source-error', at: 7, pane: 'logs', source: 'api', error: expect.stringMatching(/no Docker/) }]);
  });
});
