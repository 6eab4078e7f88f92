/**
 * The real world behind the incident UI: journal and report folders from the config, runbooks
 * from disk, the environment's targets, health probes, OSC 52 to the terminal, the webhook.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../../src/config/load.js';
import { isProduction } from '../../src/config/load.js';
import { osc52, postWebhook } from '../../src/incident/comms.js';
import type { Sev } from '../../src/incident/events.js';
import { writePostmortem } from '../../src/incident/postmortem.js';
import { verifyNow } from '../../src/incident/verify.js';
import type { LiveSession } from '../../src/live/session.js';
import type { LoadedRunbook } from '../../src/runbooks/load.js';
import { containerHealth } from '../../src/sources/container-health.js';
import { openTarget } from '../../src/targets/index.js';
import type { Target } from '../../src/targets/target.js';
import type { IncidentDeps } from './controller.js';
import { DEFAULT_SEVERITY_TEXT } from './ui-state.js';

/**
 * Every runbook, from the folders in the order `hubops check` reads them: shipped, the config's
 * runbooks/, then `runbooks:`. The markdown parser is loaded here, when runbooks are first wanted,
 * not when the console starts.
 */
export async function loadAllRunbooks(loaded: LoadedConfig, packageRoot?: string): Promise<LoadedRunbook[]> {
  const { loadRunbooks, shippedRunbooksDir } = await import('../../src/runbooks/load.js');
  const dirs = [packageRoot ? join(packageRoot, 'runbooks') : shippedRunbooksDir(), join(loaded.dir, 'runbooks'), ...loaded.paths.runbookDirs];
  return (await loadRunbooks([...new Set(dirs.filter((d): d is string => d !== undefined && existsSync(d)))])).runbooks;
}

/** Severity settings from the config (`severities.sevN.respond` / `.description`) over the defaults. */
export function severitySettings(loaded: LoadedConfig): { responseMs: Partial<Record<Sev, number>>; descriptions: Record<Sev, string> } {
  const sv = loaded.config.severities ?? {};
  const responseMs: Partial<Record<Sev, number>> = {};
  const descriptions = { ...DEFAULT_SEVERITY_TEXT };
  for (const s of [1, 2, 3] as const) {
    const c = sv[`sev${s}`];
    if (c?.respond !== undefined) responseMs[s] = c.respond;
    if (c?.description) descriptions[s] = c.description;
  }
  return { responseMs, descriptions };
}

export function realIncidentDeps(opts: {
  loaded: LoadedConfig;
  envName: string;
  readonly: boolean;
  live: LiveSession;
  packageRoot?: string;
  stdout: NodeJS.WriteStream;
  env: NodeJS.ProcessEnv;
}): { deps: IncidentDeps; close: () => Promise<void> } {
  const { loaded, envName, live } = opts;
  const { config } = loaded;
  const env = config.environments[envName]!;
  const others = new Map<string, Target>();
  const { responseMs, descriptions } = severitySettings(loaded);
  const deps: IncidentDeps = {
    journalDir: loaded.paths.journal,
    reportsDir: loaded.paths.reports,
    configDir: loaded.dir,
    templateDirs: loaded.paths.templateDir ? [loaded.paths.templateDir] : [],
    envName,
    environments: config.environments,
    isProduction,
    readonly: opts.readonly,
    responseMs,
    updateEveryMs: config.comms.updateEvery,
    descriptions,
    channel: config.comms.channel,
    webhook: config.comms.webhook,
    vars: Object.fromEntries(Object.entries(opts.env).filter(([k]) => k.startsWith('HUBOPS_'))),
    loadRunbooks: () => loadAllRunbooks(loaded, opts.packageRoot),
    target: (name) => {
      if (name === envName) return live.target;
      let t = others.get(name);
      if (!t) {
        const e = config.environments[name];
        if (!e) throw new Error(`no environment ${name}`);
        t = openTarget(e.target, e.ssh);
        others.set(name, t);
      }
      return t;
    },
    verify: () => verifyNow(env.health, { target: live.target, containerHealth: live.docker ? (name) => containerHealth(live.docker!, name) : undefined }, envName),
    copy: (text) => {
      try {
        // Plain OSC 52 (a terminal, or tmux with set-clipboard on, which keeps it as a paste buffer
        // too); inside tmux also the passthrough form (allow-passthrough on) for the outer terminal.
        opts.stdout.write(osc52(text) + (opts.env.TMUX ? osc52(text, { tmux: true }) : ''));
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
    postWebhook: (url, text) => postWebhook(url, text),
    writePostmortem: async (state) => {
      const r = await writePostmortem(state, { reportsDir: loaded.paths.reports, templateDirs: loaded.paths.templateDir ? [loaded.paths.templateDir] : [] });
      return { path: r.path, warnings: r.warnings };
    },
  };
  return { deps, close: async () => void (await Promise.allSettled([...others.values()].map((t) => t.close()))) };
}
