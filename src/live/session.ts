import type { LoadedConfig } from '../config/load.js';
import { containerHealth, dockerFor } from '../sources/docker.js';
import { HealthSource } from '../sources/health-source.js';
import { openTarget } from '../targets/index.js';
import type { Target } from '../targets/target.js';
import type { Source } from './events.js';
import { LiveStore } from './store.js';

/**
 * The composition root of the live panes for one environment: one target (one SSH connection,
 * shared), and every source configured for it, all feeding one store.
 */
export class LiveSession {
  readonly store: LiveStore;
  readonly target: Target;
  readonly refreshMs: number;
  private sources: Source[] = [];
  private unsubscribeLink: (() => void) | undefined;

  constructor(
    readonly loaded: LoadedConfig,
    readonly envName: string,
    private readonly now: () => number = Date.now,
  ) {
    const env = loaded.config.environments[envName]!;
    this.refreshMs = env.refresh;
    this.store = new LiveStore(env);
    this.target = openTarget(env.target, env.ssh);
    const emit = this.store.emit;
    const docker = env.docker ? dockerFor(this.target, env.docker.socket) : undefined;

    if (env.health.length > 0) {
      this.sources.push(
        new HealthSource({
          checks: env.health,
          deps: { target: this.target, containerHealth: docker ? (name) => containerHealth(docker, name) : undefined },
          intervalMs: env.refresh,
          emit,
          now,
        }),
      );
    }
  }

  start(): void {
    this.unsubscribeLink = this.target.onState((state) => this.store.emit({ type: 'link', at: this.now(), target: this.target.id, state }));
    for (const s of this.sources) s.start();
  }

  async stop(): Promise<void> {
    this.unsubscribeLink?.();
    await Promise.allSettled(this.sources.map((s) => s.stop()));
    await this.target.close();
  }
}
