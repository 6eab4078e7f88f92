import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChangelogError, hasVersionSection, inspectChangelog, promoteUnreleased } from '../../src/release/gate/changelog.js';

const BASE = `# Changelog

All notable changes to this project are documented in this file.

## [Unreleased]

### Added
- Export endpoint (#41)
- Dark mode

### Fixed
- Crash on empty cart

## [1.2.0] - 2026-10-02

### Added
- Coupons

## [1.1.0] - 2026-09-01

- First public release

[unreleased]: https://git.example.com/acme/shop/compare/v1.2.0...HEAD
[1.2.0]: https://git.example.com/acme/shop/compare/v1.1.0...v1.2.0
[1.1.0]: https://git.example.com/acme/shop/releases/tag/v1.1.0
`;

describe('inspectChangelog', () => {
  it('finds [Unreleased] with its line numbers and entries', () => {
    expect(inspectChangelog(BASE)).toEqual({
      status: 'present',
      line: 5,
      endLine: 12,
      entries: 3,
      content: ['### Added', '- Export endpoint (#41)', '- Dark mode', '', '### Fixed', '- Crash on empty cart'],
    });
  });
  it('missing when there is no such section (or only at another level, or inside a code block)', () => {
    expect(inspectChangelog('# Changelog\n\n## [1.0.0] - 2026-01-01\n- x\n')).toEqual({ status: 'missing' });
    expect(inspectChangelog('# Changelog\n\n### [Unreleased]\n- x\n')).toEqual({ status: 'missing' });
    expect(inspectChangelog('# Changelog\n\n```\n## [Unreleased]\n- x\n```\n')).toEqual({ status: 'missing' });
    expect(inspectChangelog('')).toEqual({ status: 'missing' });
  });
  it('empty when only blank lines, sub-headings or comments are in it', () => {
    expect(inspectChangelog('# Changelog\n\n## [Unreleased]\n\n## [1.0.0] - 2026-01-01\n- x\n')).toEqual({ status: 'empty', line: 3, endLine: 3 });
    expect(inspectChangelog('## [Unreleased]\n### Added\n\n### Fixed\n<!-- add entries here\n  one per line -->\n\n## [1.0.0]\n')).toEqual({
      status: 'empty',
      line: 1,
      endLine: 6,
    });
    expect(inspectChangelog('# Changelog\n\n## [Unreleased]\n\n[unreleased]: https://x/compare/v1.0.0...HEAD\n')).toMatchObject({ status: 'empty', line: 3 });
  });
  it('accepts the usual spellings of the heading', () => {
    for (const h of ['## [Unreleased]', '## Unreleased', '## [unreleased]', '##  [Unreleased]  ', '## [Unreleased] ##'])
      expect(inspectChangelog(`${h}\n- x\n`).status, h).toBe('present');
  });
  it('a `## ` line inside a fenced block in the section is content, not the next section', () => {
    const text = '## [Unreleased]\n- Config example:\n\n```yaml\n## [1.0.0] not a heading\n```\n\n## [1.0.0]\n';
    const r = inspectChangelog(text);
    expect(r).toMatchObject({ status: 'present', line: 1, endLine: 6, entries: 1 });
  });
  it('reads CRLF files', () => {
    expect(inspectChangelog(BASE.replaceAll('\n', '\r\n'))).toMatchObject({ status: 'present', line: 5, endLine: 12 });
  });
});

describe('promoteUnreleased', () => {
  it('moves the content under a dated version section, keeps an empty [Unreleased], updates the links', () => {
    const out = promoteUnreleased(BASE, '1.3.0', '2026-11-23');
    expect(out).toBe(`# Changelog

All notable changes to this project are documented in this file.

## [Unreleased]

## [1.3.0] - 2026-11-23

### Added
- Export endpoint (#41)
- Dark mode

### Fixed
- Crash on empty cart

## [1.2.0] - 2026-10-02

### Added
- Coupons

## [1.1.0] - 2026-09-01

- First public release

[unreleased]: https://git.example.com/acme/shop/compare/v1.3.0...HEAD
[1.3.0]: https://git.example.com/acme/shop/compare/v1.2.0...v1.3.0
[1.2.0]: https://git.example.com/acme/shop/compare/v1.1.0...v1.2.0
[1.1.0]: https://git.example.com/acme/shop/releases/tag/v1.1.0
`);
    expect(inspectChangelog(out)).toEqual({ status: 'empty', line: 5, endLine: 5 });
  });
  it('round-trips: the old content is exactly the new version section', () => {
    const before = inspectChangelog(BASE);
    const out = promoteUnreleased(BASE, 'v1.3.0', '2026-11-23');
    const lines = out.split('\n');
    const start = lines.indexOf('## [1.3.0] - 2026-11-23');
    const end = lines.indexOf('## [1.2.0] - 2026-10-02');
    expect(lines.slice(start + 1, end).join('\n').trim().split('\n')).toEqual(before.status === 'present' ? before.content : []);
  });
  it('refuses a version that is already there, so a second run changes nothing', () => {
    const once = promoteUnreleased(BASE, '1.3.0', '2026-11-23');
    expect(() => promoteUnreleased(once, '1.3.0', '2026-11-24')).toThrow(/already has a section for 1.3.0/);
    expect(() => promoteUnreleased(BASE, '1.2.0', '2026-11-23')).toThrow(ChangelogError);
    expect(hasVersionSection('## v2.0.0 (2026-01-01)\n', '2.0.0')).toBe(true);
    expect(hasVersionSection('## 2.0.0\n', '2.0.0')).toBe(true);
    expect(hasVersionSection('## [2.0.0-rc.1] - 2026-01-01\n', '2.0.0')).toBe(false);
    expect(hasVersionSection('## [12.0.0]\n', '2.0.0')).toBe(false);
  });
  it('refuses a missing or empty [Unreleased], a bad version or date', () => {
    expect(() => promoteUnreleased('# Changelog\n', '1.0.0', '2026-11-23')).toThrow(/no "## \[Unreleased\]"/);
    expect(() => promoteUnreleased('## [Unreleased]\n### Added\n\n## [0.9.0]\n- x\n', '1.0.0', '2026-11-23')).toThrow(/line 1\) is empty/);
    expect(() => promoteUnreleased(BASE, '1.3', '2026-11-23')).toThrow(/not a semver version/);
    expect(() => promoteUnreleased(BASE, '1.3.0', '23/11/2026')).toThrow(/not a date/);
  });
  it('first release: a changelog with only [Unreleased], no links', () => {
    const out = promoteUnreleased('# Changelog\n\n## [Unreleased]\n- Everything\n', '0.1.0', '2026-11-23');
    expect(out).toBe('# Changelog\n\n## [Unreleased]\n\n## [0.1.0] - 2026-11-23\n\n- Everything\n');
  });
  it('when [Unreleased] is the last section, the link block stays at the bottom', () => {
    const text = '## [Unreleased]\n- New\n\n[unreleased]: https://h/o/r/compare/v0.1.0...HEAD\n';
    expect(promoteUnreleased(text, '0.2.0', '2026-11-23')).toBe(
      '## [Unreleased]\n\n## [0.2.0] - 2026-11-23\n\n- New\n\n[unreleased]: https://h/o/r/compare/v0.2.0...HEAD\n[0.2.0]: https://h/o/r/compare/v0.1.0...v0.2.0\n',
    );
  });
  it('leaves links it does not understand alone, and keeps CRLF and a missing final newline', () => {
    const text = '## [Unreleased]\r\n- New\r\n\r\n## [0.1.0]\r\n- Old\r\n\r\n[Unreleased]: https://h/o/r/commits/main';
    expect(promoteUnreleased(text, '0.2.0', '2026-11-23')).toBe(
      '## [Unreleased]\r\n\r\n## [0.2.0] - 2026-11-23\r\n\r\n- New\r\n\r\n## [0.1.0]\r\n- Old\r\n\r\n[Unreleased]: https://h/o/r/commits/main',
    );
  });
  it('uses the tag it is given in the links', () => {
    const text = '## [Unreleased]\n- New\n\n## [1.0.0]\n\n[unreleased]: https://h/o/r/compare/1.0.0...HEAD\n';
    expect(promoteUnreleased(text, '1.1.0', '2026-11-23', { tag: '1.1.0' })).toContain(
      '[unreleased]: https://h/o/r/compare/1.1.0...HEAD\n[1.1.0]: https://h/o/r/compare/1.0.0...1.1.0\n',
    );
  });
});

describe('promoteUnreleased never loses a line of the Unreleased content', () => {
  // Lines that can be in a section: entries, sub-headings, text, blank lines, comments, and fenced
  // blocks (which may hold `## ` lines of their own).
  const word = fc.stringMatching(/^[A-Za-z0-9`'"().,:;!?*_ -]{1,30}$/);
  const entry = word.map((w) => `- ${w.trim() || 'x'}`);
  const sub = fc.constantFrom('### Added', '### Changed', '### Fixed', '### Security', '#### Details');
  const text = word.filter((w) => /^[A-Za-z]/.test(w) && !/^(?:#|[-*+] |\[)/.test(w));
  const nested = word.map((w) => `  - ${w.trim() || 'y'}`);
  const comment = word.map((w) => `<!-- ${w.replaceAll('-', '')} -->`);
  const fenced = fc.array(fc.oneof(word, fc.constant('## [9.9.9] inside a fence'), fc.constant('')), { maxLength: 4 }).map((ls) => ['```text', ...ls, '```']);
  const block = fc.oneof(
    entry.map((l) => [l]),
    sub.map((l) => [l]),
    text.map((l) => [l]),
    nested.map((l) => [l]),
    comment.map((l) => [l]),
    fc.constant(['']),
    fenced,
  );
  const content = fc
    .array(block, { minLength: 1, maxLength: 25 })
    .map((bs) => bs.flat())
    .filter((ls) => ls.some((l) => /^- /.test(l)));
  const before = fc.constantFrom('', '# Changelog\n\nIntro text.\n\n');
  const after = fc.constantFrom(
    '',
    '\n## [1.0.0] - 2026-01-01\n- Old\n',
    '\n## [1.0.0] - 2026-01-01\n- Old\n\n[unreleased]: https://h/o/r/compare/v1.0.0...HEAD\n[1.0.0]: https://h/o/r/releases/tag/v1.0.0\n',
    '\n[unreleased]: https://h/o/r/compare/v1.0.0...HEAD\n',
  );
  const eol = fc.constantFrom('\n', '\r\n');

  it('holds for generated changelogs', () => {
    fc.assert(
      fc.property(before, content, after, eol, (pre, lines, post, nl) => {
        const doc = `${pre}## [Unreleased]\n${lines.join('\n')}\n${post}`.replaceAll('\n', nl);
        const seen = inspectChangelog(doc);
        if (seen.status !== 'present') return false;
        const out = promoteUnreleased(doc, '1.1.0', '2026-11-23');
        const outLines = out.split(nl);

        // The new section holds the old content, every line, in order.
        const start = outLines.indexOf('## [1.1.0] - 2026-11-23');
        expect(start).toBeGreaterThan(-1);
        let k = start + 1;
        for (const line of seen.content) {
          while (k < outLines.length && outLines[k] !== line) k++;
          expect(k, `lost line ${JSON.stringify(line)}`).toBeLessThan(outLines.length);
          k++;
        }
        const section = outLines.slice(start + 1, start + 1 + seen.content.length + 1);
        expect(section.slice(1)).toEqual(seen.content);

        // [Unreleased] is still there and empty; the rest of the file is intact; a second run is refused.
        expect(inspectChangelog(out).status).toBe('empty');
        for (const line of doc.split(nl)) {
          if (!line.startsWith('[unreleased]:')) expect(outLines).toContain(line);
        }
        // Only blank lines around the moved content are normalised: every other line is kept, plus
        // the new heading and, when there is a compare link, the new version's link.
        const nonBlank = (t: string) => t.split(nl).filter((l) => l.trim() !== '').length;
        const addedLink = /\[unreleased\]: \S*\/compare\//.test(post) ? 1 : 0;
        expect(nonBlank(out)).toBe(nonBlank(doc) + 1 + addedLink);
        expect(() => promoteUnreleased(out, '1.1.0', '2026-11-24')).toThrow(ChangelogError);
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
