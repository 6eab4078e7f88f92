import type { ReactElement } from 'react';
import { Text } from 'ink';
import { sparkline } from '../../src/metrics/chart.js';
import type { LiveState } from '../../src/panes/live-state.js';
import { formatMetric, METRIC_LABELS } from '../../src/panes/views.js';
import { useTheme } from '../theme.js';

const LABEL_W = 13;
const VALUE_W = 9;

/**
 * One row per metric with its value and a sparkline of the recent window; when the pane has room
 * to spare, braille charts under the first metrics (the application ones come first).
 */
export function MetricsBody({ names, state, width, maxRows, chart }: { names: string[]; state: LiveState; width: number; maxRows: number; chart?: (points: { t: number; v: number | null }[], width: number, height: number) => string[] }) {
  const theme = useTheme();
  const sparkW = Math.max(0, width - LABEL_W - VALUE_W - 2);
  const spare = maxRows - names.length;
  const chartHeight = 3;
  let chartsLeft = chart ? Math.floor(spare / chartHeight) : 0;
  const lines: ReactElement[] = [];
  for (const name of names) {
    const r = state.metrics.readings[name];
    const history = state.metrics.history[name] ?? [];
    const value = r ? formatMetric(r.value, r.unit) : 'waiting';
    lines.push(
      <Text key={name} wrap="truncate-end">
        <Text bold>{(METRIC_LABELS[name] ?? name).padEnd(LABEL_W)}</Text>
        <Text dimColor={!r}>{value.padStart(VALUE_W - 1).padEnd(VALUE_W)}</Text>
        {sparkW >= 8 && !chartsLeft ? <Text color={theme.accent}> {sparkline(history.map((p) => p.v).slice(-sparkW), sparkW)}</Text> : null}
      </Text>,
    );
    if (chart && chartsLeft > 0 && history.length > 0) {
      chartsLeft--;
      chart(history, width, chartHeight).forEach((row, i) =>
        lines.push(
          <Text key={`${name}-c${i}`} color={theme.accent} wrap="truncate-end">
            {row}
          </Text>,
        ),
      );
    }
  }
  return <>{lines.slice(0, maxRows)}</>;
}
