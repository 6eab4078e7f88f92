import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { homedir } from 'node:os';
import { isMap, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod/mini';
import { closest } from '../util/closest.js';
import { configSchema, type Config } from './schema.js';

export interface Problem {
  file: string;
  line: number;
  /** Dotted field path, e.g. `environments.prod.watch.interval`; empty for file-level problems. */
  path: string;
  message: string;
  severity: 'error' | 'warning';
}

export interface LoadedConfig {
  config: Config;
  file: string;
  dir: string;
  /** Folders resolved against the config file's folder. */
  paths: { journal: string; reports: string; runbookDirs: string[]; templateDir?: string };
  warnings: Problem[];
  /** The line of a field in the file (for problems found after loading, e.g. a PromQL check). */
  lineOf: (path: readonly (string | number)[]) => number;
}

export type LoadResult = { ok: true; loaded: LoadedConfig } | { ok: false; file: string; problems: Problem[] };

export const CONFIG_NAMES = ['hubops.yaml', 'hubops.yml'];

/** `--config`, then `HUBOPS_CONFIG`, then hubops.yaml in `cwd` or the nearest parent. */
export function findConfigFile(opts: { flag?: string; env: NodeJS.ProcessEnv; cwd: string }): string | undefined {
  if (opts.flag) return resolve(opts.cwd, opts.flag);
  if (opts.env.HUBOPS_CONFIG) return resolve(opts.cwd, opts.env.HUBOPS_CONFIG);
  for (let dir = resolve(opts.cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const p = join(dir, name);
      if (existsSync(p)) return p;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** A file as the user should see it: relative to where they stand, unless that means climbing out. */
export function displayPath(file: string, cwd = process.cwd()): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  return !rel || rel.startsWith('..') ? file : rel;
}

export function formatProblem(p: Problem, cwd = process.cwd()): string {
  const file = displayPath(p.file, cwd);
  const where = p.path ? `${p.path}: ` : '';
  return `${file}:${p.line}: ${p.severity === 'warning' ? 'warning: ' : ''}${where}${p.message}`;
}

export function loadConfigFile(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(err);
    return { ok: false, file, problems: [{ file, line: 1, path: '', message: `cannot read config: ${why}`, severity: 'error' }] };
  }
  return parseConfigText(text, file);
}

/** Pure: text in, config or problems out (each with a line). */
export function parseConfigText(text: string, file: string): LoadResult {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line);

  if (doc.errors.length > 0) {
    return {
      ok: false,
      file,
      problems: doc.errors.map((e) => ({
        file,
        line: e.linePos?.[0]?.line ?? lineOf(e.pos[0]),
        path: '',
        message: `YAML: ${e.message.split('\n')[0]}`,
        severity: 'error' as const,
      })),
    };
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 });
  if (raw === null || raw === undefined) {
    return { ok: false, file, problems: [{ file, line: 1, path: '', message: 'the config is empty', severity: 'error' }] };
  }

  const warnings: Problem[] = [];
  let data = raw;
  // Unknown keys are warnings (a config written for a newer hubops must still open): strip them
  // and validate again, at most a few rounds since nested objects surface their own.
  for (let round = 0; round < 8; round++) {
    const result = configSchema.safeParse(data);
    if (result.success) {
      const dir = dirname(file);
      const lineOfPath = (path: readonly (string | number)[]) => {
        for (let n = path.length; n > 0; n--) {
          const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
          if (node?.range) return lineOf(node.range[0]);
        }
        return 1;
      };
      return { ok: true, loaded: { config: result.data, file, dir, paths: resolvePaths(result.data, dir), warnings, lineOf: lineOfPath } };
    }
    const unknown = result.error.issues.filter((i) => i.code === 'unrecognized_keys');
    const others = result.error.issues.filter((i) => i.code !== 'unrecognized_keys');
    if (others.length > 0 || unknown.length === 0) {
      return { ok: false, file, problems: [...warnings, ...others.map((i) => issueToProblem(i, doc, file, lineOf))] };
    }
    data = structuredClone(data);
    for (const issue of unknown) {
      if (issue.code !== 'unrecognized_keys') continue;
      const owner = getAt(data, issue.path) as Record<string, unknown>;
      const known = knownKeysAt(issue.path);
      for (const key of issue.keys) {
        delete owner[key];
        const hint = closest(key, known);
        warnings.push({
          file,
          line: lineOf(keyNodeRange(doc, issue.path, key)),
          path: joinPath([...issue.path, key]),
          message: `unknown key${hint ? ` (did you mean ${hint}?)` : ''}`,
          severity: 'warning',
        });
      }
    }
  }
  return { ok: false, file, problems: [{ file, line: 1, path: '', message: 'config could not be validated', severity: 'error' }] };
}

function issueToProblem(issue: z.core.$ZodIssue, doc: Document, file: string, lineOf: (o?: number) => number): Problem {
  const path = issue.path as PropertyKey[];
  let line = 1;
  let missing = false;
  for (let n = path.length; n >= 0; n--) {
    if (n > 0 && !doc.hasIn(path.slice(0, n))) {
      missing = true;
      continue;
    }
    if (n === path.length) {
      // The value exists: point at it.
      const node = doc.getIn(path, true) as Node | undefined;
      line = lineOf(node?.range?.[0]);
    } else if (n > 0) {
      // A missing key: point at the key of the nearest parent that exists.
      line = lineOf(keyNodeRange(doc, path.slice(0, n - 1), String(path[n - 1])));
    }
    break;
  }
  return { file, line, path: joinPath(path), message: missing ? 'required' : issue.message, severity: 'error' };
}

function keyNodeRange(doc: Document, path: readonly PropertyKey[], key: string): number | undefined {
  const owner = path.length === 0 ? doc.contents : doc.getIn(path as PropertyKey[], true);
  if (!isMap(owner)) return undefined;
  for (const item of owner.items) {
    if (isScalar(item.key) && String(item.key.value) === key) return item.key.range?.[0];
  }
  return owner.range?.[0];
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
}

function getAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let cur = data as Record<PropertyKey, unknown>;
  for (const p of path) cur = cur[p] as Record<PropertyKey, unknown>;
  return cur;
}

/** Keys the schema knows at a config path, for "did you mean" hints. */
function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let s: unknown = configSchema;
  const unwrap = (x: any): any => {
    for (;;) {
      const def = x?._zod?.def;
      if (!def) return x;
      if (['optional', 'default', 'prefault', 'nullable', 'readonly', 'catch'].includes(def.type)) x = def.innerType;
      else if (def.type === 'pipe') x = def.in;
      else return x;
    }
  };
  for (const p of path) {
    const def = unwrap(s)?._zod?.def;
    if (!def) return [];
    if (def.type === 'object') s = def.shape[p as string];
    else if (def.type === 'record') s = def.valueType;
    else if (def.type === 'array') s = def.element;
    else return [];
  }
  const def = unwrap(s)?._zod?.def;
  return def?.type === 'object' ? Object.keys(def.shape) : [];
}

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

function resolvePaths(config: Config, dir: string): LoadedConfig['paths'] {
  const r = (p: string) => resolve(dir, expandHome(p));
  return {
    journal: r(config.journal),
    reports: r(config.reports),
    runbookDirs: config.runbooks.map(r),
    templateDir: config.templates ? r(config.templates) : undefined,
  };
}

/** The environment to use: `--env`, then `defaultEnv`, then the only one, else an error message. */
export function pickEnvironment(config: Config, wanted?: string): { name: string } | { error: string } {
  const names = Object.keys(config.environments);
  const name = wanted ?? config.defaultEnv ?? (names.length === 1 ? names[0] : undefined);
  if (!name) return { error: `several environments (${names.join(', ')}): choose one with --env NAME` };
  if (!config.environments[name]) {
    const hint = closest(name, names);
    return { error: `no environment "${name}" in the config${hint ? ` (did you mean ${hint}?)` : ''}; known: ${names.join(', ')}` };
  }
  return { name };
}

export function isProduction(name: string, env: { production?: boolean }): boolean {
  return env.production ?? /^prod/i.test(name);
}
