// Where a command finds the fleet on disk; kept out of layout.ts, which declares names and
// paths only and touches nothing.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SOPS_CONFIG_FILE } from './layout.js';

/**
 * The fleet a command works on: `--cwd` when given, else the nearest folder from `start` upward
 * that holds `.sops.yaml` (as sops and git look upward), else `start` itself.
 */
export function findFleetRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, SOPS_CONFIG_FILE))) {
      return folder;
    }
    if (dirname(folder) === folder) {
      return start;
    }
  }
}
