import { EXIT } from './exit-codes.js';
import { parseCliArgs, type ParsedArgs } from './args.js';
import { commandHelp, mainHelp } from './commands.js';
import type { LoadedConfig } from '../config/load.js';
import type { IncidentSession } from '../incident/session.js';

export interface Out {
  write(s: string): unknown;
  isTTY?: boolean;
}

/** Everything the CLI touches of the outside world, passed in so it runs under test. */
export interface CliIO {
  stdout: Out;
  stderr: Out;
  env: NodeJS.ProcessEnv;
  cwd: string;
  stdinIsTTY: boolean;
  version: string;
  /** Folder holding the shipped runbooks/ and templates/. */
  packageRoot: string;
  /** Draws the console; loaded lazily so plain commands never pay for React and Ink. */
  openConsole: (ctx: ConsoleContext) => Promise<number>;
}

export interface ConsoleContext {
  loaded: LoadedConfig;
  envName: string;
  readonly: boolean;
  color: boolean;
  /** Folder holding the shipped runbooks/ and templates/. */
  packageRoot?: string;
  /** An incident just declared or opened by `hubops incident`; otherwise an open one is resumed. */
  incident?: IncidentSession;
  /** The incident was declared just now (rather than resumed). */
  declared?: boolean;
  /** `hubops demo`: the stack's processes in the containers pane, and the fault menu. */
  demo?: ConsoleDemo;
}

export interface ConsoleDemo {
  /** The demo's processes in the containers pane; absent with --docker (real containers). */
  rows?: { source: (emit: import('../live/store.js').LiveStore['emit']) => import('../live/events.js').Source; restart: (name: string) => Promise<{ ok: boolean; error?: string; durationMs: number }> };
  faults: { key: string; id: string; label: string; description?: string; destructive?: boolean }[];
  inject: (id: string) => Promise<string>;
  /** Stops the stack at once (signals, crashes): nothing it started may outlive hubops. */
  stopNow: () => void;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const say = (s: string) => io.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
  const fail = (s: string, code: number = EXIT.usage) => {
    io.stderr.write(`hubops: ${s}\n`);
    return code;
  };

  const parsed = parseCliArgs(argv);
  if (!parsed.ok) return fail(parsed.error);
  const args = parsed.args;
  if (args.version) return (say(io.version), EXIT.ok);
  if (args.help) {
    say(args.command.name === 'console' ? mainHelp(io.version) : commandHelp(args.command));
    return EXIT.ok;
  }
  if (!args.command.built) {
    return fail(`"${args.command.name}" is not built yet in hubops ${io.version}; see hubops --help for what is`);
  }

  if (args.command.name === 'check' && args.values.schema) {
    const { configJsonSchema } = await import('../config/json-schema.js');
    say(JSON.stringify(configJsonSchema(), null, 2));
    return EXIT.ok;
  }

  if (args.command.name === 'demo') {
    const { runDemoCommand } = await import('./demo.js');
    return runDemoCommand(args, io, say);
  }

  // Loaded here, not at the top: --version and --help answer without YAML and zod.
  const { findConfigFile, formatProblem, loadConfigFile, pickEnvironment } = await import('../config/load.js');
  const file = findConfigFile({ flag: args.values.config as string | undefined, env: io.env, cwd: io.cwd });
  if (!file) {
    return fail(`no hubops.yaml in ${io.cwd} or any parent; pass --config FILE, set HUBOPS_CONFIG, or try \`hubops demo\``);
  }
  const result = loadConfigFile(file);

  if (args.command.name === 'check') {
    const { runCheck } = await import('../check/check.js');
    return runCheck({ result, args, say, cwd: io.cwd, packageRoot: io.packageRoot, env: io.env });
  }

  if (!result.ok) {
    for (const p of result.problems) io.stderr.write(`${formatProblem(p, io.cwd)}\n`);
    return EXIT.usage;
  }
  const { loaded } = result;
  for (const w of loaded.warnings) io.stderr.write(`${formatProblem(w, io.cwd)}\n`);
  const warn = (s: string) => io.stderr.write(`hubops: ${s}\n`);
  if (args.command.name === 'postmortem') {
    const { runPostmortemCommand } = await import('./postmortem.js');
    return runPostmortemCommand({ loaded, id: args.positionals[0], say, warn, cwd: io.cwd });
  }
  if (args.command.name === 'runbook') {
    const { runRunbookCommand } = await import('./runbook.js');
    return runRunbookCommand({ loaded, packageRoot: io.packageRoot, id: args.positionals[0], json: Boolean(args.values.json), say, warn, cwd: io.cwd });
  }
  const picked = pickEnvironment(loaded.config, args.values.env as string | undefined);
  if ('error' in picked) return fail(picked.error);
  if (args.command.name === 'incident') {
    const { runIncidentCommand } = await import('./incident.js');
    const interactive = Boolean(io.stdout.isTTY) && io.stdinIsTTY && !args.values.plain && !args.values.json;
    const readonly = Boolean(args.values.readonly) || loaded.config.readonly;
    const color = !('NO_COLOR' in io.env && io.env.NO_COLOR !== '');
    return runIncidentCommand({
      loaded,
      envName: picked.name,
      values: args.values,
      interactive,
      readonly,
      json: Boolean(args.values.json),
      say,
      warn,
      cwd: io.cwd,
      openConsole: (incident, declared) => io.openConsole({ loaded, envName: picked.name, readonly, color, packageRoot: io.packageRoot, incident, declared }),
    });
  }

  if (args.command.name === 'release' || args.command.name === 'watch') {
    const { runReleaseCommand } = await import('./release.js');
    const interactive = Boolean(io.stdout.isTTY) && io.stdinIsTTY && !args.values.plain && !args.values.json;
    return runReleaseCommand({ loaded, envName: picked.name, args, interactive, say, warn: (s) => io.stderr.write(`hubops: ${s}\n`) });
  }
  return runConsole(args, io, loaded, picked.name, say);
}

async function runConsole(args: ParsedArgs, io: CliIO, loaded: LoadedConfig, envName: string, say: (s: string) => void): Promise<number> {
  const plain = Boolean(args.values.plain) || Boolean(args.values.json) || !io.stdout.isTTY || !io.stdinIsTTY;
  if (plain || args.command.name === 'status') {
    // Scripts, CI and pipes get one snapshot of the four panes as lines (or JSON) instead of a screen.
    const { snapshotLines, takeSnapshot } = await import('./status.js');
    const snap = await takeSnapshot(loaded, envName);
    say(args.values.json ? JSON.stringify(snap) : snapshotLines(snap).join('\n'));
    return args.command.name === 'status' && !snap.ok ? EXIT.failed : EXIT.ok;
  }
  const color = !('NO_COLOR' in io.env && io.env.NO_COLOR !== '');
  return io.openConsole({ loaded, envName, readonly: Boolean(args.values.readonly) || loaded.config.readonly, color, packageRoot: io.packageRoot });
}
