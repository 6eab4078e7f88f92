// The "shop" API of `hubops demo`: a small HTTP service with no dependencies, run as its own
// process by the demo stack (src/demo/stack.ts). Built as dist/demo-shop.js; from source it runs
// with Node's type stripping, so this file imports nothing but node: modules and uses only
// erasable TypeScript.
//
// It listens on 127.0.0.1 only and makes its own traffic: every 100 ms it records a batch of
// synthetic requests (200/s by default) through the same model as real requests to /api/*, so
// its counters and latency histogram move without a load generator. The model is deterministic
// (exact error proportions, a low-discrepancy latency sequence), so the figures are steady when
// nothing is wrong and a fault stands out at once.
//
// Why 200/s: counters count whole requests, so a ratio read over a short window is only as fine as
// the number of requests in it. A release's watch window judges the error ratio from scrapes a few
// seconds apart, starting right after the deploy restarted this process (its counters at zero).
// At 20/s with 1 % failing, the 500 counter moved one step every 5 s: a 3 s window read 0 % or
// 1.7 %, the pre-watch baseline came out near 0.4 %, and a healthy release read 2x its baseline
// and rolled back. At 200/s a 3 s window holds about 6 failures and reads 1 % within a sixth.
// The log keeps the pace it had at 20/s: one line per 100 successes, per 10 failures or slow
// requests (the counters and the histogram count every request).
//
//   GET  /health          200 {"status":"ok"}, 503 while the "unhealthy" fault is on
//   GET  /ready           200 once warmed up, 503 while starting or draining
//   GET  /metrics         Prometheus text 0.0.4: http_requests_total{code}, the
//                         http_request_duration_seconds histogram, shop_version_info{version},
//                         shop_pool_utilization_ratio (saturation), process_* gauges
//   GET  /api/...         a simulated request (really waits the latency; 500 when it fails)
//   GET  /version         {"version": "..."}
//   POST /admin/fault     {"kind": "errors"|"latency"|"drift"|"flood"|"unhealthy"|"none", "factor"?: n}
//   POST /admin/crash     logs a FATAL line and exits with code 1
//   GET  /admin/faults    the faults in force
// The admin endpoints want `authorization: Bearer $SHOP_ADMIN_TOKEN` when that variable is set.
//
// Arguments: --port N (0: any free port, reported in the ready file) --dir DIR (VERSION is read
// from DIR/VERSION at start) --log FILE --ready FILE --parent PID --rps N. The process exits by
// itself when its parent is gone (it checks every 500 ms), so nothing is left listening when the
// console that started it is killed with SIGKILL.

import http from 'node:http';
import { closeSync, fstatSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

const NAME = 'shop-api';
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Share of requests that fail when nothing is injected: a real service is never at zero. */
const BASE_ERROR_RATIO = 0.01;
/** Request handlers the pool has; utilisation = busy time / (pool x wall time): ~18 % at 200 req/s. */
const POOL_SIZE = 40;
/** Default synthetic requests per second (see the header: enough for a steady error ratio over a few seconds). */
const DEFAULT_RPS = 200;
/** One log line per this many requests of a kind (so the log reads at the pace it had at 20 req/s). */
const LOG_EVERY = { ok: 100, failed: 10, slow: 10 };
const WARMUP_MS = 800;
const LOG_ROTATE_BYTES = 50 * 1024 * 1024;
const ROUTES = ['GET /api/products', 'GET /api/products/', 'GET /api/cart', 'POST /api/cart/items', 'POST /api/checkout'];
const ERROR_CAUSES = [
  'payment provider answered 502 Bad Gateway',
  'database query timed out after 2000ms (orders)',
  'inventory service connection reset',
  'upstream pricing returned malformed JSON',
];

interface Args {
  port: number;
  dir: string;
  log: string | undefined;
  ready: string | undefined;
  parent: number | undefined;
  rps: number;
}

function parseArgs(argv: readonly string[]): Args {
  const get = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (v: string | undefined, dflt: number): number => {
    const n = v === undefined ? NaN : Number(v);
    return Number.isFinite(n) && n >= 0 ? n : dflt;
  };
  const parent = get('--parent');
  return {
    port: num(get('--port') ?? process.env.SHOP_PORT, 0),
    dir: get('--dir') ?? process.cwd(),
    log: get('--log'),
    ready: get('--ready'),
    parent: parent === undefined ? undefined : Number(parent),
    rps: num(get('--rps') ?? process.env.SHOP_RPS, DEFAULT_RPS),
  };
}

// ---------------------------------------------------------------------------------------------
// Log file: lines buffered and written every 100 ms with plain writes (so a crash loses nothing
// that was flushed, and nothing waits on a stream), rotated to FILE.1 past 50 MB.

class LogFile {
  private fd: number | undefined;
  private pending: string[] = [];
  private readonly path: string | undefined;
  constructor(path: string | undefined) {
    this.path = path;
    this.open();
  }
  private open(): void {
    if (this.path !== undefined) this.fd = openSync(this.path, 'a');
  }
  line(level: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'FATAL', text: string): void {
    this.pending.push(`${new Date().toISOString()} ${level.padEnd(5)} ${text}\n`);
  }
  flush(): void {
    if (this.pending.length === 0) return;
    const chunk = this.pending.join('');
    this.pending = [];
    if (this.fd === undefined) {
      process.stdout.write(chunk);
      return;
    }
    writeSync(this.fd, chunk);
    if (fstatSync(this.fd).size > LOG_ROTATE_BYTES && this.path !== undefined) {
      closeSync(this.fd);
      renameSync(this.path, `${this.path}.1`);
      this.open();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

interface Faults {
  /** Share of requests that fail (0 = not injected). */
  errors: number;
  /** Latency multiple (1 = not injected). */
  latency: number;
  /** Latency drift: extra multiple per minute since `since`. */
  drift: { perMinute: number; since: number } | undefined;
  /** Extra log lines per second (0 = off). */
  flood: number;
  unhealthy: boolean;
}

const noFaults = (): Faults => ({ errors: 0, latency: 1, drift: undefined, flood: 0, unhealthy: false });

const FAULT_KINDS = ['errors', 'latency', 'drift', 'flood', 'unhealthy', 'none'];

function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

// ---------------------------------------------------------------------------------------------
// The service

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const log = new LogFile(args.log);
  const token = process.env.SHOP_ADMIN_TOKEN ?? '';
  let version = '0.0.0';
  try {
    version = readFileSync(join(args.dir, 'VERSION'), 'utf8').trim() || version;
  } catch {
    // No VERSION file: report 0.0.0.
  }
  const startedAt = Date.now();
  let phase: 'starting' | 'ready' | 'draining' = 'starting';
  let faults = noFaults();

  // Counters (since this process started: a restart resets them, as a real one would).
  const byCode = new Map<string, number>([
    ['200', 0],
    ['500', 0],
  ]);
  const buckets = new Array<number>(LATENCY_BUCKETS.length + 1).fill(0); // non-cumulative; last is +Inf
  let latencySum = 0;
  let latencyCount = 0;
  let ordersTotal = 0;
  // Busy time of the last few seconds, for the pool utilisation gauge.
  const busyWindow: { t: number; busy: number }[] = [];

  let seq = 0;
  let errCarry = 0;
  let realErrCarry = 0;
  let reqCarry = 0;
  let logged = 0;
  let failedSeen = 0;
  let slowSeen = 0;
  // Per-second caps on the lines a request burst may log.
  let errLinesThisSecond = 0;
  let warnLinesThisSecond = 0;

  const multiple = (now: number): number => {
    const drift = faults.drift ? 1 + (faults.drift.perMinute * (now - faults.drift.since)) / 60_000 : 1;
    return clamp(faults.latency * drift, 0.01, 200);
  };

  /** One request through the model: its latency (s) and whether it failed. */
  const simulate = (now: number, synthetic: boolean): { latency: number; failed: boolean } => {
    // Golden-ratio sequence: evenly spread in [0, 1) over any window, so quantiles are steady.
    seq = (seq + 0.6180339887498949) % 1;
    const u = seq;
    // 97 % between 12 and 72 ms, 3 % between 100 and 250 ms: p99 = 200 ms from the histogram.
    const base = u < 0.97 ? 0.012 + 0.06 * (u / 0.97) ** 2 : 0.1 + 0.15 * ((u - 0.97) / 0.03);
    const latency = base * multiple(now);
    // Synthetic traffic fails at the base ratio too; real requests (smoke tests, the worker) only
    // when errors are injected, so a smoke test never fails by bad luck.
    if (!synthetic) {
      realErrCarry += faults.errors;
      const failed = realErrCarry >= 1;
      if (failed) realErrCarry -= 1;
      return { latency, failed };
    }
    errCarry += faults.errors > 0 ? faults.errors : BASE_ERROR_RATIO;
    const failed = errCarry >= 1;
    if (failed) errCarry -= 1;
    return { latency, failed };
  };

  const record = (now: number, route: string, latency: number, failed: boolean): void => {
    const code = failed ? '500' : '200';
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
    let i = LATENCY_BUCKETS.findIndex((le) => latency <= le);
    if (i < 0) i = LATENCY_BUCKETS.length;
    buckets[i] = (buckets[i] ?? 0) + 1;
    latencySum += latency;
    latencyCount++;
    if (!failed && route === 'POST /api/checkout') ordersTotal++;
    const last = busyWindow.at(-1);
    const second = Math.floor(now / 1000) * 1000;
    if (last && last.t === second) last.busy += latency;
    else busyWindow.push({ t: second, busy: latency });
    while (busyWindow.length > 6) busyWindow.shift();

    const ms = Math.round(latency * 1000);
    if (failed) {
      if (failedSeen++ % LOG_EVERY.failed === 0 && errLinesThisSecond++ < 20) {
        log.line('ERROR', `${route} 500 ${ms}ms: ${ERROR_CAUSES[latencyCount % ERROR_CAUSES.length]}`);
      }
    } else if (latency >= 0.5) {
      if (slowSeen++ % LOG_EVERY.slow === 0 && warnLinesThisSecond++ < 5) log.line('WARN', `slow request: ${route} 200 took ${ms}ms`);
    } else if (++logged % LOG_EVERY.ok === 0) {
      log.line('INFO', `${route} 200 ${ms}ms`);
    }
  };

  const utilisation = (now: number): number => {
    const from = Math.floor(now / 1000) * 1000 - 5000;
    const busy = busyWindow.filter((b) => b.t >= from && b.t < from + 5000).reduce((s, b) => s + b.busy, 0);
    return clamp(busy / (POOL_SIZE * 5), 0, 1);
  };

  // Synthetic traffic and the periodic lines.
  let lastTick = Date.now();
  let floodCarry = 0;
  let floodSeq = 0;
  let lastSecond = Math.floor(lastTick / 1000);
  let lastStats = lastTick;
  let lastUnhealthyLine = 0;
  const tick = setInterval(() => {
    const now = Date.now();
    const elapsed = Math.max(0, now - lastTick);
    lastTick = now;
    if (Math.floor(now / 1000) !== lastSecond) {
      lastSecond = Math.floor(now / 1000);
      errLinesThisSecond = 0;
      warnLinesThisSecond = 0;
    }
    reqCarry += (args.rps * elapsed) / 1000;
    const n = Math.floor(reqCarry);
    reqCarry -= n;
    for (let i = 0; i < n; i++) {
      const r = simulate(now, true);
      const route = ROUTES[(latencyCount + i) % ROUTES.length]!;
      record(now, route.endsWith('/') ? `${route}${1000 + ((latencyCount * 37) % 9000)}` : route, r.latency, r.failed);
    }
    if (faults.flood > 0) {
      floodCarry += (faults.flood * elapsed) / 1000;
      const lines = Math.floor(floodCarry);
      floodCarry -= lines;
      for (let i = 0; i < lines; i++) {
        floodSeq++;
        const sku = 10_000 + ((floodSeq * 7919) % 90_000);
        log.line(floodSeq % 3 === 0 ? 'DEBUG' : 'WARN', `inventory cache miss for sku=${sku}, refetching (attempt ${1 + (floodSeq % 4)})`);
      }
    }
    if (faults.unhealthy && now - lastUnhealthyLine >= 2000) {
      lastUnhealthyLine = now;
      log.line('ERROR', 'health check failed: database ping timed out after 1000ms');
    }
    if (now - lastStats >= 10_000) {
      lastStats = now;
      log.line('INFO', `stats: ${args.rps} req/s, pool ${Math.round(utilisation(now) * 100)}% busy, version ${version}`);
    }
    log.flush();
  }, 100);

  const render = (): string => {
    const now = Date.now();
    const lines: string[] = [
      '# HELP http_requests_total Requests handled, by status code.',
      '# TYPE http_requests_total counter',
    ];
    for (const [code, v] of byCode) lines.push(`http_requests_total{code="${code}"} ${v}`);
    lines.push('# HELP http_request_duration_seconds Request latency.', '# TYPE http_request_duration_seconds histogram');
    let acc = 0;
    LATENCY_BUCKETS.forEach((le, i) => {
      acc += buckets[i] ?? 0;
      lines.push(`http_request_duration_seconds_bucket{le="${le}"} ${acc}`);
    });
    lines.push(`http_request_duration_seconds_bucket{le="+Inf"} ${latencyCount}`);
    lines.push(`http_request_duration_seconds_sum ${latencySum.toFixed(6)}`);
    lines.push(`http_request_duration_seconds_count ${latencyCount}`);
    lines.push('# HELP shop_orders_total Orders placed.', '# TYPE shop_orders_total counter', `shop_orders_total ${ordersTotal}`);
    lines.push('# HELP shop_pool_utilization_ratio Share of the request pool busy over the last 5 s.', '# TYPE shop_pool_utilization_ratio gauge');
    lines.push(`shop_pool_utilization_ratio ${utilisation(now).toFixed(4)}`);
    lines.push('# HELP shop_version_info The running version.', '# TYPE shop_version_info gauge', `shop_version_info{version="${version}"} 1`);
    lines.push('# HELP shop_up 1 while the service reports itself healthy.', '# TYPE shop_up gauge', `shop_up ${faults.unhealthy ? 0 : 1}`);
    lines.push('# HELP process_start_time_seconds Start time of the process since the epoch.', '# TYPE process_start_time_seconds gauge');
    lines.push(`process_start_time_seconds ${Math.floor(startedAt / 1000)}`);
    lines.push('# HELP process_resident_memory_bytes Resident memory size.', '# TYPE process_resident_memory_bytes gauge');
    lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return lines.join('\n') + '\n';
  };

  const json = (res: http.ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
  };

  const describeFaults = (): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (faults.errors > 0) out.errors = faults.errors;
    if (faults.latency !== 1) out.latency = faults.latency;
    if (faults.drift) out.drift = { perMinute: faults.drift.perMinute, multiple: Number(multiple(Date.now()).toFixed(2)) };
    if (faults.flood > 0) out.flood = faults.flood;
    if (faults.unhealthy) out.unhealthy = true;
    return out;
  };

  const setFault = (kind: string, factor: number | undefined): string => {
    const f = factor !== undefined && Number.isFinite(factor) ? factor : undefined;
    switch (kind) {
      case 'errors':
        faults.errors = clamp(f ?? 0.4, 0, 1);
        return faults.errors > 0 ? `error spike on: ${Math.round(faults.errors * 100)}% of requests fail` : 'error spike off';
      case 'latency':
        faults.latency = clamp(f ?? 5, 0.1, 100);
        return faults.latency !== 1 ? `latency x${faults.latency}` : 'latency back to normal';
      case 'drift':
        faults.drift = (f ?? 0.5) > 0 ? { perMinute: clamp(f ?? 0.5, 0.01, 20), since: Date.now() } : undefined;
        return faults.drift ? `latency drift on: +${Math.round(faults.drift.perMinute * 100)}% per minute` : 'latency drift off';
      case 'flood':
        faults.flood = clamp(Math.round(f ?? 500), 0, 5000);
        return faults.flood > 0 ? `log flood on: ${faults.flood} lines/s` : 'log flood off';
      case 'unhealthy':
        faults.unhealthy = f === undefined ? true : f > 0;
        return faults.unhealthy ? 'health check failing (503)' : 'health check passing again';
      default:
        faults = noFaults();
        return 'all faults cleared';
    }
  };

  const authorised = (req: http.IncomingMessage): boolean => token === '' || req.headers.authorization === `Bearer ${token}`;

  const readBody = (req: http.IncomingMessage): Promise<string> =>
    new Promise((resolve, reject) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
        if (body.length > 64 * 1024) req.destroy(new Error('body too large'));
      });
      req.on('end', () => resolve(body));
      req.on('error', reject);
    });

  const exitNow = (code: number): never => {
    clearInterval(tick);
    log.flush();
    process.exit(code);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (path.startsWith('/admin/')) {
      if (!authorised(req)) return json(res, 403, { error: 'forbidden' });
      if (req.method === 'GET' && path === '/admin/faults') return json(res, 200, { faults: describeFaults() });
      if (req.method !== 'POST') return json(res, 405, { error: 'POST only' });
      if (path === '/admin/crash') {
        json(res, 202, { crashing: true });
        log.line('FATAL', "uncaught exception: TypeError: Cannot read properties of undefined (reading 'items')");
        log.line('FATAL', '    at checkout (/srv/shop/src/checkout.js:88:31)');
        log.line('FATAL', `${NAME} ${version} exiting with code 1`);
        res.once('finish', () => setTimeout(() => exitNow(1), 20));
        return;
      }
      if (path === '/admin/fault') {
        void readBody(req)
          .then((text) => {
            const body = JSON.parse(text || '{}') as { kind?: unknown; factor?: unknown };
            const kind = String(body.kind ?? '');
            if (!FAULT_KINDS.includes(kind)) return json(res, 400, { error: `kind must be one of ${FAULT_KINDS.join(', ')}` });
            const factor = typeof body.factor === 'number' ? body.factor : undefined;
            const what = setFault(kind, factor);
            log.line('INFO', `admin: ${what}`);
            return json(res, 200, { ok: true, what, faults: describeFaults() });
          })
          .catch((err: unknown) => json(res, 400, { error: String(err) }));
        return;
      }
      return json(res, 404, { error: 'no such admin endpoint' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD' && !path.startsWith('/api/')) return json(res, 405, { error: 'method not allowed' });
    if (path === '/health') {
      if (faults.unhealthy) return json(res, 503, { status: 'unhealthy', version, checks: { database: 'timeout' } });
      return json(res, 200, { status: 'ok', version });
    }
    if (path === '/ready') return json(res, phase === 'ready' ? 200 : 503, { status: phase, version });
    if (path === '/version') return json(res, 200, { version });
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : render());
      return;
    }
    if (path.startsWith('/api/')) {
      const now = Date.now();
      const r = simulate(now, false);
      const route = `${req.method ?? 'GET'} ${path}`;
      setTimeout(
        () => {
          record(Date.now(), route, r.latency, r.failed);
          if (r.failed) json(res, 500, { error: 'internal error' });
          else json(res, 200, { ok: true, version, items: [] });
        },
        Math.min(10_000, r.latency * 1000),
      );
      return;
    }
    json(res, 404, { error: 'not found' });
  });
  server.keepAliveTimeout = 2000;

  server.on('error', (err: NodeJS.ErrnoException) => {
    log.line('FATAL', `cannot listen on 127.0.0.1:${args.port}: ${err.code ?? err.message}`);
    exitNow(3);
  });

  const shutdown = (signal: string): void => {
    if (phase === 'draining') return;
    phase = 'draining';
    log.line('INFO', `${signal} received: draining`);
    log.flush();
    server.close(() => {
      log.line('INFO', `${NAME} ${version} stopped`);
      exitNow(0);
    });
    server.closeIdleConnections();
    setTimeout(() => {
      server.closeAllConnections();
    }, 1000).unref();
    setTimeout(() => exitNow(0), 3000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGHUP', () => shutdown('SIGHUP'));

  // Die with the parent: a console killed with SIGKILL cannot stop us, so we watch it.
  if (args.parent !== undefined) {
    const parent = args.parent;
    const check = () => {
      if (process.ppid !== parent) {
        log.line('WARN', `parent process ${parent} is gone: exiting`);
        exitNow(0);
      }
    };
    check();
    setInterval(check, 500);
  }

  log.line('INFO', `${NAME} ${version} starting (pid ${process.pid}, node ${process.version})`);
  server.listen({ host: '127.0.0.1', port: args.port }, () => {
    const addr = server.address();
    const port = addr !== null && typeof addr === 'object' ? addr.port : args.port;
    log.line('INFO', `listening on http://127.0.0.1:${port}`);
    log.flush();
    if (args.ready !== undefined) {
      const tmp = `${args.ready}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify({ pid: process.pid, port, version, startedAt }) + '\n');
      renameSync(tmp, args.ready);
    }
    setTimeout(() => {
      if (phase === 'starting') {
        phase = 'ready';
        log.line('INFO', 'warm-up done: ready');
      }
    }, WARMUP_MS);
  });
}

main();
