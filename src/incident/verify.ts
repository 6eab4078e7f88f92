/** The verify gate before resolving: every health check of the environment, probed now. */
import type { HealthCheck } from '../config/schema.js';
import { probe, type ProbeDeps } from '../sources/health.js';

export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface VerifyResult {
  /** Green only when there is at least one check and every one passed just now. */
  green: boolean;
  checks: VerifyCheck[];
  /** Why it is not green, in one line for the screen. */
  why?: string;
}

/** Probes every check at once (never from a cache: the gate needs the state now). Never throws. */
export async function verifyNow(checks: readonly HealthCheck[], deps: ProbeDeps, envName: string): Promise<VerifyResult> {
  if (checks.length === 0) {
    return { green: false, checks: [], why: `no health checks configured for ${envName}: nothing shows the service is back` };
  }
  const results = await Promise.all(checks.map(async (c) => ({ name: c.name, ...(await probe(c, deps)) })));
  const out = results.map((r) => ({ name: r.name, ok: r.ok, detail: r.detail }));
  const failing = out.filter((c) => !c.ok);
  return failing.length === 0
    ? { green: true, checks: out }
    : { green: false, checks: out, why: `${failing.length} of ${out.length} health check${out.length === 1 ? '' : 's'} failing: ${failing.map((c) => c.name).join(', ')}` };
}
