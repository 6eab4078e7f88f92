// The incident screens in the console, through ink-testing-library: declare, note, runbook
// stepping (a real LocalTarget runs the step), status update pre-fill and preview, the verify gate
// with a failing check and an override, the post-mortem, quit confirmation, read-only watching.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../../screens/App.js';
import { IncidentController, type IncidentDeps } from '../../screens/incident/controller.js';
import { DEFAULT_SEVERITY_TEXT } from '../../screens/incident/ui-state.js';
import { buildKeyMap } from '../../screens/keymap.js';
import { isProduction, parseConfigText } from '../../src/config/load.js';
import { incidentEventSchema, type IncidentEvent } from '../../src/incident/events.js';
import { writePostmortem } from '../../src/incident/postmortem.js';
import { IncidentSession } from '../../src/incident/session.js';
import { readJournal } from '../../src/journal/journal.js';
import { loadRunbooks } from '../../src/runbooks/load.js';
import { LocalTarget } from '../../src/targets/local.js';
import { KEY, renderScreen } from '../support/render-screen.js';
import { isAlive, waitDead, waitFor, waitForPidFile } from '../fixtures/procs.js';
import { LiveStore } from '../../src/live/store.js';

const loaded = parseConfigText('project: shop\nenvironments:\n  prod:\n    target: local\n', '/x/hubops.yaml');
if (!loaded.ok) throw new Error('fixture config invalid');
const env = loaded.loaded.config.environments.prod!;

const RUNBOOK = `---
id: api-down
title: API down
severity: [1]
services: [api]
tags: [test]
---

## Symptoms

- 502s.

## Diagnosis

- [ ] Look at the logs.
- [ ] Check the database.

## Resolution

- [ ] Say hello.
  \`\`\`sh
  echo "hello from $HUBOPS_WHO"
  \`\`\`
`;
const OTHER = RUNBOOK.replace('id: api-down', 'id: any-sev2').replace('title: API down', 'title: Generic SEV2 thing').replace('severity: [1]', 'severity: [2]').replace('services: [api]', 'services: []');

interface Harness {
  dir: string;
  ctrl: IncidentController;
  copied: string[];
  posted: { url: string; text: string }[];
  exits: string[];
  events: () => IncidentEvent[];
  target: LocalTarget;
}

const open: { ctrl: IncidentController; target: LocalTarget }[] = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.ctrl.dispose();
    await o.target.close();
  }
});

function harness(over: Partial<IncidentDeps> = {}, opts: { dir?: string; session?: IncidentSession } = {}): Harness {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hubops-inc-ui-'));
  const rbDir = join(dir, 'runbooks');
  if (!existsSync(rbDir)) {
    mkdirSync(rbDir);
    writeFileSync(join(rbDir, 'api-down.md'), RUNBOOK);
    writeFileSync(join(rbDir, 'any-sev2.md'), OTHER);
  }
  const copied: string[] = [];
  const posted: { url: string; text: string }[] = [];
  const target = new LocalTarget();
  const deps: IncidentDeps = {
    journalDir: join(dir, '.hubops'),
    reportsDir: join(dir, 'docs'),
    configDir: dir,
    envName: 'prod',
    environments: { prod: { target: 'local', production: true }, staging: { target: 'local' } },
    isProduction,
    readonly: false,
    me: 'ana@box',
    descriptions: DEFAULT_SEVERITY_TEXT,
    channel: '#ops',
    webhook: 'http://127.0.0.1:9/hooks/secret-path',
    vars: { HUBOPS_WHO: 'the test' },
    loadRunbooks: async () => (await loadRunbooks([rbDir])).runbooks,
    target: () => target,
    verify: async () => ({ green: false, checks: [{ name: 'api', ok: false, detail: 'HTTP 503, expected 200' }, { name: 'db', ok: true, detail: 'connected' }], why: '1 of 2 health checks failing: api' }),
    copy: (text) => (copied.push(text), { ok: true }),
    postWebhook: async (url, text) => (posted.push({ url, text }), { ok: true }),
    writePostmortem: async (state) => writePostmortem(state, { reportsDir: join(dir, 'docs') }),
    ...over,
  };
  const ctrl = new IncidentController(deps, { session: opts.session });
  open.push({ ctrl, target });
  const exits: string[] = [];
  const events = () => {
    const file = ctrl.getSnapshot().file;
    return file ? readJournal(file, incidentEventSchema, { repair: false }).events : [];
  };
  return { dir, ctrl, copied, posted, exits, events, target };
}

function screen(h: Harness, size = { cols: 100, rows: 34 }, opts: { readonly?: boolean } = {}) {
  return renderScreen(
    <App project="shop" envName="prod" env={env} production readonly={opts.readonly ?? false} keys={buildKeyMap().keys} onExit={(x) => h.exits.push(x)} size={size} incident={h.ctrl} />,
  );
}

async function declare(h: Harness, s: ReturnType<typeof screen>) {
  await s.press('i');
  await s.waitFor((f) => f.includes('Declare an incident'));
  await s.press('1', KEY.enter, 'API down', KEY.enter, '502 on checkout', KEY.enter, 'api', KEY.enter);
  await s.waitFor((f) => f.includes('SEV1 API down ·') && f.includes('you are the commander'));
}

describe('incident mode in the console', () => {
  it('declares from a form: severities described, the higher suggested when unsure, recorded', async () => {
    const h = harness();
    const s = screen(h);
    let f = await s.waitFor((f) => f.includes('4 Metrics'));
    expect(f.split('\n').at(-1)).toContain('i declare');
    await s.press('i');
    f = await s.waitFor((f) => f.includes('Declare an incident'));
    expect(f).toContain('SEV1 service down, or data loss in progress (respond < 15m)');
    expect(f).toContain('SEV2 major degradation');
    expect(f).toContain('(respond < 24h)');
    // The four live panes stay on screen beside the form.
    for (const p of ['1 Containers', '2 Logs', '3 Health', '4 Metrics']) expect(f).toContain(p);
    // Unsure between SEV2 and SEV1: both marked, SEV1 suggested.
    await s.press('2');
    await s.waitFor((f) => f.includes('→ SEV2'));
    await s.press('1');
    f = await s.waitFor((f) => f.includes('→ SEV1 (unsure between several: the higher is suggested)'));
    // Enter on an empty title refuses.
    await s.press(KEY.enter, KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor((f) => f.includes('Title is needed'));
    await s.press('API down', KEY.enter, '502 on checkout', KEY.enter, 'api', KEY.enter);
    f = await s.waitFor((f) => f.includes('SEV1 API down ·'));
    const bar = f.split('\n')[1]!;
    expect(bar).toMatch(/SEV1 API down · 00:0\d · respond in 1[45]:\d\d · triage · next update in (30:00|29:\d\d)/);
    await s.waitFor((f) => f.includes('you are the commander'));
    const [declared] = h.events();
    expect(declared).toMatchObject({ type: 'declared', sev: 1, title: 'API down', symptom: '502 on checkout', service: 'api', env: 'prod', by: 'ana@box' });
    expect(h.ctrl.getSnapshot().state?.roles.commander).toBe('ana@box');
    // The bottom bar now shows the incident keys first.
    expect(s.frame().split('\n').at(-1)).toMatch(/n note +u update +b runboo/);
    s.unmount();
  });

  it('n records a note at once; t shows the timeline; p moves the phase; S re-suggests runbooks', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('n');
    await s.waitFor((f) => f.includes('Add a note to the timeline'));
    await s.press('restarted api-1, no change', KEY.enter);
    await s.waitFor((f) => f.includes('note recorded'));
    expect(h.events().at(-1)).toMatchObject({ type: 'note', text: 'restarted api-1, no change' });
    await s.press('p');
    await s.waitFor((f) => f.includes('· investigate ·'));
    expect(h.events().at(-1)).toMatchObject({ type: 'phase-changed', from: 'triage', to: 'investigate' });
    await s.press('S');
    await s.waitFor((f) => f.includes('Change the severity (now SEV1)'));
    await s.press('2', KEY.enter, 'only search is slow', KEY.enter);
    let f = await s.waitFor((f) => f.includes('severity SEV1 → SEV2'));
    expect(f).toContain('suggested runbooks: any-sev2');
    expect(h.events().at(-1)).toMatchObject({ type: 'severity-changed', from: 1, to: 2, reason: 'only search is slow' });
    // Hand the commander role over; set the phase from the list.
    await s.press('H');
    f = await s.waitFor((f) => f.includes('Hand a role over'));
    expect(f).toContain('commander: ana@box');
    await s.press(KEY.enter, 'bob@box', KEY.enter);
    await s.waitFor((f) => f.includes('commander is now bob@box'));
    expect(h.events().at(-1)).toMatchObject({ type: 'role-assigned', role: 'commander', who: 'bob@box' });
    await s.press('P');
    await s.waitFor((f) => f.includes('Set the phase (now investigate)'));
    await s.press('\x1b[C', KEY.enter);
    await s.waitFor((f) => f.includes('· mitigate ·'));
    await s.press('t');
    f = await s.waitFor((f) => f.includes('Timeline — 6 events'));
    expect(f).toContain('commander: bob@box');
    expect(f).toContain('phase investigate → mitigate');
    expect(f).toMatch(/ana SEV1 declared: API down — 502 on checkout/);
    expect(f).toContain('restarted api-1, no change');
    expect(f).toContain('phase triage → investigate');
    expect(f).toContain('severity SEV1 → SEV2 (only search is slow)');
    await s.press(KEY.escape);
    await s.waitFor((f) => !f.includes('Timeline —'));
    s.unmount();
  });

  it('steps through a runbook: done, skip with a reason, run with a typed confirm on production', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('b');
    let f = await s.waitFor((f) => f.includes('Runbooks for SEV1 · api') && f.includes('Generic SEV2 thing'));
    // The runbook for this service and severity comes first, marked as suggested.
    const pickerLines = f.split('\n').filter((l) => l.includes('API down  SEV1') || l.includes('Generic SEV2 thing'));
    expect(pickerLines[0]).toMatch(/› ★ API down +SEV1 · api/);
    expect(pickerLines[1]).not.toContain('★');
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('API down — 0/3 steps'));
    expect(h.events().at(-1)).toMatchObject({ type: 'runbook-opened', runbook: 'api-down' });
    expect(f).toMatch(/› \[ \] Look at the logs\./);
    await s.press(' ');
    f = await s.waitFor((f) => f.includes('API down — 1/3 steps'));
    expect(f).toMatch(/\[x\] Look at the logs\./);
    expect(f).toMatch(/› \[ \] Check the database\./);
    await s.press('s');
    await s.waitFor((f) => f.includes('Skip: Check the database.'));
    await s.press('db is managed, not ours', KEY.enter);
    f = await s.waitFor((f) => f.includes('API down — 2/3 steps'));
    expect(f).toMatch(/\[-\] Check the database\./);
    expect(h.events().slice(-2)).toMatchObject([
      { type: 'step-done', runbook: 'api-down', step: 'diagnosis-1' },
      { type: 'step-skipped', runbook: 'api-down', step: 'diagnosis-2', reason: 'db is managed, not ours' },
    ]);
    // x shows the whole command and where it runs, and wants the environment's name on production.
    f = await s.waitFor((f) => f.includes('› [ ] Say hello.'));
    expect(f).toContain('$ echo "hello from $HUBOPS_WHO"');
    await s.press('x');
    f = await s.waitFor((f) => f.includes('Run: Say hello.'));
    expect(f).toContain('on prod (local) — PRODUCTION:');
    expect(f).toContain('$ echo "hello from $HUBOPS_WHO"');
    expect(f).toContain('with HUBOPS_WHO=the test');
    expect(f).toContain('Type prod to run');
    await s.press('y', KEY.enter);
    await s.waitFor((f) => f.includes('not confirmed: the step was not run (type prod exactly)'));
    expect(h.events().some((e) => e.type === 'step-ran')).toBe(false);
    await s.press('x');
    await s.waitFor((f) => f.includes('Run: Say hello.'));
    await s.press('prod', KEY.enter);
    f = await s.waitFor((f) => /exit 0 in \d+\.\ds on prod \(local\)/.test(f));
    expect(f).toContain('hello from the test');
    expect(f).toContain('API down — 3/3 steps');
    const ran = h.events().at(-1)!;
    expect(ran).toMatchObject({ type: 'step-ran', runbook: 'api-down', step: 'resolution-1', command: 'echo "hello from $HUBOPS_WHO"', target: 'prod (local)', code: 0, tail: ['hello from the test'] });
    expect(ran.type === 'step-ran' && ran.durationMs).toBeGreaterThanOrEqual(0);
    s.unmount();

    // Progress survives a restart: the journal replayed shows the same marks.
    await h.ctrl.dispose();
    const again = harness({}, { dir: h.dir });
    expect(again.ctrl.resumeOpen()?.runbooks['api-down']?.steps).toMatchObject({ 'diagnosis-1': { status: 'done' }, 'diagnosis-2': { status: 'skipped' }, 'resolution-1': { status: 'ran' } });
    const s2 = screen(again);
    await s2.press('b');
    await s2.waitFor((f) => f.includes('3/3 steps'));
    s2.unmount();
  });

  it('X stops a running step: its process group is gone, and the timeline says who stopped it', async () => {
    const h = harness();
    const pidFile = join(h.dir, 'slow.pid');
    writeFileSync(
      join(h.dir, 'runbooks', 'slow.md'),
      RUNBOOK.replace('id: api-down', 'id: slow').replace('title: API down', 'title: Slow drain').replace('echo "hello from $HUBOPS_WHO"', () => `echo $$ > ${pidFile}; echo draining; sleep 60`),
    );
    const s = screen(h);
    await declare(h, s);
    await s.press('b');
    await s.waitFor((f) => f.includes('Slow drain'));
    for (let i = 0; i < 3 && !/› .*Slow drain/.test(s.frame()); i++) await s.press('j');
    await s.waitFor((f) => /› .*Slow drain/.test(f));
    await s.press(KEY.enter, 'j', 'j');
    await s.waitFor((f) => f.includes('› [ ] Say hello.'));
    await s.press('x');
    await s.waitFor((f) => f.includes('Type prod to run'));
    await s.press('prod', KEY.enter);
    let f = await s.waitFor((f) => f.includes('draining'), 15_000);
    expect(f).toMatch(/running on prod \(local\) — \d\d:\d\d \(X stops it\)/);
    // Help lists the key while the step runs.
    await s.press('?');
    f = await s.waitFor((f) => f.includes('Help — the keys that work now'));
    expect(f).toMatch(/X +stop the running step/);
    await s.press(KEY.escape);
    await s.waitFor((f) => f.includes('draining') && !f.includes('Help — the keys'));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    expect(() => process.kill(pid, 0)).not.toThrow();
    await s.press('X');
    f = await s.waitFor((f) => f.includes('stopped from the console'), 10_000);
    const ran = h.events().at(-1)!;
    expect(ran).toMatchObject({ type: 'step-ran', runbook: 'slow', step: 'resolution-1', tail: ['draining'] });
    expect(ran.type === 'step-ran' && ran.error).toMatch(/^stopped from the console by ana@box/);
    expect(ran.type === 'step-ran' && ran.durationMs).toBeLessThan(30_000);
    // The command's shell and its sleep are gone (the whole process group was signalled): waited
    // for, not assumed after 200 ms (a busy machine may take longer to end and reap them).
    expect(await waitDead(pid, 10_000)).toBe(true);
    await s.press('?');
    f = await s.waitFor((f) => f.includes('Help — the keys that work now'));
    expect(f).not.toContain('stop the running step');
    s.unmount();
  });

  /**
   * The console that died: it journaled the step and started it (a real process, carrying its
   * mark), then stopped recording. (Its lock is given back here, as this test process is alive;
   * the e2e test kills a real console with -9.)
   */
  async function deadConsoleStep(by: string) {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-ui-'));
    const old = IncidentSession.declare(join(dir, '.hubops'), { sev: 1, title: 'API down', service: 'api' }, { me: by });
    const pidFile = join(dir, 'step.pid');
    // Random: the stop looks through every process on the machine, other test runs' included.
    const mark = randomBytes(8).toString('hex');
    const oldTarget = new LocalTarget();
    const orphan = oldTarget.run(`echo $$ > ${pidFile}; sleep 60`, { mark, tailLines: 5 });
    old.record({ type: 'step-started', runbook: 'api-down', step: 'resolution-1', text: 'Say hello.', command: 'drain --all', target: 'prod (local)', env: 'prod', mark });
    const pid = await waitForPidFile(pidFile, 'the step to start');
    old.close();
    const alive = () => isAlive(pid);
    const cleanup = async () => {
      await oldTarget.close();
      if (alive()) process.kill(pid, 'SIGKILL');
    };
    return { dir, mark, pid, orphan, alive, cleanup };
  }

  it('a step whose console died under it: the next console to lead asks, stops what is left of it, and records it as cut off', async () => {
    const d = await deadConsoleStep('bob@box');
    try {
      const h = harness({}, { dir: d.dir });
      const opened = h.ctrl.resumeOpen();
      expect(opened?.stepRunning).toMatchObject({ step: 'resolution-1', mark: d.mark, by: 'bob@box' });
      const s = screen(h);
      let f = await s.waitFor((f) => f.includes('Left running: Say hello.'));
      expect(f).toMatch(/bob@box's console stopped while it ran on prod \(local\) — PRODUCTION/);
      expect(f).toContain('$ drain --all');
      expect(f).toContain('Type prod to stop it');
      // Asked, not done: the process runs on, and no step runs meanwhile.
      await new Promise((r) => setTimeout(r, 1_200));
      expect(d.alive()).toBe(true);
      expect(h.events().filter((e) => e.type === 'step-ran')).toHaveLength(0);
      // A wrong answer stops nothing; the question comes back.
      await s.press('y', KEY.enter);
      f = await s.waitFor((f) => f.includes('not stopped (type prod exactly)'));
      await s.waitFor((f) => f.includes('Left running: Say hello.'), 5_000);
      expect(d.alive()).toBe(true);
      await s.press('prod', KEY.enter);
      f = await s.waitFor((f) => f.includes('was still running'), 15_000);
      expect(f).toContain('"Say hello." was still running: stopped it (TERM; pids');
      const ran = h.events().at(-1)!;
      expect(ran).toMatchObject({ type: 'step-ran', runbook: 'api-down', step: 'resolution-1', command: 'drain --all', target: 'prod (local)', code: null, by: 'ana@box' });
      expect(ran.type === 'step-ran' && ran.error).toMatch(/^cut off: bob@box's console stopped while it ran; "Say hello\." was still running: stopped it \(TERM; pids [\d ]*\b\d+/);
      expect((await d.orphan).code).not.toBe(0);
      expect(d.alive()).toBe(false);
      expect(h.ctrl.getSnapshot().state?.stepRunning).toBeUndefined();
      expect(h.ctrl.getSnapshot().state?.runbooks['api-down']?.steps['resolution-1']?.status).toBe('ran');
      // Once: a second look finds nothing left to settle.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(h.events().filter((e) => e.type === 'step-ran')).toHaveLength(1);
      // The step's panel shows the whole error, wrapped, down to its duration and target.
      await s.press('b');
      await s.waitFor((f) => /› ★ API down/.test(f));
      await s.press(KEY.enter, 'j', 'j');
      const panel = await s.waitFor((f) => f.includes('› [>] Say hello.'));
      expect(panel).toMatch(/cut off: bob@box's console/);
      expect(panel).toMatch(/in \d+\.\ds on prod \(local\)/);
      s.unmount();
    } finally {
      await d.cleanup();
    }
  });

  it('Esc leaves a cut-off step running, recorded as not checked; a local step from another host is never touched', async () => {
    const d = await deadConsoleStep('bob@box');
    try {
      const h = harness({}, { dir: d.dir });
      h.ctrl.resumeOpen();
      const s = screen(h);
      await s.waitFor((f) => f.includes('Left running: Say hello.'));
      await s.press(KEY.escape);
      await s.waitFor((f) => f.includes('left as it was by ana@box'));
      const ran = h.events().at(-1)!;
      expect(ran.type === 'step-ran' && ran.error).toBe(`cut off: bob@box's console stopped while it ran; "Say hello." left as it was by ana@box, not checked: it may still be running on prod (local)`);
      await new Promise((r) => setTimeout(r, 1_200));
      expect(d.alive()).toBe(true);
      expect(s.frame()).not.toContain('Left running:');
      s.unmount();
    } finally {
      await d.cleanup();
    }
    const other = await deadConsoleStep('bob@elsewhere');
    try {
      const h = harness({}, { dir: other.dir });
      h.ctrl.resumeOpen();
      const s = screen(h);
      const f = await s.waitFor((f) => f.includes('"Say hello." may still be running on elsewhere'));
      expect(f).not.toContain('Left running:');
      const ran = h.events().at(-1)!;
      expect(ran.type === 'step-ran' && ran.error).toBe(`cut off: bob@elsewhere's console stopped while it ran; "Say hello." may still be running on elsewhere (its local target, not this machine): check that host`);
      expect(other.alive()).toBe(true);
      s.unmount();
    } finally {
      await other.cleanup();
    }
  });

  it('a step run is journaled before it starts, with its mark, and when it ends; its own step raises no question', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('b');
    await s.waitFor((f) => f.includes('API down'));
    await s.press(KEY.enter, 'j', 'j');
    await s.waitFor((f) => f.includes('› [ ] Say hello.'));
    await s.press('x');
    await s.waitFor((f) => f.includes('Type prod to run'));
    await s.press('prod', KEY.enter);
    await s.waitFor((f) => /Say hello\.: exit 0/.test(f), 15_000);
    await new Promise((r) => setTimeout(r, 1_500));
    const steps = h.events().filter((e) => e.type === 'step-started' || e.type === 'step-ran');
    expect(steps.map((e) => e.type)).toEqual(['step-started', 'step-ran']);
    const [started, ran] = steps;
    expect(started).toMatchObject({ runbook: 'api-down', step: 'resolution-1', target: 'prod (local)', env: 'prod', command: 'echo "hello from $HUBOPS_WHO"' });
    expect(started?.type === 'step-started' && started.mark).toMatch(/^[0-9a-f]{16}$/);
    expect(ran).toMatchObject({ code: 0, tail: ['hello from the test'] });
    expect(ran?.type === 'step-ran' && ran.error).toBeFalsy();
    expect(s.frame()).not.toContain('Left running:');
    s.unmount();
  });

  it('an incident declared from another terminal shows within seconds, read-only; once it is resolved there, this console can declare again', async () => {
    const h = harness();
    const s = screen(h);
    await s.waitFor((f) => f.includes('4 Metrics') && f.split('\n').at(-1)!.includes('i declare'));
    // Another hubops (here a session of its own in the same journal folder) declares one.
    const other = IncidentSession.declare(join(h.dir, '.hubops'), { sev: 2, title: 'Checkout slow', service: 'api' }, { me: 'bob@laptop' });
    try {
      let f = await s.waitFor((f) => f.includes('SEV2 Checkout slow') && f.includes("read-only: watching bob@laptop's session"), 15_000);
      expect(f).toContain('declared in another terminal by bob@laptop');
      expect(h.ctrl.getSnapshot().readonly).toBe(true);
      // This console did not take the writer's lock.
      expect(() => other.record({ type: 'note', text: 'cache cold after deploy' })).not.toThrow();
      // Followed live.
      await s.press('t');
      await s.waitFor((f) => f.includes('cache cold after deploy'), 15_000);
      await s.press(KEY.escape);
      await s.waitFor((f) => !f.includes('Timeline —'));
      other.record({ type: 'resolved', rootCause: 'cold cache', impact: 'slow checkout', dataLoss: 'no' });
      f = await s.waitFor((f) => f.includes('was resolved in another terminal'), 15_000);
      expect(h.ctrl.getSnapshot().readonly).toBe(false);
      await s.press('i');
      await s.waitFor((f) => f.includes('Declare an incident'));
    } finally {
      other.close();
    }
    s.unmount();
  });

  it('refuses x under --readonly and when watching another session (banner, followed live)', async () => {
    const writer = harness();
    const ws = screen(writer);
    await declare(writer, ws);
    // A second console on the same incident: the lock is held, so it watches read-only.
    const watcher = harness({}, { dir: writer.dir });
    watcher.ctrl.resumeOpen();
    const s = screen(watcher);
    let f = await s.waitFor((f) => f.includes(`read-only: watching ana@box's session (pid ${process.pid})`));
    expect(f.split('\n').at(-1)).not.toContain('n note');
    await s.press('n');
    await s.press('b');
    await s.waitFor((f) => f.includes('Generic SEV2 thing'));
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('API down — 0/3 steps (read-only)'));
    expect(f.split('\n').at(-1)).toContain('x run: off (read-only)');
    await s.press('x');
    await s.waitFor((f) => f.includes('read-only: steps are not run from this console'));
    // The writer marks a step: the watcher follows the journal and shows it.
    await ws.press('b');
    await ws.waitFor((f) => f.includes('Generic SEV2 thing'));
    await ws.press(KEY.enter);
    await ws.waitFor((f) => f.includes('API down — 0/3 steps'));
    await ws.press(' ');
    await s.waitFor((f) => f.includes('API down — 1/3 steps (read-only)'), 15_000);
    s.unmount();
    ws.unmount();
  });

  it('status update: pre-filled from the previous one, preview, edit, send to the webhook and the clipboard', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('u');
    // The first update has nothing to say where we are: the form opens on that field.
    let f = await s.waitFor((f) => f.includes('Edit the status update'));
    expect(f).toMatch(/Symptom +502 on checkout/);
    expect(f).toMatch(/› Where we are/);
    expect(f).toMatch(/ETA +unknown/);
    await s.press('rolling back v1.4.3', KEY.enter, '\x15', '20 min', KEY.enter);
    f = await s.waitFor((f) => f.includes('Status update — preview') && f.includes('[SEV1]'));
    expect(f).toContain('[SEV1] api: 502 on checkout');
    expect(f).toContain('Where we are: rolling back v1.4.3');
    expect(f).toContain('ETA: 20 min');
    expect(f).toContain('in #ops');
    expect(f).toContain('Enter post to 127.0.0.1:9 + copy');
    expect(f).not.toContain('secret-path');
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('Status update — sent'));
    expect(f).toMatch(/sent \(webhook 127\.0\.0\.1:9 \+ clipboard\)/);
    expect(h.posted).toHaveLength(1);
    expect(h.posted[0]!.text).toContain('Where we are: rolling back v1.4.3');
    expect(h.copied[0]).toBe(h.posted[0]!.text);
    const sent = h.events().at(-1)!;
    expect(sent).toMatchObject({ type: 'update-sent', kind: 'update', via: ['webhook', 'clipboard'] });
    expect(sent.type === 'update-sent' && sent.fields.investigating).toBe('rolling back v1.4.3');
    // The response target is met now.
    f = await s.waitFor((f) => /responded in \d+s/.test(f));
    await s.press(KEY.escape);

    // The next one is pre-filled from this one: straight to the preview; e edits a free-text field.
    await s.press('u');
    f = await s.waitFor((f) => f.includes('Status update — preview') && f.includes('[SEV1]'));
    expect(f).toContain('Where we are: rolling back v1.4.3');
    expect(f).toContain('ETA: 20 min');
    await s.press('e');
    f = await s.waitFor((f) => f.includes('Edit the status update'));
    await s.press(KEY.tab, KEY.tab, '\x15', 'done by 03:30', KEY.enter);
    f = await s.waitFor((f) => f.includes('ETA: done by 03:30'));
    // The webhook fails: not counted as sent, said so, and c copies it for the person to paste.
    h.ctrl.deps.postWebhook = async () => ({ ok: false, error: 'HTTP 500 from 127.0.0.1:9' });
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('not sent: webhook: HTTP 500 from 127.0.0.1:9'));
    expect(h.events().at(-1)).toMatchObject({ type: 'update-sent', error: 'webhook: HTTP 500 from 127.0.0.1:9' });
    expect(h.ctrl.getSnapshot().state?.updatesSent).toBe(1);
    await s.press('c');
    await s.waitFor((f) => f.includes('Status update — sent'));
    expect(h.events().at(-1)).toMatchObject({ type: 'update-sent', via: ['clipboard'] });
    expect(h.ctrl.getSnapshot().state?.updatesSent).toBe(2);
    s.unmount();
  });

  it('resolve: the verify gate shows the failing check; an override needs a reason; resolved message; post-mortem', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('R');
    let f = await s.waitFor((f) => f.includes('1 of 2 health checks failing: api'));
    expect(f).toMatch(/✖ api +HTTP 503, expected 200/);
    expect(f).toMatch(/● db +connected/);
    expect(h.events().some((e) => e.type === 'verified')).toBe(false);
    await s.press('o');
    await s.waitFor((f) => f.includes('Resolve although the verify gate is not green'));
    await s.press(KEY.enter);
    await s.waitFor((f) => f.includes('Reason is needed'));
    await s.press('api probe hits the old pool; users are fine', KEY.enter);
    f = await s.waitFor((f) => f.includes('Edit the resolved message'));
    expect(h.events().at(-1)).toMatchObject({ type: 'verified', green: false, override: 'api probe hits the old pool; users are fine', checks: [{ name: 'api', ok: false }, { name: 'db', ok: true }] });
    expect(f).toMatch(/Data loss +no/);
    await s.press('bad deploy v1.4.3', KEY.enter, 'checkout for all users', KEY.enter, KEY.enter);
    f = await s.waitFor((f) => f.includes('Resolved message — preview') && f.includes('[SEV1 RESOLVED]'));
    expect(f).toContain('[SEV1 RESOLVED] api: API down');
    expect(f).toMatch(/Duration: \d+s/);
    expect(f).toContain('Root cause: bad deploy v1.4.3');
    expect(f).toContain('Post-mortem: docs/post-mortems/');
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('Resolved message — sent'));
    const tail = h.events().slice(-2);
    expect(tail).toMatchObject([{ type: 'update-sent', kind: 'resolved' }, { type: 'resolved', rootCause: 'bad deploy v1.4.3', impact: 'checkout for all users', dataLoss: 'no' }]);
    f = await s.waitFor((f) => /resolved after \d+s · post-mortem due \d{4}-\d\d-\d\d/.test(f.split('\n')[1]!));
    // Resolved: q no longer asks; M writes the post-mortem.
    await s.press(KEY.escape, 'M');
    f = await s.waitFor((f) => f.includes('post-mortem written: docs/post-mortems/'));
    const pm = h.events().at(-1)!;
    expect(pm.type).toBe('postmortem-written');
    const text = readFileSync(pm.type === 'postmortem-written' ? pm.path : '', 'utf8');
    expect(text).toContain('API down');
    expect(text).toContain('verify gate overridden');
    await s.press('q');
    expect(h.exits).toEqual(['quit']);
  });

  it('a green gate goes straight to the resolved message', async () => {
    const h = harness({ verify: async () => ({ green: true, checks: [{ name: 'api', ok: true, detail: 'HTTP 200' }] }) });
    const s = screen(h);
    await declare(h, s);
    await s.press('R');
    await s.waitFor((f) => f.includes('Edit the resolved message'));
    expect(h.events().at(-1)).toMatchObject({ type: 'verified', green: true });
    s.unmount();
  });

  it('q asks first while an incident is open, and says it stays open', async () => {
    const h = harness();
    const s = screen(h);
    await declare(h, s);
    await s.press('q');
    let f = await s.waitFor((f) => f.includes('Quit hubops while the incident is open?'));
    expect(f).toMatch(/stays open: its journal is kept/);
    expect(f).toContain('`hubops incident` (or `hubops`) resumes it');
    await s.press(KEY.escape);
    f = await s.waitFor((f) => !f.includes('Quit hubops while'));
    expect(h.exits).toEqual([]);
    await s.press('q');
    await s.waitFor((f) => f.includes('Quit hubops while'));
    await s.press('n', KEY.enter);
    await s.waitFor((f) => f.includes('still here'));
    expect(h.exits).toEqual([]);
    await s.press('q');
    await s.waitFor((f) => f.includes('Quit hubops while'));
    await s.press('y', KEY.enter);
    expect(h.exits).toEqual(['quit']);
  });

  it('flags an overdue status update, and again every minute while it stays overdue', async () => {
    let now = Date.now();
    const h = harness({ now: () => now, updateEveryMs: 30 * 60_000 });
    const s = renderScreen(
      <App project="shop" envName="prod" env={env} production readonly={false} keys={buildKeyMap().keys} onExit={() => {}} size={{ cols: 100, rows: 34 }} incident={h.ctrl} now={() => now} />,
    );
    await declare(h, s);
    now += 31 * 60_000;
    h.ctrl.tick();
    let f = await s.waitFor((f) => f.includes('status update OVERDUE by 1m'));
    expect(f).toContain('SEV1 response target missed');
    f = await s.waitFor((f) => /next update OVERDUE 01:\d\d/.test(f), 15_000);
    expect(f).toMatch(/respond: missed by 16:\d\d/);
    await s.press('n', 'still looking', KEY.enter);
    await s.waitFor((f) => f.includes('note recorded'));
    now += 60_000;
    h.ctrl.tick();
    await s.waitFor((f) => f.includes('status update OVERDUE by 2m'));
    s.unmount();
  });

  it('lists the incident keys in help, and only those that act', async () => {
    const h = harness();
    const s = screen(h);
    await s.press('?');
    let f = await s.waitFor((f) => f.includes('Help — the keys that work now'));
    expect(f).toMatch(/i +declare an incident/);
    expect(f).not.toMatch(/n +note on the timeline/);
    await s.press(KEY.escape);
    await s.waitFor((f) => f.includes('1 Containers'));
    await declare(h, s);
    await s.press('?');
    f = await s.waitFor((f) => f.includes('Help — the keys that work now'));
    for (const k of [/n +note on the timeline/, /u +status update/, /b +runbooks/, /t +timeline/, /p +next phase/, /P +set the phase/, /S +change severity/, /H +hand a role over/, /R +resolve/]) expect(f).toMatch(k);
    expect(f).not.toMatch(/i +declare an incident/);
    expect(f).not.toMatch(/M +write the post-mortem/);
    s.unmount();
  });

  it('remaps incident keys from the config', async () => {
    const h = harness();
    const { keys, problems } = buildKeyMap({ note: 'N', declare: 'D' });
    expect(problems).toEqual([]);
    const s = renderScreen(<App project="shop" envName="prod" env={env} production readonly={false} keys={keys} onExit={() => {}} size={{ cols: 100, rows: 34 }} incident={h.ctrl} />);
    await s.press('i');
    await s.press('D');
    await s.waitFor((f) => f.includes('Declare an incident'));
    await s.press('1', KEY.enter, 'remapped', KEY.enter, KEY.enter, KEY.enter);
    await s.waitFor((f) => f.includes('SEV1 remapped'));
    await s.press('N');
    await s.waitFor((f) => f.includes('Add a note to the timeline'));
    s.unmount();
  });
});

describe('actions taken from the panes during an incident', () => {
  it('a container restarted from its pane is recorded in the open incident', async () => {
    const h = harness();
    const withDocker = parseConfigText('project: shop\nenvironments:\n  prod:\n    target: local\n    docker: {}\n', '/x/hubops.yaml');
    if (!withDocker.ok) throw new Error('config');
    const denv = withDocker.loaded.config.environments.prod!;
    const store = new LiveStore(denv, 1);
    // The restart itself is the Docker action tested against the real engine elsewhere; here only
    // its result matters, and where it is written.
    const restarted: string[] = [];
    const s = renderScreen(
      <App
        project="shop"
        envName="prod"
        env={denv}
        production
        readonly={false}
        keys={buildKeyMap().keys}
        onExit={() => {}}
        size={{ cols: 100, rows: 34 }}
        incident={h.ctrl}
        store={store}
        actions={{ followContainer: (n) => n, restartContainer: async (n) => (restarted.push(n), { ok: true, durationMs: 1200 }) }}
      />,
    );
    await declare(h, s);
    store.emit({ type: 'containers', at: Date.now(), rows: [{ id: 'a', name: 'shop-api-1', state: 'running', restarts: 0, image: 'shop', tag: '1.0' }] });
    await s.waitFor((f) => f.includes('shop-api-1'));
    await s.press('1', 'r');
    await s.waitFor((f) => f.includes('type shop-api-1'));
    await s.press('shop-api-1', KEY.enter);
    await s.waitFor((f) => f.includes('restarted shop-api-1 in 1.2s'));
    expect(restarted).toEqual(['shop-api-1']);
    expect(h.events().at(-1)).toMatchObject({ type: 'action', action: 'restart', subject: 'shop-api-1', ok: true, detail: 'in 1.2s', by: 'ana@box' });
    s.unmount();
  });
});
