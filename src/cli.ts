#!/usr/bin/env node
// `flux-sops`: runs the package's generators through yeoman-environment, without `yo`
// (so it also works as root, in CI containers), and checks fleets.
import { existsSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import {
  environmentInputs,
  fleetInputs,
  type InputDeclaration,
  optionDescription,
  perEnvironmentOptionDescription,
  perEnvironmentOptionInputs,
  runOptions,
} from './inputs.js';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

interface Command {
  readonly usage: string;
  readonly summary: string;
  readonly inputs: readonly InputDeclaration[];
  readonly extraOptions: readonly { name: string; type: 'string' | 'boolean'; description: string; repeatable?: boolean }[];
}

const commonOptions = [
  ...runOptions.map((option) => ({ ...option, type: 'boolean' as const })),
  { name: 'no-interactive', type: 'boolean', description: 'Never prompt; a missing required input is an error' },
  { name: 'debug', type: 'boolean', description: 'Print stack traces of unexpected errors' },
  { name: 'help', type: 'boolean', description: 'Show this help' },
] as const;

const commands = {
  app: {
    usage: 'flux-sops [dir] [options]',
    summary: 'Write a Flux + SOPS + AWS KMS fleet repository into dir (default: the current folder).',
    inputs: fleetInputs,
    extraOptions: [
      { name: 'answers', type: 'string', description: 'YAML or JSON file with the inputs' },
      ...perEnvironmentOptionInputs.map((input) => ({
        name: input.option,
        type: 'string' as const,
        repeatable: true,
        description: perEnvironmentOptionDescription(input),
      })),
      ...commonOptions,
    ],
  },
  env: {
    usage: 'flux-sops env <name> [options]',
    summary: 'Add the environment <name> to the fleet in the current folder (or --cwd).',
    inputs: environmentInputs,
    extraOptions: [
      { name: 'cwd', type: 'string', description: 'Folder of the fleet (default: the current folder)' },
      ...commonOptions,
    ],
  },
} satisfies Record<string, Command>;

function optionsConfig(command: Command): OptionsConfig {
  const config: OptionsConfig = {};
  for (const input of command.inputs) {
    config[input.option] = { type: 'string' };
  }
  for (const option of command.extraOptions) {
    config[option.name] = { type: option.type, multiple: option.repeatable === true };
  }
  config.version = { type: 'boolean' };
  return config;
}

export function helpText(command: Command): string {
  const rows: [string, string][] = [
    ...command.inputs.map((input): [string, string] => [`--${input.option} <value>`, optionDescription(input)]),
    ...command.extraOptions.map((option): [string, string] => [
      `--${option.name}${option.type === 'string' ? ' <value>' : ''}`,
      option.description,
    ]),
  ];
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return [
    `Usage: ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`),
    '',
    'Commands: flux-sops [dir] | flux-sops env <name> | flux-sops check [dir] | flux-sops --version',
    '',
  ].join('\n');
}

class UsageError extends Error {
  readonly exitCode = 2;
}

function packageVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}

async function runGenerator(name: 'app' | 'env', destination: string, options: Record<string, unknown>, positionals: string[]): Promise<void> {
  const { default: Environment } = await import('yeoman-environment');
  const environment = new Environment({ cwd: destination, skipInstall: true, force: Boolean(options.force) } as never);
  const generatorPath = fileURLToPath(new URL(`./generators/${name}/index.js`, import.meta.url));
  environment.register(generatorPath, { namespace: `flux-sops:${name}`, packagePath: fileURLToPath(new URL('..', import.meta.url)) });
  const firstMissing = firstMissingFolder(destination);
  try {
    await environment.run([`flux-sops:${name}`, ...positionals], { ...options, skipInstall: true } as never);
  } catch (error) {
    if (firstMissing !== undefined) {
      removeEmptyFolders(destination, firstMissing);
    }
    if (isCancellation(error)) {
      // The fleet generators write nothing before every question is answered; say so only if true.
      const files = (environment as unknown as { sharedFs: { all(): { path: string; committed?: boolean }[] } }).sharedFs.all();
      (error as Error & { writtenFiles?: string[] }).writtenFiles = files.filter((file) => file.committed).map((file) => relative(destination, file.path));
    }
    // The generators check every path before writing; a system error still possible while
    // Yeoman writes (disk full, I/O error) must not leave a fleet that looks finished.
    if ((error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new Error(
        `${(error as Error).message}\nThe files in ${destination} may be incomplete: fix the cause and run the same command again (it completes them).`,
      );
    }
    throw error;
  }
}

/** Ctrl-C at a prompt (inquirer's errors), including Yeoman's conflict questions. */
function isCancellation(error: unknown): boolean {
  const name = (error as Error | undefined)?.name;
  return name === 'AbortPromptError' || name === 'ExitPromptError';
}

/** The outermost folder of destination that does not exist yet (Yeoman creates it on start). */
function firstMissingFolder(destination: string): string | undefined {
  let missing: string | undefined;
  for (let folder = destination; !existsSync(folder); folder = dirname(folder)) {
    missing = folder;
  }
  return missing;
}

/** After a failed run, removes the folders it created, as long as they are still empty. */
function removeEmptyFolders(destination: string, outermost: string): void {
  for (let folder = destination; folder.startsWith(outermost); folder = dirname(folder)) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (or already gone): keep it
    }
  }
}

/**
 * A destination that exists must be a folder, and its stored answers JSON: Yeoman's own errors
 * for these are cryptic or come with the wrong exit status.
 */
function assertFolder(destination: string): void {
  if (statSync(destination, { throwIfNoEntry: false })?.isDirectory() === false) {
    throw new UsageError(`${destination} is a file: give the folder to write the fleet into`);
  }
  const storedAnswers = resolve(destination, '.yo-rc.json');
  if (existsSync(storedAnswers)) {
    try {
      JSON.parse(readFileSync(storedAnswers, 'utf8'));
    } catch (error) {
      throw new UsageError(`${storedAnswers} is not valid JSON (${(error as Error).message}): fix it, or remove it to give the answers again`);
    }
  }
}

function generatorOptions(values: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (['debug', 'help', 'version', 'no-interactive', 'cwd'].includes(key)) {
      continue;
    }
    options[key] = Array.isArray(value) ? value.join(',') : value;
  }
  if (values['no-interactive']) {
    options.interactive = false;
  }
  return options;
}

function parseCommandLine(command: Command, argv: string[]) {
  try {
    return parseArgs({ args: argv, options: optionsConfig(command), allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun ${command.usage.split(' [')[0]} --help for the options.`);
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'check') {
    // The checker is a fast read-only command: it must not load Yeoman or prompt libraries.
    const { runCheckCommand } = await import('./check-command.js');
    return runCheckCommand(argv.slice(1));
  }
  const commandName = argv[0] === 'env' ? 'env' : 'app';
  const command: Command = commands[commandName];
  const { values, positionals } = parseCommandLine(command, commandName === 'env' ? argv.slice(1) : argv);
  if (values.version) {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  if (values.help) {
    process.stdout.write(helpText(command));
    return 0;
  }
  if (commandName === 'env') {
    if (positionals.length !== 1) {
      throw new UsageError(`flux-sops env takes exactly one environment name, got ${positionals.length}\nRun flux-sops env --help for the usage.`);
    }
    const fleetFolder = resolve(String(values.cwd ?? '.'));
    assertFolder(fleetFolder);
    await runGenerator('env', fleetFolder, generatorOptions(values), positionals);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(`Too many arguments: ${positionals.join(' ')}\nRun flux-sops --help for the usage.`);
  }
  if (typeof values.answers === 'string') {
    values.answers = resolve(values.answers);
  }
  const destination = resolve(positionals[0] ?? '.');
  assertFolder(destination);
  await runGenerator('app', destination, generatorOptions(values), []);
  return 0;
}

function isDebug(argv: string[]): boolean {
  return argv.includes('--debug');
}

async function run(): Promise<void> {
  const argv = process.argv.slice(2);
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const { exitCode, message, stack } = error as Error & { exitCode?: number };
    if (isCancellation(error)) {
      const written = (error as { writtenFiles?: string[] }).writtenFiles ?? [];
      process.stderr.write(written.length === 0 ? 'Cancelled: nothing was written.\n' : `Cancelled, after these files were written: ${written.join(', ')}\n`);
      process.exitCode = 130;
      return;
    }
    process.stderr.write(`${isDebug(argv) && stack ? stack : `flux-sops: ${message}`}\n`);
    process.exitCode = typeof exitCode === 'number' ? exitCode : 1;
  }
}

await run();
