// `flux-sops [dir]` without yo: what can be checked without Yeoman (the options, the answers file,
// the stored answers, where to generate) is checked first, then the generator runs under the fleet
// lock (src/generate/generator.ts, shared with `env add` and `tenant add`).
import { resolve } from 'node:path';
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';
import { readAnswersFile } from '../fleet/answers-file.js';
import { findEnclosingFleet } from '../fleet/fleet-root.js';
import { howToGive, mergeAnswers, parseOptionAnswers, readOptionAnswers, validateAnswers } from '../fleet/answers.js';
import { refusePreTenantFleet } from '../fleet/plan.js';
import type { Ports } from '../ports.js';
import { type GeneratorOptions, readStoredAnswers, runGenerator } from './generator.js';

/** `flux-sops [dir]`. */
export interface GenerateRequest {
  /** The folder given on the command line, relative to the current folder. */
  readonly dir: string | undefined;
  readonly options: GeneratorOptions;
  /** Whether questions may be asked (--interactive, --no-interactive, else a terminal on stdin outside CI). */
  readonly interactive: boolean;
}

export async function runGenerate(request: GenerateRequest, ports: Ports): Promise<void> {
  const root = generationDestination(ports.cwd, request.dir);
  validateFleetInputs(ports.disk(root), request.options, request.interactive);
  await runGenerator(
    { generator: 'app', root, args: [], options: request.options, interactive: request.interactive },
    ports,
  );
}

/**
 * Where `flux-sops [dir]` generates. Without a folder: the fleet the current folder is in (found
 * upward by its `.yo-rc.json`), else the current folder. A folder inside an existing fleet other
 * than its root is refused: a fleet is never nested in another.
 */
function generationDestination(cwd: string, dir: string | undefined): string {
  if (dir === undefined) {
    return findEnclosingFleet(cwd) ?? cwd;
  }
  const destination = resolve(cwd, dir);
  const enclosing = findEnclosingFleet(destination);
  if (enclosing !== undefined && enclosing !== destination) {
    throw new FluxSopsError(
      'usage',
      `${dir} is inside the fleet at ${enclosing}: a fleet cannot hold another one. To change that fleet, run ` +
        'flux-sops there (or anywhere inside it) without a folder; for a new fleet, give a folder outside it. ' +
        'Nothing was written.',
    );
  }
  return destination;
}

/** Validates the main generator's inputs before Yeoman loads, when nothing will be prompted. */
function validateFleetInputs(disk: FleetDisk, options: GeneratorOptions, interactive: boolean): void {
  const stored = readStoredAnswers(disk);
  refusePreTenantFleet(stored, (path) => disk.exists(path));
  const fromFile = typeof options.answers === 'string' ? readAnswersFile(options.answers) : {};
  if (!interactive) {
    validateAnswers(
      mergeAnswers(stored, fromFile, readOptionAnswers(options, mergeAnswers(stored, fromFile))),
      howToGive(false),
    );
  } else {
    parseOptionAnswers(options); // malformed options now; the rest once the prompts have given the environments
  }
}
