// `flux-sops tenant add <name>` and `flux-sops tenant remove <name>`: the command lines and their
// --help. Adding runs the `tenant` generator, after planning once without Yeoman so that every
// problem is told at once. Removing plans with src/fleet/remove.ts, writes the edited documents
// all or nothing, then deletes the tenant's files and prints what is left to do outside Git.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { STORED_ANSWERS_FILE } from '../fleet/layout.js';
import { entriesOf, fleetRootOf, removeEmptyFolders } from './env.js';
import { type CommandSpec, commonOptions, cwdOption, helpText, parseCommandLine } from './command-spec.js';
import { tenantCommand } from './options.js';

export const tenantRemoveCommand: CommandSpec = {
  usage: 'flux-sops tenant remove <name> [options]',
  summary: [
    'Remove the tenant <name> from the fleet: delete the files flux-sops wrote for it (tenants/<env>/<name>/ and',
    'secrets/<env>/<name>-auth.yaml in each of its environments), take it out of the tenants/<env>/ and secrets/<env>/',
    'listings, the README and .yo-rc.json (edited as documents: your comments stay), then print what is left to do',
    'outside Git (never run). Once pushed, Flux prunes the tenant and its namespace from the clusters. With a sealed',
    'Secret or a file you edited, nothing is removed without --force (exit 1, listing them). The last tenant cannot be removed.',
  ].join('\n'),
  options: [
    {
      name: 'force',
      type: 'boolean',
      description: 'Also remove sealed credentials and edited files (Git history keeps them)',
    },
    cwdOption,
    ...commonOptions,
  ],
};

async function removeTenant(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(tenantRemoveCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(tenantRemoveCommand));
    return 0;
  }
  if (positionals.length !== 1) {
    throw new FluxSopsError(
      'usage',
      `flux-sops tenant remove takes exactly one tenant name, got ${positionals.length}\nUsage: ${tenantRemoveCommand.usage}`,
    );
  }
  const name = positionals[0] as string;
  const root = fleetRootOf(values);
  const { filesToDelete, planRemoveTenant } = await import('../fleet/remove.js');
  const { assertWritable, withFleetLock, writeAllOrNothing } = await import('../disk/writer.js');
  const { readText } = await import('../secret/fleet-files.js');
  // The name is checked against the stored answers before any path is made of it.
  const plan = planRemoveTenant(readText(join(root, STORED_ANSWERS_FILE)), name, (path) => readText(join(root, path)));
  const deleted = filesToDelete(`The tenant ${name}`, plan, values.force === true);
  assertWritable(root, [...plan.edits.map((edit) => edit.path), ...deleted]);
  withFleetLock(root, () => {
    writeAllOrNothing(root, plan.edits);
    for (const path of deleted) {
      rmSync(join(root, path));
    }
  });
  const left: string[] = [];
  for (const folder of plan.folders) {
    removeEmptyFolders(root, folder);
    left.push(...entriesOf(join(root, folder)).map((entry) => `${folder}/${entry.name}`));
  }
  const staged = [
    ...plan.folders,
    ...deleted.filter((path) => !plan.folders.some((folder) => path.startsWith(`${folder}/`))),
    ...plan.edits.map((edit) => edit.path),
  ];
  process.stdout.write(
    [
      `Removed the tenant ${name}: ${deleted.length} file${deleted.length === 1 ? '' : 's'} deleted${plan.sealed.length > 0 ? ` (${plan.sealed.length} sealed Secret${plan.sealed.length === 1 ? '' : 's'})` : ''}; ${plan.edits.map((edit) => edit.path).join(', ')} updated.`,
      ...plan.notes,
      ...(left.length > 0 ? [`Left in place, not written by flux-sops: ${left.join(', ')}.`] : []),
      '',
      `Next: flux-sops check && git add --all ${staged.join(' ')} && git commit -m "Remove the tenant ${name}" && git push`,
      '',
      `Clean-up for ${name} (printed, not run):`,
      ...plan.cleanup.map((line) => `  ${line}`),
      '',
    ].join('\n'),
  );
  return 0;
}

async function addTenant(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(tenantCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(tenantCommand));
    return 0;
  }
  const [action, name, ...extra] = positionals;
  if (action !== 'add' || name === undefined || extra.length > 0) {
    throw new FluxSopsError(
      'usage',
      `flux-sops tenant takes add or remove and one tenant name, got ${positionals.length === 0 ? 'nothing' : positionals.join(' ')}\nUsage: ${tenantCommand.usage}`,
    );
  }
  const fleet = fleetRootOf(values);
  const { runGenerator, validateTenantInputs } = await import('./generate.js');
  validateTenantInputs(fleet, name, values);
  // Yeoman owns --namespace: the generator takes the tenant's as --tenant-namespace.
  const { namespace, ...generatorValues } = values;
  await runGenerator(
    'tenant',
    fleet,
    { ...generatorValues, ...(namespace === undefined ? {} : { 'tenant-namespace': namespace }) },
    [name],
  );
  return 0;
}

export async function runTenantCommand(argv: readonly string[]): Promise<number> {
  return argv[0] === 'remove' ? removeTenant(argv.slice(1)) : addTenant(argv);
}
