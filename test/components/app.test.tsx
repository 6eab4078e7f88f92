import { describe, expect, it } from 'vitest';
import { App } from '../../screens/App.js';
import { LiveStore } from '../../src/live/store.js';
import { LogsModel } from '../../src/live/logs-model.js';
import { buildKeyMap } from '../../screens/keymap.js';
import { parseConfigText } from '../../src/config/load.js';
import { KEY, renderScreen } from '../support/render-screen.js';

const loaded = parseConfigText(
  'project: shop\nenvironments:\n  prod:\n    target: local\n    health:\n      - { name: api, http: "http://127.0.0.1:9/health" }\n',
  '/x/hubops.yaml',
);
if (!loaded.ok) throw new Error('fixture config invalid');
const env = loaded.loaded.config.environments.prod!;

function app(size: { cols: number; rows: number }, exits: string[] = [], store?: LiveStore, now?: () => number) {
  return (
    <App
      project="shop"
      envName="prod"
      env={env}
      production
      readonly={false}
      keys={buildKeyMap().keys}
      onExit={(h) => exits.push(h)}
      size={size}
      store={store}
      now={now ?? (() => new Date(2026, 10, 23, 3, 4, 5).getTime())}
    />
  );
}

describe('console shell', () => {
  it('draws bars and four titled panes within 80x24', async () => {
    const s = renderScreen(app({ cols: 80, rows: 24 }));
    const f = await s.waitFor((f) => f.includes('4 Metrics'));
    const lines = f.split('\n');
    expect(lines).toHaveLength(24);
    expect(lines.every((l) => l.length <= 80)).toBe(true);
    expect(lines[0]).toContain('shop / prod (production)');
    expect(lines[0]).toContain('03:04:05');
    expect(f).toContain('1 Containers');
    expect(f).toContain('no source configured');
    expect(f).toMatch(/\? api +waiting for the first probe/);
    expect(lines[23]).toContain('? help');
    s.unmount();
  });

  it('moves focus with Tab, Shift-Tab and digits (double border marks it)', async () => {
    const s = renderScreen(app({ cols: 80, rows: 24 }));
    const focusedTitle = (f: string) => f.split('\n').find((l) => l.includes('║'))?.match(/║ (\d) /)?.[1];
    await s.waitFor((f) => focusedTitle(f) === '1');
    await s.press(KEY.tab);
    await s.waitFor((f) => focusedTitle(f) === '2');
    await s.press(KEY.shiftTab, KEY.shiftTab);
    await s.waitFor((f) => focusedTitle(f) === '4');
    await s.press('3');
    await s.waitFor((f) => focusedTitle(f) === '3');
    s.unmount();
  });

  it('opens help with the keys that act now, closes it with Esc', async () => {
    const s = renderScreen(app({ cols: 80, rows: 24 }));
    await s.press('?');
    const f = await s.waitFor((f) => f.includes('Help — the keys that work now'));
    expect(f).toContain('Esc');
    expect(f).not.toContain('1 Containers');
    await s.press(KEY.escape);
    await s.waitFor((f) => f.includes('1 Containers'));
    s.unmount();
  });

  it('quits on q and reports an interrupt on Ctrl-C', async () => {
    const exits: string[] = [];
    const a = renderScreen(app({ cols: 80, rows: 24 }, exits));
    await a.press('q');
    const b = renderScreen(app({ cols: 80, rows: 24 }, exits));
    await b.press(KEY.ctrlC);
    expect(exits).toEqual(['quit', 'interrupt']);
  });

  it('shows live events: health flips, containers, staleness, errors and a dropped link', async () => {
    let now = Date.parse('2026-11-23T03:00:00Z');
    const store = new LiveStore(env, 1);
    const s = renderScreen(app({ cols: 100, rows: 30 }, [], store, () => now));
    store.emit({ type: 'health', at: now, name: 'api', result: { ok: true, latencyMs: 12, detail: 'HTTP 200' } });
    await s.waitFor((f) => /● api +HTTP 200 +12ms/.test(f));
    now += 1000;
    store.emit({ type: 'health', at: now, name: 'api', result: { ok: false, latencyMs: 3, detail: 'connection refused' } });
    now += 1000;
    store.emit({ type: 'health', at: now, name: 'api', result: { ok: false, latencyMs: 2, detail: 'connection refused' } });
    let f = await s.waitFor((f) => f.includes('2× failed'));
    expect(f).toMatch(/✖ api +connection refused/);
    expect(f).toMatch(/3 Health ✖ down/);

    // No new probe for far longer than two refreshes: the pane says how old its data is.
    now += 60_000;
    store.emit({ type: 'source-error', at: now, pane: 'metrics', source: 'prometheus', error: 'connection refused' });
    f = await s.waitFor((f) => f.includes('3 Health ✖ down 1m old'));
    expect(f).toMatch(/✖ api +connection refused +\(1m old\)/);

    store.emit({ type: 'link', at: now, target: 'local', state: { state: 'disconnected', error: 'Keepalive timeout', retryInMs: 4000 } });
    f = await s.waitFor((f) => f.includes('disconnected — retrying in 4s'));
    s.unmount();
  });

  it('filters the log pane, says how many lines match, and pauses', async () => {
    const withLogs = parseConfigText('project: shop\nenvironments:\n  prod:\n    logs:\n      - { name: api, file: /var/log/api.log }\n', '/x/hubops.yaml');
    if (!withLogs.ok) throw new Error('config');
    const lenv = withLogs.loaded.config.environments.prod!;
    const store = new LiveStore(lenv, 1);
    const logs = new LogsModel(['api']);
    store.tap((e) => logs.onEvent(e));
    const s = renderScreen(
      <App project="shop" envName="prod" env={lenv} production={false} readonly={false} keys={buildKeyMap().keys} store={store} logs={logs} onExit={() => {}} size={{ cols: 80, rows: 24 }} />,
    );
    const lines = ['GET / 200', 'ERROR db timeout', 'GET /cart 200', 'ERROR pool exhausted'].map((text, i) => ({ source: 'api', ts: i, stream: 'stdout' as const, text }));
    store.emit({ type: 'logs', at: Date.now(), lines });
    await s.waitFor((f) => f.includes('ERROR pool exhausted') && f.includes('4 lines'));
    await s.press('2', '/', 'ERROR', KEY.enter);
    let f = await s.waitFor((f) => f.includes('"ERROR" 2 matches'));
    expect(f).not.toContain('GET /cart');
    await s.press('f');
    f = await s.waitFor((f) => f.includes('paused'));
    await s.press(KEY.escape);
    await s.waitFor((f) => f.includes('GET /cart') && !f.includes('matches'));
    s.unmount();
  });

  it('tells which panes are on screen: none under help or when too small, all four otherwise', async () => {
    const told: string[] = [];
    const actions = { followContainer: (n: string) => n, restartContainer: async () => ({ ok: true, durationMs: 0 }), showPanes: (p: readonly string[]) => void told.push(p.join(',') || '(none)') };
    const props = { project: 'shop', envName: 'prod', env, production: false, readonly: false, keys: buildKeyMap().keys, onExit: () => {}, actions };
    const s = renderScreen(<App {...props} size={{ cols: 80, rows: 24 }} />);
    await s.waitFor(() => told.length === 1);
    expect(told).toEqual(['containers,logs,health,metrics']);
    await s.press('?');
    await s.waitFor((f) => f.includes('Help — the keys that work now') && told.length === 2);
    await s.press(KEY.escape);
    await s.waitFor((f) => f.includes('1 Containers') && told.length === 3);
    // A redraw that changes nothing on screen tells nothing.
    await s.press(KEY.tab);
    s.rerender(<App {...props} size={{ cols: 30, rows: 8 }} />);
    await s.waitFor((f) => f.includes('needs at least 40x10') && told.length === 4);
    expect(told).toEqual(['containers,logs,health,metrics', '(none)', 'containers,logs,health,metrics', '(none)']);
    s.unmount();
  });

  it('metrics that back off are not called stale before the poll their source announced', async () => {
    const menv = parseConfigText('project: shop\nenvironments:\n  prod:\n    refresh: 2s\n    metrics: { host: true }\n', '/x/hubops.yaml');
    if (!menv.ok) throw new Error('config');
    const e2 = menv.loaded.config.environments.prod!;
    let now = Date.parse('2026-11-23T03:00:00Z');
    const store = new LiveStore(e2, 1);
    const s = renderScreen(<App project="shop" envName="prod" env={e2} production={false} readonly={false} keys={buildKeyMap().keys} store={store} onExit={() => {}} size={{ cols: 100, rows: 30 }} now={() => now} />);
    const readings = [{ name: 'cpu', value: 12, unit: 'percent' as const }];
    // The source waits 8 s (4 refreshes) before its next poll: 9 s later the data is not stale...
    store.emit({ type: 'metrics', at: now, readings, nextInMs: 8_000 });
    now += 9_000;
    store.emit({ type: 'logs-dropped', at: now, source: 'x', count: 0 });
    const clock = (t: number) => new Date(t).toTimeString().slice(0, 8);
    let f = await s.waitFor((f) => f.includes(clock(now)) && f.includes('4 Metrics'), 15_000);
    expect(f).toContain('4 Metrics ● ok');
    // ...but a refresh past the announced poll it is.
    now += 2_000;
    store.emit({ type: 'logs-dropped', at: now, source: 'x', count: 0 });
    f = await s.waitFor((f) => /4 Metrics ◌ stale 11s old/.test(f));
    // Without an announced poll, two refreshes is the limit (as before).
    store.emit({ type: 'metrics', at: now, readings });
    now += 5_000;
    store.emit({ type: 'logs-dropped', at: now, source: 'x', count: 0 });
    await s.waitFor((f) => /4 Metrics ◌ stale 5s old/.test(f));
    s.unmount();
  });

  it('the clock alone does not draw the charts again', async () => {
    const cfg = parseConfigText('project: shop\nenvironments:\n  prod:\n    metrics: { host: true }\n    logs:\n      - { name: api, file: /var/log/api.log }\n', '/x/hubops.yaml');
    if (!cfg.ok) throw new Error('config');
    const e3 = cfg.loaded.config.environments.prod!;
    const store = new LiveStore(e3, 1);
    const logs = new LogsModel(['api']);
    store.tap((e) => logs.onEvent(e));
    let charts = 0;
    const chart = (points: { t: number; v: number | null }[], width: number, height: number) => (charts++, Array.from({ length: height }, () => '⣀'.repeat(Math.min(width, points.length))));
    const s = renderScreen(<App project="shop" envName="prod" env={e3} production={false} readonly={false} keys={buildKeyMap().keys} store={store} logs={logs} chart={chart} onExit={() => {}} size={{ cols: 100, rows: 30 }} />);
    const at = Date.now();
    store.emit({ type: 'metrics', at, readings: [{ name: 'cpu', value: 12, unit: 'percent' }] });
    store.emit({ type: 'metrics', at: at + 1, readings: [{ name: 'cpu', value: 14, unit: 'percent' }] });
    store.emit({ type: 'logs', at, lines: [{ source: 'api', ts: at, stream: 'stdout', text: 'GET /health 200' }] });
    const clock = (f: string) => f.split('\n')[0]!.match(/\d\d:\d\d:\d\d/)?.[0];
    const first = await s.waitFor((f) => f.includes('GET /health 200') && f.includes('14%'), 15_000);
    const drawn = charts;
    expect(drawn).toBeGreaterThan(0);
    // Two ticks of the clock, nothing else new: the top bar changes, the charts are not drawn again.
    await s.waitFor((f) => clock(f) !== clock(first), 15_000);
    const second = s.frame();
    await s.waitFor((f) => clock(f) !== clock(second), 15_000);
    expect(charts).toBe(drawn);
    store.emit({ type: 'metrics', at: Date.now(), readings: [{ name: 'cpu', value: 15, unit: 'percent' }] });
    await s.waitFor((f) => f.includes('15%'), 15_000);
    expect(charts).toBeGreaterThan(drawn);
    s.unmount();
  });

  it('says so when the terminal is too small', async () => {
    const s = renderScreen(app({ cols: 30, rows: 8 }));
    await s.waitFor((f) => f.includes('needs at least 40x10'));
    s.unmount();
  });
});
