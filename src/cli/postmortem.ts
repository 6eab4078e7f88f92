/**
 * `hubops postmortem [ID]`: writes the post-mortem of an incident, or refreshes the timeline of the
 * one already written. Reads the journal only: it needs no lock (the incident may be open in a
 * console right now) and records nothing (the console records `postmortem-written` itself).
 */
import { basename } from 'node:path';
import { displayPath, type LoadedConfig } from '../config/load.js';
import { humanDuration, writePostmortem } from '../incident/postmortem.js';
import { incidentsDir, listIncidents, type IncidentSummary } from '../incident/session.js';
import { EXIT } from './exit-codes.js';

export interface PostmortemCommandOptions {
  loaded: LoadedConfig;
  /** An incident id (a unique prefix or the journal file's name will do); default: the most recent. */
  id?: string;
  say: (s: string) => void;
  /** Errors and warnings; `say` when not given. */
  warn?: (s: string) => void;
  now?: number;
  /** Paths are shown relative to this folder. Default: the process's. */
  cwd?: string;
  /** Instead of the shipped `templates/` (tests). */
  defaultTemplateDir?: string;
}

/** 0: written or refreshed; 1: the file was left alone (markers removed); 2: no such incident. */
export async function runPostmortemCommand(opts: PostmortemCommandOptions): Promise<number> {
  const { loaded, say } = opts;
  const warn = opts.warn ?? say;
  const now = opts.now ?? Date.now();
  const show = (p: string) => displayPath(p, opts.cwd ?? process.cwd());

  let incidents: IncidentSummary[];
  try {
    incidents = listIncidents(loaded.paths.journal);
  } catch (e) {
    warn(`cannot read the incident journals in ${show(incidentsDir(loaded.paths.journal))}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
  if (incidents.length === 0) {
    warn(`no incidents recorded in ${show(incidentsDir(loaded.paths.journal))}`);
    return EXIT.usage;
  }

  const picked = opts.id === undefined ? { found: incidents[0]! } : findIncident(incidents, opts.id);
  if ('error' in picked) {
    warn(picked.error);
    return EXIT.usage;
  }
  const { state } = picked.found;

  let result;
  try {
    result = await writePostmortem(state, {
      reportsDir: loaded.paths.reports,
      templateDirs: loaded.paths.templateDir ? [loaded.paths.templateDir] : [],
      defaultTemplateDir: opts.defaultTemplateDir,
      now,
    });
  } catch (e) {
    warn(`cannot write the post-mortem of ${state.id}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }

  const about =
    state.status === 'resolved' && state.resolvedAt
      ? `${state.id}: SEV${state.sev}, resolved after ${humanDuration(Date.parse(state.resolvedAt) - Date.parse(state.startedAt))}`
      : `${state.id}: SEV${state.sev}, STILL OPEN (${humanDuration(now - Date.parse(state.startedAt))} so far; the draft says so at the top)`;
  const path = show(result.path);
  if (result.created) say(`post-mortem created: ${path}\n  incident ${about}`);
  else if (result.timelineChanged) say(`post-mortem timeline refreshed: ${path} (${state.timeline.length} entries; everything outside the timeline markers kept as it was)\n  incident ${about}`);
  else if (result.refreshedTimeline) say(`post-mortem already up to date: ${path}\n  incident ${about}`);
  else say(`post-mortem left as it is: ${path}\n  incident ${about}`);
  for (const w of result.warnings) warn(`warning: ${w.replace(result.path, path)}`);
  return result.created || result.refreshedTimeline ? EXIT.ok : EXIT.failed;
}

/** By exact id, by journal file name or path, else by a unique prefix. */
function findIncident(incidents: IncidentSummary[], wanted: string): { found: IncidentSummary } | { error: string } {
  const id = basename(wanted).replace(/\.jsonl$/, '');
  const exact = incidents.find((i) => i.id === id);
  if (exact) return { found: exact };
  const prefixed = incidents.filter((i) => i.id.startsWith(id));
  if (prefixed.length === 1) return { found: prefixed[0]! };
  const list = (xs: IncidentSummary[]) => {
    const shown = xs.slice(0, 20).map((i) => `${i.id}${i.state.status === 'open' ? ' (open)' : ''}`);
    return `${shown.join(', ')}${xs.length > 20 ? `, … and ${xs.length - 20} more` : ''}`;
  };
  if (prefixed.length > 1) return { error: `"${wanted}" matches several incidents: ${list(prefixed)}; give the whole id` };
  return { error: `no incident "${wanted}"; known incidents, newest first: ${list(incidents)}` };
}
