// Which files of a fleet Git would commit, decided as Git does from the fleet's `.gitignore`
// files (at the root and in any folder) and `.git/info/exclude`: the bundled checker runs where
// `git` may not be installed, so it cannot ask it. The patterns are matched by the `ignore`
// package, which implements Git's rules (a test holds it to `git check-ignore`). Not covered:
// `core.excludesFile` (a user's global patterns), and files tracked although ignored.
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';

const GITIGNORE = '.gitignore';
const INFO_EXCLUDE = `.git${sep}info${sep}exclude`;

/** The patterns of one file, and the folder (POSIX, relative to the root, '' or ending in '/') they are relative to. */
interface IgnoreLevel {
  readonly folder: string;
  readonly rules: Ignore;
}

/** A .gitignore larger than this is not read (a link to /dev/zero, a file built to exhaust memory). */
const MAX_PATTERNS_BYTES = 1024 * 1024;

function readPatterns(path: string): string | undefined {
  try {
    // A regular file only, as Git (2.32 and later) reads .gitignore: never through a symbolic link.
    const stats = lstatSync(path, { throwIfNoEntry: false });
    return stats?.isFile() && stats.size <= MAX_PATTERNS_BYTES ? readFileSync(path, 'utf8') : undefined;
  } catch {
    return undefined; // not readable: no patterns, as for Git
  }
}

/** The Git ignore rules of a work tree, read folder by folder as they are needed. */
export class GitIgnoreRules {
  private readonly levels = new Map<string, IgnoreLevel | undefined>();
  private readonly exclude: IgnoreLevel | undefined;

  constructor(private readonly root: string) {
    const exclude = readPatterns(`${root}${sep}${INFO_EXCLUDE}`);
    this.exclude = exclude === undefined ? undefined : { folder: '', rules: ignore().add(exclude) };
  }

  /** The `.gitignore` of a folder ('' for the root, else POSIX ending in '/'), read once. */
  private levelOf(folder: string): IgnoreLevel | undefined {
    if (!this.levels.has(folder)) {
      const text = readPatterns(`${this.root}${sep}${folder.split('/').join(sep)}${GITIGNORE}`);
      this.levels.set(folder, text === undefined ? undefined : { folder, rules: ignore().add(text) });
    }
    return this.levels.get(folder);
  }

  /**
   * Whether Git ignores this path (POSIX, relative to the root) by the patterns that apply to it:
   * the `.gitignore` of the nearest folder that has a matching pattern wins, `.git/info/exclude`
   * comes last. The folders above it are not tested here: callers walk down and stop at an
   * ignored folder, as Git does.
   */
  private matches(path: string, isFolder: boolean): boolean {
    const name = isFolder ? `${path}/` : path;
    const levels: IgnoreLevel[] = [];
    for (let slash = path.lastIndexOf('/'); ; slash = path.lastIndexOf('/', slash - 1)) {
      const level = this.levelOf(slash === -1 ? '' : path.slice(0, slash + 1));
      if (level !== undefined) {
        levels.push(level);
      }
      if (slash === -1) {
        break;
      }
    }
    if (this.exclude !== undefined) {
      levels.push(this.exclude);
    }
    for (const { folder, rules } of levels) {
      const result = rules.test(name.slice(folder.length));
      if (result.ignored || result.unignored) {
        return result.ignored;
      }
    }
    return false;
  }

  /** Whether Git ignores this path or a folder above it: `git add` would not pick it up. */
  ignores(path: string, isFolder = false): boolean {
    const parts = path.split('/');
    for (let depth = 1; depth < parts.length; depth += 1) {
      if (this.matches(parts.slice(0, depth).join('/'), true)) {
        return true;
      }
    }
    return this.matches(path, isFolder);
  }

  /**
   * Every regular file and symbolic link Git would commit, by POSIX path relative to the root,
   * folder by folder in name order. Links are listed, not followed; `skipped` folders (.git,
   * dependencies) are not entered.
   */
  listCommittedFiles(skipped: ReadonlySet<string>): { path: string; symbolicLink: boolean }[] {
    const files: { path: string; symbolicLink: boolean }[] = [];
    const walk = (prefix: string): void => {
      const entries = readdirSync(`${this.root}${sep}${prefix.split('/').join(sep)}`, { withFileTypes: true });
      entries.sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
      for (const entry of entries) {
        const path = `${prefix}${entry.name}`;
        if (entry.isDirectory()) {
          if (!skipped.has(entry.name) && !this.matches(path, true)) {
            walk(`${path}/`);
          }
        } else if ((entry.isFile() || entry.isSymbolicLink()) && !this.matches(path, false)) {
          files.push({ path, symbolicLink: entry.isSymbolicLink() });
        }
      }
    };
    walk('');
    return files;
  }
}
