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

/** Greedy word wrap; Ink's own wrapping cannot tell us how many rows it will take. */
export function wrapWords(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = '';
    }
    line = line ? `${line} ${word}` : word.slice(0, width);
  }
  if (line) out.push(line);
  return out;
}

/** A confirm box over the panes: what will happen, and what to type. Every cell is painted. */
export function ConfirmBox({ rect, prompt }: { rect: Rect; prompt: Extract<Prompt, { kind: 'confirm' }> }) {
  const theme = useTheme();
  const width = Math.min(rect.width, 72);
  const inner = width - 4;
  const ask = `${prompt.typeToConfirm ? `type ${prompt.typeToConfirm}` : 'y to confirm'}, Esc to cancel: `;
  const rows = [...wrapWords(prompt.title, inner), ...wrapWords(prompt.body, inner), ''].slice(0, Math.max(1, rect.height - 3));
  const height = rows.length + 3;
  const left = rect.left + Math.floor((rect.width - width) / 2);
  const top = rect.top + Math.max(0, Math.floor((rect.height - height) / 2));
  return (
    <Box position="absolute" left={left} top={top} width={width} height={height} flexDirection="column" borderStyle="double" borderColor={theme.status.down}>
      {/* Padding is written as spaces: Ink does not paint a box's padding, so what is under it would show. */}
      {rows.map((r, i) => (
        <Text key={i} bold={i === 0}>
          {` ${r.padEnd(inner)} `}
        </Text>
      ))}
      <Text wrap="truncate-start">
        {` ${`${ask}${prompt.text}`.slice(-(inner - 1)).padEnd(inner - 1)}`}
        <Text inverse> </Text>
        {' '}
      </Text>
    </Box>
  );
}

/** A line to type over the panes (the version to release), with a hint under it. */
export function InputBox({ rect, prompt }: { rect: Rect; prompt: Extract<Prompt, { kind: 'input' }> }) {
  const theme = useTheme();
  const width = Math.min(rect.width, 72);
  const inner = width - 4;
  const hint = wrapWords(prompt.hint, inner).slice(0, Math.max(0, rect.height - 5));
  const height = hint.length + 4;
  const left = rect.left + Math.floor((rect.width - width) / 2);
  const top = rect.top + Math.max(0, Math.floor((rect.height - height) / 2));
  return (
    <Box position="absolute" left={left} top={top} width={width} height={height} flexDirection="column" borderStyle="double" borderColor={theme.accent}>
      <Text bold>{` ${prompt.title.slice(0, inner).padEnd(inner)} `}</Text>
      {hint.map((h, i) => (
        <Text key={i}>{` ${h.padEnd(inner)} `}</Text>
      ))}
      <Text wrap="truncate-start">
        {` ${`> ${prompt.text}`.slice(-(inner - 1)).padEnd(inner - 1)}`}
        <Text inverse> </Text>
        {' '}
      </Text>
    </Box>
  );
}

/** A menu of single-key choices over the panes (the demo's faults). */
export function MenuBox({ rect, prompt }: { rect: Rect; prompt: Extract<Prompt, { kind: 'menu' }> }) {
  const theme = useTheme();
  const width = Math.min(rect.width, 72);
  const inner = width - 4;
  const rows = [prompt.title, '', ...prompt.options.map((o) => `${o.key}  ${o.label}${o.destructive ? ' (asks first)' : ''}`), '', 'Esc to close'].slice(0, Math.max(1, rect.height - 2));
  const left = rect.left + Math.floor((rect.width - width) / 2);
  const top = rect.top + Math.max(0, Math.floor((rect.height - rows.length - 2) / 2));
  return (
    <Box position="absolute" left={left} top={top} width={width} height={rows.length + 2} flexDirection="column" borderStyle="double" borderColor={theme.accent}>
      {/* Padding is written as spaces: Ink does not paint a box's padding, so what is under it would show. */}
      {rows.map((r, i) => (
        <Text key={i} bold={i === 0}>
          {` ${r.slice(0, inner).padEnd(inner)} `}
        </Text>
      ))}
    </Box>
  );
}

/** The first-run overlay: the handful of keys that matter, dismissed by any key. */
export function WelcomeOverlay({ rect, demo }: { rect: Rect; demo: boolean }) {
  const theme = useTheme();
  const lines = [
    'Welcome to hubops — the keys that matter',
    '',
    'Tab / 1-4   move between panes         ?   every key that works right now',
    'j / k       select or scroll           /   filter the logs (text or /regex/)',
    'Enter       a container\'s logs         r   restart it (asks first)',
    'i           declare an incident        b   runbooks    u   status update',
    'q           quit (asks while an incident is open)   Ctrl-C interrupts',
    'D           release to this environment (gates, deploy, watch window)',
    ...(demo ? ['', 'F           inject a fault: error spike, latency, crash, drift, flood'] : []),
    '',
    'Press any key to start.',
  ];
  const width = Math.min(rect.width, 84);
  const inner = width - 4;
  const left = rect.left + Math.floor((rect.width - width) / 2);
  const top = rect.top + Math.max(0, Math.floor((rect.height - lines.length - 2) / 2));
  return (
    <Box position="absolute" left={left} top={top} width={width} height={Math.min(rect.height, lines.length + 2)} flexDirection="column" borderStyle="double" borderColor={theme.accent}>
      {lines.slice(0, Math.max(0, rect.height - 2)).map((l, i) => (
        <Text key={i} bold={i === 0}>
          {` ${l.slice(0, inner).padEnd(inner)} `}
        </Text>
      ))}
    </Box>
  );
}
