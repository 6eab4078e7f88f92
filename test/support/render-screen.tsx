import type { ReactElement } from 'react';
import { render } from 'ink-testing-library';
import { makeTheme, ThemeContext } from '../../screens/theme.js';

/**
 * ink-testing-library draws into a fake 100-column stdout that is not a TTY; our screens take their
 * size as a prop in tests, so a full-screen layout is checked at the size we choose.
 */
export function renderScreen(el: ReactElement, opts: { color?: boolean } = {}) {
  const wrap = (e: ReactElement) => <ThemeContext.Provider value={makeTheme(opts.color ?? false)}>{e}</ThemeContext.Provider>;
  const r = render(wrap(el));
  const frame = () => r.lastFrame() ?? '';
  return {
    ...r,
    frame,
    /** Draws the screen again with new props (same theme). */
    rerender: (e: ReactElement) => r.rerender(wrap(e)),
    async press(...keys: string[]) {
      for (const k of keys) {
        r.stdin.write(k);
        await new Promise((res) => setTimeout(res, 5));
      }
    },
    /**
     * Waits until the frame satisfies `pred` (content, not a fixed sleep). The default is generous
     * (a loaded machine can run timers and renders a second or more late); a match returns at once.
     */
    async waitFor(pred: (frame: string) => boolean, timeoutMs = 10_000): Promise<string> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const f = frame();
        if (pred(f)) return f;
        if (Date.now() > end) throw new Error(`screen never matched; last frame:\n${f}`);
        await new Promise((res) => setTimeout(res, 10));
      }
    },
  };
}

export const KEY = { tab: '\t', shiftTab: '\x1b[Z', escape: '\x1b', ctrlC: '\x03', enter: '\r' };
