import type { HealthCheck } from '../config/schema.js';
import type { Target } from '../targets/target.js';
import { describeNetError, httpGet } from './http-via-target.js';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** `HTTP 200`, `connected`, `exit 0`, or why it failed: `connection refused`, `timed out after 5s`, `DNS: …`, `TLS: …`. */
  detail: string;
}

export interface ProbeDeps {
  target: Target;
  /** Docker health of a container, when the Docker source is there; undefined means it is not. */
  containerHealth?: (name: string) => Promise<{ state: string; health?: string }>;
  now?: () => number;
}

/** One probe of one health check, from the target's point of view. Never throws. */
export async function probe(check: HealthCheck, deps: ProbeDeps): Promise<ProbeResult> {
  const now = deps.now ?? (() => performance.now());
  const start = now();
  const done = (ok: boolean, detail: string): ProbeResult => ({ ok, detail, latencyMs: Math.round(now() - start) });
  try {
    if (check.http) {
      const res = await httpGet(deps.target, check.http, { timeoutMs: check.timeout });
      if (res.status !== check.expectStatus) return done(false, `HTTP ${res.status}, expected ${check.expectStatus}`);
      if (check.expectBody !== undefined && !res.body.includes(check.expectBody)) {
        return done(false, `HTTP ${res.status} but the body lacks "${check.expectBody}"`);
      }
      return done(true, `HTTP ${res.status}`);
    }
    if (check.tcp) {
      const i = check.tcp.lastIndexOf(':');
      const host = check.tcp.slice(0, i).replace(/^\[|\]$/g, '');
      const port = Number(check.tcp.slice(i + 1));
      const sock = await withTimeout(deps.target.openTcp(host, port), check.timeout);
      sock.destroy();
      return done(true, 'connected');
    }
    if (check.run) {
      const r = await deps.target.run(check.run, { timeoutMs: check.timeout, tailLines: 3 });
      if (r.timedOut) return done(false, `timed out after ${check.timeout / 1000}s`);
      if (r.error) return done(false, r.error);
      const last = r.tail.at(-1) ?? '';
      return done(r.code === 0, `exit ${r.code}${last ? `: ${last.slice(0, 80)}` : ''}`);
    }
    if (check.container) {
      if (!deps.containerHealth) return done(false, 'no Docker source for this environment');
      const c = await withTimeout(deps.containerHealth(check.container), check.timeout);
      if (c.state !== 'running') return done(false, `container ${c.state}`);
      if (c.health && c.health !== 'healthy') return done(false, `container ${c.health}`);
      return done(true, c.health ? 'healthy' : 'running (no healthcheck)');
    }
    return done(false, 'no probe kind');
  } catch (err) {
    return done(false, describeNetError(err));
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error(`timed out after ${ms / 1000}s`), { code: 'ETIMEDOUT' })), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e: unknown) => (clearTimeout(t), reject(e)),
    );
  });
}
