// Reads what `updatekeys` and `rotate` work on, through the fleet's FleetDisk: the fleet's
// `.sops.yaml` rules and the YAML files under `secrets/<env>/` of the chosen environments
// (src/fleet/environments.ts).
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';
import { secretsPathOf, SOPS_CONFIG_FILE } from '../fleet/layout.js';
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

/**
 * The YAML files under `secrets/<env>/` of each environment (at any depth, sorted), with their
 * text. Symbolic links are not followed: a file outside the fleet is never rewritten, and a link
 * leaving the fleet is a 'fleet' error naming it.
 */
export function readSecretFiles(disk: FleetDisk, environments: readonly string[]): FleetFile[] {
  return disk.filesUnder(environments.map(secretsPathOf), YAML_FILE);
}
