// `flux-sops tenant add <name>` and `flux-sops tenant remove <name>`: the command lines and their
// --help; the work is in src/tenant/run.ts, loaded after --help.
import { FluxSopsError } from '../errors.js';
import type { Ports } from '../ports.js';
import { type CommandSpec, commonOptions, cwdOption, parseOrHelp, fleetRootOf, positionalsOf } from './command-spec.js';
import { isInteractive, tenantCommand } from './options.js';

export const tenantRemoveCommand: CommandSpec = {
  usage: 'flux-sops tenant remove <name> [options]',
  summary: [
    'Remove the tenant <name> from the fleet: delete the files flux-sops wrote for it (tenants/<env>/<name>/ and',
    'secrets/<env>/<name>-auth.yaml in each of its environments), take it out of the tenants/<env>/ and ' +
      'secrets/<env>/',
    'listings, the README and .yo-rc.json (edited as documents: your comments stay), then print what is left to do',
    'outside Git (never run). Once pushed, Flux prunes the tenant and its namespace from the clusters. With a sealed',
    'Secret or a file you edited, nothing is removed without --force (exit 1, listing them). The last tenant cannot ' +
      'be removed.',
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

async function removeTenant(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(tenantRemoveCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [name = ''] = positionalsOf(tenantRemoveCommand, positionals, 1, 'exactly one tenant name', true);
  const root = fleetRootOf(values, ports.cwd);
  const { removeTenant } = await import('../tenant/run.js');
  removeTenant({ root, name, force: values.force === true }, ports);
  return 0;
}

async function addTenant(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(tenantCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [action, name, ...extra] = positionals;
  if (action !== 'add' || name === undefined || extra.length > 0) {
    throw new FluxSopsError(
      'usage',
      'flux-sops tenant takes add or remove and one tenant name, got ' +
        `${positionals.length === 0 ? 'nothing' : positionals.join(' ')}\nUsage: ${tenantCommand.usage}`,
    );
  }
  const root = fleetRootOf(values, ports.cwd);
  const { addTenant } = await import('../tenant/run.js');
  await addTenant({ root, name, options: values, interactive: isInteractive(values, ports) }, ports);
  return 0;
}

export async function runTenantCommand(argv: readonly string[], ports: Ports): Promise<number> {
  return argv[0] === 'remove' ? removeTenant(argv.slice(1), ports) : addTenant(argv, ports);
}
