import { Text } from 'ink';
import { formatDuration } from '../../src/config/duration.js';
import type { ContainerRow } from '../../src/live/events.js';
import { useTheme } from '../theme.js';

export function formatBytes(n: number | undefined): string {
  if (n === undefined) return '';
  if (n < 1024 * 1024) return `${Math.round(n / 1024)}K`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(0)}M`;
  return `${(n / 1024 ** 3).toFixed(1)}G`;
}

export function ContainersBody({ rows, width, maxRows, now, selected }: { rows: ContainerRow[]; width: number; maxRows: number; now: number; selected?: number }) {
  const theme = useTheme();
  if (rows.length === 0) return <Text dimColor>no containers</Text>;
  // Columns go from the right when the pane is narrow: it keeps what matters at 3 a.m. (name,
  // state, restarts, uptime) rather than cutting a row mid-column.
  const nameW = Math.max(8, Math.min(22, Math.max(...rows.map((r) => r.name.length), 4), width - 11));
  const columns: { head: string; w: number; cell: (r: ContainerRow) => string }[] = [
    { head: 'RST', w: 3, cell: (r) => String(r.restarts) },
    { head: 'UP', w: 6, cell: (r) => (r.startedAt !== undefined && r.state === 'running' ? formatDuration(Math.max(0, now - r.startedAt)) : '-') },
    { head: 'CPU', w: 5, cell: (r) => (r.cpuPct === undefined ? '' : `${r.cpuPct.toFixed(0)}%`) },
    { head: 'MEM', w: 5, cell: (r) => formatBytes(r.memBytes) },
  ];
  let used = nameW + 1 + 10;
  const shown = columns.filter((c) => (used + 1 + c.w <= width ? ((used += 1 + c.w), true) : false));
  const tagW = width - used - 1;
  const head = `${'NAME'.padEnd(nameW)} ${'STATE'.padEnd(10)}${shown.map((c) => ` ${c.head.padStart(c.w)}`).join('')}${tagW >= 6 ? ' TAG' : ''}`;
  return (
    <>
      <Text dimColor wrap="truncate-end">
        {head}
      </Text>
      {rows.slice(0, Math.max(0, maxRows - 1)).map((r, i) => {
        const state = r.health && r.state === 'running' ? r.health : r.state;
        const bad = r.state !== 'running' || r.health === 'unhealthy';
        const warn = r.health === 'starting' || r.state === 'restarting';
        const color = bad ? theme.status.down : warn ? theme.status.degraded : theme.status.ok;
        return (
          <Text key={r.id} wrap="truncate-end" inverse={selected === i}>
            {r.name.padEnd(nameW).slice(0, nameW)} <Text color={color}>{state.padEnd(10).slice(0, 10)}</Text>
            {shown.map((c) => ` ${c.cell(r).padStart(c.w)}`).join('')}
            {tagW >= 6 ? ` ${r.tag.slice(0, tagW)}` : ''}
          </Text>
        );
      })}
    </>
  );
}
