import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../fixtures/procs.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');

// The pane runs hubops under sh, which then reports the exit status and whether the terminal is
// back in cooked mode (icanon, echo) — the proof that raw mode was turned off on the way out.
const REPORT = `"$@"; code=$?; printf 'EXIT=%s ' "$code"; stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$' | tr '\\n' ' '; echo; sleep 600`;

let server: http.Server;
let dir: string;
/** Health probes the server has answered (each console in this file probes it every second). */
let probes = 0;
let lastProbeAt = 0;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/health') {
      probes++;
      lastProbeAt = Date.now();
    }
    res.writeHead(req.url === '/health' ? 200 : 404);
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  dir = mkdtempSync(join(tmpdir(), 'hubops-e2e-'));
  writeFileSync(
    join(dir, 'hubops.yaml'),
    `project: shop\nenvironments:\n  staging:\n    target: local\n    refresh: 1s\n    health:\n      - { name: api, http: "http://127.0.0.1:${port}/health" }\n      - { name: db, tcp: "127.0.0.1:1" }\n`,
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
});

const sessions: TmuxSession[] = [];
afterAll(async () => {
  for (const s of sessions) await s.kill();
});

async function open(cols: number, rows: number, env: Record<string, string> = {}): Promise<TmuxSession> {
  const s = await startTmux({ command: ['sh', '-c', REPORT, 'sh', process.execPath, bin], cols, rows, cwd: dir, env: { HUBOPS_CONFIG: '', ...env } });
  sessions.push(s);
  await s.waitForText('4 Metrics', 15_000);
  return s;
}

async function hubopsPid(s: TmuxSession): Promise<number> {
  const sh = await s.panePid();
  const children = readFileSync(`/proc/${sh}/task/${sh}/children`, 'utf8').trim().split(/\s+/).map(Number);
  expect(children).toHaveLength(1);
  return children[0]!;
}

async function expectRestored(s: TmuxSession, code: number): Promise<string> {
  const screen = await s.waitForText(/EXIT=\d+ /, 15_000);
  expect(screen).toMatch(new RegExp(`EXIT=${code} icanon echo`));
  expect(await s.alternateOn()).toBe(false);
  expect(await s.cursorVisible()).toBe(true);
  return screen;
}

describe('the console in a real terminal', () => {
  it('at 80x24: draws, moves focus, opens help, quits with the terminal restored', async () => {
    const s = await open(80, 24);
    expect(await s.alternateOn()).toBe(true);
    let screen = await s.waitForText(/● api +HTTP 200/);
    expect(screen).toMatch(/✖ db +connection refused/);
    const lines = screen.split('\n');
    expect(lines[0]).toContain('shop / staging');
    expect(lines[1]).toMatch(/^╔═+╗╭─+╮$/);
    expect(lines.findIndex((l) => l.includes('? help  q quit'))).toBe(23);

    await s.sendKeys('Tab');
    screen = await s.waitForText(/║ 2 Logs/);
    expect(screen).not.toMatch(/║ 1 Containers/);
    await s.sendKeys('BTab', 'BTab');
    await s.waitForText(/║ 4 Metrics/);
    await s.sendKeys('3');
    await s.waitForText(/║ 3 Health/);

    await s.sendKeys('?');
    screen = await s.waitForText('Help — the keys that work now');
    expect(screen).toMatch(/Esc +close/);
    await s.sendKeys('Escape');
    await s.waitForText('1 Containers');

    await s.sendKeys('q');
    await expectRestored(s, 0);
  });

  it('probes nothing while help covers the panes or the window is too small, and at once when they are back', async () => {
    const s = await open(80, 24);
    await s.waitForText(/● api +HTTP 200/);
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    // Counts are waited for, not taken in a fixed time: on a busy machine the 1 s probes run late,
    // and a probe in flight when the panes were covered can land well after 500 ms.
    /** Waits for `n` more probes (the console probes every second while the panes show). */
    const moreProbes = (n: number) => {
      const before = probes;
      return waitFor(() => probes >= before + n, { what: `${n} more probes`, timeoutMs: 15_000, intervalMs: 20 });
    };
    /** Probes during `ms`, once none came for 2 s (a probe in flight when the panes were covered has landed). */
    const probesWhileCovered = async (ms: number) => {
      await waitFor(() => Date.now() - lastProbeAt >= 2_000, { what: 'no probe for 2 s', timeoutMs: 20_000 });
      const before = probes;
      await sleep(ms);
      return probes - before;
    };
    await moreProbes(2);

    await s.sendKeys('?');
    await s.waitForText('Help — the keys that work now');
    expect(await probesWhileCovered(3_000)).toBe(0);
    await s.sendKeys('Escape');
    await s.waitForText('1 Containers');
    await moreProbes(1);

    await s.resize(30, 8);
    await s.waitForText('needs at least 40x10');
    expect(await probesWhileCovered(3_000)).toBe(0);
    await s.resize(80, 24);
    await s.waitForText('4 Metrics');
    await moreProbes(1);
    await s.sendKeys('q');
    await expectRestored(s, 0);
  });

  it('at 200x50 grows with the window, and redraws on resize', async () => {
    const s = await open(200, 50);
    let lines = (await s.capture()).split('\n');
    expect(lines[1]).toMatch(/^╔═{98}╗╭─{98}╮$/);
    expect(lines[0]!.trimEnd()).toMatch(/\d\d:\d\d:\d\d$/);
    expect(lines[0]!.trimEnd().length).toBe(199);
    await s.resize(100, 30);
    const screen = await s.waitForScreen((sc) => /^╔═{48}╗╭─{48}╮$/m.test(sc), 'the 100-column layout');
    lines = screen.split('\n');
    expect(lines.findIndex((l) => l.includes('? help  q quit'))).toBe(29);
    await s.sendKeys('q');
    await expectRestored(s, 0);
  });

  it('Ctrl-C interrupts with exit 130 and restores the terminal', async () => {
    const s = await open(80, 24);
    await s.sendKeys('C-c');
    await expectRestored(s, 130);
  });

  it('SIGTERM and SIGHUP restore the terminal and end the process', async () => {
    for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
      const s = await open(80, 24);
      process.kill(await hubopsPid(s), signal);
      await expectRestored(s, code);
    }
  });

  it('a crash restores the terminal and prints the error on it', async () => {
    // 3 s after the first frame, not 0.5 s: the console must still be on screen when open() looks
    // for it, which on a busy machine (tmux captures run late) can take over half a second.
    const s = await open(80, 24, { HUBOPS_TEST_CRASH_AFTER_MS: '3000' });
    const screen = await expectRestored(s, 1);
    expect(screen).toContain('hubops crashed: Error: deliberate crash');
    expect(screen).toContain('The terminal has been restored.');
  });

  it('draws in colour, and without any colour under NO_COLOR', async () => {
    // A foreground or background colour escape (39/49, "default colour", is not a colour).
    const COLOUR = /\x1b\[(?:[0-9;]*;)?(?:3[0-7]|9[0-7]|4[0-7]|10[0-7]|38;[25]|48;[25])[;m]/;
    for (const [env, coloured] of [[{}, true], [{ NO_COLOR: '1' }, false]] as const) {
      const s = await open(80, 24, env);
      await s.waitForText(/● api +HTTP 200/);
      const withEscapes = await s.capture({ escapes: true });
      expect(COLOUR.test(withEscapes)).toBe(coloured);
      await s.sendKeys('q');
      await expectRestored(s, 0);
    }
  });
});
