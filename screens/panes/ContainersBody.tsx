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
  const nameW = Math.min(22, Math.max(...rows.map((r) => r.name.length), 4));
  const wide = width >= 70;
  const head = `${'NAME'.padEnd(nameW)} ${'STATE'.padEnd(10)} ${'RST'.padStart(3)} ${'UP'.padStart(6)} ${'CPU'.padStart(5)} ${'MEM'.padStart(5)}${wide ? ' TAG' : ''}`;
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
        const up = r.startedAt !== undefined && r.state === 'running' ? formatDuration(Math.max(0, now - r.startedAt)) : '-';
        const cpu = r.cpuPct === undefined ? '' : `${r.cpuPct.toFixed(0)}%`;
        return (
          <Text key={r.id} wrap="truncate-end" inverse={selected === i}>
            {r.name.padEnd(nameW).slice(0, nameW)} <Text color={color}>{state.padEnd(10).slice(0, 10)}</Text> {String(r.restarts).padStart(3)} {up.padStart(6)}{' '}
            {cpu.padStart(5)} {formatBytes(r.memBytes).padStart(5)}
            {wide ? ` ${r.tag}` : ''}
          </Text>
        );
      })}
    </>
  );
}
