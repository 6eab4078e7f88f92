// `shopctl`: the command line of a running demo stack, used by the demo's deploy.sh and runbooks
// (and by hand). It talks to the stack's control endpoint (on 127.0.0.1, with the token from
// DIR/run/control.json), so a restart is done by the supervisor that owns the processes: the new
// API process is its child, not the deploy command's, and outlives the command.
//
//   shopctl --dir DIR status
//   shopctl --dir DIR health
//   shopctl --dir DIR restart shop-api|worker [--expect-version V]
//   shopctl --dir DIR fault errors|latency|drift|flood|unhealthy|none [FACTOR]
//   shopctl --dir DIR crash shop-api
//
// Exit codes: 0 done, 1 failed, 2 usage. No dependencies, erasable TypeScript only: built as
// dist/demo-ctl.js, or run from source with Node's type stripping.

import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

interface Control {
  port: number;
  token: string;
  pid: number;
  apiUrl: string;
}

interface Reply {
  status: number;
  body: string;
}

function request(method: string, url: string, opts: { token?: string; body?: unknown; timeoutMs: number }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    if (data !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(url, { method, headers, agent: false, timeout: opts.timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${Math.round(opts.timeoutMs / 1000)}s`)));
    req.on('error', reject);
    req.end(data);
  });
}

function usage(): never {
  process.stderr.write(
    'usage: shopctl --dir DIR status | health | restart shop-api|worker [--expect-version V] | fault KIND [FACTOR] | crash shop-api\n',
  );
  process.exit(2);
}

function fail(message: string): never {
  process.stderr.write(`shopctl: ${message}\n`);
  process.exit(1);
}

function errText(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code === 'ECONNREFUSED' ? 'connection refused' : (e.message ?? String(err));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const take = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined) usage();
    argv.splice(i, 2);
    return v;
  };
  const dir = take('--dir') ?? process.cwd();
  const expectVersion = take('--expect-version');
  const [command, ...rest] = argv;
  if (command === undefined) usage();

  let control: Control;
  try {
    control = JSON.parse(readFileSync(join(dir, 'run', 'control.json'), 'utf8')) as Control;
  } catch {
    fail(`the demo stack in ${dir} is not running (no run/control.json): start it with hubops demo --dir ${dir}`);
  }
  const base = `http://127.0.0.1:${control.port}`;
  const call = async (method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<Record<string, unknown>> => {
    let reply: Reply;
    try {
      reply = await request(method, `${base}${path}`, { token: control.token, body, timeoutMs });
    } catch (err) {
      fail(`cannot reach the demo supervisor (pid ${control.pid}) at ${base}: ${errText(err)}; is hubops demo still running?`);
    }
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(reply.body) as Record<string, unknown>;
    } catch {
      fail(`unexpected answer from the demo supervisor (HTTP ${reply.status}): ${reply.body.slice(0, 200)}`);
    }
    if (reply.status >= 400 || parsed.ok === false) fail(String(parsed.error ?? `HTTP ${reply.status}`));
    return parsed;
  };

  switch (command) {
    case 'status': {
      const s = await call('GET', '/status');
      const procs = (s.processes ?? []) as { name: string; pid?: number; state: string; version?: string; restarts: number; uptimeS?: number }[];
      process.stdout.write('NAME       STATE      PID      VERSION  RESTARTS  UPTIME\n');
      for (const p of procs) {
        const up = p.uptimeS === undefined ? '-' : `${p.uptimeS}s`;
        process.stdout.write(
          `${p.name.padEnd(10)} ${p.state.padEnd(10)} ${String(p.pid ?? '-').padEnd(8)} ${(p.version ?? '-').padEnd(8)} ${String(p.restarts).padEnd(9)} ${up}\n`,
        );
      }
      const faults = s.faults as Record<string, unknown> | undefined;
      const list = faults ? Object.entries(faults).map(([k, v]) => `${k}=${JSON.stringify(v)}`) : [];
      process.stdout.write(`faults: ${list.length > 0 ? list.join(' ') : 'none'}\n`);
      return;
    }
    case 'health': {
      let bad = false;
      for (const path of ['/health', '/ready']) {
        try {
          const r = await request('GET', `${control.apiUrl}${path}`, { timeoutMs: 3000 });
          process.stdout.write(`${path}: HTTP ${r.status} ${r.body.trim()}\n`);
          if (r.status !== 200) bad = true;
        } catch (err) {
          process.stdout.write(`${path}: ${errText(err)}\n`);
          bad = true;
        }
      }
      process.exit(bad ? 1 : 0);
      return;
    }
    case 'restart': {
      const name = rest[0];
      if (name === undefined) usage();
      const before = await call('GET', '/status');
      const procs = (before.processes ?? []) as { name: string; pid?: number; state: string; version?: string }[];
      const p = procs.find((x) => x.name === name || (name === 'api' && x.name === 'shop-api'));
      if (p) process.stdout.write(`restarting ${p.name} (${p.state}${p.pid ? `, pid ${p.pid}` : ''}${p.version ? `, version ${p.version}` : ''})\n`);
      const r = await call('POST', '/restart', { name }, 60_000);
      const v = r.version === undefined ? '' : `, version ${String(r.version)}`;
      process.stdout.write(`${String(r.name)} is up: pid ${String(r.pid)}${v}, ready after ${(Number(r.durationMs) / 1000).toFixed(1)}s\n`);
      if (expectVersion !== undefined && r.version !== expectVersion.replace(/^v/, '')) {
        fail(`${String(r.name)} runs version ${String(r.version)}, expected ${expectVersion}`);
      }
      return;
    }
    case 'fault': {
      const kind = rest[0];
      if (kind === undefined) usage();
      const factor = rest[1] === undefined ? undefined : Number(rest[1]);
      if (factor !== undefined && !Number.isFinite(factor)) usage();
      const r = await call('POST', '/fault', { kind, factor });
      process.stdout.write(`${String(r.what ?? 'done')}\n`);
      return;
    }
    case 'crash': {
      const r = await call('POST', '/crash', { name: rest[0] ?? 'shop-api' });
      process.stdout.write(`${String(r.what ?? 'crashed')}\n`);
      return;
    }
    default:
      usage();
  }
}

main().catch((err: unknown) => fail(errText(err)));
