import { createContext, useContext } from 'react';
import type { PaneStatus } from '../src/panes/pane-ids.js';

/** Colours, or none at all when NO_COLOR is set: marks then carry the meaning by text alone. */
export interface Theme {
  color: boolean;
  status: Record<PaneStatus, string | undefined>;
  accent: string | undefined;
  dim: boolean;
}

export function makeTheme(color: boolean): Theme {
  return {
    color,
    status: color
      ? { ok: 'green', degraded: 'yellow', down: 'red', stale: 'magenta', unknown: 'gray', none: 'gray' }
      : { ok: undefined, degraded: undefined, down: undefined, stale: undefined, unknown: undefined, none: undefined },
    accent: color ? 'cyan' : undefined,
    dim: color,
  };
}

export const STATUS_MARK: Record<PaneStatus, string> = {
  ok: '● ok',
  degraded: '▲ degraded',
  down: '✖ down',
  stale: '◌ stale',
  unknown: '? unknown',
  none: '– none',
};

export const ThemeContext = createContext<Theme>(makeTheme(true));
export const useTheme = () => useContext(ThemeContext);
