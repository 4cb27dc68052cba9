// Yeoman glue shared by the `app` and `env` generators: no fleet logic lives here.
import { accessSync, constants, existsSync, lstatSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Transform } from 'node:stream';
import type Generator from 'yeoman-generator';
import type { BaseOptions } from 'yeoman-generator';
import type { PlannedFile } from './plan.js';

/** Prompts only with a terminal on stdin and outside CI; `--interactive`/`--no-interactive` override. */
export function isInteractive(option: unknown): boolean {
  if (typeof option === 'boolean') {
    return option;
  }
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}

type OnDisk = 'missing' | 'identical' | 'different';

/**
 * How a planned file stands on disk: read once, for both the write pre-flight and the
 * conflicts. A path that cannot even be looked at (a file where a folder must go) counts as
 * missing: the pre-flight then says why it cannot be written.
 */
function onDisk(root: string, file: PlannedFile): OnDisk {
  const path = join(root, file.path);
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats) {
      return 'missing';
    }
    return stats.isFile() && readFileSync(path, 'utf8') === file.contents ? 'identical' : 'different';
  } catch {
    return 'missing';
  }
}

export class ConflictError extends Error {
  readonly exitCode = 1;
  constructor(readonly files: readonly string[]) {
    super(
      `These files differ from what would be generated (edited by hand?):\n${files.map((file) => `  ${file}`).join('\n')}\n` +
        'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.',
    );
    this.name = 'ConflictError';
  }
}

/** The storage file Yeoman writes beside the planned files: it must be writable too. */
const STORED_ANSWERS_FILE = '.yo-rc.json';

function accessProblem(path: string, mode: number): string | undefined {
  try {
    accessSync(path, mode);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  }
}

/**
 * Why the given files (POSIX paths relative to root) could not be written, found before
 * anything is: Yeoman commits file by file, so a file where a folder must go, a folder where a
 * file must go, or a folder without write permission met halfway would leave half a fleet.
 * Symbolic links inside the fleet are refused too: writing through one could change a file
 * outside it. One problem per blocking path, as `<path>: <why>`.
 */
export function findUnwritablePaths(root: string, paths: readonly string[]): string[] {
  const problems = new Map<string, string>();
  let existingRoot = root;
  while (!existsSync(existingRoot) && dirname(existingRoot) !== existingRoot) {
    existingRoot = dirname(existingRoot);
  }
  if (!statSync(existingRoot).isDirectory()) {
    return [`${existingRoot}: is a file, not a folder the fleet can go in`];
  }
  if (existingRoot !== root) {
    const problem = accessProblem(existingRoot, constants.W_OK | constants.X_OK);
    return problem ? [`${existingRoot}: cannot create the folder ${root} in it (${problem})`] : [];
  }
  const blockedBy = (blocker: string, why: string): void => {
    if (!problems.has(blocker)) {
      problems.set(blocker, `${blocker}: ${why}`);
    }
  };
  for (const path of paths) {
    const parts = path.split('/');
    for (let depth = 1; depth <= parts.length; depth += 1) {
      const partial = parts.slice(0, depth).join('/');
      const absolute = join(root, partial);
      const stats = lstatSync(absolute, { throwIfNoEntry: false });
      if (!stats) {
        const parent = dirname(absolute);
        const problem = accessProblem(parent, constants.W_OK | constants.X_OK);
        if (problem) {
          blockedBy(`${relative(root, parent) || '.'}/`, `cannot create ${partial} in this folder (${problem})`);
        }
        break;
      }
      if (stats.isSymbolicLink()) {
        blockedBy(partial, 'is a symbolic link: nothing is written through one (it could point outside the fleet)');
        break;
      }
      if (depth < parts.length && !stats.isDirectory()) {
        blockedBy(partial, `is a file where a folder must go (for ${path})`);
        break;
      }
      if (depth === parts.length) {
        const problem = stats.isDirectory() ? 'is a folder where a file must go' : accessProblem(absolute, constants.W_OK);
        if (problem) {
          blockedBy(partial, problem.startsWith('is ') ? problem : `cannot be overwritten (${problem})`);
        }
      }
    }
  }
  return [...problems.values()];
}

export class UnwritablePathsError extends Error {
  readonly exitCode = 1;
  constructor(root: string, readonly problems: readonly string[]) {
    super(
      `Cannot write the fleet into ${root}:\n${problems.map((problem) => `  ${problem}`).join('\n')}\n` +
        'Nothing was written. Fix these and run again.',
    );
    this.name = 'UnwritablePathsError';
  }
}

/**
 * Hands planned files to Yeoman's file system, after checking that every one of them (and the
 * stored answers) can be written, so a run either writes the whole fleet or nothing. Without a
 * terminal, conflicts stop the run before anything is written (Yeoman's conflicter would
 * otherwise need to prompt); in a terminal Yeoman's conflicter asks file by file (see
 * commitAllOrNothing).
 */
export function writePlannedFiles(generator: Generator<Record<string, unknown>, BaseOptions & Record<string, unknown>>, files: readonly PlannedFile[], interactive: boolean): void {
  const root = generator.destinationRoot();
  const states = files.map((file) => ({ path: file.path, state: onDisk(root, file) }));
  // Yeoman leaves identical files alone, but always rewrites its storage file.
  const changing = states.filter(({ state }) => state !== 'identical').map(({ path }) => path);
  const unwritable = findUnwritablePaths(root, [...changing, STORED_ANSWERS_FILE]);
  if (unwritable.length > 0) {
    throw new UnwritablePathsError(root, unwritable);
  }
  if (!interactive && !generator.options.force) {
    // Files that exist with other content than planned: the user's edits, never overwritten silently.
    const conflicts = states.filter(({ state }) => state === 'different').map(({ path }) => path);
    if (conflicts.length > 0) {
      throw new ConflictError(conflicts);
    }
  }
  for (const file of files) {
    generator.fs.write(generator.destinationPath(file.path), file.contents);
  }
}

/**
 * The commit task of the fleet generators (their `customCommitTask` feature): Yeoman's commit
 * pipeline (its conflicter, then its writes), with every write held back until the conflicter
 * has settled every file. Yeoman's conflicter handles files in parallel and writes each one as
 * soon as it is settled, so Ctrl-C at a conflict question would otherwise leave the files
 * settled before it, and `.yo-rc.json`, written: a fleet neither old nor new. The stored answers
 * are written last, so a run that fails while writing does not record answers it did not apply.
 * Unlike Yeoman's default commit, `.yo-resolve` files are not consulted: looking them up costs
 * several stat calls per file (most of the I/O of a large fleet), and the conflict decisions
 * they would automate are made here by `--force` or at the prompt.
 */
export async function commitAllOrNothing(environment: unknown): Promise<void> {
  const [{ createConflicterTransform, forceYoFiles }, { createCommitTransform }, { isFilePending }] = await Promise.all([
    import('@yeoman/conflicter'),
    import('mem-fs-editor/transform'),
    import('mem-fs-editor/state'),
  ]);
  const { adapter, conflicterOptions, sharedFs } = environment as {
    adapter: Parameters<typeof createConflicterTransform>[0];
    conflicterOptions?: Parameters<typeof createConflicterTransform>[1];
    sharedFs: { pipeline: (options: unknown, ...transforms: unknown[]) => Promise<void> };
  };
  await sharedFs.pipeline(
    { filter: isFilePending },
    forceYoFiles(),
    createConflicterTransform(adapter, conflicterOptions),
    holdUntilAllSettled(),
    createCommitTransform(),
  );
}

/** Passes files on only once all have arrived, in their order, the stored answers last. */
function holdUntilAllSettled(): Transform {
  const held: { path: string }[] = [];
  return new Transform({
    objectMode: true,
    transform(file: { path: string }, _encoding, callback) {
      held.push(file);
      callback();
    },
    flush(callback) {
      const isStoredAnswers = (file: { path: string }) => file.path.endsWith(`/${STORED_ANSWERS_FILE}`);
      for (const file of [...held.filter((file) => !isStoredAnswers(file)), ...held.filter(isStoredAnswers)]) {
        this.push(file);
      }
      callback();
    },
  });
}
