import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { parseConfigText, findConfigFile, formatProblem, pickEnvironment } from '../../src/config/load.js';
import { parseDuration, formatDuration } from '../../src/config/duration.js';
import { configJsonSchema } from '../../src/config/json-schema.js';

const sample = readFileSync(new URL('../../examples/shop/hubops.yaml', import.meta.url), 'utf8');
const ISSUE_EXAMPLE = `project: shop
environments:
  prod:
    target: ssh://deploy@prod-1:22
    watch:
      duration: 30m
      interval: 1 minute
`;

describe('durations', () => {
  it('parses the units the config uses', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    for (const bad of ['', '30', 'm', '1 minute', '-5m', '5x']) expect(parseDuration(bad)).toBeUndefined();
  });
  it('formats for humans', () => {
    expect(formatDuration(90_000)).toBe('1m30s');
    expect(formatDuration(3_600_000)).toBe('1h');
    expect(formatDuration(4_000)).toBe('4s');
  });
});

describe('config', () => {
  it('accepts the shipped sample with defaults filled in', () => {
    const r = parseConfigText(sample, '/x/hubops.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const env = r.loaded.config.environments.local!;
    expect(env.watch.interval).toBe(60_000);
    expect(env.watch.consecutiveErrors).toBe(4);
    expect(env.health[0]!.timeout).toBe(2_000);
    expect(r.loaded.paths.journal).toBe('/x/.hubops');
    expect(r.loaded.warnings).toEqual([]);
  });

  it('names file, line and field path for a wrong type', () => {
    const r = parseConfigText(ISSUE_EXAMPLE, '/srv/shop/hubops.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map((p) => formatProblem(p, '/srv/shop'))).toEqual([
      'hubops.yaml:7: environments.prod.watch.interval: expected a duration like 30s, 5m or 1h',
    ]);
  });

  it('points a missing required key at its parent', () => {
    const r = parseConfigText('project: shop\nenvironments:\n  prod:\n    release:\n      deploy: x\n', 'c.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ line: 4, path: 'environments.prod.release.rollback', message: 'required' });
  });

  it('treats an unknown key as a warning with the closest known key', () => {
    const r = parseConfigText('project: shop\nenvironments:\n  local:\n    helth: []\n', 'c.yaml');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.loaded.warnings).toEqual([
      { file: 'c.yaml', line: 4, path: 'environments.local.helth', message: 'unknown key (did you mean health?)', severity: 'warning' },
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const r = parseConfigText('project: shop\nenvironments:\n  local: {target: local\n', 'c.yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems[0]!.line).toBeGreaterThanOrEqual(3);
    expect(r.problems[0]!.message).toMatch(/^YAML: /);
  });

  it('rejects a health check with two kinds, and a bad target', () => {
    const r = parseConfigText(
      'project: p\nenvironments:\n  e:\n    target: ftp://x\n    health:\n      - { name: a, http: "http://127.0.0.1/", tcp: "127.0.0.1:1" }\n',
      'c.yaml',
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(lines).toContain('4 environments.e.target: expected "local" or ssh://user@host:port');
    expect(lines).toContain('6 environments.e.health[0]: a health check takes only one of http, tcp, run, container (found http and tcp)');
  });

  it('finds hubops.yaml in a parent folder, and --config / HUBOPS_CONFIG first', () => {
    const root = mkdtempSync(join(tmpdir(), 'hubops-cfg-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'hubops.yaml'), 'project: x\n');
    expect(findConfigFile({ env: {}, cwd: join(root, 'a', 'b') })).toBe(join(root, 'hubops.yaml'));
    expect(findConfigFile({ env: { HUBOPS_CONFIG: 'o.yaml' }, cwd: root })).toBe(join(root, 'o.yaml'));
    expect(findConfigFile({ flag: 'f.yaml', env: { HUBOPS_CONFIG: 'o.yaml' }, cwd: root })).toBe(join(root, 'f.yaml'));
  });

  it('picks an environment or says which exist', () => {
    const r = parseConfigText('project: p\nenvironments:\n  prod: {}\n  staging: {}\n', 'c.yaml');
    if (!r.ok) throw new Error('unexpected');
    expect(pickEnvironment(r.loaded.config)).toEqual({ error: 'several environments (prod, staging): choose one with --env NAME' });
    expect(pickEnvironment(r.loaded.config, 'prd')).toMatchObject({ error: expect.stringContaining('did you mean prod?') });
    expect(pickEnvironment(r.loaded.config, 'staging')).toEqual({ name: 'staging' });
  });

  it('exports a JSON Schema that describes durations as strings', () => {
    const schema = configJsonSchema() as any;
    expect(schema.properties.environments.additionalProperties.properties.watch.properties.interval.type).toBe('string');
    expect(schema.required).toContain('project');
  });
});
