// Whether a fleet's files can be written, found before anything is (Yeoman and the sealing
// commands write file by file, so a problem met halfway would leave half a fleet), and the
// all-or-nothing writer of the commands that rewrite fleet files without Yeoman.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, existsSync, lstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { FluxSopsError } from './errors.js';
import type { PlannedFile } from './fleet/layout.js';

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

export function unwritablePathsError(root: string, problems: readonly string[]): FluxSopsError {
  return new FluxSopsError(
    'unwritable',
    `Cannot write the fleet into ${root}:\n${problems.map((problem) => `  ${problem}`).join('\n')}\n` + 'Nothing was written. Fix these and run again.',
  );
}

/** Throws when any of the paths (relative to root) cannot be written; see findUnwritablePaths. */
export function assertWritable(root: string, paths: readonly string[]): void {
  const unwritable = findUnwritablePaths(root, paths);
  if (unwritable.length > 0) {
    throw unwritablePathsError(root, unwritable);
  }
}

/**
 * Writes every file or none: each goes to a temporary file beside its target (same folder, so
 * the rename is atomic), then the temporary files are renamed into place; if one rename fails,
 * the files already renamed get their previous contents back. Callers pass ciphertext and
 * kustomizations only: a temporary file never holds a secret value.
 */
export function writeAllOrNothing(root: string, files: readonly PlannedFile[]): void {
  assertWritable(root, files.map((file) => file.path));
  const staged: { file: PlannedFile; target: string; temporary: string; previous: Buffer | null; mode: number }[] = [];
  const removeStaged = () =>
    staged.forEach(({ temporary }) => {
      try {
        rmSync(temporary, { force: true });
      } catch {
        // best effort: the error being reported is the one that matters
      }
    });
  const failure = (path: string, error: unknown) => unwritablePathsError(root, [`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  try {
    for (const file of files) {
      const target = join(root, file.path);
      const stats = lstatSync(target, { throwIfNoEntry: false });
      const temporary = join(dirname(target), `.${basename(target)}.flux-sops-${randomBytes(6).toString('hex')}`);
      const mode = stats ? stats.mode & 0o777 : 0o644;
      staged.push({ file, target, temporary, previous: stats ? readFileSync(target) : null, mode });
      writeFileSync(temporary, file.contents, { mode, flag: 'wx' });
    }
  } catch (error) {
    removeStaged();
    throw failure(staged.at(-1)?.file.path ?? '?', error);
  }
  const renamed: typeof staged = [];
  for (const each of staged) {
    try {
      renameSync(each.temporary, each.target);
      renamed.push(each);
    } catch (error) {
      for (const done of renamed) {
        if (done.previous === null) {
          rmSync(done.target, { force: true });
        } else {
          writeFileSync(done.target, done.previous, { mode: done.mode });
        }
      }
      removeStaged();
      throw failure(each.file.path, error);
    }
  }
}
