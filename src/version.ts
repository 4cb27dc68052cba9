// The package's own facts, read from disk when first asked, never when a module is loaded (a
// bundled `flux-sops check` has no package.json next to it and never asks): the package's root
// folder (the one with package.json and templates/) and its version, each read once.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;
let version: string | undefined;

/** Found upward from this module, so the same code works from the TypeScript sources and from dist/. */
export function packageRoot(): string {
  if (root === undefined) {
    let folder = dirname(fileURLToPath(import.meta.url));
    while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) {
      folder = dirname(folder);
    }
    root = folder;
  }
  return root;
}

/** The `version` of the package.json: `flux-sops --version` and the fleet's generated-by line. */
export function packageVersion(): string {
  version ??= (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return version;
}
