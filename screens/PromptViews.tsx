import { Box, Text } from 'ink';
import type { Rect } from './layout.js';
import type { Prompt } from './shell-state.js';
import { useTheme } from './theme.js';

/** The bottom line while a filter is typed. */
export function FilterLine({ width, text }: { width: number; text: string }) {
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-start">
        <Text bold>filter: </Text>
        {text}
        <Text inverse> </Text>
      </Text>
    </Box>
  );
}

/** A confirm box over the panes: what will happen, and what to type. */
export function ConfirmBox({ rect, prompt }: { rect: Rect; prompt: Extract<Prompt, { kind: 'confirm' }> }) {
  const theme = useTheme();
  const width = Math.min(rect.width, 70);
  const left = rect.left + Math.floor((rect.width - width) / 2);
  const height = Math.min(rect.height, 9);
  const top = rect.top + Math.floor((rect.height - height) / 2);
  return (
    <Box position="absolute" left={left} top={top} width={width} height={height} flexDirection="column" borderStyle="double" borderColor={theme.status.down} paddingX={1}>
      <Text bold wrap="truncate-end">
        {prompt.title}
      </Text>
      <Text wrap="wrap">{prompt.body}</Text>
      <Box flexGrow={1} />
      <Text wrap="truncate-start">
        {prompt.typeToConfirm ? `type ${prompt.typeToConfirm}: ` : 'y to confirm: '}
        {prompt.text}
        <Text inverse> </Text>
      </Text>
    </Box>
  );
}
