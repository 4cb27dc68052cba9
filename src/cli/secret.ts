// `flux-sops secret git|generic`: seals a real Secret into the fleet without Yeoman. Every input
// is checked and the fleet planned before a value is asked for; values come from a masked prompt,
// stdin or files, are encrypted in memory, and only ciphertext is written. Messages go to stderr;
// stdout carries only the generated public key. This file holds the command line and its help;
// the sealing (src/secret/command.ts) is loaded only when a Secret is sealed.
import { resolve } from 'node:path';
import { describeValue, FluxSopsError } from '../errors.js';
import { FLUX_NAMESPACE } from '../fleet/iam.js';
import { findFleetRoot } from '../fleet/fleet-root.js';
import {
  type CommandSpec,
  commonOptions,
  cwdOption,
  helpText,
  type ParsedValues,
  parseCommandLine,
} from './command-spec.js';

const runOptions = [
  { name: 'force', type: 'boolean', description: 'Replace a sealed Secret at the same path without asking' },
  { name: 'no-interactive', type: 'boolean', description: 'Never prompt; a missing value is an error' },
  cwdOption,
  ...commonOptions,
] as const;

const namespaceOption = {
  name: 'namespace',
  type: 'string',
  placeholder: '<namespace>',
  description: `Namespace of the Secret: ${FLUX_NAMESPACE} (the default) or a tenant's namespace in that environment`,
} as const;

export const secretGitCommand: CommandSpec = {
  usage: 'flux-sops secret git <env> [options]',
  summary:
    "Seal the Git credentials of a tenant's repository into secrets/<env>/<tenant>-auth.yaml, in the tenant's\n" +
    'namespace (SOPS, with the keys of the .sops.yaml rule for that path), and list it in\n' +
    'secrets/<env>/kustomization.yaml. Give each tenant its own read-only credential. https repositories:\n' +
    'username and password (a token), the password from a masked prompt or --password-stdin, never an argument.\n' +
    'ssh repositories: --private-key-file or --generate-ssh-key (one deploy key per repository; prints the public\n' +
    'key on stdout), and --known-hosts-file.',
  options: [
    {
      name: 'tenant',
      type: 'string',
      placeholder: '<tenant>',
      description: 'The tenant whose repository this is (may be left out when the environment has one tenant)',
    },
    {
      name: 'username',
      type: 'string',
      placeholder: '<user>',
      description: 'https: the Git user name (asked in a terminal when not given)',
    },
    { name: 'password-stdin', type: 'boolean', description: 'https: read the password or token from stdin (one line)' },
    {
      name: 'private-key-file',
      type: 'string',
      placeholder: '<file>',
      description: 'ssh: an existing private deploy key without passphrase (OpenSSH or PEM)',
    },
    {
      name: 'generate-ssh-key',
      type: 'boolean',
      description: 'ssh: make a new ed25519 deploy key; its public key is printed on stdout',
    },
    {
      name: 'known-hosts-file',
      type: 'string',
      placeholder: '<file>',
      description: "ssh: known_hosts with the Git host's keys (ssh-keyscan <host>)",
    },
    {
      name: 'allow-other-hosts',
      type: 'boolean',
      description: 'ssh: seal a known_hosts that has no key for the Git host (refused otherwise, exit 2)',
    },
    ...runOptions,
  ],
};

export const secretGenericCommand: CommandSpec = {
  usage: 'flux-sops secret generic <env> <name> [options]',
  summary:
    'Seal a Secret <name> into secrets/<env>/<name>.yaml (SOPS, with the keys of the .sops.yaml rule for that path)\n' +
    'and list it in secrets/<env>/kustomization.yaml. Text values go to stringData, binary file content to data.\n' +
    "In a tenant's repository (its nearest .sops.yaml has no fleet beside it): flux-sops secret generic <name>\n" +
    '--namespace <namespace> --out <path> seals into <path> by the first rule of that .sops.yaml matching it, and\n' +
    'lists nothing.',
  options: [
    {
      name: 'out',
      type: 'string',
      placeholder: '<path>',
      description: "In a tenant's repository: the file to seal into (relative to the current folder or --cwd)",
    },
    {
      name: 'from-literal',
      type: 'string',
      multiple: true,
      placeholder: '<key>=<value>',
      description:
        'A key and its value (repeatable; prefer --from-file for credentials: arguments show in ps and shell history)',
    },
    {
      name: 'from-file',
      type: 'string',
      multiple: true,
      placeholder: '<key>=<path>',
      description:
        'A key and the file holding its value, or just <path> to use its file name as key (repeatable; /dev/stdin works)',
    },
    namespaceOption,
    ...runOptions,
  ],
};

export const secretListCommand: CommandSpec = {
  usage: 'flux-sops secret list [<env>…] [options]',
  summary:
    'List every sealed Secret of the given environments (all when none is given): file, namespace/name, keys\n' +
    '(names only), master keys, lastmodified, and its status: sealed or placeholder, "stale keys" when its\n' +
    'master keys differ from its .sops.yaml rule (flux-sops updatekeys), "unlisted" when secrets/<env>/\n' +
    'kustomization.yaml does not list it. Never decrypts; needs no AWS access.',
  options: [
    {
      name: 'json',
      type: 'boolean',
      description:
        'Print {"secrets": [{environment, file, kind, namespace, name, keys, masterKeys, lastModified, placeholder, stale, listed, status}]}',
    },
    cwdOption,
    ...commonOptions,
  ],
};

export const secretShowCommand: CommandSpec = {
  usage: 'flux-sops secret show <env> <name> [options]',
  summary:
    'Decrypt the sealed Secret <name> of <env> and print it (like sops -d), or one value with --key, on stdout\n' +
    "only. The data key is unwrapped with AWS KMS (the SDK's default credential chain) or an age identity from\n" +
    'SOPS_AGE_KEY_FILE or SOPS_AGE_KEY; a file whose MAC does not match its values is refused.',
  options: [
    {
      name: 'key',
      type: 'string',
      placeholder: '<key>',
      description: 'Print only this value, as its bytes (a data value decoded from base64), without a line break added',
    },
    cwdOption,
    ...commonOptions,
  ],
};

export const secretSetCommand: CommandSpec = {
  usage: 'flux-sops secret set <env> <name> [options]',
  summary:
    'Change values of the sealed Secret <name> of <env>: the other values are kept, every value is encrypted\n' +
    "again with fresh IVs under the file's data key, with a new MAC and lastmodified; the file's master keys are\n" +
    'kept (flux-sops updatekeys makes them follow .sops.yaml). Needs decrypt rights (KMS or an age identity).\n' +
    'Nothing is written unencrypted; the file is replaced all or nothing.',
  options: [
    {
      name: 'from-literal',
      type: 'string',
      multiple: true,
      placeholder: '<key>=<value>',
      description:
        'Set a key to a value (repeatable; prefer --from-file for credentials: arguments show in ps and shell history)',
    },
    {
      name: 'from-file',
      type: 'string',
      multiple: true,
      placeholder: '<key>=<path>',
      description:
        'Set a key to the content of a file, or just <path> to use its file name as key (repeatable; /dev/stdin works)',
    },
    {
      name: 'unset',
      type: 'string',
      multiple: true,
      placeholder: '<key>',
      description: 'Remove a key (repeatable; the last key of a Secret cannot be removed)',
    },
    cwdOption,
    ...commonOptions,
  ],
};

const secretCommands = [
  [secretGitCommand, "Git credentials of a tenant's repository"],
  [secretGenericCommand, 'any Secret, from files and literals'],
  [secretListCommand, 'every sealed Secret, never decrypted'],
  [secretShowCommand, 'a sealed Secret, decrypted to stdout'],
  [secretSetCommand, 'change or remove values of a sealed Secret'],
] as const;

const secretCommand: CommandSpec = {
  usage: 'flux-sops secret git|generic|list|show|set … [options]',
  summary: [
    'Seal, list, show and change Secrets of the fleet with SOPS, without plaintext on disk:',
    ...secretCommands.map(
      ([command, what]) =>
        `  ${command.usage.replace(' [options]', '').padEnd(46)}  ${what} (secret ${command.usage.split(' ')[2]} --help)`,
    ),
  ].join('\n'),
  options: [cwdOption, ...commonOptions],
};

function fleetRootOf(values: ParsedValues): string {
  return typeof values.cwd === 'string' ? resolve(values.cwd) : findFleetRoot(process.cwd());
}

function positionalsOf(command: CommandSpec, positionals: readonly string[], count: number, what: string): string[] {
  if (positionals.length !== count) {
    throw new FluxSopsError(
      'usage',
      `${command.usage.split(' <')[0]} takes ${what}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}\nUsage: ${command.usage}`,
    );
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
  if (typeof values.out === 'string') {
    const [name = ''] = positionalsOf(
      secretGenericCommand,
      positionals,
      1,
      "one Secret name with --out (in a tenant's repository)",
    );
    const { sealInTenantRepository } = await import('../secret/command.js');
    return sealInTenantRepository(resolve(typeof values.cwd === 'string' ? values.cwd : '.'), name, values.out, values);
  }
  const [environment = '', name = ''] = positionalsOf(
    secretGenericCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  const { sealGenericSecret } = await import('../secret/command.js');
  return sealGenericSecret(fleetRootOf(values), environment, name, values);
}

async function runList(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretListCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretListCommand));
    return 0;
  }
  const { runList: list } = await import('../secret/day-to-day.js');
  return list(fleetRootOf(values), positionals, values.json === true);
}

async function runShow(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretShowCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretShowCommand));
    return 0;
  }
  const [environment = '', name = ''] = positionalsOf(
    secretShowCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  const { runShow: show } = await import('../secret/day-to-day.js');
  return show(fleetRootOf(values), environment, name, typeof values.key === 'string' ? values.key : undefined);
}

async function runSet(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretSetCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretSetCommand));
    return 0;
  }
  const [environment = '', name = ''] = positionalsOf(
    secretSetCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  const literals = (values['from-literal'] as string[] | undefined) ?? [];
  const files = (values['from-file'] as string[] | undefined) ?? [];
  const { genericValues } = await import('../secret/inputs.js');
  const { runSet: set } = await import('../secret/day-to-day.js');
  const root = fleetRootOf(values);
  const changes = {
    set: literals.length + files.length === 0 ? [] : await genericValues(literals, files, root),
    unset: (values.unset as string[] | undefined) ?? [],
  };
  return set(root, environment, name, changes);
}

export async function runSecretCommand(argv: readonly string[]): Promise<number> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'git':
      return runGit(rest);
    case 'generic':
      return runGeneric(rest);
    case 'list':
      return runList(rest);
    case 'show':
      return runShow(rest);
    case 'set':
      return runSet(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(helpText(secretCommand));
      return 0;
    default:
      throw new FluxSopsError(
        'usage',
        `${kind === undefined ? 'Missing' : `Unknown kind ${describeValue(kind)}:`} flux-sops secret takes git, generic, list, show or set\nUsage: ${secretCommands.map(([command]) => command.usage).join('\n       ')}`,
      );
  }
}
