// The command-line side of `flux-sops secret git|generic` once its arguments are read: checks
// every option against the fleet's plan, asks or reads the values (masked prompt, stdin, files),
// seals, and tells what was done on stderr; stdout gets only a generated public key. Loaded only
// when a Secret is sealed, so `--help` and usage errors answer without the AWS SDK.
import { FluxSopsError } from '../errors.js';
import { encryptDocument } from '../sops/index.js';
import { assertWritable, writeAllOrNothing } from '../disk/writer.js';
import { encryptSecret } from './encrypt.js';
import { placeholdersLeft, readFleetTexts, readStoredFleetFacts } from './fleet-files.js';
import { httpsCredentials } from './git-credentials.js';
import {
  assertSecretSize,
  type GatheredValues,
  genericValues,
  readDeployKey,
  readKnownHosts,
  sshValues,
} from './inputs.js';
import { buildSecretManifest, keysOf, secretObject } from './manifest.js';
import { type SealingPlan, planSealing, sealingTargetOf } from './plan.js';
import {
  assertMayReplace,
  assertPlanWritable,
  deployKeyInstruction,
  describeKeys,
  nextSteps,
  sealedSummary,
  sealSecret,
} from './seal.js';
import { planTenantSealing } from './tenant-repository.js';
import { askHidden, askLine, canPrompt, confirm, readStdin } from '../terminal.js';
import { passwordFromStdin, validateCredential } from './values.js';

/** The parsed options of the command line (node:util parseArgs values). */
export type CommandValues = Readonly<Record<string, string | boolean | string[] | undefined>>;

function stringOption(values: CommandValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** Options of one scheme given on a fleet of the other: said plainly, nothing is done. */
function refuseOptions(values: CommandValues, options: readonly string[], why: string): void {
  const given = options.filter((option) => values[option] !== undefined);
  if (given.length > 0) {
    throw new FluxSopsError(
      'usage',
      `${given.map((option) => `--${option}`).join(', ')} ${given.length === 1 ? 'is' : 'are'} not for this fleet: ${why}`,
    );
  }
}

const warn = (warning: string): void => {
  process.stderr.write(`Warning: ${warning}\n`);
};

async function httpsValues(
  plan: SealingPlan,
  values: CommandValues,
  interactive: boolean,
  force: boolean,
): Promise<GatheredValues> {
  refuseOptions(
    values,
    ['private-key-file', 'generate-ssh-key', 'known-hosts-file'],
    `its repoUrl ${plan.repoUrl} is https (username and password)`,
  );
  let username = stringOption(values, 'username');
  if (username === undefined && !interactive) {
    throw new FluxSopsError(
      'input',
      'Missing --username: the Git user of the https credentials (with a GitHub token, any non-empty name, e.g. git)',
    );
  }
  if (username !== undefined) {
    const valid = validateCredential(username);
    if (valid !== true) {
      throw new FluxSopsError('input', `Invalid --username: it ${valid}`);
    }
  }
  if (values['password-stdin'] !== true && !interactive) {
    throw new FluxSopsError(
      'input',
      'Missing the password: pipe it to --password-stdin (it is never taken as an argument)',
    );
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

async function sshValuesOf(
  root: string,
  plan: SealingPlan,
  values: CommandValues,
  interactive: boolean,
  force: boolean,
): Promise<GatheredValues> {
  refuseOptions(
    values,
    ['username', 'password-stdin'],
    `its repoUrl ${plan.repoUrl} is ssh (a deploy key and known_hosts)`,
  );
  const keyFile = stringOption(values, 'private-key-file');
  if ((keyFile === undefined) === (values['generate-ssh-key'] !== true)) {
    throw new FluxSopsError(
      'usage',
      'An ssh fleet needs exactly one of --private-key-file <file> (an existing deploy key) and --generate-ssh-key (a new one)',
    );
  }
  const knownHostsFile = stringOption(values, 'known-hosts-file');
  if (knownHostsFile === undefined) {
    throw new FluxSopsError(
      'usage',
      "Missing --known-hosts-file <file>: Flux checks the Git host's key against it (make it with ssh-keyscan <host> > known_hosts, then compare the fingerprints with those the host publishes)",
    );
  }
  const knownHosts = readKnownHosts(plan, knownHostsFile, values['allow-other-hosts'] === true, warn);
  const given = keyFile === undefined ? undefined : readDeployKey(root, keyFile);
  await assertMayReplace(plan, force, interactive ? confirm : undefined);
  return sshValues(plan, knownHosts, given);
}

async function seal(root: string, plan: SealingPlan, gathered: GatheredValues): Promise<number> {
  assertSecretSize(gathered.entries);
  const manifest = buildSecretManifest(plan.name, plan.namespace, gathered.entries);
  await sealSecret(root, plan, manifest, encryptSecret);
  process.stderr.write(sealedSummary(plan, manifest));
  if (gathered.generatedKey) {
    // The deploy key must be on the Git host before Flux pulls: said before the next steps.
    process.stderr.write(`\n${deployKeyInstruction(plan.repoUrl ?? 'the Git host')}`);
    process.stdout.write(gathered.generatedKey.publicKey);
  }
  process.stderr.write(
    `\n${nextSteps(plan, root, process.cwd(), placeholdersLeft(root, plan.environment, plan.path))}`,
  );
  return 0;
}

/** `flux-sops secret git <env> [--tenant T]`: a tenant's Git credentials, for its URL's scheme. */
export async function sealGitCredentials(root: string, environment: string, values: CommandValues): Promise<number> {
  const tenant = stringOption(values, 'tenant');
  const target = sealingTargetOf(readStoredFleetFacts(root), {
    environment,
    kind: 'git',
    ...(tenant === undefined ? {} : { tenant }),
  });
  const plan = planSealing(readFleetTexts(root, environment, target.name), { environment, ...target, kind: 'git' });
  assertPlanWritable(root, plan);
  const interactive = canPrompt(values['no-interactive'] === true);
  const force = values.force === true;
  const gathered =
    plan.repoScheme === 'ssh'
      ? await sshValuesOf(root, plan, values, interactive, force)
      : await httpsValues(plan, values, interactive, force);
  return seal(root, plan, gathered);
}

/** `flux-sops secret generic <env> <name>`: any Secret, from --from-literal and --from-file. */
export async function sealGenericSecret(
  root: string,
  environment: string,
  name: string,
  values: CommandValues,
): Promise<number> {
  const namespace = stringOption(values, 'namespace');
  const target = sealingTargetOf(readStoredFleetFacts(root), {
    environment,
    kind: 'generic',
    name,
    ...(namespace === undefined ? {} : { namespace }),
  });
  const plan = planSealing(readFleetTexts(root, environment, name), { environment, ...target, kind: 'generic' });
  const entries = await genericValues(
    (values['from-literal'] as string[] | undefined) ?? [],
    (values['from-file'] as string[] | undefined) ?? [],
    root,
  );
  assertPlanWritable(root, plan);
  await assertMayReplace(
    plan,
    values.force === true,
    canPrompt(values['no-interactive'] === true) ? confirm : undefined,
  );
  return seal(root, plan, { entries });
}

/**
 * `flux-sops secret generic <name> --namespace N --out PATH` in a tenant's repository: sealed
 * into PATH by the first rule of the nearest `.sops.yaml` matching it; nothing is listed.
 */
export async function sealInTenantRepository(
  start: string,
  name: string,
  out: string,
  values: CommandValues,
): Promise<number> {
  const plan = planTenantSealing(start, name, stringOption(values, 'namespace'), out);
  const entries = await genericValues(
    (values['from-literal'] as string[] | undefined) ?? [],
    (values['from-file'] as string[] | undefined) ?? [],
    plan.root,
  );
  assertWritable(plan.root, [plan.path]);
  await assertMayReplace(
    plan,
    values.force === true,
    canPrompt(values['no-interactive'] === true) ? confirm : undefined,
  );
  const manifest = buildSecretManifest(plan.name, plan.namespace, entries);
  const sealed = await encryptDocument(secretObject(manifest), {
    keys: { kms: [...plan.keys.kms], age: [...plan.keys.age] },
    ...plan.selectors,
  });
  writeAllOrNothing(plan.root, [{ path: plan.path, contents: sealed }]);
  process.stderr.write(
    [
      `Sealed ${plan.path}${plan.existing === 'sealed' ? ' (replacing the previous Secret)' : ''} in ${plan.root}: Secret ${plan.namespace}/${plan.name} (${keysOf(manifest).join(', ')}) for ${describeKeys(plan)}.`,
      'Nothing was listed: add it to the kustomization of your repository that Flux applies.',
      'Next:',
      `  git add ${plan.path} && git commit -m "Seal ${plan.name}" && git push`,
      '',
    ].join('\n'),
  );
  return 0;
}
