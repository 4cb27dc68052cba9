// `flux-sops [dir]`, and the generator runs of `env add` and `tenant add`, without yo: what can be
// checked without Yeoman (the options, the answers file, the stored answers, where to generate) is
// checked first, then the generator runs under the fleet lock. Yeoman (yeoman-environment and the
// generators) loads only then, in src/yeoman/run-generator.ts: a bad value is answered before the
// framework loads.
import { dirname, join, resolve } from 'node:path';
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';
import { readAnswersFile } from '../fleet/answers-file.js';
import { findEnclosingFleet } from '../fleet/fleet-root.js';
import {
  howToGive,
  mergeAnswers,
  parseOptionAnswers,
  readAnswersObject,
  readOptionAnswers,
  type RawAnswers,
  validateAnswers,
} from '../fleet/answers.js';
import { NOT_A_FLEET, STORED_ANSWERS_FILE, STORAGE_NAME } from '../fleet/layout.js';
import { refusePreTenantFleet } from '../fleet/plan.js';
import type { Ports } from '../ports.js';

/** The options of a generating command line, by option name (`answers` absolute). */
export type GeneratorOptions = Readonly<Record<string, unknown>>;

/** `flux-sops [dir]`. */
export interface GenerateRequest {
  /** The folder given on the command line, relative to the current folder. */
  readonly dir: string | undefined;
  readonly options: GeneratorOptions;
  /** Whether questions may be asked (--interactive, --no-interactive, else a terminal on stdin outside CI). */
  readonly interactive: boolean;
}

/** `env add <name>`, `tenant add <name>`: what to add to which fleet. */
export interface AddRequest {
  /** The fleet's folder. */
  readonly root: string;
  readonly name: string;
  readonly options: GeneratorOptions;
  readonly interactive: boolean;
}

/** One run of a generator of the package. */
export interface GeneratorRun {
  readonly generator: 'app' | 'env' | 'tenant';
  /** The folder it writes into. */
  readonly root: string;
  readonly args: readonly string[];
  readonly options: GeneratorOptions;
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
export function generationDestination(cwd: string, dir: string | undefined): string {
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

/** The stored answers of a fleet folder (empty when there are none); a broken `.yo-rc.json` is named. */
export function readStoredAnswers(disk: FleetDisk): RawAnswers {
  let folder: boolean;
  try {
    folder = disk.isFolder('');
  } catch {
    return {}; // below a file (ENOTDIR): the write pre-flight names the file
  }
  if (!folder && disk.exists('')) {
    throw new FluxSopsError('usage', `${disk.root} is a file: give the folder to write the fleet into`);
  }
  const text = disk.text(STORED_ANSWERS_FILE);
  if (text === null) {
    return {};
  }
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new FluxSopsError(
      'fleet',
      `${join(disk.root, STORED_ANSWERS_FILE)} is not valid JSON (${(error as Error).message}): fix it, or remove ` +
        'it to give the answers again',
    );
  }
  const answers = stored?.[STORAGE_NAME];
  return answers === undefined ? {} : readAnswersObject(answers, `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`);
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

/**
 * The stored answers of a fleet a sub-generator (env, tenant) adds to. Not a fleet, or a fleet
 * from before tenants: exit 2.
 */
export function storedAnswersToAddTo(disk: FleetDisk): RawAnswers {
  const stored = readStoredAnswers(disk);
  if (Object.keys(stored).length === 0) {
    throw new FluxSopsError('fleet', NOT_A_FLEET);
  }
  refusePreTenantFleet(stored, (path) => disk.exists(path));
  return stored;
}

/** Options as the generators take them: the command line's without its own. */
function generatorOptions(options: GeneratorOptions, interactive: boolean): Record<string, unknown> {
  const passed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (!['debug', 'help', 'version', 'no-interactive', 'cwd'].includes(key)) {
      passed[key] = value;
    }
  }
  passed.interactive = interactive;
  return passed;
}

/**
 * Runs a generator in its folder: the folder is checked writable first (Yeoman creates it when it
 * starts), an existing fleet is locked while it runs, and the folders a failed run created are
 * removed again while empty.
 */
export async function runGenerator(run: GeneratorRun, ports: Ports): Promise<void> {
  const disk = ports.disk(run.root);
  disk.assertWritable([]);
  const firstMissing = firstMissingFolder(run.root, ports);
  // An existing fleet is read and written under its lock, as every writing command does: two
  // runs at once (an env add and a seal, two env adds) never lose each other's edits.
  const lock = disk.exists(STORED_ANSWERS_FILE) ? disk.acquireLock() : undefined;
  try {
    const { runYeomanGenerator } = await import('../yeoman/run-generator.js');
    await runYeomanGenerator(run.generator, run.root, run.args, generatorOptions(run.options, run.interactive));
  } catch (error) {
    if (firstMissing !== undefined) {
      removeCreatedFolders(firstMissing, ports);
    }
    // The generators check every path before writing; a system error still possible while
    // Yeoman writes (disk full, I/O error) must not leave a fleet that looks finished.
    if ((error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new FluxSopsError(
        'unwritable',
        `${(error as Error).message}\nThe files in ${run.root} may be incomplete: fix the cause and run the ` +
          'same command again (it completes them).',
      );
    }
    throw error;
  } finally {
    lock?.release();
  }
}

/** The outermost folder of `folder` that does not exist yet, if any (the pre-flight refused a file in the way). */
function firstMissingFolder(folder: string, ports: Ports): string | undefined {
  let missing: string | undefined;
  for (let each = folder; !ports.disk(each).isFolder(''); each = dirname(each)) {
    missing = each;
  }
  return missing;
}

/** After a failed run, removes the folders it created, as long as they are still empty. */
function removeCreatedFolders(outermost: string, ports: Ports): void {
  try {
    ports.disk(outermost).remove([], ['']);
  } catch {
    // not removable: kept, and the run's own error is the one told
  }
}
