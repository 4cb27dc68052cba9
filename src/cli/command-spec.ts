// A command's line: its options and usage (a CommandSpec), parsed with node:util, and its
// --help. Every command of flux-sops declares one in src/cli/<command>.ts; nothing here knows a
// command. Also the fleet a command works on (--cwd, else found upward). Loads nothing heavy, so
// a bad option or --help answers at once (the fleet's bundled checker uses it too).
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot } from '../fleet/fleet-root.js';

export interface OptionSpec {
  readonly name: string;
  readonly type: 'string' | 'boolean';
  /** Shown after the option in `--help`: `<id>`, `<file>`, … */
  readonly placeholder?: string;
  readonly description: string;
  readonly multiple?: boolean;
}

export interface CommandSpec {
  readonly usage: string;
  readonly summary: string;
  readonly options: readonly OptionSpec[];
  /** Shown after the options instead of the list of commands (the fleet's checker knows no other command). */
  readonly footer?: string;
}

export const cwdOption: OptionSpec = {
  name: 'cwd',
  type: 'string',
  placeholder: '<dir>',
  description: 'Folder of the fleet (default: the current folder, or the nearest parent holding .sops.yaml)',
};

/** The fleet a command works on: the folder given by --cwd (relative to `cwd`), else findFleetRoot(cwd). */
export function fleetRootOf(values: ParsedValues, cwd: string): string {
  return typeof values.cwd === 'string' ? resolve(cwd, values.cwd) : findFleetRoot(cwd);
}

export const commonOptions: readonly OptionSpec[] = [
  { name: 'debug', type: 'boolean', description: 'Print the stack trace of an unexpected error' },
  { name: 'help', type: 'boolean', description: 'Show this help' },
];

export const COMMANDS_LINE =
  'Commands: flux-sops [dir] | env add|remove <name> | tenant add|remove <name> | ' +
  'secret git|generic|list|show|set … | updatekeys [env…] | rotate [env…] | check [dir] | --version';

export function helpText(command: CommandSpec): string {
  const rows = command.options.map((option): [string, string] => [
    `--${option.name}${option.placeholder ? ` ${option.placeholder}` : ''}`,
    option.description,
  ]);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
    command.footer ?? COMMANDS_LINE,
    '',
  ].join('\n');
}

export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

let debug = false;

/** Whether the command line that was parsed asked for --debug (stack traces of unexpected errors). */
export function debugRequested(): boolean {
  return debug;
}

/** Parses argv against the command's options; an unknown or malformed option is a usage error. */
export function parseCommandLine(
  command: CommandSpec,
  argv: readonly string[],
): { values: ParsedValues; positionals: string[] } {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const option of command.options) {
    config[option.name] = { type: option.type, multiple: option.multiple === true };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: config,
      allowPositionals: true,
      strict: true,
    });
    debug = values.debug === true;
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    // node:util's messages quote the option with an unclosed "'": keep only its first sentence, plainly.
    const message = (error as Error).message.replace(/'/g, '').split('. ')[0] ?? '';
    throw new FluxSopsError(
      'usage',
      `${message}\nRun ${command.usage.replace(/ \[options\].*$/, '')} --help for the options.`,
    );
  }
}

/**
 * The command's positional arguments when there are exactly `count` of them; otherwise a usage
 * error: "<command> takes <what>, got <n> argument(s)" ("got <n>" with `bareCount`), then the usage.
 */
export function positionalsOf(
  command: CommandSpec,
  positionals: readonly string[],
  count: number,
  what: string,
  bareCount = false,
): string[] {
  if (positionals.length !== count) {
    const n = positionals.length;
    const got = bareCount ? `${n}` : `${n} argument${n === 1 ? '' : 's'}`;
    throw new FluxSopsError(
      'usage',
      `${command.usage.split(' <')[0]} takes ${what}, got ${got}\nUsage: ${command.usage}`,
    );
  }
  return [...positionals];
}

/**
 * Parses argv against the command's options; with --help, writes the command's help through `out`
 * and returns undefined (the command then exits 0).
 */
export function parseOrHelp(
  command: CommandSpec,
  argv: readonly string[],
  out: (text: string) => void,
): { values: ParsedValues; positionals: string[] } | undefined {
  const line = parseCommandLine(command, argv);
  if (line.values.help) {
    out(helpText(command));
    return undefined;
  }
  return line;
}
