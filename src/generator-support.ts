// Yeoman glue shared by the `app` and `env` generators: no fleet logic lives here.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Generator from 'yeoman-generator';
import type { BaseOptions } from 'yeoman-generator';
import type { PlannedFile } from './plan.js';

export { STORAGE_NAME } from './fleet-constants.js';

/** Prompts only with a terminal on stdin and outside CI; `--interactive`/`--no-interactive` override. */
export function isInteractive(option: unknown): boolean {
  if (typeof option === 'boolean') {
    return option;
  }
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}

/** Files that exist with other content than planned: the user's edits, never overwritten silently. */
export function findConflicts(root: string, files: readonly PlannedFile[]): string[] {
  return files
    .filter((file) => {
      const path = join(root, file.path);
      return existsSync(path) && readFileSync(path, 'utf8') !== file.contents;
    })
    .map((file) => file.path);
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

/**
 * Hands planned files to Yeoman's file system. Without a terminal, conflicts stop the run
 * before anything is written (Yeoman's conflicter would otherwise need to prompt); in a
 * terminal Yeoman's conflicter asks file by file.
 */
export function writePlannedFiles(generator: Generator<Record<string, unknown>, BaseOptions & Record<string, unknown>>, files: readonly PlannedFile[], interactive: boolean): void {
  if (!interactive && !generator.options.force) {
    const conflicts = findConflicts(generator.destinationRoot(), files);
    if (conflicts.length > 0) {
      throw new ConflictError(conflicts);
    }
  }
  for (const file of files) {
    generator.fs.write(generator.destinationPath(file.path), file.contents);
  }
}
