import { writeFileSync } from 'node:fs';
import { render } from 'ink';
import chalk from 'chalk';
import type { ConsoleContext } from '../src/cli/run.js';
import { EXIT } from '../src/cli/exit-codes.js';
import { LiveSession } from '../src/live/session.js';
import { isProduction } from '../src/config/load.js';
import { App } from './App.js';
import { readUserState, writeUserState } from '../src/util/user-state.js';
import { renderChart } from '../src/metrics/chart.js';
import { buildKeyMap } from './keymap.js';
import { guardTerminal } from './terminal.js';
import { IncidentController } from './incident/controller.js';
import { realIncidentDeps } from './incident/wire.js';
import { makeTheme, ThemeContext } from './theme.js';
import { ReleaseController } from './release/controller.js';

/** Draws the console full screen until the user leaves; resolves with the exit code. */
export async function openConsole(ctx: ConsoleContext): Promise<number> {
  const { config } = ctx.loaded;
  const env = config.environments[ctx.envName]!;
  const { keys, problems } = buildKeyMap(config.keys);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${ctx.loaded.file}: ${p}\n`);
    return EXIT.usage;
  }
  // Colour follows NO_COLOR and TERM only: chalk alone would turn it off whenever CI is set, even
  // when a person is watching a real terminal.
  chalk.level = !ctx.color || process.env.TERM === 'dumb' ? 0 : process.env.COLORTERM === 'truecolor' ? 3 : /256/.test(process.env.TERM ?? '') ? 2 : 1;
  const session = await LiveSession.open(ctx.loaded, ctx.envName, Date.now, ctx.demo?.rows);
  const wired = realIncidentDeps({ loaded: ctx.loaded, envName: ctx.envName, readonly: ctx.readonly, live: session, packageRoot: ctx.packageRoot, stdout: process.stdout, env: process.env });
  const incident = new IncidentController(wired.deps, { session: ctx.incident });
  let startMessage: string | undefined;
  if (ctx.incident) {
    const st = ctx.incident.state;
    startMessage = ctx.declared ? `SEV${st.sev} declared — you are the commander; b for runbooks` : `${ctx.incident.readonly ? 'watching' : 'resumed'} ${st.id} (SEV${st.sev}, ${st.phase})`;
  } else {
    // An incident left open (a quit, a crash, a dropped SSH link) is resumed on start.
    try {
      const resumed = incident.resumeOpen();
      if (resumed) startMessage = `${incident.getSnapshot().readonly ? 'watching' : 'resumed'} ${resumed.id} (SEV${resumed.sev}, ${resumed.phase})`;
    } catch (err) {
      startMessage = `could not resume the open incident: ${(err as Error).message}`;
    }
  }
  const unread = incident.unreadJournalLines();
  if (unread && startMessage) startMessage = `${startMessage}; ${unread}`;
  // Release mode (D): the run is the CLI's, answered from the release panel; it shares the
  // console's target (one SSH connection).
  const release = new ReleaseController({
    env: ctx.envName,
    enabled: Boolean(env.release) && !ctx.readonly,
    production: isProduction(ctx.envName, env),
    thresholds: { errorRate: { soft: env.watch.soft.errorRate, hard: env.watch.hard.errorRate }, p99: { soft: env.watch.soft.p99, hard: env.watch.hard.p99 } },
    // The release runner (gates, semver, deploy) is loaded when a release starts, not at start-up.
    launch: async ({ answerer, out, onEvent, request }) =>
      (await import('../src/release/runner.js')).runRelease({ loaded: ctx.loaded, envName: ctx.envName, request, answerer, out, onEvent, target: session.target }),
  });
  const outcome: { how: 'quit' | 'interrupt' } = { how: 'quit' };
  let instance: ReturnType<typeof render> | undefined;
  const guard = guardTerminal({ stdout: process.stdout, stdin: process.stdin, unmount: () => instance?.unmount(),
    // On a signal or a crash the process ends right after: stop sources now so no command we
    // started on the target outlives us, and let go of the incident's lock.
    beforeExit: () => {
      ctx.demo?.stopNow();
      release.dispose();
      incident.closeNow();
      void session.stop();
    },
  });
  const frames = frameStats(process.env.HUBOPS_FRAME_STATS);
  instance = render(
    <ThemeContext.Provider value={makeTheme(ctx.color)}>
      <App
        project={config.project}
        envName={ctx.envName}
        env={env}
        production={isProduction(ctx.envName, env)}
        readonly={ctx.readonly}
        store={session.store}
        logs={session.logs}
        actions={{
          followContainer: (name) => session.followContainer(name),
          restartContainer: (name) => (ctx.readonly ? Promise.resolve({ ok: false, error: 'read-only (--readonly)', durationMs: 0 }) : session.restartContainer(name)),
          showPanes: (panes) => session.showPanes(panes),
        }}
        chart={(points, width, height) => renderChart(points, { width, height })}
        keys={keys}
        incident={incident}
        release={release}
        startMessage={startMessage ?? (ctx.demo ? 'demo: F faults · D release' : undefined)}
        demo={ctx.demo ? { faults: ctx.demo.faults, inject: ctx.demo.inject } : undefined}
        firstRun={ctx.demo && !readUserState().firstRunSeen ? { onDismiss: () => writeUserState({ ...readUserState(), firstRunSeen: true }) } : undefined}
        onExit={(h) => {
          outcome.how = h;
        }}
      />
    </ThemeContext.Provider>,
    {
      alternateScreen: true,
      // Ink turns itself non-interactive when CI is set; we are only here with a real TTY.
      interactive: true,
      incrementalRendering: true,
      // Ink's own cap on frames: a keypress must not wait for the next slot. Data-driven frames are
      // capped by the live store (10 a second), so this only bounds bursts of keys.
      maxFps: 60,
      exitOnCtrlC: false,
      patchConsole: false,
      ...(frames ? { onRender: frames.add } : {}),
    },
  );
  session.start();
  // The first frame is out: write the compiled code the start-up used to the compile cache now
  // (bin/hubops), rather than at exit, which a kill -9 or a lost SSH session never reaches.
  setImmediate(() => process.getBuiltinModule?.('node:module')?.flushCompileCache?.());
  if (process.env.HUBOPS_TEST_CRASH_AFTER_MS) {
    // For the end-to-end test of terminal restoration after a crash; never set in normal use.
    setTimeout(() => {
      throw new Error('deliberate crash (HUBOPS_TEST_CRASH_AFTER_MS)');
    }, Number(process.env.HUBOPS_TEST_CRASH_AFTER_MS));
  }
  try {
    await instance.waitUntilExit();
  } finally {
    guard.dispose();
  }
  release.dispose();
  await incident.dispose();
  await wired.close();
  await session.stop();
  process.stdout.write('\x1b[?25h');
  return outcome.how === 'interrupt' ? EXIT.interrupted : EXIT.ok;
}

/**
 * HUBOPS_FRAME_STATS=<file>: what each frame cost Ink (layout, output, write), written to the file
 * as JSON when the process exits — for `npm run bench` and for looking at a slow terminal.
 */
function frameStats(file: string | undefined): { add: (m: { renderTime: number }) => void } | undefined {
  if (!file) return undefined;
  const times: number[] = [];
  // Peaks of the heap and of memory outside it (Buffers), to tell the two apart in an RSS figure.
  const peak = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    for (const k of Object.keys(peak) as (keyof typeof peak)[]) peak[k] = Math.max(peak[k], Math.round(m[k] / 2 ** 20));
  }, 250);
  sample.unref();
  process.once('exit', () => {
    const s = [...times].sort((a, b) => a - b);
    const at = (p: number) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? null;
    try {
      writeFileSync(file, JSON.stringify({ frames: times.length, p50: at(50), p90: at(90), p99: at(99), max: s.at(-1) ?? null, peakMB: peak }) + '\n');
    } catch {
      // a diagnostic must never stand in the way of leaving
    }
  });
  return { add: (m) => void (times.length < 1_000_000 && times.push(m.renderTime)) };
}
