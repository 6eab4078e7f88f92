import type { ReactElement } from 'react';
import { Text } from 'ink';
import type { LiveState } from '../../src/panes/live-state.js';
import { formatMetric, METRIC_LABELS } from '../../src/panes/views.js';
import { useTheme } from '../theme.js';

export function MetricsBody({ names, state, width, maxRows, chart }: { names: string[]; state: LiveState; width: number; maxRows: number; chart?: (points: { t: number; v: number | null }[], width: number, height: number) => string[] }) {
  const theme = useTheme();
  const lines: { key: string; el: ReactElement }[] = [];
  // One row per metric; a chart under each when there is room for every metric to have one.
  const chartRows = chart ? Math.floor((maxRows - names.length) / Math.max(1, names.length)) : 0;
  for (const name of names) {
    const r = state.metrics.readings[name];
    const label = (METRIC_LABELS[name] ?? name).padEnd(13);
    lines.push({
      key: name,
      el: (
        <Text key={name} wrap="truncate-end">
          <Text bold>{label}</Text> {r ? formatMetric(r.value, r.unit) : <Text dimColor>waiting</Text>}
        </Text>
      ),
    });
    if (chart && chartRows >= 2) {
      const rows = chart(state.metrics.history[name] ?? [], width, Math.min(chartRows, 6));
      rows.forEach((row, i) =>
        lines.push({
          key: `${name}-c${i}`,
          el: (
            <Text key={`${name}-c${i}`} color={theme.accent} wrap="truncate-end">
              {row}
            </Text>
          ),
        }),
      );
    }
  }
  return <>{lines.slice(0, maxRows).map((l) => l.el)}</>;
}
