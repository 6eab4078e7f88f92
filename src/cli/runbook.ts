/**
 * `hubops runbook [ID]`: lists the runbooks (shipped, the config folder's runbooks/, then the
 * folders under `runbooks:`), or prints one's steps. Stepping through one, with progress kept in
 * the incident's journal, happens in the console (`b` during an incident).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { displayPath, type LoadedConfig } from '../config/load.js';
import { SECTION_TITLES, STEP_SECTIONS } from '../runbooks/parse.js';
import { loadRunbooks, type LoadedRunbook } from '../runbooks/load.js';
import { closest } from '../util/closest.js';
import { EXIT } from './exit-codes.js';

export async function runRunbookCommand(o: { loaded: LoadedConfig; packageRoot: string; id?: string; json: boolean; say: (s: string) => void; warn: (s: string) => void; cwd: string }): Promise<number> {
  const dirs = [...new Set([join(o.packageRoot, 'runbooks'), join(o.loaded.dir, 'runbooks'), ...o.loaded.paths.runbookDirs])].filter((d) => existsSync(d));
  const { runbooks, problems } = await loadRunbooks(dirs);
  for (const p of problems) if (p.severity === 'error') o.warn(`${displayPath(p.file, o.cwd)}:${p.line}: ${p.message}`);
  if (o.id === undefined) {
    if (o.json) {
      o.say(JSON.stringify(runbooks.map((r) => ({ id: r.id, title: r.title, severity: r.severity, services: r.services, steps: steps(r).length, file: r.file }))));
      return EXIT.ok;
    }
    if (runbooks.length === 0) {
      o.warn(`no runbooks in ${dirs.map((d) => displayPath(d, o.cwd)).join(', ') || 'any folder'}`);
      return EXIT.failed;
    }
    const w = Math.max(...runbooks.map((r) => r.id.length));
    for (const r of runbooks) {
      const sev = r.severity.map((s) => `SEV${s}`).join('/');
      const svc = r.services.length > 0 ? r.services.join(', ') : 'any service';
      o.say(`${r.id.padEnd(w)}  ${r.title} (${sev}; ${svc}; ${steps(r).length} steps)`);
    }
    o.say('\n`hubops runbook ID` prints one; during an incident, `b` in the console steps through it.');
    return EXIT.ok;
  }
  const rb = runbooks.find((r) => r.id === o.id);
  if (!rb) {
    const hint = closest(o.id, runbooks.map((r) => r.id));
    o.warn(`no runbook "${o.id}"${hint ? ` (did you mean ${hint}?)` : ''}; \`hubops runbook\` lists them`);
    return EXIT.usage;
  }
  if (o.json) {
    o.say(JSON.stringify({ ...rb, sections: undefined, fieldLines: undefined }));
    return EXIT.ok;
  }
  o.say(runbookText(rb, (p) => displayPath(p, o.cwd)).join('\n'));
  return EXIT.ok;
}

function steps(r: LoadedRunbook) {
  return [...r.diagnosis, ...r.resolution, ...r.rollback];
}

/** A runbook as plain text: its steps with their ids and commands, as written (never templated). */
export function runbookText(rb: LoadedRunbook, show: (p: string) => string): string[] {
  const out = [`${rb.title} (${rb.id})`, `severity ${rb.severity.map((s) => `SEV${s}`).join('/')}; ${rb.services.length > 0 ? rb.services.join(', ') : 'any service'}; ${show(rb.file)}`];
  if (rb.summary) out.push(rb.summary);
  const vars = Object.entries(rb.env);
  if (vars.length > 0) out.push('', 'Variables the commands use (set them in the environment hubops runs in):', ...vars.map(([k, v]) => `  ${k}: ${v}`));
  if (rb.symptoms) out.push('', 'Symptoms', ...rb.symptoms.split('\n').map((l) => `  ${l}`));
  for (const section of STEP_SECTIONS) {
    const list = rb[section];
    if (list.length === 0) continue;
    out.push('', SECTION_TITLES[section]);
    for (const st of list) {
      out.push(`  [ ] ${st.id}: ${st.text}`);
      if (st.command) {
        out.push(`      ${st.command.target ? `on ${st.command.target}` : 'on the current environment'}:`);
        for (const l of st.command.code.split('\n')) out.push(`      $ ${l}`);
      }
    }
  }
  return out;
}
