// The build reaches Node's built-ins through require (scripts/builtin-requires.mjs): what a bundled
// module imports must be the very same functions and objects as Node's own, and the bundle must
// not import a built-in as ESM (which reads every export, getters included).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  await build({ stdin: { contents, resolveDir: dir, loader: 'js' }, outfile: file, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', banner: { js: banner }, plugins: [builtinRequires()] });
  return { file, text: readFileSync(file, 'utf8') };
}

describe('built-ins through require', () => {
  it('default, named and namespace imports give Node’s own objects, and no built-in is imported as ESM', async () => {
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
    expect(out.text).not.toMatch(/import\(["'](node:)?os["']\)/);
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

  it('leaves accessors out (listing them would create what they guard): importing one fails the build, naming it', async () => {
    expect(dataExports('node:process')).not.toContain('stdout');
    expect(dataExports('node:fs')).not.toContain('promises');
    expect(dataExports('node:fs')).toContain('readFileSync');
    await expect(bundle('getter', "import { stdout } from 'node:process'; export { stdout };")).rejects.toThrow(/No matching export .* "stdout"/);
  });
});
