/**
 * Message, report and post-mortem templates: mustache (logic-less), rendered without HTML
 * escaping since the output is markdown or chat text.
 *
 * The pure part (names, fields, checking, rendering) lives here; `loadTemplate` (which reads
 * files) lives in ./load.ts and is re-exported for convenience.
 */
import Mustache from 'mustache';
import { closest } from '../util/closest.js';
import type { Problem } from '../runbooks/types.js';

export type { Problem } from '../runbooks/types.js';
export { loadTemplate, shippedTemplatesDir, type LoadedTemplate } from './load.js';

/** A field a template may use: a description, and for lists the fields of each item. */
export interface FieldSpec {
  description: string;
  /** For a list (a mustache section iterated over): the fields of one item. */
  items?: Readonly<Record<string, FieldSpec>>;
}

export interface TemplateSpec {
  /** File name in a templates folder. */
  file: string;
  description: string;
  /** Fields the caller must always supply (a list may be empty, but must be given). */
  required: readonly string[];
  /** Every field the template may use (required ones included). Values are strings unless a list. */
  fields: Readonly<Record<string, FieldSpec>>;
}

const change = {
  description: 'change groups, in display order',
  items: {
    kind: { description: 'group heading, e.g. Breaking changes, Features, Fixes, Other' },
    items: {
      description: 'changes in the group',
      items: {
        text: { description: 'one-line description of the change' },
        ref: { description: 'commit hash or PR reference (optional)' },
      },
    },
  },
} satisfies FieldSpec;

/** The templates hubops renders, each with its required variables and known fields. */
export const TEMPLATE_NAMES = {
  'status-update': {
    file: 'status-update.md.mustache',
    description: 'in-incident status update for a Slack-compatible channel; sent at least every 30 minutes',
    required: ['severity', 'service', 'symptom', 'started', 'investigating', 'eta', 'channel', 'next_update'],
    fields: {
      severity: { description: 'severity label, e.g. SEV1' },
      service: { description: 'affected service' },
      symptom: { description: 'what users or monitors see, one line' },
      started: { description: 'when it started, e.g. 02:41 UTC' },
      investigating: { description: 'where the investigation is, one line' },
      eta: { description: 'estimated restore time, or "unknown"' },
      channel: { description: 'where updates are posted, e.g. #ops' },
      next_update: { description: 'when the next update is due, e.g. 03:15 UTC' },
    },
  },
  resolved: {
    file: 'resolved.md.mustache',
    description: 'incident resolved message for the channel',
    required: ['severity', 'service', 'title', 'duration', 'root_cause', 'impact_users', 'data_loss', 'postmortem_path'],
    fields: {
      severity: { description: 'severity label, e.g. SEV1' },
      service: { description: 'affected service' },
      title: { description: 'incident title' },
      duration: { description: 'time down or degraded, e.g. 1h12m' },
      root_cause: { description: 'root cause, one line' },
      impact_users: { description: 'who was affected, e.g. "all users", "~300 checkout attempts"' },
      data_loss: { description: '"no", or "yes" with what and how much' },
      postmortem_path: { description: 'where the post-mortem will be, e.g. docs/post-mortems/2026-11-23-db-disk-full.md' },
    },
  },
  postmortem: {
    file: 'postmortem.md.mustache',
    description: 'blameless post-mortem draft built from the incident journal',
    required: ['title', 'date', 'severity', 'duration', 'summary', 'timeline', 'impact', 'root_cause', 'detection', 'action_items', 'lessons', 'due_date'],
    fields: {
      title: { description: 'incident title' },
      date: { description: 'incident date, YYYY-MM-DD' },
      severity: { description: 'severity label, e.g. SEV1' },
      service: { description: 'affected service (optional)' },
      duration: { description: 'time down or degraded, e.g. 1h12m' },
      summary: { description: 'two or three sentences: what happened and how it ended' },
      timeline: {
        description: 'timeline entries in order (local time)',
        items: { time: { description: 'HH:MM' }, text: { description: 'what happened or was done' } },
      },
      impact: { description: 'impact narrative: who, how long, what could not be done' },
      impact_users: { description: 'users affected (optional)' },
      data_loss: { description: '"no", or what was lost (optional)' },
      root_cause: { description: 'what broke and why' },
      detection: { description: 'why monitoring did not alert sooner' },
      action_items: {
        description: 'follow-up actions',
        items: {
          action: { description: 'what will be done' },
          owner: { description: 'who owns it, e.g. @alex' },
          due: { description: 'due date, YYYY-MM-DD' },
        },
      },
      lessons: { description: 'what to remember' },
      due_date: { description: 'date the post-mortem is due (within 7 days), YYYY-MM-DD' },
    },
  },
  'release-report': {
    file: 'release-report.md.mustache',
    description: 'summary of a release with its definitive verdict',
    required: ['version', 'env', 'verdict', 'changes'],
    fields: {
      version: { description: 'version released, e.g. v1.4.0' },
      env: { description: 'environment name, e.g. production' },
      verdict: { description: 'Released, Rolled-Back, Aborted or Released-with-override' },
      verdict_reason: { description: 'why that verdict (optional)' },
      previous_version: { description: 'rollback target recorded at the pre-release gate (optional)' },
      strategy: { description: 'all-at-once, blue-green, canary or manual (optional)' },
      started: { description: 'when the release started (optional)' },
      finished: { description: 'when the verdict was reached (optional)' },
      duration: { description: 'total time (optional)' },
      operator: { description: 'who ran the release (optional)' },
      override_reason: { description: 'why the watch window was skipped, for Released-with-override (optional)' },
      changes: change,
      phases: {
        description: 'phases in order (optional)',
        items: {
          name: { description: 'phase name, e.g. Smoke tests' },
          result: { description: 'passed, failed, skipped (with reason)…' },
          at: { description: 'time the phase ended' },
          note: { description: 'detail (optional)' },
        },
      },
      gates: {
        description: 'human gates passed (optional)',
        items: {
          name: { description: 'gate name' },
          choice: { description: 'choice made' },
          who: { description: 'who chose' },
          at: { description: 'when' },
        },
      },
    },
  },
  'release-announcement': {
    file: 'release-announcement.md.mustache',
    description: 'short release announcement for the team channel',
    required: ['version', 'env', 'verdict', 'changes'],
    fields: {
      version: { description: 'version released, e.g. v1.4.0' },
      env: { description: 'environment name, e.g. production' },
      verdict: { description: 'Released or Released-with-override' },
      date: { description: 'release date (optional)' },
      highlights: { description: 'one or two sentences on what matters (optional)' },
      changes: change,
    },
  },
} as const satisfies Record<string, TemplateSpec>;

export type TemplateName = keyof typeof TEMPLATE_NAMES;

export function isTemplateName(name: string): name is TemplateName {
  return Object.hasOwn(TEMPLATE_NAMES, name);
}

/**
 * The template a name or file name refers to: `status-update`, `status-update.md`,
 * `status-update.md.mustache` or a path ending in one of these all give `status-update`.
 */
export function templateNameOf(nameOrFile: string): TemplateName | undefined {
  const base = nameOrFile.split(/[\\/]/).pop() ?? nameOrFile;
  const name = base.replace(/\.mustache$/, '').replace(/\.md$/, '');
  return isTemplateName(name) ? name : undefined;
}

/** Required fields that `view` lacks (undefined or null); a list given as `[]` counts as present. */
export function missingFields(name: TemplateName, view: Record<string, unknown>): string[] {
  return TEMPLATE_NAMES[name].required.filter((f) => view[f] === undefined || view[f] === null);
}

type Span = [string, string, number, number, ...unknown[]];

/**
 * Checks a template: mustache syntax (an error with the line of the unclosed or unopened tag),
 * and when the template is a known one (`name`, else guessed from `file`), variables that are not
 * among its fields (a warning naming the closest field) and required fields it never uses (a
 * warning). Never throws.
 */
export function checkTemplate(text: string, file: string, name?: string): Problem[] {
  const problems: Problem[] = [];
  const lines = lineStarts(text);
  const lineAt = (pos: number) => lineOf(lines, pos);
  let tokens: Span[];
  try {
    tokens = Mustache.parse(text) as unknown as Span[];
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    problems.push({ file, line: lineAt(errorPosition(text, message)), message: `template: ${describeParseError(message)}`, severity: 'error' });
    return problems;
  }

  const spec = templateNameOf(name ?? '') ?? templateNameOf(file);
  if (!spec) return problems;
  const fields = TEMPLATE_NAMES[spec].fields as Readonly<Record<string, FieldSpec>>;
  const used = new Set<string>();

  const visit = (spans: Span[], scopes: Readonly<Record<string, FieldSpec>>[], path: string[]) => {
    for (const span of spans) {
      const [type, value, start] = span;
      if (type === 'text' || type === '!' || type === '=') continue;
      if (type === '>') {
        problems.push({ file, line: lineAt(start), message: `partials ({{> ${value.trim()}}}) are not supported`, severity: 'warning' });
        continue;
      }
      if (type === '/') continue;
      const variable = value.trim();
      const head = variable.split('.')[0] ?? variable;
      let found: FieldSpec | undefined;
      if (variable !== '.') {
        for (let i = scopes.length - 1; i >= 0 && !found; i--) found = scopes[i]![head];
        if (!found) {
          const visible = [...new Set(scopes.flatMap((s) => Object.keys(s)))];
          const near = closest(head, visible);
          const where = path.length > 0 ? ` inside {{#${path.join('}}…{{#')}}}` : '';
          problems.push({
            file,
            line: lineAt(start),
            field: variable,
            message: `unknown field \`${variable}\`${where} for the ${spec} template${near ? ` — did you mean \`${near}\`?` : ` (known: ${visible.join(', ')})`}`,
            severity: 'warning',
          });
        } else if (fields[head] === found) {
          used.add(head);
        }
      }
      if ((type === '#' || type === '^') && Array.isArray(span[4])) {
        // A section over a list opens that list's item scope; over a plain field it is a conditional.
        // (`{{#list.length}}` is a conditional on the list, not an iteration.)
        const items = type === '#' && variable === head ? found?.items : undefined;
        visit(span[4] as Span[], items ? [...scopes, items] : scopes, items ? [...path, variable] : path);
      }
    }
  };
  visit(tokens, [fields], []);

  for (const req of TEMPLATE_NAMES[spec].required) {
    if (!used.has(req)) {
      problems.push({ file, line: 1, field: req, message: `the ${spec} template never uses required field \`${req}\``, severity: 'warning' });
    }
  }
  return problems;
}

/**
 * Renders with mustache, HTML escaping off (`a & b <c>` stays as is). Throws on a syntax error:
 * run `checkTemplate` when loading a template. Does not change mustache's global settings.
 */
export function renderTemplate(text: string, view: object): string {
  return Mustache.render(text, view, {}, { escape: (v: unknown) => String(v) });
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

function lineOf(starts: number[], pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/**
 * Where to point for a mustache parse error. Mustache reports the end of the text for an
 * unclosed section or tag; the useful place is where it was opened.
 */
function errorPosition(text: string, message: string): number {
  const at = /\bat (\d+)\s*$/.exec(message);
  const pos = at ? Math.min(Number(at[1]), text.length) : 0;
  const unclosed = /^Unclosed section "([^"]*)"/.exec(message);
  if (unclosed) {
    const opener = unmatchedOpener(text, unclosed[1]!, pos);
    if (opener !== undefined) return opener;
  }
  if (/^Unclosed tag/.test(message)) {
    const open = text.lastIndexOf('{{', pos);
    if (open >= 0) return open;
  }
  return pos;
}

/** Start of the last `{{#name}}` / `{{^name}}` before `limit` that has no matching `{{/name}}`. */
function unmatchedOpener(text: string, name: string, limit: number): number | undefined {
  const esc = name.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const re = new RegExp(`\\{\\{\\s*([#^/])\\s*${esc}\\s*\\}\\}`, 'g');
  const stack: number[] = [];
  for (let m = re.exec(text); m && m.index < limit; m = re.exec(text)) {
    if (m[1] === '/') stack.pop();
    else stack.push(m.index);
  }
  return stack.at(-1);
}

function describeParseError(message: string): string {
  const m = /^(Unclosed section|Unopened section) "([^"]*)"/.exec(message);
  if (m?.[1] === 'Unclosed section') return `section {{#${m[2]}}} is never closed: add {{/${m[2]}}}`;
  if (m?.[1] === 'Unopened section') return `{{/${m[2]}}} closes a section that was never opened`;
  if (/^Unclosed tag/.test(message)) return 'a tag opened with {{ is never closed with }}';
  return message.replace(/\s*at \d+\s*$/, '');
}
