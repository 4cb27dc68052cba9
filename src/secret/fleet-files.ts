// What `flux-sops secret` and `yo flux-sops:secret` read of a fleet, through its FleetDisk: what
// planSealing needs, the stored answers, the texts just before writing, and the placeholders left.
// The plaintext Secret stays in memory.
import type { FleetDisk } from '../disk/index.js';
import {
  PLACEHOLDER_CIPHERTEXT,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  sealedSecretPathOf,
  secretsPathOf,
} from '../fleet/layout.js';
import { type FleetFacts, type FleetTexts, readFleetFacts } from './plan.js';

/**
 * What planSealing reads. In a fleet (a `.sops.yaml` at root), read holding the fleet lock, after
 * an interrupted run is finished or cleaned: `resumed` says the Secret at the path is the one
 * such a run wrote.
 */
export function readFleetTexts(disk: FleetDisk, environment: string, name: string): FleetTexts {
  if (!disk.exists(SOPS_CONFIG_FILE)) {
    return readTexts(disk, environment, name);
  }
  return disk.withLock(({ completed }) => ({
    ...readTexts(disk, environment, name),
    resumed: completed.includes(sealedSecretPathOf(environment, name)),
  }));
}

function readTexts(disk: FleetDisk, environment: string, name: string): FleetTexts {
  // Only plain names reach the paths: planSealing rejects the rest before they are used.
  const safe = (value: string) => /^[a-z0-9][a-z0-9.-]*$/.test(value) && !value.includes('..');
  const environmentSafe = safe(environment);
  const folder = secretsPathOf(environment);
  return {
    storedAnswers: disk.text(STORED_ANSWERS_FILE),
    sopsConfig: disk.text(SOPS_CONFIG_FILE),
    secretsFolder: environmentSafe && disk.isFolder(folder),
    kustomization: environmentSafe ? disk.text(`${folder}/${SECRETS_KUSTOMIZATION}`) : null,
    existingSecret: environmentSafe && safe(name) ? disk.text(sealedSecretPathOf(environment, name)) : null,
  };
}

/** The texts at the plan's paths now: read again under the fleet lock just before writing. */
export function readCurrentTexts(
  disk: FleetDisk,
  plan: { path: string; kustomizationPath: string },
): { existing: string | null; kustomization: string | null } {
  return { existing: disk.text(plan.path), kustomization: disk.text(plan.kustomizationPath) };
}

/** The fleet's stored answers (environments, Git URL), or undefined without `.yo-rc.json` answers. */
export function readStoredFleetFacts(disk: FleetDisk): FleetFacts | undefined {
  return readFleetFacts(disk.text(STORED_ANSWERS_FILE));
}

/**
 * The generated placeholders still in `secrets/<env>/` besides `except` (regular files only):
 * until they are sealed, "secrets" cannot become Ready.
 */
export function placeholdersLeft(disk: FleetDisk, environment: string, except: string): string[] {
  const folder = secretsPathOf(environment);
  return disk
    .entries(folder)
    .filter((entry) => entry.kind === 'file')
    .map((entry) => `${folder}/${entry.name}`)
    .filter(
      (path) => path !== except && /\.ya?ml$/.test(path) && (disk.text(path) ?? '').includes(PLACEHOLDER_CIPHERTEXT),
    );
}
