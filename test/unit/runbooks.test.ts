import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRunbooks, shippedRunbooksDir } from '../../src/runbooks/load.js';
import { allSteps, lineCount, parseRunbook, sectionKeyOf, type ParseResult, type Problem } from '../../src/runbooks/parse.js';

const RUNBOOKS = fileURLToPath(new URL('../../runbooks/', import.meta.url));

const FRONT = `---
id: sample
title: Sample runbook
severity: 1
services: [web]
tags: [test]
env:
  HUBOPS_CONTAINER: the container
---`;

/** A small valid runbook; line numbers below are relied on by the tests. */
const SAMPLE = `${FRONT}

## Symptoms

The site is down.

## Diagnosis

- [ ] Look at the container.
  \`\`\`sh
  docker ps --filter "name=$HUBOPS_CONTAINER"
  \`\`\`

## Resolution

- [ ] Restart it.
  \`\`\`bash target=prod
  docker restart "$HUBOPS_CONTAINER"
  \`\`\`
- [x] Check it came back.
\`\`\`shell
curl -fsS http://127.0.0.1:8080/healthz
\`\`\`

## Prevention

Alert sooner.

## Rollback / escalation

- [ ] Call the owner.
`;

function ok(r: ParseResult) {
  if (!r.ok) throw new Error(`expected a runbook, got errors:\n${r.errors.map((e) => `${e.line}: ${e.message}`).join('\n')}`);
  return r;
}

function errors(r: ParseResult): Problem[] {
  if (r.ok) throw new Error('expected errors, got a runbook');
  return r.errors;
}

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('shipped runbooks', async () => {
  const files = (await readdir(RUNBOOKS)).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();

  it('there are at least six', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
  });

  it.each(files)('%s parses cleanly, with all five sections and resolution steps', async (name) => {
    const file = join(RUNBOOKS, name);
    const text = await readFile(file, 'utf8');
    const r = ok(parseRunbook(text, file));
    expect(r.warnings).toEqual([]);
    expect(r.runbook.id).toBe(name.replace(/\.md$/, ''));
    expect(Object.keys(r.runbook.sections).sort()).toEqual(['diagnosis', 'prevention', 'resolution', 'rollback', 'symptoms']);
    expect(r.runbook.resolution.length).toBeGreaterThanOrEqual(1);
    expect(r.runbook.diagnosis.length).toBeGreaterThanOrEqual(1);
    expect(r.runbook.symptoms).not.toBe('');
    expect(lineCount(text)).toBeLessThanOrEqual(125);
    // Every HUBOPS_ variable a command uses is documented in the front matter.
    for (const step of allSteps(r.runbook)) {
      for (const v of step.command?.env ?? []) expect(r.runbook.env, `${step.id} uses ${v}`).toHaveProperty(v);
    }
  });

  it('all load together from the shipped folder, ids unique', async () => {
    expect(shippedRunbooksDir()).toBe(RUNBOOKS.replace(/\/$/, ''));
    const { runbooks, problems } = await loadRunbooks([RUNBOOKS]);
    expect(problems).toEqual([]);
    expect(runbooks.map((r) => r.id)).toEqual(files.map((f) => f.replace(/\.md$/, '')));
    expect(runbooks.every((r) => r.file.startsWith(RUNBOOKS))).toBe(true);
  });
});

describe('parseRunbook', () => {
  it('reads front matter, sections and steps', () => {
    const r = ok(parseRunbook(SAMPLE, 'sample.md'));
    expect(r.warnings).toEqual([]);
    const rb = r.runbook;
    expect(rb).toMatchObject({ id: 'sample', title: 'Sample runbook', severity: [1], services: ['web'], tags: ['test'] });
    expect(rb.symptoms).toBe('The site is down.');
    expect(rb.prevention).toBe('Alert sooner.');
    expect(rb.sections.rollback?.heading).toBe('Rollback / escalation');
    expect(rb.diagnosis.map((s) => s.id)).toEqual(['diagnosis-1']);
    expect(rb.resolution.map((s) => s.id)).toEqual(['resolution-1', 'resolution-2']);
    expect(rb.rollback.map((s) => [s.id, s.text, s.command])).toEqual([['rollback-1', 'Call the owner.', undefined]]);
    expect(rb.fieldLines['id']).toBe(2);
  });

  it('extracts a nested command with its target and line', () => {
    const rb = ok(parseRunbook(SAMPLE, 'sample.md')).runbook;
    const [restart, check] = rb.resolution;
    expect(restart).toMatchObject({
      section: 'resolution',
      index: 1,
      text: 'Restart it.',
      line: lineOf(SAMPLE, '- [ ] Restart it.'),
      checked: false,
      command: { code: 'docker restart "$HUBOPS_CONTAINER"', target: 'prod', lang: 'bash', env: ['HUBOPS_CONTAINER'] },
    });
    expect(restart!.command!.line).toBe(lineOf(SAMPLE, '```bash target=prod'));
    // A block right after the list belongs to its last item; no target means the current one.
    expect(check).toMatchObject({ id: 'resolution-2', checked: true, command: { code: 'curl -fsS http://127.0.0.1:8080/healthz', lang: 'shell' } });
    expect(check!.command!.target).toBeUndefined();
  });

  it('accepts a single severity, lists, CRLF line ends and heading variants', () => {
    const text = SAMPLE.replace('severity: 1', 'severity: [3, 1, 1]')
      .replace('## Rollback / escalation', '## Escalation')
      .replace('## Diagnosis', '## diagnosis (steps):')
      .replace(/\n/g, '\r\n');
    const rb = ok(parseRunbook(text, 'crlf.md')).runbook;
    expect(rb.severity).toEqual([1, 3]);
    expect(rb.rollback).toHaveLength(1);
    expect(rb.diagnosis[0]!.line).toBe(lineOf(SAMPLE, '- [ ] Look at the container.'));
    expect(['Rollback', 'Escalation', 'Rollback / escalation', 'ROLLBACK & ESCALATION', 'Rollback/Escalation'].map(sectionKeyOf)).toEqual(
      Array(5).fill('rollback'),
    );
  });

  it('reports missing front matter on line 1', () => {
    const errs = errors(parseRunbook('## Symptoms\n\nx\n', 'x.md'));
    expect(errs[0]).toMatchObject({ file: 'x.md', line: 1, severity: 'error' });
    expect(errs[0]!.message).toMatch(/front matter/);
  });

  it('reports bad YAML at the YAML parser line', () => {
    const text = SAMPLE.replace('tags: [test]', 'tags: [test');
    const errs = errors(parseRunbook(text, 'bad.md'));
    expect(errs.length).toBeGreaterThanOrEqual(1);
    // The unclosed flow sequence is reported where the YAML parser sees it: on the tags line or the next.
    expect(errs[0]!.line).toBeGreaterThanOrEqual(lineOf(SAMPLE, 'tags: [test]'));
    expect(errs[0]!.line).toBeLessThanOrEqual(lineOf(SAMPLE, 'tags: [test]') + 1);
    expect(errs[0]!.message).toMatch(/YAML/);

    const tab = errors(parseRunbook(SAMPLE.replace('title: Sample runbook', 'title: "unterminated'), 'bad2.md'));
    expect(tab[0]!.line).toBeGreaterThanOrEqual(lineOf(SAMPLE, 'title: Sample runbook'));
  });

  it('reports a wrong type at the line of its key, with the field path', () => {
    const text = SAMPLE.replace('severity: 1', 'severity: "high"');
    const errs = errors(parseRunbook(text, 'sev.md'));
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ line: lineOf(SAMPLE, 'severity: 1'), field: 'severity' });

    const item = errors(parseRunbook(SAMPLE.replace('services: [web]', 'services:\n  - web\n  - 42'), 'svc.md'));
    expect(item[0]).toMatchObject({ line: lineOf(SAMPLE, 'services: [web]') + 2, field: 'services.1' });

    const missing = errors(parseRunbook(SAMPLE.replace('title: Sample runbook\n', ''), 'title.md'));
    expect(missing[0]).toMatchObject({ line: 1, field: 'title' });
    expect(missing[0]!.message).toMatch(/missing `title`/);

    const slug = errors(parseRunbook(SAMPLE.replace('id: sample', 'id: Not A Slug'), 'slug.md'));
    expect(slug[0]).toMatchObject({ line: 2, field: 'id' });
  });

  it('reports a missing Resolution section where it should have been', () => {
    const start = SAMPLE.indexOf('## Resolution');
    const end = SAMPLE.indexOf('## Prevention');
    const text = SAMPLE.slice(0, start) + SAMPLE.slice(end);
    const errs = errors(parseRunbook(text, 'nores.md'));
    expect(errs).toHaveLength(1);
    expect(errs[0]!.message).toMatch(/missing `## Resolution`/);
    expect(errs[0]!.line).toBe(lineOf(text, '## Prevention'));

    // At the end of the file when nothing follows it.
    const tail = SAMPLE.slice(0, start);
    const e2 = errors(parseRunbook(tail, 'tail.md')).find((e) => /Resolution/.test(e.message));
    expect(e2!.line).toBe(lineCount(tail));
  });

  it('warns (only) when Prevention or Rollback are missing', () => {
    const text = SAMPLE.slice(0, SAMPLE.indexOf('## Prevention'));
    const r = ok(parseRunbook(text, 'short.md'));
    expect(r.warnings.map((w) => w.message).join('\n')).toMatch(/Prevention[\s\S]*Rollback/);
    expect(r.warnings.every((w) => w.severity === 'warning')).toBe(true);
  });

  it('requires steps in Resolution, and says when items are not checklist items', () => {
    const text = SAMPLE.replace('- [ ] Restart it.', '- Restart it.').replace('- [x] Check it came back.', '- Check it came back.');
    const errs = errors(parseRunbook(text, 'nosteps.md'));
    expect(errs.map((e) => [e.line, e.message])).toEqual([[lineOf(text, '## Resolution'), expect.stringMatching(/no steps/)]]);
  });

  it('warns about an unknown key, naming the closest known key', () => {
    const r = ok(parseRunbook(SAMPLE.replace('tags: [test]', 'tags: [test]\nservces: [api]'), 'typo.md'));
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ line: lineOf(SAMPLE, 'tags: [test]') + 1, field: 'servces', severity: 'warning' });
    expect(r.warnings[0]!.message).toMatch(/did you mean `services`/);
  });

  it('warns about non-shell blocks under a step, stray shell blocks and undocumented variables', () => {
    const text = SAMPLE.replace('- [ ] Call the owner.', '- [ ] Call the owner.\n  ```python\n  print(1)\n  ```')
      .replace('\n## Resolution', 'A note between the list and the block.\n\n```sh\nrm -rf /tmp/x\n```\n\n## Resolution')
      .replace('docker ps --filter "name=$HUBOPS_CONTAINER"', 'docker ps --filter "name=$HUBOPS_NAME"');
    const r = ok(parseRunbook(text, 'warn.md'));
    const byLine = r.warnings.map((w) => [w.line, w.message]);
    expect(byLine).toContainEqual([lineOf(text, '```python'), expect.stringMatching(/`python` block under step rollback-1 is not a command/)]);
    expect(byLine).toContainEqual([lineOf(text, 'rm -rf') - 1, expect.stringMatching(/not under any step/)]);
    expect(byLine).toContainEqual([lineOf(text, '$HUBOPS_NAME') - 1, expect.stringMatching(/\$HUBOPS_NAME/)]);
    expect(r.runbook.rollback[0]!.command).toBeUndefined();
    expect(r.runbook.rollback[0]!.details).toContain('print(1)');
  });

  it('refuses two commands in one step, so each change gets its own confirmation', () => {
    const text = SAMPLE.replace('  docker restart "$HUBOPS_CONTAINER"\n  ```', '  docker restart "$HUBOPS_CONTAINER"\n  ```\n  ```sh\n  docker rm -f x\n  ```');
    const errs = errors(parseRunbook(text, 'two.md'));
    expect(errs[0]).toMatchObject({ line: lineOf(text, 'docker rm -f x') - 1 });
    expect(errs[0]!.message).toMatch(/own step/);
  });

  it('rejects a malformed target', () => {
    const errs = errors(parseRunbook(SAMPLE.replace('target=prod', 'target=prod;rm'), 't.md'));
    expect(errs[0]).toMatchObject({ line: lineOf(SAMPLE, 'target=prod') });
  });
});

describe('parseRunbook never throws, and every problem has a real line', () => {
  const check = (text: string) => {
    let r: ParseResult;
    expect(() => (r = parseRunbook(text, 'prop.md'))).not.toThrow();
    const max = lineCount(text);
    const problems = r!.ok ? r!.warnings : r!.errors;
    if (!r!.ok) expect(r!.errors.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(Number.isInteger(p.line)).toBe(true);
      expect(p.line).toBeGreaterThanOrEqual(1);
      expect(p.line).toBeLessThanOrEqual(max);
      expect(p.file).toBe('prop.md');
    }
  };

  it('for arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), { numRuns: 300 });
    fc.assert(
      fc.property(fc.array(fc.constantFrom('---', 'id: x', 'severity: 9', '## Resolution', '- [ ] a', '```sh', '```', '\r\n', '\n', '  ', 'x: [', '\t'), { maxLength: 40 }), (parts) =>
        check(parts.join('\n')),
      ),
      { numRuns: 300 },
    );
  });

  it('for mutated versions of a real runbook', async () => {
    const real = await readFile(join(RUNBOOKS, 'service-down.md'), 'utf8');
    const base = real.split('\n');
    const interesting = ['---', '...', '## Resolution', '## Diagnosis', '- [ ] step', '- [x]', '  ```sh target=', '```', '```python', 'severity: "high"', 'id: ', 'env:', '  HUBOPS_X: 1', 'servces: []', '  - [ ] nested', '', '\t- [ ] x'];
    const op = fc.oneof(
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...interesting), fc.string({ maxLength: 30 })) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 12 }), (ops) => {
        const lines = [...base];
        for (const o of ops) {
          const at = lines.length === 0 ? 0 : o.at % lines.length;
          if (o.kind === 'delete') lines.splice(at, 1);
          else if (o.kind === 'duplicate') lines.splice(at, 0, lines[at] ?? '');
          else lines.splice(at, 0, o.text);
        }
        check(lines.join('\n'));
      }),
      { numRuns: 400 },
    );
  });
});

describe('loadRunbooks', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const tmp = async () => {
    const d = await mkdtemp(join(tmpdir(), 'hubops-runbooks-'));
    dirs.push(d);
    return d;
  };

  it('reports a malformed runbook and still loads the others; sorted, non-recursive', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'b.md'), SAMPLE.replace('id: sample', 'id: b'));
    await writeFile(join(dir, 'a.md'), SAMPLE.replace('id: sample', 'id: a'));
    await writeFile(join(dir, 'broken.md'), SAMPLE.replace('severity: 1', 'severity: "high"'));
    await writeFile(join(dir, 'notes.txt'), 'not a runbook');
    await writeFile(join(dir, 'README.md'), '# About these runbooks');
    await mkdir(join(dir, 'sub'));
    await writeFile(join(dir, 'sub', 'c.md'), SAMPLE.replace('id: sample', 'id: c'));
    const { runbooks, problems } = await loadRunbooks([dir]);
    expect(runbooks.map((r) => [r.id, r.file])).toEqual([
      ['a', join(dir, 'a.md')],
      ['b', join(dir, 'b.md')],
    ]);
    expect(problems).toEqual([expect.objectContaining({ file: join(dir, 'broken.md'), line: lineOf(SAMPLE, 'severity: 1'), severity: 'error' })]);
  });

  it('reports a duplicate id naming both files, and keeps the first', async () => {
    const one = await tmp();
    const two = await tmp();
    await writeFile(join(one, 'x.md'), SAMPLE);
    await writeFile(join(two, 'y.md'), SAMPLE);
    const { runbooks, problems } = await loadRunbooks([one, two]);
    expect(runbooks.map((r) => r.file)).toEqual([join(one, 'x.md')]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: join(two, 'y.md'), line: 2, field: 'id', severity: 'error' });
    expect(problems[0]!.message).toContain(join(one, 'x.md'));
    expect(problems[0]!.message).toContain('sample');
  });

  it('reports a missing folder and carries on', async () => {
    const dir = await tmp();
    await writeFile(join(dir, 'a.md'), SAMPLE);
    const { runbooks, problems } = await loadRunbooks([join(dir, 'nope'), dir]);
    expect(runbooks).toHaveLength(1);
    expect(problems).toEqual([expect.objectContaining({ file: join(dir, 'nope'), line: 1, severity: 'error' })]);
  });
});
