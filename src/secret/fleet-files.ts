// The disk side of `flux-sops secret`: reads what planSealing needs, and writes the sealed
// Secret and the kustomization together or not at all. Only ciphertext and the kustomization
// ever reach these functions: the plaintext Secret stays in memory.
import { randomBytes } from 'node:crypto';
import { accessSync, constants, lstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { type PlannedFile, SECRETS_KUSTOMIZATION, SOPS_CONFIG_FILE, STORED_ANSWERS_FILE, sealedSecretPathOf, secretsPathOf } from '../fleet/layout.js';
import { type FleetFacts, type FleetTexts, readFleetFacts } from './plan.js';

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return null;
    }
    throw new FluxSopsError('fleet', `${path} cannot be read (${code ?? (error as Error).message})`);
  }
}

function isFolder(path: string): boolean {
  return statSync(path, { throwIfNoEntry: false })?.isDirectory() === true;
}

export function readFleetTexts(root: string, environment: string, name: string): FleetTexts {
  // Only plain names reach the paths: planSealing rejects the rest before they are used.
  const safe = (value: string) => /^[a-z0-9][a-z0-9.-]*$/.test(value) && !value.includes('..');
  const environmentSafe = safe(environment);
  return {
    storedAnswers: readText(join(root, STORED_ANSWERS_FILE)),
    sopsConfig: readText(join(root, SOPS_CONFIG_FILE)),
    secretsFolder: environmentSafe && isFolder(join(root, secretsPathOf(environment))),
    kustomization: environmentSafe ? readText(join(root, secretsPathOf(environment), SECRETS_KUSTOMIZATION)) : null,
    existingSecret: environmentSafe && safe(name) ? readText(join(root, sealedSecretPathOf(environment, name))) : null,
  };
}

/** The fleet's stored answers (environments, Git URL), or undefined without `.yo-rc.json` answers. */
export function readStoredFleetFacts(root: string): FleetFacts | undefined {
  return readFleetFacts(readText(join(root, STORED_ANSWERS_FILE)));
}

function unwritable(root: string, problems: readonly string[]): FluxSopsError {
  return new FluxSopsError('unwritable', `Cannot write into ${root}:\n${problems.map((problem) => `  ${problem}`).join('\n')}\nNothing was written.`);
}

/**
 * Why the files could not be replaced, found before any value is asked for or any key is called:
 * a symbolic link (writing through it could change a file outside the fleet), a folder in the
 * way, a folder or file without write permission.
 */
export function findUnwritableFiles(root: string, paths: readonly string[]): string[] {
  const problems: string[] = [];
  for (const path of paths) {
    const absolute = join(root, path);
    const stats = lstatSync(absolute, { throwIfNoEntry: false });
    if (stats?.isSymbolicLink()) {
      problems.push(`${path}: is a symbolic link: nothing is written through one`);
      continue;
    }
    if (stats?.isDirectory()) {
      problems.push(`${path}: is a folder where a file must go`);
      continue;
    }
    try {
      accessSync(dirname(absolute), constants.W_OK | constants.X_OK);
      if (stats) {
        accessSync(absolute, constants.W_OK);
      }
    } catch (error) {
      problems.push(`${path}: cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    }
  }
  return problems;
}

export function assertWritableFiles(root: string, paths: readonly string[]): void {
  const problems = findUnwritableFiles(root, paths);
  if (problems.length > 0) {
    throw unwritable(root, problems);
  }
}

/**
 * Writes every file or none: each goes to a temporary file beside its target (same folder, so
 * the rename is atomic), then the temporary files are renamed into place; if one rename fails,
 * the files already renamed get their previous contents back. The contents are ciphertext and
 * the kustomization only.
 */
export function writeAllOrNothing(root: string, files: readonly PlannedFile[]): void {
  assertWritableFiles(root, files.map((file) => file.path));
  const staged: { file: PlannedFile; target: string; temporary: string; previous: Buffer | null; mode: number }[] = [];
  const removeStaged = () => staged.forEach(({ temporary }) => rmSync(temporary, { force: true }));
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
    throw unwritable(root, [`${staged.at(-1)?.file.path ?? '?'}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
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
      throw unwritable(root, [`${each.file.path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`]);
    }
  }
}
