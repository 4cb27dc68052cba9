// `flux-sops secret list|show|set` once their arguments are read: list reads the fleet as
// `check` does and never decrypts; show decrypts (MAC verified first) to stdout only; set
// changes values under the file's own data key and master keys, all or nothing. Loaded only
// when one of them runs, so `--help` answers without the AWS SDK.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fleetDisk } from '../disk/index.js';
import { readFleetFiles } from '../disk/reader.js';
import { describeValue, FluxSopsError, fromSopsError } from '../errors.js';
import { selectEnvironments } from '../keys/fleet-files.js';
import { decryptDocument, editValues } from '../sops/index.js';
import { assertWritable, withFleetLock, writeAllOrNothing } from '../disk/writer.js';
import {
  applyValueChanges,
  assertValidChanges,
  describeChanges,
  findSealedSecret,
  secretKeysOf,
  type ValueChanges,
} from './change.js';
import { formatListing, formatListingJson, listSealedSecrets, type SealedSecretListing } from './list.js';

/** Every sealed Secret of the chosen environments (all when none is named). */
export function listFleetSecrets(root: string, environments: readonly string[]): SealedSecretListing[] {
  const chosen = selectEnvironments(fleetDisk(root), environments);
  return listSealedSecrets(readFleetFiles(root), chosen);
}

/** `flux-sops secret list [env…] [--json]`: the table (or JSON) on stdout. */
export function runList(root: string, environments: readonly string[], json: boolean): number {
  const listings = listFleetSecrets(root, environments);
  process.stdout.write(json ? formatListingJson(listings) : formatListing(listings));
  return 0;
}

function sealedSecretOf(
  root: string,
  environment: string,
  name: string,
): { listing: SealedSecretListing; text: string } {
  const listing = findSealedSecret(listFleetSecrets(root, [environment]), environment, name);
  return { listing, text: readFileSync(join(root, listing.file), 'utf8') };
}

/** A library or product error about one file, with the file named; anything else as it is. */
function inFile(file: string, error: unknown): unknown {
  const mapped = fromSopsError(error);
  return mapped instanceof FluxSopsError ? new FluxSopsError(mapped.kind, `${file}: ${mapped.message}`) : mapped;
}

/**
 * `flux-sops secret show <env> <name> [--key K]`: the decrypted Secret as YAML (like `sops -d`),
 * or the bytes of one value (a `data` value decoded from base64), on stdout only. A file whose
 * MAC does not match its values is refused before anything is printed.
 */
export async function runShow(
  root: string,
  environment: string,
  name: string,
  key: string | undefined,
): Promise<number> {
  const { listing, text } = sealedSecretOf(root, environment, name);
  const { document } = await decryptDocument(text).catch((error: unknown) => {
    throw inFile(listing.file, error);
  });
  if (key === undefined) {
    process.stdout.write(stringify(document, { lineWidth: 0 }));
    return 0;
  }
  const secret = document as { stringData?: Record<string, unknown>; data?: Record<string, unknown> };
  if (secret.stringData !== undefined && Object.hasOwn(secret.stringData, key)) {
    process.stdout.write(String(secret.stringData[key]));
  } else if (secret.data !== undefined && Object.hasOwn(secret.data, key)) {
    process.stdout.write(Buffer.from(String(secret.data[key]), 'base64'));
  } else {
    throw new FluxSopsError(
      'input',
      `--key ${describeValue(key)}: ${listing.file} has no such key (it has ${listing.keys.join(', ') || 'none'})`,
    );
  }
  return 0;
}

/**
 * Changes values of a sealed Secret (`flux-sops secret set`, and `yo flux-sops:secret`'s
 * "change"): the other values kept, every value encrypted again under the file's data key with
 * fresh IVs, a new MAC and lastmodified; the file's master keys kept (`warn` names `updatekeys`
 * when they lag behind its rule). Written all or nothing. Returns what to tell the user.
 */
export async function changeSealedSecret(
  root: string,
  environment: string,
  name: string,
  changes: ValueChanges,
  warn: (warning: string) => void,
): Promise<string> {
  assertValidChanges(changes);
  const { listing, text } = sealedSecretOf(root, environment, name);
  assertWritable(root, [listing.file]);
  if (listing.stale !== null) {
    warn(
      `${listing.file} has master keys that differ from its .sops.yaml rule (${listing.stale}); they are kept: run flux-sops updatekeys ${environment} to follow the rule.`,
    );
  }
  let before: string[] = [];
  const changed = await editValues(text, (document) => {
    before = secretKeysOf(document);
    return applyValueChanges(document, changes);
  }).catch((error: unknown) => {
    throw inFile(listing.file, error);
  });
  // Under the fleet lock, and only if the file still holds the text the change was made from.
  withFleetLock(root, () => {
    if (readFileSync(join(root, listing.file), 'utf8') !== text) {
      throw new FluxSopsError(
        'conflict',
        `${listing.file} changed while flux-sops ran: nothing was written. Run the command again.`,
      );
    }
    writeAllOrNothing(root, [{ path: listing.file, contents: changed }]);
  });
  const keys = [...listing.masterKeys.kms, ...listing.masterKeys.age.map((recipient) => `${recipient.slice(0, 12)}…`)];
  return [
    `Changed ${listing.file} (Secret ${listing.namespace ?? ''}/${name}): ${describeChanges(before, changes)}.`,
    `Every value is encrypted again under its data key, for the same master keys (${keys.join(', ')}), with a new MAC.`,
    'Next:',
    `  git add ${listing.file}`,
    `  git commit -m "Change ${name} in ${environment}" && git push`,
    '',
  ].join('\n');
}

/** `flux-sops secret set <env> <name> …`: changeSealedSecret, its messages on stderr. */
export async function runSet(root: string, environment: string, name: string, changes: ValueChanges): Promise<number> {
  const summary = await changeSealedSecret(root, environment, name, changes, (warning) =>
    process.stderr.write(`Warning: ${warning}\n`),
  );
  process.stderr.write(summary);
  return 0;
}
