// Bundles the CLI into dist/ so that `bin/hubops` starts without a TypeScript compiler.
// Code splitting keeps the console (React + Ink) out of the start-up path of `--version` and
// the plain commands: it is loaded with a dynamic import only when a screen is drawn.
import { build } from 'esbuild';
import { readFileSync, readdirSync, statSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inkSpeedups } from './ink-speedups.mjs';
import { builtinRequires } from './builtin-requires.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const out = join(root, 'dist');
const entry = join(root, 'bin', 'main.ts');

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

if (process.argv.includes('--if-stale') && existsSync(join(out, 'main.js'))) {
  const built = statSync(join(out, 'main.js')).mtimeMs;
  const sources = Math.max(...['src', 'screens', 'bin'].map((d) => newestMtime(join(root, d))));
  if (built >= sources) process.exit(0);
}

// Chunk names change with their content: old ones would pile up.
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const stub = join(out, '.empty-stub.js');
writeFileSync(stub, 'export default {};\n');

await build({
  entryPoints: { main: entry },
  outdir: out,
  bundle: true,
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  jsx: 'automatic',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  minifyWhitespace: true,
  minifySyntax: true,
  // Ink's devtools integration is only used with DEV=true; an external import would break at load.
  alias: { 'react-devtools-core': stub },
  plugins: [inkSpeedups(root), builtinRequires()],
  logOverride: builtinRequires.logOverride,
  // Native optional bindings that ssh2 / cpu-features try to load; both have JS fallbacks.
  external: ['cpu-features', './crypto/build/Release/sshcrypto.node'],
  banner: {
    // CommonJS dependencies (ssh2, dockerode) expect require, __dirname and __filename.
    js: [
      "import { createRequire as __hubopsCreateRequire } from 'node:module';",
      "import { fileURLToPath as __hubopsFileURLToPath } from 'node:url';",
      "import { dirname as __hubopsDirname } from 'node:path';",
      'const require = __hubopsCreateRequire(import.meta.url);',
      'const __filename = __hubopsFileURLToPath(import.meta.url);',
      'const __dirname = __hubopsDirname(__filename);',
    ].join(' '),
  },
  define: { 'process.env.NODE_ENV': '"production"', __HUBOPS_VERSION__: JSON.stringify(pkg.version) },
});

// The programs `hubops demo` runs as its own processes (the shop API, its worker, and shopctl,
// which the demo's deploy.sh calls): separate, dependency-free entry points, no code splitting.
await build({
  entryPoints: {
    'demo-shop': join(root, 'src', 'demo', 'shop-service.ts'),
    'demo-worker': join(root, 'src', 'demo', 'worker.ts'),
    'demo-ctl': join(root, 'src', 'demo', 'ctl.ts'),
  },
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
});
