import http from 'node:http';
import Docker from 'dockerode';
import type { Duplex } from 'node:stream';
import type { Target } from '../targets/target.js';

/**
 * A Docker Engine API client for the socket on a target. Locally, the socket directly; over SSH,
 * each HTTP connection is a stream-local forward on the target's one shared SSH connection (not
 * docker-modem's own ssh mode, which opens a new connection per request and checks no host key).
 */
export function dockerFor(target: Target, socketPath: string): Docker {
  if (target.id === 'local') return new Docker({ socketPath });
  const agent = new http.Agent({ keepAlive: false });
  (agent as unknown as { createConnection: unknown }).createConnection = (_opts: unknown, cb: (e: Error | null, s?: Duplex) => void) => {
    target.openUnixSocket(socketPath).then((ch) => {
      // ssh2 channels are not net.Sockets; http calls these on its sockets.
      const s = ch as Duplex & Record<string, unknown>;
      for (const m of ['setNoDelay', 'setKeepAlive', 'setTimeout', 'ref', 'unref']) if (typeof s[m] !== 'function') s[m] = () => s;
      cb(null, s);
    }, (e: Error) => cb(e));
    return undefined;
  };
  return new Docker({ protocol: 'http', host: 'docker', port: 80, agent } as Docker.DockerOptions);
}

