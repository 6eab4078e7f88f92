// `hubops demo`: a small stack of local processes to try every pane and flow on, with no Docker,
// SSH or Prometheus: the "shop" API (./shop-service.ts) and a worker (./worker.ts), supervised
// from the hubops process.
//
// DemoStack.start({dir}) prepares the folder and starts both processes:
//
//   DIR/hubops.yaml        the config (environment `demo`, target local) — rewritten at each start
//   DIR/VERSION            the API version deployed; read by the API when it starts
//   DIR/deploy.sh          `deploy.sh 1.5.0` / `deploy.sh --rollback 1.4.0`: writes VERSION, then
//                          has the supervisor restart the API (new process, new pid) and waits
//                          until it is ready on that version
//   DIR/shopctl            status | health | restart NAME | fault KIND [N] | crash shop-api
//   DIR/runbooks/          a runbook for the demo's API, whose commands work here
//   DIR/logs/              shop-api.log, worker.log (the processes' stdout/stderr go there too)
//   DIR/backups/latest.sql a "nightly backup", so the release gate's backup check has a time
//   DIR/pids.json          the processes and their pids, kept current
//   DIR/run/               control.json (the supervisor's loopback port and token), ready files,
//                          the worker's heartbeat
//   DIR/.git, CHANGELOG.md, README.md, src/   the shop's repository: tag v1.4.0 and two
//                          conventional commits after it, for the release gate. Everything that
//                          `hubops demo` writes at run time is in .gitignore, so the tree is clean.
//
// The processes are children of this process, each in its own process group (detached), killed by
// pid and group — never by name. They also watch their parent and exit when it is gone, so a
// SIGKILL of hubops (which runs no handler) leaves nothing behind. stop() (or stopSync() from an
// exit handler) stops them all.
//
// The supervisor serves a small control endpoint on 127.0.0.1 (random port, bearer token in
// run/control.json, mode 0600) for shopctl: that is how deploy.sh restarts the API, so the new
// process belongs to the supervisor and not to the deploy command (whose process group the
// target kills when it ends).

import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContainerRow } from '../live/events.js';
import { shellQuote } from '../targets/shell.js';
import type { FaultKind } from './faults.js';
import { pidAlive } from '../util/proc-stat.js';
import { CpuSampler, readRssBytes, type DemoStackEvent } from './processes.js';

export const DEMO_ENV = 'demo';
export const DEMO_FIRST_VERSION = '1.4.0';
export const DEMO_PROCESS_NAMES = ['shop-api', 'worker'] as const;
export type DemoProcessName = (typeof DEMO_PROCESS_NAMES)[number];

const MARKER = '.hubops-demo';
const FAULT_KINDS: readonly FaultKind[] = ['errors', 'latency', 'drift', 'flood', 'unhealthy', 'none'];

export class DemoError extends Error {
  override name = 'DemoError';
}

/** Where the two programs and shopctl are, and how to run them with Node. */
export interface DemoScripts {
  shop: string;
  worker: string;
  ctl: string;
  /** Node options placed before the script (type stripping when run from source). */
  execArgv: string[];
}

/**
 * The built programs (dist/demo-shop.js, demo-worker.js, demo-ctl.js) when this module runs from
 * the bundle, else the TypeScript sources beside it, run with Node's type stripping.
 */
export function resolveDemoScripts(dir = dirname(fileURLToPath(import.meta.url))): DemoScripts {
  const built = { shop: join(dir, 'demo-shop.js'), worker: join(dir, 'demo-worker.js'), ctl: join(dir, 'demo-ctl.js') };
  if (existsSync(built.shop) && existsSync(built.worker) && existsSync(built.ctl)) return { ...built, execArgv: [] };
  const src = { shop: join(dir, 'shop-service.ts'), worker: join(dir, 'worker.ts'), ctl: join(dir, 'ctl.ts') };
  if (existsSync(src.shop) && existsSync(src.worker) && existsSync(src.ctl)) {
    return { ...src, execArgv: ['--experimental-strip-types', '--disable-warning=ExperimentalWarning'] };
  }
  throw new DemoError(`the demo programs are missing: neither ${built.shop} nor ${src.shop} exists (run npm run build)`);
}

/** A fresh temporary folder for a demo (`$TMPDIR/hubops-demo-XXXXXX`). */
export function makeDemoDir(base = process.env.TMPDIR || '/tmp'): string {
  const dir = join(base, `hubops-demo-${randomBytes(4).toString('hex')}`);
  mkdirSync(dir, { recursive: false, mode: 0o755 });
  return dir;
}

export interface DemoStartOptions {
  /** The demo folder: created when missing; an existing demo folder is reused (journal, VERSION, git kept). */
  dir: string;
  /** Port of the API on 127.0.0.1 (default 0: any free port; kept across restarts). */
  ports?: { api?: number };
  /** Synthetic requests per second the API makes for itself (default 200: see shop-service.ts on why). */
  rps?: number;
  /** The node binary for the children (default: this one). */
  nodePath?: string;
  /** Where the programs are (default: resolveDemoScripts()). */
  scripts?: DemoScripts;
  /** How long a process may take to be ready (default 15 s). */
  startTimeoutMs?: number;
}

export interface DemoActionResult {
  ok: boolean;
  error?: string;
  durationMs: number;
  pid?: number;
  version?: string;
}

interface Proc {
  name: DemoProcessName;
  child?: ChildProcess;
  pid?: number;
  /** When the current (or last) run started, epoch ms. */
  startedAt?: number;
  state: 'running' | 'exited' | 'restarting';
  exit?: { code: number | null; signal: string | null; at: number };
  restarts: number;
  version?: string;
  /** Resolves when the current child has exited. */
  exited?: Promise<void>;
  /** The restart / crash in progress, so two never overlap. */
  busy?: Promise<DemoActionResult>;
  health?: string;
}

interface HttpReply {
  status: number;
  body: string;
}

/** One request on a fresh connection (no pooling: the API is restarted under our feet). */
function httpRequest(method: string, url: string, opts: { timeoutMs: number; token?: string; body?: unknown }): Promise<HttpReply> {
  return new Promise((resolveReply, reject) => {
    const data = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (data !== undefined) headers['content-type'] = 'application/json';
    const req = http.request(url, { method, headers, agent: false, timeout: opts.timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolveReply({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // gone
    }
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n').trim();
  } catch {
    return '';
  }
}

function writeAtomic(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

function runGit(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolveGit, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', ...env }, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) reject(new DemoError(`git ${args.join(' ')} failed in ${cwd}: ${stderr.trim() || err.message}`));
        else resolveGit(stdout);
      },
    );
  });
}

export class DemoStack {
  private opts!: Required<Pick<DemoStartOptions, 'rps' | 'nodePath' | 'startTimeoutMs'>> & { scripts: DemoScripts };
  private dirPath = '';
  private apiPortNumber = 0;
  private readonly token = randomBytes(16).toString('hex');
  private control: http.Server | undefined;
  private controlPort = 0;
  private readonly procs = new Map<DemoProcessName, Proc>();
  private readonly listeners = new Set<(e: DemoStackEvent) => void>();
  private readonly cpu = new CpuSampler();
  private faultState: Record<string, unknown> = {};
  private readonly everStarted: number[] = [];
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  /** The demo folder (absolute). */
  get dir(): string {
    return this.dirPath;
  }
  get configFile(): string {
    return join(this.dirPath, 'hubops.yaml');
  }
  get pidsFile(): string {
    return join(this.dirPath, 'pids.json');
  }
  get apiPort(): number {
    return this.apiPortNumber;
  }
  /** http://127.0.0.1:PORT */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.apiPortNumber}`;
  }
  get logFiles(): Record<DemoProcessName, string> {
    return { 'shop-api': join(this.dirPath, 'logs', 'shop-api.log'), worker: join(this.dirPath, 'logs', 'worker.log') };
  }
  /** Every pid this stack has started, for checks that nothing is left. */
  get startedPids(): readonly number[] {
    return this.everStarted;
  }
  /** The version the running API reported at start (undefined while it is down). */
  apiVersion(): string | undefined {
    const p = this.procs.get('shop-api');
    return p?.state === 'running' ? p.version : undefined;
  }
  /** The faults in force on the running API, as it last reported them. */
  faults(): Record<string, unknown> {
    return { ...this.faultState };
  }

  /**
   * Variables for runbook steps (hubops passes `HUBOPS_*` from its own environment): set them in
   * process.env before opening the console. HUBOPS_DEMO_DIR is what the demo's runbook uses.
   */
  runbookEnv(): Record<string, string> {
    return {
      HUBOPS_DEMO_DIR: this.dirPath,
      HUBOPS_HEALTH_URL: `${this.apiUrl}/health`,
      HUBOPS_CONTAINER: 'shop-api',
      HUBOPS_SERVICE: 'shop-api',
    };
  }

  subscribe(listener: (e: DemoStackEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: DemoStackEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch {
        // a listener's problem is not the stack's
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Start

  async start(options: DemoStartOptions): Promise<this> {
    if (this.state !== 'new') throw new DemoError('this demo stack was started already');
    this.state = 'starting';
    this.dirPath = resolve(options.dir);
    this.opts = {
      rps: options.rps ?? 200,
      nodePath: options.nodePath ?? process.execPath,
      startTimeoutMs: options.startTimeoutMs ?? 15_000,
      scripts: options.scripts ?? resolveDemoScripts(),
    };
    this.apiPortNumber = options.ports?.api ?? 0;
    try {
      await this.prepareDir();
      await this.startControl();
      for (const name of DEMO_PROCESS_NAMES) this.procs.set(name, { name, state: 'exited', restarts: 0 });
      await this.spawnProc(this.procs.get('shop-api')!);
      await this.spawnProc(this.procs.get('worker')!);
      this.writeConfig();
      this.state = 'running';
      return this;
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  private async prepareDir(): Promise<void> {
    const dir = this.dirPath;
    if (/\{\{|\}\}|[\x00-\x1f\x7f]/.test(dir)) {
      throw new DemoError(`the demo folder's path may not contain "{{", "}}" or control characters: ${JSON.stringify(dir)}`);
    }
    mkdirSync(dir, { recursive: true });
    const fresh = !existsSync(join(dir, MARKER));
    if (fresh && readdirSync(dir).length > 0) {
      throw new DemoError(`${dir} is not empty and is not a hubops demo folder: give an empty or new folder`);
    }
    const running = this.readControl();
    if (running && pidAlive(running.pid)) {
      throw new DemoError(`a demo is already running in ${dir} (hubops pid ${running.pid})`);
    }
    for (const sub of ['logs', 'run', 'backups', 'runbooks']) mkdirSync(join(dir, sub), { recursive: true });
    if (fresh) {
      await this.makeRepository();
      writeFileSync(join(dir, MARKER), JSON.stringify({ createdAt: new Date().toISOString(), by: 'hubops demo' }) + '\n');
    }
    if (!existsSync(join(dir, 'VERSION'))) writeAtomic(join(dir, 'VERSION'), `${DEMO_FIRST_VERSION}\n`);
    // A "nightly backup" no older than a day, so the gate's backup check has something to read.
    const backup = join(dir, 'backups', 'latest.sql');
    if (!existsSync(backup) || Date.now() - statSync(backup).mtimeMs > 12 * 3_600_000) {
      writeFileSync(backup, `-- shop database dump (hubops demo), ${new Date().toISOString()}\nCREATE TABLE orders (id bigint primary key, total_cents integer);\n`);
    }
    this.writeScripts();
    this.writeRunbook();
  }

  private async makeRepository(): Promise<void> {
    const dir = this.dirPath;
    await runGit(dir, ['init', '-q', '-b', 'main']);
    const config: [string, string][] = [
      ['user.name', 'hubops demo'],
      ['user.email', 'demo@hubops.invalid'],
      ['commit.gpgSign', 'false'],
      ['tag.gpgSign', 'false'],
      ['core.hooksPath', '/dev/null'],
    ];
    for (const [k, v] of config) await runGit(dir, ['config', '--local', k, v]);
    writeFileSync(
      join(dir, '.gitignore'),
      [
        '# Written by `hubops demo` while it runs: not part of the shop\'s source.',
        `/${MARKER}`,
        '/hubops.yaml',
        '/VERSION',
        '/deploy.sh',
        '/shopctl',
        '/pids.json',
        '/run/',
        '/logs/',
        '/backups/',
        '/runbooks/',
        '/.hubops/',
        '/docs/',
        '',
      ].join('\n'),
    );
    const day = 86_400_000;
    const now = Date.now();
    const commit = async (daysAgo: number, message: string, files: Record<string, string>) => {
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        writeFileSync(join(dir, name), text);
      }
      await runGit(dir, ['add', '-A']);
      const date = new Date(now - daysAgo * day).toISOString();
      await runGit(dir, ['commit', '-q', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    };
    const date = (daysAgo: number) => new Date(now - daysAgo * day).toISOString().slice(0, 10);
    const head = '# Changelog\n\nAll notable changes to the shop service. The format follows Keep a Changelog; versions follow SemVer.\n';
    const v140 = `## [1.4.0] - ${date(9)}\n\n### Added\n\n- Saved carts for signed-in customers.\n\n### Fixed\n\n- Product pages no longer show prices from the previous currency.\n`;
    await commit(14, 'chore: start the shop service', {
      'README.md': '# shop\n\nThe shop API (products, cart, checkout) and its worker. Deployed with `./deploy.sh VERSION`.\n',
      'package.json': JSON.stringify({ name: 'shop', private: true, type: 'module', scripts: { start: 'node src/server.js' } }, null, 2) + '\n',
      'src/server.js': "export const routes = ['/api/products', '/api/cart', '/api/checkout'];\n",
      'src/cart.js': 'export function addItem(cart, sku, qty) {\n  cart.items.push({ sku, qty });\n  return cart;\n}\n',
      'CHANGELOG.md': `${head}\n## [Unreleased]\n`,
    });
    await commit(9, 'feat(cart): saved carts for signed-in customers', {
      'src/cart.js': 'export function addItem(cart, sku, qty) {\n  cart.items.push({ sku, qty });\n  cart.savedAt = Date.now();\n  return cart;\n}\n',
      'CHANGELOG.md': `${head}\n## [Unreleased]\n\n${v140}`,
    });
    await runGit(dir, ['tag', '-a', `v${DEMO_FIRST_VERSION}`, '-m', `Release v${DEMO_FIRST_VERSION}`], {
      GIT_COMMITTER_DATE: new Date(now - 9 * day).toISOString(),
    });
    await commit(3, 'feat(checkout): pay with gift cards', {
      'src/checkout.js': 'export function pay(order, { giftCard } = {}) {\n  return giftCard ? { ...order, paidWith: "gift-card" } : order;\n}\n',
      'CHANGELOG.md': `${head}\n## [Unreleased]\n\n### Added\n\n- Gift cards at checkout.\n\n${v140}`,
    });
    await commit(1, 'fix(cart): keep quantities when the session expires', {
      'src/cart.js': 'export function addItem(cart, sku, qty) {\n  const items = cart.items ?? [];\n  items.push({ sku, qty });\n  return { ...cart, items, savedAt: Date.now() };\n}\n',
      'CHANGELOG.md': `${head}\n## [Unreleased]\n\n### Added\n\n- Gift cards at checkout.\n\n### Fixed\n\n- Cart quantities survive an expired session.\n\n${v140}`,
    });
  }

  /** deploy.sh and shopctl (rewritten at each start: they name this Node and these programs). */
  private writeScripts(): void {
    const dir = this.dirPath;
    const q = shellQuote;
    const { scripts, nodePath } = this.opts;
    const ctl = [
      '#!/bin/sh',
      '# Controls the hubops demo stack in this folder: status | health | restart NAME | fault KIND [N] | crash shop-api',
      `exec ${[nodePath, ...scripts.execArgv, scripts.ctl].map(q).join(' ')} --dir ${q(dir)} "$@"`,
      '',
    ].join('\n');
    writeAtomic(join(dir, 'shopctl'), ctl, 0o755);
    const deploy = `#!/bin/sh
# Deploys a version of the demo shop API: records it in VERSION, then has the demo supervisor
# restart the API (a real restart: the old process stops, a new one starts and reads VERSION),
# and waits until the new one is ready on that version.
#   deploy.sh 1.5.0              deploy.sh --rollback 1.4.0
set -eu
DIR=${q(dir)}
mode=deploy
if [ "\${1:-}" = --rollback ]; then mode=rollback; shift; fi
version=\${1:-}
version=\${version#v}
case "$version" in
  ''|*[!0-9A-Za-z.+-]*) echo "deploy.sh: expected a version such as 1.5.0, got '\${1:-}'" >&2; exit 2 ;;
esac
previous=$(cat "$DIR/VERSION" 2>/dev/null || echo none)
echo "$mode of shop-api: $previous -> $version"
printf '%s\\n' "$version" > "$DIR/VERSION.new"
mv "$DIR/VERSION.new" "$DIR/VERSION"
echo "VERSION is now $version"
exec "$DIR/shopctl" restart shop-api --expect-version "$version"
`;
    writeAtomic(join(dir, 'deploy.sh'), deploy, 0o755);
  }

  private writeRunbook(): void {
    const text = `---
id: demo-shop-api
title: Demo shop API down, failing or slow
severity: [1, 2, 3]
services: []
tags: [demo, availability, restart]
summary: The demo's shop API stopped, fails requests or is slow; look, then clear the faults or restart it.
env:
  HUBOPS_DEMO_DIR: the demo's folder (hubops demo sets it)
---

# Demo shop API down, failing or slow

## Symptoms

- The health pane shows \`api\` failing, or the containers pane shows \`shop-api\` exited.
- The metrics pane shows the error rate or the p99 latency far above their baseline.
- ERROR or WARN lines pile up in the \`api\` log.

## Diagnosis

- [ ] See the demo's processes: state, pid, version, restarts, uptime, faults in force.
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/shopctl" status
  \`\`\`
- [ ] Read the last lines the API logged.
  \`\`\`sh
  tail -n 40 "$HUBOPS_DEMO_DIR/logs/shop-api.log"
  \`\`\`
- [ ] Probe its health and readiness endpoints.
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/shopctl" health
  \`\`\`
- [ ] Check which version is deployed, and what changed since the last release.
  \`\`\`sh
  cat "$HUBOPS_DEMO_DIR/VERSION"; git -C "$HUBOPS_DEMO_DIR" log --oneline "$(git -C "$HUBOPS_DEMO_DIR" describe --tags --abbrev=0)"..HEAD
  \`\`\`

## Resolution

- [ ] Post a status update in the incident channel before acting.
- [ ] If the API is up but failing or slow, clear the injected faults (this fails when the API is down: go on with the restart).
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/shopctl" fault none
  \`\`\`
- [ ] Restart the API: a new process, which also clears any fault.
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/shopctl" restart shop-api
  \`\`\`
- [ ] Confirm it answers 200 again.
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/shopctl" health
  \`\`\`

## Prevention

- In the demo, faults come from the \`F\` menu; in real life, alert on the error rate and p99 against their baseline, not only on the service being down.

## Rollback / escalation

- [ ] If it broke right after a deploy, roll back to the last release with the release flow (or by hand).
  \`\`\`sh
  "$HUBOPS_DEMO_DIR/deploy.sh" --rollback "$(git -C "$HUBOPS_DEMO_DIR" describe --tags --abbrev=0)"
  \`\`\`
- [ ] If it is still down after a restart, escalate to the service owner.
`;
    writeFileSync(join(this.dirPath, 'runbooks', 'demo-shop-api.md'), text);
  }

  /** hubops.yaml for the running stack (the API's port is known by now). */
  private writeConfig(): void {
    const dir = this.dirPath;
    const s = JSON.stringify;
    const q = shellQuote;
    const api = this.apiUrl;
    const heartbeat = join(dir, 'run', 'worker.heartbeat');
    const workerCheck =
      `f=${q(heartbeat)}; t=$(stat -c %Y "$f" 2>/dev/null) || { echo "no heartbeat from the worker"; exit 1; }; ` +
      `age=$(( $(date +%s) - t )); echo "worker heartbeat \${age}s ago"; [ "$age" -lt 5 ]`;
    const text = `# hubops demo: the "shop" API and its worker, running as local processes started by \`hubops demo\`.
# Written by hubops demo at ${new Date().toISOString()} and rewritten at each start (the port may change).
# Faults: the F key in the console, or ${join(dir, 'shopctl')} fault errors|latency|drift|flood|unhealthy|none.
project: shop
journal: .hubops
reports: docs
runbooks: [runbooks]
defaultEnv: ${DEMO_ENV}
environments:
  ${DEMO_ENV}:
    target: local
    production: false
    refresh: 2s
    health:
      - { name: api, http: ${s(`${api}/health`)}, timeout: 2s }
      - { name: api-ready, http: ${s(`${api}/ready`)}, timeout: 2s }
      - { name: api-port, tcp: ${s(`127.0.0.1:${this.apiPortNumber}`)}, timeout: 2s }
      - { name: worker, run: ${s(workerCheck)}, timeout: 3s }
    logs:
      - { name: api, file: ${s(this.logFiles['shop-api'])} }
      - { name: worker, file: ${s(this.logFiles.worker)} }
    metrics:
      scrape: ${s(`${api}/metrics`)}
      errorRate: 'sum(rate(http_requests_total{code=~"5.."}[30s])) / sum(rate(http_requests_total[30s]))'
      requestRate: 'sum(rate(http_requests_total[30s]))'
      p99: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))'
      saturation: 'shop_pool_utilization_ratio'
      host: true
    # Compressed for the demo: a fault turns into an automatic rollback within a few intervals.
    watch:
      duration: 2m
      interval: 5s
      noDataGrace: 30s
    release:
      deploy: ${s(`${q(join(dir, 'deploy.sh'))} {{version}}`)}
      rollback: ${s(`${q(join(dir, 'deploy.sh'))} --rollback {{previous}}`)}
      current: ${s(`cat ${q(join(dir, 'VERSION'))}`)}
      idleTimeout: 1m
      smoke:
        - { name: health, http: ${s(`${api}/health`)} }
        - { name: ready, http: ${s(`${api}/ready`)} }
        - { name: products, http: ${s(`${api}/api/products`)} }
      backup: { run: ${s(`stat -c %Y ${q(join(dir, 'backups', 'latest.sql'))}`)}, maxAge: 24h }
      strategies: [all-at-once]
comms:
  channel: "#shop-oncall"
  updateEvery: 10m
`;
    writeAtomic(this.configFile, text);
  }

  // -------------------------------------------------------------------------------------------
  // Control endpoint (for shopctl, hence deploy.sh)

  private readControl(): { pid: number } | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dirPath, 'run', 'control.json'), 'utf8')) as { pid: number };
    } catch {
      return undefined;
    }
  }

  private async startControl(): Promise<void> {
    const server = http.createServer((req, res) => void this.handleControl(req, res));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen({ host: '127.0.0.1', port: 0 }, () => ok());
    });
    this.control = server;
    this.controlPort = (server.address() as AddressInfo).port;
    this.writeControlFile();
  }

  private writeControlFile(): void {
    const info = { pid: process.pid, port: this.controlPort, token: this.token, apiUrl: this.apiUrl };
    writeAtomic(join(this.dirPath, 'run', 'control.json'), JSON.stringify(info) + '\n', 0o600);
  }

  private async handleControl(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: Record<string, unknown>) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body) + '\n');
    };
    try {
      if (req.headers.authorization !== `Bearer ${this.token}`) return reply(403, { ok: false, error: 'forbidden (wrong or missing token)' });
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: Record<string, unknown> = {};
      if (req.method === 'POST') {
        let text = '';
        for await (const chunk of req) {
          text += String(chunk);
          if (text.length > 64 * 1024) return reply(413, { ok: false, error: 'body too large' });
        }
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      }
      if (req.method === 'GET' && url.pathname === '/status') {
        const now = Date.now();
        const processes = DEMO_PROCESS_NAMES.map((name) => {
          const p = this.procs.get(name);
          return {
            name,
            pid: p?.state === 'running' ? p.pid : undefined,
            state: p?.state ?? 'exited',
            version: name === 'shop-api' ? p?.version : undefined,
            restarts: p?.restarts ?? 0,
            uptimeS: p?.state === 'running' && p.startedAt ? Math.round((now - p.startedAt) / 1000) : undefined,
          };
        });
        return reply(200, { ok: true, processes, faults: this.faultState });
      }
      if (req.method !== 'POST') return reply(404, { ok: false, error: `no such endpoint: ${req.method} ${url.pathname}` });
      if (this.state === 'stopping' || this.state === 'stopped') return reply(409, { ok: false, error: 'the demo stack is stopping' });
      if (url.pathname === '/restart') {
        const name = String(body.name ?? '');
        const r = await this.restart(name);
        return reply(r.ok ? 200 : 500, { ...r, name: this.canonical(name) ?? name });
      }
      if (url.pathname === '/fault') {
        const r = await this.injectFault(String(body.kind ?? '') as FaultKind, typeof body.factor === 'number' ? body.factor : undefined);
        return reply(r.ok ? 200 : 500, r);
      }
      if (url.pathname === '/crash') {
        const name = String(body.name ?? 'shop-api');
        if (this.canonical(name) !== 'shop-api') return reply(400, { ok: false, error: 'only shop-api can be crashed' });
        const r = await this.crashApi();
        return reply(r.ok ? 200 : 500, { ...r, what: 'shop-api crashed' });
      }
      return reply(404, { ok: false, error: `no such endpoint: ${req.method} ${url.pathname}` });
    } catch (err) {
      if (!res.headersSent) reply(500, { ok: false, error: (err as Error).message });
    }
  }

  // -------------------------------------------------------------------------------------------
  // Processes

  private canonical(name: string): DemoProcessName | undefined {
    if (name === 'shop-api' || name === 'api' || name === 'demo/shop-api') return 'shop-api';
    if (name === 'worker' || name === 'demo/worker') return 'worker';
    return undefined;
  }

  private readyFile(name: DemoProcessName): string {
    return join(this.dirPath, 'run', `${name}.ready.json`);
  }

  /** Starts one process and waits until it is ready (the API: /ready answers 200). */
  private async spawnProc(p: Proc): Promise<{ pid: number; version?: string }> {
    const dir = this.dirPath;
    const { scripts, nodePath } = this.opts;
    const ready = this.readyFile(p.name);
    rmSync(ready, { force: true });
    const log = this.logFiles[p.name];
    const args =
      p.name === 'shop-api'
        ? [scripts.shop, '--port', String(this.apiPortNumber), '--dir', dir, '--rps', String(this.opts.rps)]
        : [scripts.worker, '--api', this.apiUrl, '--heartbeat', join(dir, 'run', 'worker.heartbeat')];
    args.push('--log', log, '--ready', ready, '--parent', String(process.pid));
    // A small, explicit environment: nothing of ours (NODE_OPTIONS, loaders) leaks into the children.
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: process.env.LANG ?? 'C.UTF-8', TZ: process.env.TZ ?? 'UTC' };
    if (process.env.HOME) env.HOME = process.env.HOME;
    if (p.name === 'shop-api') env.SHOP_ADMIN_TOKEN = this.token;
    const out = openSync(log, 'a');
    let child: ChildProcess;
    try {
      child = spawn(nodePath, [...scripts.execArgv, ...args], { cwd: dir, env, detached: true, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    const spawned = await new Promise<Error | undefined>((ok) => {
      child.once('spawn', () => ok(undefined));
      child.once('error', (e) => ok(e));
    });
    if (spawned || child.pid === undefined) throw new DemoError(`cannot start ${p.name} with ${nodePath}: ${spawned?.message ?? 'no pid'}`);
    const pid = child.pid;
    this.everStarted.push(pid);
    p.child = child;
    p.pid = pid;
    p.startedAt = Date.now();
    p.state = 'restarting';
    delete p.exit;
    delete p.health;
    let exitedNow = false;
    let exitWhy = '';
    p.exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        exitedNow = true;
        exitWhy = signal ? `killed by ${signal}` : `exit code ${code}`;
        if (p.child === child) {
          p.state = 'exited';
          p.exit = { code, signal, at: Date.now() };
          if (p.name === 'shop-api') this.setFaults({});
          this.writePids();
          this.emit({ type: 'process', name: p.name, action: 'die', pid, at: Date.now(), code, signal });
        }
        done();
      });
    });
    this.writePids();

    // Ready file first, then (for the API) /ready.
    const deadline = Date.now() + this.opts.startTimeoutMs;
    const failed = (why: string) => new DemoError(`${p.name} did not start: ${why}\n--- ${log} ---\n${tail(log)}`);
    let info: { pid: number; port?: number; version?: string } | undefined;
    while (!info) {
      if (exitedNow) throw failed(`it exited (${exitWhy})`);
      if (Date.now() > deadline) {
        signalGroup(pid, 'SIGKILL');
        throw failed(`not ready within ${this.opts.startTimeoutMs} ms`);
      }
      try {
        const r = JSON.parse(readFileSync(ready, 'utf8')) as { pid: number; port?: number; version?: string };
        if (r.pid === pid) info = r;
      } catch {
        // not yet
      }
      if (!info) await sleep(25);
    }
    if (p.name === 'shop-api') {
      if (info.port) this.apiPortNumber = info.port;
      p.version = info.version;
      if (this.control) this.writeControlFile();
      for (;;) {
        if (exitedNow) throw failed(`it exited (${exitWhy})`);
        if (Date.now() > deadline) {
          signalGroup(pid, 'SIGKILL');
          throw failed(`/ready did not answer 200 within ${this.opts.startTimeoutMs} ms`);
        }
        const r = await httpRequest('GET', `${this.apiUrl}/ready`, { timeoutMs: 1000 }).catch(() => undefined);
        if (r?.status === 200) break;
        await sleep(50);
      }
      this.setFaults({});
      p.health = 'healthy';
    }
    if (exitedNow) throw failed(`it exited (${exitWhy})`);
    p.state = 'running';
    this.writePids();
    this.emit({ type: 'process', name: p.name, action: 'start', pid, at: Date.now() });
    return info.version !== undefined ? { pid, version: info.version } : { pid };
  }

  private writePids(): void {
    if (!this.dirPath || this.controlPort === 0 || this.state === 'stopped') return;
    const processes: Record<string, unknown> = {};
    for (const p of this.procs.values()) {
      processes[p.name] = {
        pid: p.pid,
        state: p.state,
        startedAt: p.startedAt,
        ...(p.name === 'shop-api' ? { port: this.apiPortNumber, version: p.version } : {}),
        ...(p.exit ? { exit: p.exit } : {}),
      };
    }
    try {
      writeAtomic(this.pidsFile, JSON.stringify({ supervisor: process.pid, processes }, null, 2) + '\n');
    } catch {
      // the folder went away: nothing to record in
    }
  }

  private setFaults(f: Record<string, unknown>): void {
    this.faultState = f;
    this.emit({ type: 'faults', at: Date.now(), faults: { ...f } });
  }

  /** SIGTERM to the process group, SIGKILL after graceMs; resolves when it has exited. */
  private async terminate(p: Proc, graceMs: number): Promise<void> {
    if (p.pid === undefined || p.state === 'exited' || !p.exited) return;
    const pid = p.pid;
    signalGroup(pid, 'SIGTERM');
    const timedOut = await Promise.race([p.exited.then(() => false), sleep(graceMs).then(() => true)]);
    if (timedOut) {
      signalGroup(pid, 'SIGKILL');
      await Promise.race([p.exited, sleep(3000)]);
    }
    // The group may hold something the process started: make sure it is gone too.
    signalGroup(pid, 'SIGKILL');
  }

  /** Restarts a process (`shop-api`, `api` or `worker`): stop it if running, start it, wait until ready. Never rejects. */
  restart(name: string): Promise<DemoActionResult> {
    const canon = this.canonical(name);
    if (!canon) return Promise.resolve({ ok: false, error: `no demo process named ${name} (shop-api, worker)`, durationMs: 0 });
    const p = this.procs.get(canon)!;
    if (p.busy) return p.busy;
    const started = performance.now();
    const done = (r: Omit<DemoActionResult, 'durationMs'>): DemoActionResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    p.busy = (async () => {
      if (this.state !== 'running') return done({ ok: false, error: `the demo stack is ${this.state}` });
      try {
        if (p.state !== 'exited') {
          p.state = 'restarting';
          this.emit({ type: 'process', name: p.name, action: 'restarting', ...(p.pid !== undefined ? { pid: p.pid } : {}), at: Date.now() });
          await this.terminate(p, 5000);
        }
        const r = await this.spawnProc(p);
        p.restarts++;
        this.writePids();
        return done({ ok: true, ...r });
      } catch (err) {
        return done({ ok: false, error: (err as Error).message });
      }
    })().finally(() => {
      p.busy = undefined;
    });
    return p.busy;
  }

  restartApi(): Promise<DemoActionResult> {
    return this.restart('shop-api');
  }

  /** The API exits (a FATAL line in its log, exit code 1) and stays down until restartApi(). Never rejects. */
  crashApi(): Promise<DemoActionResult> {
    const p = this.procs.get('shop-api');
    if (!p) return Promise.resolve({ ok: false, error: 'the demo stack is not started', durationMs: 0 });
    if (p.busy) return p.busy.then(() => this.crashApi());
    const started = performance.now();
    const done = (r: Omit<DemoActionResult, 'durationMs'>): DemoActionResult => ({ ...r, durationMs: Math.round(performance.now() - started) });
    p.busy = (async () => {
      if (p.state !== 'running' || p.pid === undefined || !p.exited) return done({ ok: false, error: 'shop-api is not running' });
      const pid = p.pid;
      await httpRequest('POST', `${this.apiUrl}/admin/crash`, { timeoutMs: 2000, token: this.token, body: {} }).catch(() => undefined);
      const gone = await Promise.race([p.exited.then(() => true), sleep(3000).then(() => false)]);
      if (!gone) {
        signalGroup(pid, 'SIGKILL');
        await Promise.race([p.exited, sleep(3000)]);
      }
      return done({ ok: true, pid });
    })().finally(() => {
      p.busy = undefined;
    });
    return p.busy;
  }

  /** Sets a fault on the running API (`none` clears them all). Never rejects. */
  async injectFault(kind: FaultKind, factor?: number): Promise<{ ok: boolean; error?: string; what?: string; faults?: Record<string, unknown> }> {
    if (!FAULT_KINDS.includes(kind)) return { ok: false, error: `unknown fault "${kind}" (${FAULT_KINDS.join(', ')})` };
    const p = this.procs.get('shop-api');
    if (!p || p.state !== 'running') return { ok: false, error: 'shop-api is not running: restart it first' };
    try {
      const body: { kind: FaultKind; factor?: number } = { kind };
      if (factor !== undefined) body.factor = factor;
      const r = await httpRequest('POST', `${this.apiUrl}/admin/fault`, { timeoutMs: 3000, token: this.token, body });
      const parsed = JSON.parse(r.body) as { what?: string; faults?: Record<string, unknown>; error?: string };
      if (r.status !== 200) return { ok: false, error: parsed.error ?? `HTTP ${r.status}` };
      this.setFaults(parsed.faults ?? {});
      return { ok: true, what: parsed.what ?? kind, faults: parsed.faults ?? {} };
    } catch (err) {
      return { ok: false, error: `shop-api did not take the fault: ${(err as Error).message}` };
    }
  }

  /** Probes the API's /health and the worker's heartbeat, for the rows' `health`. Never rejects. */
  async refreshHealth(): Promise<void> {
    const api = this.procs.get('shop-api');
    if (api?.state === 'running') {
      const r = await httpRequest('GET', `${this.apiUrl}/health`, { timeoutMs: 1500 }).catch(() => undefined);
      if (api.state === 'running') api.health = r?.status === 200 ? 'healthy' : 'unhealthy';
    }
    const worker = this.procs.get('worker');
    if (worker?.state === 'running') {
      try {
        const age = Date.now() - statSync(join(this.dirPath, 'run', 'worker.heartbeat')).mtimeMs;
        worker.health = age < 5000 ? 'healthy' : 'unhealthy';
      } catch {
        worker.health = 'unhealthy';
      }
    }
  }

  /** The processes as containers-pane rows (CPU % from the previous call's sample). */
  processes(now = Date.now()): ContainerRow[] {
    const rows: ContainerRow[] = [];
    const live: number[] = [];
    for (const name of DEMO_PROCESS_NAMES) {
      const p = this.procs.get(name);
      if (!p) continue;
      const running = p.state !== 'exited' && p.pid !== undefined;
      const row: ContainerRow = {
        id: `demo/${name}`,
        name,
        service: name,
        state: p.state,
        restarts: p.restarts,
        image: `hubops-demo/${name}`,
        tag: name === 'shop-api' ? (p.version ?? '?') : 'latest',
      };
      if (p.pid !== undefined) row.pid = p.pid;
      if (running && p.pid !== undefined) {
        live.push(p.pid);
        if (p.startedAt !== undefined) row.startedAt = p.startedAt;
        if (p.state === 'running' && p.health) row.health = p.health;
        const cpu = this.cpu.sample(p.pid, now);
        if (cpu !== undefined) row.cpuPct = cpu;
        const mem = readRssBytes(p.pid);
        if (mem !== undefined) row.memBytes = mem;
      }
      rows.push(row);
    }
    this.cpu.retain(live);
    return rows;
  }

  // -------------------------------------------------------------------------------------------
  // Stop

  /** Stops every process (SIGTERM, then SIGKILL after 3 s, by process group) and the control endpoint. Idempotent. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    // Let a restart in flight finish spawning, so its process is stopped too.
    await Promise.all([...this.procs.values()].map((p) => p.busy?.catch(() => undefined)));
    await Promise.all([...this.procs.values()].map((p) => this.terminate(p, 3000)));
    await this.closeControl();
    this.state = 'stopped';
    this.removeRunFiles();
  }

  /**
   * For exit handlers, which cannot wait on promises: SIGTERM every group, up to `graceMs` for
   * them to go, then SIGKILL. Idempotent.
   */
  stopSync(graceMs = 1000): void {
    if (this.state === 'stopped') return;
    this.state = 'stopping';
    const pids = [...this.procs.values()].flatMap((p) => (p.pid !== undefined && p.state !== 'exited' ? [p.pid] : []));
    for (const pid of pids) signalGroup(pid, 'SIGTERM');
    const end = Date.now() + graceMs;
    while (pids.some(pidAlive) && Date.now() < end) sleepSync(20);
    for (const pid of pids) signalGroup(pid, 'SIGKILL');
    this.control?.close();
    this.control?.closeAllConnections();
    this.control = undefined;
    this.state = 'stopped';
    this.removeRunFiles();
  }

  private async closeControl(): Promise<void> {
    const server = this.control;
    this.control = undefined;
    if (!server) return;
    await new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  }

  private removeRunFiles(): void {
    // Only a stack that got as far as its control endpoint wrote them (a start refused because the
    // folder is in use must not remove the other stack's files).
    if (!this.dirPath || this.controlPort === 0) return;
    for (const f of [this.pidsFile, join(this.dirPath, 'run', 'control.json')]) {
      try {
        unlinkSync(f);
      } catch {
        // not there
      }
    }
  }
}

/**
 * Makes sure the stack's processes are stopped when this process exits, whatever the path
 * (process.exit, the end of the event loop). Signals are the caller's: its SIGTERM / SIGHUP /
 * SIGINT handlers should end in stop() or process.exit(). Returns a function that removes the hook.
 */
export function stopOnExit(stack: DemoStack): () => void {
  const hook = () => stack.stopSync();
  process.once('exit', hook);
  return () => process.removeListener('exit', hook);
}
