import type { Key } from 'ink';
import { PANE_ORDER } from '../src/panes/pane-ids.js';
import type { Intent, ShellState } from './shell-state.js';

/** Actions a key can be bound to; `keys:` in the config remaps them by these names. */
export const DEFAULT_KEYS = {
  'focus-next': 'tab',
  'focus-prev': 'shift-tab',
  'focus-1': '1',
  'focus-2': '2',
  'focus-3': '3',
  'focus-4': '4',
  help: '?',
  close: 'escape',
  quit: 'q',
  down: 'j',
  up: 'k',
  'page-down': 'pagedown',
  'page-up': 'pageup',
  top: 'g',
  bottom: 'G',
  follow: 'f',
  filter: '/',
  wrap: 'w',
  timestamps: 't',
  source: 's',
  open: 'enter',
  restart: 'r',
} as const;

export type Action = keyof typeof DEFAULT_KEYS;
export type KeyMap = Record<Action, string>;

/** Facts about the moment that decide which keys act. */
export interface KeyContext {
  readonly: boolean;
  filterActive: boolean;
  /** Rows of the log pane, for page up / down. */
  logRows: number;
}

interface Binding {
  action: Action;
  label: string;
  /** When the binding acts; the help overlay and the bottom bar list only these. */
  when: (s: ShellState, c: KeyContext) => boolean;
  intent: (c: KeyContext) => Intent;
  /** Arrow keys that do the same, not remappable and not listed. */
  alias?: string[];
}

const always = () => true;
const free = (s: ShellState) => s.overlay === 'none' && !s.prompt;
const on = (pane: ShellState['focus']) => (s: ShellState) => free(s) && s.focus === pane;

const BINDINGS: Binding[] = [
  { action: 'focus-next', label: 'next pane', when: free, intent: () => ({ type: 'focus-next' }) },
  { action: 'focus-prev', label: 'previous pane', when: free, intent: () => ({ type: 'focus-prev' }) },
  ...PANE_ORDER.map(
    (pane, i): Binding => ({
      action: `focus-${i + 1}` as Action,
      label: `${pane} pane`,
      when: free,
      intent: () => ({ type: 'focus', pane }),
    }),
  ),
  // Containers pane.
  { action: 'down', label: 'select next', when: on('containers'), intent: () => ({ type: 'select', delta: 1 }), alias: ['down'] },
  { action: 'up', label: 'select previous', when: on('containers'), intent: () => ({ type: 'select', delta: -1 }), alias: ['up'] },
  { action: 'open', label: 'show its logs', when: on('containers'), intent: () => ({ type: 'show-container-logs' }) },
  { action: 'restart', label: 'restart (asks first)', when: (s, c) => on('containers')(s) && !c.readonly, intent: () => ({ type: 'restart-container' }) },
  // Logs pane.
  { action: 'follow', label: 'follow / pause', when: on('logs'), intent: () => ({ type: 'logs-follow' }) },
  { action: 'down', label: 'scroll down', when: on('logs'), intent: () => ({ type: 'logs-scroll', rows: 1 }), alias: ['down'] },
  { action: 'up', label: 'scroll up', when: on('logs'), intent: () => ({ type: 'logs-scroll', rows: -1 }), alias: ['up'] },
  { action: 'page-down', label: 'page down', when: on('logs'), intent: (c) => ({ type: 'logs-scroll', rows: Math.max(1, c.logRows - 1) }) },
  { action: 'page-up', label: 'page up', when: on('logs'), intent: (c) => ({ type: 'logs-scroll', rows: -Math.max(1, c.logRows - 1) }) },
  { action: 'top', label: 'oldest', when: on('logs'), intent: () => ({ type: 'logs-top' }) },
  { action: 'bottom', label: 'newest (follow)', when: on('logs'), intent: () => ({ type: 'logs-bottom' }) },
  { action: 'filter', label: 'filter (text or /regex/)', when: on('logs'), intent: () => ({ type: 'open-filter' }) },
  { action: 'wrap', label: 'wrap long lines', when: on('logs'), intent: () => ({ type: 'logs-wrap' }) },
  { action: 'timestamps', label: 'timestamps', when: on('logs'), intent: () => ({ type: 'logs-timestamps' }) },
  { action: 'source', label: 'next log source', when: on('logs'), intent: () => ({ type: 'logs-next-source' }) },
  { action: 'close', label: 'clear filter', when: (s, c) => on('logs')(s) && c.filterActive, intent: () => ({ type: 'clear-filter' }) },
  // Everywhere.
  { action: 'help', label: 'help', when: (s) => !s.prompt, intent: () => ({ type: 'toggle-help' }) },
  { action: 'close', label: 'close', when: (s) => s.overlay !== 'none' && !s.prompt, intent: () => ({ type: 'close-overlay' }) },
  { action: 'quit', label: 'quit', when: (s) => !s.prompt, intent: () => ({ type: 'quit' }) },
];

/** Merges user remaps over the defaults; unknown action names and clashes are reported, not fatal. */
export function buildKeyMap(overrides: Record<string, string> = {}): { keys: KeyMap; problems: string[] } {
  const keys: KeyMap = { ...DEFAULT_KEYS };
  const problems: string[] = [];
  for (const [action, key] of Object.entries(overrides)) {
    if (!(action in keys)) {
      problems.push(`keys.${action}: unknown action; known: ${Object.keys(DEFAULT_KEYS).join(', ')}`);
      continue;
    }
    keys[action as Action] = key.length === 1 ? key : key.toLowerCase();
  }
  // Two actions may share a key only if they never act at the same time (e.g. j in two panes).
  const probe: ShellState[] = PANE_ORDER.map((focus) => ({ focus, overlay: 'none', logs: { follow: true, anchor: 0, wrap: false, timestamps: false, source: 'all' }, containers: { selected: 0 } }));
  const ctx: KeyContext = { readonly: false, filterActive: true, logRows: 10 };
  for (const s of [...probe, { ...probe[0]!, overlay: 'help' as const }]) {
    const seen = new Map<string, Action>();
    for (const b of BINDINGS) {
      if (!b.when(s, ctx)) continue;
      const other = seen.get(keys[b.action]);
      if (other && other !== b.action) {
        const msg = `keys: "${keys[b.action]}" is bound to both ${other} and ${b.action}`;
        if (!problems.includes(msg)) problems.push(msg);
      }
      seen.set(keys[b.action], b.action);
    }
  }
  return { keys, problems };
}

/** Names a keypress the way the key map writes it: `q`, `G`, `?`, `tab`, `shift-tab`, `ctrl-c`, `escape`. */
export function keyName(input: string, key: Key): string {
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.escape) return 'escape';
  if (key.return) return 'enter';
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  if (key.backspace || key.delete) return 'backspace';
  if (key.ctrl && input) return `ctrl-${input.toLowerCase()}`;
  return input;
}

export function intentFor(name: string, state: ShellState, keys: KeyMap, ctx: KeyContext = { readonly: false, filterActive: false, logRows: 10 }): Intent | undefined {
  // Ctrl-C always interrupts, whatever the map says: it is the way out that must never move.
  if (name === 'ctrl-c') return { type: 'interrupt' };
  if (state.prompt) {
    if (name === 'enter') return { type: 'prompt-submit' };
    if (name === 'escape') return { type: 'prompt-cancel' };
    if (name === 'backspace') return { type: 'prompt-backspace' };
    // Printable text only (a paste may bring several characters at once).
    if (name.length > 0 && !/[\x00-\x1f\x7f]/.test(name) && !['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'tab', 'shift-tab'].includes(name)) {
      return { type: 'prompt-type', text: name };
    }
    return undefined;
  }
  for (const b of BINDINGS) {
    if ((keys[b.action] === name || b.alias?.includes(name)) && b.when(state, ctx)) return b.intent(ctx);
  }
  return undefined;
}

/** The keys that act in this state, for the bottom bar and the help overlay. */
export function activeKeys(state: ShellState, keys: KeyMap, ctx: KeyContext = { readonly: false, filterActive: false, logRows: 10 }): { key: string; label: string }[] {
  if (state.prompt) {
    return [
      { key: 'Enter', label: state.prompt.kind === 'filter' ? 'apply' : 'confirm' },
      { key: 'Esc', label: 'cancel' },
      { key: 'Ctrl-C', label: 'interrupt' },
    ];
  }
  const shown = BINDINGS.filter((b) => b.when(state, ctx));
  const out: { key: string; label: string }[] = [];
  const focus = shown.filter((b) => b.action.startsWith('focus-') && /^\d$/.test(keys[b.action]));
  for (const b of shown) {
    if (focus.includes(b) && focus.length === 4) {
      if (b === focus[0]) out.push({ key: `${keys['focus-1']}-${keys['focus-4']}`, label: 'jump to pane' });
      continue;
    }
    out.push({ key: displayKey(keys[b.action]), label: b.label });
  }
  out.push({ key: 'Ctrl-C', label: 'interrupt' });
  return out;
}

export function displayKey(k: string): string {
  const names: Record<string, string> = { tab: 'Tab', 'shift-tab': 'S-Tab', escape: 'Esc', enter: 'Enter', pagedown: 'PgDn', pageup: 'PgUp' };
  return names[k] ?? k;
}

/**
 * The bottom bar's shorter list: what the focused pane does first, then the few ways around.
 * Everything else is one `?` away.
 */
export function bottomKeys(state: ShellState, keys: KeyMap, ctx: KeyContext): { key: string; label: string }[] {
  if (state.prompt || state.overlay !== 'none') return activeKeys(state, keys, ctx);
  const acting = new Set(BINDINGS.filter((b) => b.when(state, ctx)).map((b) => b.action));
  const pane: { key: string; label: string }[] = [];
  if (acting.has('down') && acting.has('up')) {
    pane.push({ key: `${displayKey(keys.down)}/${displayKey(keys.up)}`, label: state.focus === 'logs' ? 'scroll' : 'select' });
  }
  const short: Partial<Record<Action, string>> = { open: 'logs', restart: 'restart', follow: 'follow', filter: 'filter', source: 'source', close: 'clear filter' };
  for (const [action, label] of Object.entries(short) as [Action, string][]) {
    if (acting.has(action) && !(action === 'close' && state.focus !== 'logs')) pane.push({ key: displayKey(keys[action]), label });
  }
  return [
    ...pane,
    { key: displayKey(keys['focus-next']), label: 'next pane' },
    { key: displayKey(keys.help), label: 'help' },
    { key: displayKey(keys.quit), label: 'quit' },
  ];
}
