// The release panel in the console, through ink-testing-library, with a fake flow behind the
// controller (no deploy): D asks for the version, the gate is answered with A, a soft breach with
// an extension, and the top bar shows the release and its watch window.
import { describe, expect, it } from 'vitest';
import { App } from '../../screens/App.js';
import { buildKeyMap } from '../../screens/keymap.js';
import { ReleaseController, type Launch } from '../../screens/release/controller.js';
import { parseConfigText } from '../../src/config/load.js';
import { verdictLine, type ReleaseEvent } from '../../src/release/events.js';
import type { GateReport } from '../../src/release/gate/gate.js';
import { KEY, renderScreen } from '../support/render-screen.js';

const loaded = parseConfigText('project: shop\nenvironments:\n  prod:\n    target: local\n', '/x/hubops.yaml');
if (!loaded.ok) throw new Error('fixture config invalid');
const env = loaded.loaded.config.environments.prod!;
const NOW = new Date(2026, 10, 23, 3, 4, 5).getTime();

const gate = {
  version: '1.3.0',
  blocking: false,
  checks: [
    { name: 'changelog', status: 'pass', detail: '[Unreleased] has 3 entries', overridable: false },
    { name: 'backup', status: 'warn', detail: 'last backup 20h ago', overridable: true },
  ],
} as unknown as GateReport;

let seq = 0;
const ev = (e: Record<string, unknown>): ReleaseEvent => ({ v: 1, seq: ++seq, at: new Date(NOW).toISOString(), by: 'me@host', ...e }) as ReleaseEvent;

/** What runRelease does, in miniature: the gate, the watch window with a soft breach, the verdict. */
const fakeFlow = (answers: unknown[], requests: unknown[]): Launch => async ({ answerer, out, onEvent, request }) => {
  requests.push(request);
  onEvent(ev({ type: 'started', id: 'x', version: '1.3.0', env: 'prod', previous: '1.2.0', report: '/r.md', watch: { durationMs: 30 * 60_000, intervalMs: 60_000 } }));
  out('phase 1: pre-release gate');
  const g = await answerer.preRelease(gate);
  answers.push(g);
  if (g.choice !== 'proceed') {
    onEvent(ev({ type: 'verdict', verdict: 'Aborted', reason: 'aborted at the pre-release gate' }));
    return { verdict: 'Aborted', reason: 'aborted', report: '/r.md', exitCode: 1 };
  }
  onEvent(ev({ type: 'phase', phase: 'watch' }));
  out('watch window: 30m at 1m intervals');
  out('  interval 1: ok');
  out('  interval 2: soft — error rate 1.6x baseline');
  const s = await answerer.soft(['error rate 1.6x baseline']);
  answers.push(s);
  onEvent(ev({ type: 'decision', gate: 'soft', choice: s.answer, reason: s.minutes ? `${s.minutes} min` : '' }));
  out('  interval 3: ok');
  await new Promise((r) => setTimeout(r, 50));
  onEvent(ev({ type: 'verdict', verdict: 'Released', reason: 'watched 40m with no breach left standing' }));
  out(verdictLine('Released', 'watched 40m with no breach left standing'));
  return { verdict: 'Released', reason: 'ok', report: '/r.md', exitCode: 0 };
};

function app(release: ReleaseController, readonly = false) {
  return (
    <App project="shop" envName="prod" env={env} production readonly={readonly} keys={buildKeyMap().keys} onExit={() => {}} size={{ cols: 100, rows: 30 }} now={() => NOW} release={release} />
  );
}

describe('release panel', () => {
  it('D, the version prompt, the gate answered with A, the soft gate extended by 10 minutes, the verdict', async () => {
    const answers: unknown[] = [];
    const requests: unknown[] = [];
    const release = new ReleaseController({ env: 'prod', enabled: true, launch: fakeFlow(answers, requests) });
    const s = renderScreen(app(release));
    let f = await s.waitFor((f) => f.includes('D release'));
    await s.press('D');
    f = await s.waitFor((f) => f.includes('Release to prod (production)'));
    expect(f).toContain('Empty:');
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('Pre-release gate for 1.3.0'));
    expect(requests).toEqual([{}]);
    expect(f).toMatch(/pass +changelog +\[Unreleased\] has 3 entries/);
    expect(f).toMatch(/warn +backup +last backup 20h ago/);
    expect(f).toMatch(/A proceed +B abort +C edit scope/);
    expect(f.split('\n')[0]).toContain('release 1.3.0 · gate');
    // q is refused while the release runs; the gate is still there.
    await s.press('q');
    await s.waitFor((f) => f.includes('a release is running'));
    await s.press('A');
    f = await s.waitFor((f) => f.includes('SOFT breach'));
    expect(answers[0]).toEqual({ choice: 'proceed', overrides: [] });
    expect(f).toMatch(/c continue +r roll back now +e extend by N minutes/);
    expect(f).toMatch(/intervals: 1:ok 2:soft/);
    expect(f.split('\n')[0]).toMatch(/release 1\.3\.0 · watch · window \d+:\d\d left/);
    await s.press('e', '1', '0');
    f = await s.waitFor((f) => f.includes('extend by (minutes): 10'));
    await s.press(KEY.enter);
    f = await s.waitFor((f) => f.includes('verdict: Released'));
    // Once: the run's own output line saying it is not repeated above the panel's verdict.
    expect(f.split('verdict: Released')).toHaveLength(2);
    expect(answers[1]).toEqual({ answer: 'extend', minutes: 10 });
    expect(f).toContain('soft gate: extend by 10 min');
    expect(f).toContain('Esc close');
    await s.press(KEY.escape);
    f = await s.waitFor((f) => !f.includes('Release 1.3.0 to prod'));
    expect(f).toContain('release 1.3.0: Released');
    expect(f).toContain('D release');
    s.unmount();
  });

  it('shows the take-over notice until Esc, and no D under --readonly', async () => {
    const release = new ReleaseController({
      env: 'prod',
      enabled: true,
      launch: async ({ onEvent }) => {
        onEvent(ev({ type: 'verdict', verdict: 'Rolled-Back', reason: 'hard breach; then the rollback command failed — system state unknown, escalate to a human' }));
        return { verdict: 'Rolled-Back', reason: 'x', report: '/r.md', exitCode: 1 };
      },
    });
    const s = renderScreen(app(release));
    await s.waitFor((f) => f.includes('D release'));
    await s.press('D', KEY.enter);
    let f = await s.waitFor((f) => f.includes('SYSTEM STATE UNKNOWN — take over by hand'));
    expect(f).toContain('Esc dismiss the notice');
    await s.press(KEY.escape);
    f = await s.waitFor((f) => !f.includes('SYSTEM STATE UNKNOWN'));
    expect(f).toContain('verdict: Rolled-Back');
    s.unmount();

    const ro = renderScreen(app(new ReleaseController({ env: 'prod', enabled: true, launch: () => Promise.reject(new Error('no')) }), true));
    f = await ro.waitFor((f) => f.includes('? help'));
    expect(f).not.toContain('D release');
    await ro.press('D');
    await new Promise((r) => setTimeout(r, 50));
    expect(ro.frame()).not.toContain('Release to prod');
    ro.unmount();
  });
});
