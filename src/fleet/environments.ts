// The fleet's environments, as the day-to-day commands (updatekeys, rotate, secret list) take
// them from a command line: the folders under secrets/ and the environments of the stored
// answers. Reads through the listing it is given (a FleetDisk), nothing else.
import { FluxSopsError } from '../errors.js';
import {
  assertEnvironmentNameOf,
  parseStoredAnswersFile,
  SECRETS_FOLDER,
  STORED_ANSWERS_FILE,
  storedEnvironmentNames,
} from './layout.js';

/** What this module reads of a fleet: a FleetDisk is one. */
export interface FleetListing {
  text(path: string): string | null;
  entries(folder: string): readonly { readonly name: string; readonly kind: string }[];
}

/** The environment names of the stored answers, if the fleet has them (a hand-made fleet may not). */
function storedEnvironments(fleet: FleetListing): string[] {
  const text = fleet.text(STORED_ANSWERS_FILE);
  let document: unknown;
  try {
    document = text === null ? null : parseStoredAnswersFile(text, STORED_ANSWERS_FILE, '').document;
  } catch {
    return []; // not JSON: the stored answers are not read, as for a fleet made by hand
  }
  return storedEnvironmentNames(document);
}

/** The fleet's environments, sorted: folders under `secrets/`, and those of the stored answers. */
export function environmentsOf(fleet: FleetListing): string[] {
  const folders = fleet
    .entries(SECRETS_FOLDER)
    .filter((entry) => entry.kind === 'folder')
    .map((entry) => entry.name);
  folders.forEach((folder) => assertEnvironmentNameOf(`${SECRETS_FOLDER}/${folder}/`, folder));
  return [...new Set([...folders, ...storedEnvironments(fleet)])].sort();
}

/**
 * The environments a command line names, in the fleet's order, or all of them when it names
 * none. An environment the fleet does not have is a 'fleet' error naming the ones it has.
 */
export function selectEnvironments(fleet: FleetListing, requested: readonly string[]): string[] {
  const known = environmentsOf(fleet);
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
