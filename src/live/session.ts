import type { LoadedConfig } from '../config/load.js';
import { containerHealth } from '../sources/container-health.js';
import { HealthSource } from '../sources/health-source.js';
import { ContainersSource } from '../containers/source.js';
import { LogSource } from '../logs/source.js';
import { MetricsSource } from '../metrics/source.js';
import { restartContainer } from '../containers/actions.js';
import { LogsModel } from './logs-model.js';
import type Docker from 'dockerode';
import { openTarget } from '../targets/index.js';
import type { Target } from '../targets/target.js';
import type { Source } from './events.js';
import type { PaneId } from '../panes/pane-ids.js';
import { LiveStore } from './store.js';

type DockerApi = Pick<typeof import('../sources/docker.js'), 'dockerFor'>;

/**
 * The composition root of the live panes for one environment: one target (one SSH connection,
 * shared), and every source configured for it, all feeding one store.
 */
export class LiveSession {
  readonly store: LiveStore;
  readonly target: Target;
  readonly refreshMs: number;
  readonly logs: LogsModel;
  readonly docker: Docker | undefined;
  /** Each source with the pane it fills. */
  private sources: { pane: PaneId; source: Source }[] = [];
  private extraLogs = new Map<string, LogSource>();
  private started = false;
  private unsubscribeLink: (() => void) | undefined;

  constructor(
    readonly loaded: LoadedConfig,
    readonly envName: string,
    private readonly now: () => number = Date.now,
    /**
     * What fills the containers pane when it is not Docker (the demo's processes), and how to
     * restart one of its rows.
     */
    private readonly rows?: { source: (emit: LiveStore['emit']) => Source; restart: (name: string) => Promise<{ ok: boolean; error?: string; durationMs: number }> },
    /** The Docker client module, when the environment has a Docker socket (see `open`). */
    dockerApi?: DockerApi,
  ) {
    const env = loaded.config.environments[envName]!;
    if (env.docker && !dockerApi) throw new Error('LiveSession: this environment has a Docker socket; open it with LiveSession.open()');
    this.refreshMs = env.refresh;
    this.store = new LiveStore(env);
    this.target = openTarget(env.target, env.ssh);
    const emit = this.store.emit;
    const docker = env.docker && dockerApi ? dockerApi.dockerFor(this.target, env.docker.socket) : undefined;
    this.docker = docker;
    this.logs = new LogsModel(env.logs.map((l) => l.name));
    this.store.tap((e) => this.logs.onEvent(e));

    if (rows) {
      this.sources.push({ pane: 'containers', source: rows.source(emit) });
    } else if (docker && env.docker) {
      this.sources.push({
        pane: 'containers',
        source: new ContainersSource({ docker, project: env.docker.project, intervalMs: env.refresh, emit, now, where: `${env.docker.socket}${env.target === 'local' ? '' : ` on ${env.target}`}` }),
      });
    }
    for (const spec of env.logs) {
      this.sources.push({ pane: 'logs', source: new LogSource({ name: spec.name, spec, target: this.target, docker, project: env.docker?.project, emit, now }) });
    }
    if (env.metrics) {
      this.sources.push({ pane: 'metrics', source: new MetricsSource({ target: this.target, config: env.metrics, intervalMs: env.refresh, emit, now }) });
    }

    if (env.health.length > 0) {
      this.sources.push({
        pane: 'health',
        source: new HealthSource({
          checks: env.health,
          deps: { target: this.target, containerHealth: docker ? (name) => containerHealth(docker, name) : undefined },
          intervalMs: env.refresh,
          emit,
          now,
        }),
      });
    }
  }

  /** A session whose Docker client (a large module) is loaded only when the environment has Docker. */
  static async open(loaded: LoadedConfig, envName: string, now: () => number = Date.now, rows?: LiveSession['rows']): Promise<LiveSession> {
    const env = loaded.config.environments[envName]!;
    const dockerApi = env.docker ? await import('../sources/docker.js') : undefined;
    return new LiveSession(loaded, envName, now, rows, dockerApi);
  }

  /**
   * Shows a container's logs (Enter in the containers pane): a source of its own unless the config
   * already has one for it. Returns the source's name.
   */
  followContainer(container: string): string {
    const env = this.loaded.config.environments[this.envName]!;
    const configured = env.logs.find((l) => l.container === container);
    if (configured) return configured.name;
    const name = `container:${container}`;
    if (!this.extraLogs.has(name)) {
      const src = new LogSource({ name, spec: { name, container }, target: this.target, docker: this.docker, project: env.docker?.project, emit: this.store.emit, now: this.now });
      this.extraLogs.set(name, src);
      this.logs.addSource(name);
      if (this.started) src.start();
    }
    return name;
  }

  async restartContainer(name: string): Promise<{ ok: boolean; error?: string; durationMs: number }> {
    if (this.loaded.config.readonly) return { ok: false, error: 'read-only', durationMs: 0 };
    if (this.rows) return this.rows.restart(name);
    if (!this.docker) return { ok: false, error: 'no Docker source for this environment', durationMs: 0 };
    return restartContainer(this.docker, name);
  }

  start(): void {
    this.started = true;
    this.unsubscribeLink = this.target.onState((state) => this.store.emit({ type: 'link', at: this.now(), target: this.target.id, state }));
    for (const s of this.sources) s.source.start();
  }

  /**
   * Which panes are on screen (the console tells on every change). A polling source whose pane is
   * hidden stops polling until it is shown again; log tails keep streaming (their lines are kept).
   */
  showPanes(panes: readonly PaneId[]): void {
    for (const s of this.sources) s.source.setShown?.(panes.includes(s.pane));
  }

  async stop(): Promise<void> {
    this.unsubscribeLink?.();
    await Promise.allSettled([...this.sources.map((s) => s.source), ...this.extraLogs.values()].map((s) => s.stop()));
    await this.target.close();
  }
}
