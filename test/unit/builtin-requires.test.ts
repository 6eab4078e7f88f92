// The build reaches Node's built-ins through require (scripts/builtin-requires.mjs): what a bundled
// module imports must be the very same functions and objects as Node's own, and the bundle must
// not import a built-in as ESM (which reads every export, getters included).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import process from 'node:process';
import util from 'node:util';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without types
import { builtinRequires, dataExports } from '../../scripts/builtin-requires.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'hubops-builtins-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// As scripts/build.mjs does: every chunk defines require.
const banner = "import { createRequire as __c } from 'node:module'; const require = __c(import.meta.url);";

async function bundle(name: string, contents: string): Promise<{ file: string; text: string }> {
  const file = path.join(dir, `${name}.mjs`);
  await build({ stdin: { contents, resolveDir: dir, loader: 'js' }, outfile: file, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', banner: { js: banner }, plugins: [builtinRequires()], logOverride: builtinRequires.logOverride });
  return { file, text: readFileSync(file, 'utf8') };
}

describe('built-ins through require', () => {
  it('default, named and namespace imports give Node’s own objects, and no built-in is statically imported as ESM', async () => {
    const out = await bundle(
      'all',
      [
        "import fsDefault, { readFileSync, constants } from 'node:fs';",
        "import * as utilNs from 'util';",
        "import proc, { argv, platform } from 'node:process';",
        "import { join } from 'node:path';",
        'export { fsDefault, readFileSync, constants, utilNs, proc, argv, platform, join };',
        "export const later = () => import('node:os');",
      ].join('\n'),
    );
    expect(out.text).not.toMatch(/from\s*["'](node:)?(fs|util|process|path|os)["']/);
    // A dynamic import is left to Node: it is off the start-up path, and used as a whole.
    expect(out.text).toMatch(/import\(["']node:os["']\)/);
    const m = await import(pathToFileURL(out.file).href);
    expect(m.fsDefault).toBe(fs);
    expect(m.readFileSync).toBe(fs.readFileSync);
    expect(m.constants).toBe(fs.constants);
    expect(m.utilNs.inspect).toBe(util.inspect);
    expect(m.utilNs.default).toBe(util);
    expect(m.proc).toBe(process);
    expect(m.argv).toBe(process.argv);
    expect(m.platform).toBe(process.platform);
    expect(m.join).toBe(path.join);
    expect((await m.later()).default).toBe((await import('node:os')).default);
  });

  it('leaves out accessors and lazy exports that load much (listing them would load it): importing one fails the build, naming it', async () => {
    expect(await dataExports('node:process')).not.toContain('stdout');
    expect(await dataExports('node:fs')).not.toContain('promises');
    expect(await dataExports('node:fs')).toContain('readFileSync');
    // util.diff looks like data but loads the diff engine (and creates stderr) when first read.
    expect(await dataExports('node:util')).not.toContain('diff');
    expect(await dataExports('node:util')).toContain('parseArgs');
    await expect(bundle('getter', "import { stdout } from 'node:process'; export { stdout };")).rejects.toThrow(/No matching export .* "stdout"/);
    await expect(bundle('member', "import * as fs from 'node:fs'; export const p = fs.promises;")).rejects.toThrow(/"promises".*(undefined|no export)/i);
  });

  it('a bundle importing from node:util does not load the diff engine at start-up (an ESM import of util does)', async () => {
    const out = await bundle('lazy', "import { inspect, parseArgs } from 'node:util';\nvoid inspect; void parseArgs;\nprocess.stdout.write(String(process.moduleLoadList.some((m) => m.endsWith('internal/util/diff'))));\n");
    const ours = execFileSync(process.execPath, [out.file], { encoding: 'utf8' });
    expect(ours).toBe('false');
    const plain = path.join(dir, 'plain.mjs');
    writeFileSync(plain, "import { inspect } from 'node:util';\nvoid inspect;\nprocess.stdout.write(String(process.moduleLoadList.some((m) => m.endsWith('internal/util/diff'))));\n");
    // The reason for the plugin: Node's ESM facade reads every export.
    expect(execFileSync(process.execPath, [plain], { encoding: 'utf8' })).toBe('true');
  });
});
