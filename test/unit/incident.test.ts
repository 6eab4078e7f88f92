import { describe, expect, it } from 'vitest';
import { mkdtempSync, appendFileSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatClock, incidentClock, slugify, suggestSeverity } from '../../src/incident/clock.js';
import { IncidentSession, listIncidents } from '../../src/incident/session.js';

const T0 = Date.parse('2026-11-23T03:00:00Z');

describe('incident', () => {
  it('declares, records and replays to the same state', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    let now = T0;
    const s = IncidentSession.declare(dir, { sev: 1, title: 'API down: 502s!', service: 'api' }, { me: 'ana@box', now: () => now });
    expect(s.state.id).toMatch(/^\d{4}-\d{2}-\d{2}-api-down-502s$/);
    now += 60_000;
    s.record({ type: 'note', text: 'restarted nothing yet' });
    s.record({ type: 'phase-changed', from: 'triage', to: 'investigate' });
    s.record({ type: 'update-sent', kind: 'update', text: 'x', fields: { eta: '30m' }, via: ['recorded'] });
    s.record({ type: 'step-skipped', runbook: 'service-down', step: 'diagnosis-1', text: 'check', reason: 'known' });
    const before = s.state;
    s.close();
    const again = IncidentSession.open(s.file, { me: 'bob@box', now: () => now });
    expect(again.state).toEqual(before);
    expect(again.readonly).toBe(false);
    expect(again.state.timeline.map((t) => t.text)).toEqual([
      'SEV1 declared: API down: 502s!',
      'restarted nothing yet',
      'phase triage → investigate',
      'status update sent (recorded)',
      'step skipped: check — known',
    ]);
    expect(listIncidents(dir).map((i) => i.id)).toEqual([before.id]);
    again.close();
  });

  it('a started step is running until its step-ran, across a restart; only the same step ends it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    const s = IncidentSession.declare(dir, { sev: 2, title: 'slow', service: 'api' }, { me: 'ana@box', now: () => T0 });
    s.record({ type: 'step-started', runbook: 'rb', step: 'resolution-1', text: 'Drain.', command: 'drain --all\nsleep 1', target: 'prod (local)', env: 'prod', mark: '00ff00ff00ff00ff' });
    expect(s.state.stepRunning).toMatchObject({ runbook: 'rb', step: 'resolution-1', mark: '00ff00ff00ff00ff', by: 'ana@box', env: 'prod' });
    expect(s.state.timeline.at(-1)?.text).toBe('started `drain --all` on prod (local)');
    s.close();
    const again = IncidentSession.open(s.file, { me: 'bob@box', now: () => T0 });
    expect(again.state.stepRunning?.mark).toBe('00ff00ff00ff00ff');
    const ran = { type: 'step-ran' as const, command: 'drain --all', target: 'prod (local)', code: 0, durationMs: 5, tail: [] };
    again.record({ ...ran, runbook: 'rb', step: 'resolution-2' });
    expect(again.state.stepRunning?.step).toBe('resolution-1');
    again.record({ ...ran, runbook: 'rb', step: 'resolution-1' });
    expect(again.state.stepRunning).toBeUndefined();
    again.close();
  });

  it('a line this version cannot read keeps its seq: the next event is numbered after it, and the line stays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    const s = IncidentSession.declare(dir, { sev: 2, title: 'newer', service: 'api' }, { me: 'ana@box', now: () => T0 });
    s.record({ type: 'note', text: 'one' });
    s.close();
    // What a newer hubops might have written: an event type this one does not know, seq 3.
    const future = JSON.stringify({ v: 1, seq: 3, at: '2026-11-23T03:00:01Z', by: 'bob@box', type: 'page-sent', to: 'dba' });
    appendFileSync(s.file, `${future}\n`);
    const again = IncidentSession.open(s.file, { me: 'ana@box', now: () => T0 });
    expect(again.problems).toHaveLength(1);
    expect(again.problems[0]!.line).toBe(3);
    // A watcher already following sees the next note: its seq is past the one it could not read.
    const watcher = IncidentSession.open(s.file, { me: 'cy@box', readonly: true });
    again.record({ type: 'note', text: 'two' });
    (watcher as unknown as { follower: { poll(): number } }).follower.poll();
    expect(watcher.state.timeline.at(-1)?.text).toBe('two');
    watcher.close();
    again.close();
    const lines = readFileSync(s.file, 'utf8').trim().split('\n');
    expect(lines[2]).toBe(future);
    expect(lines.map((l) => (JSON.parse(l) as { seq: number }).seq)).toEqual([1, 2, 3, 4]);
  });

  it('a second session is read-only and follows the writer live', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    const w = IncidentSession.declare(dir, { sev: 2, title: 'slow' }, { me: 'ana@box' });
    const r = IncidentSession.open(w.file, { me: 'bob@box' });
    expect(r.readonly).toBe(true);
    expect(r.heldBy?.pid).toBe(process.pid);
    expect(() => r.record({ type: 'note', text: 'x' })).toThrow(/read-only/);
    // Appended after the watcher read the journal, before it looked again: delivered, not skipped.
    w.record({ type: 'note', text: 'from the writer' });
    (r as unknown as { follower: { poll(): number } }).follower.poll();
    expect(r.state.timeline.at(-1)?.text).toBe('from the writer');
    r.close();
    w.close();
  });

  it('a watcher takes the lead once the writer is gone, from everything it wrote (a torn last line set aside)', () => {
    // Same host as the lock's pid check (a lock of another host is never taken over).
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    const w = IncidentSession.declare(dir, { sev: 1, title: 'down' }, { me: `ana@${hostname()}` });
    const r = IncidentSession.open(w.file, { me: `bob@${hostname()}`, follow: true });
    const watchOnly = IncidentSession.open(w.file, { me: `cy@${hostname()}`, readonly: true });
    expect(r.readonly).toBe(true);
    // The writer lives: nothing to take.
    expect(r.leaderGone()).toBe(false);
    expect(r.takeLead()).toMatchObject({ ok: false, heldBy: { pid: process.pid } });
    w.record({ type: 'note', text: 'last words' });
    // The writer dies in the middle of its next line (as a kill -9 would leave it).
    expect(r.leaderGone(() => false)).toEqual({ last: expect.objectContaining({ pid: process.pid }) });
    w.close();
    appendFileSync(w.file, '{"v":1,"seq":3,"at":"2026');
    expect(r.leaderGone()).toEqual({ last: expect.objectContaining({ pid: process.pid }) });
    expect(watchOnly.leaderGone()).toBe(false); // --readonly never leads
    expect(r.takeLead()).toEqual({ ok: true, tornSetAside: expect.stringMatching(/\.torn-\d+$/) });
    expect(r.readonly).toBe(false);
    expect(r.state.timeline.map((t) => t.text)).toEqual(['SEV1 declared: down', 'last words']);
    r.record({ type: 'note', text: 'bob leads' });
    expect(r.state.seq).toBe(3);
    // A third session now finds bob's lock, and the journal reads whole.
    const third = IncidentSession.open(w.file, { me: `dan@${hostname()}` });
    expect(third.readonly).toBe(true);
    expect(third.problems).toEqual([]);
    expect(third.state.timeline.map((t) => t.text)).toEqual(['SEV1 declared: down', 'last words', 'bob leads']);
    third.close();
    watchOnly.close();
    r.close();
  });

  it('resumes after a torn last line with everything before it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    const w = IncidentSession.declare(dir, { sev: 1, title: 'x' }, { me: 'ana@box' });
    w.record({ type: 'note', text: 'kept' });
    w.close();
    appendFileSync(w.file, '{"v":1,"seq":3,"at":"2026');
    const r = IncidentSession.open(w.file);
    expect(r.problems[0]!.message).toMatch(/torn last line/);
    expect(r.state.timeline.at(-1)?.text).toBe('kept');
    r.record({ type: 'note', text: 'after' });
    expect(r.state.seq).toBe(3);
    r.close();
  });

  it('clocks: response target, next update due, overdue, post-mortem due', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-'));
    let now = T0;
    const s = IncidentSession.declare(dir, { sev: 1, title: 'x' }, { now: () => now });
    let c = incidentClock(s.state, T0 + 5 * 60_000);
    expect(c.responseLeftMs).toBe(10 * 60_000);
    expect(c.nextUpdateInMs).toBe(25 * 60_000);
    now = T0 + 20 * 60_000;
    s.record({ type: 'update-sent', kind: 'update', text: 'x', fields: {}, via: ['webhook'] });
    c = incidentClock(s.state, T0 + 60 * 60_000);
    expect(c.respondedInMs).toBe(20 * 60_000);
    expect(c.overdue).toBe(true);
    expect(c.nextUpdateInMs).toBe(-10 * 60_000);
    // A failed send is not an update.
    s.record({ type: 'update-sent', kind: 'update', text: 'x', fields: {}, via: ['webhook'], error: 'HTTP 500' });
    expect(incidentClock(s.state, T0 + 60 * 60_000).overdue).toBe(true);
    now = T0 + 90 * 60_000;
    s.record({ type: 'resolved', rootCause: 'bad deploy', impact: 'all users', dataLoss: 'no' });
    c = incidentClock(s.state, T0 + 100 * 60_000);
    expect(c.durationMs).toBe(90 * 60_000);
    expect(c.postmortemDue).toBe(new Date(T0 + 90 * 60_000 + 7 * 86_400_000).toISOString().slice(0, 10));
    s.close();
  });

  it('formats clocks and suggests the higher severity when unsure', () => {
    expect(formatClock(754_000)).toBe('12:34');
    expect(formatClock(-61_000)).toBe('-01:01');
    expect(formatClock(3 * 3_600_000 + 4 * 60_000)).toBe('3h04m');
    expect(suggestSeverity([2, 1])).toBe(1);
    expect(suggestSeverity([3, 2])).toBe(2);
    expect(slugify('Déploiement raté — 502 !')).toBe('deploiement-rate-502');
  });
});
