// The one file-system edge: every command reads, checks, writes, removes and locks a fleet
// through a FleetDisk, its port. fleetDisk(root) is the real one; a test passes one over a
// WriterFileSystem that fails midway, or its own object. Planning code never takes one: it gets
// texts and returns files.
import { resolve } from 'node:path';
import type { PlannedFile } from '../fleet/layout.js';
import { GitIgnoreRules } from './git-ignored.js';
import {
  type CommittedFiles,
  entriesOf,
  type FleetFile,
  filesUnder,
  isFile,
  isFolder,
  readCommittedFiles,
  readText,
} from './reader.js';
import {
  acquireFleetLock,
  assertWritable,
  findTemporaryFiles,
  nodeFileSystem,
  type Recovery,
  removeFiles,
  resolveInsideFleet,
  withFleetLock,
  writeAllOrNothing,
  type WriterFileSystem,
} from './writer.js';

export type { CommittedFiles, FleetFile } from './reader.js';
export type { Recovery, WriterFileSystem } from './writer.js';

/** A fleet on disk, by POSIX paths relative to its root. */
export interface FleetDisk {
  /** The fleet's folder, absolute. */
  readonly root: string;
  /** A file's text, null when missing; a symbolic link leaving the fleet is refused (exit 2). */
  text(path: string): string | null;
  /** Whether the path is there (a symbolic link leaving the fleet is refused). */
  exists(path: string): boolean;
  isFolder(path: string): boolean;
  /** Whether the path is a file, following a symbolic link (the link policy is not applied). */
  isFile(path: string): boolean;
  /** The names of a folder's entries, sorted, with their kind; none when the folder is missing. */
  entries(folder: string): readonly { readonly name: string; readonly kind: 'file' | 'folder' | 'link' | 'other' }[];
  /** The regular files under the folders whose names match `name`, at any depth, sorted, with their text. */
  filesUnder(folders: readonly string[], name?: RegExp): FleetFile[];
  /** The files Git would commit, read once each (flux-sops check, secret list). */
  committed(): CommittedFiles;
  /** Whether Git would ignore the file at `path` (by the fleet's .gitignore files and .git/info/exclude). */
  ignores(path: string): boolean;
  /** The product's leftover temporary files (an interrupted run's). */
  temporaryFiles(): string[];
  /** Throws an 'unwritable' error naming every path that cannot be written; writes nothing. */
  assertWritable(paths: readonly string[]): void;
  /** Writes every file or none (temporary files, then renames; a failed rename is undone). */
  writeAllOrNothing(files: readonly PlannedFile[]): void;
  /** Deletes the files, then the folders among `folders` (and below) left empty by it. */
  remove(paths: readonly string[], folders?: readonly string[]): void;
  /** Runs `work` holding the fleet lock, after an interrupted run's writes are finished or cleaned. */
  withLock<T>(work: (recovery: Recovery) => T): T;
  /** The fleet lock for asynchronous work: the caller releases it in a `finally`. */
  acquireLock(): { readonly recovery: Recovery; release(): void };
}

export function fleetDisk(root: string, fileSystem: WriterFileSystem = nodeFileSystem): FleetDisk {
  const base = resolve(root);
  return {
    root: base,
    text: (path) => readText(base, path),
    exists: (path) => resolveInsideFleet(base, path) !== undefined,
    isFolder: (path) => isFolder(base, path),
    isFile: (path) => isFile(base, path),
    entries: (folder) =>
      entriesOf(base, folder).map((entry) => ({
        name: entry.name,
        kind: entry.isFile() ? 'file' : entry.isDirectory() ? 'folder' : entry.isSymbolicLink() ? 'link' : 'other',
      })),
    filesUnder: (folders, name) => filesUnder(base, folders, name),
    committed: () => readCommittedFiles(base),
    ignores: (path) => new GitIgnoreRules(base).ignores(path),
    temporaryFiles: () => findTemporaryFiles(base, fileSystem),
    assertWritable: (paths) => assertWritable(base, paths),
    writeAllOrNothing: (files) => writeAllOrNothing(base, files, fileSystem),
    remove: (paths, folders = []) => removeFiles(base, paths, folders, fileSystem),
    withLock: (work) => withFleetLock(base, work, fileSystem),
    acquireLock: () => acquireFleetLock(base, fileSystem),
  };
}
