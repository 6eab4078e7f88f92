import type { Environment } from '../config/schema.js';
import type { ContainerRow, LiveEvent, MetricReading } from '../live/events.js';
import type { ProbeResult } from '../sources/health.js';
import type { ConnectionState } from '../targets/target.js';
import type { PaneId } from './pane-ids.js';

export interface SourceError {
  source: string;
  error: string;
  at: number;
}

export interface HealthEntry {
  last?: ProbeResult;
  at?: number;
  consecutiveFailures: number;
  /** When the ok/failing state last flipped (or the first result came). */
  changedAt?: number;
}

/** Everything the live panes know, built only from events (pure reducer, time in the events). */
export interface LiveState {
  containers: { rows: ContainerRow[]; at?: number; lastEvent?: { at: number; name: string; action: string } };
  health: Record<string, HealthEntry>;
  /** `due`: when the source said it would poll next (later than a refresh while it backs off). */
  metrics: { readings: Record<string, MetricReading & { at: number }>; history: Record<string, { t: number; v: number | null }[]>; at?: number; due?: number };
  logs: { at?: number; dropped: number };
  errors: Record<PaneId, Record<string, SourceError>>;
  link?: ConnectionState;
}

export const HISTORY_POINTS = 120;

export function initialLive(env: Environment): LiveState {
  return {
    containers: { rows: [] },
    health: Object.fromEntries(env.health.map((h) => [h.name, { consecutiveFailures: 0 }])),
    metrics: { readings: {}, history: {} },
    logs: { dropped: 0 },
    errors: { containers: {}, logs: {}, health: {}, metrics: {} },
  };
}

export function liveReducer(s: LiveState, e: LiveEvent): LiveState {
  switch (e.type) {
    case 'containers':
      return { ...s, containers: { ...s.containers, rows: e.rows, at: e.at } };
    case 'container-event':
      return { ...s, containers: { ...s.containers, lastEvent: { at: e.at, name: e.name, action: e.action } } };
    case 'health': {
      const prev = s.health[e.name] ?? { consecutiveFailures: 0 };
      const flipped = prev.last === undefined || prev.last.ok !== e.result.ok;
      return {
        ...s,
        health: {
          ...s.health,
          [e.name]: {
            last: e.result,
            at: e.at,
            consecutiveFailures: e.result.ok ? 0 : prev.consecutiveFailures + 1,
            changedAt: flipped ? e.at : prev.changedAt,
          },
        },
      };
    }
    case 'metrics': {
      const readings = { ...s.metrics.readings };
      const history = { ...s.metrics.history };
      for (const r of e.readings) {
        readings[r.name] = { ...r, at: e.at };
        history[r.name] = [...(history[r.name] ?? []), { t: e.at, v: r.value }].slice(-HISTORY_POINTS);
      }
      return { ...s, metrics: { readings, history, at: e.at, due: e.nextInMs === undefined ? undefined : e.at + e.nextInMs } };
    }
    case 'logs':
      return { ...s, logs: { ...s.logs, at: e.at } };
    case 'logs-dropped':
      return { ...s, logs: { ...s.logs, dropped: s.logs.dropped + e.count } };
    case 'source-error':
      return { ...s, errors: { ...s.errors, [e.pane]: { ...s.errors[e.pane], [e.source]: { source: e.source, error: e.error, at: e.at } } } };
    case 'source-ok': {
      if (!s.errors[e.pane][e.source]) return s;
      const { [e.source]: _gone, ...rest } = s.errors[e.pane];
      return { ...s, errors: { ...s.errors, [e.pane]: rest } };
    }
    case 'link':
      return { ...s, link: e.state };
  }
}
