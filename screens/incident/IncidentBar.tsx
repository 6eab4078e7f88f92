import { Box, Text } from 'ink';
import { formatClock, type IncidentClock } from '../../src/incident/clock.js';
import { humanDuration } from '../../src/incident/postmortem.js';
import type { IncidentState } from '../../src/incident/state.js';
import { useTheme } from '../theme.js';

export interface BarSegment {
  text: string;
  /** Red (missed, overdue) or the accent. */
  tone?: 'alarm' | 'accent';
  /** Drawn inverse: the overdue flag, for a few seconds each minute. */
  flash?: boolean;
}

/**
 * The incident's line under the top bar, as segments (pure, for tests): `SEV1 <title>`, elapsed,
 * the response countdown, the phase, the next status update — or, once resolved, how long it
 * lasted and when the post-mortem is due. The title gets what room is left.
 */
export function incidentBarSegments(state: IncidentState, clock: IncidentClock, width: number): BarSegment[] {
  const rest: BarSegment[] = [{ text: formatClock(clock.elapsedMs) }];
  if (state.status === 'open') {
    if (clock.respondedInMs !== undefined) rest.push({ text: `responded in ${humanDuration(clock.respondedInMs)}` });
    else if (clock.responseLeftMs !== undefined && clock.responseLeftMs >= 0) rest.push({ text: `respond in ${formatClock(clock.responseLeftMs)}` });
    else if (clock.responseLeftMs !== undefined) rest.push({ text: `respond: missed by ${formatClock(-clock.responseLeftMs)}`, tone: 'alarm' });
    rest.push({ text: state.phase, tone: 'accent' });
    if (clock.nextUpdateInMs !== undefined) {
      if (clock.overdue) {
        const over = -clock.nextUpdateInMs;
        // Re-flagged every minute while overdue: drawn inverse for the first 5 s of each minute.
        rest.push({ text: `next update OVERDUE ${formatClock(over)}`, tone: 'alarm', flash: over % 60_000 < 5_000 });
      } else rest.push({ text: `next update in ${formatClock(clock.nextUpdateInMs)}` });
    }
  } else {
    rest.push({ text: `resolved after ${humanDuration(clock.durationMs ?? 0)}`, tone: 'accent' });
    rest.push(state.postmortemPath ? { text: `post-mortem due ${clock.postmortemDue} (written)` } : { text: `post-mortem due ${clock.postmortemDue}`, tone: 'accent' });
  }
  const sev = `SEV${state.sev}`;
  const fixed = sev.length + 1 + rest.reduce((n, s) => n + 3 + s.text.length, 0) + 1;
  const room = Math.max(12, width - fixed);
  const title = state.title.length > room ? `${state.title.slice(0, room - 1)}…` : state.title;
  // The commander, when the whole line still fits with it.
  const ic = state.roles.commander ? `IC ${state.roles.commander}` : '';
  if (ic && state.status === 'open' && fixed + title.length + 3 + ic.length <= width) rest.push({ text: ic });
  return [{ text: `${sev} ${title}`, tone: 'alarm' }, ...rest];
}

export function IncidentBar({ width, state, clock, banner }: { width: number; state: IncidentState; clock: IncidentClock; banner?: string }) {
  const theme = useTheme();
  const segments = incidentBarSegments(state, clock, width);
  const color = (s: BarSegment) => (s.tone === 'alarm' ? (theme.color ? 'red' : undefined) : s.tone === 'accent' ? theme.accent : undefined);
  return (
    <>
      <Box width={width} height={1}>
        <Text wrap="truncate-end">
          {' '}
          {segments.map((s, i) => (
            <Text key={i}>
              {i > 0 ? ' · ' : ''}
              <Text color={color(s)} bold={i === 0 || s.tone === 'alarm'} inverse={s.flash}>
                {s.text}
              </Text>
            </Text>
          ))}
        </Text>
      </Box>
      {banner ? (
        <Box width={width} height={1}>
          <Text wrap="truncate-end" inverse color={theme.color ? 'yellow' : undefined}>
            {` ${banner} `}
          </Text>
        </Box>
      ) : null}
    </>
  );
}
