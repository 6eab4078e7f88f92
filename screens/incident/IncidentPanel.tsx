import { LinesPanel, type Line, type Piece } from '../LinesPanel.js';
import { formatClock } from '../../src/incident/clock.js';
import { webhookHost } from '../../src/incident/comms.js';
import type { IncidentState, StepProgress } from '../../src/incident/state.js';
import type { LoadedRunbook } from '../../src/runbooks/load.js';
import { SECTION_TITLES } from '../../src/runbooks/types.js';
import type { RankedRunbook } from '../../src/runbooks/suggest.js';
import type { Rect } from '../layout.js';
import { wrapWords } from '../PromptViews.js';
import { useTheme } from '../theme.js';
import { IncidentController, type IncidentSnapshot } from './controller.js';
import type { Form, FormField, Panel } from './ui-state.js';

/** A piece of a line: text with a style. A line is one or more pieces, truncated at the width. */
export type { Line, Piece } from '../LinesPanel.js';

const plain = (text: string, style: Omit<Piece, 'text'> = {}): Line => [{ text, ...style }];

/** Long text folded into lines of the width, keeping its own line breaks. */
function fold(text: string, width: number, style: Omit<Piece, 'text'> = {}): Line[] {
  const out: Line[] = [];
  for (const raw of text.split('\n')) {
    const wrapped = raw.trim() === '' ? [''] : wrapWords(raw, Math.max(8, width));
    for (const w of wrapped) out.push(plain(w, style));
  }
  return out;
}

/**
 * A command folded at the width character by character, exactly as it will run (word wrapping
 * would eat spaces and hide where the lines break); continuation rows are indented.
 */
function hardWrap(text: string, width: number, style: Omit<Piece, 'text'> = {}): Line[] {
  const w = Math.max(8, width);
  const out: Line[] = [];
  let rest = text;
  let first = true;
  while (first || rest.length > 0) {
    const room = first ? w : w - 2;
    out.push(plain(`${first ? '' : '  '}${rest.slice(0, room)}`, style));
    rest = rest.slice(room);
    first = false;
  }
  return out;
}

const isCommandLine = (l: string) => l.startsWith('$ ') || l.startsWith('> ') || l.startsWith('with ');

export interface PanelProps {
  rect: Rect;
  snapshot: IncidentSnapshot;
  ranked: RankedRunbook<LoadedRunbook>[];
  now: number;
  webhook?: string;
}

/** The incident panel beside the live panes: a form when one is open, else the panel's view. */
export function IncidentPanel({ rect, snapshot, ranked, now, webhook }: PanelProps) {
  const theme = useTheme();
  const inner = Math.max(10, rect.width - 4);
  const rows = Math.max(1, rect.height - 2);
  const { title, lines } = snapshot.ui.form
    ? formLines(snapshot.ui.form, inner)
    : panelLines(snapshot.ui.panel, snapshot, ranked, inner, rows - 1, now, webhook);
  return <LinesPanel rect={rect} title={title} lines={lines} borderColor={theme.status.down} />;
}

// Forms.

export function formLines(form: Form, width: number): { title: string; lines: Line[] } {
  const lines: Line[] = [];
  for (const b of form.body ?? []) lines.push(...(isCommandLine(b) ? hardWrap(b, width, { tone: 'accent' }) : fold(b, width)));
  if (form.body?.length) lines.push(plain(''));
  const labelWidth = Math.min(16, Math.max(...form.fields.map((f) => f.label.length)) + 1);
  form.fields.forEach((f, i) => lines.push(...fieldLines(f, i === form.focus, labelWidth)));
  if (form.error) lines.push(plain(form.error, { tone: 'alarm', bold: true }));
  const last = form.focus === form.fields.length - 1;
  const clears = form.fields[form.focus]?.kind === 'text' ? ' · Ctrl-U clear' : '';
  lines.push(plain(`Enter ${last ? form.submitLabel : 'next field'} · Tab/S-Tab move${clears} · Esc cancel`, { tone: 'dim' }));
  return { title: form.title, lines };
}

function fieldLines(f: FormField, focused: boolean, labelWidth: number): Line[] {
  const label: Piece = { text: `${focused ? '›' : ' '} ${f.label.padEnd(labelWidth)}`, bold: focused };
  switch (f.kind) {
    case 'text':
      return [
        [
          label,
          { text: f.value },
          ...(focused ? [{ text: ' ', inverse: true }] : []),
          ...(f.value === '' && f.placeholder ? [{ text: ` ${f.placeholder}`, tone: 'dim' as const }] : []),
        ],
      ];
    case 'choice': {
      const pieces: Piece[] = [label];
      f.options.forEach((o, i) => {
        const on = o.value === f.value;
        pieces.push({ text: on ? `[${o.label}]` : ` ${o.label} `, bold: on, inverse: on && focused }, { text: i < f.options.length - 1 ? ' ' : '' });
      });
      const hint = f.options.find((o) => o.value === f.value)?.hint;
      const pad = ' '.repeat(labelWidth + 2);
      return hint ? [pieces, [{ text: pad }, { text: hint, tone: 'dim' }]] : [pieces];
    }
    case 'marks': {
      const pad = ' '.repeat(labelWidth + 2);
      const out: Line[] = f.options.map((o, i) => [
        i === 0 ? label : { text: pad },
        { text: `${f.marked.includes(o.value) ? '[x]' : '[ ]'} ${i + 1} ${o.label}`, bold: f.marked.includes(o.value), inverse: focused && f.cursor === i },
        { text: ` ${o.hint ?? ''}`, tone: 'dim' },
      ]);
      const n = f.marked.length;
      out.push([
        { text: pad },
        f.value
          ? { text: `→ SEV${f.value}${n > 1 ? ' (unsure between several: the higher is suggested)' : ''}`, tone: 'alarm', bold: true }
          : { text: 'press 1, 2 or 3 to mark; mark two when unsure', tone: 'dim' },
      ]);
      return out;
    }
  }
}

// Panels.

function panelLines(panel: Panel, snap: IncidentSnapshot, ranked: RankedRunbook<LoadedRunbook>[], width: number, rows: number, now: number, webhook?: string): { title: string; lines: Line[] } {
  const s = snap.state;
  switch (panel.kind) {
    case 'none':
      return { title: '', lines: [] };
    case 'timeline':
      return timelineLines(s, panel.scroll, rows);
    case 'picker':
      return pickerLines(snap, ranked, panel.selected, rows);
    case 'runbook':
      return runbookLines(snap, panel.id, panel.selected, width, rows, now);
    case 'compose': {
      const what = panel.message === 'update' ? 'Status update' : 'Resolved message';
      const lines: Line[] = [];
      if (panel.text === undefined && !panel.error) lines.push(plain('rendering…', { tone: 'dim' }));
      if (panel.text !== undefined) lines.push(...fold(panel.text, width));
      lines.push(plain(''));
      if (panel.error) lines.push(...fold(panel.error, width, { tone: 'alarm', bold: true }));
      if (panel.sending) lines.push(plain('sending…', { tone: 'warn' }));
      if (panel.sent) lines.push(...fold(panel.sent, width, { tone: 'ok', bold: true }));
      else if (panel.text !== undefined && !panel.sending) {
        const dest = webhook ? `post to ${webhookHost(webhook)} + copy` : 'copy (no webhook configured)';
        lines.push(plain(`Enter ${dest} · c copy only · e edit · Esc close`, { tone: 'dim' }));
      }
      return { title: `${what} — ${panel.sent ? 'sent' : 'preview'}`, lines };
    }
    case 'gate': {
      const lines: Line[] = [];
      if (panel.status === 'probing') lines.push(plain('probing every health check now…', { tone: 'warn' }));
      for (const c of panel.checks) lines.push([{ text: c.ok ? '● ' : '✖ ', tone: c.ok ? 'ok' : 'alarm' }, { text: c.name.padEnd(14) }, { text: ` ${c.detail}`, tone: c.ok ? undefined : 'alarm' }]);
      if (panel.status === 'red') {
        lines.push(plain(''));
        lines.push(...fold(panel.why ?? 'not green', width, { tone: 'alarm', bold: true }));
        lines.push(plain('o override with a reason (recorded) · r probe again · Esc cancel', { tone: 'dim' }));
      }
      return { title: `Verify gate before resolving${s ? ` ${s.id}` : ''}`, lines };
    }
  }
}

function hhmmss(iso: string): string {
  return /T(\d\d:\d\d:\d\d)/.exec(iso)?.[1] ?? iso;
}

function timelineLines(s: IncidentState | undefined, scroll: number | null, rows: number): { title: string; lines: Line[] } {
  const items = s?.timeline ?? [];
  const last = scroll ?? items.length - 1;
  const from = Math.max(0, Math.min(last - rows + 1, items.length - rows));
  const shown = items.slice(Math.max(0, from), Math.max(0, from) + rows);
  const lines = shown.map((t): Line => [
    { text: `${hhmmss(t.at)} `, tone: 'dim' },
    { text: `${t.by.split('@')[0]} `, tone: 'accent' },
    { text: t.text, bold: t.type === 'declared' || t.type === 'resolved' },
  ]);
  return { title: `Timeline — ${items.length} event${items.length === 1 ? '' : 's'}${scroll === null ? ' (newest at the bottom)' : ''}`, lines };
}

function progressOf(s: IncidentState | undefined, rb: LoadedRunbook): { done: number; total: number } {
  const steps = IncidentController.steps(rb);
  const p = s?.runbooks[rb.id]?.steps ?? {};
  return { done: steps.filter((st) => p[st.id]).length, total: steps.length };
}

function pickerLines(snap: IncidentSnapshot, ranked: RankedRunbook<LoadedRunbook>[], selected: number, rows: number): { title: string; lines: Line[] } {
  const s = snap.state;
  const title = `Runbooks for SEV${s?.sev ?? '?'}${s?.service ? ` · ${s.service}` : ''} — suggested first`;
  if (!snap.runbooks) return { title, lines: [plain('loading runbooks…', { tone: 'dim' })] };
  const lines: Line[] = [];
  if (snap.runbookError) lines.push(plain(snap.runbookError, { tone: 'alarm' }));
  if (ranked.length === 0) lines.push(plain('no runbooks found (runbooks/ and the folders under runbooks: in hubops.yaml)', { tone: 'dim' }));
  const room = Math.max(1, rows - lines.length - 1);
  const from = Math.max(0, Math.min(selected - Math.floor(room / 2), ranked.length - room));
  ranked.slice(from, from + room).forEach((r, k) => {
    const i = from + k;
    const p = progressOf(s, r.runbook);
    const opened = s?.runbooks[r.runbook.id] !== undefined;
    lines.push([
      { text: i === selected ? '› ' : '  ', bold: true },
      { text: r.suggested ? '★ ' : '  ', tone: 'warn' },
      { text: r.runbook.title, bold: i === selected, inverse: i === selected },
      { text: `  ${r.why}`, tone: 'dim' },
      { text: opened ? `  ${p.done}/${p.total} steps` : '', tone: 'accent' },
    ]);
  });
  lines.push(plain('j/k select · Enter open · Esc close', { tone: 'dim' }));
  return { title, lines };
}

const MARK: Record<StepProgress['status'], string> = { done: '[x]', skipped: '[-]', ran: '[>]' };

function runbookLines(snap: IncidentSnapshot, id: string, selected: number, width: number, rows: number, now: number): { title: string; lines: Line[] } {
  const rb = snap.runbooks?.find((r) => r.id === id);
  if (!rb) return { title: id, lines: [plain('loading…', { tone: 'dim' })] };
  const s = snap.state;
  const steps = IncidentController.steps(rb);
  const progress = s?.runbooks[rb.id]?.steps ?? {};
  const p = progressOf(s, rb);
  const title = `${rb.title} — ${p.done}/${p.total} steps${snap.readonly ? ' (read-only)' : ''}`;

  // The selected step's details: its command and where it runs, then the output (live or last).
  const step = steps[selected];
  const detail: Line[] = [];
  if (step) {
    const st = progress[step.id];
    if (step.command) {
      detail.push(plain(`${step.command.target ? `on ${step.command.target}` : 'on this environment'}:`, { tone: 'dim' }));
      step.command.code.split('\n').forEach((l, i) => detail.push(...hardWrap(`${i === 0 ? '$' : '>'} ${l}`, width, { tone: 'accent' })));
    }
    if (st?.status === 'skipped') detail.push(plain(`skipped by ${st.by}: ${st.reason ?? ''}`, { tone: 'warn' }));
    const running = snap.running && snap.running.runbook === rb.id && snap.running.step === step.id ? snap.running : undefined;
    const key = `${rb.id}/${step.id}`;
    if (running) {
      detail.push(plain(`running on ${running.target} — ${formatClock(Math.max(0, now - running.startedAt))} (X stops it)`, { tone: 'warn', bold: true }));
      for (const l of running.lines) detail.push(plain(`  ${l}`));
    } else if (st?.run) {
      const r = st.run;
      const ok = r.code === 0 && !r.error;
      // Wrapped, not cut: an error (a step cut off, and what was done about it) is read whole here.
      detail.push(...fold(`${r.error ?? `exit ${r.code}`} in ${(r.durationMs / 1000).toFixed(1)}s on ${r.target}`, width, { tone: ok ? 'ok' : 'alarm', bold: true }));
      for (const l of snap.output[key] ?? r.tail) detail.push(plain(`  ${l}`));
    }
  }
  const footer = plain(snap.readonly ? 'read-only: j/k to look; steps are not marked or run here' : 'j/k move · Space done · s skip · x run · Esc back', { tone: 'dim' });

  // Steps list above, details below; output keeps its newest lines.
  const listRows = Math.max(3, Math.min(steps.length + 3, rows - 1 - Math.min(detail.length, Math.floor(rows / 2))));
  const list: Line[] = [];
  let section = '';
  const all: { line: Line; step?: number }[] = [];
  steps.forEach((st, i) => {
    if (st.section !== section) {
      section = st.section;
      all.push({ line: plain(SECTION_TITLES[st.section], { tone: 'dim', bold: true }) });
    }
    const pr = progress[st.id];
    const failed = pr?.status === 'ran' && (pr.run?.code !== 0 || pr.run?.error);
    all.push({
      step: i,
      line: [
        { text: i === selected ? '› ' : '  ', bold: true },
        { text: pr ? MARK[pr.status] : '[ ]', tone: pr?.status === 'done' ? 'ok' : pr?.status === 'skipped' ? 'warn' : failed ? 'alarm' : pr ? 'ok' : undefined },
        { text: ` ${st.text}`, bold: i === selected, inverse: i === selected },
        { text: st.command ? '  $' : '', tone: 'accent' },
      ],
    });
  });
  const at = Math.max(0, all.findIndex((a) => a.step === selected));
  const from = Math.max(0, Math.min(at - Math.floor(listRows / 2), all.length - listRows));
  list.push(...all.slice(from, from + listRows).map((a) => a.line));
  const detailRows = Math.max(0, rows - 1 - list.length);
  const shownDetail = detail.length > detailRows ? [...detail.slice(0, Math.min(3, detailRows)), ...detail.slice(detail.length - Math.max(0, detailRows - 3))] : detail;
  return { title, lines: [...list, ...shownDetail.slice(0, detailRows), footer] };
}
