// The disk side of `flux-sops secret`: reads what planSealing needs (the sealed Secret and the
// kustomization are written by writeAllOrNothing in src/writable.ts). The plaintext Secret
// stays in memory.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { FluxSopsError } from '../errors.js';
import {
  PLACEHOLDER_CIPHERTEXT,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  sealedSecretPathOf,
  secretsPathOf,
} from '../fleet/layout.js';
import { resolveInsideFleet, withFleetLock } from '../disk/writer.js';
import { type FleetFacts, type FleetTexts, readFleetFacts } from './plan.js';

/** A file's text, or null when it does not exist; any other failure is a 'fleet' error naming it. */
export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return null;
    }
    throw new FluxSopsError('fleet', `${path} cannot be read (${code ?? (error as Error).message})`);
  }
}

/** `.sops.yaml`, read by the product's one symbolic-link policy (a link leaving the fleet is refused). */
function readSopsConfig(root: string): string | null {
  const path = resolveInsideFleet(root, SOPS_CONFIG_FILE);
  return path === undefined ? null : readText(path);
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

/**
 * What planSealing reads. In a fleet (a `.sops.yaml` at root), read holding the fleet lock, after
 * an interrupted run is finished or cleaned (src/writable.ts): `resumed` says the Secret at the
 * path is the one such a run wrote.
 */
export function readFleetTexts(root: string, environment: string, name: string): FleetTexts {
  if (resolveInsideFleet(root, SOPS_CONFIG_FILE) === undefined) {
    return readTexts(root, environment, name);
  }
  return withFleetLock(root, ({ completed }) => ({
    ...readTexts(root, environment, name),
    resumed: completed.includes(sealedSecretPathOf(environment, name)),
  }));
}

function readTexts(root: string, environment: string, name: string): FleetTexts {
  // Only plain names reach the paths: planSealing rejects the rest before they are used.
  const safe = (value: string) => /^[a-z0-9][a-z0-9.-]*$/.test(value) && !value.includes('..');
  const environmentSafe = safe(environment);
  return {
    storedAnswers: readText(join(root, STORED_ANSWERS_FILE)),
    sopsConfig: readSopsConfig(root),
    secretsFolder: environmentSafe && isFolder(join(root, secretsPathOf(environment))),
    kustomization: environmentSafe ? readText(join(root, secretsPathOf(environment), SECRETS_KUSTOMIZATION)) : null,
    existingSecret: environmentSafe && safe(name) ? readText(join(root, sealedSecretPathOf(environment, name))) : null,
  };
}

/** The fleet's stored answers (environments, Git URL), or undefined without `.yo-rc.json` answers. */
/** The texts at the plan's paths now: read again under the fleet lock just before writing. */
export function readCurrentTexts(
  root: string,
  plan: { path: string; kustomizationPath: string },
): { existing: string | null; kustomization: string | null } {
  return { existing: readText(join(root, plan.path)), kustomization: readText(join(root, plan.kustomizationPath)) };
}

export function readStoredFleetFacts(root: string): FleetFacts | undefined {
  return readFleetFacts(readText(join(root, STORED_ANSWERS_FILE)));
}

/** The generated placeholders still in `secrets/<env>/` besides `except` (regular files only): until they are sealed, "secrets" cannot become Ready. */
export function placeholdersLeft(root: string, environment: string, except: string): string[] {
  const folder = secretsPathOf(environment);
  let names: string[];
  try {
    names = readdirSync(join(root, folder), { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  return names
    .map((name) => `${folder}/${name}`)
    .filter(
      (path) =>
        path !== except && /\.ya?ml$/.test(path) && (readText(join(root, path)) ?? '').includes(PLACEHOLDER_CIPHERTEXT),
    );
}
