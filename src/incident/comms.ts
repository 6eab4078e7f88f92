/**
 * Incident communications: the fields of the status-update and resolved messages (which are
 * computed from the incident, which the person types), rendering them from the templates, posting
 * them to a Slack-compatible webhook, and copying them to the terminal's clipboard (OSC 52).
 *
 * The webhook URL is a secret (its path and query are the credential): nothing here ever puts it,
 * or any part of it but its host, in a message.
 */
import { isAbsolute, relative } from 'node:path';
import { loadTemplate, missingFields, renderTemplate, TEMPLATE_NAMES } from '../templates/templates.js';
import { DEFAULT_UPDATE_EVERY_MS, type IncidentClock } from './clock.js';
import type { IncidentState } from './state.js';
import { humanDuration, localDate, localHHMM, postmortemPath, zoneLabel } from './postmortem.js';

export { humanDuration, localDate, localHHMM, zoneLabel } from './postmortem.js';

export type CommsKind = 'update' | 'resolved';

/** The template each kind of message is rendered from. */
export const COMMS_TEMPLATE = { update: 'status-update', resolved: 'resolved' } as const satisfies Record<CommsKind, keyof typeof TEMPLATE_NAMES>;

type RequiredOf<K extends CommsKind> = (typeof TEMPLATE_NAMES)[(typeof COMMS_TEMPLATE)[K]]['required'][number];
export type UpdateFieldName = RequiredOf<'update'>;
export type ResolvedFieldName = RequiredOf<'resolved'>;
export type UpdateFields = Record<UpdateFieldName, string>;
export type ResolvedFields = Record<ResolvedFieldName, string>;

/**
 * Free text the person types (pre-filled, then edited on screen), per kind. Every other field of
 * the message is computed from the incident and the config, and is not meant to be edited.
 */
export const EDITABLE_FIELDS = {
  update: ['symptom', 'investigating', 'eta'],
  resolved: ['root_cause', 'impact_users', 'data_loss'],
} as const satisfies { update: readonly UpdateFieldName[]; resolved: readonly ResolvedFieldName[] };

/** Fields computed from the incident, the clock and the config. */
export const COMPUTED_FIELDS = {
  update: ['severity', 'service', 'started', 'channel', 'next_update'],
  resolved: ['severity', 'service', 'title', 'duration', 'postmortem_path'],
} as const satisfies { update: readonly UpdateFieldName[]; resolved: readonly ResolvedFieldName[] };

export type EditableUpdateField = (typeof EDITABLE_FIELDS.update)[number];
export type EditableResolvedField = (typeof EDITABLE_FIELDS.resolved)[number];

const pick = (...values: (string | undefined)[]): string => values.find((v) => v !== undefined && v.trim() !== '') ?? '';

export interface UpdateFieldOptions {
  /** `comms.channel` from the config; `this channel` when unset. */
  channel?: string;
  /** `comms.updateEvery` (ms); 30 minutes by default. */
  updateEveryMs?: number;
  /** The time now (ms). Default: the incident's start plus `clock.elapsedMs`, i.e. the clock's now. */
  now?: number;
  /** What the person typed, applied over the pre-filled editable fields (other keys are ignored). */
  edits?: Partial<Record<EditableUpdateField, string>>;
}

/**
 * The view for the status-update template. Editable (`EDITABLE_FIELDS.update`): symptom,
 * investigating and eta, pre-filled from the previous update (`state.lastUpdateFields`), else
 * from the incident (symptom) or `unknown` (eta); investigating starts empty on the first update,
 * which `renderUpdate` refuses until it is filled. Computed: severity, service, started (local
 * `HH:MM zone on YYYY-MM-DD`), channel and next_update (now + the update interval, local `HH:MM zone`).
 */
export function updateFields(state: IncidentState, clock: Pick<IncidentClock, 'elapsedMs'>, opts: UpdateFieldOptions = {}): UpdateFields {
  const start = Date.parse(state.startedAt);
  const now = opts.now ?? start + clock.elapsedMs;
  const next = now + (opts.updateEveryMs ?? DEFAULT_UPDATE_EVERY_MS);
  const last = state.lastUpdateFields;
  const edits = opts.edits ?? {};
  return {
    severity: `SEV${state.sev}`,
    service: pick(state.service, state.env, 'unknown service'),
    symptom: edits.symptom ?? pick(last.symptom, state.symptom, state.title),
    started: `${localHHMM(start)} ${zoneLabel(start)} on ${localDate(start)}`,
    investigating: edits.investigating ?? pick(last.investigating),
    eta: edits.eta ?? pick(last.eta, 'unknown'),
    channel: pick(opts.channel, 'this channel'),
    next_update: `${localHHMM(next)} ${zoneLabel(next)}`,
  };
}

export interface ResolvedFieldOptions {
  /** The reports folder (`paths.reports`): the post-mortem will be under it. */
  reportsDir: string;
  /** Show the post-mortem path relative to this folder (e.g. the config's folder) when inside it. */
  relativeTo?: string;
  /** End of the incident when it is not resolved yet (a preview before resolving). Default: Date.now(). */
  now?: number;
  edits?: Partial<Record<EditableResolvedField, string>>;
}

/**
 * The view for the resolved template. Editable (`EDITABLE_FIELDS.resolved`): root_cause,
 * impact_users and data_loss (`no` or what was lost), pre-filled from the `resolved` event, else
 * from a previous resolved message. Computed: duration (start → resolution, e.g. `1h 23m`),
 * postmortem_path (where `writePostmortem` will write it), severity, service, title.
 */
export function resolvedFields(state: IncidentState, opts: ResolvedFieldOptions): ResolvedFields {
  const end = state.resolvedAt ? Date.parse(state.resolvedAt) : (opts.now ?? Date.now());
  const last = state.lastUpdateFields;
  const res = state.resolution;
  const edits = opts.edits ?? {};
  let path = postmortemPath(opts.reportsDir, state);
  if (opts.relativeTo) {
    const rel = relative(opts.relativeTo, path);
    if (rel && !rel.startsWith('..') && !isAbsolute(rel)) path = rel;
  }
  return {
    severity: `SEV${state.sev}`,
    service: pick(state.service, state.env, 'unknown service'),
    title: state.title,
    duration: humanDuration(end - Date.parse(state.startedAt)),
    root_cause: edits.root_cause ?? pick(res?.rootCause, last.root_cause),
    impact_users: edits.impact_users ?? pick(res?.impact, last.impact_users),
    data_loss: edits.data_loss ?? pick(res?.dataLoss, last.data_loss, 'no'),
    postmortem_path: path,
  };
}

/** Required fields of a message that are missing or blank. */
export function missingCommsFields(kind: CommsKind, fields: Record<string, unknown>): string[] {
  const name = COMMS_TEMPLATE[kind];
  const blank = TEMPLATE_NAMES[name].required.filter((f) => typeof fields[f] === 'string' && (fields[f] as string).trim() === '');
  return [...new Set([...missingFields(name, fields), ...blank])];
}

/**
 * Renders a status update or resolved message through its template (override folders first, then
 * the shipped `templates/`). Rejects, naming them, when required fields are missing or blank.
 * The text has no trailing whitespace.
 */
export async function renderUpdate(
  kind: CommsKind,
  fields: Record<string, unknown>,
  opts: { templateDirs?: readonly string[]; defaultTemplateDir?: string } = {},
): Promise<string> {
  const missing = missingCommsFields(kind, fields);
  if (missing.length > 0) {
    throw new Error(`the ${kind === 'update' ? 'status update' : 'resolved message'} is missing: ${missing.join(', ')}`);
  }
  const tpl = await loadTemplate(COMMS_TEMPLATE[kind], opts.templateDirs ?? [], opts.defaultTemplateDir);
  try {
    return renderTemplate(tpl.text, fields).trimEnd();
  } catch (e) {
    throw new Error(`template ${tpl.file}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export type WebhookResult = { ok: true } | { ok: false; error: string };

/** What of a webhook URL may be shown: its host (with a port if any), never its path or query. */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host || 'webhook';
  } catch {
    return 'webhook';
  }
}

const NET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found (DNS lookup failed)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  EPIPE: 'connection closed',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  CERT_HAS_EXPIRED: 'TLS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate is self-signed',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate chain is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host',
};

const seconds = (ms: number) => `${Number((ms / 1000).toFixed(3))}s`;

/**
 * POSTs `{"text": text}` (JSON, as Slack-compatible incoming webhooks take it) to `url`. Never
 * throws; every error names the host only: `HTTP 404 from hooks.example`, `hooks.example: timed
 * out after 5s`, `hooks.example: connection refused`.
 */
export async function postWebhook(url: string, text: string, opts: { timeoutMs?: number; fetchImpl?: typeof fetch } = {}): Promise<WebhookResult> {
  const timeoutMs = opts.timeoutMs ?? 5000;
  const doFetch = opts.fetchImpl ?? fetch;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, error: 'the webhook is not a valid URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return { ok: false, error: `the webhook must be an http(s) URL (got ${parsed.protocol})` };
  const host = parsed.host || 'webhook';
  const scrub = secretScrubber(url, parsed);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  try {
    const res = await doFetch(parsed, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ text }),
      signal: controller.signal,
      redirect: 'error',
    });
    // Read the body within the same timeout (and so free the connection).
    const body = await res.text();
    if (res.ok) return { ok: true };
    // Slack answers with short codes such as `invalid_token` or `no_service`: safe and useful.
    // Anything else might echo the request (and so the secret path): left out.
    const code = body.trim();
    return { ok: false, error: `HTTP ${res.status} from ${host}${/^[a-z][a-z0-9_]{0,63}$/.test(code) ? `: ${code}` : ''}` };
  } catch (e) {
    if (timedOut) return { ok: false, error: `${host}: timed out after ${seconds(timeoutMs)}` };
    return { ok: false, error: `${host}: ${scrub(describeFetchError(e))}` };
  } finally {
    clearTimeout(timer);
  }
}

function describeFetchError(e: unknown): string {
  const chain: unknown[] = [];
  for (let cur: unknown = e, n = 0; cur && n < 5; cur = (cur as { cause?: unknown }).cause, n++) chain.push(cur);
  for (const c of chain) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && NET_ERRORS[code]) return NET_ERRORS[code];
  }
  for (const c of chain) {
    const errors = (c as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      for (const inner of errors) {
        const code = (inner as { code?: unknown }).code;
        if (typeof code === 'string' && NET_ERRORS[code]) return NET_ERRORS[code];
      }
    }
  }
  for (const c of chain) {
    const code = (c as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]+$/.test(code)) return `request failed (${code})`;
  }
  const deepest = chain.at(-1);
  const msg = deepest instanceof Error ? deepest.message : String(deepest ?? e);
  if (/redirect/i.test(msg)) return 'the webhook answered with a redirect';
  return `request failed: ${msg.split('\n')[0]!.slice(0, 200)}`;
}

/** Removes every trace of the URL's secret parts (path, query, credentials) from a message. */
function secretScrubber(raw: string, url: URL): (s: string) => string {
  const secrets = [raw, url.href, url.pathname + url.search, url.search, url.username, url.password, ...url.pathname.split('/')]
    .flatMap((s) => {
      if (!s) return [];
      try {
        return [s, decodeURIComponent(s)];
      } catch {
        return [s];
      }
    })
    .filter((s) => s.length >= 3 && s !== '/')
    .sort((a, b) => b.length - a.length);
  return (s) => secrets.reduce((acc, secret) => acc.split(secret).join('…'), s);
}

/** Terminals commonly cap an OSC 52 payload around 100 KB (xterm, tmux, kitty, …). */
export const OSC52_MAX_BYTES = 100_000;

/**
 * The escape sequence that copies `text` to the clipboard of the terminal the user sits at, even
 * over SSH: `ESC ] 52 ; c ; <base64> BEL`. Inside tmux (the caller checks `TMUX` in the
 * environment), wrapped for passthrough: `ESC P tmux; <sequence with ESC doubled> ESC \`
 * (tmux ≥ 3.3 needs `set -g allow-passthrough on`, or `set -g set-clipboard on` for tmux to
 * forward OSC 52 itself). Throws when the encoded text is over `OSC52_MAX_BYTES`.
 */
export function osc52(text: string, opts: { tmux?: boolean } = {}): string {
  const b64 = Buffer.from(text, 'utf8').toString('base64');
  if (b64.length > OSC52_MAX_BYTES) {
    throw new Error(`too large to copy through the terminal: ${Math.ceil(b64.length / 1024)} KB encoded, terminals accept about ${Math.floor(OSC52_MAX_BYTES / 1000)} KB`);
  }
  const seq = `\x1b]52;c;${b64}\x07`;
  return opts.tmux ? `\x1bPtmux;${seq.replaceAll('\x1b', '\x1b\x1b')}\x1b\\` : seq;
}
