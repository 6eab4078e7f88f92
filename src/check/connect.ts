import type { LoadedConfig } from '../config/load.js';
import type { Environment } from '../config/schema.js';
import { containerHealth } from '../sources/container-health.js';
import { dockerFor } from '../sources/docker.js';
import { probe } from '../sources/health.js';
import { describeNetError, httpGet } from '../sources/http-via-target.js';
import { closeAllTargets, openTarget } from '../targets/index.js';
import type { Target } from '../targets/target.js';

export interface ConnectLine {
  ok: boolean;
  what: string;
  detail?: string;
}

/** `hubops check --connect`: tries what each environment points at, one line each. */
export async function checkConnections(loaded: LoadedConfig, opts: { env: NodeJS.ProcessEnv; only?: string }): Promise<ConnectLine[]> {
  const lines: ConnectLine[] = [];
  try {
    for (const [name, env] of Object.entries(loaded.config.environments)) {
      if (opts.only && opts.only !== name) continue;
      lines.push(...(await checkEnvironment(name, env)));
    }
  } finally {
    await closeAllTargets();
  }
  return lines;
}

async function checkEnvironment(name: string, env: Environment): Promise<ConnectLine[]> {
  const out: ConnectLine[] = [];
  const target = openTarget(env.target, env.ssh);
  const t = await target.run('true', { timeoutMs: 15_000 });
  const reachable = t.code === 0;
  out.push({ ok: reachable, what: `${name}: target ${env.target}`, detail: reachable ? 'reachable' : (t.error ?? `exit ${t.code}`) });
  if (!reachable) return out;

  let docker: ReturnType<typeof dockerFor> | undefined;
  if (env.docker) {
    docker = dockerFor(target, env.docker.socket);
    try {
      await docker.ping();
      const v = await docker.version();
      out.push({ ok: true, what: `${name}: docker ${env.docker.socket}`, detail: `engine ${v.Version}` });
    } catch (err) {
      out.push({ ok: false, what: `${name}: docker ${env.docker.socket}`, detail: describeNetError(err) });
      docker = undefined;
    }
  }
  for (const check of env.health) {
    const r = await probe(check, { target, containerHealth: docker ? (c) => containerHealth(docker!, c) : undefined });
    out.push({ ok: r.ok, what: `${name}: health ${check.name}`, detail: `${r.detail} (${r.latencyMs} ms)` });
  }
  if (env.metrics?.prometheus) out.push(await checkPrometheus(name, target, env.metrics.prometheus));
  if (env.metrics?.scrape) out.push(await checkScrape(name, target, env.metrics.scrape));
  return out;
}

async function checkPrometheus(name: string, target: Target, url: string): Promise<ConnectLine> {
  const what = `${name}: prometheus ${url}`;
  try {
    const res = await httpGet(target, new URL('api/v1/query?query=vector(1)', url.endsWith('/') ? url : `${url}/`).toString(), { timeoutMs: 5000 });
    const body = JSON.parse(res.body) as { status?: string };
    return res.status === 200 && body.status === 'success'
      ? { ok: true, what, detail: 'query API answers' }
      : { ok: false, what, detail: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, what, detail: err instanceof SyntaxError ? 'answer is not Prometheus JSON' : describeNetError(err) };
  }
}

async function checkScrape(name: string, target: Target, url: string): Promise<ConnectLine> {
  const what = `${name}: scrape ${url}`;
  try {
    const res = await httpGet(target, url, { timeoutMs: 5000, maxBody: 4 * 1024 * 1024 });
    const samples = res.body.split('\n').filter((l) => l && !l.startsWith('#')).length;
    if (res.status !== 200) return { ok: false, what, detail: `HTTP ${res.status}` };
    return samples > 0 ? { ok: true, what, detail: `${samples} samples` } : { ok: false, what, detail: 'no samples in the answer' };
  } catch (err) {
    return { ok: false, what, detail: describeNetError(err) };
  }
}
