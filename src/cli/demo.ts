import { loadConfigFile, formatProblem } from '../config/load.js';
import { applyDemoFault, DEMO_FAULTS, type DemoFaultId } from '../demo/faults.js';
import { ProcessesSource } from '../demo/processes.js';
import { DEMO_ENV, DemoStack, makeDemoDir, stopOnExit } from '../demo/stack.js';
import type { ParsedArgs } from './args.js';
import { EXIT } from './exit-codes.js';
import type { CliIO, ConsoleContext, ConsoleDemo } from './run.js';
import Docker from 'dockerode';

/**
 * `hubops demo`: a small stack of local processes (a shop API and a worker) with a config for
 * them, and the console on it. Everything it starts is stopped on the way out, whatever the way.
 */
export async function runDemoCommand(args: ParsedArgs, io: CliIO, say: (s: string) => void): Promise<number> {
  const dir = (args.values.dir as string | undefined) ?? makeDemoDir();
  const stack = new DemoStack();
  say(`starting the demo stack in ${dir} …`);
  try {
    await stack.start({ dir });
  } catch (err) {
    await stack.stop();
    io.stderr.write(`hubops: the demo stack did not start: ${(err as Error).message}\n`);
    return EXIT.failed;
  }
  const unhook = stopOnExit(stack);
  // Runbook commands read where the demo lives from the environment.
  Object.assign(process.env, stack.runbookEnv());
  try {
    const result = loadConfigFile(stack.configFile);
    if (!result.ok) {
      for (const p of result.problems) io.stderr.write(`${formatProblem(p, io.cwd)}\n`);
      return EXIT.usage;
    }
    const loaded = result.loaded;
    const env = loaded.config.environments[DEMO_ENV]!;
    let rows: ConsoleDemo['rows'] | undefined = { source: (emit) => new ProcessesSource({ stack, intervalMs: env.refresh, emit }), restart: (n) => stack.restart(n) };
    if (args.values.docker) {
      // Real containers instead of the demo's processes, when an engine answers.
      const socket = io.env.DOCKER_HOST?.startsWith('unix://') ? io.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
      const reachable = await new Docker({ socketPath: socket }).ping().then(() => true, () => false);
      if (reachable) {
        env.docker = { socket };
        rows = undefined;
        say(`containers from the Docker engine at ${socket}`);
      } else say(`no Docker engine answers at ${socket}: showing the demo's processes`);
    }
    const plain = Boolean(args.values.plain) || Boolean(args.values.json) || !io.stdout.isTTY || !io.stdinIsTTY;
    if (plain) {
      const { snapshotLines, takeSnapshot } = await import('./status.js');
      const snap = await takeSnapshot(loaded, DEMO_ENV, { rows });
      say(args.values.json ? JSON.stringify(snap) : snapshotLines(snap).join('\n'));
      return EXIT.ok;
    }
    const ctx: ConsoleContext = {
      loaded,
      envName: DEMO_ENV,
      readonly: Boolean(args.values.readonly),
      color: !('NO_COLOR' in io.env && io.env.NO_COLOR !== ''),
      packageRoot: io.packageRoot,
      demo: {
        rows,
        faults: DEMO_FAULTS.map((f) => ({ key: f.key, id: f.id, label: f.label, description: f.description, destructive: f.destructive })),
        inject: async (id) => (await applyDemoFault(stack, id as DemoFaultId)).message,
        stopNow: () => stack.stopSync(),
      },
    };
    const code = await io.openConsole(ctx);
    return code;
  } finally {
    await stack.stop();
    unhook();
    say(`demo stopped; its config, journal and reports stay in ${dir}`);
  }
}
