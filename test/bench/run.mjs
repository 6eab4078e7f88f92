// `npm run bench`: figures, not pass/fail. Each figure is the median of several runs.
// Only loopback and local processes; everything started here is stopped by pid.
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'hubops');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
const row = (figure, how, value, target) => rows.push({ figure, how, value, target });

// 1. `hubops --version`: the whole process, 10 runs.
{
  const times = [];
  for (let i = 0; i < 10; i++) {
    const t0 = process.hrtime.bigint();
    spawnSync(process.execPath, [bin, '--version']);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  row('hubops --version wall time', 'whole process, 10 runs', `${median(times).toFixed(0)} ms`, '<= 150 ms');
}

// 2. Console start to first full frame, in a real terminal (tmux), 5 runs.
{
  const dir = mkdtempSync(join(tmpdir(), 'hubops-bench-'));
  writeFileSync(join(dir, 'hubops.yaml'), 'project: bench\nenvironments:\n  local:\n    target: local\n');
  const sock = join(dir, 'tmux.sock');
  const tmux = (...args) => spawnSync('tmux', ['-S', sock, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const times = [];
  try {
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      tmux('new-session', '-d', '-x', '80', '-y', '24', '-c', dir, '-e', 'HUBOPS_CONFIG=', '-s', `b${i}`, process.execPath, bin);
      let ok = false;
      while (performance.now() - t0 < 10_000) {
        const screen = tmux('capture-pane', '-p', '-t', `b${i}`).stdout;
        if (screen.includes('4 Metrics') && screen.includes('? help')) {
          ok = true;
          break;
        }
        execFileSync('sleep', ['0.005']);
      }
      times.push(ok ? performance.now() - t0 : NaN);
      tmux('send-keys', '-t', `b${i}`, 'q');
    }
  } finally {
    tmux('kill-server');
    rmSync(dir, { recursive: true, force: true });
  }
  row('console start to first full frame', 'tmux 80x24, 5 runs (includes tmux start-up)', `${median(times).toFixed(0)} ms`, '<= 400 ms');
}

console.log(`hubops bench on ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}\n`);
console.log('| figure | how | value | target |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.figure} | ${r.how} | ${r.value} | ${r.target} |`);
