import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { paneRects } from '../../screens/layout.js';
import { initialShell, shellReducer } from '../../screens/shell-state.js';
import { activeKeys, bottomKeys, buildKeyMap, DEFAULT_KEYS, intentFor } from '../../screens/keymap.js';

describe('pane layout', () => {
  it('is two by two at 80x24 and fills the space between the bars', () => {
    expect(paneRects(80, 24)).toEqual([
      { left: 0, top: 1, width: 40, height: 11 },
      { left: 40, top: 1, width: 40, height: 11 },
      { left: 0, top: 12, width: 40, height: 11 },
      { left: 40, top: 12, width: 40, height: 11 },
    ]);
  });

  it('stacks panes in one column below 80 columns', () => {
    const r = paneRects(60, 30);
    expect(r.map((x) => x.left)).toEqual([0, 0, 0, 0]);
    expect(r.every((x) => x.width === 60)).toBe(true);
  });

  it('never overlaps and never leaves the screen, at any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 40, max: 400 }), fc.integer({ min: 10, max: 200 }), (cols, rows) => {
        const rects = paneRects(cols, rows);
        const area = rects.reduce((s, r) => s + r.width * r.height, 0);
        expect(area).toBe(cols * (rows - 2));
        for (const r of rects) {
          expect(r.left + r.width).toBeLessThanOrEqual(cols);
          expect(r.top + r.height).toBeLessThanOrEqual(rows - 1);
          expect(r.top).toBeGreaterThanOrEqual(1);
        }
        for (let i = 0; i < rects.length; i++)
          for (let j = i + 1; j < rects.length; j++) {
            const a = rects[i]!;
            const b = rects[j]!;
            const apart = a.left + a.width <= b.left || b.left + b.width <= a.left || a.top + a.height <= b.top || b.top + b.height <= a.top;
            expect(apart).toBe(true);
          }
      }),
    );
  });
});

describe('shell keys', () => {
  const { keys } = buildKeyMap();
  it('cycles focus both ways and jumps by digit', () => {
    let s = initialShell;
    s = shellReducer(s, intentFor('tab', s, keys)!);
    expect(s.focus).toBe('logs');
    s = shellReducer(s, intentFor('shift-tab', s, keys)!);
    s = shellReducer(s, intentFor('shift-tab', s, keys)!);
    expect(s.focus).toBe('metrics');
    s = shellReducer(s, intentFor('3', s, keys)!);
    expect(s.focus).toBe('health');
  });

  it('only lists and honours keys that act in the current state', () => {
    let s = shellReducer(initialShell, { type: 'toggle-help' });
    expect(intentFor('tab', s, keys)).toBeUndefined();
    expect(activeKeys(s, keys).map((k) => k.label)).toEqual(['help', 'close', 'quit', 'interrupt']);
    s = shellReducer(s, intentFor('escape', s, keys)!);
    expect(s.overlay).toBe('none');
    expect(activeKeys(s, keys).map((k) => k.key)).toEqual(['Tab', 'S-Tab', '1-4', 'j', 'k', 'Enter', 'r', '?', 'q', 'Ctrl-C']);
    // --readonly takes the restart key away, from the map and from what the screen lists.
    const ro = { readonly: true, filterActive: false, logRows: 10 };
    expect(activeKeys(s, keys, ro).map((k) => k.key)).not.toContain('r');
    expect(intentFor('r', s, keys, ro)).toBeUndefined();
    expect(bottomKeys(s, keys, ro).map((k) => `${k.key} ${k.label}`)).toEqual(['j/k select', 'Enter logs', 'Tab next pane', '? help', 'q quit']);
  });

  it('remaps keys from config, and reports unknown actions and clashes', () => {
    const m = buildKeyMap({ quit: 'Q' });
    expect(m.problems).toEqual([]);
    expect(intentFor('Q', initialShell, m.keys)).toEqual({ type: 'quit' });
    // x runs a runbook step: taking it for quit is a clash.
    expect(buildKeyMap({ quit: 'x' }).problems).toEqual(['keys: "x" is bound to both step-run and quit']);
    expect(intentFor('q', initialShell, m.keys)).toBeUndefined();
    expect(buildKeyMap({ qiut: 'x' }).problems[0]).toMatch(/keys.qiut: unknown action/);
    expect(buildKeyMap({ help: 'q' }).problems).toEqual(['keys: "q" is bound to both help and quit']);
    // The same key in two panes is fine: they never act at once.
    expect(buildKeyMap({ follow: 'j' }).problems).toEqual(['keys: "j" is bound to both follow and down']);
    expect(buildKeyMap({ restart: 'f' }).problems).toEqual([]);
  });

  it('keeps Ctrl-C as an interrupt whatever the map says', () => {
    const m = buildKeyMap({ quit: 'ctrl-c' });
    expect(intentFor('ctrl-c', initialShell, m.keys)).toEqual({ type: 'interrupt' });
    expect(DEFAULT_KEYS.quit).toBe('q');
  });
});
