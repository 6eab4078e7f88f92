/**
 * `hubops incident`: declares an incident (`--sev N --title T`), or resumes the open one. In a
 * terminal the console opens on it; in plain mode (pipes, CI, --plain / --json) it prints.
 */
import { displayPath, type LoadedConfig } from '../config/load.js';
import { formatClock, incidentClock } from '../incident/clock.js';
import type { Sev } from '../incident/events.js';
import { humanDuration } from '../incident/postmortem.js';
import { IncidentSession, incidentsDir, listIncidents } from '../incident/session.js';
import type { IncidentState } from '../incident/state.js';
import { EXIT } from './exit-codes.js';

export interface IncidentCommandOptions {
  loaded: LoadedConfig;
  envName: string;
  values: Record<string, string | boolean | string[] | undefined>;
  /** Draw the console (a terminal and no --plain / --json); else print. */
  interactive: boolean;
  /** --readonly (or `readonly: true`): nothing is declared, the open incident is only watched. */
  readonly?: boolean;
  json: boolean;
  say: (s: string) => void;
  warn: (s: string) => void;
  cwd: string;
  openConsole: (session: IncidentSession, declared: boolean) => Promise<number>;
  now?: () => number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export async function runIncidentCommand(o: IncidentCommandOptions): Promise<number> {
  const sevText = str(o.values.sev);
  const title = str(o.values.title)?.trim();
  const symptom = str(o.values.symptom)?.trim() ?? '';
  const service = str(o.values.service)?.trim() ?? '';
  const show = (p: string) => displayPath(p, o.cwd);
  const journalDir = o.loaded.paths.journal;

  if (sevText !== undefined || title !== undefined || o.values.symptom !== undefined || o.values.service !== undefined) {
    if (sevText === undefined || !/^[123]$/.test(sevText.trim())) {
      o.warn(sevText === undefined ? 'declaring needs --sev 1, 2 or 3 (when unsure between two, take the higher: the smaller number)' : `--sev ${sevText}: expected 1, 2 or 3`);
      return EXIT.usage;
    }
    if (!title) {
      o.warn('declaring needs --title TEXT (what is broken, in a few words)');
      return EXIT.usage;
    }
    if (o.readonly) {
      o.warn('read-only (--readonly or readonly: true in the config): nothing is declared');
      return EXIT.usage;
    }
    let session: IncidentSession;
    try {
      session = IncidentSession.declare(journalDir, { sev: Number(sevText) as Sev, title, symptom, service, env: o.envName }, { now: o.now });
    } catch (e) {
      o.warn(`cannot declare: ${(e as Error).message}`);
      return EXIT.failed;
    }
    if (o.interactive) return o.openConsole(session, true);
    const s = session.state;
    session.close();
    if (o.json) o.say(JSON.stringify({ id: s.id, sev: s.sev, title: s.title, journal: session.file, commander: s.roles.commander }));
    else o.say(`declared ${s.id} (SEV${s.sev}: ${s.title}); commander ${s.roles.commander}\njournal: ${show(session.file)}`);
    return EXIT.ok;
  }

  const open = listIncidents(journalDir).find((i) => i.state.status === 'open');
  if (!open) {
    o.warn(
      `no open incident in ${show(incidentsDir(journalDir))}; declare one with\n` +
        `  hubops incident --sev 1 --title "what is broken" [--symptom TEXT] [--service NAME]\n` +
        'or press i in the console',
    );
    return EXIT.failed;
  }
  if (o.interactive) {
    let session: IncidentSession;
    try {
      session = IncidentSession.open(open.file, { readonly: o.readonly });
    } catch (e) {
      o.warn(`cannot open ${show(open.file)}: ${(e as Error).message}`);
      return EXIT.failed;
    }
    return o.openConsole(session, false);
  }
  const s = open.state;
  if (o.json) o.say(JSON.stringify({ id: s.id, sev: s.sev, title: s.title, status: s.status, phase: s.phase, startedAt: s.startedAt, journal: open.file, roles: s.roles, timeline: s.timeline }));
  else o.say(summaryLines(s, open.file, show, o.loaded, (o.now ?? Date.now)()).join('\n'));
  return EXIT.ok;
}

/** The open incident in plain lines: what, since when, the clocks, and its timeline. */
export function summaryLines(s: IncidentState, file: string, show: (p: string) => string, loaded: LoadedConfig, now: number): string[] {
  const sv = loaded.config.severities ?? {};
  const responseMs = { 1: sv.sev1?.respond, 2: sv.sev2?.respond, 3: sv.sev3?.respond } as Partial<Record<Sev, number>>;
  for (const k of [1, 2, 3] as const) if (responseMs[k] === undefined) delete responseMs[k];
  const c = incidentClock(s, now, { responseMs, updateEveryMs: loaded.config.comms.updateEvery });
  const response =
    c.respondedInMs !== undefined ? `responded in ${humanDuration(c.respondedInMs)}` : (c.responseLeftMs ?? 0) >= 0 ? `respond in ${formatClock(c.responseLeftMs ?? 0)}` : `response target missed by ${formatClock(-(c.responseLeftMs ?? 0))}`;
  const next = c.nextUpdateInMs === undefined ? '' : c.overdue ? `next update OVERDUE by ${formatClock(-c.nextUpdateInMs)}` : `next update in ${formatClock(c.nextUpdateInMs)}`;
  return [
    `${s.id}: SEV${s.sev} ${s.title} (open, ${s.phase})`,
    `started ${s.startedAt} · ${formatClock(c.elapsedMs)} ago · ${response}${next ? ` · ${next}` : ''}`,
    `roles: ${Object.entries(s.roles).map(([r, w]) => `${r} ${w}`).join(', ')}`,
    `journal: ${show(file)}`,
    'timeline:',
    ...s.timeline.map((t) => `  ${t.at.slice(11, 19)} ${t.by}: ${t.text}`),
  ];
}
