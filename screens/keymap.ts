import type { Key } from 'ink';
import { PANE_ORDER } from '../src/panes/pane-ids.js';
import type { Intent, ShellState } from './shell-state.js';

/** Actions a key can be bound to; `keys:` in the config remaps them by these names. */
export type Action = 'focus-next' | 'focus-prev' | 'focus-1' | 'focus-2' | 'focus-3' | 'focus-4' | 'help' | 'close' | 'quit';

export const DEFAULT_KEYS: Record<Action, string> = {
  'focus-next': 'tab',
  'focus-prev': 'shift-tab',
  'focus-1': '1',
  'focus-2': '2',
  'focus-3': '3',
  'focus-4': '4',
  help: '?',
  close: 'escape',
  quit: 'q',
};

interface Binding {
  action: Action;
  label: string;
  /** When the binding acts; the help overlay and the bottom bar list only these. */
  when: (s: ShellState) => boolean;
  intent: () => Intent;
}

const always = () => true;
const noOverlay = (s: ShellState) => s.overlay === 'none';

const BINDINGS: Binding[] = [
  { action: 'focus-next', label: 'next pane', when: noOverlay, intent: () => ({ type: 'focus-next' }) },
  { action: 'focus-prev', label: 'previous pane', when: noOverlay, intent: () => ({ type: 'focus-prev' }) },
  ...PANE_ORDER.map(
    (pane, i): Binding => ({
      action: `focus-${i + 1}` as Action,
      label: `${pane} pane`,
      when: noOverlay,
      intent: () => ({ type: 'focus', pane }),
    }),
  ),
  { action: 'help', label: 'help', when: always, intent: () => ({ type: 'toggle-help' }) },
  { action: 'close', label: 'close', when: (s) => s.overlay !== 'none', intent: () => ({ type: 'close-overlay' }) },
  { action: 'quit', label: 'quit', when: always, intent: () => ({ type: 'quit' }) },
];

export type KeyMap = Record<Action, string>;

/** Merges user remaps over the defaults; unknown action names and clashes are reported, not fatal. */
export function buildKeyMap(overrides: Record<string, string> = {}): { keys: KeyMap; problems: string[] } {
  const keys = { ...DEFAULT_KEYS };
  const problems: string[] = [];
  for (const [action, key] of Object.entries(overrides)) {
    if (!(action in keys)) {
      problems.push(`keys.${action}: unknown action; known: ${Object.keys(DEFAULT_KEYS).join(', ')}`);
      continue;
    }
    keys[action as Action] = key.toLowerCase();
  }
  const seen = new Map<string, Action>();
  for (const [action, key] of Object.entries(keys) as [Action, string][]) {
    const other = seen.get(key);
    if (other) problems.push(`keys: "${key}" is bound to both ${other} and ${action}`);
    seen.set(key, action);
  }
  return { keys, problems };
}

/** Names a keypress the way the key map writes it: `q`, `?`, `tab`, `shift-tab`, `ctrl-c`, `escape`. */
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
  if (key.ctrl && input) return `ctrl-${input.toLowerCase()}`;
  return input;
}

export function intentFor(name: string, state: ShellState, keys: KeyMap): Intent | undefined {
  // Ctrl-C always interrupts, whatever the map says: it is the way out that must never move.
  if (name === 'ctrl-c') return { type: 'interrupt' };
  for (const b of BINDINGS) {
    if (keys[b.action] === name && b.when(state)) return b.intent();
  }
  return undefined;
}

/** The keys that act in this state, for the bottom bar and the help overlay. */
export function activeKeys(state: ShellState, keys: KeyMap): { key: string; label: string }[] {
  const shown = BINDINGS.filter((b) => b.when(state));
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
  const names: Record<string, string> = { tab: 'Tab', 'shift-tab': 'S-Tab', escape: 'Esc', enter: 'Enter' };
  return names[k] ?? k;
}
