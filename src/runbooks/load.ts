/** Reads runbook folders. The only runbook module that touches the file system. */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunbook } from './parse.js';
import type { Problem, Runbook } from './types.js';

export type LoadedRunbook = Runbook & { file: string };

export interface LoadRunbooksResult {
  /** Runbooks that parsed, in folder order then file-name order; on a duplicate id the first wins. */
  runbooks: LoadedRunbook[];
  /** Errors and warnings from every file and folder, in the same order. */
  problems: Problem[];
}

/** Files that sit in runbook folders without being runbooks. */
const SKIPPED = new Set(['readme.md', 'index.md']);

/**
 * Reads every `*.md` file of each folder (not recursive; files sorted by name; dot-files and
 * README.md / index.md skipped). A malformed runbook is reported and the others still load; an
 * id used by two files is an error naming both, and only the first is kept.
 */
export async function loadRunbooks(dirs: string[]): Promise<LoadRunbooksResult> {
  const runbooks: LoadedRunbook[] = [];
  const problems: Problem[] = [];
  const seen = new Map<string, { file: string; line: number }>();

  for (const dir of dirs) {
    let names: string[];
    try {
      const entries = await readdir(dir, { withFileTypes: true });
      names = entries
        .filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.toLowerCase().endsWith('.md'))
        .map((e) => e.name)
        .filter((n) => !n.startsWith('.') && !SKIPPED.has(n.toLowerCase()))
        .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    } catch (e) {
      problems.push({ file: dir, line: 1, message: `cannot read runbook folder: ${reason(e)}`, severity: 'error' });
      continue;
    }

    for (const name of names) {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        problems.push({ file, line: 1, message: `cannot read runbook: ${reason(e)}`, severity: 'error' });
        continue;
      }
      const result = parseRunbook(text, file);
      if (!result.ok) {
        problems.push(...result.errors, ...result.warnings);
        continue;
      }
      problems.push(...result.warnings);
      const { runbook } = result;
      const idLine = runbook.fieldLines['id'] ?? 1;
      const first = seen.get(runbook.id);
      if (first) {
        problems.push({
          file,
          line: idLine,
          field: 'id',
          message: `duplicate runbook id \`${runbook.id}\`: also used by ${first.file}:${first.line}; this file is ignored`,
          severity: 'error',
        });
        continue;
      }
      seen.set(runbook.id, { file, line: idLine });
      runbooks.push({ ...runbook, file });
    }
  }
  return { runbooks, problems };
}

function reason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file or folder';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'ENOTDIR') return 'not a folder';
  return e instanceof Error ? e.message : String(e);
}

/**
 * The `runbooks/` folder shipped with hubops: found by walking up from this module, so it works
 * from `src/runbooks/` (tests) and from the bundle in `dist/` alike. Undefined if it is missing.
 */
export function shippedRunbooksDir(): string | undefined {
  return findUp('runbooks');
}

function findUp(sub: string): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, sub))) return join(dir, sub);
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
