// `flux-sops tenant add <name>`: the command line and its --help. Adding runs the `tenant`
// generator, after planning once without Yeoman so that every problem is told at once.
import { resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot } from '../fleet/fleet-root.js';
import { helpText, parseCommandLine, tenantCommand } from './options.js';

export async function runTenantCommand(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(tenantCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(tenantCommand));
    return 0;
  }
  const [action, name, ...extra] = positionals;
  if (action !== 'add' || name === undefined || extra.length > 0) {
    throw new FluxSopsError('usage', `flux-sops tenant takes add and one tenant name, got ${positionals.length === 0 ? 'nothing' : positionals.join(' ')}\nUsage: ${tenantCommand.usage}`);
  }
  const fleet = typeof values.cwd === 'string' ? resolve(values.cwd) : findFleetRoot(process.cwd());
  const { runGenerator, validateTenantInputs } = await import('./generate.js');
  validateTenantInputs(fleet, name, values);
  // Yeoman owns --namespace: the generator takes the tenant's as --tenant-namespace.
  const { namespace, ...generatorValues } = values;
  await runGenerator('tenant', fleet, { ...generatorValues, ...(namespace === undefined ? {} : { 'tenant-namespace': namespace }) }, [name]);
  return 0;
}
