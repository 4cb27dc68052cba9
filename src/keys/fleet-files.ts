// Reads what `updatekeys` and `rotate` work on: the fleet's `.sops.yaml` rules and the YAML
// files under `secrets/<env>/` of the chosen environments.
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FluxSopsError } from '../errors.js';
import {
  assertEnvironmentNameOf,
  SECRETS_FOLDER,
  secretsPathOf,
  SKIPPED_FOLDERS,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  storedEnvironmentNames,
} from '../fleet/layout.js';
import { readCreationRules } from '../fleet/sops-config.js';
import { resolveInsideFleet } from '../disk/writer.js';
import type { CreationRule } from '../sops/rules.js';
import type { FleetFile } from './plan.js';

/** sops' YAML store reads these; the fleet's rules match only them. */
const YAML_FILE = /\.ya?ml$/;

function byName(left: Dirent, right: Dirent): number {
  return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
}

function entriesOf(folder: string): Dirent[] {
  try {
    return readdirSync(folder, { withFileTypes: true }).sort(byName);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return [];
    }
    throw new FluxSopsError('fleet', `${folder} cannot be read: ${(error as Error).message}`);
  }
}

/** The rules of the fleet's `.sops.yaml`; a fleet without one is a 'fleet' error. */
export function readFleetRules(root: string): CreationRule[] {
  let text: string;
  try {
    text = readFileSync(resolveInsideFleet(root, SOPS_CONFIG_FILE) ?? join(root, SOPS_CONFIG_FILE), 'utf8');
  } catch (error) {
    if (error instanceof FluxSopsError) {
      throw error;
    }
    throw new FluxSopsError(
      'fleet',
      `${root} has no ${SOPS_CONFIG_FILE}: run this in a fleet repository or pass --cwd <dir>`,
    );
  }
  return readCreationRules(text);
}

/** The environment names of the stored answers, if the fleet has them (a hand-made fleet may not). */
function storedEnvironments(root: string): string[] {
  try {
    return storedEnvironmentNames(JSON.parse(readFileSync(join(root, STORED_ANSWERS_FILE), 'utf8')));
  } catch (error) {
    if (error instanceof FluxSopsError) {
      throw error;
    }
    return [];
  }
}

/** The fleet's environments, sorted: folders under `secrets/`, and those of the stored answers. */
export function environmentsOf(root: string): string[] {
  const folders = entriesOf(join(root, SECRETS_FOLDER))
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  folders.forEach((folder) => assertEnvironmentNameOf(`${SECRETS_FOLDER}/${folder}/`, folder));
  return [...new Set([...folders, ...storedEnvironments(root)])].sort();
}

/**
 * The environments a command line names, in the fleet's order, or all of them when it names
 * none. An environment the fleet does not have is a 'fleet' error naming the ones it has.
 */
export function selectEnvironments(root: string, requested: readonly string[]): string[] {
  const known = environmentsOf(root);
  const unknown = requested.filter((environment) => !known.includes(environment));
  if (unknown.length > 0) {
    const names = unknown.map((environment) => JSON.stringify(environment)).join(', ');
    throw new FluxSopsError(
      'fleet',
      `unknown environment${unknown.length === 1 ? '' : 's'} ${names}: this fleet has ${known.length === 0 ? 'none' : known.join(', ')}`,
    );
  }
  return requested.length === 0 ? known : known.filter((environment) => requested.includes(environment));
}

/**
 * The YAML files under `secrets/<env>/` of each environment (at any depth, sorted), with their
 * text. Symbolic links are not followed: a file outside the fleet is never rewritten, and a link
 * leaving the fleet is a 'fleet' error naming it.
 */
export function readSecretFiles(root: string, environments: readonly string[]): FleetFile[] {
  const files: FleetFile[] = [];
  const walk = (relativeFolder: string): void => {
    for (const entry of entriesOf(join(root, relativeFolder))) {
      const path = `${relativeFolder}/${entry.name}`;
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) {
        walk(path);
      } else if (entry.isFile() && YAML_FILE.test(entry.name)) {
        files.push({ path, text: readFileSync(join(root, path), 'utf8') });
      } else if (entry.isSymbolicLink()) {
        resolveInsideFleet(root, path); // a link leaving the fleet is refused; one inside it is the file it points to, met on its own
      }
    }
  };
  for (const environment of environments) {
    walk(secretsPathOf(environment));
  }
  return files;
}

/** Whether `root` is a folder: `--cwd` pointing elsewhere is a usage mistake worth naming. */
export function assertFolder(root: string): void {
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FluxSopsError('usage', `--cwd ${root} is not a folder`);
  }
}
