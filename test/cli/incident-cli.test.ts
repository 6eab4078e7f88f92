// `hubops incident`, `hubops runbook` and `hubops postmortem` in plain mode (no terminal).
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { lockHolder } from '../../src/journal/journal.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');

function hubops(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: { ...process.env, HUBOPS_CONFIG: '' }, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hubops-inc-cli-'));
  writeFileSync(join(dir, 'hubops.yaml'), 'project: shop\nenvironments:\n  prod:\n    target: local\n  staging:\n    target: local\ndefaultEnv: prod\n');
  return dir;
}

describe('hubops incident', () => {
  it('says there is none and how to declare one (exit 1); declares with --sev and --title; resumes in plain lines', () => {
    const dir = project();
    const none = hubops(['incident', '--plain'], dir);
    expect(none.code).toBe(1);
    expect(none.err).toContain('no open incident in .hubops/incidents; declare one with');
    expect(none.err).toContain('hubops incident --sev 1 --title "what is broken"');

    const d = hubops(['incident', '--sev', '1', '--title', 'API down: 502s', '--symptom', 'checkout fails', '--service', 'api', '--plain'], dir);
    expect(d.code).toBe(0);
    const id = /declared (\S+) \(SEV1: API down: 502s\); commander \S+@\S+/.exec(d.out)?.[1];
    expect(id).toMatch(/^\d{4}-\d\d-\d\d-api-down-502s$/);
    expect(d.out).toContain(`journal: .hubops/incidents/${id}.jsonl`);
    const [first] = readFileSync(join(dir, '.hubops', 'incidents', `${id}.jsonl`), 'utf8').trim().split('\n');
    expect(JSON.parse(first!)).toMatchObject({ type: 'declared', sev: 1, title: 'API down: 502s', symptom: 'checkout fails', service: 'api', env: 'prod' });
    // The lock is let go once printed: the console can take it.
    expect(existsSync(join(dir, '.hubops', 'incidents', `${id}.jsonl.lock`))).toBe(true);
    expect(lockHolder(join(dir, '.hubops', 'incidents', `${id}.jsonl`))).toBeUndefined();

    const r = hubops(['incident'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain(`${id}: SEV1 API down: 502s (open, triage)`);
    expect(r.out).toMatch(/respond in 1[45]:\d\d · next update in (30:00|29:\d\d)/);
    expect(r.out).toMatch(/timeline:\n {2}\d\d:\d\d:\d\d \S+: SEV1 declared: API down: 502s — checkout fails/);
    const j = JSON.parse(hubops(['incident', '--json'], dir).out) as { id: string; status: string; timeline: unknown[] };
    expect(j).toMatchObject({ id, status: 'open' });
    expect(j.timeline).toHaveLength(1);
  });

  it('refuses a half-given declaration with what is missing (exit 2)', () => {
    const dir = project();
    expect(hubops(['incident', '--title', 'x', '--plain'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('declaring needs --sev 1, 2 or 3') });
    expect(hubops(['incident', '--sev', '4', '--title', 'x', '--plain'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('--sev 4: expected 1, 2 or 3') });
    expect(hubops(['incident', '--sev', '2', '--plain'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('declaring needs --title TEXT') });
    expect(hubops(['incident', '--sev', '2', '--title', 'x', '--readonly', '--plain'], dir)).toMatchObject({ code: 2, err: expect.stringContaining('read-only') });
    const help = hubops(['incident', '--help'], dir);
    expect(help.out).toContain('Usage: hubops incident [--sev 1|2|3 --title TEXT] [--symptom TEXT] [--service NAME]');
    expect(help.out).toContain('--symptom TEXT');
    expect(help.out).not.toContain('Not built yet');
  });

  it('writes the post-mortem of the incident (hubops postmortem)', () => {
    const dir = project();
    hubops(['incident', '--sev', '2', '--title', 'Slow search', '--plain'], dir);
    const r = hubops(['postmortem'], dir);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/post-mortem created: docs\/post-mortems\/\d{4}-\d\d-\d\d-slow-search\.md/);
    expect(r.out).toContain('STILL OPEN');
  });
});

describe('hubops runbook', () => {
  it('lists the runbooks, prints one with its steps and commands, and suggests on a typo', () => {
    const dir = project();
    const list = hubops(['runbook'], dir);
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^disk-full +Disk full on the Docker host \(SEV1\/SEV2; any service; \d+ steps\)$/m);
    const one = hubops(['runbook', 'disk-full'], dir);
    expect(one.code).toBe(0);
    expect(one.out).toContain('Disk full on the Docker host (disk-full)');
    expect(one.out).toMatch(/^Diagnosis$/m);
    expect(one.out).toMatch(/^ {2}\[ \] diagnosis-1: /m);
    expect(one.out).toMatch(/^ {6}\$ /m);
    const typo = hubops(['runbook', 'disk-ful'], dir);
    expect(typo.code).toBe(2);
    expect(typo.err).toContain('no runbook "disk-ful" (did you mean disk-full?)');
    expect(JSON.parse(hubops(['runbook', '--json'], dir).out)).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'disk-full' })]));
  });
});
