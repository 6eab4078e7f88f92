import { Box, Text } from 'ink';
import type { Rect } from './layout.js';
import { useTheme, type Theme } from './theme.js';

/** A run of styled text; a Line is a row of them. Panels build Lines purely, this draws them. */
export interface Piece {
  text: string;
  tone?: 'alarm' | 'ok' | 'warn' | 'accent' | 'dim';
  bold?: boolean;
  inverse?: boolean;
}
export type Line = Piece[];

export function toneColor(theme: Theme, tone: Piece['tone']): string | undefined {
  return tone === 'alarm' ? theme.status.down : tone === 'ok' ? theme.status.ok : tone === 'warn' ? theme.status.degraded : tone === 'accent' ? theme.accent : undefined;
}

/**
 * A bordered panel over part of the screen (incident, release): a title and the rows that fit,
 * each padded to the full width so nothing underneath shows through.
 */
export function LinesPanel({ rect, title, lines, borderColor }: { rect: Rect; title: string; lines: Line[]; borderColor?: string }) {
  const theme = useTheme();
  const inner = Math.max(10, rect.width - 4);
  const rows = Math.max(1, rect.height - 2);
  return (
    <Box position="absolute" left={rect.left} top={rect.top} width={rect.width} height={rect.height} flexDirection="column" borderStyle="double" borderColor={borderColor} paddingX={1} overflow="hidden">
      <Text wrap="truncate-end" bold>
        {title.padEnd(inner)}
      </Text>
      {lines.slice(0, rows - 1).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.map((p, j) => (
            <Text key={j} color={toneColor(theme, p.tone)} dimColor={p.tone === 'dim'} bold={p.bold} inverse={p.inverse}>
              {p.text}
            </Text>
          ))}
          {' '.repeat(Math.max(0, inner - line.reduce((n, p) => n + p.text.length, 0)))}
        </Text>
      ))}
    </Box>
  );
}
