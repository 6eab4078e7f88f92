import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { incidentClock } from '../../src/incident/clock.js';
import {
  COMPUTED_FIELDS,
  EDITABLE_FIELDS,
  humanDuration,
  localDate,
  localHHMM,
  osc52,
  OSC52_MAX_BYTES,
  postWebhook,
  renderUpdate,
  resolvedFields,
  updateFields,
  zoneLabel,
} from '../../src/incident/comms.js';
import type { IncidentEvent, NewIncidentEvent } from '../../src/incident/events.js';
import { replayIncident, type IncidentState } from '../../src/incident/state.js';
import { isoLocal } from '../../src/incident/session.js';
import { TEMPLATE_NAMES } from '../../src/templates/templates.js';

/** Local noon, so that every test's times stay on 2026-11-23 whatever the machine's zone. */
const T0 = new Date(2026, 10, 23, 12, 0).getTime();
const MIN = 60_000;

/** An incident from events stamped at the given minutes after T0. */
function incident(...events: [number, NewIncidentEvent][]): IncidentState {
  const full = events.map(([min, e], i) => ({ v: 1, seq: i + 1, at: isoLocal(T0 + min * MIN), by: 'ana@box', ...e }) as IncidentEvent);
  return replayIncident(full)!;
}

const declared: [number, NewIncidentEvent] = [
  0,
  { type: 'declared', id: '2026-11-23-checkout-down', sev: 1, title: 'Checkout down', symptom: 'checkout returns 502', service: 'shop-web', env: 'prod' },
];

describe('message fields', () => {
  it('editable and computed fields cover exactly the required fields of each template', () => {
    for (const [kind, tpl] of [['update', 'status-update'], ['resolved', 'resolved']] as const) {
      const all = [...EDITABLE_FIELDS[kind], ...COMPUTED_FIELDS[kind]].sort();
      expect(all).toEqual([...TEMPLATE_NAMES[tpl].required].sort());
    }
  });

  it('a first update: computed fields filled, investigating left for the person to type', async () => {
    const s = incident(declared);
    const now = T0 + 7 * MIN;
    const f = updateFields(s, incidentClock(s, now), { channel: '#ops' });
    expect(f).toMatchObject({ severity: 'SEV1', service: 'shop-web', symptom: 'checkout returns 502', eta: 'unknown', investigating: '', channel: '#ops' });
    expect(f.started).toBe(`${localHHMM(T0)} ${zoneLabel(T0)} on ${localDate(T0)}`);
    // The next update is due one interval (30 minutes by default) after this one.
    expect(f.next_update).toBe(`${localHHMM(now + 30 * MIN)} ${zoneLabel(now + 30 * MIN)}`);
    await expect(renderUpdate('update', f)).rejects.toThrow(/missing: investigating/);
  });

  it('pre-fills investigating and eta from the previous update; edits win', async () => {
    const s = incident(declared, [
      10,
      {
        type: 'update-sent',
        kind: 'update',
        text: '…',
        fields: { investigating: 'web containers crash-looping', eta: '13:45', symptom: 'checkout 502 for all users' },
        via: ['webhook'],
      },
    ]);
    const now = T0 + 38 * MIN;
    const f = updateFields(s, incidentClock(s, now, { updateEveryMs: 20 * MIN }), { updateEveryMs: 20 * MIN, channel: '#sev' });
    expect(f.investigating).toBe('web containers crash-looping');
    expect(f.eta).toBe('13:45');
    expect(f.symptom).toBe('checkout 502 for all users');
    expect(f.next_update).toBe(`${localHHMM(now + 20 * MIN)} ${zoneLabel(now)}`);

    const edited = updateFields(s, incidentClock(s, now), { channel: '#sev', edits: { investigating: 'rolled back to v1.3.9, watching errors' } });
    expect(edited.eta).toBe('13:45');
    const text = await renderUpdate('update', edited);
    expect(text).toBe(
      [
        '[SEV1] shop-web: checkout 502 for all users',
        `Started: ${edited.started}`,
        'Where we are: rolled back to v1.3.9, watching errors',
        'ETA: 13:45',
        `Next update by ${edited.next_update} in #sev`,
      ].join('\n'),
    );
  });

  it('the resolved message carries the computed duration, root cause, impact and post-mortem path', async () => {
    const s = incident(declared, [83, { type: 'resolved', rootCause: 'disk full on db-1', impact: 'all checkout attempts for 83 minutes', dataLoss: 'no' }]);
    const f = resolvedFields(s, { reportsDir: '/srv/shop/docs', relativeTo: '/srv/shop' });
    expect(f).toEqual({
      severity: 'SEV1',
      service: 'shop-web',
      title: 'Checkout down',
      duration: '1h 23m',
      root_cause: 'disk full on db-1',
      impact_users: 'all checkout attempts for 83 minutes',
      data_loss: 'no',
      postmortem_path: 'docs/post-mortems/2026-11-23-checkout-down.md',
    });
    const text = await renderUpdate('resolved', { ...f, data_loss: 'yes: 12 orders between 03:10 and 03:14' });
    expect(text).toContain('[SEV1 RESOLVED] shop-web: Checkout down');
    expect(text).toContain('Duration: 1h 23m');
    expect(text).toContain('Root cause: disk full on db-1');
    expect(text).toContain('Impact: all checkout attempts for 83 minutes; data loss: yes: 12 orders between 03:10 and 03:14');
    expect(text).toContain('Post-mortem: docs/post-mortems/2026-11-23-checkout-down.md (within 7 days)');
  });

  it('before resolving, the duration runs to now and blank typed fields are refused by name', async () => {
    const s = incident(declared);
    const f = resolvedFields(s, { reportsDir: 'docs', now: T0 + 45 * MIN + 30_000 });
    expect(f.duration).toBe('45m');
    expect(f.data_loss).toBe('no');
    await expect(renderUpdate('resolved', { ...f, impact_users: '  ' })).rejects.toThrow(/resolved message is missing: root_cause, impact_users/);
  });

  it('human durations', () => {
    expect(humanDuration(40_000)).toBe('40s');
    expect(humanDuration(45 * MIN)).toBe('45m');
    expect(humanDuration(83 * MIN + 59_000)).toBe('1h 23m');
    expect(humanDuration(51 * 60 * MIN)).toBe('2d 3h 0m');
  });
});

describe('webhook', () => {
  const SECRET_PATH = '/services/T0001/B0002/XyZsecretTOKEN';
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  async function serve(handler: (req: IncomingMessage, body: string, res: ServerResponse) => void): Promise<string> {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => handler(req, body, res));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  const noSecret = (error: string) => {
    expect(error).not.toContain('/services');
    expect(error).not.toContain('XyZsecretTOKEN');
    expect(error).not.toContain('T0001');
    expect(error).not.toContain('sig=');
  };

  it('POSTs exactly {"text": …} as JSON', async () => {
    const seen: { method?: string; url?: string; type?: string; body?: string }[] = [];
    const base = await serve((req, body, res) => {
      seen.push({ method: req.method, url: req.url, type: req.headers['content-type'], body });
      res.end('ok');
    });
    const text = '[SEV1] shop-web: checkout 502 — "quotes" & <angles>\nsecond line';
    expect(await postWebhook(`${base}${SECRET_PATH}`, text)).toEqual({ ok: true });
    expect(seen).toHaveLength(1);
    expect(seen[0]!.method).toBe('POST');
    expect(seen[0]!.url).toBe(SECRET_PATH);
    expect(seen[0]!.type).toMatch(/^application\/json\b/);
    expect(seen[0]!.body).toBe(JSON.stringify({ text }));
    expect(JSON.parse(seen[0]!.body!)).toEqual({ text });
  });

  it('HTTP 500: an error naming the host, never the path or query', async () => {
    const base = await serve((req, _body, res) => {
      res.statusCode = 500;
      res.end(`internal error while handling ${req.url}`);
    });
    const r = await postWebhook(`${base}${SECRET_PATH}?sig=abc123`, 'hi');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBe(`HTTP 500 from ${new URL(base).host}`);
    noSecret(r.error);
  });

  it('a Slack-style error code is shown', async () => {
    const base = await serve((_req, _body, res) => {
      res.statusCode = 404;
      res.end('no_service');
    });
    const r = await postWebhook(`${base}${SECRET_PATH}`, 'hi');
    expect(r).toEqual({ ok: false, error: `HTTP 404 from ${new URL(base).host}: no_service` });
  });

  it('a server that never answers: timed out', async () => {
    const base = await serve(() => {
      // never answers
    });
    const started = Date.now();
    const r = await postWebhook(`${base}${SECRET_PATH}`, 'hi', { timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toBe(`${new URL(base).host}: timed out after 0.3s`);
    noSecret(r.error);
  });

  it('connection refused', async () => {
    const base = await serve((_req, _body, res) => res.end('ok'));
    const server = servers.pop()!;
    await new Promise((r) => server.close(r));
    const r = await postWebhook(`${base}${SECRET_PATH}?sig=abc123`, 'hi');
    expect(r).toEqual({ ok: false, error: `${new URL(base).host}: connection refused` });
  });

  it('an unexpected error message that repeats the URL is scrubbed', async () => {
    const url = `http://127.0.0.1:9${SECRET_PATH}?sig=abc123`;
    const fetchImpl = (async () => {
      throw new TypeError(`weird failure for ${url} (path ${SECRET_PATH})`);
    }) as typeof fetch;
    const r = await postWebhook(url, 'hi', { fetchImpl });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatch(/^127\.0\.0\.1:9: request failed: weird failure/);
    noSecret(r.error);
    const bad = await postWebhook('not a url/with/SECRET', 'hi');
    expect(bad).toEqual({ ok: false, error: 'the webhook is not a valid URL' });
  });
});

describe('osc52', () => {
  const decode = (seq: string) => {
    const m = /^\x1b\]52;c;([A-Za-z0-9+/=]*)\x07$/.exec(seq);
    expect(m).not.toBeNull();
    return Buffer.from(m![1]!, 'base64').toString('utf8');
  };

  it('copies text (UTF-8, new lines) through base64', () => {
    const text = '[SEV1] café down — ✓\nsecond line';
    const seq = osc52(text);
    expect(seq.startsWith('\x1b]52;c;')).toBe(true);
    expect(seq.endsWith('\x07')).toBe(true);
    expect(decode(seq)).toBe(text);
  });

  it('wraps for tmux passthrough with the inner escapes doubled', () => {
    const text = 'hello';
    const inner = osc52(text);
    const wrapped = osc52(text, { tmux: true });
    expect(wrapped).toBe(`\x1bPtmux;\x1b${inner}\x1b\\`);
    const unwrapped = wrapped.slice('\x1bPtmux;'.length, -2).replaceAll('\x1b\x1b', '\x1b');
    expect(decode(unwrapped)).toBe(text);
  });

  it('refuses text too large for terminals', () => {
    const limitText = 'a'.repeat((OSC52_MAX_BYTES / 4) * 3);
    expect(decode(osc52(limitText))).toBe(limitText);
    expect(() => osc52(`${limitText}aaa`)).toThrow(/too large to copy.*100 KB/);
  });
});
