import { test } from 'vitest';
import Docker from 'dockerode';
import { writeFileSync } from 'node:fs';
import { startDockerd } from '../fixtures/dockerd.js';

test('capture', async () => {
  const d = await startDockerd();
  try {
    const docker = new Docker({ socketPath: d.socket });
    await d.runContainer('shop-api-1', ['sh', '-c', 'while :; do :; done'], { labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' } });
    await d.runContainer('shop-worker-1', ['sh', '-c', 'exit 3'], { labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'worker' } });
    const imgId = (await d.dockerOk(['inspect', '-f', '{{.Image}}', 'shop-api-1'])).stdout.trim();
    await d.dockerOk(['run', '-d', '--name', 'byid', '--network', 'none', '--health-cmd', 'true', '--health-interval', '1s', imgId, 'sleep', '1000']);
    await new Promise((r) => setTimeout(r, 2500));
    const list = await docker.listContainers({ all: true });
    const inspects = await Promise.all(list.map((c) => docker.getContainer(c.Id).inspect()));
    const s1 = await Promise.all(list.map((c) => docker.getContainer(c.Id).stats({ stream: false, 'one-shot': true })));
    await new Promise((r) => setTimeout(r, 1000));
    const s2 = await Promise.all(list.map((c) => docker.getContainer(c.Id).stats({ stream: false, 'one-shot': true })));
    writeFileSync('/tmp/capture.json', JSON.stringify({ list, inspects, s1, s2 }, null, 2));
  } finally {
    await d.stop();
  }
}, 120_000);
