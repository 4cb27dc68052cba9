// Where a command finds the fleet on disk; kept out of layout.ts, which declares names and
// paths only and touches nothing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseStoredAnswersFile, SOPS_CONFIG_FILE, STORAGE_NAME, STORED_ANSWERS_FILE } from './layout.js';

/**
 * Whether `folder` is a fleet's root: its `.yo-rc.json` holds generator-flux-sops answers (one that
 * does not parse counts if it names them).
 */
export function isFleetRoot(folder: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(folder, STORED_ANSWERS_FILE), 'utf8');
  } catch {
    return false;
  }
  try {
    return parseStoredAnswersFile(text, STORED_ANSWERS_FILE, '').answers !== undefined;
  } catch {
    return text.includes(`"${STORAGE_NAME}"`); // broken, but a fleet's: the command that reads it names the problem
  }
}

/** The nearest folder from `start` upward (start included) for which `holds` is true, if any. */
function findUpward(start: string, holds: (folder: string) => boolean): string | undefined {
  for (let folder = start; ; folder = dirname(folder)) {
    if (holds(folder)) {
      return folder;
    }
    if (dirname(folder) === folder) {
      return undefined;
    }
  }
}

/** The nearest fleet root from `start` upward (start included), if any. */
export function findEnclosingFleet(start: string): string | undefined {
  return findUpward(start, isFleetRoot);
}

/** The nearest folder from `start` upward holding `.sops.yaml` (as sops looks for its config), else `start`. */
export function findSopsConfigFolder(start: string): string {
  return findUpward(start, (folder) => existsSync(join(folder, SOPS_CONFIG_FILE))) ?? start;
}

/**
 * The fleet a command works on when no `--cwd` is given: the nearest folder from `start` upward
 * whose `.yo-rc.json` holds generator-flux-sops answers (a `.sops.yaml` alone does not make a
 * fleet: a tenant's repository or a stray copy has one too). Without such a folder, the nearest
 * one holding `.sops.yaml` (a SOPS repository made by hand, which `check` and the key commands
 * still serve), else `start` itself.
 */
export function findFleetRoot(start: string): string {
  return findEnclosingFleet(start) ?? findSopsConfigFolder(start);
}
