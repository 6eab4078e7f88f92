import type { IncidentState } from './state.js';
import type { Sev } from './events.js';

/** Response targets by severity, as DESIGN.md gives them; the config may change them. */
export const DEFAULT_RESPONSE_MS: Record<Sev, number> = { 1: 15 * 60_000, 2: 4 * 3_600_000, 3: 24 * 3_600_000 };
export const DEFAULT_UPDATE_EVERY_MS = 30 * 60_000;
export const POSTMORTEM_DUE_MS = 7 * 24 * 3_600_000;

export interface IncidentClock {
  elapsedMs: number;
  /** Until the response target; negative once missed. Undefined once responded (first update sent). */
  responseLeftMs?: number;
  respondedInMs?: number;
  /** Until the next status update is due; negative when overdue. Undefined once resolved. */
  nextUpdateInMs?: number;
  overdue: boolean;
  /** Resolved incidents: when the post-mortem is due. */
  postmortemDue?: string;
  durationMs?: number;
}

/** Pure: the incident and the time now in, the clocks the top bar shows out. */
export function incidentClock(s: IncidentState, nowMs: number, opts: { responseMs?: Partial<Record<Sev, number>>; updateEveryMs?: number } = {}): IncidentClock {
  const start = Date.parse(s.startedAt);
  const end = s.resolvedAt ? Date.parse(s.resolvedAt) : undefined;
  const target = opts.responseMs?.[s.sev] ?? DEFAULT_RESPONSE_MS[s.sev];
  const every = opts.updateEveryMs ?? DEFAULT_UPDATE_EVERY_MS;
  const clock: IncidentClock = { elapsedMs: (end ?? nowMs) - start, overdue: false };
  if (s.firstUpdateAt) clock.respondedInMs = Date.parse(s.firstUpdateAt) - start;
  else clock.responseLeftMs = start + target - nowMs;
  if (s.status === 'open') {
    const last = s.lastUpdateAt ? Date.parse(s.lastUpdateAt) : start;
    clock.nextUpdateInMs = last + every - nowMs;
    clock.overdue = clock.nextUpdateInMs < 0;
  } else if (end !== undefined) {
    clock.durationMs = end - start;
    clock.postmortemDue = new Date(end + POSTMORTEM_DUE_MS).toISOString().slice(0, 10);
  }
  return clock;
}

/** `12:05` under an hour, `3h04m` above, with a sign for overdue. */
export function formatClock(ms: number): string {
  const neg = ms < 0;
  const total = Math.floor(Math.abs(ms) / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  const body = h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return neg ? `-${body}` : body;
}

/** When unsure between two severities, take the higher (the smaller number). */
export function suggestSeverity(candidates: Sev[]): Sev {
  return candidates.length === 0 ? 1 : (Math.min(...candidates) as Sev);
}

export function slugify(title: string): string {
  return (
    title
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 48)
      .replace(/-+$/, '') || 'incident'
  );
}
