// CHANGELOG.md in the Keep a Changelog shape (https://keepachangelog.com/en/1.1.0/):
//
//   ## [Unreleased]
//   ### Added
//   - …
//
//   ## [1.2.0] - 2026-10-02
//   …
//
//   [unreleased]: https://example.com/acme/shop/compare/v1.2.0...HEAD
//   [1.2.0]: https://example.com/acme/shop/compare/v1.1.0...v1.2.0
//
// The `[Unreleased]` section runs from its `##` heading to the next `#`/`##` heading, or to the
// block of link reference definitions that ends the file. Headings inside fenced code blocks are
// text. The section is empty when it holds nothing but blank lines, `###` sub-headings (templates
// often keep `### Added` with nothing under it) and HTML comments.

import { releaseTag, tagVersion } from './commits.js';

export class ChangelogError extends Error {
  override name = 'ChangelogError';
}

export type ChangelogInspection =
  | {
      status: 'present';
      /** 1-based line of the `## [Unreleased]` heading. */
      line: number;
      /** 1-based line of the section's last non-blank line. */
      endLine: number;
      /** Top-level list items (`- `, `* `, `+ `) in the section. */
      entries: number;
      /** The section's lines between the heading and the next section, leading/trailing blank lines removed. */
      content: string[];
    }
  | { status: 'empty'; line: number; endLine: number }
  | { status: 'missing' };

interface Heading {
  index: number;
  level: number;
  text: string;
}

interface Parsed {
  lines: string[];
  eol: string;
  finalEol: boolean;
  headings: Heading[];
  /** Index of the first line of the trailing link-definition block (lines.length when none). */
  refStart: number;
  /** Lines inside fenced code blocks. */
  fenced: Set<number>;
}

const HEADING_RE = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const FENCE_RE = /^ {0,3}(`{3,}|~{3,})/;
const LINK_DEF_RE = /^ {0,3}\[([^\]]+)\]:[ \t]*(\S+)(.*)$/;
const UNRELEASED_RE = /^\[?unreleased\]?(?:\(.*\))?(?:[ \t]+#+)?$/i;
const LIST_ITEM_RE = /^[-*+][ \t]+\S/;

function parse(text: string): Parsed {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const finalEol = /\r?\n$/.test(text);
  const body = finalEol ? text.replace(/\r?\n$/, '') : text;
  const lines = body === '' && !finalEol ? [] : body.split(/\r?\n/);
  const headings: Heading[] = [];
  const fenced = new Set<number>();
  let fence: { char: string; len: number } | undefined;
  lines.forEach((line, index) => {
    const f = FENCE_RE.exec(line);
    if (fence) {
      fenced.add(index);
      if (f && f[1]![0] === fence.char && f[1]!.length >= fence.len && line.trim() === f[1]) fence = undefined;
      return;
    }
    if (f) {
      fence = { char: f[1]![0]!, len: f[1]!.length };
      fenced.add(index);
      return;
    }
    const h = HEADING_RE.exec(line);
    if (h) headings.push({ index, level: h[1]!.length, text: (h[2] ?? '').replace(/[ \t]+#+$/, '') });
  });
  let refStart = lines.length;
  let sawDef = false;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (fenced.has(i)) break;
    if (line.trim() === '') continue;
    if (!LINK_DEF_RE.test(line)) break;
    sawDef = true;
    refStart = i;
  }
  if (!sawDef) refStart = lines.length;
  return { lines, eol, finalEol, headings, refStart, fenced };
}

interface Section {
  heading: Heading;
  /** Index of the first line after the section (next heading, reference block or end). */
  end: number;
  /** Index range of the content, leading and trailing blank lines trimmed: [from, to). */
  from: number;
  to: number;
}

function findUnreleased(p: Parsed): Section | undefined {
  const i = p.headings.findIndex((h) => h.level === 2 && UNRELEASED_RE.test(h.text.trim()));
  if (i === -1) return undefined;
  const heading = p.headings[i]!;
  const next = p.headings.slice(i + 1).find((h) => h.level <= 2);
  let end = next ? next.index : p.lines.length;
  if (p.refStart > heading.index && p.refStart < end) end = p.refStart;
  let from = heading.index + 1;
  let to = end;
  while (from < to && p.lines[from]!.trim() === '') from++;
  while (to > from && p.lines[to - 1]!.trim() === '') to--;
  return { heading, end, from, to };
}

function hasContent(lines: readonly string[]): boolean {
  const text = lines.join('\n').replace(/<!--[\s\S]*?-->/g, '');
  return text.split('\n').some((l) => l.trim() !== '' && !HEADING_RE.test(l));
}

/** Finds `## [Unreleased]` and says whether it has anything in it. */
export function inspectChangelog(text: string): ChangelogInspection {
  const p = parse(text);
  const s = findUnreleased(p);
  if (!s) return { status: 'missing' };
  const content = p.lines.slice(s.from, s.to);
  const line = s.heading.index + 1;
  if (!hasContent(content)) return { status: 'empty', line, endLine: s.to > s.from ? s.to : line };
  const entries = content.filter((l, k) => LIST_ITEM_RE.test(l) && !p.fenced.has(s.from + k)).length;
  return { status: 'present', line, endLine: s.to, entries, content };
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when the changelog already has a `## [X.Y.Z]` (or `## X.Y.Z`, `## [vX.Y.Z]`) section. */
export function hasVersionSection(text: string, version: string): boolean {
  const e = escapeRe(version);
  const re = new RegExp(`^(?:\\[v?${e}\\]|v?${e}(?=\\s|$|\\())`);
  return parse(text).headings.some((h) => h.level === 2 && re.test(h.text.trim()));
}

export interface PromoteOptions {
  /** The release's git tag, for the compare links (default `vX.Y.Z`). */
  tag?: string;
}

/**
 * Moves the `[Unreleased]` content under a new `## [X.Y.Z] - YYYY-MM-DD` section just below it,
 * leaving an empty `## [Unreleased]` on top. When the file ends with link references and
 * `[unreleased]` is a compare link (`…/compare/<prev>...HEAD`), it becomes `…/compare/<tag>...HEAD`
 * and `[X.Y.Z]: …/compare/<prev>...<tag>` is added below it. Blank lines around the moved content
 * are normalised to one; everything else is left as it was, line endings included.
 *
 * Throws ChangelogError (and changes nothing) when the version or date is malformed, when
 * `[X.Y.Z]` is already there (so running it twice cannot release twice), or when `[Unreleased]` is
 * missing or empty.
 */
export function promoteUnreleased(text: string, version: string, date: string, opts: PromoteOptions = {}): string {
  const v = tagVersion(version);
  if (v === undefined) throw new ChangelogError(`"${version}" is not a semver version`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new ChangelogError(`"${date}" is not a date like 2026-11-23`);
  if (hasVersionSection(text, v)) throw new ChangelogError(`CHANGELOG.md already has a section for ${v}: refusing to add it twice`);
  const p = parse(text);
  const s = findUnreleased(p);
  if (!s) throw new ChangelogError('CHANGELOG.md has no "## [Unreleased]" section to release');
  const content = p.lines.slice(s.from, s.to);
  if (!hasContent(content)) {
    throw new ChangelogError(`the [Unreleased] section of CHANGELOG.md (line ${s.heading.index + 1}) is empty: nothing to release`);
  }

  const atEnd = s.end === p.lines.length;
  const section = ['', `## [${v}] - ${date}`, '', ...content, ...(atEnd ? [] : [''])];
  const out = [...p.lines.slice(0, s.heading.index + 1), ...section, ...p.lines.slice(s.end)];

  updateLinks(out, s.heading.index + 1 + section.length, v, opts.tag ?? releaseTag(v));
  return out.join(p.eol) + (p.finalEol ? p.eol : '');
}

const COMPARE_RE = /^(?<base>.*\/compare\/)(?<from>[^/]+?)\.\.\.(?<to>[^/]+)$/;

/** Rewrites the `[unreleased]` compare link and adds one for the version (in `lines`, from `start`). */
function updateLinks(lines: string[], start: number, version: string, tag: string): void {
  const defs = parse(lines.join('\n'));
  const isDef = (i: number, label: RegExp) => {
    if (i < start || defs.fenced.has(i)) return undefined;
    const m = LINK_DEF_RE.exec(lines[i]!);
    return m && label.test(m[1]!) ? m : undefined;
  };
  let at = -1;
  let m: RegExpExecArray | undefined;
  for (let i = start; i < lines.length && at === -1; i++) {
    m = isDef(i, /^unreleased$/i);
    if (m) at = i;
  }
  if (at === -1 || !m) return;
  const url = COMPARE_RE.exec(m[2]!);
  if (!url?.groups) return;
  const { base, from, to } = url.groups as { base: string; from: string; to: string };
  if (from === tag) return;
  const indent = /^ */.exec(lines[at]!)![0];
  lines[at] = `${indent}[${m[1]}]: ${base}${tag}...${to}${m[3] ?? ''}`;
  const versionLabel = new RegExp(`^v?${escapeRe(version)}$`);
  for (let i = start; i < lines.length; i++) if (isDef(i, versionLabel)) return;
  lines.splice(at + 1, 0, `${indent}[${version}]: ${base}${from}...${tag}`);
}
