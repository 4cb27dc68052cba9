// `flux-sops secret git|generic`: seals a real Secret into the fleet without Yeoman. Every input
// is checked and the fleet planned before a value is asked for; values come from a masked prompt,
// stdin or files, are encrypted in memory, and only ciphertext is written. Messages go to stderr;
// stdout carries only the generated public key. This file holds the command line and its help;
// the sealing (src/secret/command.ts) is loaded only when a Secret is sealed.
import { resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { FLUX_NAMESPACE } from '../fleet/iam.js';
import { describeValue } from '../fleet/inputs.js';
import { findFleetRoot } from '../fleet/fleet-root.js';
import { REPO_AUTH_NAME } from '../fleet/layout.js';
import { type CommandSpec, commonOptions, cwdOption, helpText, type ParsedValues, parseCommandLine } from './options.js';

const runOptions = [
  { name: 'force', type: 'boolean', description: 'Replace a sealed Secret at the same path without asking' },
  { name: 'no-interactive', type: 'boolean', description: 'Never prompt; a missing value is an error' },
  cwdOption,
  ...commonOptions,
] as const;

const namespaceOption = { name: 'namespace', type: 'string', placeholder: '<namespace>', description: `Namespace of the Secret (default: ${FLUX_NAMESPACE})` } as const;

export const secretGitCommand: CommandSpec = {
  usage: 'flux-sops secret git <env> [options]',
  summary:
    'Seal the Git credentials Flux uses for the fleet\'s repoUrl into secrets/<env>/<name>.yaml (SOPS, with the\n' +
    'keys of the .sops.yaml rule for that path) and list it in secrets/<env>/kustomization.yaml. https fleets:\n' +
    'username and password (a token), the password from a masked prompt or --password-stdin, never an argument.\n' +
    'ssh fleets: --private-key-file or --generate-ssh-key (prints the public key on stdout), and --known-hosts-file.',
  options: [
    { name: 'name', type: 'string', placeholder: '<name>', description: `Name of the Secret and its file (default: ${REPO_AUTH_NAME}, the GitRepository's secretRef)` },
    namespaceOption,
    { name: 'username', type: 'string', placeholder: '<user>', description: 'https: the Git user name (asked in a terminal when not given)' },
    { name: 'password-stdin', type: 'boolean', description: 'https: read the password or token from stdin (one line)' },
    { name: 'private-key-file', type: 'string', placeholder: '<file>', description: 'ssh: an existing private deploy key without passphrase (OpenSSH or PEM)' },
    { name: 'generate-ssh-key', type: 'boolean', description: 'ssh: make a new ed25519 deploy key; its public key is printed on stdout' },
    { name: 'known-hosts-file', type: 'string', placeholder: '<file>', description: 'ssh: known_hosts with the Git host\'s keys (ssh-keyscan <host>)' },
    ...runOptions,
  ],
};

export const secretGenericCommand: CommandSpec = {
  usage: 'flux-sops secret generic <env> <name> [options]',
  summary:
    'Seal a Secret <name> into secrets/<env>/<name>.yaml (SOPS, with the keys of the .sops.yaml rule for that path)\n' +
    'and list it in secrets/<env>/kustomization.yaml. Text values go to stringData, binary file content to data.',
  options: [
    { name: 'from-literal', type: 'string', multiple: true, placeholder: '<key>=<value>', description: 'A key and its value (repeatable; prefer --from-file for credentials: arguments show in ps and shell history)' },
    { name: 'from-file', type: 'string', multiple: true, placeholder: '<key>=<path>', description: 'A key and the file holding its value, or just <path> to use its file name as key (repeatable; /dev/stdin works)' },
    namespaceOption,
    ...runOptions,
  ],
};

const secretCommand: CommandSpec = {
  usage: 'flux-sops secret git|generic … [options]',
  summary: [
    'Seal a Secret into the fleet with SOPS, without plaintext on disk:',
    `  ${secretGitCommand.usage.padEnd(secretGenericCommand.usage.length)}  Git credentials of the fleet's repoUrl (secret git --help)`,
    `  ${secretGenericCommand.usage}  any Secret, from files and literals (secret generic --help)`,
  ].join('\n'),
  options: [cwdOption, ...commonOptions],
};

function fleetRootOf(values: ParsedValues): string {
  return typeof values.cwd === 'string' ? resolve(values.cwd) : findFleetRoot(process.cwd());
}

function positionalsOf(command: CommandSpec, positionals: readonly string[], count: number, what: string): string[] {
  if (positionals.length !== count) {
    throw new FluxSopsError('usage', `${command.usage.split(' <')[0]} takes ${what}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}\nUsage: ${command.usage}`);
  }
  return [...positionals];
}

async function runGit(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretGitCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretGitCommand));
    return 0;
  }
  const [environment = ''] = positionalsOf(secretGitCommand, positionals, 1, 'one environment name');
  const { sealGitCredentials } = await import('../secret/command.js');
  return sealGitCredentials(fleetRootOf(values), environment, values);
}

async function runGeneric(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretGenericCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretGenericCommand));
    return 0;
  }
  const [environment = '', name = ''] = positionalsOf(secretGenericCommand, positionals, 2, 'an environment and a Secret name');
  const { sealGenericSecret } = await import('../secret/command.js');
  return sealGenericSecret(fleetRootOf(values), environment, name, values);
}

export async function runSecretCommand(argv: readonly string[]): Promise<number> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'git':
      return runGit(rest);
    case 'generic':
      return runGeneric(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(helpText(secretCommand));
      return 0;
    default:
      throw new FluxSopsError(
        'usage',
        `${kind === undefined ? 'Missing' : `Unknown kind ${describeValue(kind)}:`} flux-sops secret takes git or generic\nUsage: ${secretGitCommand.usage}\n       ${secretGenericCommand.usage}`,
      );
  }
}
