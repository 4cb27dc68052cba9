// Values of a Secret read from files named by the user (the command line's options, or the
// answers to `yo flux-sops:secret`): the SSH key and known_hosts of a Git Secret, and the
// `--from-file`/`--from-literal` items of a generic one. Errors name options, keys and paths,
// never the content.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { GitIgnoreRules } from '../disk/git-ignored.js';
import { describeValue, FluxSopsError } from '../errors.js';
import {
  type SshKeyPair,
  generateDeployKey,
  readPrivateKey,
  sshCredentials,
  validateKnownHosts,
} from './git-credentials.js';
import { knownHostsCovers, knownHostsNameOf } from './known-hosts.js';
import type { SealingPlan } from './plan.js';
import { type SecretEntry, duplicateKeys, splitKeyValue, textOf, validateSecretKey } from './values.js';

/** The values of a Secret, and the public key to show when a deploy key was generated. */
export interface GatheredValues {
  readonly entries: SecretEntry[];
  readonly generatedKey?: SshKeyPair;
}

/** Kubernetes stores a Secret of at most 1 MiB: no value, and no Secret, may be larger. */
export const MAX_SECRET_BYTES = 1024 * 1024;

/** What a path names, for a message: only regular files (and standard input) are read. */
function kindOf(stats: Stats): string {
  return stats.isFIFO()
    ? 'a named pipe (FIFO)'
    : stats.isCharacterDevice() || stats.isBlockDevice()
      ? 'a device'
      : stats.isSocket()
        ? 'a socket'
        : stats.isDirectory()
          ? 'a folder'
          : 'not a regular file';
}

function tooLarge(label: string, path: string): FluxSopsError {
  return new FluxSopsError(
    'input',
    `${label} ${describeValue(path)} is larger than ${MAX_SECRET_BYTES} bytes (1 MiB), the most a Kubernetes ` +
      `Secret holds`,
  );
}

/**
 * Reads a file named by the user, at most 1 MiB of it; `label` names it in an error
 * (`--from-file token:`). Only a regular file is read: a named pipe could block forever and a
 * device (`/dev/zero`) never ends. Standard input is read through `-` or `/dev/stdin`.
 */
export function readInputFile(path: string, label: string): Buffer {
  const fail = (error: unknown) =>
    new FluxSopsError(
      'input',
      `${label} ${describeValue(path)} cannot be read ` +
        `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  let descriptor: number;
  try {
    const stats = statSync(path);
    if (!stats.isFile()) {
      throw new FluxSopsError(
        'input',
        `${label} ${describeValue(path)} is ${kindOf(stats)}: only a regular file is read (standard input: - or ` +
          `/dev/stdin)`,
      );
    }
    if (stats.size > MAX_SECRET_BYTES) {
      throw tooLarge(label, path);
    }
    descriptor = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw error instanceof FluxSopsError ? error : fail(error);
  }
  try {
    if (!fstatSync(descriptor).isFile()) {
      throw new FluxSopsError(
        'input',
        `${label} ${describeValue(path)} changed while it was read: only a regular file is read`,
      );
    }
    const buffer = Buffer.alloc(MAX_SECRET_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) {
      read = readSync(descriptor, buffer, length, buffer.length - length, null);
    }
    if (length > MAX_SECRET_BYTES) {
      throw tooLarge(label, path);
    }
    return buffer.subarray(0, length);
  } catch (error) {
    throw error instanceof FluxSopsError ? error : fail(error);
  } finally {
    closeSync(descriptor);
  }
}

/** Whether a `--from-file` path means standard input (a pipe, a file or a socket: read as a stream). */
export function isStandardInput(path: string): boolean {
  return path === '-' || path === '/dev/stdin';
}

/** Reads standard input as a stream, at most 1 MiB (`label` names it in an error). */
export async function readStandardInput(
  label: string,
  input: AsyncIterable<Buffer | string> = process.stdin,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    length += bytes.length;
    if (length > MAX_SECRET_BYTES) {
      throw tooLarge(label, 'standard input');
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks);
}

/** The size a Secret's values take, refused over 1 MiB before any key is called (exit 2). */
export function assertSecretSize(entries: readonly SecretEntry[]): void {
  const total = entries.reduce(
    (sum, { key, value }) =>
      sum + Buffer.byteLength(key) + (typeof value === 'string' ? Buffer.byteLength(value) : value.length),
    0,
  );
  if (total > MAX_SECRET_BYTES) {
    throw new FluxSopsError(
      'input',
      `The Secret's keys and values take ${total} bytes: Kubernetes refuses a Secret over 1 MiB ` +
        `(${MAX_SECRET_BYTES} bytes). Nothing was sealed; split it into several Secrets`,
    );
  }
}

/**
 * Refuses a file of values inside the fleet that Git would commit (by its .gitignore files and
 * .git/info/exclude): the key or token would be one `git add` away from the repository.
 */
export function assertKeptOutOfGit(root: string, path: string, label: string): void {
  const inside = relative(resolve(root), resolve(path));
  if (path === '-' || inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return;
  }
  if (!new GitIgnoreRules(resolve(root)).ignores(inside.split(sep).join('/'))) {
    throw new FluxSopsError(
      'input',
      `${label} ${describeValue(path)} lies inside the fleet, where Git would commit it: the secret would be one ` +
        'git add away from the repository. ' +
        "Keep the file outside the fleet (or give it a name the fleet's .gitignore covers, such as deploy_key*, " +
        '*.pem or identity)',
    );
  }
}

export interface SshSources {
  /** An existing private key; without one, a new ed25519 deploy key is generated. */
  readonly privateKeyFile?: string;
  readonly knownHostsFile: string;
}

/**
 * The known_hosts text, checked. A file without a key for the Git host (plain, hashed `|1|…`,
 * `[host]:port` or `@cert-authority`, as OpenSSH matches them) is refused: Flux would refuse the
 * host ("knownhosts: key is unknown") only once the Secret is in the cluster. `allowOtherHosts`
 * (`--allow-other-hosts`) says that it is intended, say a host reached through another name.
 */
export function readKnownHosts(
  plan: SealingPlan,
  path: string,
  allowOtherHosts: boolean,
  warn: (warning: string) => void,
): string {
  const knownHosts = validateKnownHosts(
    textOf(readInputFile(path, '--known-hosts-file')),
    `--known-hosts-file ${describeValue(path)}`,
  );
  const host = knownHostsNameOf(plan.repoUrl ?? '');
  if (host !== undefined && !knownHostsCovers(knownHosts, host)) {
    const problem =
      `${describeValue(path)} has no key for ${host}, the host of ${plan.repoUrl}: Flux would ` +
      `refuse to connect ("knownhosts: key is unknown")`;
    if (!allowOtherHosts) {
      // `[host]:port` is scanned as `-p port host`.
      const port = host.indexOf(']:');
      const scanned = host.startsWith('[') ? `-p ${host.slice(port + 2)} ${host.slice(1, port)}` : host;
      throw new FluxSopsError(
        'input',
        `${problem}. Scan that host (ssh-keyscan ${scanned} > known_hosts), or give --allow-other-hosts if the ` +
          'file is right as it is; nothing was written',
      );
    }
    warn(`${problem}; sealed anyway (--allow-other-hosts).`);
  }
  return knownHosts;
}

/** The existing key pair of `--private-key-file`, kept out of Git, read and checked (not yet sealed). */
export function readDeployKey(root: string, path: string): SshKeyPair {
  assertKeptOutOfGit(root, path, '--private-key-file');
  return readPrivateKey(readInputFile(path, '--private-key-file'), `--private-key-file ${describeValue(path)}`);
}

/** identity, identity.pub and known_hosts: the given key pair, or a new one made in memory. */
export function sshValues(plan: SealingPlan, knownHosts: string, given: SshKeyPair | undefined): GatheredValues {
  const keyPair = given ?? generateDeployKey(`flux-sops-${plan.environment}`);
  return { entries: sshCredentials(keyPair, knownHosts), ...(given === undefined ? { generatedKey: keyPair } : {}) };
}

/** Keys given twice are an error: the later value would silently win. */
export function assertUniqueKeys(entries: readonly SecretEntry[]): void {
  const twice = duplicateKeys(entries.map((entry) => entry.key));
  if (twice.length > 0) {
    throw new FluxSopsError(
      'input',
      `Key${twice.length === 1 ? '' : 's'} given more than once: ${twice.join(', ')} (each key of a Secret holds ` +
        `one value)`,
    );
  }
}

/**
 * The entries of `--from-literal KEY=VALUE` and `--from-file KEY=PATH` (or `PATH`) items, in the
 * order given; `-` or `/dev/stdin` as PATH reads standard input (once). A file inside the fleet
 * (`root`) that Git would commit is refused.
 */
export async function genericValues(
  literals: readonly string[],
  files: readonly string[],
  root: string,
): Promise<SecretEntry[]> {
  const items = [
    ...literals.map((item) => ({ option: 'from-literal' as const, item })),
    ...files.map((item) => ({ option: 'from-file' as const, item })),
  ];
  if (items.length === 0) {
    throw new FluxSopsError(
      'usage',
      'Give the values: --from-file <key>=<path> or --from-literal <key>=<value>, each repeatable',
    );
  }
  const entries: (SecretEntry & { fromStandardInput?: boolean })[] = [];
  for (const { option, item } of items) {
    const split = splitKeyValue(item, option);
    if (typeof split === 'string') {
      throw new FluxSopsError('input', split);
    }
    const valid = validateSecretKey(split.key);
    if (valid !== true) {
      throw new FluxSopsError('input', `Invalid key ${describeValue(split.key)} in --${option}: ${valid}`);
    }
    const label = `--from-file ${split.key}:`;
    if (option === 'from-file' && isStandardInput(split.value) && entries.some((entry) => entry.fromStandardInput)) {
      throw new FluxSopsError('usage', `${label} standard input can be read for one key only`);
    }
    if (option === 'from-file' && isStandardInput(split.value)) {
      entries.push({ key: split.key, value: await readStandardInput(label), fromStandardInput: true });
    } else {
      if (option === 'from-file') {
        assertKeptOutOfGit(root, split.value, label);
      }
      entries.push({ key: split.key, value: option === 'from-file' ? readInputFile(split.value, label) : split.value });
    }
  }
  assertUniqueKeys(entries);
  assertSecretSize(entries);
  return entries.map(({ key, value }) => ({ key, value }));
}
