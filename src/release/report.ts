import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A markdown report written phase by phase: each section is appended and fsynced as the phase
 * ends, so a crash leaves an honest partial record rather than nothing (or a lie).
 */
export class ReportWriter {
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  append(markdown: string): void {
    const fd = openSync(this.file, 'a');
    try {
      const buf = Buffer.from(markdown.endsWith('\n') ? markdown : `${markdown}\n`);
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  section(title: string, lines: string[]): void {
    this.append(`\n## ${title}\n\n${lines.join('\n')}\n`);
  }
}

/** `release_1.4.0_prod_2026-11-23-1405.md` */
export function reportName(kind: 'release' | 'rollback', version: string, env: string, at: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())}-${p(at.getHours())}${p(at.getMinutes())}`;
  return `${kind}_${version}_${env}_${stamp}.md`;
}

/** A markdown table cell: no pipes or newlines. */
export function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
