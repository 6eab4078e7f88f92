import type { Duplex } from 'node:stream';
import type { StopAnswer } from './stop-marked.js';

/** What a command run on a target gave back. */
export interface RunResult {
  /** Exit code; null when the command was killed (timeout, abort, lost link). */
  code: number | null;
  signal?: string;
  /** Last lines of output (both streams, in arrival order), capped so a flood cannot eat memory. */
  tail: string[];
  timedOut: boolean;
  durationMs: number;
  /** Why it could not run or was cut short, in words for the screen: `connection lost`, `timed out after 5s`. */
  error?: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Every complete line as it arrives; a partial last line is flushed at the end. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  signal?: AbortSignal;
  /** How many last lines to keep in `tail` (default 200). */
  tailLines?: number;
  /**
   * Hex (8–64 digits) put in the command's environment as HUBOPS_RUN, so that what is left of it
   * can be found and stopped later (stopMarked), even by another hubops after this one died.
   * Default: a random one.
   */
  mark?: string;
}

export type ConnectionState =
  | { state: 'connected' }
  | { state: 'connecting' }
  | { state: 'disconnected'; error: string; retryInMs: number };

/**
 * The machine hubops works on: this one, or an SSH host. Every source (Docker, logs, health,
 * metrics) and every runbook or release command goes through this, so each works the same both ways.
 * `command` strings are shell command lines run by `sh -c` on the target; values put into them
 * must be quoted with `shellQuote` (see ./shell.ts) — never pasted in.
 */
export interface Target {
  /** `local` or `ssh://user@host:port`. */
  readonly id: string;
  run(command: string, opts?: RunOptions): Promise<RunResult>;
  /** A byte stream to a Unix socket on the target (e.g. the Docker socket). */
  openUnixSocket(path: string): Promise<Duplex>;
  /** A byte stream to host:port as seen from the target. */
  openTcp(host: string, port: number): Promise<Duplex>;
  /** For panes: called on every change of the link (always `connected` for local). Returns an unsubscribe. */
  onState(listener: (s: ConnectionState) => void): () => void;
  /** What the target did on its own (an SSH target stopping a command a dropped link cut off), in words. */
  onNotice?(listener: (text: string) => void): () => void;
  /** Stops the processes still carrying `mark` (RunOptions.mark) on the target: TERM, then KILL. */
  stopMarked?(mark: string): Promise<StopAnswer>;
  close(): Promise<void>;
}

/**
 * Resolves true once the target's link is up (at once when it is, and always for local), or false
 * after `timeoutMs`. `onWait` is told, once, why it waits.
 */
export function whenConnected(target: Target, timeoutMs: number, onWait?: (s: Extract<ConnectionState, { state: 'disconnected' | 'connecting' }>) => void): Promise<boolean> {
  return new Promise((resolve) => {
    let told = false;
    let done = false;
    let unsubscribe: (() => void) | undefined;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe?.();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    unsubscribe = target.onState((s) => {
      if (s.state === 'connected') finish(true);
      // Refused for good (host key, authentication): it will not come back by itself.
      else if (s.state === 'disconnected' && s.retryInMs === 0) finish(false);
      else if (!told) {
        told = true;
        onWait?.(s);
      }
    });
    if (done) unsubscribe();
  });
}
