/**
 * The incident UI's own state, pure: which panel is open beside the live panes (timeline, runbook
 * picker, runbook view, a message being composed, the verify gate) and the form being filled in
 * (declare, note, skip reason, confirm…). Keys go in, state comes out; the controller does the I/O.
 */
import { suggestSeverity } from '../../src/incident/clock.js';
import type { CommsKind } from '../../src/incident/comms.js';
import { PHASES, ROLES, type Phase, type Sev } from '../../src/incident/events.js';
import type { VerifyCheck } from '../../src/incident/verify.js';

export interface FieldOption {
  value: string;
  label: string;
  /** A description shown beside the option (e.g. what SEV1 means). */
  hint?: string;
}

export type FormField =
  | { kind: 'text'; key: string; label: string; value: string; required?: boolean; placeholder?: string }
  /** One of the options; ←/→ or space cycle, a digit picks. */
  | { kind: 'choice'; key: string; label: string; value: string; options: FieldOption[] }
  /**
   * Severity marks: a digit (or space on the highlighted one) marks an option as possible; the
   * value is the higher severity of those marked (when unsure between two, the higher).
   */
  | { kind: 'marks'; key: string; label: string; value: string; options: FieldOption[]; marked: string[]; cursor: number };

export type FormKind = 'declare' | 'note' | 'skip' | 'severity' | 'hand-over' | 'phase' | 'edit-message' | 'override' | 'confirm-run' | 'confirm-quit' | 'cut-off';

export interface Form {
  kind: FormKind;
  title: string;
  /** Lines shown above the fields: the command to run and where, what quitting means. */
  body?: string[];
  fields: FormField[];
  focus: number;
  error?: string;
  /** What Enter on the last field does, for the hint line. */
  submitLabel: string;
  /** Context the submit needs. */
  ref?: { runbook?: string; step?: string; message?: CommsKind; typeToConfirm?: string; mark?: string };
}

export type Panel =
  | { kind: 'none' }
  /** `scroll` null follows the newest entry. */
  | { kind: 'timeline'; scroll: number | null }
  | { kind: 'picker'; selected: number }
  | { kind: 'runbook'; id: string; selected: number }
  | {
      kind: 'compose';
      message: CommsKind;
      /** Every field of the message (computed ones refreshed on each render). */
      fields: Record<string, string>;
      /** The rendered text (undefined while rendering, or when it cannot be: see error). */
      text?: string;
      error?: string;
      sending: boolean;
      /** Set once a send went through (kept on screen until closed). */
      sent?: string;
    }
  | { kind: 'gate'; status: 'probing' | 'red'; checks: VerifyCheck[]; why?: string };

export interface IncidentUi {
  panel: Panel;
  /** Where Esc goes back to from the panel (one level). */
  back?: Panel;
  form?: Form;
}

export const initialIncidentUi: IncidentUi = { panel: { kind: 'none' } };

export type UiAction =
  | { type: 'open-panel'; panel: Panel; keepBack?: boolean }
  | { type: 'update-panel'; panel: Panel }
  | { type: 'close-panel' }
  | { type: 'move'; delta: number; count: number }
  | { type: 'open-form'; form: Form }
  | { type: 'form-key'; name: string }
  | { type: 'form-error'; error: string }
  | { type: 'close-form' };

/** What a key did to a form: the submit and cancel are for the controller to act on. */
export type FormOutcome = 'none' | 'submit' | 'cancel';

export function uiReducer(ui: IncidentUi, a: UiAction): IncidentUi {
  switch (a.type) {
    case 'open-panel': {
      const same = ui.panel.kind === a.panel.kind;
      const back = a.keepBack ? ui.back : same ? ui.back : ui.panel.kind === 'none' ? undefined : ui.panel;
      return { ...ui, panel: a.panel, back };
    }
    case 'update-panel':
      return ui.panel.kind === a.panel.kind ? { ...ui, panel: a.panel } : ui;
    case 'close-panel':
      return { ...ui, panel: ui.back ?? { kind: 'none' }, back: undefined };
    case 'move': {
      const p = ui.panel;
      const clamp = (n: number) => Math.max(0, Math.min(Math.max(0, a.count - 1), n));
      if (p.kind === 'picker' || p.kind === 'runbook') return { ...ui, panel: { ...p, selected: clamp(p.selected + a.delta) } };
      if (p.kind === 'timeline') {
        const from = p.scroll ?? Math.max(0, a.count - 1);
        const next = clamp(from + a.delta);
        return { ...ui, panel: { ...p, scroll: a.delta > 0 && next >= a.count - 1 ? null : next } };
      }
      return ui;
    }
    case 'open-form':
      return { ...ui, form: a.form };
    case 'form-key':
      return ui.form ? { ...ui, form: formKey(ui.form, a.name).form } : ui;
    case 'form-error':
      return ui.form ? { ...ui, form: { ...ui.form, error: a.error } } : ui;
    case 'close-form':
      return { ...ui, form: undefined };
  }
}

const isPrintable = (name: string) => name === 'space' || (name.length > 0 && !/[\x00-\x1f\x7f]/.test(name) && !NAMED_KEYS.has(name));
const NAMED_KEYS = new Set(['up', 'down', 'left', 'right', 'pageup', 'pagedown', 'tab', 'shift-tab', 'enter', 'escape', 'backspace']);

/** One key in a form. Pure: the same key on the same form always gives the same result. */
export function formKey(form: Form, name: string): { form: Form; outcome: FormOutcome } {
  const field = form.fields[form.focus];
  const set = (f: FormField): Form => ({ ...form, error: undefined, fields: form.fields.map((x, i) => (i === form.focus ? f : x)) });
  const move = (d: number): Form => ({ ...form, focus: Math.max(0, Math.min(form.fields.length - 1, form.focus + d)) });
  if (name === 'escape') return { form, outcome: 'cancel' };
  if (name === 'tab' || name === 'down') return { form: move(1), outcome: 'none' };
  if (name === 'shift-tab' || name === 'up') return { form: move(-1), outcome: 'none' };
  if (name === 'enter') {
    if (form.focus < form.fields.length - 1) return { form: move(1), outcome: 'none' };
    const problem = validateForm(form);
    if (problem) return { form: { ...form, error: problem.error, focus: problem.focus }, outcome: 'none' };
    return { form, outcome: 'submit' };
  }
  if (!field) return { form, outcome: 'none' };
  switch (field.kind) {
    case 'text':
      if (name === 'backspace') return { form: set({ ...field, value: field.value.slice(0, -1) }), outcome: 'none' };
      // Ctrl-U clears the field, as in a shell: pre-filled text is often replaced whole.
      if (name === 'ctrl-u') return { form: set({ ...field, value: '' }), outcome: 'none' };
      if (isPrintable(name)) return { form: set({ ...field, value: field.value + (name === 'space' ? ' ' : name) }), outcome: 'none' };
      return { form, outcome: 'none' };
    case 'choice': {
      const i = field.options.findIndex((o) => o.value === field.value);
      const n = field.options.length;
      if (name === 'right' || name === 'space') return { form: set({ ...field, value: field.options[(i + 1) % n]!.value }), outcome: 'none' };
      if (name === 'left') return { form: set({ ...field, value: field.options[(i + n - 1) % n]!.value }), outcome: 'none' };
      if (/^[1-9]$/.test(name) && Number(name) <= n) return { form: set({ ...field, value: field.options[Number(name) - 1]!.value }), outcome: 'none' };
      return { form, outcome: 'none' };
    }
    case 'marks': {
      const n = field.options.length;
      let { cursor, marked } = field;
      if (name === 'right') cursor = (cursor + 1) % n;
      else if (name === 'left') cursor = (cursor + n - 1) % n;
      else if (name === 'space' || (/^[1-9]$/.test(name) && Number(name) <= n)) {
        const at = name === 'space' ? cursor : Number(name) - 1;
        const v = field.options[at]!.value;
        cursor = at;
        marked = marked.includes(v) ? marked.filter((m) => m !== v) : [...marked, v];
      } else return { form, outcome: 'none' };
      const value = marked.length === 0 ? '' : String(suggestSeverity(marked.map(Number) as Sev[]));
      return { form: set({ ...field, cursor, marked, value }), outcome: 'none' };
    }
  }
}

function validateForm(form: Form): { error: string; focus: number } | undefined {
  for (let i = 0; i < form.fields.length; i++) {
    const f = form.fields[i]!;
    if (f.kind === 'text' && f.required && f.value.trim() === '') return { error: `${f.label} is needed`, focus: i };
    if (f.kind === 'marks' && f.value === '') return { error: `mark at least one ${f.label.toLowerCase()}`, focus: i };
  }
  return undefined;
}

/** The value of a field by key ('' when absent). */
export function fieldValue(form: Form, key: string): string {
  return form.fields.find((f) => f.key === key)?.value.trim() ?? '';
}

// The forms, built here so their wording and fields are tested without a screen.

export const DEFAULT_SEVERITY_TEXT: Record<Sev, string> = {
  1: 'service down, or data loss in progress',
  2: 'major degradation, part of the service unavailable',
  3: 'isolated bug, a workaround exists',
};

function sevOptions(descriptions: Record<Sev, string>, respond: Record<Sev, string>): FieldOption[] {
  return ([1, 2, 3] as const).map((s) => ({ value: String(s), label: `SEV${s}`, hint: `${descriptions[s]} (respond < ${respond[s]})` }));
}

export function declareForm(opts: { descriptions: Record<Sev, string>; respond: Record<Sev, string>; service?: string }): Form {
  return {
    kind: 'declare',
    title: 'Declare an incident',
    fields: [
      { kind: 'marks', key: 'sev', label: 'Severity', value: '', options: sevOptions(opts.descriptions, opts.respond), marked: [], cursor: 0 },
      { kind: 'text', key: 'title', label: 'Title', value: '', required: true, placeholder: 'what is broken, in a few words' },
      { kind: 'text', key: 'symptom', label: 'Symptom', value: '', placeholder: 'what users or monitors see' },
      { kind: 'text', key: 'service', label: 'Service', value: opts.service ?? '', placeholder: 'the affected service' },
    ],
    focus: 0,
    submitLabel: 'declare',
  };
}

export function noteForm(): Form {
  return { kind: 'note', title: 'Add a note to the timeline', fields: [{ kind: 'text', key: 'text', label: 'Note', value: '', required: true }], focus: 0, submitLabel: 'record' };
}

export function skipForm(runbook: string, step: string, text: string): Form {
  return {
    kind: 'skip',
    title: `Skip: ${text}`,
    fields: [{ kind: 'text', key: 'reason', label: 'Reason', value: '', required: true, placeholder: 'why this step is skipped' }],
    focus: 0,
    submitLabel: 'skip the step',
    ref: { runbook, step },
  };
}

export function severityForm(current: Sev, opts: { descriptions: Record<Sev, string>; respond: Record<Sev, string> }): Form {
  return {
    kind: 'severity',
    title: `Change the severity (now SEV${current})`,
    fields: [
      { kind: 'choice', key: 'sev', label: 'Severity', value: String(current), options: sevOptions(opts.descriptions, opts.respond) },
      { kind: 'text', key: 'reason', label: 'Reason', value: '', required: true, placeholder: 'why the severity changes' },
    ],
    focus: 0,
    submitLabel: 'change',
  };
}

export function handOverForm(roles: Partial<Record<string, string>>, me: string): Form {
  return {
    kind: 'hand-over',
    title: 'Hand a role over',
    body: ROLES.map((r) => `${r}: ${roles[r] ?? '(nobody)'}`),
    fields: [
      { kind: 'choice', key: 'role', label: 'Role', value: 'commander', options: ROLES.map((r) => ({ value: r, label: r })) },
      { kind: 'text', key: 'who', label: 'To', value: '', required: true, placeholder: `user@host, e.g. ${me}` },
    ],
    focus: 0,
    submitLabel: 'hand over',
  };
}

export function phaseForm(current: Phase): Form {
  return {
    kind: 'phase',
    title: `Set the phase (now ${current})`,
    fields: [{ kind: 'choice', key: 'phase', label: 'Phase', value: current, options: PHASES.map((p) => ({ value: p, label: p })) }],
    focus: 0,
    submitLabel: 'set',
  };
}

/** The free-text fields of a message, pre-filled; the computed ones are not editable. */
export function editMessageForm(message: CommsKind, editable: readonly string[], fields: Record<string, string>): Form {
  const labels: Record<string, string> = { symptom: 'Symptom', investigating: 'Where we are', eta: 'ETA', root_cause: 'Root cause', impact_users: 'Impact (users)', data_loss: 'Data loss' };
  return {
    kind: 'edit-message',
    title: message === 'update' ? 'Edit the status update' : 'Edit the resolved message',
    fields: editable.map((k) => ({ kind: 'text' as const, key: k, label: labels[k] ?? k, value: fields[k] ?? '', required: true })),
    // Straight to the first field still to fill (the first update's "where we are").
    focus: Math.max(0, editable.findIndex((k) => (fields[k] ?? '').trim() === '')),
    submitLabel: 'preview',
    ref: { message },
  };
}

export function overrideForm(failing: string): Form {
  return {
    kind: 'override',
    title: 'Resolve although the verify gate is not green',
    body: [failing],
    fields: [{ kind: 'text', key: 'reason', label: 'Reason', value: '', required: true, placeholder: 'why it is resolved anyway (recorded)' }],
    focus: 0,
    submitLabel: 'override',
  };
}

export function confirmRunForm(opts: { runbook: string; step: string; text: string; lines: string[]; typeToConfirm?: string }): Form {
  return {
    kind: 'confirm-run',
    title: `Run: ${opts.text}`,
    body: opts.lines,
    fields: [{ kind: 'text', key: 'answer', label: opts.typeToConfirm ? `Type ${opts.typeToConfirm} to run` : 'y to run', value: '' }],
    focus: 0,
    submitLabel: 'run',
    ref: { runbook: opts.runbook, step: opts.step, typeToConfirm: opts.typeToConfirm },
  };
}

/**
 * A step its console died under may still be running on the target: stop what is left of it, or
 * leave it running. Either way it is recorded; on production the environment's name is typed.
 */
export function cutOffForm(opts: { text: string; mark: string; lines: string[]; typeToConfirm?: string }): Form {
  return {
    kind: 'cut-off',
    title: `Left running: ${opts.text}`,
    body: opts.lines,
    fields: [{ kind: 'text', key: 'answer', label: opts.typeToConfirm ? `Type ${opts.typeToConfirm} to stop it` : 'y to stop it', value: '' }],
    focus: 0,
    submitLabel: 'stop it',
    ref: { mark: opts.mark, typeToConfirm: opts.typeToConfirm },
  };
}

export function confirmQuitForm(lines: string[]): Form {
  return {
    kind: 'confirm-quit',
    title: 'Quit hubops while the incident is open?',
    body: lines,
    fields: [{ kind: 'text', key: 'answer', label: 'y to quit', value: '' }],
    focus: 0,
    submitLabel: 'quit',
  };
}
