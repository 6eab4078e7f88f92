/**
 * Runbook parser: markdown text in, a runbook (or problems, each with a line) out.
 *
 * Format: YAML front matter between `---` lines (id, title, severity, services, tags, optional
 * summary and env), then `##` sections: Symptoms, Diagnosis, Resolution, Prevention and
 * Rollback / escalation. Steps are GFM checklist items (`- [ ] text`) in Diagnosis, Resolution
 * and Rollback; a fenced ```sh / ```bash / ```shell block nested under an item (or right after the
 * list it ends) is that step's command, and its info string may carry `target=NAME`.
 *
 * Pure and total: no I/O, and it never throws — any text gives a runbook or errors with a line.
 */
import type { Code, Heading, List, ListItem, Nodes, Root, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';
import * as z from 'zod/mini';
import '../util/zod-en.js';
import { closest, editDistance } from '../util/closest.js';
import type { ParseResult, Problem, Runbook, Section, SectionKey, Severity, Step, StepCommand, StepSection } from './types.js';

export type { ParseResult, Problem, Runbook, Section, SectionKey, Severity, Step, StepCommand, StepSection } from './types.js';

/** Fence languages whose blocks are runnable commands. */
export const SHELL_LANGS: readonly string[] = ['sh', 'bash', 'shell'];

/** Options a command fence's info string may carry after the language. */
export const FENCE_OPTIONS: readonly string[] = ['target'];

export const SECTION_ORDER: readonly SectionKey[] = ['symptoms', 'diagnosis', 'resolution', 'prevention', 'rollback'];
export const REQUIRED_SECTIONS: readonly SectionKey[] = ['symptoms', 'diagnosis', 'resolution'];
export const STEP_SECTIONS: readonly StepSection[] = ['diagnosis', 'resolution', 'rollback'];

/** How each section is named in messages. */
// In types.ts, so that screens show section titles without loading the markdown parser.
export { SECTION_TITLES } from './types.js';
import { SECTION_TITLES } from './types.js';

const SECTION_ALIASES: Readonly<Record<string, SectionKey>> = {
  symptoms: 'symptoms',
  symptom: 'symptoms',
  diagnosis: 'diagnosis',
  diagnostic: 'diagnosis',
  diagnostics: 'diagnosis',
  resolution: 'resolution',
  remediation: 'resolution',
  mitigation: 'resolution',
  prevention: 'prevention',
  rollback: 'rollback',
  escalation: 'rollback',
};
const KNOWN_HEADINGS: readonly string[] = ['symptoms', 'diagnosis', 'resolution', 'prevention', 'rollback', 'escalation'];
const ROLLBACK_RE = /^(?:rollback|roll back|roll-back|escalation|escalate)(?:\s*(?:\/|&|\+|,|and|or)\s*(?:rollback|roll back|roll-back|escalation|escalate))?$/;

const ENV_NAME_RE = /^[A-Z_][A-Z0-9_]*$/;
const TARGET_RE = /^[A-Za-z0-9_.-]+$/;
const HUBOPS_VAR_RE = /\$\{?(HUBOPS_[A-Z0-9_]+)/g;

// ---------------------------------------------------------------------------------------------
// Front matter

const stringList = (what: string) =>
  z.pipe(
    z.transform((v: unknown) => (v === null ? [] : typeof v === 'string' ? [v] : v)),
    z.array(z.string({ error: `each entry of ${what} must be text` }).check(z.minLength(1, { error: `${what} entries must not be empty` })), {
      error: `expected a list of ${what}, e.g. [a, b]`,
    }),
  );

export const frontMatterSchema = z.object({
  id: z
    .string({ error: 'expected an id such as disk-full' })
    .check(z.regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, { error: 'id must be a slug: lower-case letters, digits and single dashes, e.g. disk-full' })),
  title: z.string({ error: 'expected a title (text)' }).check(z.trim(), z.minLength(1, { error: 'title must not be empty' })),
  severity: z.pipe(
    z.transform((v: unknown) => (typeof v === 'number' ? [v] : v)),
    z
      .array(z.literal([1, 2, 3], { error: 'a severity is 1, 2 or 3' }), {
        error: 'expected a severity (1, 2 or 3) or a list of them, e.g. [1, 2]',
      })
      .check(z.minLength(1, { error: 'list at least one severity' })),
  ),
  services: stringList('service names'),
  tags: stringList('tags'),
  summary: z.optional(z.string({ error: 'expected a one-line summary (text)' })),
  env: z.pipe(
    z.transform((v: unknown) => v ?? undefined),
    z.optional(
      z.record(
        z.string().check(z.regex(ENV_NAME_RE, { error: 'environment variable names are upper-case, e.g. HUBOPS_SERVICE' })),
        z.string({ error: 'describe each variable in a line of text' }),
        { error: 'expected a mapping of VARIABLE: description' },
      ),
    ),
  ),
});

export const FRONT_MATTER_KEYS: readonly string[] = Object.keys(frontMatterSchema.shape);

type FrontMatter = z.output<typeof frontMatterSchema>;

interface Ctx {
  file: string;
  lineCount: number;
  errors: Problem[];
  warnings: Problem[];
}

function clampLine(ctx: Ctx, line: number | undefined): number {
  if (line === undefined || !Number.isFinite(line)) return 1;
  return Math.min(Math.max(1, Math.floor(line)), ctx.lineCount);
}

function err(ctx: Ctx, line: number | undefined, message: string, field?: string): void {
  ctx.errors.push(problem(ctx, line, message, 'error', field));
}

function warn(ctx: Ctx, line: number | undefined, message: string, field?: string): void {
  ctx.warnings.push(problem(ctx, line, message, 'warning', field));
}

function problem(ctx: Ctx, line: number | undefined, message: string, severity: Problem['severity'], field?: string): Problem {
  const p: Problem = { file: ctx.file, line: clampLine(ctx, line), message, severity };
  if (field !== undefined && field !== '') p.field = field;
  return p;
}

interface FrontMatterBlock {
  /** YAML source between the fences. */
  yaml: string;
  /** Offset in the text just past the closing fence line (where the body starts). */
  bodyOffset: number;
  /** 1-based line of the closing fence. */
  closeLine: number;
}

/** Finds `---` on line 1 and the closing `---` (or `...`). */
function splitFrontMatter(text: string): FrontMatterBlock | 'missing' | 'unclosed' {
  const firstEnd = text.indexOf('\n');
  const first = firstEnd === -1 ? text : text.slice(0, firstEnd);
  if (first.trimEnd() !== '---' || firstEnd === -1) return first.trimEnd() === '---' ? 'unclosed' : 'missing';
  let pos = firstEnd + 1;
  let line = 2;
  while (pos <= text.length) {
    const end = text.indexOf('\n', pos);
    const content = end === -1 ? text.slice(pos) : text.slice(pos, end);
    const t = content.trimEnd();
    if (t === '---' || t === '...') {
      return { yaml: text.slice(firstEnd + 1, pos), bodyOffset: end === -1 ? text.length : end + 1, closeLine: line };
    }
    if (end === -1) break;
    pos = end + 1;
    line++;
  }
  return 'unclosed';
}

function parseFrontMatter(ctx: Ctx, block: FrontMatterBlock): { fm?: FrontMatter; fieldLines: Record<string, number> } {
  const fieldLines: Record<string, number> = {};
  const lc = new LineCounter();
  // The YAML starts on line 2 of the file.
  const fileLine = (offset: number | undefined) => (offset === undefined ? 1 : lc.linePos(offset).line + 1);
  let doc: Document.Parsed;
  try {
    // logLevel 'error': YAML warnings are collected in doc.warnings, never printed to the terminal.
    doc = parseDocument(block.yaml, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, logLevel: 'error' });
  } catch (e) {
    err(ctx, 2, `front matter: YAML could not be read: ${firstLine(e)}`);
    return { fieldLines };
  }
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const l = e.linePos?.[0]?.line;
      let line = l !== undefined ? l + 1 : fileLine(e.pos[0]);
      // An unclosed quote is reported where the YAML ends; point at the line that opened it instead.
      const quote = e.code === 'MISSING_CHAR' ? /closing (["'])/.exec(e.message)?.[1] : undefined;
      if (quote) line = openingQuoteLine(block.yaml, quote, line - 1) ?? line;
      err(ctx, line, `front matter: bad YAML: ${firstLine(e.message)}`);
    }
    return { fieldLines };
  }
  for (const w of doc.warnings) {
    const l = w.linePos?.[0]?.line;
    warn(ctx, l !== undefined ? l + 1 : fileLine(w.pos[0]), `front matter: ${firstLine(w.message)}`);
  }

  const root = doc.contents;
  if (root !== null && !isMap(root)) {
    err(ctx, fileLine(root.range?.[0]), 'front matter must be `key: value` lines (id, title, severity, services, tags)');
    return { fieldLines };
  }
  if (root) {
    for (const pair of root.items) {
      const keyNode = pair.key as { range?: [number, number, number] } | null;
      const line = fileLine(keyNode?.range?.[0]);
      if (!isScalar(pair.key)) {
        err(ctx, line, 'front matter: keys must be plain words such as `id` or `title`');
        continue;
      }
      const key = String(pair.key.value);
      fieldLines[key] = line;
      if (!FRONT_MATTER_KEYS.includes(key)) {
        const near = closest(key, FRONT_MATTER_KEYS);
        warn(
          ctx,
          line,
          near
            ? `front matter: unknown key \`${key}\` — did you mean \`${near}\`?`
            : `front matter: unknown key \`${key}\` (known keys: ${FRONT_MATTER_KEYS.join(', ')})`,
          key,
        );
      }
    }
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    err(ctx, 2, `front matter: ${firstLine(e)}`);
    return { fieldLines };
  }
  const parsed = frontMatterSchema.safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
      const field = path.join('.');
      const top = path[0];
      const absent = path.length === 1 && typeof top === 'string' && !(top in (data as Record<string, unknown>));
      const line = lineOfPath(doc, path, fileLine) ?? 1;
      err(ctx, line, absent ? `front matter: missing \`${top}\`` : `front matter: ${field ? `${field}: ` : ''}${issue.message}`, field);
    }
    return { fieldLines };
  }
  return { fm: parsed.data, fieldLines };
}

/** Line of the deepest node along `path` that exists in the YAML (the key's line for map entries). */
function lineOfPath(doc: Document.Parsed, path: (string | number)[], fileLine: (offset: number | undefined) => number): number | undefined {
  let node: unknown = doc.contents;
  let line: number | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as { range?: [number, number, number] } | null;
      if (keyNode?.range) line = fileLine(keyNode.range[0]);
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      if (item.range) line = fileLine(item.range[0]);
      node = item;
    } else break;
  }
  return line;
}

/** File line of the last line (up to YAML line `upTo`, 1-based) holding an odd number of `quote`s. */
function openingQuoteLine(yaml: string, quote: string, upTo: number): number | undefined {
  const lines = yaml.split('\n').slice(0, Math.max(upTo, 0));
  for (let i = lines.length - 1; i >= 0; i--) {
    if ((lines[i]!.split(quote).length - 1) % 2 === 1) return i + 2;
  }
  return undefined;
}

function firstLine(e: unknown): string {
  const s = e instanceof Error ? e.message : String(e);
  return s.split('\n')[0] ?? s;
}

// ---------------------------------------------------------------------------------------------
// Markdown body

interface BodyResult {
  sections: Partial<Record<SectionKey, Section>>;
  steps: Record<StepSection, Step[]>;
}

function plainText(node: Nodes): string {
  if ('value' in node && typeof node.value === 'string') return node.value;
  if ('children' in node) return (node.children as Nodes[]).map(plainText).join('');
  return '';
}

/** Maps a heading's text to a section, tolerating case, numbering, `(steps)` and trailing colons. */
export function sectionKeyOf(heading: string): SectionKey | undefined {
  const norm = normalizeHeading(heading);
  return SECTION_ALIASES[norm] ?? (ROLLBACK_RE.test(norm) ? 'rollback' : undefined);
}

function normalizeHeading(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/\([^)]*\)/g, ' ')
    .replace(/^\s*\d+[.)]\s*/, '')
    .replace(/[*_`:]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const startLine = (n: { position?: { start: { line: number } } | undefined }) => n.position?.start.line ?? 1;
const startOffset = (n: { position?: { start: { offset?: number | undefined } } | undefined }) => n.position?.start.offset ?? 0;
const endOffset = (n: { position?: { end: { offset?: number | undefined } } | undefined }) => n.position?.end.offset ?? 0;

function parseBody(ctx: Ctx, body: string, env: Record<string, string> | undefined): BodyResult {
  const result: BodyResult = { sections: {}, steps: { diagnosis: [], resolution: [], rollback: [] } };
  let tree: Root;
  try {
    tree = fromMarkdown(body, { extensions: [gfmTaskListItem()], mdastExtensions: [gfmTaskListItemFromMarkdown()] });
  } catch (e) {
    err(ctx, 1, `markdown could not be read: ${firstLine(e)}`);
    return result;
  }

  // Split the top level into sections at `#` / `##` headings.
  interface Chunk {
    key: SectionKey;
    heading: Heading;
    nodes: RootContent[];
    end: number;
  }
  const chunks: Chunk[] = [];
  let current: Chunk | undefined;
  /** Unknown headings that look like a misspelt section, by the section they resemble. */
  const typos = new Map<SectionKey, { title: string; line: number }>();
  for (const node of tree.children) {
    if (node.type === 'heading' && node.depth <= 2) {
      if (current) current.end = startOffset(node);
      current = undefined;
      if (node.depth === 1) continue;
      const title = plainText(node).trim();
      const key = sectionKeyOf(title);
      if (!key) {
        const norm = normalizeHeading(title);
        const near = closest(norm, KNOWN_HEADINGS);
        if (near && editDistance(norm, near) <= 2) {
          warn(ctx, startLine(node), `unknown section \`## ${title}\` — did you mean \`## ${capitalize(near)}\`? Its content is ignored.`);
          const resembles = sectionKeyOf(near);
          if (resembles && !typos.has(resembles)) typos.set(resembles, { title, line: startLine(node) });
        }
        continue;
      }
      const existing = result.sections[key];
      if (existing) {
        err(ctx, startLine(node), `\`## ${title}\` repeats the ${SECTION_TITLES[key]} section already started at line ${existing.line}`);
        continue;
      }
      current = { key, heading: node, nodes: [], end: body.length };
      chunks.push(current);
      result.sections[key] = { key, heading: title, line: startLine(node), text: '' };
    } else if (current) {
      current.nodes.push(node);
    }
  }

  for (const chunk of chunks) {
    const section = result.sections[chunk.key]!;
    section.text = body.slice(endOffset(chunk.heading), chunk.end).trim();
    if (chunk.key === 'diagnosis' || chunk.key === 'resolution' || chunk.key === 'rollback') {
      result.steps[chunk.key] = collectSteps(ctx, body, chunk.key, chunk.nodes, env);
    }
  }

  // Presence and content rules.
  const lastLine = ctx.lineCount;
  for (const key of SECTION_ORDER) {
    if (result.sections[key]) continue;
    const later = SECTION_ORDER.slice(SECTION_ORDER.indexOf(key) + 1)
      .map((k) => result.sections[k])
      .find((s) => s !== undefined);
    const typo = typos.get(key);
    const where = typo ? typo.line : later ? later.line : lastLine;
    const hint = typo ? ` (\`## ${typo.title}\` here looks like a misspelling)` : later ? ` (expected before line ${later.line})` : '';
    if (REQUIRED_SECTIONS.includes(key)) err(ctx, where, `missing \`## ${SECTION_TITLES[key]}\` section${hint}`);
    else warn(ctx, where, `no \`## ${SECTION_TITLES[key]}\` section${hint}: recommended`);
  }
  const symptoms = result.sections.symptoms;
  if (symptoms && symptoms.text === '') warn(ctx, symptoms.line, '`## Symptoms` is empty: say what the on-call engineer sees');
  for (const key of ['diagnosis', 'resolution'] as const) {
    const section = result.sections[key];
    if (!section || result.steps[key].length > 0) continue;
    const msg = `\`## ${section.heading}\` has no steps: write each action as a checklist item \`- [ ] ...\``;
    if (key === 'resolution') err(ctx, section.line, msg);
    else warn(ctx, section.line, msg);
  }
  return result;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function isShell(lang: string | null | undefined): lang is string {
  return typeof lang === 'string' && SHELL_LANGS.includes(lang.toLowerCase());
}

function collectSteps(ctx: Ctx, body: string, section: StepSection, nodes: RootContent[], env: Record<string, string> | undefined): Step[] {
  const steps: Step[] = [];
  let plainItems = 0;
  let firstPlainLine: number | undefined;
  /** The step made from the last item of the list just before the current node, if any. */
  let trailing: Step | undefined;
  for (const node of nodes) {
    if (node.type === 'list') {
      trailing = undefined;
      for (const item of (node as List).children) {
        if (typeof item.checked !== 'boolean') {
          plainItems++;
          firstPlainLine ??= startLine(item);
          trailing = undefined;
          warnNestedCommands(ctx, item, undefined);
          continue;
        }
        const step = makeStep(ctx, body, section, steps.length + 1, item, env);
        steps.push(step);
        trailing = step;
      }
      continue;
    }
    if (node.type === 'code') {
      const code = node as Code;
      if (trailing && isShell(code.lang)) {
        if (trailing.command) {
          err(ctx, startLine(code), `step ${trailing.id} (line ${trailing.line}) already has a command (line ${trailing.command.line}): give each command its own step`);
        } else {
          const cmd = makeCommand(ctx, code, env);
          if (cmd) trailing.command = cmd;
        }
        continue;
      }
      if (isShell(code.lang)) {
        warn(ctx, startLine(code), `this \`${code.lang}\` block is not under any step, so it cannot be run: put it right under its \`- [ ] ...\` item`);
      }
    }
    trailing = undefined;
  }
  if (steps.length === 0 && plainItems > 0) {
    warn(ctx, firstPlainLine, `list items in \`## ${SECTION_TITLES[section]}\` are not steps: write them as checklist items \`- [ ] ...\``);
  }
  return steps;
}

function makeStep(ctx: Ctx, body: string, section: StepSection, index: number, item: ListItem, env: Record<string, string> | undefined): Step {
  const id = `${section}-${index}`;
  const line = startLine(item);
  const [first, ...rest] = item.children;
  let text = '';
  const details: string[] = [];
  if (first?.type === 'paragraph') {
    text = body.slice(startOffset(first), endOffset(first)).replace(/\s*\n\s*/g, ' ').trim();
  } else if (first) {
    rest.unshift(first);
  }
  if (text === '') err(ctx, line, `step ${id} has no text: say what to do after \`- [ ]\``);

  const step: Step = { id, section, index, text, line, checked: item.checked === true };
  for (const child of rest) {
    if (child.type === 'code') {
      const code = child as Code;
      if (isShell(code.lang)) {
        if (step.command) {
          err(ctx, startLine(code), `step ${id} (line ${line}) already has a command (line ${step.command.line}): give each command its own step`);
        } else {
          const cmd = makeCommand(ctx, code, env);
          if (cmd) step.command = cmd;
        }
        continue;
      }
      warn(
        ctx,
        startLine(code),
        code.lang
          ? `\`${code.lang}\` block under step ${id} is not a command (only ${SHELL_LANGS.join('/')} blocks run); it is shown as a note`
          : `block under step ${id} has no language: mark it \`\`\`sh to make it the step's command; it is shown as a note`,
      );
    } else {
      warnNestedCommands(ctx, child, id);
    }
    details.push(body.slice(startOffset(child), endOffset(child)));
  }
  if (details.length > 0) step.details = details.join('\n\n').trim();
  return step;
}

/** Shell blocks buried in sub-items never run: say so instead of silently ignoring them. */
function warnNestedCommands(ctx: Ctx, node: Nodes, stepId: string | undefined): void {
  const visit = (n: Nodes, depth: number) => {
    if (n.type === 'code' && isShell(n.lang) && depth > 0) {
      warn(
        ctx,
        startLine(n),
        stepId
          ? `this \`${n.lang}\` block is nested inside step ${stepId}'s notes and will not run: make it a step of its own`
          : `this \`${n.lang}\` block is under a plain list item, not a step, so it cannot be run: use \`- [ ] ...\``,
      );
    }
    if ('children' in n) for (const c of n.children as Nodes[]) visit(c, depth + 1);
  };
  // A plain list item's own children count as depth 1; a step's non-code children start at depth 1 too.
  visit(node, stepId ? 1 : 0);
}

function makeCommand(ctx: Ctx, code: Code, env: Record<string, string> | undefined): StepCommand | undefined {
  const line = startLine(code);
  if (code.value.trim() === '') {
    warn(ctx, line, 'empty command block: it is ignored');
    return undefined;
  }
  const cmd: StepCommand = { code: code.value, line, lang: (code.lang ?? 'sh').toLowerCase(), env: [] };
  for (const token of (code.meta ?? '').split(/\s+/).filter(Boolean)) {
    const m = /^([A-Za-z_][\w-]*)=(?:"([^"]*)"|'([^']*)'|(\S*))$/.exec(token);
    if (!m) {
      warn(ctx, line, `unknown fence option \`${token}\` (write \`target=NAME\`)`);
      continue;
    }
    const key = m[1]!;
    const value = m[2] ?? m[3] ?? m[4] ?? '';
    if (key !== 'target') {
      const near = closest(key, FENCE_OPTIONS);
      warn(ctx, line, `unknown fence option \`${key}\`${near ? ` — did you mean \`${near}\`?` : ''}`);
      continue;
    }
    if (!TARGET_RE.test(value)) {
      err(ctx, line, `target=${value}: a target is an environment name (letters, digits, _ . -)`);
      continue;
    }
    cmd.target = value;
  }
  const vars = new Set<string>();
  for (const m of code.value.matchAll(HUBOPS_VAR_RE)) vars.add(m[1]!);
  cmd.env = [...vars].sort();
  if (env) {
    for (const v of cmd.env) {
      if (!(v in env)) warn(ctx, line, `command uses $${v}, which the front matter's \`env\` does not describe`, `env.${v}`);
    }
  }
  return cmd;
}

// ---------------------------------------------------------------------------------------------

/** Number of lines in `text`, counting `\r\n`, `\r` and `\n` as line ends (an empty text has 1 line). */
export function lineCount(text: string): number {
  return text.split(/\r\n|\r|\n/).length;
}

export function parseRunbook(text: string, file: string): ParseResult {
  const ctx: Ctx = { file, lineCount: 1, errors: [], warnings: [] };
  try {
    const normalized = (typeof text === 'string' ? text : String(text)).replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
    ctx.lineCount = lineCount(normalized);
    return parseNormalized(ctx, normalized);
  } catch (e) {
    // Belt and braces: a parser bug must not take the console down with it.
    return { ok: false, errors: [problem(ctx, 1, `internal error while reading the runbook: ${firstLine(e)}`, 'error')], warnings: [] };
  }
}

function parseNormalized(ctx: Ctx, text: string): ParseResult {
  const block = splitFrontMatter(text);
  let fm: FrontMatter | undefined;
  let fieldLines: Record<string, number> = {};
  let body: string;
  if (block === 'missing') {
    err(ctx, 1, 'missing front matter: a runbook starts with a `---` line, then id, title, severity, services and tags, then `---`');
    body = text;
  } else if (block === 'unclosed') {
    err(ctx, 1, 'front matter opened on line 1 is never closed: add a `---` line after it');
    return { ok: false, errors: ctx.errors, warnings: ctx.warnings };
  } else {
    ({ fm, fieldLines } = parseFrontMatter(ctx, block));
    // Blank the front matter out (same length, same lines) so markdown offsets and lines stay the file's.
    body = text.slice(0, block.bodyOffset).replace(/[^\n]/g, ' ') + text.slice(block.bodyOffset);
  }

  const parsed = parseBody(ctx, body, fm ? (fm.env ?? {}) : undefined);
  if (ctx.errors.length > 0 || !fm) {
    const errors = ctx.errors.length > 0 ? ctx.errors : [problem(ctx, 1, 'front matter is not valid', 'error')];
    return { ok: false, errors, warnings: ctx.warnings };
  }
  const severity = [...new Set(fm.severity)].sort((a, b) => a - b) as Severity[];
  const runbook: Runbook = {
    id: fm.id,
    title: fm.title,
    severity,
    services: fm.services,
    tags: fm.tags,
    env: fm.env ?? {},
    symptoms: parsed.sections.symptoms?.text ?? '',
    diagnosis: parsed.steps.diagnosis,
    resolution: parsed.steps.resolution,
    rollback: parsed.steps.rollback,
    sections: parsed.sections,
    fieldLines,
  };
  if (fm.summary !== undefined) runbook.summary = fm.summary;
  if (parsed.sections.prevention) runbook.prevention = parsed.sections.prevention.text;
  return { ok: true, runbook, warnings: ctx.warnings };
}

/** Every step in the order an engineer meets them: diagnosis, resolution, then rollback. */
export function allSteps(runbook: Runbook): Step[] {
  return [...runbook.diagnosis, ...runbook.resolution, ...runbook.rollback];
}
