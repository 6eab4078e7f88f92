/** The command-line surface: one table drives parsing, `--help` and the "not built yet" answers. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** May be given several times (values collected in order). */
  multiple?: boolean;
  value?: string;
  help: string;
}

export interface CommandSpec {
  name: string;
  usage: string;
  summary: string;
  built: boolean;
  options: Record<string, OptionSpec>;
  details?: string;
}

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  config: { type: 'string', value: 'FILE', help: 'config file (default: hubops.yaml here or in a parent; or $HUBOPS_CONFIG)' },
  env: { type: 'string', value: 'NAME', help: 'environment from the config (default: defaultEnv, or the only one)' },
  plain: { type: 'boolean', help: 'print plain lines instead of drawing the screen (automatic when stdout is not a terminal)' },
  json: { type: 'boolean', help: 'print JSON instead of drawing the screen' },
  readonly: { type: 'boolean', help: 'turn every action that changes something off' },
  help: { type: 'boolean', short: 'h', help: 'show help (also: hubops help COMMAND)' },
  version: { type: 'boolean', short: 'V', help: 'print the version' },
};

export const COMMANDS: CommandSpec[] = [
  {
    name: 'console',
    usage: 'hubops [--env NAME] [--config FILE]',
    summary: 'open the console: containers, logs, health and metrics on one screen (the default)',
    built: true,
    options: {},
    details:
      'Keys: Tab / Shift-Tab or 1-4 move focus, ? shows the keys that work now, q quits.\n' +
      'Incidents: i declares one (an open one is resumed on start); then n note, u status update,\n' +
      'b runbooks, t timeline, p / P phase, S severity, H hand a role over, R resolve, M post-mortem.\n' +
      'When stdout is not a terminal, or with --plain / --json, prints one snapshot and exits.',
  },
  { name: 'demo', usage: 'hubops demo [--dir DIR]', summary: 'start a small local stack and open the console on it (F injects faults)', built: true, options: { dir: { type: 'string', value: 'DIR', help: 'keep the demo config, journal and reports here' }, docker: { type: 'boolean', help: 'show real containers (DOCKER_HOST or /var/run/docker.sock) instead of the demo processes, when an engine answers' } } },
  {
    name: 'incident',
    usage: 'hubops incident [--sev 1|2|3 --title TEXT] [--symptom TEXT] [--service NAME]',
    summary: 'declare or resume an incident',
    built: true,
    options: {
      sev: { type: 'string', value: 'N', help: 'severity 1, 2 or 3 (when unsure between two, the higher: the smaller number)' },
      title: { type: 'string', value: 'TEXT', help: 'incident title: what is broken, in a few words' },
      symptom: { type: 'string', value: 'TEXT', help: 'what users or monitors see' },
      service: { type: 'string', value: 'NAME', help: 'the affected service' },
    },
    details:
      'With --sev and --title, declares an incident (you are its commander) and opens the console on it;\n' +
      'with --plain (or no terminal) prints its id and journal instead. Without them, resumes the open\n' +
      'incident (the most recent unresolved one), or exits 1 when there is none. A second hubops on the\n' +
      'same incident watches it read-only and follows it live; if the console leading it stops (or quits)\n' +
      'on the same machine, L there takes the lead. For a runbook step that was running when the leading\n' +
      'console died, the next console to lead asks whether to stop what is left of it or leave it running.\n' +
      'Console keys: i declare, n note, p / P phase, S severity, H hand a role over, u status update,\n' +
      'b runbooks, t timeline, R resolve (verify gate first), M post-mortem; q asks first while it is open.',
  },
  {
    name: 'release',
    usage: 'hubops release [VERSION | --bump major|minor|patch] --env NAME',
    summary: 'run a release: gate, deploy, smoke, watch window, report',
    built: true,
    options: {
      bump: { type: 'string', value: 'KIND', help: 'major, minor or patch (default: suggested from the commits)' },
      resume: { type: 'boolean', help: 'continue the release in progress (samples already taken are kept; the gap counts as no data)' },
      approve: { type: 'string', value: 'GATE', multiple: true, help: 'answer a gate without a prompt: pre-release' },
      strategy: { type: 'string', value: 'NAME', help: 'deployment strategy (one the environment lists)' },
      'on-soft': { type: 'string', value: 'ANSWER', help: 'continue or rollback at a soft breach (default in --plain: rollback)' },
      override: { type: 'string', value: 'CHECK=REASON', multiple: true, help: 'pass a blocking gate check on purpose (blackout, backup, rollback), with a reason' },
      'watch-duration': { type: 'string', value: 'D', help: "override the environment's watch duration, e.g. 5m" },
      'watch-interval': { type: 'string', value: 'I', help: "override the environment's watch interval, e.g. 10s" },
    },
    details:
      'Phases: pre-release gate, strategy, deploy, smoke tests, watch window, then tag + changelog, or rollback.\n' +
      'The report is appended phase by phase under <reports>/releases/. Exit status: 0 Released, 1 Rolled-Back or Aborted.\n' +
      'With --plain (or no terminal), every gate must be answered by flags; an unanswered gate fails closed (Aborted).',
  },
  {
    name: 'watch',
    usage: 'hubops watch --env NAME [--duration D] [--interval I]',
    summary: 'run the watch window alone, after a deploy made by another tool',
    built: true,
    options: {
      duration: { type: 'string', value: 'D', help: 'window length, e.g. 30m' },
      interval: { type: 'string', value: 'I', help: 'poll interval, e.g. 1m' },
      'on-soft': { type: 'string', value: 'ANSWER', help: 'continue or rollback at a soft breach (default in --plain: rollback)' },
      previous: { type: 'string', value: 'VERSION', help: 'version the rollback command goes back to (default: the last tag)' },
    },
    details: 'Same decisions and automatic rollback (the environment\'s rollback command) as a release. Exit 0 passed, 1 rolled back.',
  },
  {
    name: 'runbook',
    usage: 'hubops runbook [ID]',
    summary: "list the runbooks, or print one's steps",
    built: true,
    options: {},
    details: 'Runbooks come from the shipped runbooks/, the config folder\'s runbooks/ and the folders under runbooks:.\nDuring an incident, b in the console steps through one (done, skip with a reason, run a step\'s command).',
  },
  {
    name: 'postmortem',
    usage: 'hubops postmortem [ID]',
    summary: 'write or refresh the post-mortem of an incident',
    built: true,
    options: {},
    details: 'ID: an incident id or a unique prefix (default: the most recent). An existing file keeps your edits:\nonly the text between its timeline markers is refreshed from the journal.',
  },
  { name: 'status', usage: 'hubops status [--env NAME] [--json]', summary: 'print one snapshot of the four panes; exit 1 when a health check fails', built: true, options: {} },
  {
    name: 'check',
    usage: 'hubops check [--connect] [--strict] [--schema]',
    summary: 'validate the config, the runbooks and the templates',
    built: true,
    options: {
      connect: { type: 'boolean', help: "also try each environment's target, Docker socket, health endpoints and metrics source" },
      strict: { type: 'boolean', help: 'treat warnings (such as unknown keys) as errors' },
      schema: { type: 'boolean', help: 'print the JSON Schema of the config, for editors' },
    },
    details: 'Exit status: 0 all good, 1 something failed, 2 config error.',
  },
];

export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

function optionLines(opts: Record<string, OptionSpec>): string[] {
  return Object.entries(opts).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.value ? ` ${o.value}` : ''}`;
    return `  ${flag.padEnd(24)} ${o.help}`;
  });
}

export function mainHelp(version: string): string {
  const cmds = COMMANDS.filter((c) => c.name !== 'console').map(
    (c) => `  ${c.name.padEnd(11)} ${c.summary}${c.built ? '' : ' (not built yet)'}`,
  );
  return [
    `hubops ${version}: the terminal console for the engineer on call.`,
    '',
    'Usage: hubops [COMMAND] [--config FILE] [--env NAME] [--plain | --json]',
    '',
    'With no command, opens the console on the environment (live panes on one screen).',
    '',
    'Commands:',
    ...cmds,
    '',
    'Options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    'Exit status: 0 success, 1 the operation failed, 2 usage or config error, 130 interrupted.',
    'Run `hubops COMMAND --help` for a command.',
  ].join('\n');
}

export function commandHelp(cmd: CommandSpec): string {
  return [
    `Usage: ${cmd.usage}`,
    '',
    `${cmd.summary[0]!.toUpperCase()}${cmd.summary.slice(1)}.${cmd.built ? '' : ' Not built yet in this version.'}`,
    ...(cmd.details ? ['', cmd.details] : []),
    '',
    'Options:',
    ...optionLines({ ...cmd.options, ...GLOBAL_OPTIONS }),
  ].join('\n');
}
