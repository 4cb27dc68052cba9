// What `env remove` and `tenant remove` share: their request, and the writing of what
// src/fleet/remove.ts planned, through the fleet's FleetDisk.
import type { FleetDisk } from '../disk/index.js';
import type { PlannedFile } from '../fleet/layout.js';

/** `env remove <name>`, `tenant remove <name>`: what to remove from which fleet. */
export interface RemoveRequest {
  /** The fleet's folder. */
  readonly root: string;
  readonly name: string;
  /** Also remove sealed Secrets and edited files. */
  readonly force: boolean;
}

/**
 * Applies a removal: every path is checked writable first, then, under the fleet lock, the edits
 * are written all or nothing and the files deleted (with `folders`, once emptied).
 */
export function applyRemoval(
  disk: FleetDisk,
  edits: readonly PlannedFile[],
  deleted: readonly string[],
  folders: readonly string[],
): void {
  disk.assertWritable([...edits.map((edit) => edit.path), ...deleted]);
  disk.withLock(() => {
    disk.writeAllOrNothing(edits);
    disk.remove(deleted, folders);
  });
}
