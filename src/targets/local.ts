// The machine hubops runs on, as a Target.

import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectionState, RunOptions, RunResult, Target } from './target.js';
import { OutputCollector, timedOutMessage } from './output.js';
import { childProcesses } from '../util/on-first-use.js';
import { badMark, STOP_MARKED_SCRIPT, stopAnswer, type StopAnswer } from './stop-marked.js';

/** After SIGTERM to a command's process group, how long before SIGKILL. */
export const KILL_GRACE_MS = 2_000;
/**
 * After the shell exits, how long to wait for its output pipes to close. A command that leaves a
 * background process holding them (`daemon &`) would otherwise never finish.
 */
const PIPE_LINGER_MS = 1_000;

interface Running {
  child: ChildProcess;
  kill(reason: string): void;
}

export class LocalTarget implements Target {
  readonly id = 'local';
  private readonly running = new Set<Running>();
  private closed = false;

  /** Stops what is left of an earlier run given `mark` (see Target.stopMarked). */
  async stopMarked(mark: string): Promise<StopAnswer> {
    const bad = badMark(mark);
    if (bad) throw new Error(bad);
    const out = await new Promise<string | Error>((resolve) => {
      const child = childProcesses().execFile('sh', ['-c', STOP_MARKED_SCRIPT, 'sh', mark, '0'], { timeout: 30_000 }, (err, stdout) => resolve(err && !stdout ? err : stdout));
      child.stdin?.end();
    });
    return stopAnswer(out, this.id);
  }

  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const collector = new OutputCollector(opts.onLine, opts.tailLines);
    if (this.closed) return Promise.resolve(notRun(collector, started, 'target closed'));
    if (opts.signal?.aborted) return Promise.resolve(notRun(collector, started, 'aborted'));
    const bad = opts.mark === undefined ? undefined : badMark(opts.mark);
    if (bad) return Promise.resolve(notRun(collector, started, bad));

    return new Promise<RunResult>((resolve) => {
      let child: ChildProcess;
      try {
        // Its own process group (detached → setsid), so a timeout or an abort kills everything
        // the command started, not only the shell.
        // The mark lets what is left of it be found if hubops dies under it (stopMarked).
        const env = opts.mark !== undefined ? { ...process.env, HUBOPS_RUN: opts.mark } : process.env;
        child = childProcesses().spawn('sh', ['-c', command], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
      } catch (err) {
        resolve(notRun(collector, started, `could not start sh: ${(err as Error).message}`));
        return;
      }

      let settled = false;
      let timedOut = false;
      let killReason: string | undefined;
      let exitCode: number | null = null;
      let exitSignal: string | null = null;
      let timeoutTimer: NodeJS.Timeout | undefined;
      let killTimer: NodeJS.Timeout | undefined;
      let lingerTimer: NodeJS.Timeout | undefined;

      const signalGroup = (sig: NodeJS.Signals) => {
        const pid = child.pid;
        if (pid === undefined) return;
        try {
          process.kill(-pid, sig);
        } catch {
          // The group is already gone.
        }
      };

      const entry: Running = {
        child,
        kill: (reason: string) => {
          if (settled || killReason !== undefined) return;
          killReason = reason;
          signalGroup('SIGTERM');
          killTimer = setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS);
          killTimer.unref();
        },
      };
      this.running.add(entry);

      const onAbort = () => entry.kill('aborted');

      const finish = (spawnError?: string) => {
        if (settled) return;
        settled = true;
        this.running.delete(entry);
        clearTimeout(timeoutTimer);
        clearTimeout(killTimer);
        clearTimeout(lingerTimer);
        opts.signal?.removeEventListener('abort', onAbort);
        collector.end();
        const result: RunResult = {
          code: killReason !== undefined || spawnError !== undefined ? null : exitCode,
          tail: collector.tail,
          timedOut,
          durationMs: Date.now() - started,
        };
        if (exitSignal !== null) result.signal = exitSignal;
        const error = spawnError ?? killReason;
        if (error !== undefined) result.error = error;
        resolve(result);
      };

      child.stdout!.on('data', (b: Buffer) => collector.push('stdout', b));
      child.stderr!.on('data', (b: Buffer) => collector.push('stderr', b));
      child.on('error', (err) => {
        finish(`could not start sh: ${err.message}`);
      });
      child.on('exit', (code, signal) => {
        exitCode = code;
        exitSignal = signal;
        lingerTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          finish();
        }, PIPE_LINGER_MS);
        lingerTimer.unref();
      });
      child.on('close', (code, signal) => {
        if (exitCode === null && exitSignal === null) {
          exitCode = code;
          exitSignal = signal;
        }
        finish();
      });

      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        const ms = opts.timeoutMs;
        timeoutTimer = setTimeout(() => {
          timedOut = true;
          entry.kill(timedOutMessage(ms));
        }, ms);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  openUnixSocket(path: string): Promise<Duplex> {
    return connect(() => net.connect({ path }), `unix socket ${path}`);
  }

  openTcp(host: string, port: number): Promise<Duplex> {
    return connect(() => net.connect({ host, port }), `${host}:${port}`);
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    listener({ state: 'connected' });
    return () => {};
  }

  /** Kills what is still running (process groups, SIGTERM then SIGKILL). */
  async close(): Promise<void> {
    this.closed = true;
    const waits: Promise<unknown>[] = [];
    for (const r of this.running) {
      waits.push(new Promise((res) => r.child.once('close', res).once('exit', res)));
      r.kill('target closed');
    }
    await Promise.race([Promise.all(waits), new Promise((res) => setTimeout(res, KILL_GRACE_MS + 500).unref())]);
  }
}

function notRun(collector: OutputCollector, started: number, error: string): RunResult {
  collector.end();
  return { code: null, tail: collector.tail, timedOut: false, durationMs: Date.now() - started, error };
}

function connect(make: () => net.Socket, what: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const sock = make();
    const onError = (err: Error) => {
      sock.destroy();
      reject(new Error(`cannot connect to ${what}: ${err.message}`));
    };
    sock.once('error', onError);
    sock.once('connect', () => {
      sock.off('error', onError);
      resolve(sock);
    });
  });
}
