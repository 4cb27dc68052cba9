// Reads what `updatekeys` and `rotate` work on, through the fleet's FleetDisk: the fleet's
// `.sops.yaml` rules and the YAML files under `secrets/<env>/` of the chosen environments.
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';
import {
  assertEnvironmentNameOf,
  parseStoredAnswersFile,
  SECRETS_FOLDER,
  secretsPathOf,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  storedEnvironmentNames,
} from '../fleet/layout.js';
import { readCreationRules } from '../fleet/sops-config.js';
import type { CreationRule } from '../sops/rules.js';
import type { FleetFile } from './plan.js';

/** sops' YAML store reads these; the fleet's rules match only them. */
const YAML_FILE = /\.ya?ml$/;

/** The rules of the fleet's `.sops.yaml`; a fleet without one is a 'fleet' error. */
export function readFleetRules(disk: FleetDisk): CreationRule[] {
  const text = disk.text(SOPS_CONFIG_FILE);
  if (text === null) {
    throw new FluxSopsError(
      'fleet',
      `${disk.root} has no ${SOPS_CONFIG_FILE}: run this in a fleet repository or pass --cwd <dir>`,
    );
  }
  return readCreationRules(text);
}

/** The environment names of the stored answers, if the fleet has them (a hand-made fleet may not). */
function storedEnvironments(disk: FleetDisk): string[] {
  const text = disk.text(STORED_ANSWERS_FILE);
  let document: unknown;
  try {
    document = text === null ? null : parseStoredAnswersFile(text, STORED_ANSWERS_FILE, '').document;
  } catch {
    return []; // not JSON: the stored answers are not read, as for a fleet made by hand
  }
  return storedEnvironmentNames(document);
}

/** The fleet's environments, sorted: folders under `secrets/`, and those of the stored answers. */
export function environmentsOf(disk: FleetDisk): string[] {
  const folders = disk
    .entries(SECRETS_FOLDER)
    .filter((entry) => entry.kind === 'folder')
    .map((entry) => entry.name);
  folders.forEach((folder) => assertEnvironmentNameOf(`${SECRETS_FOLDER}/${folder}/`, folder));
  return [...new Set([...folders, ...storedEnvironments(disk)])].sort();
}

/**
 * The environments a command line names, in the fleet's order, or all of them when it names
 * none. An environment the fleet does not have is a 'fleet' error naming the ones it has.
 */
export function selectEnvironments(disk: FleetDisk, requested: readonly string[]): string[] {
  const known = environmentsOf(disk);
  const unknown = requested.filter((environment) => !known.includes(environment));
  if (unknown.length > 0) {
    const names = unknown.map((environment) => JSON.stringify(environment)).join(', ');
    throw new FluxSopsError(
      'fleet',
      `unknown environment${unknown.length === 1 ? '' : 's'} ${names}: ` +
        `this fleet has ${known.length === 0 ? 'none' : known.join(', ')}`,
    );
  }
  return requested.length === 0 ? known : known.filter((environment) => requested.includes(environment));
}

/**
 * The YAML files under `secrets/<env>/` of each environment (at any depth, sorted), with their
 * text. Symbolic links are not followed: a file outside the fleet is never rewritten, and a link
 * leaving the fleet is a 'fleet' error naming it.
 */
export function readSecretFiles(disk: FleetDisk, environments: readonly string[]): FleetFile[] {
  return disk.filesUnder(environments.map(secretsPathOf), YAML_FILE);
}
