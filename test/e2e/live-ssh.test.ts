// The console end to end on real parts: an SSH target (the sshd fixture on loopback), a private
// dockerd whose socket rides the SSH link, a Prometheus scraping a test service, in tmux.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDockerd, type Dockerd } from '../fixtures/dockerd.js';
import { startMetricsService, type MetricsService } from '../fixtures/metrics-service.js';
import { tempDir, type TempDir } from '../fixtures/procs.js';
import { startPrometheus, type Prom } from '../fixtures/prometheus.js';
import { startSshd, type Sshd } from '../fixtures/sshd.js';
import { startTmux, type TmuxSession } from '../fixtures/tmux.js';

const root = new URL('../..', import.meta.url).pathname;
const bin = join(root, 'bin', 'hubops');

let dockerd: Dockerd;
let sshd: Sshd;
let svc: MetricsService;
let prom: Prom;
let dir: TempDir;
let tmux: TmuxSession | undefined;

beforeAll(async () => {
  [dockerd, sshd, svc] = await Promise.all([startDockerd(), startSshd(), startMetricsService({ requestsPerSecond: 50, errorRatio: 0.1 })]);
  prom = await startPrometheus({ targets: [svc.target], scrapeInterval: '1s' });
  await dockerd.importBusybox();
  const labels = (service: string) => ({ 'com.docker.compose.project': 'shop', 'com.docker.compose.service': service });
  await dockerd.runContainer('shop-api-1', ['sh', '-c', 'i=0; while true; do echo "api line $i"; i=$((i+1)); sleep 0.2; done'], { labels: labels('api') });
  await dockerd.runContainer('shop-worker-1', ['sleep', '600'], { labels: labels('worker') });
  await dockerd.runContainer('other-1', ['sleep', '600'], { labels: { 'com.docker.compose.project': 'other', 'com.docker.compose.service': 'x' } });
  dir = tempDir('hubops-live-');
  writeFileSync(
    dir.join('hubops.yaml'),
    [
      'project: shop',
      'environments:',
      '  prod:',
      `    target: ssh://${sshd.user}@127.0.0.1:${sshd.port}`,
      `    ssh: { identityFile: ${JSON.stringify(sshd.identityFile)}, knownHosts: ${JSON.stringify(sshd.knownHostsFile)} }`,
      `    docker: { socket: ${JSON.stringify(dockerd.socket)}, project: shop }`,
      '    refresh: 1s',
      '    health:',
      `      - { name: api, http: "${svc.url}/health" }`,
      `      - { name: port, tcp: "127.0.0.1:${svc.port}" }`,
      '    logs:',
      '      - { name: api, container: shop-api-1 }',
      '    metrics:',
      `      prometheus: "${prom.url}"`,
      '      errorRate: \'sum(rate(http_requests_total{code=~"5.."}[10s])) / sum(rate(http_requests_total[10s]))\'',
      "      requestRate: 'sum(rate(http_requests_total[10s]))'",
      '',
    ].join('\n'),
  );
}, 120_000);

afterAll(async () => {
  await tmux?.kill();
  await Promise.allSettled([prom?.stop(), svc?.stop(), sshd?.stop(), dockerd?.stop()]);
  dir?.remove();
});

describe('the console on an SSH target with real Docker and Prometheus', () => {
  it('shows containers, logs, health and metrics live; restarts behind a typed confirm; survives a cut link', async () => {
    tmux = await startTmux({ command: [process.execPath, bin], cols: 120, rows: 40, cwd: dir.path, env: { HUBOPS_CONFIG: '' } });
    const s = tmux;
    // All four panes live, over the one SSH connection.
    let screen = await s.waitForText(/shop-api-1 +running/, 20_000);
    expect(screen).toMatch(/shop-worker-1 +running/);
    expect(screen).not.toContain('other-1');
    await s.waitForText(/api line \d+/);
    await s.waitForText(/● api +HTTP 200/);
    await s.waitForText(/● port +connected/);
    screen = await s.waitForText(/error rate +1\d\.\d%/, 20_000);
    expect(screen).toMatch(/requests\/s +\d+/);

    // A container dies: the Docker event updates the pane without waiting for a poll.
    await dockerd.dockerOk(['kill', 'shop-worker-1']);
    await s.waitForText(/shop-worker-1 +exited/, 15_000);

    // Health flips when the service says it is unhealthy, and comes back.
    svc.set({ healthy: false });
    await s.waitForText(/✖ api +HTTP 503, expected 200/);
    svc.set({ healthy: true });
    await s.waitForText(/● api +HTTP 200/);

    // Restart on production: the name must be typed; a wrong answer does nothing.
    const startedBefore = (await dockerd.dockerOk(['inspect', '--format', '{{.State.StartedAt}}', 'shop-api-1'])).stdout.trim();
    await s.sendKeys('1', 'r');
    screen = await s.waitForText('Restart container shop-api-1 on PRODUCTION (prod)?');
    expect(screen).toContain('type shop-api-1, Esc to cancel:');
    await s.sendKeys({ text: 'shop-api' }, 'Enter');
    await s.waitForText('not confirmed: nothing was done to shop-api-1');
    expect((await dockerd.dockerOk(['inspect', '--format', '{{.State.StartedAt}}', 'shop-api-1'])).stdout.trim()).toBe(startedBefore);
    await s.sendKeys('r', { text: 'shop-api-1' }, 'Enter');
    await s.waitForText(/restarted shop-api-1 in \d/, 30_000);
    expect((await dockerd.dockerOk(['inspect', '--format', '{{.State.StartedAt}}', 'shop-api-1'])).stdout.trim()).not.toBe(startedBefore);

    // Enter on a container shows its logs in the log pane.
    await s.sendKeys('Enter');
    await s.waitForText(/2 Logs .*\[api\]/);

    // Cut the SSH link: the panes say so, then everything comes back by itself.
    await sshd.killConnections();
    await s.waitForText(/disconnected — retrying in \d+s/, 20_000);
    await s.waitForNoText(/disconnected — retrying/, 40_000);
    // The newest line on screen (the container was restarted above, so numbers started over:
    // compare with the bottom line, not the largest number).
    const newest = (sc: string) => [...sc.matchAll(/api line (\d+)/g)].map((m) => Number(m[1])).at(-1);
    const last = newest(await s.waitForText(/api line \d+/));
    await s.waitForScreen((sc) => (newest(sc) ?? -1) > (last ?? -1), 'new log lines after reconnect', 20_000);

    await s.sendKeys('q');
    expect(await s.waitForExit(10_000)).toBe(0);
  }, 180_000);
});
