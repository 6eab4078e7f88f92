/** Reads template files. The only template module that touches the file system. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TEMPLATE_NAMES, templateNameOf, type TemplateName } from './templates.js';

export interface LoadedTemplate {
  name: TemplateName;
  /** The file the text came from. */
  file: string;
  text: string;
  /** True when it came from an override folder rather than the shipped `templates/`. */
  overridden: boolean;
}

/**
 * Loads a template by name (`status-update`, …). Each folder of `overrideDirs` is tried in
 * order (the first that has the file wins; a missing folder or file is skipped), then the shipped
 * `templates/` folder (or `defaultDir` when given). Rejects only when no folder has the file.
 * The text is returned unchecked: run `checkTemplate` on it.
 */
export async function loadTemplate(name: TemplateName, overrideDirs: readonly string[] = [], defaultDir?: string): Promise<LoadedTemplate> {
  const canonical = templateNameOf(name);
  if (!canonical) throw new Error(`unknown template \`${name}\` (known: ${Object.keys(TEMPLATE_NAMES).join(', ')})`);
  const fileName = TEMPLATE_NAMES[canonical].file;
  const shipped = defaultDir ?? shippedTemplatesDir();
  const candidates = [...overrideDirs.map((dir) => ({ dir, overridden: true })), ...(shipped ? [{ dir: shipped, overridden: false }] : [])];
  for (const { dir, overridden } of candidates) {
    const file = join(dir, fileName);
    try {
      const text = await readFile(file, 'utf8');
      return { name: canonical, file, text, overridden };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new Error(`cannot read template ${file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`template ${fileName} not found in ${candidates.map((c) => c.dir).join(', ') || 'any templates folder'}`);
}

/**
 * The `templates/` folder shipped with hubops: found by walking up from this module, so it works
 * from `src/templates/` (tests) and from the bundle in `dist/` alike. Undefined if it is missing.
 */
export function shippedTemplatesDir(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) return join(dir, 'templates');
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
