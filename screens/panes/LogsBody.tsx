import { Text } from 'ink';
import type { LogBuffer } from '../../src/logs/buffer.js';
import { level } from '../../src/logs/buffer.js';
import type { LogLine } from '../../src/live/events.js';
import type { LogsView } from '../shell-state.js';
import { useTheme } from '../theme.js';
import { isNarrowText } from '../render/fast-string-width.js';

function clock(ts: number): string {
  const d = new Date(ts);
  return `${[d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':')}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * A date and time at the start of a line, as most programs stamp their lines (ISO 8601 and its
 * space-separated variant, optionally in brackets): `2026-12-01T03:04:05.678Z `, `[2026-12-01 03:04:05,678] `.
 */
const LEADING_STAMP = /^\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?\s+(?=\S)/;

/**
 * A line's text as the pane shows it. Times off (the default), a program's own leading time stamp
 * is left out: at 80x24 it would take most of a 36-column pane. Times on (T), the pane puts the
 * line's time first and shows the text whole. The filter always sees the whole text.
 */
export function shownText(text: string, whole: boolean): string {
  const clean = text.replace(/\t/g, '  ').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
  return whole ? clean : clean.replace(LEADING_STAMP, '');
}

/** The rows the log pane shows now: only those, never the whole buffer. */
export function visibleLogRows(buffer: LogBuffer, view: LogsView, width: number, rows: number, showSource: boolean): { line: LogLine; text: string }[] {
  const lines = view.follow ? buffer.tail(rows) : buffer.slice(view.anchor - buffer.viewOffset, rows);
  const render = (l: LogLine) => `${view.timestamps ? `${clock(l.ts)} ` : ''}${showSource ? `${l.source}│ ` : ''}${shownText(l.text, view.timestamps)}`;
  if (!view.wrap) return lines.map((line) => ({ line, text: fit(render(line), width) }));
  const out: { line: LogLine; text: string }[] = [];
  for (const line of lines) {
    const t = render(line);
    for (let i = 0; i < Math.max(1, t.length); i += Math.max(1, width)) out.push({ line, text: t.slice(i, i + width) });
  }
  return view.follow ? out.slice(-rows) : out.slice(0, rows);
}

/**
 * Cut to the pane as Ink's truncate-end would (…), here when the text is one column per character:
 * Ink's own cut goes through ANSI tokenising and grapheme segmentation for every row of every frame.
 */
function fit(text: string, width: number): string {
  if (width < 1 || text.length <= width || !isNarrowText(text)) return text;
  return `${text.slice(0, width - 1)}…`;
}

export function LogsBody({ buffer, view, width, rows, showSource }: { buffer: LogBuffer; view: LogsView; width: number; rows: number; showSource: boolean }) {
  const theme = useTheme();
  if (buffer.size === 0) return <Text dimColor>{buffer.total === 0 ? 'waiting for lines' : 'no lines kept'}</Text>;
  if (buffer.viewSize === 0) return <Text dimColor>no line matches the filter</Text>;
  return (
    <>
      {visibleLogRows(buffer, view, width, rows, showSource).map((r, i) => {
        const lv = level(r.line.text);
        return (
          <Text key={i} wrap="truncate-end" color={lv === 'error' ? theme.status.down : lv === 'warn' ? theme.status.degraded : undefined}>
            {r.text}
          </Text>
        );
      })}
    </>
  );
}
