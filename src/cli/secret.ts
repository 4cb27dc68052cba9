// `flux-sops secret git|generic|list|show|set`: the command lines and their help, read into
// requests for src/secret/run.ts, which is loaded only when one runs (so `--help` and usage errors
// answer without the AWS SDK). git and generic seal a real Secret without Yeoman (generic --out:
// into a tenant's repository); list, show and set work on the sealed ones.
import { resolve } from 'node:path';
import { describeValue, FluxSopsError } from '../errors.js';
import { FLUX_NAMESPACE } from '../fleet/iam.js';
import { findSopsConfigFolder } from '../fleet/fleet-root.js';
import type { Ports } from '../ports.js';
import type { SecretRequest } from '../secret/run.js';
import {
  type CommandSpec,
  commonOptions,
  cwdOption,
  type ParsedValues,
  parseOrHelp,
  helpText,
  fleetRootOf,
  positionalsOf,
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
        'A key and the file holding its value, or just <path> to use its file name as key (repeatable; ' +
        '/dev/stdin works)',
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
        'Print {"secrets": [{environment, file, kind, namespace, name, keys, masterKeys, lastModified, ' +
        'placeholder, stale, listed, status}]}',
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
    ...secretCommands.map(([command, what]) => {
      const kind = command.usage.split(' ')[2];
      return `  ${command.usage.replace(' [options]', '').padEnd(46)}  ${what} (secret ${kind} --help)`;
    }),
  ].join('\n'),
  options: [cwdOption, ...commonOptions],
};

function stringOf(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function listOf(values: ParsedValues, name: string): string[] {
  return (values[name] as string[] | undefined) ?? [];
}

/** Runs a request through src/secret/run.ts, loaded only now (with the SOPS library). */
async function run(request: SecretRequest, ports: Ports): Promise<number> {
  const { runSecret } = await import('../secret/run.js');
  return runSecret(request, ports);
}

/** The command line read by `command`, or undefined when --help was answered. */
function asking(values: ParsedValues): { force: boolean; noInteractive: boolean } {
  return { force: values.force === true, noInteractive: values['no-interactive'] === true };
}

async function runGit(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(secretGitCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [environment = ''] = positionalsOf(secretGitCommand, positionals, 1, 'one environment name');
  return run(
    {
      command: 'git',
      root: fleetRootOf(values, ports.cwd),
      environment,
      tenant: stringOf(values, 'tenant'),
      username: stringOf(values, 'username'),
      passwordStdin: values['password-stdin'] === true,
      privateKeyFile: stringOf(values, 'private-key-file'),
      generateSshKey: values['generate-ssh-key'] === true,
      knownHostsFile: stringOf(values, 'known-hosts-file'),
      allowOtherHosts: values['allow-other-hosts'] === true,
      ...asking(values),
    },
    ports,
  );
}

async function runGeneric(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(secretGenericCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const sources = { literals: listOf(values, 'from-literal'), files: listOf(values, 'from-file') };
  const out = stringOf(values, 'out');
  if (out !== undefined) {
    const [name = ''] = positionalsOf(
      secretGenericCommand,
      positionals,
      1,
      "one Secret name with --out (in a tenant's repository)",
    );
    const start = resolve(ports.cwd, stringOf(values, 'cwd') ?? '.');
    return run(
      {
        command: 'tenant-repository',
        root: findSopsConfigFolder(start),
        start,
        name,
        namespace: stringOf(values, 'namespace'),
        out,
        ...sources,
        ...asking(values),
      },
      ports,
    );
  }
  const [environment = '', name = ''] = positionalsOf(
    secretGenericCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  return run(
    {
      command: 'generic',
      root: fleetRootOf(values, ports.cwd),
      environment,
      name,
      namespace: stringOf(values, 'namespace'),
      ...sources,
      ...asking(values),
    },
    ports,
  );
}

async function runList(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(secretListCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  return run(
    { command: 'list', root: fleetRootOf(values, ports.cwd), environments: positionals, json: values.json === true },
    ports,
  );
}

async function runShow(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(secretShowCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [environment = '', name = ''] = positionalsOf(
    secretShowCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  return run(
    { command: 'show', root: fleetRootOf(values, ports.cwd), environment, name, key: stringOf(values, 'key') },
    ports,
  );
}

async function runSet(argv: readonly string[], ports: Ports): Promise<number> {
  const line = parseOrHelp(secretSetCommand, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const [environment = '', name = ''] = positionalsOf(
    secretSetCommand,
    positionals,
    2,
    'an environment and a Secret name',
  );
  return run(
    {
      command: 'set',
      root: fleetRootOf(values, ports.cwd),
      environment,
      name,
      literals: listOf(values, 'from-literal'),
      files: listOf(values, 'from-file'),
      unset: listOf(values, 'unset'),
    },
    ports,
  );
}

/** `flux-sops secret <kind> …`: parses, answers --help, and runs the request with the ports. */
export async function runSecretCommand(argv: readonly string[], ports: Ports): Promise<number> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'git':
      return runGit(rest, ports);
    case 'generic':
      return runGeneric(rest, ports);
    case 'list':
      return runList(rest, ports);
    case 'show':
      return runShow(rest, ports);
    case 'set':
      return runSet(rest, ports);
    case '--help':
    case '-h':
    case 'help':
      ports.terminal.out(helpText(secretCommand));
      return 0;
    default:
      throw new FluxSopsError(
        'usage',
        `${kind === undefined ? 'Missing' : `Unknown kind ${describeValue(kind)}:`} flux-sops secret takes git, ` +
          `generic, list, show or set\nUsage: ${secretCommands.map(([command]) => command.usage).join('\n       ')}`,
      );
  }
}
