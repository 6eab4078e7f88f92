import { parseArgs } from 'node:util';
import { closest } from '../util/closest.js';
import { COMMANDS, GLOBAL_OPTIONS, findCommand, type CommandSpec } from './commands.js';

export interface ParsedArgs {
  command: CommandSpec;
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
  version: boolean;
}

export type ArgsResult = { ok: true; args: ParsedArgs } | { ok: false; error: string };

export function parseCliArgs(argv: string[]): ArgsResult {
  // The command is the first word that is not an option (options may come before it).
  let commandName = 'console';
  let rest = argv;
  const firstWord = argv.findIndex((a) => !a.startsWith('-'));
  const takesValue = (flag: string) => {
    const name = flag.replace(/^--?/, '').split('=')[0]!;
    const spec = Object.entries(GLOBAL_OPTIONS).find(([n, o]) => n === name || o.short === name)?.[1];
    return spec?.type === 'string' && !flag.includes('=');
  };
  if (firstWord >= 0 && !(firstWord > 0 && takesValue(argv[firstWord - 1]!))) {
    const word = argv[firstWord]!;
    if (word === 'help') {
      const target = argv[firstWord + 1];
      const cmd = target ? findCommand(target) : undefined;
      if (target && !cmd) return { ok: false, error: unknownCommand(target) };
      return { ok: true, args: { command: cmd ?? findCommand('console')!, values: {}, positionals: [], help: true, version: false } };
    }
    const cmd = findCommand(word);
    if (!cmd || cmd.name === 'console') return { ok: false, error: unknownCommand(word) };
    commandName = cmd.name;
    rest = [...argv.slice(0, firstWord), ...argv.slice(firstWord + 1)];
  }
  const command = findCommand(commandName)!;
  const options = Object.fromEntries(
    Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([n, o]) => [n, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
  );
  try {
    const { values, positionals } = parseArgs({ args: rest, options, strict: true, allowPositionals: true });
    const v = values as Record<string, string | boolean | string[] | undefined>;
    if (v.plain && v.json) return { ok: false, error: 'choose one of --plain and --json' };
    const maxPositionals = /\[(VERSION|ID)/.test(command.usage) ? 1 : 0;
    if (positionals.length > maxPositionals) {
      return { ok: false, error: `unexpected argument "${positionals[maxPositionals]}" for ${command.usage}` };
    }
    return { ok: true, args: { command, values: v, positionals, help: Boolean(v.help), version: Boolean(v.version) } };
  } catch (err) {
    const msg = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    const flag = /'(--?[\w-]+)/.exec(msg)?.[1];
    const hint = flag?.startsWith('--') ? closest(flag.slice(2), Object.keys(options)) : undefined;
    return { ok: false, error: `${msg}${hint ? ` (did you mean --${hint}?)` : ''}` };
  }
}

function unknownCommand(word: string): string {
  const hint = closest(word, COMMANDS.map((c) => c.name).filter((n) => n !== 'console'));
  return `unknown command "${word}"${hint ? ` (did you mean ${hint}?)` : ''}; see hubops --help`;
}
