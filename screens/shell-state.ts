import { PANE_ORDER, type PaneId } from '../src/panes/pane-ids.js';
import type { IncidentOp } from './incident/keys.js';

/** A question at the bottom of the screen; while it is open, keys type into it. */
export type Prompt =
  | { kind: 'filter'; text: string }
  | { kind: 'confirm'; action: 'restart' | 'fault'; subject: string; title: string; body: string; typeToConfirm?: string; text: string }
  | { kind: 'menu'; title: string; options: MenuOption[]; text: string }
  /** A line of text to type: the version to release. */
  | { kind: 'input'; action: 'release'; title: string; hint: string; text: string };

export interface MenuOption {
  key: string;
  id: string;
  label: string;
  description?: string;
  destructive?: boolean;
}

export interface LogsView {
  follow: boolean;
  /** Paused: stable position (viewOffset + index) of the top row. */
  anchor: number;
  wrap: boolean;
  timestamps: boolean;
  source: string;
}

/** UI state of the console shell: focus, overlays, prompts and per-pane view settings. */
export interface ShellState {
  focus: PaneId;
  overlay: 'none' | 'help';
  prompt?: Prompt;
  logs: LogsView;
  containers: { selected: number };
  /** A one-line message in the bottom bar (action results, refusals). */
  message?: { text: string; error: boolean };
}

export type Intent =
  | { type: 'focus-next' }
  | { type: 'focus-prev' }
  | { type: 'focus'; pane: PaneId }
  | { type: 'toggle-help' }
  | { type: 'close-overlay' }
  | { type: 'quit' }
  | { type: 'interrupt' }
  | { type: 'logs-follow' }
  | { type: 'logs-scroll'; rows: number }
  | { type: 'logs-top' }
  | { type: 'logs-bottom' }
  | { type: 'logs-wrap' }
  | { type: 'logs-timestamps' }
  | { type: 'logs-next-source' }
  | { type: 'logs-show'; source: string }
  | { type: 'open-filter' }
  | { type: 'clear-filter' }
  | { type: 'select'; delta: number }
  | { type: 'show-container-logs' }
  | { type: 'restart-container' }
  | { type: 'open-confirm'; prompt: Extract<Prompt, { kind: 'confirm' }> }
  | { type: 'open-faults' }
  | { type: 'open-menu'; prompt: Extract<Prompt, { kind: 'menu' }> }
  | { type: 'prompt-type'; text: string }
  | { type: 'prompt-backspace' }
  | { type: 'prompt-submit' }
  | { type: 'prompt-cancel' }
  | { type: 'message'; text: string; error?: boolean }
  /** Incident mode: an op for the incident controller, or a key for its open form. */
  | { type: 'incident'; op: IncidentOp }
  | { type: 'incident-key'; name: string }
  /** Release mode: D (asks for the version), a key for the release panel's question, Esc on a finished run. */
  | { type: 'release-start' }
  | { type: 'release-key'; name: string }
  | { type: 'release-close' }
  | { type: 'open-input'; prompt: Extract<Prompt, { kind: 'input' }> };

export const initialShell: ShellState = {
  focus: 'containers',
  overlay: 'none',
  logs: { follow: true, anchor: 0, wrap: false, timestamps: false, source: 'all' },
  containers: { selected: 0 },
};

/** What the reducer needs to know of the data to move through it (passed in, so it stays pure). */
export interface ShellData {
  logSources: string[];
  /** The log view now: its size, how many rows were evicted, rows on screen. */
  logView: { size: number; offset: number; rows: number };
  containerCount: number;
}

export const NO_DATA: ShellData = { logSources: ['all'], logView: { size: 0, offset: 0, rows: 1 }, containerCount: 0 };

export function shellReducer(state: ShellState, intent: Intent, data: ShellData = NO_DATA): ShellState {
  const at = PANE_ORDER.indexOf(state.focus);
  const { size, offset, rows } = data.logView;
  // Where the top row is now, as a stable position, whether following or not.
  const topNow = state.logs.follow ? offset + Math.max(0, size - rows) : state.logs.anchor;
  const lastTop = offset + Math.max(0, size - rows);
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
      return state;
    case 'logs-follow':
      return state.logs.follow
        ? { ...state, logs: { ...state.logs, follow: false, anchor: topNow } }
        : { ...state, logs: { ...state.logs, follow: true } };
    case 'logs-scroll': {
      const next = topNow + intent.rows;
      // Scrolling down past the end resumes following, as `less +F` users expect.
      if (intent.rows > 0 && next >= lastTop) return { ...state, logs: { ...state.logs, follow: true } };
      return { ...state, logs: { ...state.logs, follow: false, anchor: Math.max(offset, Math.min(next, lastTop)) } };
    }
    case 'logs-top':
      return { ...state, logs: { ...state.logs, follow: false, anchor: offset } };
    case 'logs-bottom':
      return { ...state, logs: { ...state.logs, follow: true } };
    case 'logs-wrap':
      return { ...state, logs: { ...state.logs, wrap: !state.logs.wrap } };
    case 'logs-timestamps':
      return { ...state, logs: { ...state.logs, timestamps: !state.logs.timestamps } };
    case 'logs-next-source': {
      const i = data.logSources.indexOf(state.logs.source);
      const source = data.logSources[(i + 1) % data.logSources.length] ?? 'all';
      return { ...state, logs: { ...state.logs, source, follow: true } };
    }
    case 'logs-show':
      return { ...state, focus: 'logs', logs: { ...state.logs, source: intent.source, follow: true } };
    case 'open-filter':
      return { ...state, prompt: { kind: 'filter', text: '' }, message: undefined };
    case 'clear-filter':
      return state;
    case 'select': {
      const n = data.containerCount;
      const selected = n === 0 ? 0 : Math.max(0, Math.min(n - 1, state.containers.selected + intent.delta));
      return { ...state, containers: { selected } };
    }
    case 'show-container-logs':
    case 'restart-container':
      return state;
    case 'open-confirm':
    case 'open-menu':
    case 'open-input':
      return { ...state, prompt: intent.prompt, message: undefined };
    case 'open-faults':
      return state;
    case 'prompt-type':
      return state.prompt ? { ...state, prompt: { ...state.prompt, text: state.prompt.text + intent.text } } : state;
    case 'prompt-backspace':
      return state.prompt ? { ...state, prompt: { ...state.prompt, text: state.prompt.text.slice(0, -1) } } : state;
    case 'prompt-submit':
    case 'prompt-cancel':
      return { ...state, prompt: undefined };
    case 'message':
      return { ...state, message: { text: intent.text, error: Boolean(intent.error) } };
    case 'incident':
    case 'incident-key':
    case 'release-start':
    case 'release-key':
    case 'release-close':
      return state;
  }
}
