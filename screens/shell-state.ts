import { PANE_ORDER, type PaneId } from '../src/panes/pane-ids.js';

/** UI state of the console shell: what has focus and which overlay is open. */
export interface ShellState {
  focus: PaneId;
  overlay: 'none' | 'help';
  quitting: boolean;
}

export type Intent =
  | { type: 'focus-next' }
  | { type: 'focus-prev' }
  | { type: 'focus'; pane: PaneId }
  | { type: 'toggle-help' }
  | { type: 'close-overlay' }
  | { type: 'quit' }
  | { type: 'interrupt' };

export const initialShell: ShellState = { focus: 'containers', overlay: 'none', quitting: false };

export function shellReducer(state: ShellState, intent: Intent): ShellState {
  const at = PANE_ORDER.indexOf(state.focus);
  switch (intent.type) {
    case 'focus-next':
      return { ...state, focus: PANE_ORDER[(at + 1) % PANE_ORDER.length]! };
    case 'focus-prev':
      return { ...state, focus: PANE_ORDER[(at + PANE_ORDER.length - 1) % PANE_ORDER.length]! };
    case 'focus':
      return { ...state, focus: intent.pane };
    case 'toggle-help':
      return { ...state, overlay: state.overlay === 'help' ? 'none' : 'help' };
    case 'close-overlay':
      return { ...state, overlay: 'none' };
    case 'quit':
    case 'interrupt':
      return { ...state, quitting: true };
  }
}
