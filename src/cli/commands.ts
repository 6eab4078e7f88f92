/** The command-line surface: one table drives parsing, `--help` and the "not built yet" answers. */
export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
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
      'When stdout is not a terminal, or with --plain / --json, prints one snapshot and exits.',
  },
  { name: 'demo', usage: 'hubops demo [--dir DIR]', summary: 'start a small local stack and open the console on it', built: false, options: { dir: { type: 'string', value: 'DIR', help: 'keep the demo config, journal and reports here' } } },
  { name: 'incident', usage: 'hubops incident [--sev 1|2|3 --title TEXT]', summary: 'declare or resume an incident', built: false, options: { sev: { type: 'string', value: 'N', help: 'severity 1, 2 or 3' }, title: { type: 'string', value: 'TEXT', help: 'incident title' } } },
  { name: 'release', usage: 'hubops release [VERSION | --bump major|minor|patch] --env NAME', summary: 'run a release: gate, deploy, smoke, watch window, report', built: false, options: { bump: { type: 'string', value: 'KIND', help: 'major, minor or patch' }, resume: { type: 'boolean', help: 'continue the release in progress' } } },
  { name: 'watch', usage: 'hubops watch --env NAME [--duration D] [--interval I]', summary: 'run the watch window alone, after a deploy made by another tool', built: false, options: { duration: { type: 'string', value: 'D', help: 'window length, e.g. 30m' }, interval: { type: 'string', value: 'I', help: 'poll interval, e.g. 1m' } } },
  { name: 'runbook', usage: 'hubops runbook [ID]', summary: 'list the runbooks, or step through one', built: false, options: {} },
  { name: 'postmortem', usage: 'hubops postmortem [ID]', summary: 'write or refresh the post-mortem of an incident', built: false, options: {} },
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
