import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CommandTemplateError, renderCommand, shellQuote } from '../../src/targets/shell.js';

/** What `sh -c <script>` prints on stdout (a real shell: dash on Debian). */
function sh(script: string): string {
  return execFileSync('sh', ['-c', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const marker = `/tmp/pwned-${randomBytes(6).toString('hex')}`;
afterAll(() => rmSync(marker, { force: true }));

const nasty = [
  '',
  ' ',
  'plain',
  'two words',
  "it's",
  "''",
  "'\\''",
  '"double"',
  `$(touch ${marker})`,
  `\`touch ${marker}\``,
  `; touch ${marker}`,
  `&& touch ${marker} ||`,
  `| touch ${marker}`,
  `$HOME $$ \${PATH} $1 $@ $*`,
  'back\\slash\\',
  'new\nline\n',
  '\ttab\r\n',
  '*?[a-z]~ {a,b} #comment',
  '-n',
  '--',
  '> /tmp/redir < /etc/passwd 2>&1',
  'unicode: é ü ß 漢字 🚀 \u202e rtl',
  "!event ^old^new 'mixed \"quotes\" `and` $(more)'",
];

describe('shellQuote', () => {
  it('quotes with single quotes and the escaped-quote idiom', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('abc')).toBe("'abc'");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('$(x)')).toBe("'$(x)'");
  });

  it('round-trips nasty strings through a real sh, and nothing inside them runs', () => {
    for (const s of nasty) {
      expect(sh(`printf %s ${shellQuote(s)}`), JSON.stringify(s)).toBe(s);
    }
    // As a separate argument too, so word splitting and globbing are covered.
    const script = `for a in ${nasty.map(shellQuote).join(' ')}; do printf '<%s>' "$a"; done`;
    expect(sh(script)).toBe(nasty.map((s) => `<${s}>`).join(''));
    expect(existsSync(marker)).toBe(false);
  });

  // fast-check 4 has no fullUnicodeString(): fc.string({ unit: 'binary' }) is every code point.
  it('property: sh -c "printf %s <quoted>" prints exactly the string', () => {
    const noNul = (s: string) => !s.includes('\0');
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' })).filter(noNul), (s) => {
        return sh(`printf %s ${shellQuote(s)}`) === s;
      }),
      { numRuns: 50 },
    );
    expect(existsSync(marker)).toBe(false);
  });
});

describe('renderCommand', () => {
  it('quotes every value it substitutes', () => {
    expect(renderCommand('docker restart {{container}}', { container: 'shop-api' })).toBe("docker restart 'shop-api'");
    expect(renderCommand('echo {{ a }} {{b}}', { a: "it's", b: '' })).toBe("echo 'it'\\''s' ''");
    const v = `$(touch ${marker})`;
    const cmd = renderCommand('printf %s {{v}}', { v });
    expect(sh(cmd)).toBe(v);
    expect(existsSync(marker)).toBe(false);
  });

  it('leaves text that is not a tag alone and allows comments', () => {
    expect(renderCommand('echo "$HOME" {{! a comment }}{{x}}', { x: 'y' })).toBe(`echo "$HOME" 'y'`);
    expect(renderCommand('no tags at all', {})).toBe('no tags at all');
  });

  it('does not HTML-escape (the mustache default)', () => {
    expect(renderCommand('echo {{v}}', { v: '<a href="x">&</a>' })).toBe(`echo '<a href="x">&</a>'`);
  });

  it('refuses triple mustache and {{&x}}, which would bypass quoting', () => {
    expect(() => renderCommand('echo {{{v}}}', { v: 'x' })).toThrow(CommandTemplateError);
    expect(() => renderCommand('echo {{{v}}}', { v: 'x' })).toThrow(/unescaped.*\{\{v\}\}/);
    expect(() => renderCommand('echo {{& v}}', { v: 'x' })).toThrow(/unescaped/);
    // Also after a delimiter change.
    expect(() => renderCommand('{{=<% %>=}} echo <%& v %>', { v: 'x' })).toThrow(/unescaped/);
  });

  it('refuses unknown variables, naming them, instead of rendering an empty string', () => {
    expect(() => renderCommand('echo {{known}} {{missing}}', { known: 'a' })).toThrow(/unknown variable \{\{missing\}\}/);
    expect(() => renderCommand('echo {{a}} {{b}}', {})).toThrow(/\{\{a\}\}, \{\{b\}\}/);
    // Nothing from the prototype chain counts as a variable.
    expect(() => renderCommand('echo {{constructor}} {{toString}}', {})).toThrow(/constructor/);
  });

  it('refuses sections, partials and dotted names', () => {
    expect(() => renderCommand('{{#a}}x{{/a}}', { a: 'y' })).toThrow(/sections/);
    expect(() => renderCommand('{{^a}}x{{/a}}', { a: 'y' })).toThrow(/sections/);
    expect(() => renderCommand('{{>p}}', {})).toThrow(/partials/);
    expect(() => renderCommand('{{a.b}}', { 'a.b': 'y' })).toThrow(/dotted/);
  });

  it('reports a broken template as a template error', () => {
    expect(() => renderCommand('echo {{v', { v: 'x' })).toThrow(CommandTemplateError);
  });
});
