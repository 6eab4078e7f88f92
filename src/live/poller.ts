/**
 * When a polling source polls. Three rules, because polling costs the host being watched as much
 * as it costs us:
 *
 * - every `intervalMs` while its pane is on screen, one poll at a time (a slow answer delays only
 *   the next poll, never stacks them);
 * - nothing while the pane is hidden (the help overlay, a terminal too small to draw the panes):
 *   no timer at all. When it is shown again, it polls at once if its data is older than the
 *   interval, so what comes back on screen is fresh;
 * - with `backoff`, while polls keep finding the same data (a Prometheus that scrapes every 15 s,
 *   asked every 2 s), the interval doubles, up to `backoff.maxFactor` times; the first change, an
 *   error, or the pane coming back on screen returns it to `intervalMs`. Sources whose news must
 *   never wait (health checks) do not back off.
 *
 * A poll says what it found through `pace(changed)`, which also returns how long until the next
 * poll, so the data it emits can say when it will next be refreshed (the screen then knows it is
 * not stale while it waits).
 */
export interface PollerOptions {
  intervalMs: number;
  /** One poll. Must not reject; it may call `pace` once (no call: counted as a change). */
  poll: (pace: (changed: boolean) => number) => Promise<void>;
  backoff?: { maxFactor: number };
  now?: () => number;
}

export class Poller {
  private readonly now: () => number;
  private started = false;
  private stopped = false;
  private shown = true;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastPollAt = -Infinity;
  private factor = 1;
  private delayMs: number;

  constructor(private readonly opts: PollerOptions) {
    this.now = opts.now ?? Date.now;
    this.delayMs = opts.intervalMs;
  }

  /** The wait after the last poll (the interval, or more while backing off). */
  get currentDelayMs(): number {
    return this.delayMs;
  }

  /** True while a timer is set for the next poll. */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    if (this.shown) this.run();
  }

  /** Tells the poller whether its pane is on screen. */
  setShown(shown: boolean): void {
    if (shown === this.shown) return;
    this.shown = shown;
    if (!this.started || this.stopped) return;
    if (!shown) {
      clearTimeout(this.timer);
      this.timer = undefined;
      return;
    }
    // Back on screen: the interval, not the backed-off wait, decides whether the data is too old.
    this.factor = 1;
    this.delayMs = this.opts.intervalMs;
    if (this.inFlight) return;
    this.arm(Math.max(0, this.lastPollAt + this.opts.intervalMs - this.now()));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private run(): void {
    if (this.stopped || this.inFlight) return;
    let paced = false;
    const pace = (changed: boolean): number => {
      paced = true;
      this.factor = changed || !this.opts.backoff ? 1 : Math.min(this.opts.backoff.maxFactor, this.factor * 2);
      this.delayMs = this.opts.intervalMs * this.factor;
      return this.delayMs;
    };
    this.lastPollAt = this.now();
    this.inFlight = this.opts
      .poll(pace)
      .catch(() => undefined)
      .finally(() => {
        this.inFlight = undefined;
        if (!paced) pace(true);
        if (this.shown) this.arm(this.delayMs);
      });
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, delayMs);
  }
}
