// Whether a fleet's files can be written, found before anything is (Yeoman and the sealing
// commands write file by file, so a problem met halfway would leave half a fleet), and the
// all-or-nothing writer of the commands that rewrite fleet files without Yeoman, the fleet lock,
// and the recovery of an interrupted run. The one file-system edge of the writing commands.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { accessSync, constants, existsSync, lstatSync, type Stats, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { type PlannedFile, SKIPPED_FOLDERS } from '../fleet/layout.js';

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
    if (!isInside(path)) {
      blockedBy(path, 'is not a path inside the fleet: nothing is written outside it');
      continue;
    }
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
        const problem = stats.isDirectory()
          ? 'is a folder where a file must go'
          : accessProblem(absolute, constants.W_OK);
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
    `Cannot write into ${root}:\n${problems.map((problem) => `  ${problem}`).join('\n')}\n` +
      'Nothing was written. Fix these and run again.',
  );
}

/** Throws when any of the paths (relative to root) cannot be written; see findUnwritablePaths. */
export function assertWritable(root: string, paths: readonly string[]): void {
  const unwritable = findUnwritablePaths(root, paths);
  if (unwritable.length > 0) {
    throw unwritablePathsError(root, unwritable);
  }
}

/** The file-system calls of the all-or-nothing writer: tests pass one that fails midway. */
export type WriterFileSystem = Pick<
  typeof fs,
  'writeFileSync' | 'renameSync' | 'rmSync' | 'rmdirSync' | 'readFileSync' | 'lstatSync' | 'readdirSync'
>;

/** The real file system. */
export const nodeFileSystem: WriterFileSystem = fs;

/**
 * Every temporary file of the product is named `.<name>.flux-sops-<suffix>`: the fleet's
 * `.gitignore` ignores `.*.flux-sops-*`.
 */
const TEMPORARY_NAME = /^\..+\.flux-sops-[a-z0-9-]+$/;

/** Whether a file name is one of the product's temporary files (a leftover when no run holds the lock). */
export function isTemporaryName(name: string): boolean {
  return TEMPORARY_NAME.test(name) && name !== LOCK_FILE;
}

function temporaryPathOf(target: string): string {
  return join(dirname(target), `.${basename(target)}.flux-sops-${randomBytes(6).toString('hex')}`);
}

/**
 * The journal of a commit of several files: written (atomically) once every temporary file is
 * complete, removed once every rename is done. A run killed between renames leaves it behind,
 * and the next writing command finishes those renames, so the files are all new, never half.
 */
const JOURNAL_FILE = '.commit.flux-sops-journal';

/** A journal lists a few paths: anything larger is not one this product wrote. */
const MAX_JOURNAL_BYTES = 1024 * 1024;

interface JournalEntry {
  readonly path: string;
  readonly temporary: string;
}

/**
 * Writes every file or none: each goes to a temporary file beside its target (same folder, so
 * the rename is atomic), then the temporary files are renamed into place; if one rename fails,
 * the files already renamed get their previous contents back. A path outside the fleet (absolute,
 * with `..`, through a symbolic link) is refused before anything is written. Callers pass
 * ciphertext and kustomizations only: a temporary file never holds a secret value.
 */
export function writeAllOrNothing(
  root: string,
  files: readonly PlannedFile[],
  fileSystem: WriterFileSystem = nodeFileSystem,
): void {
  assertWritable(
    root,
    files.map((file) => file.path),
  );
  const staged: { file: PlannedFile; target: string; temporary: string; previous: Buffer | null; mode: number }[] = [];
  const journal = join(root, JOURNAL_FILE);
  const remove = (path: string) => {
    try {
      fileSystem.rmSync(path, { force: true });
    } catch {
      // best effort: the error being reported is the one that matters
    }
  };
  const removeStaged = () => staged.forEach(({ temporary }) => remove(temporary));
  const failure = (path: string, error: unknown) =>
    unwritablePathsError(root, [`${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
  let current = '?';
  try {
    for (const file of files) {
      current = file.path;
      const target = join(root, file.path);
      const stats = fileSystem.lstatSync(target, { throwIfNoEntry: false });
      const entry = {
        file,
        target,
        temporary: temporaryPathOf(target),
        previous: stats ? fileSystem.readFileSync(target) : null,
        mode: stats ? stats.mode & 0o777 : 0o644,
      };
      staged.push(entry);
      fileSystem.writeFileSync(entry.temporary, file.contents, { mode: entry.mode, flag: 'wx' });
    }
    if (staged.length > 1) {
      current = JOURNAL_FILE;
      const entries: JournalEntry[] = staged.map(({ file, temporary }) => ({
        path: file.path,
        temporary: relative(root, temporary),
      }));
      const temporary = temporaryPathOf(journal);
      fileSystem.writeFileSync(temporary, `${JSON.stringify(entries)}\n`, { mode: 0o644, flag: 'wx' });
      fileSystem.renameSync(temporary, journal);
    }
  } catch (error) {
    removeStaged();
    throw failure(current, error);
  }
  const renamed: typeof staged = [];
  for (const each of staged) {
    try {
      fileSystem.renameSync(each.temporary, each.target);
      renamed.push(each);
    } catch (error) {
      for (const done of renamed) {
        try {
          if (done.previous === null) {
            fileSystem.rmSync(done.target, { force: true });
          } else {
            fileSystem.writeFileSync(done.target, done.previous, { mode: done.mode });
          }
        } catch {
          // best effort: the rename's error is the one reported
        }
      }
      removeStaged();
      remove(journal);
      throw failure(each.file.path, error);
    }
  }
  remove(journal);
}

/** What recoverInterruptedWrites did: the files of the interrupted commit it finished, the leftovers it removed. */
export interface Recovery {
  readonly completed: readonly string[];
  readonly removed: readonly string[];
}

/** Every leftover temporary file of the fleet (POSIX paths relative to root), the lock aside. */
export function findTemporaryFiles(root: string, fileSystem: WriterFileSystem = nodeFileSystem): string[] {
  const found: string[] = [];
  const walk = (folder: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fileSystem.readdirSync(join(root, folder), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) {
        walk(path);
      } else if (!entry.isDirectory() && isTemporaryName(entry.name)) {
        found.push(path);
      }
    }
  };
  walk('');
  return found.sort();
}

/**
 * Finishes or undoes what an interrupted run left, before a writing command reads the fleet
 * (call it holding the fleet lock): a commit whose journal is complete is finished (its
 * remaining temporary files renamed into place), then every temporary file left is removed.
 */
export function recoverInterruptedWrites(root: string, fileSystem: WriterFileSystem = nodeFileSystem): Recovery {
  const completed: string[] = [];
  let entries: JournalEntry[] = [];
  const journal = fileSystem.lstatSync(join(root, JOURNAL_FILE), { throwIfNoEntry: false });
  try {
    // Only the regular file a run wrote, of the size a journal has: never through a link (to /dev/zero, say).
    if (journal?.isFile() && journal.size <= MAX_JOURNAL_BYTES) {
      entries = JSON.parse(fileSystem.readFileSync(join(root, JOURNAL_FILE), 'utf8')) as JournalEntry[];
    }
  } catch {
    entries = [];
  }
  for (const { path, temporary } of Array.isArray(entries) ? entries : []) {
    if (
      typeof path !== 'string' ||
      typeof temporary !== 'string' ||
      !isInside(path) ||
      !isInside(temporary) ||
      dirname(temporary) !== dirname(path) ||
      !basename(temporary).startsWith(`.${basename(path)}.flux-sops-`) ||
      !isTemporaryName(basename(temporary)) ||
      findUnwritablePaths(root, [path, temporary]).length > 0
    ) {
      // A journal a pull request wrote: nothing outside the fleet is touched, nor through a link on the way.
      continue;
    }
    if (fileSystem.lstatSync(join(root, temporary), { throwIfNoEntry: false })?.isFile()) {
      fileSystem.renameSync(join(root, temporary), join(root, path));
    }
    completed.push(path); // renamed now or before the interruption: the whole commit is done
  }
  const removed = findTemporaryFiles(root, fileSystem);
  removed.forEach((path) => fileSystem.rmSync(join(root, path), { force: true }));
  return { completed, removed };
}

/** A POSIX path relative to the fleet that stays inside it: not absolute, no `..`, no empty part. */
export function isInside(path: string): boolean {
  return (
    path !== '' && !isAbsolute(path) && !path.split('/').some((part) => part === '..' || part === '' || part === '.')
  );
}

/** The fleet lock: created exclusively by a command that writes, removed when it is done. */
export const LOCK_FILE = '.fleet.flux-sops-lock';

interface LockHolder {
  readonly pid: number;
  readonly started: string;
}

function sleep(milliseconds: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, milliseconds);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's holder, or undefined when the lock is stale: its process is gone, or it stayed unreadable for a while. */
function liveHolder(path: string): LockHolder | 'unreadable' | undefined {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch {
    return 'unreadable'; // removed meanwhile: try again
  }
  try {
    const holder = JSON.parse(text) as LockHolder;
    if (Number.isInteger(holder.pid) && holder.pid > 0) {
      return isRunning(holder.pid) ? holder : undefined;
    }
  } catch {
    // being written, or garbage
  }
  const age = Date.now() - (fs.statSync(path, { throwIfNoEntry: false })?.mtimeMs ?? 0);
  return age > 2_000 ? undefined : 'unreadable';
}

/** How long a command waits for another run's lock, in milliseconds (FLUX_SOPS_LOCK_WAIT_SECONDS). */
function lockWait(): number {
  const seconds = Number(process.env.FLUX_SOPS_LOCK_WAIT_SECONDS ?? '10');
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 10_000;
}

/**
 * Runs `work` holding the fleet lock: a file created exclusively at the fleet's root with the
 * holder's pid and start time, so two runs at once never interleave a read-change-write of the
 * same files. A lock whose process is gone is stale and taken over. Another run's lock is waited
 * for briefly, then it is a 'conflict' (exit 1) naming the holder. Interrupted writes of an
 * earlier run are finished or cleaned first (recoverInterruptedWrites).
 */
export function withFleetLock<T>(
  root: string,
  work: (recovery: Recovery) => T,
  fileSystem: WriterFileSystem = nodeFileSystem,
): T {
  const lock = acquireFleetLock(root, fileSystem);
  try {
    return work(lock.recovery);
  } finally {
    lock.release();
  }
}

/**
 * Takes the fleet lock for work that is not synchronous (a generator run): the caller releases
 * it, in a `finally`. The same lock, waiting and recovery as withFleetLock.
 */
export function acquireFleetLock(
  root: string,
  fileSystem: WriterFileSystem = nodeFileSystem,
): { readonly recovery: Recovery; release(): void } {
  const path = join(root, LOCK_FILE);
  const deadline = Date.now() + lockWait();
  const me: LockHolder = { pid: process.pid, started: new Date().toISOString() };
  for (;;) {
    try {
      fs.writeFileSync(path, `${JSON.stringify(me)}\n`, { flag: 'wx', mode: 0o644 });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw unwritablePathsError(root, [
          `${LOCK_FILE}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        ]);
      }
    }
    const holder = liveHolder(path);
    if (holder === undefined) {
      fs.rmSync(path, { force: true }); // stale: its process is gone
      continue;
    }
    if (Date.now() > deadline) {
      const who = holder === 'unreadable' ? 'another run' : `flux-sops process ${holder.pid} (since ${holder.started})`;
      throw new FluxSopsError(
        'conflict',
        `The fleet ${root} is locked by ${who}: nothing was written. Wait for it to finish and run again (a lock ` +
          `whose process is gone is taken over: ${LOCK_FILE}).`,
      );
    }
    sleep(25 + Math.floor(Math.random() * 50));
  }
  const release = () => fs.rmSync(path, { force: true });
  try {
    return { recovery: recoverInterruptedWrites(root, fileSystem), release };
  } catch (error) {
    release();
    throw error;
  }
}

/** A path's own status; nothing when it is missing, or when a folder on its way is a file (ENOTDIR). */
function lstatOrNothing(absolute: string): Stats | undefined {
  try {
    return lstatSync(absolute, { throwIfNoEntry: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOTDIR') {
      return undefined;
    }
    throw error;
  }
}

/**
 * The one symbolic-link policy of every command, for `.sops.yaml` and every fleet file: a link
 * whose target stays inside the fleet is read like the file it points to; one that leaves the
 * fleet (or cannot be resolved) is refused, a 'fleet' error naming it (exit 2). Nothing is ever
 * written through a link (findUnwritablePaths). Returns the real path to read, or undefined when
 * nothing is there.
 */
export function resolveInsideFleet(root: string, path: string): string | undefined {
  const absolute = join(root, path);
  const stats = lstatOrNothing(absolute);
  if (!stats) {
    return undefined;
  }
  let target: string;
  try {
    target = fs.realpathSync(absolute);
  } catch (error) {
    throw new FluxSopsError(
      'fleet',
      `${path} is a symbolic link that leads nowhere (${(error as NodeJS.ErrnoException).code ?? 'unresolved'}): ` +
        `refused; replace it with the file itself`,
    );
  }
  // Every part of the path counts, not only the last: a folder on the way may be a link too.
  const inside = relative(fs.realpathSync(root), target);
  const outside = inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside);
  if (stats.isSymbolicLink() && (outside || inside === '')) {
    throw new FluxSopsError(
      'fleet',
      `${path} is a symbolic link to ${target}, outside the fleet: refused (a pull request could point it ` +
        `anywhere); replace it with the file itself`,
    );
  }
  if (outside) {
    throw new FluxSopsError(
      'fleet',
      `${path} is reached through a symbolic link to a folder outside the fleet (${target}): refused (a pull ` +
        `request could point it anywhere); replace the link with the folder itself`,
    );
  }
  return stats.isSymbolicLink() ? target : absolute;
}

/**
 * Deletes the files (POSIX paths relative to root; never through a symbolic link), then each of
 * `folders` and the folders below it that are empty once the files are gone. A folder holding
 * anything else is kept.
 */
export function removeFiles(
  root: string,
  paths: readonly string[],
  folders: readonly string[],
  fileSystem: WriterFileSystem = nodeFileSystem,
): void {
  assertWritable(root, paths);
  for (const path of paths) {
    fileSystem.rmSync(join(root, path));
  }
  const removeEmpty = (folder: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fileSystem.readdirSync(join(root, folder), { withFileTypes: true });
    } catch {
      return; // gone, or not a folder
    }
    for (const entry of entries) {
      if (entry.isDirectory()) {
        removeEmpty(`${folder}/${entry.name}`);
      }
    }
    if (fileSystem.readdirSync(join(root, folder)).length === 0) {
      fileSystem.rmdirSync(join(root, folder)); // an empty folder only (Node 26 refuses a recursive option here)
    }
  };
  folders.forEach(removeEmpty);
}
