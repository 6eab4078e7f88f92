// Putting values into shell command lines safely.
//
// Every command hubops runs on a target is a `sh -c` command line. Values that come from config,
// runbooks, the journal or the user (a container name, an image tag, a service) must never be
// pasted in as they are: they go through `shellQuote`, and templates go through `renderCommand`,
// which quotes every value it substitutes and refuses the template forms that would not.

import Mustache from 'mustache';

/**
 * POSIX single-quote quoting: the result is one shell word that stands for exactly `value`.
 * Inside single quotes nothing is special except `'` itself, which is written `'\''`
 * (close the quote, an escaped quote, reopen). The empty string becomes `''`.
 */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Thrown by renderCommand for a template that is not allowed or cannot be filled. */
export class CommandTemplateError extends Error {
  override name = 'CommandTemplateError';
}

type Spans = ReturnType<typeof Mustache.parse>;

/**
 * Renders a command template such as `docker restart {{container}}`: every `{{name}}` becomes
 * `shellQuote(vars[name])`. Refused, with an error naming the problem:
 * - `{{{name}}}` and `{{&name}}` (they would bypass quoting);
 * - a name that is not in `vars` (never silently an empty string);
 * - sections, inverted sections and partials (`{{#x}}`, `{{^x}}`, `{{>x}}`), and dotted names:
 *   a command line has no use for them and they make it harder to see what will run.
 * Comments (`{{! ... }}`) and delimiter changes (`{{=<% %>=}}`) are fine.
 */
export function renderCommand(template: string, vars: Record<string, string>): string {
  let spans: Spans;
  try {
    spans = Mustache.parse(template);
  } catch (err) {
    throw new CommandTemplateError(`invalid command template: ${(err as Error).message}`);
  }
  const unknown = new Set<string>();
  for (const span of spans) {
    const [kind, name] = span;
    switch (kind) {
      case 'text':
      case '!':
      case '=':
        break;
      case 'name':
        if (name === '.' || name.includes('.')) {
          throw new CommandTemplateError(`command template: dotted name {{${name}}} is not supported`);
        }
        if (!Object.hasOwn(vars, name) || typeof vars[name] !== 'string') unknown.add(name);
        break;
      case '&':
        throw new CommandTemplateError(
          `command template: unescaped {{{${name}}}} / {{&${name}}} is refused: it would put the value in the shell command unquoted; write {{${name}}}`,
        );
      case '#':
      case '^':
        throw new CommandTemplateError(`command template: sections ({{${kind}${name}}}) are not supported`);
      case '>':
        throw new CommandTemplateError(`command template: partials ({{>${name}}}) are not supported`);
      default:
        throw new CommandTemplateError(`command template: unsupported tag {{${String(kind)}${name}}}`);
    }
  }
  if (unknown.size > 0) {
    const names = [...unknown];
    const known = Object.keys(vars);
    throw new CommandTemplateError(
      `command template: unknown variable${names.length > 1 ? 's' : ''} ${names.map((n) => `{{${n}}}`).join(', ')}` +
        (known.length > 0 ? ` (known: ${known.join(', ')})` : ' (no variables given)'),
    );
  }
  // A prototype-free copy: only the given names can ever be looked up.
  const view: Record<string, string> = Object.assign(Object.create(null) as Record<string, string>, vars);
  return Mustache.render(template, view, undefined, { escape: (v: unknown) => shellQuote(String(v)) });
}
