import type { Environment } from '../config/schema.js';
import { initialLive, liveReducer, type LiveState } from '../panes/live-state.js';
import type { LiveEvent } from './events.js';
import { secondTicker, type SecondTicker } from './ticker.js';

/**
 * Holds the live state and tells the screen about changes at most once per `frameMs`: a flood of
 * events (log lines, Docker events) becomes ten redraws a second, never one per event. Keys are not
 * held by this: a keypress is drawn at once, so a flood's frames must leave the loop free between
 * them (a frame of a 120x40 console costs a few ms; ten of them a second leave keys room).
 * A change that comes less than `snapMs` (0.7 s) before the clock's next tick waits for that tick
 * and is drawn in the same frame as the clock: idle, the console draws about once a second, and a
 * new line or a health change shows at most 0.7 s later than it would have.
 */
export class LiveStore {
  private state: LiveState;
  private listeners = new Set<() => void>();
  private pending: (() => void) | undefined;
  private readonly sideEffects: ((e: LiveEvent) => void)[] = [];

  constructor(
    env: Environment,
    private readonly frameMs = 100,
    private readonly ticker: SecondTicker = secondTicker,
    private readonly snapMs = 700,
  ) {
    this.state = initialLive(env);
  }

  /** Also feed events to something that is not state (the log ring buffer). */
  tap(fn: (e: LiveEvent) => void): void {
    this.sideEffects.push(fn);
  }

  readonly emit = (e: LiveEvent): void => {
    for (const fn of this.sideEffects) fn(e);
    this.state = liveReducer(this.state, e);
    this.schedule();
  };

  private schedule(): void {
    if (this.pending || this.listeners.size === 0) return;
    const notify = () => {
      this.pending = undefined;
      for (const l of this.listeners) l();
    };
    if (this.ticker.msToNext() <= Math.max(this.frameMs, this.snapMs)) {
      this.pending = this.ticker.onNext(notify);
      return;
    }
    const timer = setTimeout(notify, this.frameMs);
    this.pending = () => clearTimeout(timer);
  }

  readonly getState = (): LiveState => this.state;

  readonly subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.pending) {
        this.pending();
        this.pending = undefined;
      }
    };
  };
}
