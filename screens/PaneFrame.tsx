import type { ReactNode } from 'react';
import { Box, Text } from 'ink';
import type { PaneHeader } from '../src/panes/views.js';
import type { Rect } from './layout.js';
import { STATUS_MARK, useTheme } from './theme.js';

/** Border, title, status mark and age of a pane; the body gets the rows that are left. */
export function PaneFrame(props: {
  title: string;
  index: number;
  rect: Rect;
  focused: boolean;
  header: PaneHeader;
  /** Extra text after the status, e.g. "follow" or "3 dropped". */
  extra?: string;
  children: (size: { width: number; rows: number }) => ReactNode;
}) {
  const theme = useTheme();
  const { rect, header } = props;
  const inner = Math.max(0, rect.width - 4);
  const notices = header.notices.slice(0, Math.max(0, rect.height - 4));
  const bodyRows = Math.max(0, rect.height - 3 - notices.length);
  return (
    <Box
      position="absolute"
      left={rect.left}
      top={rect.top}
      width={rect.width}
      height={rect.height}
      flexDirection="column"
      borderStyle={props.focused ? 'double' : 'round'}
      borderColor={props.focused ? theme.accent : undefined}
      paddingX={1}
      overflow="hidden"
    >
      <Box width={inner} height={1}>
        <Text wrap="truncate-end">
          <Text bold={props.focused} inverse={props.focused && !theme.color}>
            {props.index + 1} {props.title}
          </Text>{' '}
          <Text color={theme.status[header.status]}>{STATUS_MARK[header.status]}</Text>
          {header.age ? <Text color={theme.status.stale}> {header.age}</Text> : null}
          {props.extra ? <Text dimColor> {props.extra}</Text> : null}
        </Text>
      </Box>
      {notices.map((n, i) => (
        <Text key={`n${i}`} wrap="truncate-end" color={header.status === 'none' ? undefined : theme.status.down} dimColor={header.status === 'none'}>
          {n}
        </Text>
      ))}
      {bodyRows > 0 && header.status !== 'none' ? props.children({ width: inner, rows: bodyRows }) : null}
    </Box>
  );
}
