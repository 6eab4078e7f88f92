// `hubops demo --docker`: real containers in the containers pane instead of the demo processes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startDockerd, type Dockerd } from '../fixtures/dockerd.js';
import { tempDir } from '../fixtures/procs.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');
let dockerd: Dockerd;
const dir = tempDir('hubops-demo-docker-');

beforeAll(async () => {
  dockerd = await startDockerd();
  await dockerd.importBusybox();
  await dockerd.runContainer('real-box-1', ['sleep', '600']);
}, 120_000);

afterAll(async () => {
  await dockerd?.stop();
  dir.remove();
});

function demo(args: string[]) {
  const r = spawnSync(process.execPath, [bin, 'demo', '--plain', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, HUBOPS_CONFIG: '', DOCKER_HOST: dockerd.dockerHost },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('hubops demo --docker', () => {
  it('lists real containers with --docker, the demo processes without', () => {
    const withDocker = demo(['--docker', '--dir', dir.join('a')]);
    expect(withDocker.code).toBe(0);
    expect(withDocker.out).toContain(`containers from the Docker engine at ${dockerd.socket}`);
    expect(withDocker.out).toMatch(/^ {2}real-box-1 +running/m);
    expect(withDocker.out).not.toMatch(/^ {2}shop-api /m);
    const without = demo(['--dir', dir.join('b')]);
    expect(without.code).toBe(0);
    expect(without.out).toMatch(/^ {2}shop-api +(running|healthy)/m);
    expect(without.out).not.toContain('real-box-1');
  }, 120_000);
});
