// esbuild plugin: speed-ups to Ink's frame output and start-up, applied when the console is bundled.
// Both keep Ink's behaviour (the unit tests compare frames and widths with the unpatched code).
//
// 1. string-width (Ink's copy, and the copies of widest-line, cli-truncate, wrap-ansi, slice-ansi
//    it shares) gets the fast path of screens/render/fast-string-width.ts for box drawing, braille
//    and other narrow non-ASCII text, which otherwise goes through Intl.Segmenter per grapheme.
// 2. Ink's incremental line update finds where a changed row starts to differ by walking graphemes
//    unless both rows are printable ASCII; a bordered row never is. Rows of narrow characters
//    (the same table) are walked as ASCII is: one column per UTF-16 unit.
// 3. Ink's Output caches each text's styled characters and widths for one frame only; a log pane
//    redraws mostly the same strings at other rows frame after frame. The caches here live for two
//    frames (what the last frame used is kept; the rest is let go), so memory stays bounded.
//
// 4. Yoga (Ink's layout engine) ships its WebAssembly as a base64 data URL and reads it with fetch()
//    when fetch exists: in Node that loads undici and runs a fetch before the first frame can be laid
//    out (~60 ms of start-up). It decodes the same base64 itself when told not to fetch.
//
// 5. terminal-size (Ink's fallback when the terminal does not say its size) imports execFileSync,
//    which loads node:child_process and a dozen modules at start-up; it runs `tput` only when
//    stdout is not a terminal. The module is required when that happens.
//
// 6. string-width builds four Unicode-property regular expressions when it is loaded; with the v
//    flag, `\p{RGI_Emoji}` and the negated property class cost ~20 ms of start-up. They are built
//    on first use instead, which the fast path (1.) leaves to text with wide or combining
//    characters.
//
// 7. ansi-tokenize (Ink's Output turns every text it writes into styled characters with it) splits
//    each string into graphemes with Intl.Segmenter, ASCII included. A string of narrow characters
//    and controls (the table of 1.) is split by code unit instead: the same segments, without ICU.
//    With src/util/lazy-segmenter.ts, the first frame then loads no break rules at all.
//
// A patch that no longer matches Ink's source fails the build, naming the file (an Ink upgrade
// must look at it again).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const NS = 'hubops-fast-width';

const OUTPUT_PATCHES = [
  [
    'class OutputCaches {\n    widths = new Map();\n    blockWidths = new Map();\n    styledChars = new Map();',
    'class OutputCaches {\n    widths = hubopsFrameCaches.widths;\n    blockWidths = hubopsFrameCaches.blockWidths;\n    styledChars = hubopsFrameCaches.styledChars;',
  ],
  ['    caches = new OutputCaches();', '    caches = (hubopsFrameCaches.nextFrame(), new OutputCaches());'],
  [
    "            const row = [];\n            for (let x = 0; x < this.width; x++) {\n                row.push({\n                    type: 'char',\n                    value: ' ',\n                    fullWidth: false,\n                    styles: [],\n                });\n            }\n            output.push(row);",
    '            output.push(new Array(this.width).fill(HUBOPS_BLANK_CELL));',
  ],
  [
    "            .map(line => {\n            // See https://github.com/vadimdemedes/ink/pull/564#issuecomment-1637022742\n            const lineWithoutEmptyItems = line.filter(item => item !== undefined);\n            return styledCharsToString(lineWithoutEmptyItems).trimEnd();\n        })",
    '            .map((line, y) => hubopsRowStrings.get(line, y))',
  ],
  [
    "        const characterLines = [[]];\n        for (const character of this.caches.getStyledChars(text)) {\n            if (character.value === '\\n') {\n                characterLines.push([]);\n            }\n            else {\n                characterLines.at(-1).push(character);\n            }\n        }\n        let lines = characterLines.map(line => styledCharsToString(line));",
    "        let lines = hubopsFrameCaches.lines.get(text);\n        if (lines === undefined) {\n        const characterLines = [[]];\n        for (const character of this.caches.getStyledChars(text)) {\n            if (character.value === '\\n') {\n                characterLines.push([]);\n            }\n            else {\n                characterLines.at(-1).push(character);\n            }\n        }\n        lines = characterLines.map(line => styledCharsToString(line));\n        hubopsFrameCaches.lines.set(text, lines);\n        }",
  ],
];

const LINE_UPDATE_PATCHES = [
  ['if (printableAscii.test(previousText) && printableAscii.test(nextText)) {', 'if (isNarrowText(previousText) && isNarrowText(nextText)) {'],
];

const TERMINAL_SIZE_PATCHES = [
  [
    "import {execFileSync} from 'node:child_process';",
    "import {createRequire as hubopsCreateRequire} from 'node:module';\nconst execFileSync = (...args) => hubopsCreateRequire(import.meta.url)('node:child_process').execFileSync(...args);",
  ],
];

const LAZY_REGEXES = ['visibleCharacterRegex', 'spacingMarkRegex', 'rgiEmojiRegex', 'extendedPictographicRegex'];
const STRING_WIDTH_PATCHES = [
  ...LAZY_REGEXES.map((name) => [`const ${name} = /`, `let ${name}$hubops;\nconst ${name}$lazy = () => ${name}$hubops ??= /`]),
  ['segment.match(extendedPictographicRegex)', 'segment.match(extendedPictographicRegex$lazy())'],
  ['segment.search(visibleCharacterRegex)', 'segment.search(visibleCharacterRegex$lazy())'],
  ['!visibleCharacterRegex.test(character)', '!visibleCharacterRegex$lazy().test(character)'],
  ['spacingMarkRegex.test(character)', 'spacingMarkRegex$lazy().test(character)'],
  ['rgiEmojiRegex.test(segment)', 'rgiEmojiRegex$lazy().test(segment)'],
];

const TOKENIZE_PATCHES = [['for (const { segment, index } of segmenter.segment(str)) {', 'for (const { segment, index } of graphemes(segmenter, str)) {']];

const YOGA_PATCHES = [['function ya(){return w||"function"!=typeof fetch?', 'function ya(){return true||w||"function"!=typeof fetch?']];

const OUTPUT_PRELUDE = `
// hubops (scripts/ink-speedups.mjs): caches kept across two frames.
class HubopsTwoFrameMap {
    current = new Map();
    previous = new Map();
    get(key) {
        let v = this.current.get(key);
        if (v === undefined) {
            v = this.previous.get(key);
            if (v !== undefined) this.current.set(key, v);
        }
        return v;
    }
    set(key, value) {
        this.current.set(key, value);
        return this;
    }
    nextFrame() {
        this.previous = this.current;
        this.current = new Map();
    }
}
// A blank cell shared by every empty position (cells are replaced, never mutated).
const HUBOPS_BLANK_CELL = { type: 'char', value: ' ', fullWidth: false, styles: [] };
// A row made of the very same cells as in the last frame gives the same string: reuse it.
const hubopsRowStrings = {
    rows: [],
    strings: [],
    get(line, y) {
        const cells = line.filter(item => item !== undefined);
        const prev = this.rows[y];
        if (prev !== undefined && prev.length === cells.length) {
            let same = true;
            for (let i = 0; i < cells.length; i++) {
                if (prev[i] !== cells[i]) {
                    same = false;
                    break;
                }
            }
            if (same) return this.strings[y];
        }
        const text = styledCharsToString(cells).trimEnd();
        this.rows[y] = cells;
        this.strings[y] = text;
        return text;
    },
};
const hubopsFrameCaches = {
    widths: new HubopsTwoFrameMap(),
    blockWidths: new HubopsTwoFrameMap(),
    styledChars: new HubopsTwoFrameMap(),
    // A write's text split into styled lines (pure; the arrays are never modified).
    lines: new HubopsTwoFrameMap(),
    nextFrame() {
        this.lines.nextFrame();
        this.widths.nextFrame();
        this.blockWidths.nextFrame();
        this.styledChars.nextFrame();
    },
};
`;

function applyPatches(source, patches, file) {
  let text = source;
  for (const [from, to] of patches) {
    const at = text.indexOf(from);
    if (at < 0 || text.indexOf(from, at + 1) >= 0) {
      throw new Error(`${file}: the hubops speed-up patch no longer matches Ink's source (looked for: ${JSON.stringify(from.split('\n')[0])}); see scripts/ink-speedups.mjs`);
    }
    text = text.slice(0, at) + to + text.slice(at + from.length);
  }
  return text;
}

/** Applies the Output patches to the text of ink/build/output.js; throws if one does not match. */
export function patchInkOutput(source, file = 'ink/build/output.js') {
  const text = applyPatches(source, OUTPUT_PATCHES, file);
  const afterImports = text.indexOf('\nconst ');
  return text.slice(0, afterImports + 1) + OUTPUT_PRELUDE + text.slice(afterImports + 1);
}

/** The same for ink/build/line-update.js (`shim`: the module that exports isNarrowText). */
export function patchInkLineUpdate(source, shim, file = 'ink/build/line-update.js') {
  return `import { isNarrowText } from ${JSON.stringify(shim)};\n${applyPatches(source, LINE_UPDATE_PATCHES, file)}`;
}

/** The same for yoga-layout's binaries/yoga-wasm-base64-esm.js. */
export function patchYogaLoader(source, file = 'yoga-layout/dist/binaries/yoga-wasm-base64-esm.js') {
  return applyPatches(source, YOGA_PATCHES, file);
}

/** The same for string-width's index.js; every use of the four regular expressions must be rewritten. */
export function patchStringWidth(source, file = 'string-width/index.js') {
  const text = applyPatches(source, STRING_WIDTH_PATCHES, file);
  for (const name of LAZY_REGEXES) {
    if (new RegExp(`\\b${name}\\b(?!\\$)`).test(text)) throw new Error(`ink-speedups: ${file} uses ${name} somewhere this patch does not rewrite; look at it again`);
  }
  return text;
}

/** The same for @alcalzone/ansi-tokenize's build/tokenize.js. */
export function patchTokenize(source, shim, file = '@alcalzone/ansi-tokenize/build/tokenize.js') {
  return `import { graphemes } from ${JSON.stringify(shim)};\n${applyPatches(source, TOKENIZE_PATCHES, file)}`;
}

/** The same for terminal-size's index.js. */
export function patchTerminalSize(source, file = 'terminal-size/index.js') {
  return applyPatches(source, TERMINAL_SIZE_PATCHES, file);
}

/** @param {string} root the repository root @returns {import('esbuild').Plugin} */
export function inkSpeedups(root) {
  const shim = join(root, 'screens', 'render', 'fast-string-width.ts');
  const hoisted = join(root, 'node_modules', 'string-width', 'index.js');
  return {
    name: 'hubops-ink-speedups',
    setup(build) {
      build.onResolve({ filter: /^string-width$/ }, async (args) => {
        if (args.pluginData?.real || !args.importer.includes('node_modules')) return undefined;
        const real = await build.resolve('string-width', { resolveDir: args.resolveDir, kind: args.kind, pluginData: { real: true } });
        // Only the copy the fast path was checked against (tests/unit/fast-string-width.test.ts).
        if (real.errors.length > 0 || real.path !== hoisted) return undefined;
        return { path: real.path, namespace: NS };
      });
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => ({
        contents: `import slow from ${JSON.stringify(args.path)};\nimport { withFastPath } from ${JSON.stringify(shim)};\nexport default withFastPath(slow);\n`,
        resolveDir: root,
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]output\.js$/ }, async (args) => ({
        contents: patchInkOutput(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, async (args) => ({
        contents: patchYogaLoader(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, async (args) =>
        // Only the copy the patch was written against (the hoisted 8.x); older copies have no such regexes.
        args.path === hoisted ? { contents: patchStringWidth(await readFile(args.path, 'utf8'), args.path), loader: 'js' } : undefined,
      );
      build.onLoad({ filter: /[\\/]node_modules[\\/]@alcalzone[\\/]ansi-tokenize[\\/]build[\\/]tokenize\.js$/ }, async (args) => ({
        contents: patchTokenize(await readFile(args.path, 'utf8'), shim, args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]terminal-size[\\/]index\.js$/ }, async (args) => ({
        contents: patchTerminalSize(await readFile(args.path, 'utf8'), args.path),
        loader: 'js',
      }));
      build.onLoad({ filter: /[\\/]node_modules[\\/]ink[\\/]build[\\/]line-update\.js$/ }, async (args) => ({
        contents: patchInkLineUpdate(await readFile(args.path, 'utf8'), shim, args.path),
        loader: 'js',
      }));
    },
  };
}
