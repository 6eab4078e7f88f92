/**
 * One timer for everything that changes on the second — the clock in the top bar, and live data
 * held back to be drawn with it — so that they run in one macrotask and the screen draws them as
 * one frame instead of two. Idle, that is most of what the console costs.
 */
export class SecondTicker {
  private readonly every = new Set<() => void>();
  private readonly once = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  /** Milliseconds to the next tick (just after the next whole second). */
  msToNext(): number {
    return 1000 - (this.now() % 1000) + 5;
  }

  /** Calls `fn` on every tick until the returned function is called. */
  onEvery(fn: () => void): () => void {
    return this.add(this.every, fn);
  }

  /** Calls `fn` on the next tick only; the returned function cancels it. */
  onNext(fn: () => void): () => void {
    return this.add(this.once, fn);
  }

  private add(set: Set<() => void>, fn: () => void): () => void {
    set.add(fn);
    this.arm();
    return () => {
      set.delete(fn);
      this.disarmIfIdle();
    };
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const fns = [...this.every, ...this.once];
      this.once.clear();
      for (const fn of fns) {
        try {
          fn();
        } catch {
          // one subscriber's failure must not stop the clock for the others
        }
      }
      if (this.every.size + this.once.size > 0) this.arm();
    }, this.msToNext());
  }

  private disarmIfIdle(): void {
    if (this.every.size + this.once.size > 0 || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The process's ticker: the console's clock and its live store share it. */
export const secondTicker = new SecondTicker();
