import { LogBuffer } from '../logs/buffer.js';
import type { LiveEvent } from './events.js';

export const ALL_SOURCES = 'all';

/**
 * The log pane's lines: one ring buffer with every source merged in arrival order, and one per
 * source, so switching the pane to one source (or to a container picked in the containers pane)
 * shows its history at once. Not React state: appending is O(batch) and the screen reads only the
 * rows it shows.
 */
export class LogsModel {
  readonly buffers = new Map<string, LogBuffer>();

  constructor(sources: string[], readonly cap = 10_000) {
    this.buffers.set(ALL_SOURCES, new LogBuffer({ cap }));
    for (const s of sources) this.addSource(s);
  }

  addSource(name: string): void {
    if (!this.buffers.has(name)) this.buffers.set(name, new LogBuffer({ cap: this.cap }));
  }

  get names(): string[] {
    return [...this.buffers.keys()];
  }

  buffer(name: string): LogBuffer {
    return this.buffers.get(name) ?? this.buffers.get(ALL_SOURCES)!;
  }

  onEvent(e: LiveEvent): void {
    if (e.type !== 'logs') return;
    this.buffers.get(ALL_SOURCES)!.append(e.lines);
    // A batch usually comes from one source; group without allocating when it does.
    const first = e.lines[0]?.source;
    if (first !== undefined && e.lines.every((l) => l.source === first)) {
      this.buffers.get(first)?.append(e.lines);
      return;
    }
    const bySource = new Map<string, (typeof e.lines)[number][]>();
    for (const l of e.lines) {
      const group = bySource.get(l.source);
      if (group) group.push(l);
      else bySource.set(l.source, [l]);
    }
    for (const [name, lines] of bySource) this.buffers.get(name)?.append(lines);
  }
}
