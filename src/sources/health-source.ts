import type { HealthCheck } from '../config/schema.js';
import type { Emit, Source } from '../live/events.js';
import { probe, type ProbeDeps } from './health.js';

/**
 * Probes every health check on its own interval (the check's, or the environment's refresh).
 * A probe never overlaps the previous one of the same check: a slow endpoint delays only itself.
 */
export class HealthSource implements Source {
  private timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly opts: { checks: HealthCheck[]; deps: ProbeDeps; intervalMs: number; emit: Emit; now: () => number },
  ) {}

  start(): void {
    for (const check of this.opts.checks) this.loop(check);
  }

  private loop(check: HealthCheck): void {
    if (this.stopped) return;
    const p = probe(check, this.opts.deps).then((result) => {
      this.inFlight.delete(p);
      if (this.stopped) return;
      this.opts.emit({ type: 'health', at: this.opts.now(), name: check.name, result });
      this.timers.set(check.name, setTimeout(() => this.loop(check), check.interval ?? this.opts.intervalMs));
    });
    this.inFlight.add(p);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    await Promise.allSettled([...this.inFlight]);
  }
}
