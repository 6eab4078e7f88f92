// The speed-ups the build applies to Ink and its libraries (scripts/ink-speedups.mjs) must not
// change what is drawn: widths are checked code point by code point against string-width, frames
// drawn by the patched Output against Ink's own, and lazy loads against what they replace.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import fc from 'fast-check';
import stringWidth from 'string-width';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NARROW_RANGES, withFastPath } from '../../screens/render/fast-string-width.js';
// @ts-expect-error: a build script in plain JavaScript, without types
import { inkSpeedups, patchInkOutput, patchStringWidth } from '../../scripts/ink-speedups.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fast = withFastPath(stringWidth);
// Not among Ink's exports: loaded by its path, as the bundler sees it.
const outputJs = path.join(root, 'node_modules', 'ink', 'build', 'output.js');
type OutputClass = new (o: { width: number; height: number }) => {
  write(x: number, y: number, text: string, o: { transformers: ((s: string, i: number) => string)[] }): void;
  clip(c: { x1?: number; x2?: number; y1?: number; y2?: number }): void;
  unclip(): void;
  get(): { output: string; height: number };
};
let InkOutput: OutputClass;

describe('string-width fast path', () => {
  it('gives string-width’s answer for every code point of the table, alone and between letters', () => {
    let checked = 0;
    for (const [a, b] of NARROW_RANGES) {
      for (let c = a; c <= b; c++) {
        const ch = String.fromCharCode(c);
        expect(fast(ch), `U+${c.toString(16)}`).toBe(stringWidth(ch));
        expect(fast(`a${ch}b`), `U+${c.toString(16)} between letters`).toBe(stringWidth(`a${ch}b`));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2000);
  });

  it('agrees with string-width on strings mixing narrow, wide, joining and escape characters', () => {
    const pieces = ['a', ' ', '│', '─', '╭', '⣿', '⠁', '·', '…', '→', '✓', 'é', 'e\u0301', '日本', '👍', '❤\uFE0F', '\u200d', '\u00ad', '\x1b[31m', '\x1b[0m', '\t', '\u2028', '⌚', '◽', 'Ω', 'Ж', '\uFE0F', '\u0483'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 30 }), fc.constantFrom(undefined, { ambiguousIsNarrow: false }, { countAnsiEscapeCodes: true }), (parts, opts) => {
        const s = parts.join('');
        expect(fast(s, opts)).toBe(stringWidth(s, opts));
      }),
      { numRuns: 2000 },
    );
  });

  it('counts box drawing as wide when the caller says ambiguous characters are wide', () => {
    expect(fast('│x│', { ambiguousIsNarrow: false })).toBe(stringWidth('│x│', { ambiguousIsNarrow: false }));
    expect(fast('│x│', { ambiguousIsNarrow: false })).toBe(5);
  });
});

describe('Ink Output with caches kept across frames', () => {
  let dir: string;
  let Patched: OutputClass;

  beforeAll(async () => {
    InkOutput = (await import(pathToFileURL(outputJs).href)).default;
    dir = mkdtempSync(path.join(tmpdir(), 'hubops-ink-patch-'));
    const entry = path.join(dir, 'entry.mjs');
    await build({
      stdin: { contents: `export { default } from ${JSON.stringify(outputJs)};`, resolveDir: root, loader: 'js' },
      outfile: entry,
      bundle: true,
      platform: 'node',
      format: 'esm',
      logLevel: 'silent',
      plugins: [inkSpeedups(root)],
    });
    const bundled = readFileSync(entry, 'utf8');
    expect(bundled).toContain('HubopsTwoFrameMap');
    expect(bundled).toContain('withFastPath');
    Patched = (await import(pathToFileURL(entry).href)).default;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  type Op = { x: number; y: number; text: string; upper: boolean; clip: boolean };
  const texts = ['│ line 1 GET /api 200', '╭─ 2 Logs ─╮', 'plain', '⣿⣀⠉ chart', '日本語 wide', '\x1b[31mred\x1b[39m text', 'two\nlines', '👍 ok', 'é accent', ''];
  const op = fc.record({ x: fc.integer({ min: -3, max: 30 }), y: fc.integer({ min: -2, max: 8 }), text: fc.constantFrom(...texts), upper: fc.boolean(), clip: fc.boolean() });

  const draw = (Out: OutputClass, ops: Op[]) => {
    const out = new Out({ width: 24, height: 6 });
    for (const o of ops) {
      if (o.clip) out.clip({ x1: 2, x2: 20, y1: 1, y2: 5 });
      out.write(o.x, o.y, o.text, { transformers: o.upper ? [(s: string) => s.toUpperCase()] : [] });
      if (o.clip) out.unclip();
    }
    return out.get().output;
  };

  it('draws every frame of a sequence exactly as Ink does', () => {
    fc.assert(
      fc.property(fc.array(fc.array(op, { maxLength: 12 }), { minLength: 1, maxLength: 6 }), (frames) => {
        for (const ops of frames) expect(draw(Patched, ops)).toBe(draw(InkOutput, ops));
      }),
      { numRuns: 300 },
    );
  });

  it('updates a changed row with the same bytes as Ink’s own line update', async () => {
    const lineUpdateJs = path.join(root, 'node_modules', 'ink', 'build', 'line-update.js');
    const original = (await import(pathToFileURL(lineUpdateJs).href)).default as (a: string, b: string, cols: number) => string;
    const entry = path.join(dir, 'line-update.mjs');
    await build({ stdin: { contents: `export { default } from ${JSON.stringify(lineUpdateJs)};`, resolveDir: root, loader: 'js' }, outfile: entry, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', plugins: [inkSpeedups(root)] });
    expect(readFileSync(entry, 'utf8')).toContain('isNarrowText(previousText)');
    const patched = (await import(pathToFileURL(entry).href)).default as typeof original;
    const bits = ['│', ' ', 'line ', '12', '34', 'GET /api', '⣿', '日本', 'é', '\x1b[31m', '\x1b[39m', '…', '👍', '─'];
    const row = fc.array(fc.constantFrom(...bits), { maxLength: 16 }).map((a) => a.join(''));
    fc.assert(
      fc.property(row, row, fc.integer({ min: 1, max: 60 }), (a, b, cols) => {
        expect(patched(a, b, cols)).toBe(original(a, b, cols));
        expect(patched(`│ ${a}`, `│ ${b}`, cols)).toBe(original(`│ ${a}`, `│ ${b}`, cols));
      }),
      { numRuns: 2000 },
    );
  });

  it('fails the build, naming the file, when Ink’s source no longer matches', () => {
    expect(() => patchInkOutput('export default class Output {}', '/x/ink/build/output.js')).toThrow(/\/x\/ink\/build\/output\.js: the hubops speed-up patch no longer matches/);
  });

  it('loads Yoga without fetch (its WebAssembly decoded from base64) and it lays out', async () => {
    const yogaJs = path.join(root, 'node_modules', 'yoga-layout', 'dist', 'src', 'index.js');
    const entry = path.join(dir, 'yoga.mjs');
    await build({ stdin: { contents: `export { default } from ${JSON.stringify(yogaJs)};`, resolveDir: root, loader: 'js' }, outfile: entry, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', plugins: [inkSpeedups(root)] });
    const realFetch = globalThis.fetch;
    let fetched = 0;
    globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
      fetched++;
      return realFetch(...args);
    }) as typeof fetch;
    let Yoga: { Node: { create(): { setWidth(n: number): void; setHeight(n: number): void; insertChild(c: unknown, i: number): void; setFlexGrow(n: number): void; calculateLayout(): void; getComputedWidth(): number; freeRecursive(): void } } };
    try {
      Yoga = (await import(pathToFileURL(entry).href)).default;
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(fetched).toBe(0);
    const rootNode = Yoga.Node.create();
    rootNode.setWidth(120);
    rootNode.setHeight(40);
    const child = Yoga.Node.create();
    child.setFlexGrow(1);
    rootNode.insertChild(child, 0);
    rootNode.calculateLayout();
    expect(child.getComputedWidth()).toBe(120);
    rootNode.freeRecursive();
  });

  it('terminal-size loads node:child_process only when it has to run a command, and still measures', async () => {
    const entry = path.join(dir, 'terminal-size.mjs');
    const tsJs = path.join(root, 'node_modules', 'terminal-size', 'index.js');
    await build({ stdin: { contents: `export { default } from ${JSON.stringify(tsJs)};`, resolveDir: root, loader: 'js' }, outfile: entry, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', plugins: [inkSpeedups(root)] });
    // In a fresh Node: importing it loads no child_process; asking with no terminal runs tput.
    const probe = `const before = process.moduleLoadList.includes('NativeModule child_process');
const { default: terminalSize } = await import(${JSON.stringify(pathToFileURL(entry).href)});
const afterImport = process.moduleLoadList.includes('NativeModule child_process');
const size = terminalSize();
const afterCall = process.moduleLoadList.includes('NativeModule child_process');
console.log(JSON.stringify({ before, afterImport, afterCall, size }));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8', env: { ...process.env, COLUMNS: '', LINES: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = JSON.parse(out) as { before: boolean; afterImport: boolean; afterCall: boolean; size: { columns: number; rows: number } };
    expect(r.before).toBe(false);
    expect(r.afterImport).toBe(false);
    // terminal-size swallows a failed command and answers 80x24: that the module got loaded when
    // asked is what shows the lazy require works.
    expect(r.afterCall).toBe(true);
    expect(r.size.columns).toBeGreaterThan(0);
    expect(r.size.rows).toBeGreaterThan(0);
  });

  it('string-width with its regular expressions built on first use gives the same widths', async () => {
    const entry = path.join(dir, 'string-width.mjs');
    const swJs = path.join(root, 'node_modules', 'string-width', 'index.js');
    await build({ stdin: { contents: `export { default } from ${JSON.stringify(swJs)};`, resolveDir: root, loader: 'js' }, outfile: entry, bundle: true, platform: 'node', format: 'esm', logLevel: 'silent', plugins: [inkSpeedups(root)] });
    expect(readFileSync(entry, 'utf8')).toContain('rgiEmojiRegex$lazy');
    const patched = (await import(pathToFileURL(entry).href)).default as typeof stringWidth;
    // Emoji (RGI, ZWJ, keycaps, unqualified), combining and spacing marks, Hangul jamo, fullwidth
    // forms, zero-width and control characters, escapes: every rule of string-width's.
    const samples = ['👩‍👩‍👧', '🏳️‍🌈', '1️⃣', '1⃣', '❤', '❤️', 'é', 'e\u0301', 'क्षि', '각', 'ｶﾞ', 'ﾞ', 'Ａ', '\u200b', '\u0007x', '\x1b[31mred\x1b[0m', '漢字', '👨‍💻‍👨', 'a\u0903b'];
    for (const s of samples) expect([s, patched(s)]).toEqual([s, stringWidth(s)]);
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 12 }), (s) => patched(s) === stringWidth(s)), { numRuns: 300 });
  });

  it('refuses to patch a string-width that uses one of the regular expressions somewhere new', () => {
    const source = readFileSync(path.join(root, 'node_modules', 'string-width', 'index.js'), 'utf8');
    expect(() => patchStringWidth(source + '\nexport const again = (s) => rgiEmojiRegex.test(s);\n')).toThrow(/uses rgiEmojiRegex/);
  });
});
