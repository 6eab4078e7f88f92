import * as z from 'zod';
import { DURATION_HINT, parseDuration } from './duration.js';

/** A duration string (`30s`, `5m`, `1h`) held as milliseconds once parsed. */
const duration = () =>
  z
    .string({ error: DURATION_HINT })
    .refine((s) => parseDuration(s) !== undefined, { error: DURATION_HINT })
    .transform((s) => parseDuration(s)!);

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).min(1, { error: `${what} must not be empty` });

/** `local`, or `ssh://user@host[:port]`. */
const target = z
  .string({ error: 'expected "local" or ssh://user@host:port' })
  .refine((s) => s === 'local' || /^ssh:\/\/[^@\s/]+@(\[[0-9a-fA-F:]+\]|[^:\s/@]+)(:\d{1,5})?\/?$/.test(s), {
    error: 'expected "local" or ssh://user@host:port',
  });

const hostPort = z
  .string({ error: 'expected host:port' })
  .refine((s) => /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(s), { error: 'expected host:port, e.g. db.internal:5432' });

const httpUrl = z
  .string({ error: 'expected an http(s) URL' })
  .refine((s) => /^https?:\/\/[^\s]+$/.test(s), { error: 'expected an http(s) URL' });

function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[], what: string) {
  return (value: T, ctx: z.RefinementCtx) => {
    const present = keys.filter((k) => value[k] !== undefined);
    if (present.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        message:
          present.length === 0
            ? `${what} needs one of: ${keys.join(', ')}`
            : `${what} takes only one of ${keys.join(', ')} (found ${present.join(' and ')})`,
      });
    }
  };
}

const HEALTH_KINDS = ['http', 'tcp', 'run', 'container'] as const;
export const healthCheckSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    http: httpUrl.optional(),
    tcp: hostPort.optional(),
    run: nonEmpty('a command').optional(),
    container: nonEmpty('a container name').optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    expectBody: z.string().optional().describe('substring the HTTP body must contain'),
    timeout: duration().default(5000),
    interval: duration().optional().describe('how often to probe; defaults to the console refresh'),
  })
  .superRefine(exactlyOne(HEALTH_KINDS, 'a health check'));

const LOG_KINDS = ['container', 'service', 'file', 'run'] as const;
export const logSourceSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    container: nonEmpty('a container name').optional(),
    service: nonEmpty('a compose service').optional(),
    file: nonEmpty('a file path').optional(),
    run: nonEmpty('a command').optional(),
  })
  .superRefine(exactlyOne(LOG_KINDS, 'a log source'));

export const metricsSchema = z
  .strictObject({
    prometheus: httpUrl.optional(),
    scrape: httpUrl.optional(),
    errorRate: z.string().optional(),
    requestRate: z.string().optional(),
    p99: z.string().optional(),
    saturation: z.string().optional(),
    host: z.boolean().default(false),
  })
  .superRefine((m, ctx) => {
    if (m.prometheus && m.scrape) ctx.addIssue({ code: 'custom', message: 'use either prometheus or scrape, not both' });
  });

const multiple = z.number({ error: 'expected a multiple of the baseline, e.g. 2' }).positive();

export const watchSchema = z.strictObject({
  duration: duration().default(30 * 60_000),
  interval: duration().default(60_000),
  noDataGrace: duration().default(3 * 60_000),
  consecutiveErrors: z.number().int().positive().default(4),
  hard: z
    .strictObject({
      errorRate: multiple.default(2),
      p99: multiple.default(3),
      healthFailures: z.number().int().positive().default(2),
    })
    .prefault({})
    .describe('breach when value >= baseline x multiple (rolls back automatically)'),
  soft: z
    .strictObject({ errorRate: multiple.default(1.5), p99: multiple.default(1.5) })
    .prefault({})
    .describe('breach when value >= baseline x multiple (asks at a gate)'),
});

const smokeSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    http: httpUrl.optional(),
    run: nonEmpty('a command').optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    timeout: duration().default(10_000),
  })
  .superRefine(exactlyOne(['http', 'run'] as const, 'a smoke check'));

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time like 16:00' });
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/, { error: 'expected a date like 2026-12-24' });
const blackoutSchema = z
  .strictObject({
    days: z.array(z.enum(WEEKDAYS)).optional(),
    after: clock.optional(),
    before: clock.optional(),
    from: isoDate.optional(),
    to: isoDate.optional(),
    reason: z.string().optional(),
  })
  .superRefine((b, ctx) => {
    if (!b.days && !b.from) ctx.addIssue({ code: 'custom', message: 'a blackout needs days (weekly rule) or from/to (dated window)' });
    if (b.from && !b.to) ctx.addIssue({ code: 'custom', message: 'a dated blackout needs both from and to' });
  });

export const STRATEGIES = ['all-at-once', 'blue-green', 'canary', 'manual'] as const;

export const releaseSchema = z.strictObject({
  deploy: nonEmpty('a deploy command'),
  rollback: nonEmpty('a rollback command'),
  current: z.string().optional(),
  idleTimeout: duration().default(5 * 60_000),
  smoke: z.array(smokeSchema).default([]),
  backup: z.strictObject({ run: nonEmpty('a command'), maxAge: duration().default(24 * 3_600_000) }).optional(),
  blackout: z.array(blackoutSchema).default([]),
  strategies: z.array(z.enum(STRATEGIES)).min(1).default(['all-at-once']),
});

export const environmentSchema = z.strictObject({
  target: target.default('local'),
  production: z.boolean().optional().describe('typing the environment name confirms changes; default: name starts with "prod"'),
  refresh: duration().default(2000),
  ssh: z
    .strictObject({
      identityFile: z.string().optional(),
      knownHosts: z.string().optional(),
      agent: z.boolean().optional(),
    })
    .optional(),
  docker: z.strictObject({ socket: z.string().default('/var/run/docker.sock'), project: z.string().optional() }).optional(),
  health: z.array(healthCheckSchema).default([]),
  logs: z.array(logSourceSchema).default([]),
  metrics: metricsSchema.optional(),
  watch: watchSchema.prefault({}),
  release: releaseSchema.optional(),
});

const severitySchema = z.strictObject({
  respond: duration(),
  description: z.string().optional(),
});

export const configSchema = z.strictObject({
  project: nonEmpty('a project name'),
  journal: z.string().default('.hubops'),
  reports: z.string().default('docs'),
  runbooks: z.array(z.string()).default([]).describe('extra runbook folders, besides the shipped ones'),
  templates: z.string().optional().describe('folder whose templates override the shipped ones'),
  defaultEnv: z.string().optional(),
  readonly: z.boolean().default(false),
  environments: z
    .record(z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'environment names use letters, digits, _ . -' }), environmentSchema)
    .refine((r) => Object.keys(r).length > 0, { error: 'at least one environment is needed' }),
  comms: z
    .strictObject({
      channel: z.string().optional(),
      webhook: httpUrl.optional().describe('Slack-compatible incoming webhook; treated as a secret'),
      updateEvery: duration().default(30 * 60_000),
    })
    .prefault({}),
  severities: z
    .strictObject({ sev1: severitySchema.optional(), sev2: severitySchema.optional(), sev3: severitySchema.optional() })
    .optional(),
  keys: z.record(z.string(), z.string()).optional().describe('remap keys: action name -> key'),
});

export type Config = z.output<typeof configSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
export type LogSource = z.output<typeof logSourceSchema>;
export type Metrics = z.output<typeof metricsSchema>;
export type WatchConfig = z.output<typeof watchSchema>;

export function configJsonSchema(): object {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
