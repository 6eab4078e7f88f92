export type PaneId = 'containers' | 'logs' | 'health' | 'metrics';
/** `unknown`: sources are configured but nothing has been read from them yet; `none`: nothing configured. */
export type PaneStatus = 'ok' | 'degraded' | 'down' | 'stale' | 'unknown' | 'none';

export const PANE_ORDER: readonly PaneId[] = ['containers', 'logs', 'health', 'metrics'];
export const PANE_TITLES: Record<PaneId, string> = {
  containers: 'Containers',
  logs: 'Logs',
  health: 'Health',
  metrics: 'Metrics',
};
