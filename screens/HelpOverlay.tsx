import { Box, Text } from 'ink';
import type { Rect } from './layout.js';
import { useTheme } from './theme.js';

export function HelpOverlay({ rect, keys }: { rect: Rect; keys: { key: string; label: string }[] }) {
  const theme = useTheme();
  const rows = Math.max(0, rect.height - 4);
  const inner = Math.max(0, rect.width - 4);
  // Two columns when one is not tall enough and the screen is wide enough.
  const columns = keys.length > rows && inner >= 60 ? 2 : 1;
  const perColumn = columns === 2 ? Math.ceil(keys.length / 2) : rows;
  const colWidth = Math.floor(inner / columns);
  const lines: { key: string; label: string }[][] = [];
  for (let r = 0; r < Math.min(rows, perColumn); r++) {
    const row: { key: string; label: string }[] = [];
    for (let c = 0; c < columns; c++) {
      const k = keys[c * perColumn + r];
      if (k) row.push(k);
    }
    lines.push(row);
  }
  return (
    <Box
      position="absolute"
      left={rect.left}
      top={rect.top}
      width={rect.width}
      height={rect.height}
      flexDirection="column"
      borderStyle="double"
      borderColor={theme.accent}
      paddingX={1}
    >
      <Text bold wrap="truncate-end">
        Help — the keys that work now
      </Text>
      <Text> </Text>
      {lines.map((row, i) => (
        <Text key={i} wrap="truncate-end">
          {row.map((k, j) => (
            <Text key={j}>
              <Text bold color={theme.accent}>
                {k.key.padEnd(10)}
              </Text>
              {j < row.length - 1 ? k.label.slice(0, colWidth - 11).padEnd(colWidth - 10) : k.label}
            </Text>
          ))}
        </Text>
      ))}
    </Box>
  );
}
