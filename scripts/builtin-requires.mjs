// esbuild plugin: Node's built-in modules reached through `require` instead of an ESM import.
//
// An ESM `import … from 'node:process'` (or fs, util, tty…) makes Node build the module's ESM
// facade, which reads every export once — getters included. For process that creates stdin,
// stdout and stderr streams; for util it loads TextDecoder and the diff engine; for fs, fs/promises.
// Measured on Node 22: an import of node:process costs ~11 ms, node:fs ~7 ms, node:util ~4 ms,
// against ~0.2 ms for a require of the same module; the console imports a dozen of them before its
// first frame. The bundle's banner already defines `require` (createRequire) in every chunk.
//
// Each imported built-in becomes a small module: `export default` is the module object itself, and
// each named export is one of its data properties, read once at load. Accessors, and lazy exports
// that load much (see PROBE), are left out, so that nothing costly runs by being listed; an import
// of one fails the build, naming it: a named import at once, and a namespace's member
// (`fs.promises` after `import * as fs`) through esbuild's import-is-undefined warning, which the
// build makes an error (`builtinRequires.logOverride`).
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';
import { promisify } from 'node:util';

const run = promisify(execFile);
const NS = 'hubops-builtin-require';
const IDENT = /^[A-Za-z_$][\w$]*$/;
const exportsCache = new Map();

// In a fresh Node: which of the module's keys can be read at start-up for nothing. Some exports are
// lazy: V8 "lazy data properties" that look like data but load modules the first time they are read
// (util.diff loads the diff engine, 23 modules, which creates stderr on the way). Reading a
// descriptor is a read, so each key is read in turn, counting the modules it loads: one that loads
// more than LAZY_MODULES_OK is left out (util.parseArgs, 2 modules, is kept: the CLI imports it).
// A second pass, without the left-out keys, checks that no kept key relied on what they loaded.
const LAZY_MODULES_OK = 2;
const PROBE = `
const [id, skip] = [process.argv[1], new Set(JSON.parse(process.argv[2]))];
const m = require(id);
const keep = [], heavy = [];
for (const k of Object.keys(m)) {
  if (skip.has(k)) continue;
  const n = process.moduleLoadList.length;
  const d = Object.getOwnPropertyDescriptor(m, k);
  if (process.moduleLoadList.length - n > ${LAZY_MODULES_OK} || !d || !('value' in d) || !d.enumerable) heavy.push(k);
  else keep.push(k);
}
require('fs').writeSync(1, JSON.stringify({ keep, heavy }));
`;

/** The built-in's exportable names: plain enumerable data properties that are valid identifiers. */
export async function dataExports(id) {
  if (!exportsCache.has(id)) {
    exportsCache.set(
      id,
      (async () => {
        const skip = [];
        for (let pass = 0; pass < 5; pass++) {
          const { stdout } = await run(process.execPath, ['-e', PROBE, id, JSON.stringify(skip)], { encoding: 'utf8' });
          const { keep, heavy } = JSON.parse(stdout);
          if (heavy.length === 0) return keep.filter((k) => IDENT.test(k) && k !== 'default');
          skip.push(...heavy);
        }
        throw new Error(`builtin-requires: the exports of ${id} did not settle`);
      })(),
    );
  }
  return exportsCache.get(id);
}

/** The source of the stand-in module for built-in `id` (e.g. 'node:fs'). */
export async function builtinModuleSource(id) {
  const lines = [`const m = require(${JSON.stringify(id)});`, 'export default m;'];
  for (const k of await dataExports(id)) lines.push(`export const ${k} = m.${k};`);
  return lines.join('\n') + '\n';
}

/** esbuild's log overrides the plugin needs: reading a left-out member of a stand-in's namespace fails the build. */
builtinRequires.logOverride = { 'import-is-undefined': 'error' };

export function builtinRequires() {
  const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
  return {
    name: 'hubops-builtin-requires',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        // Static imports only: a dynamic import() of a built-in is not on the start-up path, and its
        // result is used as a whole (`(await import('node:x')).y`), which the stand-in's named
        // exports could not check at build time.
        if (args.kind !== 'import-statement') return undefined;
        const bare = args.path.replace(/^node:/, '');
        if (!builtins.has(bare)) return undefined;
        // The banner's own createRequire import must stay an import.
        if (bare === 'module') return undefined;
        return { path: `node:${bare}`, namespace: NS };
      });
      build.onLoad({ filter: /.*/, namespace: NS }, async (args) => ({ contents: await builtinModuleSource(args.path), loader: 'js' }));
    },
  };
}
