import type { Key } from 'ink';
import { PANE_ORDER } from '../src/panes/pane-ids.js';
import { INCIDENT_PANELS, type IncidentKeyState } from './incident/keys.js';
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
  timestamps: 'T',
  source: 's',
  open: 'enter',
  restart: 'r',
  // Incident mode.
  declare: 'i',
  note: 'n',
  'next-phase': 'p',
  'set-phase': 'P',
  severity: 'S',
  'hand-over': 'H',
  update: 'u',
  runbooks: 'b',
  timeline: 't',
  resolve: 'R',
  postmortem: 'M',
  'step-done': 'space',
  'step-skip': 's',
  'step-run': 'x',
  'step-stop': 'X',
  'take-lead': 'L',
  copy: 'c',
  edit: 'e',
  override: 'o',
  retry: 'r',
  // The demo.
  faults: 'F',
  // Release mode.
  release: 'D',
} as const;

export type Action = keyof typeof DEFAULT_KEYS;
export type KeyMap = Record<Action, string>;

/** Facts about the moment that decide which keys act. */
export interface KeyContext {
  readonly: boolean;
  filterActive: boolean;
  /** Rows of the log pane, for page up / down. */
  logRows: number;
  /** Incident mode, when this console has it (a journal folder); absent, its keys never act. */
  incident?: IncidentKeyState;
  /** `hubops demo`: the fault menu is there. */
  demo?: boolean;
  /** Release mode, when this console can release; absent, its keys never act. */
  release?: ReleaseKeyState;
}

/** What the key map needs to know of the release panel. */
export interface ReleaseKeyState {
  /** D acts: the environment has a release section, not --readonly, no release running. */
  canStart: boolean;
  /** The keys of the pending question (or Esc on the take-over notice), for the bottom bar and help. */
  keys: { key: string; label: string }[];
  /** Whether the release panel takes this key now. */
  takes: (name: string) => boolean;
  /** A finished run's panel is shown: Esc closes it. */
  closable: boolean;
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

/** Nothing over the panes: no overlay, no prompt, no incident panel or form. */
const free = (s: ShellState, c: KeyContext) => s.overlay === 'none' && !s.prompt && (!c.incident || (c.incident.panel === 'none' && !c.incident.form));
const on = (pane: ShellState['focus']) => (s: ShellState, c: KeyContext) => free(s, c) && s.focus === pane;
/** Incident keys act over the panes and over an incident panel, not under help or a prompt. */
const incidentFree = (s: ShellState, c: KeyContext) => s.overlay === 'none' && !s.prompt && Boolean(c.incident) && !c.incident!.form;
const incidentOpen = (s: ShellState, c: KeyContext) => incidentFree(s, c) && c.incident!.status === 'open';
const canRecord = (s: ShellState, c: KeyContext) => incidentOpen(s, c) && c.incident!.writable;
const panel = (...kinds: IncidentKeyState['panel'][]) => (s: ShellState, c: KeyContext) => incidentFree(s, c) && kinds.includes(c.incident!.panel);
const inc = (op: Extract<Intent, { type: 'incident' }>['op']) => (): Intent => ({ type: 'incident', op });

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
  { action: 'faults', label: 'inject a fault (demo)', when: (s, c) => free(s, c) && c.demo === true && !c.readonly, intent: () => ({ type: 'open-faults' }) },
  { action: 'restart', label: 'restart (asks first)', when: (s, c) => on('containers')(s, c) && !c.readonly, intent: () => ({ type: 'restart-container' }) },
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
  { action: 'close', label: 'clear filter', when: (s, c) => on('logs')(s, c) && c.filterActive, intent: () => ({ type: 'clear-filter' }) },
  // Incident mode: declaring and recording (off under --readonly and when watching another session).
  { action: 'declare', label: 'declare an incident', when: (s, c) => incidentFree(s, c) && c.incident!.status !== 'open' && c.incident!.writable, intent: inc('declare') },
  { action: 'note', label: 'note on the timeline', when: canRecord, intent: inc('note') },
  { action: 'update', label: 'status update', when: canRecord, intent: inc('update') },
  { action: 'runbooks', label: 'runbooks', when: incidentOpen, intent: inc('runbooks') },
  { action: 'timeline', label: 'timeline', when: (s, c) => incidentFree(s, c) && c.incident!.status !== 'none', intent: inc('timeline') },
  { action: 'next-phase', label: 'next phase', when: canRecord, intent: inc('next-phase') },
  { action: 'set-phase', label: 'set the phase', when: canRecord, intent: inc('set-phase') },
  { action: 'severity', label: 'change severity', when: canRecord, intent: inc('severity') },
  { action: 'hand-over', label: 'hand a role over', when: canRecord, intent: inc('hand-over') },
  { action: 'resolve', label: 'resolve (verify gate first)', when: canRecord, intent: inc('resolve') },
  { action: 'take-lead', label: 'lead this incident (its console stopped)', when: (s, c) => incidentOpen(s, c) && c.incident!.leaderless, intent: inc('take-lead') },
  { action: 'postmortem', label: 'write the post-mortem', when: (s, c) => incidentFree(s, c) && c.incident!.status === 'resolved' && c.incident!.writable, intent: inc('postmortem') },
  // Incident panels.
  { action: 'down', label: 'next', when: panel('picker', 'runbook', 'timeline'), intent: inc('down'), alias: ['down'] },
  { action: 'up', label: 'previous', when: panel('picker', 'runbook', 'timeline'), intent: inc('up'), alias: ['up'] },
  { action: 'open', label: 'open the runbook', when: panel('picker'), intent: inc('open') },
  { action: 'step-done', label: 'step done', when: (s, c) => panel('runbook')(s, c) && c.incident!.writable, intent: inc('step-done') },
  { action: 'step-skip', label: 'skip the step (with a reason)', when: (s, c) => panel('runbook')(s, c) && c.incident!.writable, intent: inc('step-skip') },
  { action: 'step-run', label: "run the step's command (asks first)", when: (s, c) => panel('runbook')(s, c) && c.incident!.writable, intent: inc('step-run') },
  { action: 'step-run', label: 'run: off (read-only)', when: (s, c) => panel('runbook')(s, c) && !c.incident!.writable, intent: inc('step-run-refused') },
  { action: 'step-stop', label: 'stop the running step', when: (s, c) => incidentFree(s, c) && c.incident!.stepRunning, intent: inc('step-stop') },
  { action: 'open', label: 'send', when: (s, c) => panel('compose')(s, c) && c.incident!.composeReady, intent: inc('send') },
  { action: 'copy', label: 'copy only (you paste it)', when: (s, c) => panel('compose')(s, c) && c.incident!.composeReady, intent: inc('copy') },
  { action: 'edit', label: 'edit', when: (s, c) => panel('compose')(s, c) && c.incident!.composeReady, intent: inc('edit') },
  { action: 'override', label: 'override (with a reason)', when: (s, c) => panel('gate')(s, c) && c.incident!.gateRed, intent: inc('override') },
  { action: 'retry', label: 'probe again', when: (s, c) => panel('gate')(s, c) && c.incident!.gateRed, intent: inc('retry') },
  // Release mode.
  { action: 'release', label: 'deploy / release', when: (s, c) => s.overlay === 'none' && !s.prompt && !c.incident?.form && Boolean(c.release?.canStart), intent: () => ({ type: 'release-start' }) },
  { action: 'close', label: 'close the release panel', when: (s, c) => s.overlay === 'none' && !s.prompt && Boolean(c.release?.closable), intent: () => ({ type: 'release-close' }) },
  { action: 'close', label: 'close', when: (s, c) => incidentFree(s, c) && c.incident!.panel !== 'none', intent: inc('close') },
  // Everywhere.
  { action: 'help', label: 'help', when: (s, c) => !s.prompt && !c.incident?.form, intent: () => ({ type: 'toggle-help' }) },
  { action: 'close', label: 'close', when: (s) => s.overlay !== 'none' && !s.prompt, intent: () => ({ type: 'close-overlay' }) },
  { action: 'quit', label: 'quit', when: (s, c) => !s.prompt && !c.incident?.form, intent: () => ({ type: 'quit' }) },
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
  const base: KeyContext = { readonly: false, filterActive: true, logRows: 10 };
  const contexts: KeyContext[] = [base];
  for (const status of ['none', 'open', 'resolved'] as const) {
    for (const writable of [true, false]) {
      for (const p of INCIDENT_PANELS) contexts.push({ ...base, incident: { status, writable, panel: p, form: false, composeReady: true, gateRed: true, stepRunning: true, leaderless: !writable } });
    }
  }
  contexts.push({ ...base, release: { canStart: true, keys: [], takes: () => false, closable: true } });
  for (const ctx of contexts) {
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
  if (input === ' ') return 'space';
  return input;
}

export function intentFor(name: string, state: ShellState, keys: KeyMap, ctx: KeyContext = { readonly: false, filterActive: false, logRows: 10 }): Intent | undefined {
  // Ctrl-C always interrupts, whatever the map says: it is the way out that must never move.
  if (name === 'ctrl-c') return { type: 'interrupt' };
  // A release question (a gate, the rollback countdown) comes first: it blocks the release.
  if (!state.prompt && state.overlay === 'none' && ctx.release?.takes(name)) return { type: 'release-key', name };
  // An incident form takes every key (typing, moving between fields, Enter, Esc).
  if (ctx.incident?.form && !state.prompt) return { type: 'incident-key', name };
  if (state.prompt) {
    if (name === 'space') return { type: 'prompt-type', text: ' ' };
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
  if (state.prompt?.kind === 'menu') return [...state.prompt.options.map((o) => ({ key: o.key, label: o.label })), { key: 'Esc', label: 'close' }];
  if (state.prompt) {
    return [
      { key: 'Enter', label: state.prompt.kind === 'filter' ? 'apply' : 'confirm' },
      { key: 'Esc', label: 'cancel' },
      { key: 'Ctrl-C', label: 'interrupt' },
    ];
  }
  if (ctx.incident?.form) {
    return [
      { key: 'Enter', label: 'next field / submit' },
      { key: 'Tab', label: 'next field' },
      { key: 'S-Tab', label: 'previous field' },
      { key: 'Esc', label: 'cancel' },
      { key: 'Ctrl-C', label: 'interrupt' },
    ];
  }
  const shown = BINDINGS.filter((b) => b.when(state, ctx));
  const out: { key: string; label: string }[] = [...(ctx.release?.keys ?? [])];
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
  const names: Record<string, string> = { tab: 'Tab', 'shift-tab': 'S-Tab', escape: 'Esc', enter: 'Enter', pagedown: 'PgDn', pageup: 'PgUp', space: 'Space' };
  return names[k] ?? k;
}

/**
 * The bottom bar's shorter list: what the focused pane (or the incident panel) does first, then
 * the few ways around. Everything else is one `?` away.
 */
export function bottomKeys(state: ShellState, keys: KeyMap, ctx: KeyContext): { key: string; label: string }[] {
  if (state.prompt || state.overlay !== 'none' || ctx.incident?.form) return activeKeys(state, keys, ctx);
  const acting = BINDINGS.filter((b) => b.when(state, ctx));
  const has = (a: Action) => acting.some((b) => b.action === a);
  const tail = [
    { key: displayKey(keys.help), label: 'help' },
    { key: displayKey(keys.quit), label: 'quit' },
  ];
  if (ctx.release?.keys.length) return [...ctx.release.keys, ...tail];
  const inc = ctx.incident;
  if (ctx.release?.closable) tail.unshift({ key: displayKey(keys.close), label: 'close release' });
  if (ctx.release?.canStart) tail.unshift({ key: displayKey(keys.release), label: 'release' });
  if (inc && inc.panel !== 'none') {
    const out: { key: string; label: string }[] = [];
    if (has('down') && has('up')) out.push({ key: `${displayKey(keys.down)}/${displayKey(keys.up)}`, label: inc.panel === 'timeline' ? 'scroll' : 'select' });
    const short: Partial<Record<Action, string>> = { open: inc.panel === 'compose' ? 'send' : 'open', 'step-done': 'done', 'step-skip': 'skip', 'step-run': 'run', copy: 'copy', edit: 'edit', override: 'override', retry: 'retry', close: 'close' };
    for (const b of acting) {
      const label = b.action === 'step-run' && !inc.writable ? 'run: off (read-only)' : short[b.action];
      if (label && !out.some((o) => o.label === label)) out.push({ key: displayKey(keys[b.action]), label });
    }
    return [...out, ...tail];
  }
  const pane: { key: string; label: string }[] = [];
  if (has('down') && has('up')) {
    pane.push({ key: `${displayKey(keys.down)}/${displayKey(keys.up)}`, label: state.focus === 'logs' ? 'scroll' : 'select' });
  }
  const short: Partial<Record<Action, string>> = { open: 'logs', restart: 'restart', follow: 'follow', filter: 'filter', source: 'source', close: 'clear filter' };
  for (const [action, label] of Object.entries(short) as [Action, string][]) {
    if (has(action) && !(action === 'close' && state.focus !== 'logs')) pane.push({ key: displayKey(keys[action]), label });
  }
  const incidentShort: Partial<Record<Action, string>> = { note: 'note', update: 'update', runbooks: 'runbooks', timeline: 'timeline', 'next-phase': 'phase', resolve: 'resolve', postmortem: 'post-mortem', declare: 'declare' };
  const incident = (Object.entries(incidentShort) as [Action, string][]).filter(([a]) => has(a)).map(([a, label]) => ({ key: displayKey(keys[a]), label }));
  const next = { key: displayKey(keys['focus-next']), label: 'next pane' };
  // While an incident is open its keys come first: they are what the person is here for.
  if (inc?.status === 'open') return [...incident, ...pane, next, ...tail];
  return [...pane, next, ...incident, ...tail];
}
