// Values of a Secret read from files named by the user (the command line's options, or the
// answers to `yo flux-sops:secret`): the SSH key and known_hosts of a Git Secret, and the
// `--from-file`/`--from-literal` items of a generic one. Errors name options, keys and paths,
// never the content. A path is relative to the folder the command was started in (`cwd`), not
// this process's; standard input is read through the terminal port.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { FleetDisk } from '../disk/index.js';
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

/**
 * Where the user's files are read from: paths are relative to `cwd`; `disk` is the fleet they must
 * be kept out of Git in; `readStdin` reads all of standard input (the terminal port's).
 */
export interface UserFiles {
  readonly cwd: string;
  readonly disk: FleetDisk;
  readStdin(limit?: number): Promise<Buffer>;
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
 * Reads a file named by the user (relative to `cwd`), at most 1 MiB of it; `label` names it in an
 * error (`--from-file token:`). Only a regular file is read: a named pipe could block forever and
 * a device (`/dev/zero`) never ends. Standard input is read through `-` or `/dev/stdin`.
 */
function readInputFile(cwd: string, path: string, label: string): Buffer {
  const file = resolve(cwd, path);
  const fail = (error: unknown) =>
    new FluxSopsError(
      'input',
      `${label} ${describeValue(path)} cannot be read ` +
        `(${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  let descriptor: number;
  try {
    const stats = statSync(file);
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
    descriptor = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
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
function isStandardInput(path: string): boolean {
  return path === '-' || path === '/dev/stdin';
}

/** Reads standard input, at most 1 MiB (`label` names it in an error). */
async function readStandardInput(label: string, files: UserFiles): Promise<Buffer> {
  const bytes = await files.readStdin(MAX_SECRET_BYTES);
  if (bytes.length > MAX_SECRET_BYTES) {
    throw tooLarge(label, 'standard input');
  }
  return bytes;
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
function assertKeptOutOfGit(disk: FleetDisk, cwd: string, path: string, label: string): void {
  const inside = relative(disk.root, resolve(cwd, path));
  if (path === '-' || inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    return;
  }
  if (!disk.ignores(inside.split(sep).join('/'))) {
    throw new FluxSopsError(
      'input',
      `${label} ${describeValue(path)} lies inside the fleet, where Git would commit it: the secret would be one ` +
        'git add away from the repository. ' +
        "Keep the file outside the fleet (or give it a name the fleet's .gitignore covers, such as deploy_key*, " +
        '*.pem or identity)',
    );
  }
}

/**
 * The known_hosts text, checked. A file without a key for the Git host (plain, hashed `|1|…`,
 * `[host]:port` or `@cert-authority`, as OpenSSH matches them) is refused: Flux would refuse the
 * host ("knownhosts: key is unknown") only once the Secret is in the cluster. `allowOtherHosts`
 * (`--allow-other-hosts`) says that it is intended, say a host reached through another name.
 */
export function readKnownHosts(
  plan: SealingPlan,
  cwd: string,
  path: string,
  allowOtherHosts: boolean,
  warn: (warning: string) => void,
): string {
  const knownHosts = validateKnownHosts(
    textOf(readInputFile(cwd, path, '--known-hosts-file')),
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
export function readDeployKey(disk: FleetDisk, cwd: string, path: string): SshKeyPair {
  assertKeptOutOfGit(disk, cwd, path, '--private-key-file');
  return readPrivateKey(readInputFile(cwd, path, '--private-key-file'), `--private-key-file ${describeValue(path)}`);
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
 * that Git would commit is refused.
 */
export async function genericValues(
  literals: readonly string[],
  paths: readonly string[],
  files: UserFiles,
): Promise<SecretEntry[]> {
  const items = [
    ...literals.map((item) => ({ option: 'from-literal' as const, item })),
    ...paths.map((item) => ({ option: 'from-file' as const, item })),
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
      entries.push({ key: split.key, value: await readStandardInput(label, files), fromStandardInput: true });
    } else {
      if (option === 'from-file') {
        assertKeptOutOfGit(files.disk, files.cwd, split.value, label);
      }
      const value = option === 'from-file' ? readInputFile(files.cwd, split.value, label) : split.value;
      entries.push({ key: split.key, value });
    }
  }
  assertUniqueKeys(entries);
  assertSecretSize(entries);
  return entries.map(({ key, value }) => ({ key, value }));
}
