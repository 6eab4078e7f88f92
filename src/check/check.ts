import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ParsedArgs } from '../cli/args.js';
import { EXIT } from '../cli/exit-codes.js';
import { displayPath, formatProblem, type LoadResult, type Problem } from '../config/load.js';
import { loadRunbooks } from '../runbooks/load.js';
import { checkTemplate } from '../templates/templates.js';
import { checkConnections } from './connect.js';
import { checkMetricsConfig } from '../metrics/source.js';

interface FileReport {
  file: string;
  problems: Problem[];
}

/** `hubops check`: one line per file, problems under it; exit 0 / 1 / 2 as the help says. */
export async function runCheck(opts: {
  result: LoadResult;
  args: ParsedArgs;
  say: (s: string) => void;
  cwd: string;
  packageRoot: string;
  env: NodeJS.ProcessEnv;
}): Promise<number> {
  const { result, args, say, cwd } = opts;
  const strict = Boolean(args.values.strict);
  const show = (r: FileReport) => {
    const errors = r.problems.filter((p) => p.severity === 'error' || strict);
    const mark = errors.length > 0 ? 'FAIL' : r.problems.length > 0 ? 'warn' : 'ok  ';
    say(`${mark} ${displayPath(r.file, cwd)}`);
    for (const p of r.problems) say(`     ${formatProblem(strict ? { ...p, severity: 'error' } : p, cwd)}`);
    return errors.length === 0;
  };

  if (!result.ok) {
    show({ file: result.file, problems: result.problems });
    return EXIT.usage;
  }
  const { loaded } = result;
  // Checks that need the parsed config: PromQL that scrape mode cannot evaluate.
  const late: Problem[] = [];
  for (const [name, env] of Object.entries(loaded.config.environments)) {
    if (!env.metrics) continue;
    for (const p of checkMetricsConfig(env.metrics)) {
      const path = ['environments', name, 'metrics', ...(p.key === 'metrics' ? [] : [p.key])];
      late.push({ file: loaded.file, line: loaded.lineOf(path), path: path.join('.'), message: p.message, severity: 'error' });
    }
  }
  const configOk = show({ file: loaded.file, problems: [...loaded.warnings, ...late] });
  if (!configOk) return EXIT.usage;

  let allOk = true;
  const runbookDirs = unique([join(opts.packageRoot, 'runbooks'), join(loaded.dir, 'runbooks'), ...loaded.paths.runbookDirs]).filter((d) => existsSync(d));
  const { runbooks, problems } = await loadRunbooks(runbookDirs);
  const byFile = new Map<string, Problem[]>();
  for (const rb of runbooks) byFile.set(rb.file, []);
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), toProblem(p)]);
  for (const [file, ps] of [...byFile].sort(([a], [b]) => a.localeCompare(b))) allOk = show({ file, problems: ps }) && allOk;

  const templateDirs = unique([join(opts.packageRoot, 'templates'), ...(loaded.paths.templateDir ? [loaded.paths.templateDir] : [])]).filter((d) => existsSync(d));
  for (const dir of templateDirs) {
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.mustache')).sort()) {
      const file = join(dir, name);
      const ps = checkTemplate(readFileSync(file, 'utf8'), file, name.replace(/\.mustache$/, '')).map(toProblem);
      allOk = show({ file, problems: ps }) && allOk;
    }
  }

  if (args.values.connect) {
    const lines = await checkConnections(loaded, { env: opts.env, only: args.values.env as string | undefined });
    for (const l of lines) {
      say(`${l.ok ? 'ok  ' : 'FAIL'} ${l.what}${l.detail ? `: ${l.detail}` : ''}`);
      allOk = allOk && l.ok;
    }
  }
  return allOk ? EXIT.ok : EXIT.failed;
}

function unique(dirs: string[]): string[] {
  return [...new Set(dirs.map((d) => resolve(d)))];
}

function toProblem(p: { file: string; line: number; field?: string; message: string; severity?: 'error' | 'warning' }): Problem {
  return { file: p.file, line: p.line, path: p.field ?? '', message: p.message, severity: p.severity ?? 'error' };
}
