import type { LoadedConfig } from '../config/load.js';
import { LiveSession } from '../live/session.js';
import type { LiveState } from '../panes/live-state.js';
import { containersView, formatMetric, healthView, logsView, metricsView, METRIC_LABELS, type ViewContext } from '../panes/views.js';

/** Waits for every configured source's first answer (or its error), within `timeoutMs`. */
export function settled(s: LiveState, loaded: LoadedConfig, envName: string, rows = false): boolean {
  const env = loaded.config.environments[envName]!;
  const healthDone = env.health.every((h) => s.health[h.name]?.last !== undefined);
  const containersDone = (!env.docker && !rows) || s.containers.at !== undefined || Object.keys(s.errors.containers).length > 0;
  const metricsDone = !env.metrics || s.metrics.at !== undefined || Object.keys(s.errors.metrics).length > 0;
  const linkDown = s.link?.state === 'disconnected';
  return (healthDone && containersDone && metricsDone) || linkDown;
}

export interface Snapshot {
  project: string;
  env: string;
  target: string;
  at: string;
  ok: boolean;
  panes: {
    containers: ReturnType<typeof containersView>;
    logs: ReturnType<typeof logsView>;
    health: ReturnType<typeof healthView>;
    metrics: ReturnType<typeof metricsView> & { readings: LiveState['metrics']['readings'] };
  };
}

export async function takeSnapshot(loaded: LoadedConfig, envName: string, opts: { now?: () => number; timeoutMs?: number; rows?: ConstructorParameters<typeof LiveSession>[3] } = {}): Promise<Snapshot> {
  const now = opts.now ?? Date.now;
  const env = loaded.config.environments[envName]!;
  const session = await LiveSession.open(loaded, envName, now, opts.rows);
  const timeoutMs = opts.timeoutMs ?? Math.max(5000, ...env.health.map((h) => h.timeout + 1000));
  session.start();
  try {
    await new Promise<void>((resolve) => {
      const deadline = setTimeout(done, timeoutMs);
      const unsubscribe = session.store.subscribe(() => settled(session.store.getState(), loaded, envName, opts.rows !== undefined) && done());
      function done() {
        clearTimeout(deadline);
        unsubscribe();
        resolve();
      }
      if (settled(session.store.getState(), loaded, envName, opts.rows !== undefined)) done();
    });
  } finally {
    await session.stop();
  }
  const s = session.store.getState();
  const ctx: ViewContext = { env, now: now(), refreshMs: env.refresh, processRows: opts.rows !== undefined };
  const health = healthView(s, ctx);
  return {
    project: loaded.config.project,
    env: envName,
    target: env.target,
    at: new Date(ctx.now).toISOString(),
    ok: health.rows.every((r) => r.ok !== false),
    panes: {
      containers: containersView(s, ctx),
      logs: logsView(s, ctx),
      health,
      metrics: { ...metricsView(s, ctx), readings: s.metrics.readings },
    },
  };
}

export function snapshotLines(snap: Snapshot): string[] {
  const out = [`${snap.project} / ${snap.env} (${snap.target}) at ${snap.at}`];
  const head = (name: string, p: { status: string; age?: string; notices: string[] }) => {
    out.push(`${name}: ${p.status}${p.age ? ` (${p.age})` : ''}`);
    for (const n of p.notices) out.push(`  ! ${n}`);
  };
  const { containers, logs, health, metrics } = snap.panes;
  head('containers', containers);
  for (const r of containers.rows) {
    out.push(`  ${r.name}  ${r.health ?? r.state}  restarts=${r.restarts}  ${r.tag}${r.cpuPct !== undefined ? `  cpu=${r.cpuPct.toFixed(0)}%` : ''}`);
  }
  head('logs', logs);
  head('health', health);
  for (const r of health.rows) {
    const mark = r.ok === undefined ? '?' : r.ok ? 'ok  ' : 'FAIL';
    out.push(`  ${mark} ${r.name}: ${r.detail}${r.latencyMs !== undefined ? ` (${r.latencyMs} ms)` : ''}`);
  }
  head('metrics', metrics);
  for (const name of metrics.names) {
    const r = metrics.readings[name];
    out.push(`  ${METRIC_LABELS[name] ?? name}: ${r ? formatMetric(r.value, r.unit) : 'no reading'}`);
  }
  return out;
}

