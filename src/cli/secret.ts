// `flux-sops secret git|generic`: seals a real Secret into the fleet without Yeoman. Every input
// is checked and the fleet planned before a value is asked for; values come from a masked prompt,
// stdin or files, are encrypted in memory, and only ciphertext is written. Messages go to stderr;
// stdout carries only the generated public key.
import { resolve } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { describeValue } from '../fleet/inputs.js';
import { FLUX_NAMESPACE } from '../fleet/iam.js';
import { findFleetRoot, REPO_AUTH_NAME } from '../fleet/layout.js';
import { encryptSecret } from '../secret/encrypt.js';
import { readFleetTexts } from '../secret/fleet-files.js';
import { httpsCredentials } from '../secret/git-credentials.js';
import { type GatheredValues, genericValues, readDeployKey, readKnownHosts, sshValues } from '../secret/inputs.js';
import { buildSecretManifest } from '../secret/manifest.js';
import { type SealingPlan, planSealing } from '../secret/plan.js';
import { assertMayReplace, assertPlanWritable, deployKeyInstruction, nextSteps, sealedSummary, sealSecret } from '../secret/seal.js';
import { askHidden, askLine, canPrompt, confirm, readStdin } from '../secret/terminal.js';
import { passwordFromStdin, validateCredential } from '../secret/values.js';
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

function stringOption(values: ParsedValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

function positionalsOf(command: CommandSpec, positionals: readonly string[], count: number, what: string): string[] {
  if (positionals.length !== count) {
    throw new FluxSopsError('usage', `${command.usage.split(' <')[0]} takes ${what}, got ${positionals.length} argument${positionals.length === 1 ? '' : 's'}\nUsage: ${command.usage}`);
  }
  return [...positionals];
}

/** Options of one scheme given on a fleet of the other: said plainly, nothing is done. */
function refuseOptions(values: ParsedValues, options: readonly string[], why: string): void {
  const given = options.filter((option) => values[option] !== undefined);
  if (given.length > 0) {
    throw new FluxSopsError('usage', `${given.map((option) => `--${option}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} not for this fleet: ${why}`);
  }
}

const warn = (warning: string): void => {
  process.stderr.write(`Warning: ${warning}\n`);
};

async function httpsValues(plan: SealingPlan, values: ParsedValues, interactive: boolean, force: boolean): Promise<GatheredValues> {
  refuseOptions(values, ['private-key-file', 'generate-ssh-key', 'known-hosts-file'], `its repoUrl ${plan.repoUrl} is https (username and password)`);
  let username = stringOption(values, 'username');
  if (username === undefined && !interactive) {
    throw new FluxSopsError('input', 'Missing --username: the Git user of the https credentials (with a GitHub token, any non-empty name, e.g. git)');
  }
  if (username !== undefined) {
    const valid = validateCredential(username);
    if (valid !== true) {
      throw new FluxSopsError('input', `Invalid --username: it ${valid}`);
    }
  }
  if (values['password-stdin'] !== true && !interactive) {
    throw new FluxSopsError('input', 'Missing the password: pipe it to --password-stdin (it is never taken as an argument)');
  }
  await assertMayReplace(plan, force, interactive ? confirm : undefined);
  while (username === undefined) {
    const answer = await askLine(`Git user name for ${plan.repoUrl}: `);
    const valid = validateCredential(answer);
    if (valid === true) {
      username = answer;
    } else {
      process.stderr.write(`The user name ${valid}.\n`);
    }
  }
  let password: string | undefined;
  // --password-stdin from a terminal would echo what is typed: the masked prompt reads it instead.
  if (values['password-stdin'] === true && !process.stdin.isTTY) {
    const read = passwordFromStdin(await readStdin());
    if (typeof read !== 'string') {
      throw new FluxSopsError('input', `The password from --password-stdin ${read.problem}`);
    }
    password = read;
  }
  while (password === undefined) {
    const answer = await askHidden('Password or access token (input hidden): ');
    const valid = validateCredential(answer);
    if (valid === true) {
      password = answer;
    } else {
      process.stderr.write(`The password ${valid}.\n`);
    }
  }
  return { entries: httpsCredentials(username, password) };
}

async function sshValuesOf(plan: SealingPlan, values: ParsedValues, interactive: boolean, force: boolean): Promise<GatheredValues> {
  refuseOptions(values, ['username', 'password-stdin'], `its repoUrl ${plan.repoUrl} is ssh (a deploy key and known_hosts)`);
  const keyFile = stringOption(values, 'private-key-file');
  if ((keyFile === undefined) === (values['generate-ssh-key'] !== true)) {
    throw new FluxSopsError('usage', 'An ssh fleet needs exactly one of --private-key-file <file> (an existing deploy key) and --generate-ssh-key (a new one)');
  }
  const knownHostsFile = stringOption(values, 'known-hosts-file');
  if (knownHostsFile === undefined) {
    throw new FluxSopsError(
      'usage',
      "Missing --known-hosts-file <file>: Flux checks the Git host's key against it (make it with ssh-keyscan <host> > known_hosts, then compare the fingerprints with those the host publishes)",
    );
  }
  const knownHosts = readKnownHosts(plan, knownHostsFile, warn);
  const given = keyFile === undefined ? undefined : readDeployKey(keyFile);
  await assertMayReplace(plan, force, interactive ? confirm : undefined);
  return sshValues(plan, knownHosts, given);
}

async function seal(root: string, plan: SealingPlan, gathered: GatheredValues): Promise<number> {
  const manifest = buildSecretManifest(plan.name, plan.namespace, gathered.entries);
  await sealSecret(root, plan, manifest, encryptSecret);
  process.stderr.write(sealedSummary(plan, manifest));
  if (gathered.generatedKey) {
    // The deploy key must be on the Git host before Flux pulls: said before the next steps.
    process.stderr.write(`\n${deployKeyInstruction(plan.repoUrl ?? 'the Git host')}`);
    process.stdout.write(gathered.generatedKey.publicKey);
  }
  process.stderr.write(`\n${nextSteps(plan, root, process.cwd())}`);
  return 0;
}

async function runGit(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretGitCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretGitCommand));
    return 0;
  }
  const [environment = ''] = positionalsOf(secretGitCommand, positionals, 1, 'one environment name');
  const root = fleetRootOf(values);
  const name = stringOption(values, 'name') ?? REPO_AUTH_NAME;
  const plan = planSealing(readFleetTexts(root, environment, name), { environment, name, namespace: stringOption(values, 'namespace') ?? FLUX_NAMESPACE, kind: 'git' });
  assertPlanWritable(root, plan);
  const interactive = canPrompt(values['no-interactive'] === true);
  const force = values.force === true;
  const gathered = plan.repoScheme === 'ssh' ? await sshValuesOf(plan, values, interactive, force) : await httpsValues(plan, values, interactive, force);
  return seal(root, plan, gathered);
}

async function runGeneric(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandLine(secretGenericCommand, argv);
  if (values.help) {
    process.stdout.write(helpText(secretGenericCommand));
    return 0;
  }
  const [environment = '', name = ''] = positionalsOf(secretGenericCommand, positionals, 2, 'an environment and a Secret name');
  const root = fleetRootOf(values);
  const plan = planSealing(readFleetTexts(root, environment, name), { environment, name, namespace: stringOption(values, 'namespace') ?? FLUX_NAMESPACE, kind: 'generic' });
  const entries = genericValues((values['from-literal'] as string[] | undefined) ?? [], (values['from-file'] as string[] | undefined) ?? []);
  assertPlanWritable(root, plan);
  await assertMayReplace(plan, values.force === true, canPrompt(values['no-interactive'] === true) ? confirm : undefined);
  return seal(root, plan, { entries });
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
