import type { Duplex } from 'node:stream';
import type { Target } from '../targets/target.js';
import { httpModule, tls } from '../util/on-first-use.js';

// node:http, node:https and node:tls through require, on first use: an ESM import of http(s) makes Node
// build a module facade that touches every export, and one of them loads undici — ~30 ms of start-up for
// nothing (the console's first frame needs no HTTP); tls loads crypto and ~20 modules, for https only.

export interface HttpResult {
  status: number;
  body: string;
}

/**
 * An HTTP(S) GET whose TCP connection is opened *from the target*: over SSH the request reaches
 * hosts only the target can see (db.internal, 127.0.0.1 of the server), exactly as its services do.
 */
export function httpGet(target: Target, url: string, opts: { timeoutMs: number; maxBody?: number; signal?: AbortSignal }): Promise<HttpResult> {
  const u = new URL(url);
  const secure = u.protocol === 'https:';
  const port = Number(u.port || (secure ? 443 : 80));
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const maxBody = opts.maxBody ?? 64 * 1024;

  const agentOpts = { keepAlive: false };
  const connect = (_o: unknown, cb: (err: Error | null, s?: Duplex) => void) => {
    target.openTcp(host, port).then(
      (raw) => {
        if (!secure) return cb(null, raw);
        const sock = tls().connect({ socket: raw as never, servername: isIp(host) ? undefined : host });
        sock.once('secureConnect', () => cb(null, sock));
        sock.once('error', (e) => cb(e));
      },
      (e: Error) => cb(e),
    );
    return undefined;
  };
  const lib = httpModule(secure);
  const Agent = lib.Agent;
  const agent = new Agent(agentOpts);
  (agent as unknown as { createConnection: typeof connect }).createConnection = connect;

  return new Promise((resolve, reject) => {
    const req = lib.request(
      { method: 'GET', host, port, path: `${u.pathname}${u.search}`, agent, headers: { 'user-agent': 'hubops', host: u.host }, signal: opts.signal },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < maxBody) body += chunk.slice(0, maxBody - body.length);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        res.on('error', reject);
      },
    );
    const timer = setTimeout(() => req.destroy(Object.assign(new Error(`timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })), opts.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end();
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

/** Turns a network error into the few words an on-call needs: refused, timeout, DNS, TLS. */
export function describeNetError(err: unknown): string {
  const e = err as NodeJS.ErrnoException & { reason?: string };
  // Targets may wrap the socket error; its code then survives only in the message.
  const code = e?.code ?? /\b(E[A-Z]{4,}|ERR_TLS_[A-Z_]+|CERT_[A-Z_]+)\b/.exec(e?.message ?? '')?.[1] ?? '';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ETIMEDOUT' || /timed out/i.test(e?.message ?? '')) return e.message?.startsWith('timed out') ? e.message : 'timed out';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `DNS: cannot resolve ${(e as { hostname?: string }).hostname ?? 'host'}`;
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'host unreachable';
  if (code.startsWith('ERR_TLS') || code.startsWith('CERT_') || code.includes('SELF_SIGNED') || code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || /certificate|SSL|TLS/i.test(e?.message ?? '')) {
    return `TLS: ${e.reason ?? e.message}`;
  }
  if (/open failed|Connection refused/i.test(e?.message ?? '')) return 'connection refused (from the target)';
  return e?.message ?? String(err);
}
