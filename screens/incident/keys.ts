import type { Panel } from './ui-state.js';

/** What the key map needs to know of the incident to decide which keys act. */
export interface IncidentKeyState {
  /** none: no incident in this console; open; resolved (the post-mortem may still be written). */
  status: 'none' | 'open' | 'resolved';
  /** Recording is possible: not --readonly, and no other hubops holds the incident. */
  writable: boolean;
  panel: Panel['kind'];
  /** A form is open: it takes every key. */
  form: boolean;
  /** The message being composed is rendered and not being sent. */
  composeReady: boolean;
  /** The verify gate found a check failing (override or probe again). */
  gateRed: boolean;
  /** A runbook step's command is running (it can be stopped). */
  stepRunning: boolean;
  /** Watching an open incident whose leading console has stopped: it can be led from here. */
  leaderless: boolean;
}

export const INCIDENT_PANELS: readonly Panel['kind'][] = ['none', 'timeline', 'picker', 'runbook', 'compose', 'gate'];

/** Ops the key map can ask of the incident controller; see keymap.ts for the keys. */
export type IncidentOp =
  | 'declare'
  | 'note'
  | 'next-phase'
  | 'set-phase'
  | 'severity'
  | 'hand-over'
  | 'update'
  | 'runbooks'
  | 'timeline'
  | 'resolve'
  | 'postmortem'
  | 'down'
  | 'up'
  | 'open'
  | 'close'
  | 'step-done'
  | 'step-skip'
  | 'step-run'
  | 'step-run-refused'
  | 'step-stop'
  | 'take-lead'
  | 'send'
  | 'copy'
  | 'edit'
  | 'override'
  | 'retry';
