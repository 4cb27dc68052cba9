// Values of a Secret read from files named by the user (the command line's options, or the
// answers to `yo flux-sops:secret`): the SSH key and known_hosts of a Git Secret, and the
// `--from-file`/`--from-literal` items of a generic one. Errors name options, keys and paths,
// never the content.
import { readFileSync } from 'node:fs';
import { FluxSopsError } from '../errors.js';
import { describeValue } from '../fleet/inputs.js';
import { type SshKeyPair, generateDeployKey, readPrivateKey, sshCredentials, validateKnownHosts } from './git-credentials.js';
import { knownHostsCovers, knownHostsNameOf } from './known-hosts.js';
import type { SealingPlan } from './plan.js';
import { type SecretEntry, duplicateKeys, splitKeyValue, textOf, validateSecretKey } from './values.js';

/** The values of a Secret, and the public key to show when a deploy key was generated. */
export interface GatheredValues {
  readonly entries: SecretEntry[];
  readonly generatedKey?: SshKeyPair;
}

/** Reads a file named by the user; `label` names it in an error (`--from-file token=`). */
export function readInputFile(path: string, label: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FluxSopsError('input', `${label} ${describeValue(path)} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

export interface SshSources {
  /** An existing private key; without one, a new ed25519 deploy key is generated. */
  readonly privateKeyFile?: string;
  readonly knownHostsFile: string;
}

/** The known_hosts text, checked; a file without the Git host's key is a warning (Flux would refuse the host). */
export function readKnownHosts(plan: SealingPlan, path: string, warn: (warning: string) => void): string {
  const knownHosts = validateKnownHosts(textOf(readInputFile(path, '--known-hosts-file')), `--known-hosts-file ${describeValue(path)}`);
  const host = knownHostsNameOf(plan.repoUrl ?? '');
  if (host !== undefined && !knownHostsCovers(knownHosts, host)) {
    warn(`${describeValue(path)} has no key for ${host}, the host of ${plan.repoUrl}: Flux will refuse to connect ("knownhosts: key is unknown").`);
  }
  return knownHosts;
}

/** The existing key pair of `--private-key-file`, read and checked (not yet sealed). */
export function readDeployKey(path: string): SshKeyPair {
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
    throw new FluxSopsError('input', `Key${twice.length === 1 ? '' : 's'} given more than once: ${twice.join(', ')} (each key of a Secret holds one value)`);
  }
}

/** The entries of `--from-literal KEY=VALUE` and `--from-file KEY=PATH` (or `PATH`) items, in the order given. */
export function genericValues(literals: readonly string[], files: readonly string[]): SecretEntry[] {
  const items = [...literals.map((item) => ({ option: 'from-literal' as const, item })), ...files.map((item) => ({ option: 'from-file' as const, item }))];
  if (items.length === 0) {
    throw new FluxSopsError('usage', 'Give the values: --from-file <key>=<path> or --from-literal <key>=<value>, each repeatable');
  }
  const entries: SecretEntry[] = [];
  for (const { option, item } of items) {
    const split = splitKeyValue(item, option);
    if (typeof split === 'string') {
      throw new FluxSopsError('input', split);
    }
    const valid = validateSecretKey(split.key);
    if (valid !== true) {
      throw new FluxSopsError('input', `Invalid key ${describeValue(split.key)} in --${option}: ${valid}`);
    }
    entries.push({ key: split.key, value: option === 'from-file' ? readInputFile(split.value, `--from-file ${split.key}:`) : split.value });
  }
  assertUniqueKeys(entries);
  return entries;
}
