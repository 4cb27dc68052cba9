// `flux-sops env add <name>` (also `flux-sops env <name>`) and `flux-sops env remove <name>`: the
// command lines and their --help; the work is in src/env/run.ts, loaded after --help.
import type { Ports } from '../ports.js';
import { type CommandSpec, commonOptions, cwdOption, parseOrHelp, fleetRootOf, positionalsOf } from './command-spec.js';
import { environmentCommand, isInteractive } from './options.js';

export const environmentRemoveCommand: CommandSpec = {
  usage: 'flux-sops env remove <name> [options]',
  summary: [
    'Remove the environment <name> from the fleet: delete the files flux-sops wrote for it under clusters/<name>/,',
    'tenants/<name>/, secrets/<name>/ and iam/<name>/, remove its rule from .sops.yaml, its row and section from ' +
      'README.md and its',
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

async function addEnvironment(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(environmentCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [name = ''] = positionalsOf(environmentCommand, positionals, 1, 'exactly one environment name', true);
  const root = fleetRootOf(values, ports.cwd);
  const { addEnvironment } = await import('../env/run.js');
  await addEnvironment({ root, name, options: values, interactive: isInteractive(values, ports) }, ports);
  return 0;
}

async function removeEnvironment(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(environmentRemoveCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [name = ''] = positionalsOf(environmentRemoveCommand, positionals, 1, 'exactly one environment name', true);
  const root = fleetRootOf(values, ports.cwd);
  const { removeEnvironment } = await import('../env/run.js');
  removeEnvironment({ root, name, force: values.force === true }, ports);
  return 0;
}

export async function runEnvironmentCommand(argv: readonly string[], ports: Ports): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'add':
      return addEnvironment(rest, ports);
    case 'remove':
      return removeEnvironment(rest, ports);
    default:
      // `flux-sops env <name> [options]`: the short form of `env add` (and `env --help` is add's).
      return addEnvironment(argv, ports);
  }
}
