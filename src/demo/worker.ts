// The background worker of `hubops demo`: takes a job every ~1.5 s, asks the shop API for what
// it needs (a real HTTP request to /api/inventory, so a crashed API shows up in the worker's
// log too), and writes one line per job to its log file. It touches a heartbeat file every
// second (the demo's `run` health check reads its age). No dependencies, erasable TypeScript
// only: built as dist/demo-worker.js, or run from source with Node's type stripping.
//
// Arguments: --log FILE --api http://127.0.0.1:PORT --heartbeat FILE --ready FILE --parent PID
// --every MS. Exits by itself when its parent is gone (checked every 500 ms).

import { closeSync, openSync, renameSync, writeFileSync, writeSync } from 'node:fs';

const JOBS = ['send-order-email', 'resize-product-image', 'sync-inventory', 'charge-subscription', 'rebuild-search-index'];

function arg(flag: string): string | undefined {
  const argv = process.argv;
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function main(): void {
  const logPath = arg('--log');
  const api = arg('--api');
  const heartbeat = arg('--heartbeat');
  const ready = arg('--ready');
  const parentArg = arg('--parent');
  const every = Math.max(100, Number(arg('--every') ?? 1500) || 1500);
  const fd = logPath === undefined ? undefined : openSync(logPath, 'a');
  const line = (level: 'INFO' | 'WARN' | 'ERROR', text: string): void => {
    const s = `${new Date().toISOString()} ${level.padEnd(5)} ${text}\n`;
    if (fd === undefined) process.stdout.write(s);
    else writeSync(fd, s);
  };
  const exitNow = (code: number): never => {
    if (fd !== undefined) closeSync(fd);
    process.exit(code);
  };

  let jobId = 4100 + Math.floor(Math.random() * 500);
  let apiDown = false;
  let busy = false;

  const runJob = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    const id = ++jobId;
    const kind = JOBS[id % JOBS.length]!;
    const started = Date.now();
    try {
      if (api !== undefined) {
        const res = await fetch(`${api}/api/inventory?job=${id}`, { signal: AbortSignal.timeout(2000) });
        await res.arrayBuffer();
        if (apiDown) {
          apiDown = false;
          line('INFO', `shop API reachable again at ${api}`);
        }
        if (res.status >= 500) {
          line('WARN', `job ${id} ${kind}: shop API answered ${res.status}, retrying in 30s`);
          return;
        }
      }
      // The job's own work: a little CPU, a little waiting.
      let x = 0;
      for (let i = 0; i < 20_000; i++) x += Math.sqrt(i);
      await new Promise((r) => setTimeout(r, 20 + (x % 80)));
      const ms = Date.now() - started;
      line(ms > 1500 ? 'WARN' : 'INFO', `job ${id} ${kind} done in ${ms}ms`);
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      const why = e.name === 'TimeoutError' ? 'timed out after 2000ms' : (e.cause?.code ?? String(err));
      line('ERROR', `job ${id} ${kind} failed: shop API ${api} unreachable (${why}); will retry`);
      apiDown = true;
    } finally {
      busy = false;
    }
  };

  const beat = (): void => {
    if (heartbeat !== undefined) writeFileSync(heartbeat, `${Date.now()}\n`);
  };

  process.on('SIGTERM', () => {
    line('INFO', 'SIGTERM received: finishing the current job and stopping');
    exitNow(0);
  });
  process.on('SIGINT', () => exitNow(0));
  process.on('SIGHUP', () => exitNow(0));

  if (parentArg !== undefined) {
    const parent = Number(parentArg);
    const check = (): void => {
      if (process.ppid !== parent) {
        line('WARN', `parent process ${parent} is gone: exiting`);
        exitNow(0);
      }
    };
    check();
    setInterval(check, 500);
  }

  line('INFO', `worker starting (pid ${process.pid}), queue "default", ${JOBS.length} job kinds`);
  beat();
  setInterval(beat, 1000);
  setInterval(() => void runJob(), every);
  if (ready !== undefined) {
    const tmp = `${ready}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ pid: process.pid, startedAt: Date.now() }) + '\n');
    renameSync(tmp, ready);
  }
}

main();
