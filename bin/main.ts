// The bundle's entry: wires the real process into the CLI. Everything else takes its I/O as input.
import { fileURLToPath } from 'node:url';
import { runCli } from '../src/cli/run.js';
import { installLazySegmenter } from '../src/util/lazy-segmenter.js';

declare const __HUBOPS_VERSION__: string;

// Before the console's modules are loaded (they are imported below, on demand).
installLazySegmenter();

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  stdinIsTTY: Boolean(process.stdin.isTTY),
  version: __HUBOPS_VERSION__,
  packageRoot: fileURLToPath(new URL('..', import.meta.url)),
  openConsole: async (ctx) => (await import('../screens/console.js')).openConsole(ctx),
});
process.exitCode = code;
// Timers and sockets of sources must not keep a finished command alive.
if (code !== undefined) setImmediate(() => process.exit(code));
