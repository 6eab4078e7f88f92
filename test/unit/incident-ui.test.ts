import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { incidentBarSegments } from '../../screens/incident/IncidentBar.js';
import type { IncidentKeyState } from '../../screens/incident/keys.js';
import {
  declareForm,
  DEFAULT_SEVERITY_TEXT,
  editMessageForm,
  fieldValue,
  formKey,
  initialIncidentUi,
  severityForm,
  uiReducer,
  type Form,
} from '../../screens/incident/ui-state.js';
import { activeKeys, bottomKeys, buildKeyMap, intentFor, type KeyContext } from '../../screens/keymap.js';
import { consoleLayout, type Rect } from '../../screens/layout.js';
import { initialShell } from '../../screens/shell-state.js';
import { incidentClock } from '../../src/incident/clock.js';
import type { IncidentEvent, NewIncidentEvent } from '../../src/incident/events.js';
import { replayIncident } from '../../src/incident/state.js';
import { planStepRun, stepRanEvent } from '../../src/incident/step-run.js';
import { isProduction } from '../../src/config/load.js';
import { rankRunbooks } from '../../src/runbooks/suggest.js';

const respond = { 1: '15m', 2: '4h', 3: '24h' } as const;
const type = (form: Form, ...keys: string[]) => keys.reduce((f, k) => formKey(f, k).form, form);

describe('incident forms (pure)', () => {
  it('severity marks: the higher of those marked is suggested; unmarking changes it back', () => {
    let f = declareForm({ descriptions: DEFAULT_SEVERITY_TEXT, respond });
    expect(fieldValue(f, 'sev')).toBe('');
    f = type(f, '3');
    expect(fieldValue(f, 'sev')).toBe('3');
    f = type(f, '2');
    expect(fieldValue(f, 'sev')).toBe('2');
    f = type(f, '2');
    expect(fieldValue(f, 'sev')).toBe('3');
    // Space marks the highlighted option; arrows move the highlight.
    f = type(f, 'left', 'space');
    expect(fieldValue(f, 'sev')).toBe('1');
  });

  it('Enter moves to the next field and submits on the last, refusing missing required fields', () => {
    let f = declareForm({ descriptions: DEFAULT_SEVERITY_TEXT, respond });
    let r = formKey(type(f, 'enter', 'enter', 'enter'), 'enter');
    expect(r.outcome).toBe('none');
    expect(r.form.error).toBe('mark at least one severity');
    expect(r.form.focus).toBe(0);
    f = type(r.form, '1', 'enter', 'enter', 'enter');
    r = formKey(f, 'enter');
    expect(r.form.error).toBe('Title is needed');
    expect(r.form.focus).toBe(1);
    f = type(r.form, 'A', 'P', 'I', 'space', 'd', 'o', 'w', 'n', 'x', 'backspace', 'tab', 'tab');
    r = formKey(f, 'enter');
    expect(r.outcome).toBe('submit');
    expect(fieldValue(r.form, 'title')).toBe('API down');
    expect(formKey(f, 'escape').outcome).toBe('cancel');
  });

  it('choices cycle and take digits; Ctrl-U clears a text field', () => {
    let f = severityForm(1, { descriptions: DEFAULT_SEVERITY_TEXT, respond });
    f = type(f, 'right');
    expect(fieldValue(f, 'sev')).toBe('2');
    f = type(f, 'left', 'left');
    expect(fieldValue(f, 'sev')).toBe('3');
    f = type(f, '1');
    expect(fieldValue(f, 'sev')).toBe('1');
    f = type(f, 'tab', 'a', 'b', 'ctrl-u', 'c');
    expect(fieldValue(f, 'reason')).toBe('c');
  });

  it('the message edit form starts on the first blank field', () => {
    const f = editMessageForm('update', ['symptom', 'investigating', 'eta'], { symptom: 's', investigating: '', eta: 'unknown' });
    expect(f.focus).toBe(1);
    expect(f.fields.map((x) => x.label)).toEqual(['Symptom', 'Where we are', 'ETA']);
  });

  it('any key sequence keeps the form consistent (focus in range, marks value = the higher marked)', () => {
    const keys = fc.constantFrom('1', '2', '3', 'space', 'left', 'right', 'tab', 'shift-tab', 'up', 'down', 'enter', 'backspace', 'a', 'ctrl-u');
    fc.assert(
      fc.property(fc.array(keys, { maxLength: 60 }), (seq) => {
        let f = declareForm({ descriptions: DEFAULT_SEVERITY_TEXT, respond });
        for (const k of seq) f = formKey(f, k).form;
        expect(f.focus).toBeGreaterThanOrEqual(0);
        expect(f.focus).toBeLessThan(f.fields.length);
        const sev = f.fields[0]!;
        if (sev.kind !== 'marks') throw new Error('marks first');
        expect(sev.value).toBe(sev.marked.length === 0 ? '' : String(Math.min(...sev.marked.map(Number))));
      }),
    );
  });

  it('panels: Esc goes back one level; lists clamp; the timeline follows the newest unless scrolled', () => {
    let ui = uiReducer(initialIncidentUi, { type: 'open-panel', panel: { kind: 'picker', selected: 0 } });
    ui = uiReducer(ui, { type: 'move', delta: 5, count: 3 });
    expect(ui.panel).toEqual({ kind: 'picker', selected: 2 });
    ui = uiReducer(ui, { type: 'open-panel', panel: { kind: 'runbook', id: 'x', selected: 0 } });
    ui = uiReducer(ui, { type: 'close-panel' });
    expect(ui.panel.kind).toBe('picker');
    ui = uiReducer(ui, { type: 'close-panel' });
    expect(ui.panel.kind).toBe('none');
    ui = uiReducer(ui, { type: 'open-panel', panel: { kind: 'timeline', scroll: null } });
    ui = uiReducer(ui, { type: 'move', delta: -1, count: 10 });
    expect(ui.panel).toEqual({ kind: 'timeline', scroll: 8 });
    ui = uiReducer(ui, { type: 'move', delta: 1, count: 10 });
    expect(ui.panel).toEqual({ kind: 'timeline', scroll: null });
  });
});

describe('runbook suggestions', () => {
  const rb = (id: string, severity: (1 | 2 | 3)[], services: string[]) => ({ id, title: id, severity, services });
  it('puts the service-specific runbook first, then any-service ones, then the rest; re-ranks on severity', () => {
    const all = [rb('z-generic', [1, 2], []), rb('db', [1], ['postgres']), rb('api', [1], ['api']), rb('sev3', [3], [])];
    expect(rankRunbooks(all, { sev: 1, service: 'API' }).map((r) => [r.runbook.id, r.suggested])).toEqual([
      ['api', true],
      ['z-generic', true],
      ['db', false],
      ['sev3', false],
    ]);
    expect(rankRunbooks(all, { sev: 3, service: 'api' }).map((r) => [r.runbook.id, r.suggested])[0]).toEqual(['sev3', true]);
    expect(rankRunbooks(all, { sev: 1, service: '' })[0]!.why).toBe('SEV1/SEV2 · any service');
  });
});

describe('running a step', () => {
  const environments = { prod: { target: 'ssh://ops@127.0.0.1:2222' }, staging: { target: 'local' } };
  const step = (code: string, target?: string, env: string[] = []) => ({ id: 'resolution-1', command: { code, target, env, line: 1, lang: 'sh' } });
  it('runs on the step target or the current environment, exports the HUBOPS_* it uses, quoted', () => {
    const p = planStepRun(step('docker restart "$HUBOPS_CONTAINER" $HUBOPS_MISSING', 'prod', ['HUBOPS_CONTAINER', 'HUBOPS_MISSING']), {
      currentEnv: 'staging',
      environments,
      isProduction,
      vars: { HUBOPS_CONTAINER: "shop's api" },
    });
    if ('error' in p) throw new Error(p.error);
    expect(p).toMatchObject({ envName: 'prod', targetUrl: 'ssh://ops@127.0.0.1:2222', production: true, missing: ['HUBOPS_MISSING'] });
    expect(p.command).toBe(`export HUBOPS_CONTAINER='shop'\\''s api'\ndocker restart "$HUBOPS_CONTAINER" $HUBOPS_MISSING`);
    // Runbook text is passed as written: braces are not a template.
    const q = planStepRun(step("docker inspect --format '{{.State.Status}}' x"), { currentEnv: 'staging', environments, isProduction, vars: {} });
    expect('error' in q ? q.error : q.command).toBe("docker inspect --format '{{.State.Status}}' x");
    expect(planStepRun(step('x', 'nope'), { currentEnv: 'staging', environments, isProduction, vars: {} })).toMatchObject({ error: expect.stringContaining('target=nope') });
    expect(planStepRun({ id: 'd-1' }, { currentEnv: 'staging', environments, isProduction, vars: {} })).toEqual({ error: 'this step has no command to run' });
  });

  it('keeps the last 20 lines, the exit code and the duration in the event', () => {
    const p = planStepRun(step('seq 50'), { currentEnv: 'staging', environments, isProduction, vars: {} });
    if ('error' in p) throw new Error(p.error);
    const e = stepRanEvent('rb', 'resolution-1', p, { code: 0, tail: Array.from({ length: 50 }, (_, i) => String(i + 1)), timedOut: false, durationMs: 42 });
    expect(e).toMatchObject({ type: 'step-ran', command: 'seq 50', target: 'staging (local)', code: 0, durationMs: 42 });
    expect(e.tail).toHaveLength(20);
    expect(e.tail.at(-1)).toBe('50');
  });
});

describe('console layout with incident mode', () => {
  const inside = (r: Rect, cols: number, rows: number) => r.left >= 0 && r.top >= 1 && r.left + r.width <= cols && r.top + r.height <= rows - 1;
  const overlap = (a: Rect, b: Rect) => a.left < b.left + b.width && b.left < a.left + a.width && a.top < b.top + b.height && b.top < a.top + a.height;
  it('keeps the four panes on screen beside the panel, nothing overlapping, at any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 40, max: 300 }), fc.integer({ min: 14, max: 120 }), fc.integer({ min: 0, max: 2 }), fc.boolean(), (cols, rows, barRows, panel) => {
        const l = consoleLayout(cols, rows, { barRows, panel });
        const all = [...l.panes, ...(l.panel ? [l.panel] : [])];
        expect(l.panes).toHaveLength(4);
        for (const r of all) expect(inside(r, cols, rows)).toBe(true);
        for (let i = 0; i < all.length; i++) for (let j = i + 1; j < all.length; j++) if (all[i]!.height > 0 && all[j]!.height > 0) expect(overlap(all[i]!, all[j]!)).toBe(false);
        // From 24 rows, every pane keeps its title and at least one line (2x2) or its title (one column).
        if (rows >= 24) for (const p of l.panes) expect(p.height).toBeGreaterThanOrEqual(cols >= 80 || !panel ? 3 : 2);
        expect(Boolean(l.panel)).toBe(panel);
      }),
    );
    // Wide screens put the panel to the right, full height; narrow ones below the panes.
    expect(consoleLayout(160, 40, { barRows: 1, panel: true }).panel).toEqual({ left: 88, top: 2, width: 72, height: 37 });
    expect(consoleLayout(80, 24, { barRows: 1, panel: true }).panel).toMatchObject({ left: 0, width: 80 });
  });
});

describe('incident bar', () => {
  const T0 = Date.parse('2026-11-23T03:00:00Z');
  const at = (min: number) => new Date(T0 + min * 60_000).toISOString();
  const state = (...events: [number, NewIncidentEvent][]) =>
    replayIncident(events.map(([m, e], i) => ({ v: 1, seq: i + 1, at: at(m), by: 'ana@box', ...e }) as IncidentEvent))!;
  const declared: [number, NewIncidentEvent] = [0, { type: 'declared', id: 'x', sev: 1, title: 'Checkout returns 502 for every user in every region', symptom: '', service: 'api', env: 'prod' }];
  const text = (s: ReturnType<typeof state>, min: number, width = 200) => incidentBarSegments(s, incidentClock(s, T0 + min * 60_000), width).map((x) => x.text).join(' · ');

  it('shows the countdowns, then responded, overdue, and once resolved the duration and post-mortem due', () => {
    const s = state(declared);
    expect(text(s, 2.5)).toBe('SEV1 Checkout returns 502 for every user in every region · 02:30 · respond in 12:30 · triage · next update in 27:30 · IC ana@box');
    const late = incidentBarSegments(s, incidentClock(s, T0 + 31 * 60_000), 200);
    expect(late.map((x) => x.text)).toContain('respond: missed by 16:00');
    const next = (segs: ReturnType<typeof incidentBarSegments>) => segs.find((x) => x.text.startsWith('next update'));
    expect(next(late)).toMatchObject({ text: 'next update OVERDUE 01:00', tone: 'alarm', flash: true });
    expect(next(incidentBarSegments(s, incidentClock(s, T0 + 31.5 * 60_000), 200))).toMatchObject({ flash: false });
    const responded = state(declared, [4, { type: 'update-sent', kind: 'update', text: 't', fields: {}, via: ['webhook'] }]);
    expect(text(responded, 10)).toContain('responded in 4m · triage · next update in 24:00');
    const handedOver = state(declared, [1, { type: 'role-assigned', role: 'commander', who: 'bob@box' }]);
    expect(text(handedOver, 2)).toMatch(/ · IC bob@box$/);
    const resolved = state(declared, [72, { type: 'resolved', rootCause: 'x', impact: 'y', dataLoss: 'no' }]);
    expect(text(resolved, 90)).toBe('SEV1 Checkout returns 502 for every user in every region · 1h12m · resolved after 1h 12m · post-mortem due 2026-11-30');
    // At 80 columns the title gives way; the clocks stay whole.
    const narrow = text(s, 2.5, 80);
    expect(narrow).toMatch(/^SEV1 Checkout retur… · 02:30 · respond in 12:30/);
    expect(narrow.length).toBeLessThanOrEqual(79);
  });
});

describe('incident keys', () => {
  const { keys } = buildKeyMap();
  const ctx = (incident: Partial<IncidentKeyState>): KeyContext => ({
    readonly: false,
    filterActive: false,
    logRows: 10,
    incident: { status: 'open', writable: true, panel: 'none', form: false, composeReady: false, gateRed: false, stepRunning: false, leaderless: false, ...incident },
  });
  it('act only when they can: declare when none is open, recording keys only when writable', () => {
    expect(intentFor('i', initialShell, keys, ctx({ status: 'none' }))).toEqual({ type: 'incident', op: 'declare' });
    expect(intentFor('i', initialShell, keys, ctx({}))).toBeUndefined();
    expect(intentFor('n', initialShell, keys, ctx({}))).toEqual({ type: 'incident', op: 'note' });
    expect(intentFor('n', initialShell, keys, ctx({ writable: false }))).toBeUndefined();
    expect(intentFor('t', initialShell, keys, ctx({ writable: false }))).toEqual({ type: 'incident', op: 'timeline' });
    // L only when watching an open incident whose leading console has stopped.
    expect(intentFor('L', initialShell, keys, ctx({ writable: false, leaderless: true }))).toEqual({ type: 'incident', op: 'take-lead' });
    expect(intentFor('L', initialShell, keys, ctx({ writable: false }))).toBeUndefined();
    expect(intentFor('L', initialShell, keys, ctx({ writable: false, leaderless: true, status: 'resolved' }))).toBeUndefined();
    expect(intentFor('M', initialShell, keys, ctx({}))).toBeUndefined();
    expect(intentFor('M', initialShell, keys, ctx({ status: 'resolved' }))).toEqual({ type: 'incident', op: 'postmortem' });
    // Without incident mode at all (no journal), none of them act.
    expect(intentFor('i', initialShell, keys)).toBeUndefined();
  });

  it('a panel takes j/k, Space, s, x from the panes; a form takes every key but Ctrl-C', () => {
    const rb = ctx({ panel: 'runbook' });
    expect(intentFor('j', initialShell, keys, rb)).toEqual({ type: 'incident', op: 'down' });
    expect(intentFor('space', initialShell, keys, rb)).toEqual({ type: 'incident', op: 'step-done' });
    expect(intentFor('s', initialShell, keys, rb)).toEqual({ type: 'incident', op: 'step-skip' });
    expect(intentFor('x', initialShell, keys, rb)).toEqual({ type: 'incident', op: 'step-run' });
    expect(intentFor('x', initialShell, keys, ctx({ panel: 'runbook', writable: false }))).toEqual({ type: 'incident', op: 'step-run-refused' });
    expect(intentFor('r', initialShell, keys, rb)).toBeUndefined();
    expect(intentFor('escape', initialShell, keys, rb)).toEqual({ type: 'incident', op: 'close' });
    const form = ctx({ form: true });
    expect(intentFor('q', initialShell, keys, form)).toEqual({ type: 'incident-key', name: 'q' });
    expect(intentFor('ctrl-c', initialShell, keys, form)).toEqual({ type: 'interrupt' });
    expect(activeKeys(initialShell, keys, form).map((k) => k.label)).toContain('cancel');
  });

  it('the bottom bar leads with the incident keys, or the panel keys', () => {
    expect(bottomKeys(initialShell, keys, ctx({})).map((k) => `${k.key} ${k.label}`).slice(0, 4)).toEqual(['n note', 'u update', 'b runbooks', 't timeline']);
    expect(bottomKeys(initialShell, keys, ctx({ status: 'none' })).map((k) => k.key)).toEqual(['j/k', 'Enter', 'r', 'Tab', 'i', '?', 'q']);
    expect(bottomKeys(initialShell, keys, ctx({ panel: 'runbook' })).map((k) => `${k.key} ${k.label}`)).toEqual(['j/k select', 'Space done', 's skip', 'x run', 'Esc close', '? help', 'q quit']);
  });

  it('reports a remap that clashes with an incident key', () => {
    expect(buildKeyMap({ note: 'u' }).problems).toEqual(['keys: "u" is bound to both note and update']);
    expect(buildKeyMap({ 'step-run': 'j' }).problems).toEqual(['keys: "j" is bound to both down and step-run']);
    expect(buildKeyMap({ timeline: 'T' }).problems).toEqual(['keys: "T" is bound to both timestamps and timeline']);
  });
});
