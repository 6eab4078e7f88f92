import type { HealthCheck } from '../config/schema.js';
import type { Emit, Source } from '../live/events.js';
import { Poller } from '../live/poller.js';
import { probe, type ProbeDeps } from './health.js';

/**
 * Probes every health check on its own interval (the check's, or the environment's refresh).
 * A probe never overlaps the previous one of the same check: a slow endpoint delays only itself.
 * Checks never back off while they pass (a failure must show within the interval); they pause
 * while the health pane is hidden and probe at once when it is shown again.
 */
export class HealthSource implements Source {
  private readonly pollers: Poller[];
  private stopped = false;

  constructor(private readonly opts: { checks: HealthCheck[]; deps: ProbeDeps; intervalMs: number; emit: Emit; now: () => number }) {
    this.pollers = opts.checks.map(
      (check) =>
        new Poller({
          intervalMs: check.interval ?? opts.intervalMs,
          now: opts.now,
          poll: async () => {
            const result = await probe(check, opts.deps);
            if (!this.stopped) opts.emit({ type: 'health', at: opts.now(), name: check.name, result });
          },
        }),
    );
  }

  start(): void {
    for (const p of this.pollers) p.start();
  }

  setShown(shown: boolean): void {
    for (const p of this.pollers) p.setShown(shown);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.pollers.map((p) => p.stop()));
  }
}
