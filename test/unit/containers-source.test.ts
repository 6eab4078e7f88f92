import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../src/live/events.js';
import { ContainersSource, describeDockerError, engineSince } from '../../src/containers/source.js';
import { confirmAccepted, restartContainer, restartPrompt } from '../../src/containers/actions.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Generous: on a loaded machine timers can be late by a second or more; a met condition returns at once.
async function until<T>(fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(5);
  }
}

function errno(code: string, message = code): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

/** A stand-in for dockerode with what ContainersSource calls. */
class FakeDocker {
  modem = { socketPath: '/run/fake/docker.sock' };
  listCalls = 0;
  listDelayMs = 0;
  inFlight = 0;
  maxInFlight = 0;
  listError: Error | undefined;
  inspectCalls = 0;
  statsCalls = 0;
  eventsCalls: Array<Record<string, unknown>> = [];
  streams: PassThrough[] = [];
  restartCalls: Array<{ name: string; opts: unknown }> = [];
  restartError: Error | undefined;
  state = 'running';
  total = 1_000_000_000;
  system = 1_000_000_000_000;

  async listContainers(opts: { abortSignal?: AbortSignal }) {
    this.listCalls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.listDelayMs > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, this.listDelayMs);
          opts.abortSignal?.addEventListener('abort', () => {
            clearTimeout(t);
            reject(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));
          });
        });
      }
      if (this.listError) throw this.listError;
      return [{ Id: 'c1', Names: ['/shop-api-1'], Image: 'shop/api:1.2', Labels: { 'com.docker.compose.service': 'api' }, State: this.state, Status: '' }];
    } finally {
      this.inFlight--;
    }
  }

  getContainer(id: string) {
    return {
      inspect: async () => {
        this.inspectCalls++;
        return { Id: id, RestartCount: 2, State: { Status: this.state, StartedAt: '2026-01-01T00:00:00Z' } };
      },
      stats: async () => {
        this.statsCalls++;
        // 50% of one core between samples: +0.5 s of container time per 2 s of host time on 2 CPUs.
        this.total += 500_000_000;
        this.system += 2_000_000_000;
        return { cpu_stats: { cpu_usage: { total_usage: this.total }, system_cpu_usage: this.system, online_cpus: 2 }, memory_stats: { usage: 1000 } };
      },
      restart: async (opts: unknown) => {
        this.restartCalls.push({ name: id, opts });
        if (this.restartError) throw this.restartError;
      },
    };
  }

  async getEvents(opts: Record<string, unknown>) {
    this.eventsCalls.push(opts);
    const s = new PassThrough();
    this.streams.push(s);
    return s;
  }

  asDocker(): Docker {
    return this as unknown as Docker;
  }
}

const sources: ContainersSource[] = [];
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.stop()));
});

function makeSource(fake: FakeDocker, opts: Partial<ConstructorParameters<typeof ContainersSource>[0]> = {}) {
  const events: LiveEvent[] = [];
  const src = new ContainersSource({ docker: fake.asDocker(), intervalMs: 50, emit: (e) => events.push(e), now: () => Date.now(), ...opts });
  sources.push(src);
  return { src, events, of: <T extends LiveEvent['type']>(t: T) => events.filter((e): e is Extract<LiveEvent, { type: T }> => e.type === t) };
}

describe('ContainersSource (fake Engine)', () => {
  it('polls every interval and computes CPU % from its own successive samples', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake);
    src.start();
    const rows = await until(() => of('containers').find((e) => e.rows[0]?.cpuPct !== undefined)?.rows);
    expect(rows[0]).toMatchObject({ name: 'shop-api-1', service: 'api', restarts: 2, image: 'shop/api', tag: '1.2', memBytes: 1000 });
    expect(rows[0]!.cpuPct).toBeCloseTo(50, 6);
    expect(of('containers')[0]!.rows[0]!.cpuPct).toBeUndefined();
  });

  it('never runs two polls at once, even when the Engine is slower than the interval', async () => {
    const fake = new FakeDocker();
    fake.listDelayMs = 120;
    const { src } = makeSource(fake, { intervalMs: 10 });
    src.start();
    // Waited for, not counted in a fixed time: a busy machine may fit fewer polls in 700 ms.
    await until(() => fake.listCalls >= 3);
    expect(fake.maxInFlight).toBe(1);
  });

  it('an event emits container-event and refreshes at once; inspect is cached while the stream is open', async () => {
    const fake = new FakeDocker();
    const { src, events, of } = makeSource(fake, { intervalMs: 60_000, eventDebounceMs: 10 });
    src.start();
    await until(() => src.eventStreamOpen && of('containers').length >= 1);
    await sleep(50);
    const polls = fake.listCalls;
    const inspects = fake.inspectCalls;
    // A poll with the stream open and no event uses the cache.
    src.refresh();
    await until(() => fake.listCalls > polls && of('containers').length >= 2);
    expect(fake.inspectCalls).toBe(inspects);

    const n = of('containers').length;
    fake.streams[0]!.write(
      JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { name: 'shop-api-1', exitCode: '137' } }, time: 1795431041, timeNano: 1795431041011341765 }) + '\n',
    );
    await until(() => of('containers').length > n);
    const ev = of('container-event')[0]!;
    expect(ev).toMatchObject({ id: 'c1', name: 'shop-api-1', action: 'die' });
    // The event came before the rows it caused, and the cache entry was dropped.
    expect(events.indexOf(ev)).toBeLessThan(events.lastIndexOf(of('containers').at(-1)!));
    expect(fake.inspectCalls).toBe(inspects + 1);
  });

  it('event-driven refreshes skip stats (the Engine may hold them up to 1 s) and keep the last CPU and memory', async () => {
    const fake = new FakeDocker();
    // The interval is long enough that neither the next timed poll nor a stats sample falls due
    // (stats are due after 0.9 x interval) before the event's refresh, even with late timers.
    const { src, of } = makeSource(fake, { intervalMs: 2_000, eventDebounceMs: 10 });
    src.start();
    await until(() => src.eventStreamOpen && of('containers').some((e) => e.rows[0]?.cpuPct !== undefined));
    await sleep(20);
    const stats = fake.statsCalls;
    const last = of('containers').at(-1)!.rows[0]!;
    const n = of('containers').length;
    fake.streams[0]!.write(JSON.stringify({ Type: 'container', Action: 'health_status: healthy', Actor: { ID: 'c1', Attributes: { name: 'shop-api-1' } } }) + '\n');
    await until(() => of('containers').length > n);
    expect(fake.statsCalls).toBe(stats);
    expect(of('containers')[n]!.rows[0]).toMatchObject({ cpuPct: last.cpuPct, memBytes: 1000 });
    // The next timed poll samples again.
    await until(() => fake.statsCalls > stats);
  });

  it('hidden: polls nothing and arms no timer; shown again it polls at once when its data is older than the interval', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake, { intervalMs: 80 });
    src.start();
    await until(() => of('containers').length >= 2);
    src.setShown(false);
    await sleep(150); // a poll in flight may still land
    const polls = fake.listCalls;
    await sleep(400);
    expect(fake.listCalls).toBe(polls);
    src.setShown(true);
    await until(() => fake.listCalls > polls);
  });

  it('hidden: the event stream stays open; an event seen meanwhile makes it poll as soon as it is shown', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake, { intervalMs: 60_000, eventDebounceMs: 10 });
    src.start();
    await until(() => src.eventStreamOpen && of('containers').length >= 1);
    src.setShown(false);
    const polls = fake.listCalls;
    fake.streams[0]!.write(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { name: 'shop-api-1' } } }) + '\n');
    await until(() => of('container-event').length === 1);
    await sleep(200);
    expect(fake.listCalls).toBe(polls);
    expect(fake.streams).toHaveLength(1);
    // Well within the 60 s interval: only the event can make it poll now.
    src.setShown(true);
    await until(() => fake.listCalls > polls);
  });

  it('an event the Engine’s list has not caught up with yet is read again until it shows, with backoff', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake, { intervalMs: 60_000, eventDebounceMs: 10 });
    const calledAt: number[] = [];
    const list = fake.listContainers.bind(fake);
    fake.listContainers = async (o: { abortSignal?: AbortSignal }) => (calledAt.push(performance.now()), list(o));
    src.start();
    await until(() => src.eventStreamOpen && of('containers').length >= 1);
    await sleep(50);
    const polls = fake.listCalls;
    // dockerd sends "die" before its list says so: the first refresh still reads "running".
    fake.streams[0]!.write(JSON.stringify({ Type: 'container', Action: 'die', Actor: { ID: 'c1', Attributes: { name: 'shop-api-1' } } }) + '\n');
    await until(() => fake.listCalls > polls);
    await sleep(100);
    expect(of('containers').at(-1)!.rows[0]!.state).toBe('running');
    // Still "running" for a while: read again at 0.25, 0.75, 1.75 s… not in a tight loop. Checked
    // on the gaps between reads (a late timer only widens them), not on a count in fixed wall time.
    await until(() => fake.listCalls - polls >= 3);
    const reads = calledAt.slice(polls);
    expect(reads[1]! - reads[0]!).toBeGreaterThanOrEqual(240);
    expect(reads[2]! - reads[1]!).toBeGreaterThanOrEqual(490);
    fake.state = 'exited';
    // Well within the 60 s interval: only the event's retries can bring this.
    await until(() => of('containers').at(-1)!.rows[0]!.state === 'exited', 15_000);
    const settled = fake.listCalls;
    await sleep(600);
    expect(fake.listCalls).toBe(settled);
  });

  it('a burst of events is answered by one refresh', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake, { intervalMs: 60_000, eventDebounceMs: 30 });
    src.start();
    await until(() => src.eventStreamOpen && of('containers').length >= 1);
    await sleep(60);
    const polls = fake.listCalls;
    const lines = ['kill', 'die', 'stop', 'start', 'restart'].map((a) => JSON.stringify({ Type: 'container', Action: a, Actor: { ID: 'c1', Attributes: { name: 'x' } } }));
    fake.streams[0]!.write(lines.join('\n') + '\n');
    await until(() => of('container-event').length === 5);
    await until(() => fake.listCalls - polls >= 1);
    await sleep(150); // room for extra refreshes, if the burst were not debounced
    expect(fake.listCalls - polls).toBeLessThanOrEqual(2);
  });

  it('re-opens the event stream with backoff after it ends, asking for what was missed', async () => {
    const fake = new FakeDocker();
    const { src, of } = makeSource(fake, { intervalMs: 60_000, eventBackoff: { initialMs: 20, maxMs: 100 } });
    src.start();
    await until(() => src.eventStreamOpen);
    expect(fake.eventsCalls[0]!['filters']).toEqual({ type: ['container'], event: ['die', 'start', 'restart', 'health_status', 'stop', 'kill', 'destroy', 'create'] });
    fake.streams[0]!.write(JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'c1' } }).replace('}', ',"timeNano":1795431041011341765}') + '\n');
    await until(() => of('container-event').length === 1);
    fake.streams[0]!.end();
    await until(() => fake.eventsCalls.length === 2 && src.eventStreamOpen);
    expect(fake.eventsCalls[1]!['since']).toBe('1795431041.011341766');
  });

  it('project filter goes to both the list and the event stream', async () => {
    const fake = new FakeDocker();
    let listOpts: unknown;
    const list = fake.listContainers.bind(fake);
    fake.listContainers = async (o: { abortSignal?: AbortSignal }) => ((listOpts = o), list(o));
    const { src } = makeSource(fake, { project: 'shop' });
    src.start();
    await until(() => src.eventStreamOpen && listOpts);
    expect(listOpts).toMatchObject({ all: true, filters: { label: ['com.docker.compose.project=shop'] } });
    expect(fake.eventsCalls[0]!['filters']).toMatchObject({ label: ['com.docker.compose.project=shop'] });
  });

  it('errors become one source-error in words, and source-ok follows on recovery', async () => {
    const fake = new FakeDocker();
    fake.listError = errno('ENOENT', 'connect ENOENT /run/fake/docker.sock');
    const { src, of } = makeSource(fake, { intervalMs: 20 });
    src.start();
    await until(() => fake.listCalls >= 4);
    expect(of('source-error')).toHaveLength(1);
    expect(of('source-error')[0]).toMatchObject({ pane: 'containers', source: 'docker', error: 'Docker socket not found: /run/fake/docker.sock (is Docker installed and running?)' });
    fake.listError = errno('EACCES');
    await until(() => of('source-error').length === 2);
    expect(of('source-error')[1]!.error).toMatch(/^permission denied on \/run\/fake\/docker.sock/);
    fake.listError = undefined;
    await until(() => of('source-ok').length === 1);
    const okAt = of('source-ok')[0]!;
    expect(of('containers').length).toBeGreaterThan(0);
    await sleep(100);
    expect(of('source-ok')).toEqual([okAt]);
  });

  it('a poll that hangs is abandoned after requestTimeoutMs', async () => {
    const fake = new FakeDocker();
    fake.listDelayMs = 10_000;
    const { src, of } = makeSource(fake, { requestTimeoutMs: 100 });
    src.start();
    const err = await until(() => of('source-error')[0]);
    expect(err.error).toBe('Docker did not answer within 100ms');
  });

  it('a request that never settles, even when aborted, cannot wedge the polls or stop()', async () => {
    const fake = new FakeDocker();
    let calls = 0;
    fake.listContainers = () => {
      calls++;
      return new Promise(() => {}); // like docker-modem when the abort lands mid-response
    };
    const { src, of } = makeSource(fake, { intervalMs: 20, requestTimeoutMs: 100 });
    src.start();
    await until(() => of('source-error')[0]);
    await until(() => calls >= 2); // polling goes on
    // stop() aborts the hung request itself and settles at once, without waiting for any timer
    // (such as the 100 ms request timeout): checked against the event loop, not the clock, which a
    // busy machine can stall for longer than 100 ms.
    let stopped = false;
    const stopping = src.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(true);
    await stopping;
  });

  it('stop() ends the stream and the timers; nothing is emitted after', async () => {
    const fake = new FakeDocker();
    const { src, events } = makeSource(fake, { intervalMs: 10 });
    src.start();
    await until(() => src.eventStreamOpen && events.length > 2);
    await src.stop();
    const n = events.length;
    const calls = fake.listCalls;
    expect(fake.streams[0]!.destroyed).toBe(true);
    await sleep(100);
    expect(events.length).toBe(n);
    expect(fake.listCalls).toBe(calls);
    expect(src.eventStreamOpen).toBe(false);
  });
});

describe('describeDockerError', () => {
  const where = '/var/run/docker.sock';
  it.each([
    [errno('ENOENT'), 'Docker socket not found: /var/run/docker.sock (is Docker installed and running?)'],
    [errno('EACCES'), 'permission denied on /var/run/docker.sock (is the user in the docker group?)'],
    [errno('ECONNREFUSED'), 'Docker is not listening on /var/run/docker.sock (is the daemon running?)'],
    [new Error('not connected to ssh://root@127.0.0.1:2222: connection lost (no answer to keepalives); retrying in 4s'), 'SSH link down (ssh://root@127.0.0.1:2222: connection lost (no answer to keepalives))'],
    [new Error('connection lost'), 'SSH link down: connection lost'],
    [
      new Error('cannot open unix socket /var/run/docker.sock on ssh://root@h:22: (SSH) Channel open failure: open failed'),
      'cannot open the Docker socket /var/run/docker.sock on ssh://root@h:22: the SSH server refused (open failed): the socket is missing, the SSH user may not open it, or AllowStreamLocalForwarding is off',
    ],
    [new Error('cannot open unix socket /var/run/docker.sock on ssh://root@h:22: administratively prohibited'), 'the SSH server on ssh://root@h:22 does not allow forwarding the Docker socket (AllowStreamLocalForwarding)'],
    [Object.assign(new Error('(HTTP code 500) server error - boom '), { statusCode: 500, json: { message: 'boom' } }), 'Docker answered HTTP 500: boom'],
  ])('%s', (err, text) => {
    expect(describeDockerError(err, where)).toBe(text);
  });

  it('engineSince pads nanoseconds', () => {
    expect(engineSince(1795431041000000005n)).toBe('1795431041.000000005');
  });
});

describe('restart', () => {
  it('asks a yes off production, the container name on production', () => {
    const staging = restartPrompt('shop-api-1', { name: 'staging', production: false });
    expect(staging.title).toBe('Restart container shop-api-1 on staging?');
    expect(staging.typeToConfirm).toBeUndefined();
    expect(confirmAccepted(staging, 'y')).toBe(true);
    expect(confirmAccepted(staging, 'n')).toBe(false);

    const prod = restartPrompt('shop-api-1', { name: 'prod', production: true }, { timeoutS: 5 });
    expect(prod.title).toBe('Restart container shop-api-1 on PRODUCTION (prod)?');
    expect(prod.body).toContain('SIGKILL after 5s');
    expect(prod.body).toContain('Type shop-api-1 to confirm.');
    expect(prod.typeToConfirm).toBe('shop-api-1');
    expect(confirmAccepted(prod, 'y')).toBe(false);
    expect(confirmAccepted(prod, 'prod')).toBe(false);
    expect(confirmAccepted(prod, 'shop-api-')).toBe(false);
    expect(confirmAccepted(prod, ' shop-api-1 ')).toBe(true);
  });

  it('restartContainer passes the timeout and never throws', async () => {
    const fake = new FakeDocker();
    const ok = await restartContainer(fake.asDocker(), 'shop-api-1', { timeoutS: 3 });
    expect(ok.ok).toBe(true);
    expect(ok.error).toBeUndefined();
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    expect(fake.restartCalls[0]).toMatchObject({ name: 'shop-api-1', opts: { t: 3 } });

    fake.restartError = Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 });
    expect(await restartContainer(fake.asDocker(), 'nope')).toMatchObject({ ok: false, error: 'no such container: nope' });
    fake.restartError = errno('ECONNREFUSED');
    expect(await restartContainer(fake.asDocker(), 'x', { where: '/s.sock' })).toMatchObject({ ok: false, error: 'Docker is not listening on /s.sock (is the daemon running?)' });
    const ac = new AbortController();
    ac.abort();
    expect(await restartContainer(fake.asDocker(), 'x', { signal: ac.signal })).toMatchObject({ ok: false, error: 'cancelled' });
  });
});
