import { Box, Text } from 'ink';
import type { Rect } from './layout.js';
import { useTheme } from './theme.js';

export function HelpOverlay({ rect, keys }: { rect: Rect; keys: { key: string; label: string }[] }) {
  const theme = useTheme();
  const rows = Math.max(0, rect.height - 4);
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
      {keys.slice(0, rows).map((k, i) => (
        <Text key={i} wrap="truncate-end">
          <Text bold color={theme.accent}>{k.key.padEnd(10)}</Text>
          {k.label}
        </Text>
      ))}
    </Box>
  );
}
