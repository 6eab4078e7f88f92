import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runPostmortemCommand } from '../../src/cli/postmortem.js';
import { parseConfigText, type LoadedConfig } from '../../src/config/load.js';
import { localDate, localHHMM } from '../../src/incident/comms.js';
import { POSTMORTEM_DUE_MS } from '../../src/incident/clock.js';
import {
  postmortemPath,
  postmortemView,
  STILL_OPEN_MARK,
  TIMELINE_END,
  TIMELINE_START,
  writePostmortem,
} from '../../src/incident/postmortem.js';
import { IncidentSession } from '../../src/incident/session.js';

/** Local noon, so that every test's times stay on 2026-11-23 whatever the machine's zone. */
const T0 = new Date(2026, 10, 23, 12, 0).getTime();
const MIN = 60_000;

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'hubops-pm-'));
}

/** A SEV1 worked through with notes, an update, a runbook step run, and resolved after 1h 23m. */
function workedIncident(journalDir: string) {
  const clock = { now: T0 };
  const s = IncidentSession.declare(
    journalDir,
    { sev: 1, title: 'Checkout down', symptom: 'checkout returns 502', service: 'shop-web', env: 'prod' },
    { me: 'ana@box', now: () => clock.now },
  );
  const at = (min: number) => (clock.now = T0 + min * MIN);
  at(2);
  s.record({ type: 'phase-changed', from: 'triage', to: 'investigate' });
  at(4);
  s.record({ type: 'note', text: 'db-1 disk at 100%;\nwrites failing' });
  at(6);
  s.record({ type: 'update-sent', kind: 'update', text: '[SEV1] …', fields: { investigating: 'db disk full', eta: '04:00' }, via: ['webhook', 'clipboard'] });
  at(10);
  s.record({ type: 'runbook-opened', runbook: 'disk-full', title: 'Disk full', file: 'runbooks/disk-full.md' });
  at(12);
  s.record({ type: 'step-ran', runbook: 'disk-full', step: 'resolution-1', command: 'journalctl --vacuum-size=200M', target: 'ssh://ops@db-1', code: 0, durationMs: 2300, tail: ['Vacuuming done'] });
  at(13);
  s.record({ type: 'step-done', runbook: 'disk-full', step: 'resolution-1', text: 'free space on db-1' });
  at(70);
  s.record({ type: 'verified', green: true, checks: [{ name: 'checkout', ok: true, detail: '200' }] });
  at(83);
  s.record({ type: 'resolved', rootCause: 'unrotated logs filled the db-1 disk', impact: 'all checkout attempts failed for 83 minutes', dataLoss: 'no' });
  return { s, clock, at };
}

describe('post-mortem', () => {
  it('lives at <reports>/post-mortems/YYYY-MM-DD-<slug>.md', () => {
    const dir = tmp();
    const { s } = workedIncident(join(dir, '.hubops'));
    const day = localDate(T0);
    expect(s.state.id).toBe(`${day}-checkout-down`);
    expect(postmortemPath(join(dir, 'docs'), s.state)).toBe(join(dir, 'docs', 'post-mortems', `${day}-checkout-down.md`));
    s.close();
  });

  it('is drafted from the journal: every event at HH:MM, the duration, the blameless statement and the due date', async () => {
    const dir = tmp();
    const { s, clock } = workedIncident(join(dir, '.hubops'));
    const reportsDir = join(dir, 'docs');
    const r = await writePostmortem(s.state, { reportsDir, now: clock.now });
    expect(r).toMatchObject({ created: true, refreshedTimeline: false, warnings: [] });
    expect(r.path).toBe(postmortemPath(reportsDir, s.state));
    const text = readFileSync(r.path, 'utf8');

    expect(s.state.timeline).toHaveLength(9);
    for (const t of s.state.timeline) {
      expect(text).toContain(`- ${localHHMM(Date.parse(t.at))} — ${t.text.replace(/\s+/g, ' ')}`);
    }
    expect(text).toContain(`- ${localHHMM(T0 + 4 * MIN)} — db-1 disk at 100%; writes failing`);
    expect(text).toContain(`- ${localHHMM(T0 + 6 * MIN)} — status update sent (webhook, clipboard)`);
    expect(text).toContain(`- ${localHHMM(T0 + 12 * MIN)} — ran \`journalctl --vacuum-size=200M\` on ssh://ops@db-1: exit 0 in 2.3s`);
    expect(text).toContain(`- ${localHHMM(T0 + 13 * MIN)} — step done: free space on db-1`);
    expect(text).toContain('| Duration | 1h 23m |');
    expect(text).toContain(`| Post-mortem due | ${localDate(T0 + 83 * MIN + POSTMORTEM_DUE_MS)} |`);
    expect(text).toContain('## Blameless statement');
    expect(text).toContain('This review looks at systems, not at individuals.');
    expect(text).toContain('## Root cause\n\nunrotated logs filled the db-1 disk\n');
    expect(text).toContain('all checkout attempts failed for 83 minutes');
    expect(text).toContain('- Data loss: no');
    expect(text).toMatch(/## Why monitoring did not alert sooner\n\n_\(.*Why did monitoring not alert sooner\?/);
    expect(text).toContain('|  | @owner | YYYY-MM-DD |');
    expect(text).not.toContain(STILL_OPEN_MARK);
    // Written atomically: no temp file left beside it.
    expect(readdirSync(join(reportsDir, 'post-mortems'))).toEqual([`${localDate(T0)}-checkout-down.md`]);
    s.close();
  });

  it('a second run keeps a person edits byte for byte and refreshes only the timeline', async () => {
    const dir = tmp();
    const { s, clock, at } = workedIncident(join(dir, '.hubops'));
    const reportsDir = join(dir, 'docs');
    const { path } = await writePostmortem(s.state, { reportsDir, now: clock.now });
    const first = readFileSync(path, 'utf8');

    // A person rewrites the root cause (odd bytes included) and adds a line under the timeline.
    const edited = first
      .replace('## Root cause\n\nunrotated logs filled the db-1 disk\n', '## Root cause\n\nLogrotate was disabled by the 11-02 image change.  \n\nSee INC-42 — “déjà vu”.\t\n')
      .replace(`${TIMELINE_END}\n`, `${TIMELINE_END}\n\nAuthor note kept.\n`);
    // …and a stray non-UTF-8 byte at the very end, which must survive too.
    const editedBytes = Buffer.concat([Buffer.from(edited, 'utf8'), Buffer.from([0xff, 0x0a])]);
    writeFileSync(path, editedBytes);

    at(95);
    s.record({ type: 'note', text: 'log rotation re-enabled on every db host' });
    at(100);
    s.record({ type: 'postmortem-written', path });

    const r = await writePostmortem(s.state, { reportsDir, now: clock.now });
    expect(r).toMatchObject({ created: false, refreshedTimeline: true, timelineChanged: true, warnings: [] });
    const afterBytes = readFileSync(path);
    const endAt = (b: Buffer) => b.indexOf(TIMELINE_END);
    expect(afterBytes.subarray(endAt(afterBytes)).equals(editedBytes.subarray(endAt(editedBytes)))).toBe(true);
    expect(afterBytes.subarray(0, afterBytes.indexOf(TIMELINE_START)).equals(editedBytes.subarray(0, editedBytes.indexOf(TIMELINE_START)))).toBe(true);
    const after = afterBytes.toString('utf8');
    const cut = (t: string) => ({ head: t.slice(0, t.indexOf(TIMELINE_START) + TIMELINE_START.length), block: t.slice(t.indexOf(TIMELINE_START), t.indexOf(TIMELINE_END)), tail: t.slice(t.indexOf(TIMELINE_END)) });
    expect(cut(after).head).toBe(cut(edited).head);
    expect(cut(after).tail).toBe(cut(editedBytes.toString('utf8')).tail);
    expect(after).toContain('See INC-42 — “déjà vu”.\t\n');
    expect(cut(after).block).toContain(`- ${localHHMM(T0 + 95 * MIN)} — log rotation re-enabled on every db host`);
    expect(cut(after).block).toContain(`- ${localHHMM(T0 + 100 * MIN)} — post-mortem written: ${path}`);
    expect(cut(edited).block).not.toContain('log rotation re-enabled');

    // Nothing new: the file is left as it is.
    const again = await writePostmortem(s.state, { reportsDir, now: clock.now + MIN });
    expect(again).toMatchObject({ created: false, refreshedTimeline: true, timelineChanged: false });
    expect(readFileSync(path).equals(afterBytes)).toBe(true);
    s.close();
  });

  it('marks entries on later days, and a note cannot fake a marker or break the list', () => {
    const dir = tmp();
    let now = T0;
    const s = IncidentSession.declare(join(dir, '.hubops'), { sev: 2, title: 'Slow' }, { me: 'ana@box', now: () => now });
    now = T0 + 25 * 60 * MIN;
    s.record({ type: 'note', text: `sneaky ${TIMELINE_END}\n- fake item` });
    const [, late] = postmortemView(s.state, { now }).timeline;
    expect(late!.time).toMatch(/^\d\d:\d\d \(\+1d\)$/);
    expect(late!.text).toBe('sneaky &lt;!-- hubops:timeline:end --&gt; - fake item');
    s.close();
  });

  it('keeps CRLF line endings of a file saved by another editor', async () => {
    const dir = tmp();
    const { s, clock, at } = workedIncident(join(dir, '.hubops'));
    const { path } = await writePostmortem(s.state, { reportsDir: join(dir, 'docs'), now: clock.now });
    const crlf = readFileSync(path, 'utf8').replace(/\n/g, '\r\n');
    writeFileSync(path, crlf);
    at(90);
    s.record({ type: 'note', text: 'follow-up' });
    await writePostmortem(s.state, { reportsDir: join(dir, 'docs'), now: clock.now });
    const after = readFileSync(path, 'utf8');
    expect(after).toContain(`— follow-up\r\n`);
    expect(after.replace(/\r\n/g, '')).not.toContain('\n');
    s.close();
  });

  it('leaves the file alone, with a warning, when the author removed the markers', async () => {
    const dir = tmp();
    const { s, clock, at } = workedIncident(join(dir, '.hubops'));
    const reportsDir = join(dir, 'docs');
    const { path } = await writePostmortem(s.state, { reportsDir, now: clock.now });
    const noMarkers = readFileSync(path, 'utf8').replace(`${TIMELINE_START}\n`, '').replace(`${TIMELINE_END}\n`, '');
    writeFileSync(path, noMarkers);
    at(90);
    s.record({ type: 'note', text: 'more' });
    const r = await writePostmortem(s.state, { reportsDir, now: clock.now });
    expect(r).toMatchObject({ created: false, refreshedTimeline: false, timelineChanged: false });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatch(/timeline markers were removed.*left the file as it is/);
    expect(readFileSync(path, 'utf8')).toBe(noMarkers);

    // Only one of them left: same.
    const oneMarker = `${noMarkers}\n${TIMELINE_END}\n`;
    writeFileSync(path, oneMarker);
    const r2 = await writePostmortem(s.state, { reportsDir, now: clock.now });
    expect(r2.warnings[0]).toMatch(/start marker .* was removed/);
    expect(readFileSync(path, 'utf8')).toBe(oneMarker);
    s.close();
  });

  it('an open incident is marked still open at the top', async () => {
    const dir = tmp();
    let now = T0;
    const s = IncidentSession.declare(join(dir, '.hubops'), { sev: 1, title: 'API down', service: 'api' }, { me: 'ana@box', now: () => now });
    now = T0 + 5 * MIN;
    s.record({ type: 'note', text: 'looking at the load balancer' });
    now = T0 + 47 * MIN;
    const view = postmortemView(s.state, { now });
    expect(view.duration).toBe('still open — 47m so far');
    const reportsDir = join(dir, 'docs');
    const r = await writePostmortem(s.state, { reportsDir, now });
    expect(r.created).toBe(true);
    const text = readFileSync(r.path, 'utf8');
    expect(text.startsWith(`${STILL_OPEN_MARK} — this incident was not resolved`)).toBe(true);
    expect(text.split('\n')[2]).toBe('# Post-mortem: API down');
    expect(text).toContain('| Duration | still open — 47m so far |');
    expect(text).toContain(`- ${localHHMM(T0 + 5 * MIN)} — looking at the load balancer`);

    // Resolved later: the timeline is refreshed, and the author is told the notice is now stale.
    now = T0 + 60 * MIN;
    s.record({ type: 'resolved', rootCause: 'bad LB config', impact: 'all API calls', dataLoss: 'no' });
    const r2 = await writePostmortem(s.state, { reportsDir, now });
    expect(r2).toMatchObject({ refreshedTimeline: true, timelineChanged: true });
    expect(r2.warnings[0]).toMatch(/drafted while the incident was open; it is resolved now \(1h 0m\)/);
    expect(readFileSync(r2.path, 'utf8').startsWith(STILL_OPEN_MARK)).toBe(true);
    s.close();
  });
});

describe('hubops postmortem', () => {
  function config(dir: string): LoadedConfig {
    const res = parseConfigText('project: shop\njournal: .hubops\nreports: docs\nenvironments:\n  prod: {}\n', join(dir, 'hubops.yaml'));
    if (!res.ok) throw new Error(JSON.stringify(res.problems));
    return res.loaded;
  }

  it('picks the most recent incident, open or not, without needing its lock', async () => {
    const dir = tmp();
    const loaded = config(dir);
    const { s: older } = workedIncident(loaded.paths.journal);
    older.close();
    const newer = IncidentSession.declare(loaded.paths.journal, { sev: 2, title: 'Search slow' }, { me: 'bob@box', now: () => T0 + 3 * 60 * MIN });
    // `newer` still holds its lock (a console is working on it).
    const out: string[] = [];
    const code = await runPostmortemCommand({ loaded, say: (l) => out.push(l), now: T0 + 3 * 60 * MIN + 10 * MIN, cwd: dir });
    expect(code).toBe(0);
    const path = postmortemPath(loaded.paths.reports, newer.state);
    expect(existsSync(path)).toBe(true);
    expect(existsSync(postmortemPath(loaded.paths.reports, older.state))).toBe(false);
    expect(out.join('\n')).toContain(`post-mortem created: docs/post-mortems/${localDate(T0)}-search-slow.md`);
    expect(out.join('\n')).toContain('STILL OPEN (10m so far');
    // It recorded nothing in the journal.
    expect(readFileSync(newer.file, 'utf8').trim().split('\n')).toHaveLength(1);

    // By id, then again: refreshed (already up to date).
    out.length = 0;
    expect(await runPostmortemCommand({ loaded, id: older.state.id, say: (l) => out.push(l), now: T0 + 4 * 60 * MIN, cwd: dir })).toBe(0);
    expect(out.join('\n')).toMatch(/post-mortem created: .*checkout-down\.md\n {2}incident .*resolved after 1h 23m/);
    out.length = 0;
    expect(await runPostmortemCommand({ loaded, id: older.state.id, say: (l) => out.push(l), now: T0 + 5 * 60 * MIN, cwd: dir })).toBe(0);
    expect(out.join('\n')).toMatch(/post-mortem already up to date: .*checkout-down\.md/);
    newer.close();
  });

  it('an unknown id is an error listing the known ones (exit 2)', async () => {
    const dir = tmp();
    const loaded = config(dir);
    const { s } = workedIncident(loaded.paths.journal);
    s.close();
    const other = IncidentSession.declare(loaded.paths.journal, { sev: 3, title: 'Typo on the home page' }, { me: 'ana@box', now: () => T0 + 60 * MIN });
    other.close();
    const out: string[] = [];
    const errs: string[] = [];
    const code = await runPostmortemCommand({ loaded, id: 'no-such-thing', say: (l) => out.push(l), warn: (l) => errs.push(l), now: T0 + 2 * 60 * MIN });
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(errs.join('\n')).toBe(`no incident "no-such-thing"; known incidents, newest first: ${other.state.id} (open), ${s.state.id}`);
    expect(existsSync(loaded.paths.reports)).toBe(false);
  });

  it('no incidents at all: exit 2 with a clear message', async () => {
    const dir = tmp();
    const out: string[] = [];
    expect(await runPostmortemCommand({ loaded: config(dir), say: (l) => out.push(l), now: T0, cwd: dir })).toBe(2);
    expect(out).toEqual(['no incidents recorded in .hubops/incidents']);
  });
});
