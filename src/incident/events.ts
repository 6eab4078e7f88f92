import * as z from 'zod/mini';
import '../util/zod-en.js';

/** Everything that happens in an incident is one of these, appended to its journal. */

export const SEVERITIES = [1, 2, 3] as const;
export type Sev = (typeof SEVERITIES)[number];
export const PHASES = ['triage', 'investigate', 'mitigate', 'verify', 'communicate', 'postmortem'] as const;
export type Phase = (typeof PHASES)[number];
export const ROLES = ['commander', 'comms', 'scribe'] as const;
export type Role = (typeof ROLES)[number];

const sev = z.union([z.literal(1), z.literal(2), z.literal(3)]);
const base = {
  v: z.literal(1),
  seq: z.number().check(z.int(), z.positive()),
  /** ISO 8601 with the offset of the machine that wrote it. */
  at: z.string(),
  /** user@host of whoever did it. */
  by: z.string(),
};

export const incidentEventSchema = z.discriminatedUnion('type', [
  z.object({ ...base, type: z.literal('declared'), id: z.string(), sev, title: z.string(), symptom: z._default(z.string(), ''), service: z._default(z.string(), ''), env: z._default(z.string(), '') }),
  z.object({ ...base, type: z.literal('severity-changed'), from: sev, to: sev, reason: z._default(z.string(), '') }),
  z.object({ ...base, type: z.literal('phase-changed'), from: z.enum(PHASES), to: z.enum(PHASES) }),
  z.object({ ...base, type: z.literal('role-assigned'), role: z.enum(ROLES), who: z.string() }),
  z.object({ ...base, type: z.literal('note'), text: z.string() }),
  z.object({
    ...base,
    type: z.literal('update-sent'),
    kind: z.enum(['update', 'resolved']),
    text: z.string(),
    fields: z._default(z.record(z.string(), z.string()), {}),
    /** Where it went: the webhook, the clipboard (OSC 52), or only recorded. */
    via: z.array(z.enum(['webhook', 'clipboard', 'recorded'])),
    error: z.optional(z.string()),
  }),
  z.object({ ...base, type: z.literal('runbook-opened'), runbook: z.string(), title: z.string(), file: z._default(z.string(), '') }),
  z.object({ ...base, type: z.literal('step-done'), runbook: z.string(), step: z.string(), text: z._default(z.string(), '') }),
  z.object({ ...base, type: z.literal('step-skipped'), runbook: z.string(), step: z.string(), text: z._default(z.string(), ''), reason: z.string() }),
  /**
   * Journaled before a step's command runs, so a console that dies under it leaves a record: the
   * next console to lead the incident stops what is left of it (the processes carrying `mark`).
   */
  z.object({ ...base, type: z.literal('step-started'), runbook: z.string(), step: z.string(), text: z._default(z.string(), ''), command: z.string(), target: z.string(), env: z.string(), mark: z.string() }),
  z.object({
    ...base,
    type: z.literal('step-ran'),
    runbook: z.string(),
    step: z.string(),
    command: z.string(),
    target: z.string(),
    code: z.nullable(z.number().check(z.int())),
    durationMs: z.number(),
    tail: z.array(z.string()),
    error: z.optional(z.string()),
  }),
  z.object({ ...base, type: z.literal('action'), action: z.string(), subject: z.string(), ok: z.boolean(), detail: z._default(z.string(), '') }),
  z.object({
    ...base,
    type: z.literal('verified'),
    green: z.boolean(),
    checks: z.array(z.object({ name: z.string(), ok: z.boolean(), detail: z.string() })),
    override: z.optional(z.string()),
  }),
  z.object({
    ...base,
    type: z.literal('resolved'),
    rootCause: z._default(z.string(), ''),
    impact: z._default(z.string(), ''),
    dataLoss: z._default(z.string(), 'no'),
  }),
  z.object({ ...base, type: z.literal('postmortem-written'), path: z.string() }),
]);

export type IncidentEvent = z.output<typeof incidentEventSchema>;
export type IncidentEventType = IncidentEvent['type'];
/** An event before the journal stamps it (seq, at, by, v). */
export type NewIncidentEvent = IncidentEvent extends infer E ? (E extends IncidentEvent ? Omit<E, 'v' | 'seq' | 'at' | 'by'> : never) : never;
