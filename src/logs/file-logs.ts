// A log file, `tail -F` style, on the target (this machine or an SSH host), through target.run.
//
// The tail runs as `tail -n +S -F -- FILE 2>&1` after a line telling us S, so every line we get
// has a known line number in the file. tail's own notices (replaced, truncated, appeared) come
// through the same pipe, in order, and reset the count: the new file is read from its line 1.
// After the link drops, the resumed command first prints line N of the file (N = the last line
// we delivered); if it is the line we have, tail continues at N+1 — nothing repeated, nothing
// lost. If it is not (the file was rotated or truncated while we were away), we say so in the log
// and read the current file from its start (at most RECOVER_MAX_LINES of it).

import type { LogLine } from '../live/events.js';
import type { Target, RunResult } from '../targets/target.js';
import { MAX_LINE_CHARS } from '../targets/output.js';
import { shellQuote } from '../targets/shell.js';
import { DEFAULT_INITIAL_TAIL } from './docker-logs.js';
import { Backoff, LoopReader, type LogSink } from './sink.js';

/** Marks our own lines in the command's output (ASCII record separator: never in a sane log line). */
export const TAIL_MARK = '\x1ehubops-tail';
/** After a rotation we could not follow, read at most this many lines of the new file. */
export const RECOVER_MAX_LINES = 10_000;

/** Both streams in one pipe, so tail's notices arrive in order with the lines; C messages. */
const SETUP = 'exec 2>&1; LC_ALL=C; export LC_ALL; ';

/**
 * First start: the last `lines` lines, then follow. Prints `<mark> start S` (S = the file's line
 * number of the first line that follows; 1 when the file is missing — tail -F waits for it).
 */
export function tailStartCommand(path: string, lines = DEFAULT_INITIAL_TAIL): string {
  const n = Math.max(0, Math.floor(lines));
  return (
    `${SETUP}f=${shellQuote(path)}; n=$( (wc -l < "$f") 2>/dev/null ); n=$((\${n:-0} + 0)); ` +
    `s=$((n > ${n} ? n - ${n} + 1 : 1)); printf '%s start %s\\n' '${TAIL_MARK}' "$s"; ` +
    `exec tail -n +"$s" -F -- "$f" 2>&1`
  );
}

/** Follow from line `from` of the file (prints `<mark> start FROM`). */
export function tailFromCommand(path: string, from: number): string {
  const n = Math.max(1, Math.floor(from));
  return `${SETUP}f=${shellQuote(path)}; printf '%s start %s\\n' '${TAIL_MARK}' ${n}; exec tail -n +${n} -F -- "$f" 2>&1`;
}

/**
 * Resume after line `line`: prints `<mark> check <lines in the file> <text of that line>`, then
 * follows from line N+1. The caller compares with the last line it delivered.
 */
export function tailResumeCommand(path: string, line: number): string {
  const n = Math.max(1, Math.floor(line));
  return (
    `${SETUP}f=${shellQuote(path)}; c=$( (wc -l < "$f") 2>/dev/null ); c=$((\${c:-0} + 0)); ` +
    `l=$( (sed -n '${n}{p;q;}' < "$f") 2>/dev/null ); ` +
    `printf '%s check %s %s\\n' '${TAIL_MARK}' "$c" "$l"; exec tail -n +${n + 1} -F -- "$f" 2>&1`
  );
}

/** What one line of the tail command's output means. */
export type TailOutput =
  | { kind: 'start'; line: number }
  | { kind: 'check'; lines: number; text: string }
  /** tail says the file was replaced, truncated or (re)appeared: a new file from line 1. */
  | { kind: 'reset'; message: string }
  /** Anything else tail says about the file (gone, cannot open, …). */
  | { kind: 'notice'; message: string }
  | { kind: 'line'; text: string };

// GNU coreutils (LC_ALL=C): "tail: 'f' has been replaced;  following new file", "tail: 'f' has
// appeared;  following new file", "tail: f: file truncated", "tail: 'f' has become inaccessible: …",
// "tail: cannot open 'f' for reading: …". BusyBox: "tail: f has been replaced; following end of
// new file", "tail: f has been renamed or deleted: …".
const TAIL_RESET = /^tail: .*(?:has been replaced|has appeared|file truncated)/;
const TAIL_NOTICE = /^tail: .*(?:has become inaccessible|cannot open|has been renamed or deleted|No such file|Permission denied|cannot follow|giving up|inotify|cannot watch|error reading|unrecognized|invalid option|[Uu]sage)/;

export function classifyTailOutput(text: string): TailOutput {
  if (text.startsWith(TAIL_MARK)) {
    const rest = text.slice(TAIL_MARK.length);
    const start = /^ start (\d+)$/.exec(rest);
    if (start) return { kind: 'start', line: Number(start[1]) };
    const check = /^ check (\d+) /.exec(rest);
    if (check) return { kind: 'check', lines: Number(check[1]), text: rest.slice(check[0].length) };
  }
  if (text.startsWith('tail: ')) {
    if (TAIL_RESET.test(text)) return { kind: 'reset', message: text.slice(6) };
    if (TAIL_NOTICE.test(text)) return { kind: 'notice', message: text.slice(6) };
  }
  return { kind: 'line', text };
}

/**
 * Where we are in the file: the line number (in the current file) of the last line delivered and
 * its text. Pure bookkeeping, separate from I/O so it can be tested on its own.
 */
export class FilePosition {
  /** Line number of the last line delivered (0: none of the current file yet). */
  line = 0;
  lastText: string | undefined;
  /** A start marker was seen: `line` is meaningful. */
  known = false;

  /** Whether the resumed command's check line (file length, text of our last line) proves we are where we think. */
  matches(fileLines: number, checkText: string): boolean {
    if (this.lastText === undefined || fileLines < this.line) return false;
    if (checkText === this.lastText) return true;
    // The link dropped in the middle of a line: we delivered its beginning.
    return this.lastText.length > 0 && checkText.startsWith(this.lastText);
  }
}

export interface FileLogsOptions {
  target: Target;
  path: string;
  source: string;
  sink: LogSink;
  now: () => number;
  /** Lines of history at the first start (default 200). */
  initialLines?: number;
  backoff?: { initialMs?: number; maxMs?: number };
}

/** last: the last N lines; from: from line N; after: after line N, checking it is the one we have. */
export type TailMode = { kind: 'last'; lines: number } | { kind: 'from'; line: number } | { kind: 'after'; line: number };

export function tailCommand(path: string, mode: TailMode): string {
  return mode.kind === 'last' ? tailStartCommand(path, mode.lines) : mode.kind === 'from' ? tailFromCommand(path, mode.line) : tailResumeCommand(path, mode.line);
}

/** Where to pick up after the command ended (link lost, tail failed). */
export function resumeMode(pos: FilePosition, initial: TailMode): TailMode {
  if (!pos.known) return initial;
  if (pos.line > 0 && pos.lastText !== undefined) return { kind: 'after', line: pos.line };
  return { kind: 'from', line: pos.line + 1 };
}

/** Follows a file on a target across rotations and link drops. */
export class FileLogs extends LoopReader {
  readonly position = new FilePosition();
  /** The current run's output is to be ignored (the check failed; it is being restarted). */
  private discard = false;
  /** The partial piece of a line longer than MAX_LINE_CHARS (the target passes those in pieces). */
  private longLine = false;

  constructor(private readonly opts: FileLogsOptions) {
    super();
  }

  protected failed(err: unknown): void {
      this.opts.sink.error(`tail of ${this.opts.path} stopped: ${(err as Error)?.message ?? String(err)}`);
  }

  protected async loop(): Promise<void> {
    const { target, path, sink } = this.opts;
    const backoff = new Backoff(this.opts.backoff?.initialMs ?? 1_000, this.opts.backoff?.maxMs ?? 30_000);
    const pos = this.position;
    const initial: TailMode = { kind: 'last', lines: this.opts.initialLines ?? DEFAULT_INITIAL_TAIL };
    let mode: TailMode = initial;
    let interrupted: string | undefined;
    while (!this.stopped) {
      const command = tailCommand(path, mode);
      const ac = new AbortController();
      this.abort = ac;
      this.discard = false;
      let restart: TailMode | undefined;
      let greeted = false;
      const started = Date.now();
      const onLine = (text: string) => {
        if (this.discard || this.stopped) return;
        const out = classifyTailOutput(text);
        if (!greeted && out.kind !== 'start' && out.kind !== 'check') {
          // Before our marker: the shell complaining, not the file.
          sink.notice(text);
          return;
        }
        switch (out.kind) {
          case 'start':
            pos.line = out.line - 1;
            pos.lastText = undefined;
            pos.known = true;
            greeted = true;
            sink.ok();
            if (interrupted !== undefined) {
              sink.notice(`${interrupted}; reading ${path} again from line ${out.line}`);
              interrupted = undefined;
            }
            return;
          case 'check':
            greeted = true;
            sink.ok();
            if (mode.kind === 'after' && pos.matches(out.lines, out.text)) {
              if (out.text !== pos.lastText) {
                // The cut came in the middle of our last line: we showed its beginning. Show it whole.
                sink.notice(`line ${pos.line} of ${path} was cut short by the link drop; here it is whole:`);
                sink.lines([{ source: this.opts.source, ts: this.opts.now(), stream: 'stdout', text: out.text }]);
                pos.lastText = out.text;
              }
              if (interrupted !== undefined) sink.notice(`${interrupted}; resumed ${path} after line ${pos.line}: nothing missed`);
              interrupted = undefined;
              return;
            }
            // The file is not the one we were reading: rotated or truncated while we were away.
            sink.notice(
              `${interrupted ?? 'reconnected'}; ${path} was rotated or truncated meanwhile: lines added to the old file after line ${pos.line} could not be read; reading the current file from its start`,
            );
            interrupted = undefined;
            this.discard = true;
            restart = { kind: 'last', lines: RECOVER_MAX_LINES };
            ac.abort();
            return;
          case 'reset':
            sink.notice(`tail: ${out.message}`);
            pos.line = 0;
            pos.lastText = undefined;
            this.longLine = false;
            return;
          case 'notice':
            sink.notice(`tail: ${out.message}`);
            return;
          case 'line': {
            // A line longer than MAX_LINE_CHARS comes in pieces: count it once, at its last piece.
            const piece = out.text.length === MAX_LINE_CHARS;
            if (!piece) {
              pos.line++;
              pos.lastText = this.longLine ? undefined : out.text;
            }
            this.longLine = piece;
            const line: LogLine = { source: this.opts.source, ts: this.opts.now(), stream: 'stdout', text: out.text };
            sink.lines([line]);
            return;
          }
        }
      };
      let r: RunResult;
      try {
        r = await target.run(command, { onLine, signal: ac.signal, tailLines: 4 });
      } catch (err) {
        r = { code: null, tail: [], timedOut: false, durationMs: 0, error: (err as Error)?.message ?? String(err) };
      }
      if (this.stopped) break;
      if (restart !== undefined) {
        mode = restart;
        continue;
      }
      // tail -F does not end on its own: the link dropped, the command could not start, or tail failed.
      const why =
        r.error !== undefined
          ? r.error
          : r.code === 127
            ? 'tail is not installed on the target'
            : `tail exited with code ${r.code ?? r.signal ?? '?'}${r.tail.at(-1) ? `: ${r.tail.at(-1)}` : ''}`;
      sink.error(`tail of ${path}: ${why}`);
      if (greeted && interrupted === undefined) interrupted = `tail of ${path} on ${target.id} was cut (${why})`;
      mode = resumeMode(pos, initial);
      if (Date.now() - started > 10_000) backoff.reset();
      await this.waiter.wait(backoff.next());
    }
  }
}
