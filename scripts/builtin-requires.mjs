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
// each named export is one of its plain data properties, read once at load. Accessor properties are
// left out, so that nothing is created by being listed; an import of one fails the build naming it.
import { builtinModules, createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const NS = 'hubops-builtin-require';
const IDENT = /^[A-Za-z_$][\w$]*$/;

/** The built-in's exportable names: own enumerable data properties that are valid identifiers. */
export function dataExports(id) {
  const mod = require(id);
  return Object.keys(Object.getOwnPropertyDescriptors(mod)).filter((k) => {
    const d = Object.getOwnPropertyDescriptor(mod, k);
    return d && 'value' in d && d.enumerable && IDENT.test(k) && k !== 'default';
  });
}

/** The source of the stand-in module for built-in `id` (e.g. 'node:fs'). */
export function builtinModuleSource(id) {
  const lines = [`const m = require(${JSON.stringify(id)});`, 'export default m;'];
  for (const k of dataExports(id)) lines.push(`export const ${k} = m.${k};`);
  return lines.join('\n') + '\n';
}

export function builtinRequires() {
  const builtins = new Set(builtinModules.filter((m) => !m.startsWith('_')));
  return {
    name: 'hubops-builtin-requires',
    setup(build) {
      build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, (args) => {
        if (args.kind !== 'import-statement' && args.kind !== 'dynamic-import') return undefined;
        const bare = args.path.replace(/^node:/, '');
        if (!builtins.has(bare)) return undefined;
        // The banner's own createRequire import must stay an import.
        if (bare === 'module') return undefined;
        return { path: `node:${bare}`, namespace: NS };
      });
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => ({ contents: builtinModuleSource(args.path), loader: 'js' }));
    },
  };
}
