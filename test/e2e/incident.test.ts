// Incident mode end to end in a real terminal: declare a SEV1 from the console, run a runbook
// step over SSH (the sshd fixture), send a status update to a webhook served here, resolve through
// the verify gate (a health check served here), write the post-mortem; then kill -9 hubops in the
// middle of a second incident and check a restart resumes it with every event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { descendantPids, isAlive, stopPids, tempDir, trackPid, untrackPid, waitDead, waitFor, waitForPidFile, type TempDir } from '../fixtures/procs.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';
import { closeTimeline, killConsole, openTimeline, quitWithIncidentOpen } from '../support/console-keys.js';
import { declareIncident } from '../support/hubops-process.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');

let sshd: Sshd;
let dir: TempDir;
let server: http.Server;
let port = 0;
const hooks: { path: string; body: string; type: string }[] = [];
const sessions: TmuxSession[] = [];

const RUNBOOK = `---
id: checkout-down
title: Checkout down
severity: [1, 2]
services: [api]
tags: [e2e]
env:
  HUBOPS_MARKER: file the fix step touches
---

## Symptoms

- Checkout answers 502.

## Diagnosis

- [ ] Read the api logs.

## Resolution

- [ ] Apply the fix on the host.
  \`\`\`sh
  echo "fixing on $(hostname)"; touch "$HUBOPS_MARKER" && echo "marker written"
  \`\`\`
`;

beforeAll(async () => {
  sshd = await startSshd();
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      if (req.url?.startsWith('/hooks/')) {
        hooks.push({ path: req.url, body, type: String(req.headers['content-type']) });
        res.writeHead(200);
        res.end('ok');
        return;
      }
      res.writeHead(req.url === '/health' ? 200 : 404);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as { port: number }).port;
  dir = tempDir('hubops-inc-e2e-');
  mkdirSync(dir.join('rb'));
  writeFileSync(dir.join('rb', 'checkout-down.md'), RUNBOOK);
  writeFileSync(
    dir.join('hubops.yaml'),
    [
      'project: shop',
      'runbooks: [rb]',
      'comms:',
      '  channel: "#ops"',
      `  webhook: "http://127.0.0.1:${port}/hooks/T000/B000/secret"`,
      'environments:',
      '  prod:',
      `    target: ssh://${sshd.user}@127.0.0.1:${sshd.port}`,
      `    ssh: { identityFile: ${JSON.stringify(sshd.identityFile)}, knownHosts: ${JSON.stringify(sshd.knownHostsFile)} }`,
      '    refresh: 1s',
      '    health:',
      `      - { name: api, http: "http://127.0.0.1:${port}/health" }`,
      '',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  for (const s of sessions) await s.kill();
  await new Promise((r) => server?.close(r));
  await sshd?.stop();
  await dir?.remove();
});

/** The text inside the incident panel (the right-hand column from 120 columns: 54 wide). */
function panelRows(screen: string, cols = 120, width = 54): string[] {
  return screen.split('\n').map((l) => [...l].slice(cols - width + 2, cols - 2).join('').trimEnd());
}

/** Rows folded by hardWrap (continuations indented by two) joined back into their lines. */
function unfold(rows: string[]): string[] {
  const out: string[] = [];
  for (const r of rows) {
    if (r.startsWith('  ') && out.length > 0) out[out.length - 1] += r.slice(2);
    else out.push(r);
  }
  return out;
}

async function console_(): Promise<TmuxSession> {
  const s = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '', HUBOPS_MARKER: dir.join('marker') } });
  sessions.push(s);
  await s.waitForText('4 Metrics', 15_000);
  return s;
}

describe('incident mode in a real terminal, over SSH', () => {
  it('declares, runs a runbook step on the host, sends an update, resolves, writes the post-mortem; resumes after kill -9', async () => {
    let s = await console_();
    await s.waitForText(/● api +HTTP 200/, 15_000);

    // Declare a SEV1 from the console.
    await s.sendKeys('i');
    await s.waitForText('Declare an incident');
    await s.sendKeys('1', 'Enter', { text: 'Checkout down' }, 'Enter', { text: 'checkout answers 502' }, 'Enter', { text: 'api' }, 'Enter');
    // (Up to a minute since it was declared, not ten seconds: a busy machine may draw it late.)
    let screen = await s.waitForText(/SEV1 Checkout down · 00:[0-5]\d · respond in 1[45]:\d\d · triage · next update in/);
    expect(screen).toContain('1 Containers');

    // The runbook: suggested first; its fix step runs over SSH after the typed confirm.
    await s.sendKeys('b');
    await s.waitForText(/› ★ Checkout down +SEV1\/SEV2 · api/);
    await s.sendKeys('Enter');
    await s.waitForText('Checkout down — 0/2 steps');
    await s.sendKeys('Space');
    await s.waitForText('Checkout down — 1/2 steps');
    await s.sendKeys('x');
    screen = await s.waitForText('Run: Apply the fix on the host.');
    expect(screen).toContain(`on prod (ssh://${sshd.user}@127.0.0.1:${sshd.port}) — PRODUCTION:`);
    // The command in full, folded at the panel's width exactly as it runs.
    const shown = unfold(panelRows(screen));
    expect(shown).toContain('$ echo "fixing on $(hostname)"; touch "$HUBOPS_MARKER" && echo "marker written"');
    expect(shown).toContain(`with HUBOPS_MARKER=${dir.join('marker')}`);
    expect(screen).toContain('Type prod to run');
    await s.sendKeys({ text: 'prod' }, 'Enter');
    screen = await s.waitForText(/exit 0 in \d+\.\ds on prod/, 20_000);
    expect(screen).toContain('marker written');
    expect(screen).toContain('Checkout down — 2/2 steps');
    expect(existsSync(dir.join('marker'))).toBe(true);
    // Esc back to the picker, Esc again to the panes (one at a time: Esc and a key in one write is Alt+key).
    await s.sendKeys('Escape');
    await s.waitForText('Runbooks for SEV1 · api');
    await s.sendKeys('Escape');
    await s.waitForNoText('Runbooks for SEV1');

    // A status update, to the webhook served here, and to the clipboard (OSC 52: tmux keeps it as a buffer).
    await s.tmux(['set-option', '-g', 'set-clipboard', 'on']);
    await s.sendKeys('u');
    await s.waitForText('Edit the status update');
    await s.sendKeys({ text: 'fix applied on the host, watching' }, 'Enter', 'Enter');
    await s.waitForText('Where we are: fix applied on the host, watching');
    await s.sendKeys('Enter');
    await s.waitForText(/Status update — sent/);
    await s.waitForText(/responded in \d+s/);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]!.path).toBe('/hooks/T000/B000/secret');
    expect(hooks[0]!.type).toMatch(/^application\/json/);
    const update = JSON.parse(hooks[0]!.body) as { text: string };
    expect(update.text).toContain('[SEV1] api: checkout answers 502');
    expect(update.text).toContain('Where we are: fix applied on the host, watching');
    expect(update.text).toContain('in #ops');
    expect((await s.tmux(['show-buffer'])).stdout).toBe(update.text);
    await s.sendKeys('Escape');
    await s.waitForNoText('Status update —');

    // Resolve: the health check is green now, so straight to the resolved message.
    await s.sendKeys('R');
    await s.waitForText('Edit the resolved message');
    await s.sendKeys({ text: 'bad config pushed at 03:00' }, 'Enter', { text: 'all checkouts for a few minutes' }, 'Enter', 'Enter');
    screen = await s.waitForText(/Duration: \d+m|Duration: \d+s/);
    await s.sendKeys('Enter');
    screen = await s.waitForText(/resolved after \d+(m|s)/);
    expect(screen).toMatch(/post-mortem due \d{4}-\d\d-\d\d/);
    expect(hooks).toHaveLength(2);
    expect(JSON.parse(hooks[1]!.body).text).toMatch(/\[SEV1 RESOLVED\] api: Checkout down\nDuration: \d+(m|s)\nRoot cause: bad config pushed at 03:00/);

    // The post-mortem, from the journal.
    await s.sendKeys('Escape');
    await s.waitForNoText('Resolved message —');
    await s.sendKeys('M');
    await s.waitForText('post-mortem written: docs/post-mortems/');
    const pmDir = dir.join('docs', 'post-mortems');
    const [pmFile] = readdirSync(pmDir);
    const pm = readFileSync(join(pmDir, pmFile!), 'utf8');
    expect(pmFile).toMatch(/^\d{4}-\d\d-\d\d-checkout-down\.md$/);
    for (const line of ['SEV1 declared: Checkout down — checkout answers 502', 'runbook opened: Checkout down', 'step done: Read the api logs.', 'on prod (ssh://', 'exit 0', 'status update sent (webhook, clipboard)', 'verified: all health checks green', 'resolved: root cause bad config pushed at 03:00']) {
      expect(pm).toContain(line);
    }
    expect(pm).toMatch(/\d+(m|s)/);
    expect(pm).toContain('bad config pushed at 03:00');

    // A second incident; kill -9 in the middle of it.
    await s.sendKeys('i');
    await s.waitForText('Declare an incident');
    await s.sendKeys('2', 'Enter', { text: 'Search slow' }, 'Enter', 'Enter', { text: 'api' }, 'Enter');
    await s.waitForText('SEV2 Search slow');
    await s.sendKeys('n');
    await s.waitForText('Add a note to the timeline');
    await s.sendKeys({ text: 'p99 at 4s since 03:10' }, 'Enter');
    await s.waitForText('note recorded');
    await s.sendKeys('p');
    await s.waitForText('· investigate ·');
    await s.sendKeys('b');
    await s.waitForText(/› ★ Checkout down/);
    await s.sendKeys('Enter');
    await s.waitForText('Checkout down — 0/2 steps');
    await s.sendKeys('Space');
    await s.waitForText('Checkout down — 1/2 steps');
    await killConsole(s);

    // A restart resumes it, every event there (the lock of the dead process is taken over).
    s = await console_();
    screen = await s.waitForText(/resumed \d{4}-\d\d-\d\d-search-slow \(SEV2, investigate\)/);
    expect(screen).toMatch(/SEV2 Search slow · \d\d:\d\d · respond in 3h5\dm · investigate/);
    screen = await openTimeline(s, 'Timeline — 5 events');
    for (const line of ['SEV2 declared: Search slow', 'p99 at 4s since 03:10', 'phase triage → investigate', 'runbook opened: Checkout down', 'step done: Read the api logs.']) expect(screen).toContain(line);
    // Still the writer: q asks first, and says the incident stays open.
    await closeTimeline(s);
    expect(await quitWithIncidentOpen(s)).toBe(0);
  }, 60_000);

  it('a step running over SSH when its console is killed -9 goes on on the host; the next console stops it and records it as cut off', async () => {
    const pidFile = dir.join('drain.pid');
    writeFileSync(
      dir.join('rb', 'api-drain.md'),
      [
        '---',
        'id: api-drain',
        'title: Api drain',
        'severity: [2]',
        'services: [api]',
        'tags: [e2e]',
        '---',
        '',
        '## Symptoms',
        '',
        '- The api is slow.',
        '',
        '## Diagnosis',
        '',
        '- [ ] Look at the api load.',
        '',
        '## Resolution',
        '',
        '- [ ] Drain the api nodes.',
        '  ```sh',
        `  echo $$ > ${pidFile}; echo draining; sleep 300`,
        '  ```',
        '',
      ].join('\n'),
    );
    declareIncident(dir.path, { sev: 2, title: 'Api slow', service: 'api' });
    let s = await console_();
    await s.waitForText(/resumed \d{4}-\d\d-\d\d-api-slow/);
    await s.sendKeys('b');
    await s.waitForText('Api drain');
    for (let i = 0; i < 8 && !/› .*Api drain/.test(await s.capture()); i++) {
      await s.sendKeys('j');
      await new Promise((r) => setTimeout(r, 100));
    }
    await s.waitForText(/› .*Api drain/);
    await s.sendKeys('Enter');
    await s.waitForText('Api drain — 0/2 steps');
    await s.sendKeys('j');
    await s.waitForText('› [ ] Drain the api nodes.');
    await s.sendKeys('x');
    await s.waitForText('Type prod to run');
    await s.sendKeys({ text: 'prod' }, 'Enter');
    // (The confirm showed the command, "echo draining" included: the output line is the one alone.)
    await s.waitForScreen((screen) => /running on prod/.test(screen) && /[│║] +draining +[│║]/.test(screen), 'the step running', 20_000);
    const stepPid = await waitForPidFile(pidFile, 'the step to write its pid');
    // Stopped here by pid whatever happens below (the test is about hubops doing it).
    const started = [stepPid, ...(await waitFor(() => { const d = descendantPids(stepPid); return d.length > 0 ? d : undefined; }, { what: 'the step\'s sleep', timeoutMs: 10_000 }))];
    for (const p of started) trackPid(p, 'runbook step');
    try {
      await killConsole(s);
      // Its SSH session went with it; the command did not.
      await new Promise((r) => setTimeout(r, 1_000));
      expect(isAlive(stepPid)).toBe(true);

      s = await console_();
      await s.waitForText(/resumed \d{4}-\d\d-\d\d-api-slow/);
      // It asks first (production: the environment's name is typed), and the command runs on meanwhile.
      let screen = await s.waitForText('Left running: Drain the api nodes.', 15_000);
      expect(screen).toMatch(/\S+@\S+'s console stopped while it ran on prod/);
      expect(screen).toContain('— PRODUCTION');
      expect(screen).toContain('Type prod to stop it');
      expect(isAlive(stepPid)).toBe(true);
      await s.sendKeys({ text: 'prod' }, 'Enter');
      screen = await s.waitForText(/"Drain the api nodes\." was still running: (stopped|killed) it/, 20_000);
      expect(await waitDead(stepPid, 15_000)).toBe(true);

      const incidents = dir.join('.hubops', 'incidents');
      const file = readdirSync(incidents).find((n) => n.endsWith('api-slow.jsonl'))!;
      const events = readFileSync(join(incidents, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      const startedEvents = events.filter((e) => e.type === 'step-started');
      const ran = events.filter((e) => e.type === 'step-ran' && e.runbook === 'api-drain');
      expect(startedEvents).toHaveLength(1);
      expect(startedEvents[0]).toMatchObject({ runbook: 'api-drain', step: 'resolution-1', env: 'prod' });
      expect(ran).toHaveLength(1);
      expect(ran[0]).toMatchObject({ code: null, target: startedEvents[0]!.target });
      expect(String(ran[0]!.error)).toMatch(new RegExp(`"Drain the api nodes\\." was still running: (stopped|killed) it \\(TERM.*pids [\\d ]*\\b${stepPid}\\b`));

      screen = await openTimeline(s);
      expect(screen).toContain('started `echo $$ >');
      // Both ends of the run are on the timeline (its rows are cut at the panel's width; the error
      // is whole in the journal, checked above, and in the step's panel).
      expect(screen).toMatch(/ran `echo \$\$ >/);
      await closeTimeline(s);
      expect(await quitWithIncidentOpen(s)).toBe(0);
    } finally {
      await stopPids(started);
      for (const p of started) untrackPid(p);
    }
  }, 90_000);
});
