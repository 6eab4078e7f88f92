// Turning a command's byte streams into lines: a carry-over buffer per stream (a chunk may end in
// the middle of a line or of a UTF-8 character), a capped tail, and a cap on line length so a
// stream without newlines cannot grow a buffer without bound.

import { StringDecoder } from 'node:string_decoder';
import { formatDuration } from '../config/duration.js';

/** A line longer than this is passed on in pieces of this size. */
export const MAX_LINE_CHARS = 64 * 1024;
export const DEFAULT_TAIL_LINES = 200;

type StreamName = 'stdout' | 'stderr';

class StreamLines {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';

  constructor(
    private readonly name: StreamName,
    private readonly emit: (line: string, stream: StreamName) => void,
  ) {}

  push(chunk: Buffer | string): void {
    this.split(typeof chunk === 'string' ? chunk : this.decoder.write(chunk));
  }

  end(): void {
    this.split(this.decoder.end());
    if (this.carry !== '') {
      const last = this.carry;
      this.carry = '';
      this.emit(stripCr(last), this.name);
    }
  }

  private split(text: string): void {
    if (text === '') return;
    let data = this.carry + text;
    let nl = data.indexOf('\n');
    while (nl !== -1) {
      this.emit(stripCr(data.slice(0, nl)), this.name);
      data = data.slice(nl + 1);
      nl = data.indexOf('\n');
    }
    while (data.length > MAX_LINE_CHARS) {
      this.emit(data.slice(0, MAX_LINE_CHARS), this.name);
      data = data.slice(MAX_LINE_CHARS);
    }
    this.carry = data;
  }
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Collects both streams of one command: lines to `onLine` as they complete, and the last N kept. */
export class OutputCollector {
  private readonly tailLines: number;
  private readonly kept: string[] = [];
  private readonly out: StreamLines;
  private readonly err: StreamLines;
  private ended = false;

  /**
   * `intercept` sees every line first; when it returns true the line is swallowed (neither passed
   * on nor kept) — used for hubops' own bookkeeping lines.
   */
  constructor(
    onLine: ((line: string, stream: StreamName) => void) | undefined,
    tailLines = DEFAULT_TAIL_LINES,
    intercept?: (line: string, stream: StreamName) => boolean,
  ) {
    this.tailLines = Math.max(0, Math.floor(tailLines));
    const emit = (line: string, stream: StreamName) => {
      if (intercept?.(line, stream)) return;
      if (this.tailLines > 0) {
        this.kept.push(line);
        if (this.kept.length > this.tailLines) this.kept.splice(0, this.kept.length - this.tailLines);
      }
      if (onLine) {
        try {
          onLine(line, stream);
        } catch {
          // A listener's bug must not break the command's bookkeeping.
        }
      }
    };
    this.out = new StreamLines('stdout', emit);
    this.err = new StreamLines('stderr', emit);
  }

  push(stream: StreamName, chunk: Buffer | string): void {
    if (this.ended) return;
    (stream === 'stdout' ? this.out : this.err).push(chunk);
  }

  /** Flushes partial last lines; later chunks are ignored. */
  end(): void {
    if (this.ended) return;
    this.out.end();
    this.err.end();
    this.ended = true;
  }

  get tail(): string[] {
    return this.kept.slice();
  }
}

export function timedOutMessage(timeoutMs: number): string {
  return `timed out after ${formatDuration(timeoutMs)}`;
}
