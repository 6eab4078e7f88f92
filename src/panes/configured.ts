import type { Environment } from '../config/schema.js';

export type PaneId = 'containers' | 'logs' | 'health' | 'metrics';
/** `unknown`: sources are configured but nothing has been read from them yet. */
export type PaneStatus = 'ok' | 'degraded' | 'down' | 'stale' | 'unknown' | 'none';

export interface PaneModel {
  id: PaneId;
  title: string;
  status: PaneStatus;
  /** What the pane says, one entry per row, most important first. */
  lines: string[];
}

export const PANE_ORDER: readonly PaneId[] = ['containers', 'logs', 'health', 'metrics'];
export const PANE_TITLES: Record<PaneId, string> = {
  containers: 'Containers',
  logs: 'Logs',
  health: 'Health',
  metrics: 'Metrics',
};

const NOT_LIVE = 'live readings are not built into this version yet';

/** What each pane can say from the config alone, before (or without) any live source. */
export function configuredPanes(env: Environment): PaneModel[] {
  const pane = (id: PaneId, lines: string[]): PaneModel =>
    lines.length === 0
      ? { id, title: PANE_TITLES[id], status: 'none', lines: ['no source configured'] }
      : { id, title: PANE_TITLES[id], status: 'unknown', lines: [...lines, NOT_LIVE] };

  const docker = env.docker;
  const metrics = env.metrics;
  const metricLines: string[] = [];
  if (metrics) {
    const src = metrics.prometheus ? `prometheus ${metrics.prometheus}` : metrics.scrape ? `scrape ${metrics.scrape}` : undefined;
    if (src) {
      for (const key of ['errorRate', 'requestRate', 'p99', 'saturation'] as const) {
        if (metrics[key]) metricLines.push(`${key} from ${src}`);
      }
    }
    if (metrics.host) metricLines.push('host CPU, memory, disk and load of the target');
  }
  return [
    pane('containers', docker ? [`docker ${docker.socket}${docker.project ? `, compose project ${docker.project}` : ''}`] : []),
    pane(
      'logs',
      env.logs.map((l) => `${l.name}: ${l.container ? `container ${l.container}` : l.service ? `service ${l.service}` : l.file ? `file ${l.file}` : `command ${l.run}`}`),
    ),
    pane(
      'health',
      env.health.map((h) => `${h.name}: ${h.http ? `http ${h.http}` : h.tcp ? `tcp ${h.tcp}` : h.run ? `run ${h.run}` : `container ${h.container}`}`),
    ),
    pane('metrics', metricLines),
  ];
}
