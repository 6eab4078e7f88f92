// An SSH host as a Target: one ssh2 connection per user@host:port, shared by everything that
// works on that host (commands, the Docker socket, log streams), kept alive, and re-established
// with backoff when it drops.
//
// Host keys are checked against known_hosts by hubops itself (ssh2 accepts every key unless told
// otherwise): an unknown, changed or revoked key is refused, with the fingerprint and what to do,
// and never accepted on the user's behalf.

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import type { Client as SshClient, ClientChannel, ConnectConfig, ServerHostKeyAlgorithm } from 'ssh2';
import {
  checkHostKey,
  fingerprintSha256,
  keyTypeOfBlob,
  knownHostsLine,
  knownHostsName,
  knownKeyTypes,
  parseKnownHosts,
  type KnownHostEntry,
} from './known-hosts.js';
import { OutputCollector, timedOutMessage } from './output.js';
import { shellQuote } from './shell.js';
import { badMark, describeStop, newRunMark, STOP_MARKED_SCRIPT, stopAnswer, type StopAnswer } from './stop-marked.js';
import type { ConnectionState, RunOptions, RunResult, Target } from './target.js';


export interface SshOptions {
  /** Private key file (`~` expanded). Without it the SSH agent is used (SSH_AUTH_SOCK). */
  identityFile?: string;
  /** known_hosts file (`~` expanded); default `~/.ssh/known_hosts` (plus `/etc/ssh/ssh_known_hosts`). */
  knownHosts?: string;
  /** Use the SSH agent: default true when there is no identityFile; false never uses it. */
  agent?: boolean;
  /** Handshake + authentication limit (default 20 s). */
  readyTimeoutMs?: number;
  /** SSH keepalive period (default 10 s) and how many may go unanswered (default 3). */
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  /** Reconnect backoff: first delay (default 1 s), doubling up to maxMs (default 30 s). */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Exec channels open at once on the connection; more commands wait (default 8; sshd's MaxSessions is 10). */
  maxSessions?: number;
}

export interface SshAddress {
  user: string;
  /** Without brackets, e.g. `::1`. */
  host: string;
  port: number;
}

/** After a signal to a timed-out remote command, how long before the next step (KILL, then close). */
export const REMOTE_KILL_GRACE_MS = 2_000;
const DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts';
const GLOBAL_KNOWN_HOSTS = '/etc/ssh/ssh_known_hosts';
const DEFAULT_IDENTITIES = ['~/.ssh/id_ed25519', '~/.ssh/id_ecdsa', '~/.ssh/id_rsa'];
/** ssh2 1.17's default host key algorithms (lib/protocol/constants.js), in its order. */
const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/** Parses `ssh://user@host:port` (port 22 and the current user by default; `[::1]` for IPv6). */
export function parseSshUrl(url: string): SshAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid target ${JSON.stringify(url)}: expected ssh://user@host:port`);
  }
  if (u.protocol !== 'ssh:') throw new Error(`invalid target ${JSON.stringify(url)}: expected ssh://user@host:port`);
  if (u.password !== '') throw new Error(`invalid target ${JSON.stringify(url)}: no password in the URL, use a key or the SSH agent`);
  if ((u.pathname !== '' && u.pathname !== '/') || u.search !== '' || u.hash !== '') {
    throw new Error(`invalid target ${JSON.stringify(url)}: expected ssh://user@host:port and nothing after it`);
  }
  let host = u.hostname;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') throw new Error(`invalid target ${JSON.stringify(url)}: no host`);
  const user = u.username === '' ? os.userInfo().username : decodeURIComponent(u.username);
  const port = u.port === '' ? 22 : Number(u.port);
  return { user, host: host.toLowerCase(), port };
}

/** The wait before reconnect attempt number `failures + 1`: 1 s, 2 s, 4 s … capped at 30 s. */
export function backoffDelay(failures: number, backoff: SshOptions['backoff'] = {}): number {
  const initial = backoff.initialMs ?? 1_000;
  const max = backoff.maxMs ?? 30_000;
  return Math.min(max, initial * 2 ** Math.min(Math.max(0, failures), 30));
}

/** `user@host:port`, `[v6]` bracketed: the pool key. */
export function sshKey(a: SshAddress): string {
  return `${a.user}@${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}

export function expandHome(p: string): string {
  if (p === '~') return os.homedir();
  if (p.startsWith('~/')) return path.join(os.homedir(), p.slice(2));
  return p;
}

/** An error that retrying cannot fix (host key refused, authentication failed, unusable key). */
class PermanentError extends Error {}

interface KnownHostsFile {
  path: string;
  /** As the user wrote it (for messages and commands to copy). */
  shown: string;
  entries: KnownHostEntry[];
  exists: boolean;
}

interface Prepared {
  config: ConnectConfig;
  files: KnownHostsFile[];
  /** The identity file as configured, for messages. */
  identityShown?: string;
}

interface ActiveRun {
  client: SshClient;
  fail(reason: string): void;
}

type ReadyWaiter = { resolve: (c: SshClient) => void; reject: (e: Error) => void };

export class SshTarget implements Target {
  readonly id: string;
  readonly address: SshAddress;
  private readonly opts: SshOptions;
  private state: ConnectionState = { state: 'connecting' };
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  private client: SshClient | undefined;
  private generation = 0;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private waiters: ReadyWaiter[] = [];
  private readonly runs = new Set<ActiveRun>();
  private sessions = 0;
  private readonly sessionQueue: Array<() => void> = [];
  private closed = false;
  /** Commands cut off by a lost link, by their run's nonce (and process group, when announced): stopped when the link is back. */
  private readonly orphans = new Map<string, { pgid: number | undefined; command: string }>();
  /** Stopping them, on a new connection: nothing else runs there until it is done. */
  private reaping: Promise<void> | undefined;
  /** Why the last try at stopping them failed, while some are left. */
  private reapError: string | undefined;
  private readonly noticeListeners = new Set<(text: string) => void>();

  constructor(url: string | SshAddress, opts: SshOptions = {}) {
    this.address = typeof url === 'string' ? parseSshUrl(url) : url;
    this.id = `ssh://${sshKey(this.address)}`;
    this.opts = opts;
    void this.connect();
  }

  /** The current link state. */
  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Things done on the host on hubops's own initiative (stopping a command cut off by a drop), in words. */
  onNotice(listener: (text: string) => void): () => void {
    this.noticeListeners.add(listener);
    return () => {
      this.noticeListeners.delete(listener);
    };
  }

  private notice(text: string): void {
    for (const l of [...this.noticeListeners]) {
      try {
        l(text);
      } catch {
        // A listener's bug must not break the connection bookkeeping.
      }
    }
  }

  onState(listener: (s: ConnectionState) => void): () => void {
    this.listeners.add(listener);
    safeCall(listener, this.state);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /**
   * Tries again now: after a refusal that is not retried on its own (host key, authentication —
   * e.g. once known_hosts has been fixed), or to skip the backoff wait. No-op while connected.
   */
  reconnect(): void {
    if (this.closed || this.state.state === 'connected' || this.state.state === 'connecting') return;
    this.failures = 0;
    void this.connect();
  }

  /** Resolves once connected (rejects with the reason if the attempt in progress fails, or if disconnected). */
  ready(): Promise<void> {
    return this.waitReady().then(() => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Connection

  private setState(s: ConnectionState): void {
    this.state = s;
    for (const l of [...this.listeners]) safeCall(l, s);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.tickTimer);
    this.retryTimer = undefined;
    this.tickTimer = undefined;
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    this.clearTimers();
    const gen = ++this.generation;
    this.setState({ state: 'connecting' });
    let prepared: Prepared;
    let Client: typeof SshClient;
    try {
      prepared = await this.prepare();
      // Loaded on the first connection: a console on the local target never pays for it.
      Client = (await import('ssh2')).default.Client;
    } catch (err) {
      if (gen === this.generation) this.onFailure(undefined, err as Error, err instanceof PermanentError);
      return;
    }
    if (gen !== this.generation || this.closed) return;

    const { address } = this;
    const client = new Client();
    let refusal: string | undefined;
    let dropped = false;
    const config: ConnectConfig = {
      ...prepared.config,
      hostVerifier: (key: Buffer) => {
        const problem = verifyHostKey(prepared.files, address, key);
        if (problem !== undefined) refusal = problem;
        return problem === undefined;
      },
    };
    this.client = client;

    const drop = (err: Error | undefined) => {
      if (dropped) return;
      dropped = true;
      if (refusal !== undefined) {
        this.onFailure(client, new PermanentError(refusal), true);
        return;
      }
      const level = (err as { level?: string } | undefined)?.level;
      if (level === 'client-authentication') {
        this.onFailure(client, new PermanentError(authFailure(address, prepared)), true);
        return;
      }
      this.onFailure(client, err ?? new Error('connection lost'), false);
    };
    // Never remove this: an 'error' without a listener would crash the process.
    client.on('error', (err: Error) => drop(describeLinkError(err, address)));
    client.on('end', () => drop(undefined));
    client.on('close', () => drop(undefined));
    client.on('ready', () => {
      if (client !== this.client || this.closed) {
        client.end();
        return;
      }
      this.failures = 0;
      if (this.orphans.size > 0) this.startReaping(client);
      this.setState({ state: 'connected' });
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w.resolve(client);
    });
    try {
      client.connect(config);
    } catch (err) {
      // Thrown synchronously for configuration problems, e.g. a key ssh2 cannot parse.
      dropped = true;
      this.onFailure(client, new PermanentError(`cannot connect to ${this.id}: ${(err as Error).message}${keyHint(err as Error, prepared)}`), true);
    }
  }

  /** Reads known_hosts and the key; everything that can fail before a socket is opened. */
  private async prepare(): Promise<Prepared> {
    const { address, opts } = this;
    const files: KnownHostsFile[] = [];
    const knownHostsPaths = opts.knownHosts !== undefined ? [opts.knownHosts] : [DEFAULT_KNOWN_HOSTS, GLOBAL_KNOWN_HOSTS];
    for (const shown of knownHostsPaths) {
      const p = expandHome(shown);
      let text = '';
      let exists = true;
      try {
        text = await readFile(p, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new PermanentError(`cannot read known_hosts file ${shown}: ${(err as Error).message}`);
        }
        exists = false;
      }
      files.push({ path: p, shown, entries: parseKnownHosts(text).entries, exists });
    }

    const config: ConnectConfig = {
      host: address.host,
      port: address.port,
      username: address.user,
      readyTimeout: opts.readyTimeoutMs ?? 20_000,
      keepaliveInterval: opts.keepaliveIntervalMs ?? 10_000,
      keepaliveCountMax: opts.keepaliveCountMax ?? 3,
    };

    // Ask for the host key types known_hosts holds for this host first (as OpenSSH does), so a
    // host with several keys shows the one we can check.
    const known = files.flatMap((f) => knownKeyTypes(f.entries, address.host, address.port));
    const preferred = [...new Set(known.flatMap(hostKeyAlgorithmsFor))];
    if (preferred.length > 0) {
      config.algorithms = {
        serverHostKey: [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))] as ServerHostKeyAlgorithm[],
      };
    }

    const agentSock = process.env['SSH_AUTH_SOCK'];
    const useAgent = opts.agent ?? opts.identityFile === undefined;
    if (useAgent && agentSock) config.agent = agentSock;

    let identity = opts.identityFile;
    if (identity === undefined && config.agent === undefined) {
      // Neither a key nor an agent: OpenSSH's default identities, if there is one.
      for (const candidate of DEFAULT_IDENTITIES) {
        try {
          await readFile(expandHome(candidate));
          identity = candidate;
          break;
        } catch {
          // try the next
        }
      }
    }
    if (identity !== undefined) {
      try {
        config.privateKey = await readFile(expandHome(identity));
      } catch (err) {
        throw new PermanentError(`cannot read identity file ${identity}: ${(err as Error).message}`);
      }
    }
    if (config.privateKey === undefined && config.agent === undefined) {
      throw new PermanentError(
        `no key to log in to ${this.id} with: set ssh.identityFile, or start an SSH agent (SSH_AUTH_SOCK is ${agentSock ? 'set but the agent is turned off' : 'not set'})`,
      );
    }
    return identity !== undefined ? { config, files, identityShown: identity } : { config, files };
  }

  private onFailure(client: SshClient | undefined, err: Error, permanent: boolean): void {
    if (client !== undefined && client !== this.client) return;
    this.client = undefined;
    if (client !== undefined) {
      try {
        client.end();
      } catch {
        // already down
      }
    }
    for (const r of [...this.runs]) if (client === undefined || r.client === client) r.fail('connection lost');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(err);
    if (this.closed) return;

    this.clearTimers();
    if (permanent) {
      // Retrying cannot fix this; stay down until reconnect() is called.
      this.setState({ state: 'disconnected', error: err.message, retryInMs: 0 });
      return;
    }
    const delay = backoffDelay(this.failures, this.opts.backoff);
    this.failures++;
    const due = Date.now() + delay;
    const message = err.message;
    this.setState({ state: 'disconnected', error: message, retryInMs: delay });
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
    this.tickTimer = setInterval(() => {
      const left = due - Date.now();
      if (left > 0) this.setState({ state: 'disconnected', error: message, retryInMs: left });
    }, 1_000);
    this.tickTimer.unref();
  }

  private waitReady(): Promise<SshClient> {
    if (this.closed) return Promise.reject(new Error('target closed'));
    const s = this.state;
    if (s.state === 'connected' && this.client !== undefined) return Promise.resolve(this.client);
    if (s.state === 'disconnected') {
      const retry = s.retryInMs > 0 ? `; retrying in ${Math.ceil(s.retryInMs / 1000)}s` : '';
      return Promise.reject(new Error(`not connected to ${this.id}: ${s.error}${retry}`));
    }
    return new Promise<SshClient>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /**
   * A command whose link dropped keeps running on the host (an exec session has no terminal to
   * hang up), out of sight: a deploy cut off mid-way would go on while the rollback that follows
   * it runs. So, once the link is back and before anything else runs there, the processes still
   * carrying such a run's mark (HUBOPS_RUN=<nonce> in their environment, checked in /proc, so a
   * reused pid is never hit), and the run's process group while its leader carries it, get TERM,
   * and KILL 2 s later. What was done is told to onNotice listeners. Processes the login cannot
   * see or signal (another user's, under sudo) are reported as left.
   */
  private startReaping(client: SshClient): Promise<void> {
    const p: Promise<void> = this.reapOrphans(client).finally(() => {
      if (this.reaping === p) this.reaping = undefined;
    });
    this.reaping = p;
    return p;
  }

  private async reapOrphans(client: SshClient): Promise<void> {
    for (const [nonce, run] of [...this.orphans]) {
      let answer: StopAnswer;
      try {
        answer = stopAnswer(await execStopScript(client, nonce, run.pgid), this.id);
      } catch (err) {
        // Not done (a refused channel, a host that cannot fork, the link gone again): commands wait.
        this.reapError = (err as Error).message;
        continue;
      }
      this.orphans.delete(nonce);
      const what = `the command cut off when the link to ${this.id} dropped (${oneLine(run.command)})`;
      this.notice(answer.outcome === 'none' ? `${what} had ended by the time the link was back` : describeStop(what, answer));
    }
    if (this.orphans.size === 0) this.reapError = undefined;
  }

  /**
   * Stops what is left of an earlier run given `mark` (RunOptions.mark): after hubops itself died
   * under it, its processes go on on the host. Waits for the link like run() does.
   */
  async stopMarked(mark: string): Promise<StopAnswer> {
    const bad = badMark(mark);
    if (bad) throw new Error(bad);
    const client = await this.waitReady();
    while (this.reaping) await this.reaping;
    return stopAnswer(await execStopScript(client, mark, undefined), this.id);
  }

  private acquireSession(): Promise<void> {
    const max = Math.max(1, this.opts.maxSessions ?? 8);
    if (this.sessions < max) {
      this.sessions++;
      return Promise.resolve();
    }
    return new Promise((resolve) =>
      this.sessionQueue.push(() => {
        this.sessions++;
        resolve();
      }),
    );
  }

  private releaseSession(): void {
    this.sessions--;
    this.sessionQueue.shift()?.();
  }

  // -------------------------------------------------------------------------------------------
  // Target

  /**
   * Runs `command` with `sh -c` on the host (whatever the user's login shell is), as
   * `exec sh -c '<announce $$ on stderr>; exec sh -c "$2"' sh <nonce> '<command>'`: the command
   * string is passed on exactly as given, and hubops learns the pid of the session's process-group
   * leader (sshd makes each session its own process group), so a timeout or an abort can kill
   * everything the command started with `kill -- -PGID` on a second channel. (The SSH "signal"
   * request is sent too, but OpenSSH refuses it for root logins: "session signalling requires
   * privilege separation".) The announcement line is consumed, never shown.
   */
  run(command: string, opts: RunOptions = {}): Promise<RunResult> {
    const started = Date.now();
    const nonce = opts.mark ?? newRunMark();
    const announce = `hubops-run ${nonce} `;
    let remotePid: number | undefined;
    let onRemotePid: ((pid: number) => void) | undefined;
    const collector = new OutputCollector(opts.onLine, opts.tailLines, (line, stream) => {
      if (remotePid !== undefined || stream !== 'stderr' || !line.startsWith(announce)) return false;
      const pid = Number(line.slice(announce.length));
      if (!Number.isInteger(pid) || pid <= 1) return false;
      remotePid = pid;
      onRemotePid?.(pid);
      return true;
    });
    const wrapped =
      `exec sh -c ${shellQuote(`HUBOPS_RUN=$1; export HUBOPS_RUN; printf 'hubops-run %s %s\n' "$1" "$$" >&2; exec sh -c "$2"`)} sh ${shellQuote(nonce)} ${shellQuote(command)}`;
    if (this.closed) return Promise.resolve(notRun(collector, started, 'target closed'));
    if (opts.signal?.aborted) return Promise.resolve(notRun(collector, started, 'aborted'));
    const bad = badMark(nonce);
    if (bad) return Promise.resolve(notRun(collector, started, bad));

    return new Promise<RunResult>((resolve) => {
      let settled = false;
      let timedOut = false;
      let holdsSession = false;
      let channel: ClientChannel | undefined;
      let exitCode: number | null | undefined;
      let exitSignal: string | undefined;
      let killReason: string | undefined;
      let lost: string | undefined;
      const timers: NodeJS.Timeout[] = [];
      let active: ActiveRun | undefined;

      const finish = (error?: string) => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        opts.signal?.removeEventListener('abort', onAbort);
        if (active) this.runs.delete(active);
        if (holdsSession) this.releaseSession();
        collector.end();
        // Cut off once it may have started: it is stopped on the host when the link is back.
        if (lost !== undefined && execSent && !this.closed) {
          this.orphans.set(nonce, { pgid: remotePid, command });
          lost = `${lost} while it ran; once the link is back, hubops stops what is left of it on the host before running anything else there`;
        }
        const why = lost ?? killReason ?? error;
        const result: RunResult = {
          code: why !== undefined ? null : (exitCode ?? null),
          tail: collector.tail,
          timedOut,
          durationMs: Date.now() - started,
        };
        if (exitSignal !== undefined) result.signal = exitSignal;
        if (why !== undefined) result.error = why;
        resolve(result);
        if (channel !== undefined && (lost !== undefined || killReason !== undefined)) {
          try {
            channel.close();
          } catch {
            // already closed
          }
        }
      };

      // Timeout / abort: TERM the remote process group (a "signal" request, which sshd turns into
      // killpg() except for root logins, plus `kill -- -PGID` on a channel of its own), KILL after
      // a grace, and after another give up on the channel.
      let execSent = false;
      const stop = (reason: string) => {
        if (settled || killReason !== undefined) return;
        killReason = reason;
        if (channel !== undefined) {
          startKill(channel);
        } else if (!execSent) {
          finish(); // nothing started yet
        } else {
          // The channel is opening: the exec callback starts the kill; don't wait on it forever.
          const t = setTimeout(() => finish(), 2 * REMOTE_KILL_GRACE_MS);
          t.unref();
          timers.push(t);
        }
      };
      const startKill = (ch: ClientChannel) => {
        const client = active?.client;
        const sig = (name: 'TERM' | 'KILL') => {
          signalChannel(ch, name);
          if (client === undefined) return;
          if (remotePid !== undefined) killRemoteGroup(client, remotePid, name);
          // Not announced yet (the login shell is still reading its rc files): as soon as it is.
          else onRemotePid = (pid) => killRemoteGroup(client, pid, name);
        };
        sig('TERM');
        const t1 = setTimeout(() => {
          sig('KILL');
          const t2 = setTimeout(() => finish(), REMOTE_KILL_GRACE_MS);
          t2.unref();
          timers.push(t2);
        }, REMOTE_KILL_GRACE_MS);
        t1.unref();
        timers.push(t1);
      };
      const onAbort = () => stop('aborted');
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        const ms = opts.timeoutMs;
        const t = setTimeout(() => {
          timedOut = true;
          stop(timedOutMessage(ms));
        }, ms);
        timers.push(t);
      }

      void (async () => {
        let client: SshClient;
        try {
          client = await this.waitReady();
        } catch (err) {
          finish((err as Error).message);
          return;
        }
        if (settled) return;
        // Commands cut off by an earlier drop are stopped first; if that cannot be done, nothing runs.
        while (this.reaping) await this.reaping;
        if (this.orphans.size > 0 && client === this.client) await this.startReaping(client);
        if (settled) return;
        if (this.orphans.size > 0) {
          finish(`not run: a command cut off by an earlier drop of the link could not be stopped on the host yet (${this.reapError ?? 'link down'}); it is tried again before the next command`);
          return;
        }
        await this.acquireSession();
        holdsSession = true;
        if (settled) {
          // Timed out or aborted while waiting for a free session.
          this.releaseSession();
          holdsSession = false;
          return;
        }
        if (client !== this.client || this.state.state !== 'connected') {
          finish('connection lost');
          return;
        }
        active = {
          client,
          fail: (reason) => {
            lost = reason;
            finish();
          },
        };
        this.runs.add(active);
        // sshd frees a session slot a moment after the channel closes, and its MaxSessions may be
        // lower than ours: a refused channel is tried again a few times before it is an error.
        let attempt = 0;
        const openExec = () => client.exec(wrapped, (err, ch) => {
            if (settled) {
              // Gave up while the channel was opening: stop what just started, best effort.
              if (!err) {
                signalChannel(ch, 'TERM');
                try {
                  ch.close();
                } catch {
                  // already gone
                }
              }
              return;
            }
            if (err) {
              if (/Channel open failure/i.test(err.message) && attempt < 5 && client === this.client) {
                attempt++;
                const t = setTimeout(openExec, 100 * attempt);
                timers.push(t);
                return;
              }
              finish(`cannot start the command on ${this.id}: ${err.message}`);
              return;
            }
            channel = ch;
            ch.on('data', (b: Buffer) => collector.push('stdout', b));
            ch.stderr.on('data', (b: Buffer) => collector.push('stderr', b));
            ch.on('exit', (code: number | null, signal?: string) => {
              exitCode = code;
              if (signal) exitSignal = signal;
            });
            ch.on('close', () => finish());
            ch.on('error', () => {
              // 'close' follows.
            });
            // No input: the command sees end-of-file on stdin.
            ch.end();
            if (killReason !== undefined) startKill(ch);
          });
        try {
          openExec();
          execSent = true;
        } catch (err) {
          finish(`cannot start the command on ${this.id}: ${(err as Error).message}`);
        }
      })();
    });
  }

  async openUnixSocket(socketPath: string): Promise<Duplex> {
    const client = await this.waitReady();
    return new Promise<Duplex>((resolve, reject) => {
      client.openssh_forwardOutStreamLocal(socketPath, (err, ch) => {
        if (err) reject(new Error(`cannot open unix socket ${socketPath} on ${this.id}: ${err.message}`));
        else resolve(socketLike(ch));
      });
    });
  }

  async openTcp(host: string, port: number): Promise<Duplex> {
    const client = await this.waitReady();
    return new Promise<Duplex>((resolve, reject) => {
      client.forwardOut('127.0.0.1', 0, host, port, (err, ch) => {
        if (err) reject(new Error(`cannot open ${host}:${port} from ${this.id}: ${err.message}`));
        else resolve(socketLike(ch));
      });
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.generation++;
    this.clearTimers();
    unpool(this);
    for (const r of [...this.runs]) r.fail('target closed');
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(new Error('target closed'));
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          client.destroy();
          resolve();
        }, 1_000);
        t.unref();
        client.once('close', () => {
          clearTimeout(t);
          resolve();
        });
        client.end();
      });
    }
    this.setState({ state: 'disconnected', error: 'closed', retryInMs: 0 });
    this.listeners.clear();
  }
}

// ---------------------------------------------------------------------------------------------
// Host keys

function hostKeyAlgorithmsFor(keyType: string): ServerHostKeyAlgorithm[] {
  if (keyType === 'ssh-rsa') return ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
  return DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => a === keyType);
}

/** undefined if the key may be used; otherwise the refusal, in words for the screen. */
function verifyHostKey(files: KnownHostsFile[], a: SshAddress, key: Buffer): string | undefined {
  const keyType = keyTypeOfBlob(key) ?? 'unknown-key-type';
  const fp = fingerprintSha256(key);
  const name = knownHostsName(a.host, a.port);
  const target = `${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
  let known = false;
  let changed: { file: KnownHostsFile; line: number } | undefined;
  for (const file of files) {
    const v = checkHostKey(file.entries, a.host, a.port, keyType, key);
    if (v.verdict === 'revoked') {
      return `host key for ${target} is REVOKED: the server offered ${keyType} ${fp}, which ${file.shown} line ${v.line} marks @revoked. Refusing to connect.`;
    }
    if (v.verdict === 'known') known = true;
    if (v.verdict === 'changed' && changed === undefined) changed = { file, line: v.line };
  }
  if (known) return undefined;
  if (changed !== undefined) {
    return (
      `HOST KEY CHANGED for ${target}: the server offered ${keyType} ${fp}, but ${changed.file.shown} line ${changed.line} holds a different ${keyType} key. ` +
      `Someone may be intercepting the connection, or the host was reinstalled. Refusing to connect. ` +
      `Check the new fingerprint out of band (on the host: ssh-keygen -lf <its ${keyType} host key .pub>); only if it matches, remove the old entry with ` +
      `ssh-keygen -R ${shellQuote(name)} -f ${changed.file.shown} and add the new one.`
    );
  }
  const userFile = files[0];
  const shown = userFile?.shown ?? DEFAULT_KNOWN_HOSTS;
  const scan = a.port === 22 ? `ssh-keyscan -t ${shortType(keyType)} ${a.host}` : `ssh-keyscan -t ${shortType(keyType)} -p ${a.port} ${a.host}`;
  const missing = userFile !== undefined && !userFile.exists ? ` (${shown} does not exist yet)` : '';
  return (
    `host key for ${target} is not known${missing} (${keyType} ${fp}); hubops never trusts a host key on its own. ` +
    `Check this fingerprint out of band (on the host: ssh-keygen -lf <its ${keyType} host key .pub>), then trust it with: ` +
    `${scan} >> ${shown}   — or add this line to ${shown}: ${knownHostsLine(a.host, a.port, keyType, key)}`
  );
}

/** `ssh-keyscan -t` names: rsa, ecdsa, ed25519, dsa. */
function shortType(keyType: string): string {
  if (keyType === 'ssh-rsa') return 'rsa';
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType === 'ssh-dss') return 'dsa';
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  return keyType;
}

function describeLinkError(err: Error, a: SshAddress): Error {
  const level = (err as { level?: string }).level;
  const msg = err.message;
  let text: string;
  if (msg === 'Keepalive timeout') text = 'connection lost (no answer to keepalives)';
  else if (level === 'client-socket' || level === 'client-dns') text = `cannot reach ${a.host}:${a.port}: ${msg}`;
  else if (/Timed out while waiting for handshake/.test(msg)) text = `no SSH handshake from ${a.host}:${a.port} in time`;
  else text = msg;
  const out = new Error(text);
  if (level !== undefined) (out as { level?: string }).level = level;
  return out;
}

function authFailure(a: SshAddress, prepared: Prepared): string {
  const tried: string[] = [];
  if (prepared.identityShown !== undefined) tried.push(`key ${prepared.identityShown}`);
  if (prepared.config.agent !== undefined) tried.push('the SSH agent');
  return `authentication failed for ${a.user}@${a.host}:${a.port} (tried ${tried.join(' and ') || 'nothing'}); check the user and that the key is in the host's authorized_keys`;
}

function keyHint(err: Error, prepared: Prepared): string {
  const shown = prepared.identityShown;
  if (/passphrase/i.test(err.message) && shown !== undefined) {
    return ` (an encrypted key is used through the SSH agent: ssh-add ${shown})`;
  }
  return '';
}

// ---------------------------------------------------------------------------------------------
// Helpers

function notRun(collector: OutputCollector, started: number, error: string): RunResult {
  collector.end();
  return { code: null, tail: collector.tail, timedOut: false, durationMs: Date.now() - started, error };
}

/**
 * Sends a "signal" channel request (OpenSSH's sshd killpg()s the session's process group).
 * ssh2's `channel.signal()` silently does nothing once the channel's writable side has ended —
 * and we end it at once so the command sees EOF on stdin — so fall back to the protocol call
 * underneath it (ssh2 1.17 internals: `_client._protocol.signal(outgoing.id, name)`).
 */
function signalChannel(ch: ClientChannel, name: string): void {
  const inner = ch as unknown as {
    outgoing?: { id?: number; state?: string };
    _client?: { _protocol?: { signal?: (id: number, name: string) => void } };
  };
  try {
    if (ch.writable) {
      ch.signal(name);
      return;
    }
    const proto = inner._client?._protocol;
    const id = inner.outgoing?.id;
    if (inner.outgoing?.state === 'open' && id !== undefined && typeof proto?.signal === 'function') {
      proto.signal(id, name);
    }
  } catch {
    // The channel or the connection is gone: nothing left to signal.
  }
}

/** Runs the stop script for `mark` (and process group `pgid`) on the connection; its output, or why it could not run. */
/** The stop scans /proc once and waits 3 s at most; a host this slow to answer is said to be. */
const STOP_ANSWER_MS = 60_000;

function execStopScript(client: SshClient, mark: string, pgid: number | undefined): Promise<string | Error> {
  return new Promise((resolve) => {
    let channel: { close(): void } | undefined;
    const timer = setTimeout(() => {
      channel?.close();
      resolve(new Error(`no answer in ${STOP_ANSWER_MS / 1000} s`));
    }, STOP_ANSWER_MS);
    const done = (r: string | Error) => {
      clearTimeout(timer);
      resolve(r);
    };
    try {
      client.exec(`exec sh -c ${shellQuote(STOP_MARKED_SCRIPT)} sh ${shellQuote(mark)} ${pgid ?? 0}`, (err, ch) => {
        if (err) return done(err);
        channel = ch;
        let text = '';
        ch.on('data', (b: Buffer) => (text += b.toString()));
        ch.stderr.resume();
        ch.on('error', () => {});
        ch.on('close', () => done(text));
        ch.end();
      });
    } catch (err) {
      done(err as Error);
    }
  });
}

function oneLine(command: string): string {
  const line = command.replace(/\s+/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

/** `kill -- -PGID` on a channel of its own (outside the session limit: sshd allows 10, we use 8). */
function killRemoteGroup(client: SshClient, pgid: number, sig: 'TERM' | 'KILL'): void {
  const cmd = `exec sh -c 'kill -s ${sig} -- -"$1" 2>/dev/null || kill -s ${sig} "$1" 2>/dev/null; exit 0' sh ${pgid}`;
  try {
    client.exec(cmd, (err, ch) => {
      if (err) return;
      ch.on('error', () => {});
      ch.resume();
      ch.stderr.resume();
      ch.end();
    });
  } catch {
    // The connection is gone; so is the session, or it will be.
  }
}

function safeCall(listener: (s: ConnectionState) => void, s: ConnectionState): void {
  try {
    listener(s);
  } catch {
    // A listener's bug must not break the connection bookkeeping.
  }
}

/**
 * A forwarded channel dressed as a socket: http.Agent (dockerode) calls these on what
 * createConnection returns; an SSH channel has none of them.
 */
function socketLike(ch: ClientChannel): Duplex {
  const s = ch as unknown as Record<string, unknown>;
  for (const m of ['setNoDelay', 'setKeepAlive', 'setTimeout', 'ref', 'unref']) {
    if (typeof s[m] !== 'function') {
      s[m] = function (this: unknown) {
        return this;
      };
    }
  }
  return ch;
}

// ---------------------------------------------------------------------------------------------
// The pool: one connection per user@host:port for the whole process.

const pool = new Map<string, SshTarget>();

/** The shared SshTarget for this URL (created, and connecting, on first use). */
export function getTarget(url: string, opts: SshOptions = {}): SshTarget {
  const key = sshKey(parseSshUrl(url));
  const existing = pool.get(key);
  if (existing !== undefined) return existing;
  const t = new SshTarget(url, opts);
  pool.set(key, t);
  return t;
}

function unpool(t: SshTarget): void {
  const key = sshKey(t.address);
  if (pool.get(key) === t) pool.delete(key);
}

/** Closes every pooled connection (on exit; in tests' afterAll). */
export async function closeAllTargets(): Promise<void> {
  await Promise.all([...pool.values()].map((t) => t.close()));
  pool.clear();
}
