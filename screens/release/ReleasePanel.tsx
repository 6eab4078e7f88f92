import { Box, Text } from 'ink';
import type { Rect } from '../layout.js';
import { wrapWords } from '../PromptViews.js';
import { useTheme } from '../theme.js';
import { renderChart } from '../../src/metrics/chart.js';
import { verdictLine } from '../../src/release/events.js';
import { LinesPanel, type Line, type Piece } from '../LinesPanel.js';
import { pendingOverrides, questionKeys, type IntervalLine, type ReleaseQuestion, type ReleaseSnapshot } from './controller.js';

const plain = (text: string, style: Omit<Piece, 'text'> = {}): Line => [{ text, ...style }];

function fold(text: string, width: number, style: Omit<Piece, 'text'> = {}): Line[] {
  return wrapWords(text, Math.max(8, width)).map((w) => plain(w, style));
}

const LEVEL_TONE: Record<string, Piece['tone']> = { ok: 'ok', soft: 'warn', hard: 'alarm', error: 'alarm', 'no-data': 'warn' };
const STATUS_TONE: Record<string, Piece['tone']> = { pass: 'ok', warn: 'warn', block: 'alarm' };

export function mmss(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

function keysLine(q: ReleaseQuestion): Line {
  const out: Piece[] = [];
  for (const k of questionKeys(q)) out.push({ text: k.key, bold: true, tone: 'accent' }, { text: ` ${k.label}   ` });
  return out;
}

/** The pending question: what is asked, what it rests on, and its keys. */
export function questionLines(q: ReleaseQuestion, width: number, now: number): Line[] {
  const lines: Line[] = [];
  switch (q.kind) {
    case 'gate':
      lines.push(plain(`Pre-release gate${q.version ? ` for ${q.version}` : ''}${q.blocking ? ' — BLOCKED (proceeding will abort)' : ''}`, { bold: true, tone: q.blocking ? 'alarm' : undefined }));
      for (const c of q.checks) lines.push([{ text: `${c.status.padEnd(5)} `, tone: STATUS_TONE[c.status], bold: c.status === 'block' }, { text: `${c.name.padEnd(10)} ` }, { text: c.detail, tone: 'dim' }]);
      for (const o of q.overrides ?? []) lines.push(plain(`overridden ${o.check}: ${o.reason}`, { tone: 'warn' }));
      if (q.overriding !== undefined) {
        if (!q.overriding.check) pendingOverrides(q).forEach((c, i) => lines.push(plain(`${i + 1}  override ${c.name}`)));
        else lines.push([{ text: `reason to override ${q.overriding.check} (recorded): `, bold: true }, { text: q.overriding.reason }, { text: ' ', inverse: true }]);
      }
      if (q.confirming !== undefined) lines.push([{ text: 'PRODUCTION — type the environment name to release: ', bold: true, tone: 'alarm' }, { text: q.confirming }, { text: ' ', inverse: true }]);
      break;
    case 'strategy':
      lines.push(plain('Deployment strategy — pick one', { bold: true }));
      break;
    case 'manual':
      lines.push(plain('Manual deploy — do it by hand, then answer', { bold: true }));
      for (const c of q.checklist) lines.push(plain(`  [ ] ${c}`));
      break;
    case 'soft':
      lines.push(plain('SOFT breach — your call', { bold: true, tone: 'warn' }));
      for (const r of q.reasons) lines.push(...fold(`• ${r}`, width, { tone: 'warn' }));
      if (q.typing !== undefined) lines.push([{ text: 'extend by (minutes): ' }, { text: q.typing }, { text: ' ', inverse: true }]);
      break;
    case 'countdown': {
      const left = Math.max(0, Math.ceil((q.deadline - now) / 1000));
      lines.push(plain(` ROLLING BACK IN ${left}s — press s to stop `.padEnd(width), { bold: true, tone: 'alarm', inverse: true }));
      for (const r of q.reasons) lines.push(...fold(`HARD: ${r}`, width, { tone: 'alarm' }));
      break;
    }
    case 'after-stop':
      lines.push(plain('Automatic rollback stopped (recorded) — roll back now or keep watching', { bold: true, tone: 'alarm' }));
      for (const r of q.reasons) lines.push(...fold(`HARD: ${r}`, width, { tone: 'alarm' }));
      break;
  }
  lines.push(keysLine(q));
  return lines;
}

/** The watch window's intervals, newest last (the oldest drop off the left when they do not fit). */
export function intervalsLine(intervals: IntervalLine[], width: number): Line {
  const head: Piece = { text: 'intervals: ', tone: 'dim' };
  const pieces: Piece[] = [];
  let used = head.text.length;
  for (const i of [...intervals].reverse()) {
    const text = `${i.index}:${i.level} `;
    if (used + text.length > width) break;
    used += text.length;
    pieces.unshift({ text, tone: LEVEL_TONE[i.level], bold: i.level === 'hard' });
  }
  return [head, ...pieces];
}

/** Each watched metric against its baseline and the soft / hard limits, when there is room. */
export function watchCharts(snap: ReleaseSnapshot, thresholds: Record<string, { soft: number; hard: number }>, width: number, room: number): Line[] {
  const names = Object.keys(snap.series).filter((k) => snap.series[k]!.points.length > 0);
  const per = 4;
  if (names.length === 0 || room < per) return [];
  const out: Line[] = [];
  for (const name of names.slice(0, Math.floor(room / per))) {
    const s = snap.series[name]!;
    const b = s.baseline;
    const th = thresholds[name];
    const last = s.points.at(-1)?.v;
    const fmt = (x: number) => (name === 'p99' ? `${(x * 1000).toFixed(0)}ms` : name === 'errorRate' ? `${(x * 100).toFixed(2)}%` : x.toPrecision(3));
    const limits = b !== null && th ? [b * th.soft, b * th.hard] : [];
    out.push(plain(`${name} ${last === null || last === undefined ? 'no data' : fmt(last)}${b !== null ? ` · baseline ${fmt(b)}` : ''}${limits.length ? ` · soft ≥ ${fmt(limits[0]!)} · hard ≥ ${fmt(limits[1]!)}` : ''}`, { bold: true }));
    for (const row of renderChart(s.points, { width: Math.max(8, width - (width % 2)), height: per - 1, baseline: b, thresholds: limits })) out.push(plain(row, { tone: 'accent' }));
  }
  return out;
}

export function releasePanelLines(snap: ReleaseSnapshot, width: number, rows: number, now: number, incidentHidden: boolean, thresholds: Record<string, { soft: number; hard: number }> = {}): { title: string; lines: Line[] } {
  const v = snap.verdict;
  const title = `Release ${snap.version ?? '(version being worked out)'} to ${snap.env} — ${v ? v.verdict : snap.status === 'done' && snap.error ? 'failed' : snap.phase}`;
  const top: Line[] = [];
  if (incidentHidden) top.push(plain('the incident panel is underneath: the release panel wins while it is shown', { tone: 'dim' }));
  if (snap.question) top.push(...questionLines(snap.question, width, now));
  if (snap.intervals.length > 0) {
    const w = snap.watch;
    const left = w && snap.phase === 'watch' && snap.status === 'running' ? ` · window ${mmss(w.startedAt + w.durationMs - now)} left` : '';
    top.push([...intervalsLine(snap.intervals, width - left.length), { text: left, tone: 'accent' }]);
  }
  if (snap.phase === 'watch' || (snap.status === 'done' && Object.keys(snap.series).length > 0)) {
    // Charts take at most half the panel: the output under them matters as much.
    top.push(...watchCharts(snap, thresholds, width, Math.floor((rows - top.length) / 2)));
  }
  const bottom: Line[] = [];
  const said = v ? verdictLine(v.verdict, v.reason) : undefined;
  if (v && said) bottom.push(...fold(said, width, { bold: true, tone: v.verdict.startsWith('Released') ? 'ok' : 'alarm' }));
  else if (snap.error) bottom.push(...fold(`release failed: ${snap.error}`, width, { bold: true, tone: 'alarm' }));
  if (snap.status === 'done') bottom.push(plain('Esc close', { tone: 'dim' }));
  const room = Math.max(0, rows - top.length - bottom.length - (top.length ? 1 : 0));
  // The run says its verdict in its output too: shown once, at the bottom.
  const out = snap.lines.filter((l) => l !== said).slice(-room).map((l) => plain(l, { tone: /HARD|FAILED|SYSTEM STATE UNKNOWN|rolling back/i.test(l) ? 'alarm' : undefined }));
  return { title, lines: [...top, ...(top.length && room > 0 ? [plain('─'.repeat(Math.min(width, 40)), { tone: 'dim' })] : []), ...out, ...bottom] };
}


export interface ReleasePanelProps {
  rect: Rect;
  snapshot: ReleaseSnapshot;
  now: number;
  /** An incident panel is open too: it is drawn over, and the release panel says so. */
  incidentHidden?: boolean;
  thresholds?: Record<string, { soft: number; hard: number }>;
}

/** The release beside the live panes (where the incident panel goes): phase, question, output, verdict. */
export function ReleasePanel({ rect, snapshot, now, incidentHidden = false, thresholds = {} }: ReleasePanelProps) {
  const theme = useTheme();
  const inner = Math.max(10, rect.width - 4);
  const rows = Math.max(1, rect.height - 2);
  if (snapshot.unknown) return <UnknownNotice rect={rect} reason={snapshot.unknown} />;
  const { title, lines } = releasePanelLines(snapshot, inner, rows - 1, now, incidentHidden, thresholds);
  return <LinesPanel rect={rect} title={title} lines={lines} borderColor={theme.accent} />;
}

/** Loud and red over the whole panel: hubops could not bring the environment back; a person must. */
function UnknownNotice({ rect, reason }: { rect: Rect; reason: string }) {
  const theme = useTheme();
  const inner = Math.max(10, rect.width - 4);
  const rows = Math.max(1, rect.height - 2);
  const body = ['', 'SYSTEM STATE UNKNOWN — take over by hand', '', ...wrapWords(reason, inner), '', 'The release and rollback reports are on disk.', 'Esc to dismiss'];
  const pad = Math.max(0, Math.floor((rows - body.length) / 2));
  const all = [...Array<string>(pad).fill(''), ...body].slice(0, rows);
  return (
    <Box position="absolute" left={rect.left} top={rect.top} width={rect.width} height={rect.height} flexDirection="column" borderStyle="double" borderColor={theme.status.down} paddingX={1} overflow="hidden">
      {all.map((l, i) => (
        <Text key={i} wrap="truncate-end" bold inverse color={theme.color ? 'red' : undefined}>
          {` ${l}`.slice(0, inner).padEnd(inner)}
        </Text>
      ))}
    </Box>
  );
}
