import { Box, Text } from 'ink';
import { useTheme } from './theme.js';

export function TopBar({ width, project, env, production, readonly, clock, release }: { width: number; project: string; env: string; production: boolean; readonly: boolean; clock: string; release?: string }) {
  const theme = useTheme();
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end" inverse>
        {' hubops '}
      </Text>
      <Text wrap="truncate-end">
        {' '}
        {project} / <Text bold color={production ? (theme.color ? 'red' : undefined) : theme.accent}>{env}</Text>
        {production ? ' (production)' : ''}
        {readonly ? ' [read-only]' : ''}
        {release ? ' · ' : ''}
        {release ? <Text bold color={theme.accent}>{release}</Text> : null}
      </Text>
      <Box flexGrow={1} />
      <Text>{clock} </Text>
    </Box>
  );
}

export function BottomBar({ width, keys, message }: { width: number; keys: { key: string; label: string }[]; message?: { text: string; error: boolean } }) {
  const theme = useTheme();
  return (
    <Box width={width} height={1}>
      {message ? (
        <Box flexShrink={0}>
          <Text color={message.error ? theme.status.down : theme.accent} bold>
            {clip(message.text, Math.max(20, width - 24))}
            {'  '}
          </Text>
        </Box>
      ) : null}
      <Text wrap="truncate-end">
        {keys.map((k, i) => (
          <Text key={i}>
            <Text bold color={theme.accent} inverse={!theme.color}>
              {k.key}
            </Text>
            {` ${k.label}  `}
          </Text>
        ))}
      </Text>
    </Box>
  );
}

/** Cuts text to a width with an ellipsis, so the keys after it keep some room. */
function clip(text: string, width: number): string {
  return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
