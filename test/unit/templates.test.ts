import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkTemplate,
  loadTemplate,
  missingFields,
  renderTemplate,
  shippedTemplatesDir,
  TEMPLATE_NAMES,
  templateNameOf,
  type TemplateName,
} from '../../src/templates/templates.js';

const TEMPLATES = fileURLToPath(new URL('../../templates/', import.meta.url));
const NAMES = Object.keys(TEMPLATE_NAMES) as TemplateName[];

const changes = [
  { kind: 'Breaking changes', items: [{ text: 'Drop the v1 API', ref: 'a1b2c3d' }] },
  { kind: 'Fixes', items: [{ text: 'Retry payment webhooks' }, { text: 'Escape <names> & quotes', ref: '#42' }] },
];

const VIEWS: Record<TemplateName, Record<string, unknown>> = {
  'status-update': {
    severity: 'SEV1',
    service: 'shop-web',
    symptom: 'checkout returns 502 for all users',
    started: '02:41 UTC',
    investigating: 'web container crash-looping; checking the database',
    eta: 'unknown',
    channel: '#ops',
    next_update: '03:15 UTC',
  },
  resolved: {
    severity: 'SEV1',
    service: 'shop-web',
    title: 'Checkout down',
    duration: '1h12m',
    root_cause: 'disk full on the database host',
    impact_users: 'all users could not check out',
    data_loss: 'no',
    postmortem_path: 'docs/post-mortems/2026-11-23-checkout-down.md',
  },
  postmortem: {
    title: 'Checkout down',
    date: '2026-11-23',
    severity: 'SEV1',
    duration: '1h12m',
    summary: 'The database disk filled up and checkout failed until logs were cleaned.',
    timeline: [
      { time: '02:41', text: 'Alert: health check failing' },
      { time: '02:50', text: 'Disk full found' },
    ],
    impact: 'Nobody could check out for 72 minutes.',
    root_cause: 'Unbounded container logs.',
    detection: 'The disk alert was at 95 % and fired too late.',
    action_items: [{ action: 'Cap log size', owner: '@alex', due: '2026-11-30' }],
    lessons: 'Alert earlier.',
    due_date: '2026-11-30',
  },
  'release-report': {
    version: 'v1.5.0',
    env: 'production',
    verdict: 'Rolled-Back',
    verdict_reason: 'error rate 2.4x baseline at T+6m',
    previous_version: 'v1.4.2',
    changes,
    phases: [{ name: 'Smoke tests', result: 'passed', at: '10:02' }],
    gates: [{ name: 'Pre-release', choice: 'proceed', who: 'alex', at: '09:58' }],
  },
  'release-announcement': { version: 'v1.5.0', env: 'production', verdict: 'Released', changes },
};

describe('shipped templates', () => {
  it('the shipped folder is found and holds every template', () => {
    expect(shippedTemplatesDir()).toBe(TEMPLATES.replace(/\/$/, ''));
    for (const name of NAMES) expect(existsSync(join(TEMPLATES, TEMPLATE_NAMES[name].file)), name).toBe(true);
  });

  it('each spec lists its required fields among its fields', () => {
    for (const name of NAMES) {
      for (const r of TEMPLATE_NAMES[name].required) expect(Object.keys(TEMPLATE_NAMES[name].fields), `${name}.${r}`).toContain(r);
    }
  });

  it.each(NAMES)('%s checks clean and renders', async (name) => {
    const file = join(TEMPLATES, TEMPLATE_NAMES[name].file);
    const text = await readFile(file, 'utf8');
    expect(checkTemplate(text, file, name)).toEqual([]);
    // The name may also be given as the file name, or guessed from the path.
    expect(checkTemplate(text, file, TEMPLATE_NAMES[name].file.replace(/\.mustache$/, ''))).toEqual([]);
    expect(checkTemplate(text, file)).toEqual([]);
    expect(missingFields(name, VIEWS[name])).toEqual([]);
    const out = renderTemplate(text, VIEWS[name]);
    expect(out).not.toMatch(/\{\{|\}\}/);
    expect(out).not.toMatch(/\n\n\n/);
  });

  it('status update is short and plain', async () => {
    const text = await readFile(join(TEMPLATES, 'status-update.md.mustache'), 'utf8');
    const out = renderTemplate(text, VIEWS['status-update']);
    expect(out.trimEnd().split('\n').length).toBeLessThanOrEqual(6);
    expect(out).toContain('[SEV1] shop-web: checkout returns 502 for all users');
    expect(out).toContain('#ops');
  });

  it('post-mortem keeps the timeline between its markers, and has every section', async () => {
    const text = await readFile(join(TEMPLATES, 'postmortem.md.mustache'), 'utf8');
    const out = renderTemplate(text, VIEWS.postmortem);
    const between = out.split('<!-- hubops:timeline:start -->\n')[1]!.split('<!-- hubops:timeline:end -->')[0];
    expect(between).toBe('- 02:41 — Alert: health check failing\n- 02:50 — Disk full found\n');
    for (const h of ['## Impact', '## Root cause', '## Why monitoring did not alert sooner', '## Action items', '## Lessons', '## Blameless statement']) {
      expect(out).toContain(h);
    }
    expect(out).toContain('| Cap log size | @alex | 2026-11-30 |');
    const empty = renderTemplate(text, { ...VIEWS.postmortem, timeline: [], action_items: [] });
    expect(empty).toContain('<!-- hubops:timeline:start -->\n- (no entries recorded)\n<!-- hubops:timeline:end -->');
  });

  it('release texts group changes by kind and hide absent optional rows', async () => {
    const report = renderTemplate(await readFile(join(TEMPLATES, 'release-report.md.mustache'), 'utf8'), VIEWS['release-report']);
    expect(report).toContain('### Breaking changes\n\n- Drop the v1 API (a1b2c3d)\n');
    expect(report).toContain('- Escape <names> & quotes (#42)');
    expect(report).toContain('| Rollback target | v1.4.2 |');
    expect(report).not.toContain('| Strategy |');
    const bare = renderTemplate(await readFile(join(TEMPLATES, 'release-report.md.mustache'), 'utf8'), { version: 'v1', env: 'prod', verdict: 'Aborted', changes: [] });
    expect(bare).toContain('No changes recorded.');
    expect(bare).not.toContain('## Phases');
    const ann = renderTemplate(await readFile(join(TEMPLATES, 'release-announcement.md.mustache'), 'utf8'), VIEWS['release-announcement']);
    expect(ann.split('\n')[0]).toBe('v1.5.0 on production: Released');
    expect(ann).toContain('Fixes:\n- Retry payment webhooks\n');
  });
});

describe('checkTemplate', () => {
  it('gives the line of an unclosed section', () => {
    const text = 'line one\n{{severity}}\n{{#timeline}}\n- {{time}}\n\nend\n';
    const problems = checkTemplate(text, 'pm.md.mustache', 'postmortem');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: 'pm.md.mustache', line: 3, severity: 'error' });
    expect(problems[0]!.message).toMatch(/never closed/);
  });

  it('gives the line of a mismatched or unopened close, and of an unclosed tag', () => {
    expect(checkTemplate('a\n{{#timeline}}\nb\n{{/action_items}}\n', 'x', 'postmortem')[0]).toMatchObject({ line: 2, severity: 'error' });
    expect(checkTemplate('a\nb\n{{/timeline}}\n', 'x', 'postmortem')[0]).toMatchObject({ line: 3, severity: 'error' });
    expect(checkTemplate('a\n{{title\nb\n', 'x', 'postmortem')[0]).toMatchObject({ line: 2, severity: 'error' });
  });

  it('warns about an unknown field, naming the closest known one, with scopes', () => {
    const text = 'x {{severty}}\n{{#timeline}}\n{{tme}} {{title}}\n{{/timeline}}\n{{.}}';
    const problems = checkTemplate(text, 'pm', 'postmortem');
    const unknown = problems.filter((p) => p.message.startsWith('unknown'));
    expect(unknown.map((p) => [p.line, p.field, p.severity])).toEqual([
      [1, 'severty', 'warning'],
      [3, 'tme', 'warning'],
    ]);
    expect(unknown[0]!.message).toMatch(/did you mean `severity`/);
    expect(unknown[1]!.message).toMatch(/did you mean `time`/);
    // Required fields the template never uses are pointed out too.
    expect(problems.some((p) => p.field === 'root_cause' && /never uses/.test(p.message))).toBe(true);
  });

  it('only checks syntax for templates it does not know', () => {
    expect(checkTemplate('{{anything}}', 'custom.md.mustache')).toEqual([]);
    expect(templateNameOf('/x/y/status-update.md.mustache')).toBe('status-update');
    expect(templateNameOf('nope')).toBeUndefined();
  });
});

describe('renderTemplate', () => {
  it('does not HTML-escape', () => {
    expect(renderTemplate('{{x}} / {{{x}}} / {{&x}}', { x: 'a & b <c> "d"' })).toBe('a & b <c> "d" / a & b <c> "d" / a & b <c> "d"');
  });
});

describe('loadTemplate', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('uses the shipped file by default', async () => {
    const t = await loadTemplate('resolved');
    expect(t).toMatchObject({ name: 'resolved', file: join(TEMPLATES, 'resolved.md.mustache'), overridden: false });
    expect(t.text).toContain('{{root_cause}}');
  });

  it('an override folder takes precedence for the files it has', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hubops-templates-'));
    dirs.push(dir);
    await writeFile(join(dir, 'status-update.md.mustache'), 'OVERRIDE {{severity}}\n');
    const t = await loadTemplate('status-update', [join(dir, 'missing'), dir]);
    expect(t).toMatchObject({ file: join(dir, 'status-update.md.mustache'), text: 'OVERRIDE {{severity}}\n', overridden: true });
    const other = await loadTemplate('resolved', [dir]);
    expect(other.overridden).toBe(false);
  });

  it('fails clearly when no folder has it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hubops-templates-'));
    dirs.push(dir);
    await expect(loadTemplate('postmortem', [], dir)).rejects.toThrow(/postmortem\.md\.mustache not found/);
  });
});
