/**
 * The post-mortem of an incident, drafted from its journal: where it lives, the template's view
 * (computed facts plus prompts for the author), and writing it without ever losing a person's
 * edits: once the file exists, hubops only ever rewrites the text between the timeline markers.
 */
import { crypto } from '../util/on-first-use.js';
import { closeSync, fchmodSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, realpathSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { loadTemplate, missingFields, renderTemplate } from '../templates/templates.js';
import { POSTMORTEM_DUE_MS, slugify } from './clock.js';
import { isoLocal } from './session.js';
import type { IncidentState } from './state.js';

export const TIMELINE_START = '<!-- hubops:timeline:start -->';
export const TIMELINE_END = '<!-- hubops:timeline:end -->';
/** How the notice at the top of a draft written while the incident was open begins. */
export const STILL_OPEN_MARK = '> **STILL OPEN**';

/** `1h 23m`, `45m`, `2d 3h 0m`; under a minute, `40s`. */
export function humanDuration(ms: number): string {
  const totalSec = Math.floor(Math.max(0, ms) / 1000);
  if (totalSec < 60) return `${totalSec}s`;
  const totalMin = Math.floor(totalSec / 60);
  const d = Math.floor(totalMin / 1440);
  const h = Math.floor((totalMin % 1440) / 60);
  const m = totalMin % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m`;
}

/** This machine's UTC offset at a moment, as people write it: `UTC`, `UTC+1`, `UTC-3:30`. */
export function zoneLabel(ms: number): string {
  const off = -new Date(ms).getTimezoneOffset();
  if (off === 0) return 'UTC';
  const a = Math.abs(off);
  return `UTC${off > 0 ? '+' : '-'}${Math.floor(a / 60)}${a % 60 ? `:${String(a % 60).padStart(2, '0')}` : ''}`;
}

/** Local `HH:MM` of a moment (this machine's zone). */
export function localHHMM(ms: number): string {
  return isoLocal(ms).slice(11, 16);
}

/** Local `YYYY-MM-DD` of a moment (this machine's zone). */
export function localDate(ms: number): string {
  return isoLocal(ms).slice(0, 10);
}

/**
 * The incident's start date as its journal recorded it (not converted to this machine's zone),
 * so the post-mortem's file name is the same whoever writes or refreshes it.
 */
function startDate(state: IncidentState): string {
  return /^\d{4}-\d{2}-\d{2}/.exec(state.startedAt)?.[0] ?? localDate(Date.parse(state.startedAt));
}

/** `<reports>/post-mortems/YYYY-MM-DD-<slug>.md`: the incident's start date and the slug part of its id. */
export function postmortemPath(reportsDir: string, state: IncidentState): string {
  const slug = /^\d{4}-\d{2}-\d{2}-(.+)$/.exec(state.id)?.[1] ?? slugify(state.id);
  return join(reportsDir, 'post-mortems', `${startDate(state)}-${slug}.md`);
}

export interface TimelineItem {
  /** Local `HH:MM`, with `(+Nd)` for entries on a later day than the start. */
  time: string;
  text: string;
}

export interface PostmortemView {
  title: string;
  date: string;
  severity: string;
  service?: string;
  duration: string;
  summary: string;
  timeline: TimelineItem[];
  impact: string;
  impact_users?: string;
  data_loss?: string;
  root_cause: string;
  detection: string;
  action_items: { action: string; owner: string; due: string }[];
  lessons: string;
  due_date: string;
}

const dayNumber = (isoDate: string) => Date.UTC(Number(isoDate.slice(0, 4)), Number(isoDate.slice(5, 7)) - 1, Number(isoDate.slice(8, 10))) / 86_400_000;

/** One line of markdown that cannot end the list or fake a timeline marker. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replaceAll('<!--', '&lt;!--').replaceAll('-->', '--&gt;');
}

/** Every journal event, in order, at local `HH:MM` with its words. */
export function timelineItems(state: IncidentState): TimelineItem[] {
  const firstDay = dayNumber(localDate(Date.parse(state.startedAt)));
  return state.timeline.map((t) => {
    const ms = Date.parse(t.at);
    const days = dayNumber(localDate(ms)) - firstDay;
    return { time: `${localHHMM(ms)}${days > 0 ? ` (+${days}d)` : ''}`, text: oneLine(t.text) };
  });
}

const prompt = (s: string) => `_(${s})_`;

/**
 * The post-mortem template's view. Computed: title, date, severity, service, duration (for an
 * open incident `still open — N so far`), summary, timeline, impact / root cause / data loss from
 * the `resolved` event, due date (resolution + 7 days). Prompts for the author: detection (why
 * monitoring did not alert sooner), action items (empty rows with owner and due placeholders),
 * lessons, and impact / root cause when the journal has none.
 */
export function postmortemView(state: IncidentState, opts: { now?: number } = {}): PostmortemView {
  const now = opts.now ?? Date.now();
  const start = Date.parse(state.startedAt);
  const end = state.resolvedAt ? Date.parse(state.resolvedAt) : undefined;
  const open = state.status !== 'resolved' || end === undefined;
  const severity = `SEV${state.sev}`;
  const res = state.resolution;
  const startedWords = `${localHHMM(start)} ${zoneLabel(start)} on ${localDate(start)}`;
  const what = `${severity}${state.service ? ` on ${state.service}` : ''}: ${state.symptom || state.title}.`;
  const summary = open
    ? `${what} Declared at ${startedWords}; still open at ${localHHMM(now)} (${humanDuration(now - start)} so far).`
    : `${what} Declared at ${startedWords}, resolved at ${localHHMM(end)} after ${humanDuration(end - start)}.${res?.rootCause ? ` Root cause: ${res.rootCause}.` : ''}`;
  const view: PostmortemView = {
    title: state.title,
    date: startDate(state),
    severity,
    duration: open ? `still open — ${humanDuration(now - start)} so far` : humanDuration(end - start),
    summary,
    timeline: timelineItems(state),
    impact: res?.impact || prompt('who was affected, for how long, and what could they not do'),
    root_cause: res?.rootCause || prompt(open ? 'not known yet: the incident is still open' : 'what broke, and why'),
    detection: prompt(
      `declared at ${localHHMM(start)}. Why did monitoring not alert sooner? When did the first signal appear, what noticed it, and which alert would have caught it earlier?`,
    ),
    action_items: [0, 1, 2].map(() => ({ action: '', owner: '@owner', due: 'YYYY-MM-DD' })),
    lessons: prompt('what went well, what went badly, where we got lucky'),
    due_date: open ? '7 days after the resolution (still open)' : localDate(end + POSTMORTEM_DUE_MS),
  };
  if (state.service) view.service = state.service;
  if (res) view.data_loss = res.dataLoss || 'no';
  return view;
}

/** The notice a draft written while the incident is open starts with; undefined once resolved. */
export function stillOpenNotice(state: IncidentState, now: number): string | undefined {
  if (state.status === 'resolved') return undefined;
  const so = humanDuration(now - Date.parse(state.startedAt));
  return (
    `${STILL_OPEN_MARK} — this incident was not resolved when this draft was written ` +
    `(${localDate(now)} ${localHHMM(now)} ${zoneLabel(now)}, ${so} in). Duration, impact, root cause and the due date ` +
    'are not final: update them once it is resolved.'
  );
}

export interface TemplateOptions {
  /** Override folders, tried in order (e.g. `[paths.templateDir]`). */
  templateDirs?: readonly string[];
  /** Instead of the shipped `templates/` (tests). */
  defaultTemplateDir?: string;
}

/** The whole post-mortem document, with the still-open notice on top while the incident is open. */
export async function renderPostmortem(state: IncidentState, opts: TemplateOptions & { now?: number } = {}): Promise<string> {
  const now = opts.now ?? Date.now();
  const view = postmortemView(state, { now });
  const missing = missingFields('postmortem', view as unknown as Record<string, unknown>);
  if (missing.length > 0) throw new Error(`the post-mortem is missing: ${missing.join(', ')}`);
  const tpl = await loadTemplate('postmortem', opts.templateDirs ?? [], opts.defaultTemplateDir);
  let body: string;
  try {
    body = renderTemplate(tpl.text, view);
  } catch (e) {
    throw new Error(`template ${tpl.file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const notice = stillOpenNotice(state, now);
  return notice ? `${notice}\n\n${body}` : body;
}

export interface WritePostmortemResult {
  path: string;
  /** The file did not exist and was written whole. */
  created: boolean;
  /** The file existed and the text between its timeline markers now matches the journal. */
  refreshedTimeline: boolean;
  /** …and it had to change for that (false: it was already up to date). */
  timelineChanged: boolean;
  /** Why the file was left alone, or what the author should look at. */
  warnings: string[];
}

type Span = { from: number; to: number } | { error: string };

/** Where the timeline block is: between the end of the start marker and the start of the end marker. */
function findMarkers(hay: Buffer | string): Span {
  const s = hay.indexOf(TIMELINE_START);
  const e = hay.indexOf(TIMELINE_END);
  if (s < 0 && e < 0) return { error: 'its timeline markers were removed' };
  if (s < 0) return { error: `its timeline start marker (${TIMELINE_START}) was removed` };
  if (e < 0) return { error: `its timeline end marker (${TIMELINE_END}) was removed` };
  if (hay.indexOf(TIMELINE_START, s + 1) >= 0 || hay.indexOf(TIMELINE_END, e + 1) >= 0) return { error: 'its timeline markers appear more than once' };
  if (e < s) return { error: 'its timeline end marker comes before the start marker' };
  // Both are ASCII, so string length and byte length agree.
  return { from: s + TIMELINE_START.length, to: e };
}

/**
 * Writes the post-mortem of an incident to `postmortemPath(reportsDir, state)`.
 *
 * - No file yet: renders the whole template and writes it atomically (a temp file beside it, then
 *   linked into place so that a file created meanwhile is never clobbered), creating folders.
 * - A file already: never overwritten. Only the bytes between its timeline markers are replaced
 *   with the journal's timeline; every other byte (a person's edits) is kept as it is. If the
 *   markers were removed (or doubled), the file is left alone and a warning says so.
 */
export async function writePostmortem(state: IncidentState, opts: TemplateOptions & { reportsDir: string; now?: number }): Promise<WritePostmortemResult> {
  const now = opts.now ?? Date.now();
  const path = postmortemPath(opts.reportsDir, state);
  const doc = await renderPostmortem(state, { ...opts, now });
  const result = (r: Partial<WritePostmortemResult>): WritePostmortemResult => ({ path, created: false, refreshedTimeline: false, timelineChanged: false, warnings: [], ...r });

  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = readIfExists(path);
    if (existing === undefined) {
      if (createExclusive(path, Buffer.from(doc, 'utf8'))) return result({ created: true });
      continue; // created by someone else meanwhile: refresh theirs
    }
    const fresh = findMarkers(doc);
    if ('error' in fresh) {
      return result({ warnings: [`${path} exists and the post-mortem template has no timeline markers (${TIMELINE_START} … ${TIMELINE_END}): left the file as it is`] });
    }
    const span = findMarkers(existing);
    if ('error' in span) {
      return result({ warnings: [`${path}: ${span.error}, so hubops cannot tell its timeline from your text; left the file as it is (put the markers back around the timeline to have it refreshed)`] });
    }
    const warnings: string[] = [];
    if (state.status === 'resolved' && existing.subarray(0, 64).toString('utf8').replace(/^\uFEFF/, '').startsWith(STILL_OPEN_MARK)) {
      warnings.push(
        `${path} was drafted while the incident was open; it is resolved now (${humanDuration(Date.parse(state.resolvedAt!) - Date.parse(state.startedAt))}): ` +
          'hubops refreshes only the timeline, so update the still-open notice, the duration, impact, root cause and due date yourself',
      );
    }
    let block = doc.slice(fresh.from, fresh.to);
    if (existing.includes('\r\n')) block = block.replace(/\r?\n/g, '\r\n');
    const newBlock = Buffer.from(block, 'utf8');
    if (existing.subarray(span.from, span.to).equals(newBlock)) return result({ refreshedTimeline: true, warnings });
    const next = Buffer.concat([existing.subarray(0, span.from), newBlock, existing.subarray(span.to)]);
    if (replaceIfUnchanged(path, existing, next)) return result({ refreshedTimeline: true, timelineChanged: true, warnings });
    // Someone saved the file while we worked: start over from their version.
  }
  throw new Error(`${path} kept changing while hubops refreshed its timeline; try again`);
}

function readIfExists(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function tempBeside(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${crypto().randomBytes(4).toString('hex')}.tmp`);
}

function writeSynced(file: string, data: Buffer, mode?: number): void {
  const fd = openSync(file, 'wx', mode ?? 0o644);
  try {
    if (mode !== undefined) fchmodSync(fd, mode);
    writeFileSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every platform can fsync a folder; the rename itself is still atomic.
  }
}

function removeQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

/** Writes `data` to `path` only if nothing is there: false when something is. */
function createExclusive(path: string, data: Buffer): boolean {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = tempBeside(path);
  writeSynced(tmp, data);
  try {
    linkSync(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      removeQuietly(tmp);
      return false;
    }
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS' && code !== 'EXDEV') {
      removeQuietly(tmp);
      throw e;
    }
    // No hard links on this file system: a plain rename, after one more look.
    if (readIfExists(path) !== undefined) {
      removeQuietly(tmp);
      return false;
    }
    renameSync(tmp, path);
    syncDir(dirname(path));
    return true;
  }
  removeQuietly(tmp);
  syncDir(dirname(path));
  return true;
}

/** Replaces the file with `next` (atomically, same mode) if it still holds `expected`. */
function replaceIfUnchanged(path: string, expected: Buffer, next: Buffer): boolean {
  const real = realpathSync(path);
  const mode = statSync(real).mode & 0o7777;
  const tmp = tempBeside(real);
  writeSynced(tmp, next, mode);
  const now = readIfExists(real);
  if (!now || !now.equals(expected)) {
    removeQuietly(tmp);
    return false;
  }
  renameSync(tmp, real);
  syncDir(dirname(real));
  return true;
}
