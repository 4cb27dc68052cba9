// Writes a run's new file texts all together, through the product's one all-or-nothing writer
// (temporary files beside their targets, then renames; a failed rename puts the files already
// renamed back). Before that, each file must still hold the text the run read: a key run takes
// seconds, and a file sealed again meanwhile must not be overwritten with its older secret.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { assertWritable, writeAllOrNothing } from '../disk/writer.js';

export interface FileRewrite {
  /** POSIX path relative to the fleet root. */
  readonly path: string;
  /** The text the plan was made from: the file must still hold it when the run writes. */
  readonly before: string;
  /** Ciphertext only. */
  readonly after: string;
}

/** Fails before any key is called when a file cannot be replaced (a symbolic link, no write permission). */
export function assertReplaceable(root: string, paths: readonly string[]): void {
  assertWritable(root, paths);
}

/**
 * Replaces each file's text with `after`, all or nothing. A file changed since it was read is a
 * 'conflict'; a file that cannot be written is 'unwritable'. Either way nothing is written.
 */
export function commitRewrites(root: string, rewrites: readonly FileRewrite[]): void {
  const changed = rewrites.filter(({ path, before }) => {
    try {
      return readFileSync(join(root, path), 'utf8') !== before;
    } catch {
      return true;
    }
  });
  if (changed.length > 0) {
    throw new FluxSopsError(
      'conflict',
      `changed while flux-sops ran: ${changed.map(({ path }) => path).join(', ')}. Nothing was written; run the command again.`,
    );
  }
  writeAllOrNothing(
    root,
    rewrites.map(({ path, after }) => ({ path, contents: after })),
  );
}
