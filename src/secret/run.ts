// `flux-sops secret git|generic|list|show|set`, and sealing in a tenant's repository, once the
// command line is read into a request. Every option is checked and the fleet planned before a
// value is asked for; values come from a masked prompt, stdin or files, are encrypted in memory,
// and only ciphertext is written. list never decrypts; show decrypts (MAC verified first) to
// stdout only; set changes values under the file's own data key and master keys, all or
// nothing. The fleet is read and written through ports.disk, messages and questions go through
// ports.terminal (stdout carries only a generated public key, a listing or a decrypted value),
// keys come from ports.keySources() and the time from ports.clock(). Loaded only when one of the
// commands runs, so `--help` and usage errors answer without the AWS SDK.
import { stringify } from 'yaml';
import type { FleetDisk } from '../disk/index.js';
import { describeValue, FluxSopsError, fromSopsError } from '../errors.js';
import { selectEnvironments } from '../fleet/environments.js';
import type { Ports, Terminal } from '../ports.js';
import { decryptDocument, editValues, type OpenOptions } from '../sops/index.js';
import {
  applyValueChanges,
  assertValidChanges,
  describeChanges,
  findSealedSecret,
  secretKeysOf,
  type ValueChanges,
} from './change.js';
import { assertValuesEncrypted, encryptSecret, type SealingKeys } from './encrypt.js';
import { readFleetTexts, readStoredFleetFacts } from './fleet-files.js';
import { httpsCredentials } from './git-credentials.js';
import {
  assertSecretSize,
  type GatheredValues,
  genericValues,
  readDeployKey,
  readKnownHosts,
  sshValues,
  type UserFiles,
  MAX_SECRET_BYTES,
} from './inputs.js';
import { formatListing, formatListingJson, listSealedSecrets, type SealedSecretListing } from './list.js';
import { buildSecretManifest, keysOf } from './manifest.js';
import { planSealing, type SealingPlan, sealingTargetOf } from './plan.js';
import { assertMayReplace, assertPlanWritable, describeKeys, sealSecret, tellSealed } from './seal.js';
import { planTenantSealing } from './tenant-repository.js';
import { passwordFromStdin, validateCredential } from './values.js';

/** How a sealing run may ask: `--force` replaces a sealed Secret, `--no-interactive` never prompts. */
interface Asking {
  readonly force: boolean;
  readonly noInteractive: boolean;
}

/** `flux-sops secret git <env>`: a tenant's Git credentials, for its URL's scheme. */
interface GitSecretRequest extends Asking {
  readonly command: 'git';
  /** The fleet's folder. */
  readonly root: string;
  readonly environment: string;
  readonly tenant: string | undefined;
  /** https. */
  readonly username: string | undefined;
  readonly passwordStdin: boolean;
  /** ssh. */
  readonly privateKeyFile: string | undefined;
  readonly generateSshKey: boolean;
  readonly knownHostsFile: string | undefined;
  readonly allowOtherHosts: boolean;
}

/** The values of a generic Secret: `--from-literal KEY=VALUE` and `--from-file KEY=PATH` items. */
interface ValueSources {
  readonly literals: readonly string[];
  readonly files: readonly string[];
}

/** `flux-sops secret generic <env> <name>`: any Secret, into the fleet. */
interface GenericSecretRequest extends Asking, ValueSources {
  readonly command: 'generic';
  readonly root: string;
  readonly environment: string;
  readonly name: string;
  readonly namespace: string | undefined;
}

/** `flux-sops secret generic <name> --namespace N --out PATH` in a tenant's repository. */
interface TenantSecretRequest extends Asking, ValueSources {
  readonly command: 'tenant-repository';
  /** The folder of the nearest `.sops.yaml` at or above `start` (`start` itself when there is none). */
  readonly root: string;
  /** The working folder (`--cwd`), which `out` is relative to. */
  readonly start: string;
  readonly name: string;
  readonly namespace: string | undefined;
  readonly out: string;
}

/** `flux-sops secret list [env…] [--json]`. */
interface ListSecretsRequest {
  readonly command: 'list';
  readonly root: string;
  /** None: every environment. */
  readonly environments: readonly string[];
  readonly json: boolean;
}

/** `flux-sops secret show <env> <name> [--key K]`. */
interface ShowSecretRequest {
  readonly command: 'show';
  readonly root: string;
  readonly environment: string;
  readonly name: string;
  readonly key: string | undefined;
}

/** `flux-sops secret set <env> <name> …`. */
interface SetSecretRequest extends ValueSources {
  readonly command: 'set';
  readonly root: string;
  readonly environment: string;
  readonly name: string;
  readonly unset: readonly string[];
}

export type SecretRequest =
  | GitSecretRequest
  | GenericSecretRequest
  | TenantSecretRequest
  | ListSecretsRequest
  | ShowSecretRequest
  | SetSecretRequest;

/** Runs one `flux-sops secret` request; returns the exit status (problems are thrown as FluxSopsErrors). */
export async function runSecret(request: SecretRequest, ports: Ports): Promise<number> {
  const disk = ports.disk(request.root);
  switch (request.command) {
    case 'git':
      return sealGitCredentials(disk, request, ports);
    case 'generic':
      return sealGenericSecret(disk, request, ports);
    case 'tenant-repository':
      return sealInTenantRepository(disk, request, ports);
    case 'list': {
      const listings = listFleetSecrets(disk, request.environments);
      ports.terminal.out(request.json ? formatListingJson(listings) : formatListing(listings));
      return 0;
    }
    case 'show':
      return showSecret(disk, request, ports);
    case 'set':
      return setValues(disk, request, ports);
  }
}

/** The key sources and the time of a sealing or a change, from the ports. */
async function sealingKeysOf(ports: Ports): Promise<SealingKeys> {
  return { keySources: await ports.keySources(), now: ports.clock() };
}

/** The user's files of values: paths relative to the command's folder, kept out of the fleet's Git; stdin. */
function userFiles(disk: FleetDisk, ports: Ports): UserFiles {
  return { cwd: ports.cwd, disk, readStdin: (limit) => ports.terminal.readStdin(limit) };
}

/** Whether questions may be asked: a terminal, and no `--no-interactive`. */
function mayAsk(request: Asking, terminal: Terminal): boolean {
  return !request.noInteractive && terminal.canPrompt;
}

/** The question asked before replacing a sealed Secret, when questions may be asked. */
function confirmerOf(request: Asking, terminal: Terminal): ((question: string) => Promise<boolean>) | undefined {
  return mayAsk(request, terminal) ? (question) => terminal.confirm(question) : undefined;
}

/** Options of one scheme given on a fleet of the other: said plainly, nothing is done. */
function refuseOptions(given: readonly [string, boolean][], why: string): void {
  const options = given.filter(([, present]) => present).map(([option]) => `--${option}`);
  if (options.length > 0) {
    throw new FluxSopsError(
      'usage',
      `${options.join(', ')} ${options.length === 1 ? 'is' : 'are'} not for this fleet: ${why}`,
    );
  }
}

async function httpsValues(plan: SealingPlan, request: GitSecretRequest, terminal: Terminal): Promise<GatheredValues> {
  refuseOptions(
    [
      ['private-key-file', request.privateKeyFile !== undefined],
      ['generate-ssh-key', request.generateSshKey],
      ['known-hosts-file', request.knownHostsFile !== undefined],
    ],
    `its repoUrl ${plan.repoUrl} is https (username and password)`,
  );
  const interactive = mayAsk(request, terminal);
  let username = request.username;
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
  if (!request.passwordStdin && !interactive) {
    throw new FluxSopsError(
      'input',
      'Missing the password: pipe it to --password-stdin (it is never taken as an argument)',
    );
  }
  await assertMayReplace(plan, request.force, confirmerOf(request, terminal));
  while (username === undefined) {
    const answer = await terminal.askLine(`Git user name for ${plan.repoUrl}: `);
    const valid = validateCredential(answer);
    if (valid === true) {
      username = answer;
    } else {
      terminal.err(`The user name ${valid}.\n`);
    }
  }
  let password: string | undefined;
  // --password-stdin from a terminal would echo what is typed: the masked prompt reads it instead.
  if (request.passwordStdin && !terminal.stdinIsTerminal) {
    const bytes = await terminal.readStdin(MAX_SECRET_BYTES);
    const read = bytes.length > MAX_SECRET_BYTES ? { problem: 'is larger than 1 MiB' } : passwordFromStdin(bytes);
    if (typeof read !== 'string') {
      throw new FluxSopsError('input', `The password from --password-stdin ${read.problem}`);
    }
    password = read;
  }
  while (password === undefined) {
    const answer = await terminal.askHidden('Password or access token (input hidden): ');
    const valid = validateCredential(answer);
    if (valid === true) {
      password = answer;
    } else {
      terminal.err(`The password ${valid}.\n`);
    }
  }
  return { entries: httpsCredentials(username, password) };
}

async function sshValuesOf(
  disk: FleetDisk,
  plan: SealingPlan,
  request: GitSecretRequest,
  { cwd, terminal }: Ports,
): Promise<GatheredValues> {
  refuseOptions(
    [
      ['username', request.username !== undefined],
      ['password-stdin', request.passwordStdin],
    ],
    `its repoUrl ${plan.repoUrl} is ssh (a deploy key and known_hosts)`,
  );
  const keyFile = request.privateKeyFile;
  if ((keyFile === undefined) === !request.generateSshKey) {
    throw new FluxSopsError(
      'usage',
      'An ssh fleet needs exactly one of --private-key-file <file> (an existing deploy key) and ' +
        '--generate-ssh-key (a new one)',
    );
  }
  if (request.knownHostsFile === undefined) {
    throw new FluxSopsError(
      'usage',
      "Missing --known-hosts-file <file>: Flux checks the Git host's key against it (make it with ssh-keyscan " +
        '<host> > known_hosts, then compare the fingerprints with those the host publishes)',
    );
  }
  const knownHosts = readKnownHosts(plan, cwd, request.knownHostsFile, request.allowOtherHosts, (warning) =>
    terminal.err(`Warning: ${warning}\n`),
  );
  const given = keyFile === undefined ? undefined : readDeployKey(disk, cwd, keyFile);
  await assertMayReplace(plan, request.force, confirmerOf(request, terminal));
  return sshValues(plan, knownHosts, given);
}

/** Seals into the fleet and lists it, then tells what was done and what to do next. */
async function seal(disk: FleetDisk, plan: SealingPlan, gathered: GatheredValues, ports: Ports): Promise<number> {
  const { terminal } = ports;
  assertSecretSize(gathered.entries);
  const manifest = buildSecretManifest(plan.name, plan.namespace, gathered.entries);
  const keys = await sealingKeysOf(ports);
  await sealSecret(disk, plan, manifest, (secret, target) => encryptSecret(secret, target, keys));
  tellSealed(
    { disk, cwd: ports.cwd, plan, manifest },
    gathered.generatedKey?.publicKey,
    (text) => terminal.err(text),
    (publicKey) => terminal.out(publicKey),
  );
  return 0;
}

async function sealGitCredentials(disk: FleetDisk, request: GitSecretRequest, ports: Ports): Promise<number> {
  const { environment, tenant } = request;
  const target = sealingTargetOf(readStoredFleetFacts(disk), {
    environment,
    kind: 'git',
    ...(tenant === undefined ? {} : { tenant }),
  });
  const plan = planSealing(readFleetTexts(disk, environment, target.name), { environment, ...target, kind: 'git' });
  assertPlanWritable(disk, plan);
  const gathered =
    plan.repoScheme === 'ssh'
      ? await sshValuesOf(disk, plan, request, ports)
      : await httpsValues(plan, request, ports.terminal);
  return seal(disk, plan, gathered, ports);
}

async function sealGenericSecret(disk: FleetDisk, request: GenericSecretRequest, ports: Ports): Promise<number> {
  const { environment, name, namespace } = request;
  const target = sealingTargetOf(readStoredFleetFacts(disk), {
    environment,
    kind: 'generic',
    name,
    ...(namespace === undefined ? {} : { namespace }),
  });
  const plan = planSealing(readFleetTexts(disk, environment, name), { environment, ...target, kind: 'generic' });
  const entries = await genericValues(request.literals, request.files, userFiles(disk, ports));
  assertPlanWritable(disk, plan);
  await assertMayReplace(plan, request.force, confirmerOf(request, ports.terminal));
  return seal(disk, plan, { entries }, ports);
}

/**
 * In a tenant's repository: sealed into `out` by the first rule of the nearest `.sops.yaml`
 * matching it (`disk` is that file's folder); nothing is listed.
 */
async function sealInTenantRepository(disk: FleetDisk, request: TenantSecretRequest, ports: Ports): Promise<number> {
  const plan = planTenantSealing(disk, request.start, request.name, request.namespace, request.out);
  const entries = await genericValues(request.literals, request.files, userFiles(disk, ports));
  disk.assertWritable([plan.path]);
  await assertMayReplace(plan, request.force, confirmerOf(request, ports.terminal));
  const manifest = buildSecretManifest(plan.name, plan.namespace, entries);
  const sealed = await encryptSecret(manifest, plan, await sealingKeysOf(ports));
  disk.writeAllOrNothing([{ path: plan.path, contents: sealed }]);
  const replacing = plan.existing === 'sealed' ? ' (replacing the previous Secret)' : '';
  ports.terminal.err(
    [
      `Sealed ${plan.path}${replacing} in ${plan.root}: Secret ${plan.namespace}/${plan.name} ` +
        `(${keysOf(manifest).join(', ')}) for ${describeKeys(plan)}.`,
      'Nothing was listed: add it to the kustomization of your repository that Flux applies.',
      'Next:',
      `  git add ${plan.path} && git commit -m "Seal ${plan.name}" && git push`,
      '',
    ].join('\n'),
  );
  return 0;
}

/** The sealed Secrets of the chosen environments (all when none is named), and the texts they were read from. */
function readListings(
  disk: FleetDisk,
  environments: readonly string[],
): { listings: SealedSecretListing[]; texts: ReadonlyMap<string, string> } {
  const chosen = selectEnvironments(disk, environments);
  const { texts } = disk.committed();
  return { listings: listSealedSecrets(texts, chosen), texts };
}

/** Every sealed Secret of the chosen environments (all when none is named), read as `flux-sops check` reads. */
export function listFleetSecrets(disk: FleetDisk, environments: readonly string[]): SealedSecretListing[] {
  return readListings(disk, environments).listings;
}

/** The sealed Secret `name` of an environment, and its text. */
function sealedSecretOf(
  disk: FleetDisk,
  environment: string,
  name: string,
): { listing: SealedSecretListing; text: string } {
  const { listings, texts } = readListings(disk, [environment]);
  const listing = findSealedSecret(listings, environment, name);
  return { listing, text: texts.get(listing.file) as string };
}

/** A library or product error about one file, with the file named; anything else as it is. */
function inFile(file: string, error: unknown): unknown {
  const mapped = fromSopsError(error);
  return mapped instanceof FluxSopsError ? new FluxSopsError(mapped.kind, `${file}: ${mapped.message}`) : mapped;
}

/** How the SOPS library opens a file: the key sources, and the environment naming age identities. */
async function openOptionsOf(ports: Ports): Promise<OpenOptions> {
  return { keySources: await ports.keySources(), env: ports.env };
}

/**
 * The decrypted Secret as YAML (like `sops -d`), or the bytes of one value (a `data` value
 * decoded from base64), on stdout only. A file whose MAC does not match its values is refused
 * before anything is printed.
 */
async function showSecret(disk: FleetDisk, request: ShowSecretRequest, ports: Ports): Promise<number> {
  const { key } = request;
  const { listing, text } = sealedSecretOf(disk, request.environment, request.name);
  const { document } = await decryptDocument(text, await openOptionsOf(ports)).catch((error: unknown) => {
    throw inFile(listing.file, error);
  });
  if (key === undefined) {
    ports.terminal.out(stringify(document, { lineWidth: 0 }));
    return 0;
  }
  const secret = document as { stringData?: Record<string, unknown>; data?: Record<string, unknown> };
  if (secret.stringData !== undefined && Object.hasOwn(secret.stringData, key)) {
    ports.terminal.out(String(secret.stringData[key]));
  } else if (secret.data !== undefined && Object.hasOwn(secret.data, key)) {
    ports.terminal.outBytes(Buffer.from(String(secret.data[key]), 'base64'));
  } else {
    throw new FluxSopsError(
      'input',
      `--key ${describeValue(key)}: ${listing.file} has no such key (it has ${listing.keys.join(', ') || 'none'})`,
    );
  }
  return 0;
}

/**
 * Changes values of a sealed Secret (`flux-sops secret set`, and `yo flux-sops:secret`'s
 * "change"): the other values kept, every value encrypted again under the file's data key with
 * fresh IVs, a new MAC and lastmodified; the file's master keys kept (`warn` names `updatekeys`
 * when they lag behind its rule). Written all or nothing. Returns what to tell the user.
 */
export async function changeSealedSecret(
  disk: FleetDisk,
  change: { readonly environment: string; readonly name: string; readonly changes: ValueChanges },
  ports: Pick<Ports, 'keySources' | 'clock' | 'env'>,
  warn: (warning: string) => void,
): Promise<string> {
  const { environment, name, changes } = change;
  assertValidChanges(changes);
  const { listing, text } = sealedSecretOf(disk, environment, name);
  disk.assertWritable([listing.file]);
  if (listing.stale !== null) {
    warn(
      `${listing.file} has master keys that differ from its .sops.yaml rule (${listing.stale}); they are kept: ` +
        `run flux-sops updatekeys ${environment} to follow the rule.`,
    );
  }
  let before: string[] = [];
  const options = { keySources: await ports.keySources(), env: ports.env, now: ports.clock() };
  const changed = await editValues(
    text,
    (document) => {
      before = secretKeysOf(document);
      return applyValueChanges(document, changes);
    },
    options,
  ).catch((error: unknown) => {
    throw inFile(listing.file, error);
  });
  assertValuesEncrypted(changed);
  // Under the fleet lock, and only if the file still holds the text the change was made from.
  disk.withLock(() => {
    if (disk.text(listing.file) !== text) {
      throw new FluxSopsError(
        'conflict',
        `${listing.file} changed while flux-sops ran: nothing was written. Run the command again.`,
      );
    }
    disk.writeAllOrNothing([{ path: listing.file, contents: changed }]);
  });
  const ages = listing.masterKeys.age.map((recipient) => `${recipient.slice(0, 12)}…`);
  const keys = [...listing.masterKeys.kms, ...ages];
  return [
    `Changed ${listing.file} (Secret ${listing.namespace ?? ''}/${name}): ${describeChanges(before, changes)}.`,
    'Every value is encrypted again under its data key, for the same master keys ' +
      `(${keys.join(', ')}), with a new MAC.`,
    'Next:',
    `  git add ${listing.file}`,
    `  git commit -m "Change ${name} in ${environment}" && git push`,
    '',
  ].join('\n');
}

/** `flux-sops secret set`: the values read, then changeSealedSecret, its messages on stderr. */
async function setValues(disk: FleetDisk, request: SetSecretRequest, ports: Ports): Promise<number> {
  const { literals, files } = request;
  const changes = {
    set: literals.length + files.length === 0 ? [] : await genericValues(literals, files, userFiles(disk, ports)),
    unset: request.unset,
  };
  const summary = await changeSealedSecret(disk, { ...request, changes }, ports, (warning) =>
    ports.terminal.err(`Warning: ${warning}\n`),
  );
  ports.terminal.err(summary);
  return 0;
}
