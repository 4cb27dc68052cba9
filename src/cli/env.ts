// `flux-sops env add <name>` (also `flux-sops env <name>`) and `flux-sops env remove <name>`:
// the command lines and their --help. Adding runs the `env` generator; removing reads the
// environment's files, plans with src/fleet/remove.ts, writes the edited documents all or
// nothing, then deletes the files and prints the AWS clean-up (never run).
import { type Dirent, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot } from '../fleet/fleet-root.js';
import {
  README_FILE,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  TENANT_SOPS_CONFIG,
  TENANTS_FOLDER,
} from '../fleet/layout.js';
import {
  type CommandSpec,
  commonOptions,
  cwdOption,
  helpText,
  type ParsedValues,
  parseCommandLine,
} from './command-spec.js';
import { environmentCommand } from './options.js';

export const environmentRemoveCommand: CommandSpec = {
  usage: 'flux-sops env remove <name> [options]',
  summary: [
    'Remove the environment <name> from the fleet: delete the files flux-sops wrote for it under clusters/<name>/,',
    'tenants/<name>/, secrets/<name>/ and iam/<name>/, remove its rule from .sops.yaml, its row and section from README.md and its',
    'entry from .yo-rc.json (edited as documents: your comments stay), then print the AWS clean-up (never run).',
    'With sealed Secrets or files you edited, nothing is removed without --force (exit 1, listing them). With',
    'iac terraform, terraform/<name>/ is kept for terraform destroy. The last environment cannot be removed.',
  ].join('\n'),
  options: [
    {
      name: 'force',
      type: 'boolean',
      description: 'Also remove sealed Secrets and edited files (Git history keeps them)',
    },
    cwdOption,
    ...commonOptions,
  ],
};

export function fleetRootOf(values: ParsedValues): string {
  return typeof values.cwd === 'string' ? resolve(values.cwd) : findFleetRoot(process.cwd());
}

function onlyName(command: CommandSpec, positionals: readonly string[]): string {
  if (positionals.length !== 1) {
    throw new FluxSopsError(
      'usage',
      `${command.usage.split(' <')[0]} takes exactly one environment name, got ${positionals.length}\nUsage: ${command.usage}`,
    );
  }
  return positionals[0] as string;
}

async function addEnvironment(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(environmentCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(environmentCommand));
    return 0;
  }
  const name = onlyName(environmentCommand, positionals);
  const fleet = fleetRootOf(values);
  const { runGenerator, validateEnvironmentInputs } = await import('./generate.js');
  validateEnvironmentInputs(fleet, name, values);
  await runGenerator('env', fleet, values, [name]);
  return 0;
}

export function entriesOf(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw new FluxSopsError(
      'fleet',
      `${folder} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
}

/** Regular files under the folders, by POSIX path relative to root (symbolic links are neither followed nor removed). */
function readFolders(root: string, folders: readonly string[], into: Map<string, string>): void {
  const walk = (folder: string): void => {
    for (const entry of entriesOf(join(root, folder))) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory()) {
        walk(path);
      } else if (entry.isFile()) {
        into.set(path, readFileSync(join(root, path), 'utf8'));
      }
    }
  };
  folders.forEach(walk);
}

/** Removes the folder and the folders under it that are empty once the files are gone. */
export function removeEmptyFolders(root: string, folder: string): void {
  for (const entry of entriesOf(join(root, folder))) {
    if (entry.isDirectory()) {
      removeEmptyFolders(root, `${folder}/${entry.name}`);
    }
  }
  if (entriesOf(join(root, folder)).length === 0) {
    rmdirSync(join(root, folder)); // an empty folder only (Node 26 refuses a recursive option here)
  }
}

async function removeEnvironment(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(environmentRemoveCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(environmentRemoveCommand));
    return 0;
  }
  const name = onlyName(environmentRemoveCommand, positionals);
  const root = fleetRootOf(values);
  const { filesToDelete, planRemoveEnvironment, removableFoldersOf } = await import('../fleet/remove.js');
  const { assertWritable, withFleetLock, writeAllOrNothing } = await import('../disk/writer.js');
  const { readText } = await import('../secret/fleet-files.js');
  const storedAnswers = readText(join(root, STORED_ANSWERS_FILE));
  const files = new Map<string, string>();
  // The decrypting tenants' .sops.yaml files (tenants/<tenant>.sops.yaml) lose the environment's rule too.
  const tenantConfigs = entriesOf(join(root, TENANTS_FOLDER))
    .filter((entry) => entry.isFile() && TENANT_SOPS_CONFIG.test(`${TENANTS_FOLDER}/${entry.name}`))
    .map((entry) => `${TENANTS_FOLDER}/${entry.name}`);
  for (const path of [SOPS_CONFIG_FILE, README_FILE, ...tenantConfigs]) {
    const text = readText(join(root, path));
    if (text !== null) {
      files.set(path, text);
    }
  }
  // The name is checked against the stored answers before it becomes a path.
  planRemoveEnvironment(storedAnswers, name, files);
  readFolders(root, removableFoldersOf(name), files);
  const full = planRemoveEnvironment(storedAnswers, name, files);
  const deleted = filesToDelete(name, full, values.force === true);
  assertWritable(root, [...full.edits.map((edit) => edit.path), ...deleted]);
  withFleetLock(root, () => {
    writeAllOrNothing(root, full.edits);
    for (const path of deleted) {
      rmSync(join(root, path));
    }
  });
  for (const folder of removableFoldersOf(name)) {
    removeEmptyFolders(root, folder);
  }
  process.stdout.write(
    [
      `Removed the environment ${name}: ${deleted.length} file${deleted.length === 1 ? '' : 's'} deleted${full.sealed.length > 0 ? ` (${full.sealed.length} sealed Secret${full.sealed.length === 1 ? '' : 's'})` : ''}; ${full.edits.map((edit) => edit.path).join(', ')} updated.`,
      ...full.notes,
      '',
      `Next: git add --all ${[...removableFoldersOf(name), ...full.edits.map((edit) => edit.path)].join(' ')} && git commit -m "Remove the environment ${name}" && git push`,
      '',
      `AWS clean-up for ${name} (printed, not run):`,
      ...full.cleanup.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
  return 0;
}

export async function runEnvironmentCommand(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'add':
      return addEnvironment(rest);
    case 'remove':
      return removeEnvironment(rest);
    default:
      // `flux-sops env <name> [options]`: the short form of `env add` (and `env --help` is add's).
      return addEnvironment(argv);
  }
}
