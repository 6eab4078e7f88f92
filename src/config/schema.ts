import * as z from 'zod/mini';
import '../util/zod-en.js';
import { DURATION_HINT, parseDuration } from './duration.js';

/** A duration string (`30s`, `5m`, `1h`) held as milliseconds once parsed. */
const duration = () =>
  z.pipe(
    z.string({ error: DURATION_HINT }).check(z.refine((s) => parseDuration(s) !== undefined, { error: DURATION_HINT })),
    z.transform((s: string) => parseDuration(s)!),
  );

const nonEmpty = (what: string) => z.string({ error: `expected ${what}` }).check(z.minLength(1, { error: `${what} must not be empty` }));

/** A description for the JSON Schema (`hubops check --schema`), as classic zod's `.describe()` registers it. */
const described = <T extends z.ZodMiniType>(schema: T, description: string): T => {
  z.globalRegistry.add(schema, { description });
  return schema;
};

/** `local`, or `ssh://user@host[:port]`. */
const target = z.string({ error: 'expected "local" or ssh://user@host:port' }).check(
  z.refine((s) => s === 'local' || /^ssh:\/\/[^@\s/]+@(\[[0-9a-fA-F:]+\]|[^:\s/@]+)(:\d{1,5})?\/?$/.test(s), {
    error: 'expected "local" or ssh://user@host:port',
  }),
);

const hostPort = z
  .string({ error: 'expected host:port' })
  .check(z.refine((s) => /^(\[[0-9a-fA-F:]+\]|[^:\s]+):\d{1,5}$/.test(s), { error: 'expected host:port, e.g. db.internal:5432' }));

const httpUrl = z
  .string({ error: 'expected an http(s) URL' })
  .check(z.refine((s) => /^https?:\/\/[^\s]+$/.test(s), { error: 'expected an http(s) URL' }));

function exactlyOne<T extends Record<string, unknown>>(keys: readonly (keyof T & string)[], what: string) {
  return z.superRefine((value: T, ctx) => {
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
  });
}

const status = () => z._default(z.number().check(z.int(), z.gte(100), z.lte(599)), 200);
const positiveInt = () => z.number().check(z.int(), z.positive());

const HEALTH_KINDS = ['http', 'tcp', 'run', 'container'] as const;
export const healthCheckSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    http: z.optional(httpUrl),
    tcp: z.optional(hostPort),
    run: z.optional(nonEmpty('a command')),
    container: z.optional(nonEmpty('a container name')),
    expectStatus: status(),
    expectBody: described(z.optional(z.string()), 'substring the HTTP body must contain'),
    timeout: z._default(duration(), 5000),
    interval: described(z.optional(duration()), 'how often to probe; defaults to the console refresh'),
  })
  .check(exactlyOne(HEALTH_KINDS, 'a health check'));

const LOG_KINDS = ['container', 'service', 'file', 'run'] as const;
export const logSourceSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    container: z.optional(nonEmpty('a container name')),
    service: z.optional(nonEmpty('a compose service')),
    file: z.optional(nonEmpty('a file path')),
    run: z.optional(nonEmpty('a command')),
  })
  .check(exactlyOne(LOG_KINDS, 'a log source'));

export const metricsSchema = z
  .strictObject({
    prometheus: z.optional(httpUrl),
    scrape: z.optional(httpUrl),
    errorRate: z.optional(z.string()),
    requestRate: z.optional(z.string()),
    p99: z.optional(z.string()),
    saturation: z.optional(z.string()),
    host: z._default(z.boolean(), false),
  })
  .check(
    z.superRefine((m, ctx) => {
      if (m.prometheus && m.scrape) ctx.addIssue({ code: 'custom', message: 'use either prometheus or scrape, not both' });
    }),
  );

const multiple = z.number({ error: 'expected a multiple of the baseline, e.g. 2' }).check(z.positive());

export const watchSchema = z.strictObject({
  duration: z._default(duration(), 30 * 60_000),
  interval: z._default(duration(), 60_000),
  noDataGrace: z._default(duration(), 3 * 60_000),
  consecutiveErrors: z._default(positiveInt(), 4),
  hard: described(
    z.prefault(
      z.strictObject({
        errorRate: z._default(multiple, 2),
        p99: z._default(multiple, 3),
        healthFailures: z._default(positiveInt(), 2),
      }),
      {},
    ),
    'breach when value >= baseline x multiple (rolls back automatically)',
  ),
  soft: described(
    z.prefault(z.strictObject({ errorRate: z._default(multiple, 1.5), p99: z._default(multiple, 1.5) }), {}),
    'breach when value >= baseline x multiple (asks at a gate)',
  ),
});

const smokeSchema = z
  .strictObject({
    name: nonEmpty('a name'),
    http: z.optional(httpUrl),
    run: z.optional(nonEmpty('a command')),
    expectStatus: status(),
    timeout: z._default(duration(), 10_000),
  })
  .check(exactlyOne(['http', 'run'] as const, 'a smoke check'));

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const clock = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: 'expected a time like 16:00' }));
const isoDate = z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/, { error: 'expected a date like 2026-12-24' }));
const blackoutSchema = z
  .strictObject({
    days: z.optional(z.array(z.enum(WEEKDAYS))),
    after: z.optional(clock),
    before: z.optional(clock),
    from: z.optional(isoDate),
    to: z.optional(isoDate),
    reason: z.optional(z.string()),
  })
  .check(
    z.superRefine((b, ctx) => {
      if (!b.days && !b.from) ctx.addIssue({ code: 'custom', message: 'a blackout needs days (weekly rule) or from/to (dated window)' });
      if (b.from && !b.to) ctx.addIssue({ code: 'custom', message: 'a dated blackout needs both from and to' });
    }),
  );

export const STRATEGIES = ['all-at-once', 'blue-green', 'canary', 'manual'] as const;

export const releaseSchema = z.strictObject({
  deploy: nonEmpty('a deploy command'),
  rollback: nonEmpty('a rollback command'),
  current: z.optional(z.string()),
  idleTimeout: z._default(duration(), 5 * 60_000),
  smoke: z._default(z.array(smokeSchema), []),
  backup: z.optional(z.strictObject({ run: nonEmpty('a command'), maxAge: z._default(duration(), 24 * 3_600_000) })),
  blackout: z._default(z.array(blackoutSchema), []),
  strategies: z._default(z.array(z.enum(STRATEGIES)).check(z.minLength(1)), ['all-at-once']),
});

export const environmentSchema = z.strictObject({
  target: z._default(target, 'local'),
  production: described(z.optional(z.boolean()), 'typing the environment name confirms changes; default: name starts with "prod"'),
  refresh: z._default(duration(), 2000),
  ssh: z.optional(
    z.strictObject({
      identityFile: z.optional(z.string()),
      knownHosts: z.optional(z.string()),
      agent: z.optional(z.boolean()),
    }),
  ),
  docker: z.optional(z.strictObject({ socket: z._default(z.string(), '/var/run/docker.sock'), project: z.optional(z.string()) })),
  health: z._default(z.array(healthCheckSchema), []),
  logs: z._default(z.array(logSourceSchema), []),
  metrics: z.optional(metricsSchema),
  watch: z.prefault(watchSchema, {}),
  release: z.optional(releaseSchema),
});

const severitySchema = z.strictObject({
  respond: duration(),
  description: z.optional(z.string()),
});

export const configSchema = z.strictObject({
  project: nonEmpty('a project name'),
  journal: z._default(z.string(), '.hubops'),
  reports: z._default(z.string(), 'docs'),
  runbooks: described(z._default(z.array(z.string()), []), 'extra runbook folders, besides the shipped ones'),
  templates: described(z.optional(z.string()), 'folder whose templates override the shipped ones'),
  defaultEnv: z.optional(z.string()),
  readonly: z._default(z.boolean(), false),
  environments: z
    .record(z.string().check(z.regex(/^[A-Za-z0-9_.-]+$/, { error: 'environment names use letters, digits, _ . -' })), environmentSchema)
    .check(z.refine((r) => Object.keys(r).length > 0, { error: 'at least one environment is needed' })),
  comms: z.prefault(
    z.strictObject({
      channel: z.optional(z.string()),
      webhook: described(z.optional(httpUrl), 'Slack-compatible incoming webhook; treated as a secret'),
      updateEvery: z._default(duration(), 30 * 60_000),
    }),
    {},
  ),
  severities: z.optional(
    z.strictObject({ sev1: z.optional(severitySchema), sev2: z.optional(severitySchema), sev3: z.optional(severitySchema) }),
  ),
  keys: described(z.optional(z.record(z.string(), z.string())), 'remap keys: action name -> key'),
});

export type Config = z.output<typeof configSchema>;
export type Environment = z.output<typeof environmentSchema>;
export type HealthCheck = z.output<typeof healthCheckSchema>;
export type LogSource = z.output<typeof logSourceSchema>;
export type Metrics = z.output<typeof metricsSchema>;
export type WatchConfig = z.output<typeof watchSchema>;
