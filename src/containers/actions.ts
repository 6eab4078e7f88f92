import type Docker from 'dockerode';
import { abortable, describeDockerError } from './source.js';

export interface ActionResult {
  ok: boolean;
  /** Why it failed, in words for the screen. */
  error?: string;
  durationMs: number;
}

export interface RestartOptions {
  /** Seconds the container gets to stop after SIGTERM before it is killed (Docker's default: 10). */
  timeoutS?: number;
  /** Give up waiting for the Engine after this long (default timeoutS + 60 s); the restart may still complete. */
  requestTimeoutMs?: number;
  signal?: AbortSignal;
  /** For messages: where the socket is. */
  where?: string;
}

/**
 * `docker restart <name>`: stop (SIGTERM, then SIGKILL after timeoutS) and start again. Resolves
 * when the Engine says the container is started again. Never throws.
 */
export async function restartContainer(docker: Docker, name: string, opts: RestartOptions = {}): Promise<ActionResult> {
  const started = performance.now();
  const done = (error?: string): ActionResult => {
    const r: ActionResult = { ok: error === undefined, durationMs: Math.round(performance.now() - started) };
    if (error !== undefined) r.error = error;
    return r;
  };
  const timeoutS = opts.timeoutS ?? 10;
  const limitMs = opts.requestTimeoutMs ?? (timeoutS + 60) * 1000;
  const ac = new AbortController();
  const onAbort = () => ac.abort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, limitMs);
  try {
    if (opts.signal?.aborted) return done('cancelled');
    await abortable(docker.getContainer(name).restart({ t: Math.max(0, Math.round(timeoutS)), abortSignal: ac.signal }), ac.signal);
    return done();
  } catch (err) {
    if (timedOut) return done(`Docker did not confirm the restart of ${name} within ${Math.round(limitMs / 1000)}s (it may still complete)`);
    if (opts.signal?.aborted) return done('cancelled');
    if ((err as { statusCode?: number }).statusCode === 404) return done(`no such container: ${name}`);
    return done(describeDockerError(err, opts.where));
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** What the screen asks before an action that changes something. */
export interface ConfirmPrompt {
  /** One line: `Restart container shop-api-1 on prod?` */
  title: string;
  /** What will happen, for the line(s) under the title. */
  body: string;
  /**
   * When set, the user must type exactly this (on a production environment: the container's
   * name) — a single key does not confirm. When unset, an explicit yes key confirms.
   */
  typeToConfirm?: string;
}

/**
 * The confirm prompt for restarting a container. On an environment marked production (see
 * `isProduction` in config/load.ts) the user must type the container name; the caller (a screen)
 * does the prompting and checks the answer with `confirmAccepted`.
 */
export function restartPrompt(container: string, env: { name: string; production: boolean }, opts: { timeoutS?: number } = {}): ConfirmPrompt {
  const t = opts.timeoutS ?? 10;
  const where = env.production ? `PRODUCTION (${env.name})` : env.name;
  const body =
    `The container gets SIGTERM, then SIGKILL after ${t}s if it has not stopped, and is started again. ` +
    `Requests it is serving will fail while it restarts.`;
  const prompt: ConfirmPrompt = { title: `Restart container ${container} on ${where}?`, body };
  if (env.production) {
    prompt.typeToConfirm = container;
    prompt.body += ` Type ${container} to confirm.`;
  }
  return prompt;
}

/** Whether the user's answer confirms: the exact text to type (surrounding blanks ignored), or, without one, a yes. */
export function confirmAccepted(prompt: ConfirmPrompt, answer: string): boolean {
  if (prompt.typeToConfirm !== undefined) return answer.trim() === prompt.typeToConfirm;
  return /^(y|yes)$/i.test(answer.trim());
}
