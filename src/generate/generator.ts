// What the generating commands share: `flux-sops [dir]`, `env add` and `tenant add` read the
// stored answers of the fleet they write into, and run a generator of the package in it under the
// fleet lock. Yeoman (yeoman-environment and the generators) loads only inside runGenerator, in
// src/yeoman/run-generator.ts: a bad value is answered before the framework loads.
import { dirname, join } from 'node:path';
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';
import { type RawAnswers, readAnswersObject } from '../fleet/answers.js';
import { parseStoredAnswersFile, STORED_ANSWERS_FILE, STORAGE_NAME } from '../fleet/layout.js';
import { answersToAddTo } from '../fleet/plan.js';
import type { Ports } from '../ports.js';

/** The options of a generating command line, by option name (`answers` absolute). */
export type GeneratorOptions = Readonly<Record<string, unknown>>;

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
  const { answers } = parseStoredAnswersFile(
    text,
    join(disk.root, STORED_ANSWERS_FILE),
    ': fix it, or remove it to give the answers again',
  );
  return answers === undefined ? {} : readAnswersObject(answers, `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`);
}

/**
 * The stored answers of a fleet a sub-generator (env, tenant) adds to. Not a fleet, or a fleet
 * from before tenants: exit 2.
 */
export function storedAnswersToAddTo(disk: FleetDisk): RawAnswers {
  return answersToAddTo(readStoredAnswers(disk), (path) => disk.exists(path));
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
