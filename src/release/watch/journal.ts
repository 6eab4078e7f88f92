// Watch events as journal lines: a zod schema to read them back (every journal line is checked
// before it is replayed), and a helper that makes an event safe to write as JSON.

import * as z from 'zod/mini';
import '../../util/zod-en.js';
import type { WatchEvent } from './engine.js';

// (classic zod's `.finite()` was a no-op: numbers reject ±Infinity and NaN already)
const ms = z.number().check(z.nonnegative());
const multiple = z.number().check(z.positive());
const metricValue = z.union([z.number(), z.null(), z.object({ error: z.string() })]);

const watchConfigSchema = z.object({
  duration: ms,
  interval: z.number().check(z.positive()),
  noDataGrace: ms,
  consecutiveErrors: z.number().check(z.int(), z.positive()),
  hard: z.object({ errorRate: multiple, p99: multiple, healthFailures: z.number().check(z.int(), z.positive()) }),
  soft: z.object({ errorRate: multiple, p99: multiple }),
  metrics: z.optional(
    z.record(
      z.string(),
      z.object({ critical: z.optional(z.boolean()), floor: z.optional(z.number().check(z.nonnegative())), soft: z.optional(multiple), hard: z.optional(multiple) }),
    ),
  ),
  checks: z.optional(z.record(z.string(), z.object({ critical: z.optional(z.boolean()) }))),
  countdown: z.optional(ms),
  silenceLimit: z.optional(z.number().check(z.int(), z.positive())),
  softPolicy: z.optional(z.enum(['gate', 'continue', 'rollback', 'hard'])),
});

const sampleSchema = z.object({
  at: z.number(),
  metrics: z.record(z.string(), metricValue),
  health: z.record(z.string(), z.boolean()),
});

export const watchEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('start'),
    at: z.number(),
    baseline: z.record(z.string(), z.object({ mean: z.number(), count: z.number().check(z.int(), z.nonnegative()) })),
    config: watchConfigSchema,
  }),
  z.object({ type: z.literal('sample'), at: z.number(), sample: sampleSchema }),
  z.object({ type: z.literal('tick'), at: z.number() }),
  z.object({
    type: z.literal('gate-answer'),
    at: z.number(),
    answer: z.enum(['continue', 'rollback', 'extend']),
    minutes: z.optional(z.number().check(z.positive())),
    by: z.string(),
  }),
  z.object({ type: z.literal('countdown-stopped'), at: z.number(), by: z.string() }),
  z.object({ type: z.literal('skip'), at: z.number(), reason: z.string(), by: z.string() }),
]);

/** Reads one journal line's object; undefined when it is not a watch event. */
export function parseWatchEvent(value: unknown): WatchEvent | undefined {
  const r = watchEventSchema.safeParse(value);
  return r.success ? (r.data as WatchEvent) : undefined;
}

/**
 * JSON has no Infinity: `JSON.stringify(Infinity)` is `null`, which would turn a p99 of +Inf (a
 * hard breach) into "no data" on replay. Infinite values are written as the largest double, which
 * the engine judges the same way. NaN / -Inf already mean "no data" and are written as null.
 */
export function journalSafe(e: WatchEvent): WatchEvent {
  if (e.type !== 'sample') return e;
  const metrics: Record<string, number | null | { error: string }> = {};
  for (const [k, v] of Object.entries(e.sample.metrics)) {
    metrics[k] = typeof v === 'number' ? (v === Infinity ? Number.MAX_VALUE : Number.isFinite(v) ? v : null) : v;
  }
  return { ...e, sample: { ...e.sample, metrics } };
}
