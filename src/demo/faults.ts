// The faults `hubops demo` can inject, as the console's fault menu (`F`) lists them. Pure data
// plus one function that applies a menu choice to a running stack.

/** What the shop API's /admin/fault endpoint takes. `none` clears everything. */
export type FaultKind = 'errors' | 'latency' | 'drift' | 'flood' | 'unhealthy' | 'none';

export type DemoFaultId = 'errors' | 'latency' | 'crash' | 'drift' | 'flood' | 'unhealthy' | 'clear';

export interface DemoFault {
  id: DemoFaultId;
  /** Suggested key in the menu (unique among the faults). */
  key: string;
  /** Short label for the menu line. */
  label: string;
  /** One sentence: what it does and where it shows up. */
  description: string;
  /** For the faults that take a number: its meaning, default and a few sensible choices. */
  factor?: { label: string; default: number; choices: readonly number[] };
  /** Stops something (the menu should confirm it like any other destructive action). */
  destructive?: boolean;
}

export const DEMO_FAULTS: readonly DemoFault[] = [
  {
    id: 'errors',
    key: 'e',
    label: 'Error spike',
    description: 'A share of requests fail with 500 (ERROR lines in the api log; the error rate jumps in the metrics pane).',
    factor: { label: 'share of requests failing', default: 0.4, choices: [0.1, 0.25, 0.4, 0.8] },
  },
  {
    id: 'latency',
    key: 'l',
    label: 'Latency ×N',
    description: 'Every request takes N times longer (p99 and saturation rise; WARN slow-request lines).',
    factor: { label: 'latency multiple', default: 5, choices: [2, 3, 5, 10] },
  },
  {
    id: 'crash',
    key: 'c',
    label: 'Crash the API',
    description: 'The API process exits (FATAL in its log, exited in the containers pane, health down); it stays down until restarted from the containers pane.',
    destructive: true,
  },
  {
    id: 'drift',
    key: 'd',
    label: 'Slow latency drift',
    description: 'Latency grows a little every second (+50% of normal per minute by default): a slow creep the watch window catches as a soft breach first.',
    factor: { label: 'extra multiple per minute', default: 0.5, choices: [0.25, 0.5, 1, 2] },
  },
  {
    id: 'flood',
    key: 'f',
    label: 'Log flood',
    description: 'The API writes hundreds of WARN/DEBUG lines a second (the logs pane shows what it had to drop, if anything).',
    factor: { label: 'lines per second', default: 500, choices: [200, 500, 2000] },
  },
  {
    id: 'unhealthy',
    key: 'h',
    label: 'Failing health check',
    description: 'The API stays up but /health answers 503 (health pane red; a hard breach after 2 intervals in a watch window).',
  },
  {
    id: 'clear',
    key: 'x',
    label: 'Clear all faults',
    description: 'Back to normal (a restart of the API clears its faults too). Does not start a crashed API: restart it.',
  },
];

export function demoFault(id: DemoFaultId): DemoFault {
  const f = DEMO_FAULTS.find((x) => x.id === id);
  if (!f) throw new Error(`no such demo fault: ${id}`);
  return f;
}

/** What applyDemoFault needs from the stack (DemoStack has it). */
export interface DemoFaultTarget {
  injectFault(kind: FaultKind, factor?: number): Promise<{ ok: boolean; error?: string; what?: string }>;
  crashApi(): Promise<{ ok: boolean; error?: string }>;
}

/** Applies a menu choice; resolves with a line for the status bar. Never rejects. */
export async function applyDemoFault(stack: DemoFaultTarget, id: DemoFaultId, factor?: number): Promise<{ ok: boolean; message: string }> {
  try {
    if (id === 'crash') {
      const r = await stack.crashApi();
      return r.ok ? { ok: true, message: 'shop-api crashed: restart it from the containers pane' } : { ok: false, message: `crash: ${r.error ?? 'failed'}` };
    }
    const kind: FaultKind = id === 'clear' ? 'none' : id;
    const r = await stack.injectFault(kind, factor ?? demoFault(id).factor?.default);
    return r.ok ? { ok: true, message: r.what ?? demoFault(id).label } : { ok: false, message: `${demoFault(id).label}: ${r.error ?? 'failed'}` };
  } catch (err) {
    return { ok: false, message: `${id}: ${(err as Error).message}` };
  }
}
