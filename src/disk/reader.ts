// How every command reads a fleet: a file's text, a folder's entries, the files under some
// folders, and the files Git would commit. One symbolic-link policy (resolveInsideFleet): a link
// staying inside the fleet is read as the file it points to, one leaving it is refused (exit 2).
// Paths are POSIX and relative to the fleet's root. Loads no YAML library: the checker's bundle
// uses it.
import { type Dirent, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { SKIPPED_FOLDERS } from '../fleet/layout.js';
import { GitIgnoreRules } from './git-ignored.js';
import { resolveInsideFleet } from './writer.js';

/** A fleet file and its text. */
export interface FleetFile {
  readonly path: string;
  readonly text: string;
}

/** What `flux-sops check` reads: the YAML and JSON texts, and every file Git would commit with its bytes. */
export interface CommittedFiles {
  /** The YAML and JSON files (not Terraform's *.tf.json) as text, by POSIX path relative to the root. */
  readonly texts: Map<string, string>;
  /** Every file Git would commit, with its bytes. */
  readonly files: Map<string, Buffer>;
}

/** Kubernetes manifests and their kin; Terraform's own JSON files (`*.tf.json`) are not. */
const CHECKED_FILE = /\.(ya?ml|json)$/;
const TERRAFORM_JSON = /\.tf\.json$/;

function problemOf(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** A file's text at an absolute path, or null when it does not exist; another failure is a 'fleet' error naming it. */
function readTextAt(absolute: string): string | null {
  try {
    return readFileSync(absolute, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return null;
    }
    throw new FluxSopsError('fleet', `${absolute} cannot be read (${problemOf(error)})`);
  }
}

/** The text of `path` in the fleet at root, null when missing; a link leaving the fleet is refused. */
export function readText(root: string, path: string): string | null {
  const target = resolveInsideFleet(root, path);
  return target === undefined ? null : readTextAt(target);
}

/** The entries of a folder of the fleet, sorted by name; none when it does not exist. */
export function entriesOf(root: string, folder: string): Dirent[] {
  if (folder !== '' && folder !== '.' && resolveInsideFleet(root, folder) === undefined) {
    return []; // missing; a folder reached through a link leaving the fleet is refused
  }
  try {
    return readdirSync(join(root, folder), { withFileTypes: true }).sort((left, right) =>
      left.name < right.name ? -1 : left.name > right.name ? 1 : 0,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return [];
    }
    throw new FluxSopsError('fleet', `${folder} cannot be read (${problemOf(error)})`);
  }
}

/** Whether `path` (relative to root) is a folder. */
export function isFolder(root: string, path: string): boolean {
  return statSync(join(root, path), { throwIfNoEntry: false })?.isDirectory() === true;
}

/** Whether `path` (relative to root) is a file, following a symbolic link (the link policy is not applied). */
export function isFile(root: string, path: string): boolean {
  return statSync(join(root, path), { throwIfNoEntry: false })?.isFile() === true;
}

/**
 * The regular files under the folders, at any depth and sorted, whose names match `name`, with
 * their text. node_modules, .git and .terraform are not entered. Symbolic links are not followed
 * (a file outside the fleet is never read or rewritten): one leaving the fleet is a 'fleet' error
 * naming it, one inside it is the file it points to, met on its own.
 */
export function filesUnder(root: string, folders: readonly string[], name: RegExp = /(?:)/): FleetFile[] {
  const files: FleetFile[] = [];
  const walk = (folder: string): void => {
    for (const entry of entriesOf(root, folder)) {
      const path = `${folder}/${entry.name}`;
      if (entry.isDirectory() && !SKIPPED_FOLDERS.has(entry.name)) {
        walk(path);
      } else if (entry.isFile() && name.test(entry.name)) {
        files.push({ path, text: readFileSync(join(root, path), 'utf8') });
      } else if (entry.isSymbolicLink()) {
        resolveInsideFleet(root, path);
      }
    }
  };
  folders.forEach(walk);
  return files;
}

/**
 * The files of the fleet that Git would commit (by the .gitignore files and .git/info/exclude),
 * read once each. Symbolic links are not followed; node_modules, .git and .terraform are not
 * entered.
 */
export function readCommittedFiles(root: string): CommittedFiles {
  const texts = new Map<string, string>();
  const files = new Map<string, Buffer>();
  for (const { path, symbolicLink } of new GitIgnoreRules(root).listCommittedFiles(SKIPPED_FOLDERS)) {
    const checked = CHECKED_FILE.test(path) && !TERRAFORM_JSON.test(path);
    if (symbolicLink) {
      // Git commits the link, not its target: the target is scanned for keys as a file of its own.
      const target = checked ? resolveInsideFleet(root, path) : undefined;
      if (target !== undefined && statSync(target).isFile()) {
        texts.set(path, readFileSync(target, 'utf8'));
      }
      continue;
    }
    const bytes = readFileSync(`${root}${sep}${path.split('/').join(sep)}`);
    files.set(path, bytes);
    if (checked) {
      texts.set(path, bytes.toString('utf8'));
    }
  }
  return { texts, files };
}
