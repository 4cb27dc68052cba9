// Writes a run's new file texts all together, through the fleet's one all-or-nothing writer
// (temporary files beside their targets, then renames; a failed rename puts the files already
// renamed back). Before that, each file must still hold the text the run read: a key run takes
// seconds, and a file sealed again meanwhile must not be overwritten with its older secret.
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError } from '../errors.js';

export interface FileRewrite {
  /** POSIX path relative to the fleet root. */
  readonly path: string;
  /** The text the plan was made from: the file must still hold it when the run writes. */
  readonly before: string;
  /** Ciphertext only. */
  readonly after: string;
}

/**
 * Replaces each file's text with `after`, all or nothing. A file changed since it was read is a
 * 'conflict'; a file that cannot be written is 'unwritable'. Either way nothing is written.
 */
export function commitRewrites(disk: FleetDisk, rewrites: readonly FileRewrite[]): void {
  const changed = rewrites.filter(({ path, before }) => {
    try {
      return disk.text(path) !== before;
    } catch {
      return true;
    }
  });
  if (changed.length > 0) {
    throw new FluxSopsError(
      'conflict',
      `changed while flux-sops ran: ${changed.map(({ path }) => path).join(', ')}. ` +
        'Nothing was written; run the command again.',
    );
  }
  disk.writeAllOrNothing(rewrites.map(({ path, after }) => ({ path, contents: after })));
}
