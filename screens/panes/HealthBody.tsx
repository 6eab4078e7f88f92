import { Text } from 'ink';
import type { HealthRow } from '../../src/panes/views.js';
import { useTheme } from '../theme.js';

export function HealthBody({ rows, maxRows }: { rows: HealthRow[]; maxRows: number }) {
  const theme = useTheme();
  const nameW = Math.min(16, Math.max(...rows.map((r) => r.name.length), 4));
  return (
    <>
      {rows.slice(0, maxRows).map((r) => {
        const mark = r.ok === undefined ? '?' : r.ok ? '●' : '✖';
        const color = r.ok === undefined ? theme.status.unknown : r.ok ? theme.status.ok : theme.status.down;
        const facts = [
          r.age ? `(${r.age})` : '',
          r.failures > 0 ? `${r.failures}× failed` : '',
          r.latencyMs !== undefined ? `${r.latencyMs}ms` : '',
          r.since ? `for ${r.since}` : '',
        ].filter(Boolean);
        return (
          <Text key={r.name} wrap="truncate-end">
            <Text color={color}>{mark} </Text>
            <Text bold>{r.name.padEnd(nameW).slice(0, nameW)}</Text> {r.detail}
            <Text dimColor={theme.dim}>{facts.length ? `  ${facts.join(' ')}` : ''}</Text>
          </Text>
        );
      })}
    </>
  );
}
