import * as z from 'zod/mini';
import '../util/zod-en.js';

/** A release is its journal: every phase, decision and result, appended and fsynced. */

export const VERDICTS = ['Released', 'Rolled-Back', 'Aborted', 'Released-with-override'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** The verdict as the run says it, and the console's release panel shows it. */
export function verdictLine(verdict: Verdict, reason: string): string {
  return `verdict: ${verdict} — ${reason}`;
}
export const RELEASE_PHASES = ['gate', 'strategy', 'execute', 'smoke', 'watch', 'commit', 'rollback', 'done'] as const;
export type ReleasePhase = (typeof RELEASE_PHASES)[number];

const base = { v: z.literal(1), seq: z.number().check(z.int(), z.positive()), at: z.string(), by: z.string() };
const check = z.object({ name: z.string(), status: z.enum(['pass', 'block', 'warn']), detail: z.string() });
const metricValue = z.union([z.number(), z.null(), z.object({ error: z.string() })]);

export const releaseEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('started'), id: z.string(), version: z.string(), env: z.string(), previous: z.string(), report: z.string(), commit: z.optional(z.string()), watch: z.object({ durationMs: z.number(), intervalMs: z.number() }) }),
  z.object({ ...base, type: z.literal('gate'), checks: z.array(check), blocking: z.boolean(), summary: z._default(z.array(z.string()), []) }),
  z.object({ ...base, type: z.literal('decision'), gate: z.string(), choice: z.string(), reason: z.optional(z.string()) }),
  z.object({ ...base, type: z.literal('phase'), phase: z.enum(RELEASE_PHASES) }),
  z.object({ ...base, type: z.literal('strategy'), strategy: z.string() }),
  z.object({
    ...base,
    type: z.literal('command'),
    purpose: z.enum(['deploy', 'rollback', 'current', 'backup', 'smoke']),
    command: z.string(),
    code: z.nullable(z.number().check(z.int())),
    durationMs: z.number(),
    tail: z.array(z.string()),
    error: z.optional(z.string()),
  }),
  // Before a deploy or rollback command runs: the mark in its environment, so that a resumed
  // release can stop what is left of it if this hubops died under it.
  z.object({ ...base, type: z.literal('command-started'), purpose: z.enum(['deploy', 'rollback']), command: z.string(), mark: z.string() }),
  z.object({ ...base, type: z.literal('smoke'), name: z.string(), ok: z.boolean(), detail: z.string(), round: z.enum(['release', 'rollback']) }),
  z.object({ ...base, type: z.literal('baseline'), metrics: z.record(z.string(), z.object({ mean: z.nullable(z.number()), samples: z.number() })), source: z.string() }),
  z.object({ ...base, type: z.literal('sample'), window: z.enum(['watch', 'mini']), metrics: z.record(z.string(), metricValue), health: z.record(z.string(), z.boolean()) }),
  z.object({ ...base, type: z.literal('watch-decision'), window: z.enum(['watch', 'mini']), kind: z.string(), reasons: z._default(z.array(z.string()), []) }),
  z.object({ ...base, type: z.literal('verdict'), verdict: z.enum(VERDICTS), reason: z.string() }),
  z.object({ ...base, type: z.literal('note'), text: z.string() }),
]);

export type ReleaseEvent = z.output<typeof releaseEventSchema>;
export type NewReleaseEvent = ReleaseEvent extends infer E ? (E extends ReleaseEvent ? Omit<E, 'v' | 'seq' | 'at' | 'by'> : never) : never;
