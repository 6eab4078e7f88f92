// Node built-ins that are loaded when first used, not when the console starts. An import of
// node:tls, node:crypto or node:child_process loads it (and ~10–20 modules behind it) before the
// first frame, for commands, SSH links and https checks that may never come.
import { createRequire } from 'node:module';

const requireBuiltin = createRequire(import.meta.url);

export type Crypto = typeof import('node:crypto');
export type ChildProcesses = typeof import('node:child_process');
export type Tls = typeof import('node:tls');

/** node:crypto, loaded on the first call. */
export const crypto = (): Crypto => requireBuiltin('node:crypto') as Crypto;
/** node:child_process, loaded on the first call. */
export const childProcesses = (): ChildProcesses => requireBuiltin('node:child_process') as ChildProcesses;
/** node:tls, loaded on the first call. */
export const tls = (): Tls => requireBuiltin('node:tls') as Tls;
/** node:http or node:https, loaded on the first call (an ESM import of either loads undici too). */
export const httpModule = (secure: boolean): typeof import('node:http') => requireBuiltin(secure ? 'node:https' : 'node:http') as typeof import('node:http');
