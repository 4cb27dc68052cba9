// `flux-sops secret show` and `secret set`, the pure parts: which sealed file a name means, and
// how a change of values turns one decrypted Secret into the next. The values stay in memory;
// messages name keys, never values.
import { describeValue, FluxSopsError } from '../errors.js';
import { secretsPathOf } from '../fleet/layout.js';
import type { SealedSecretListing } from './list.js';
import { placeValue, type SecretEntry, validateSecretKey } from './values.js';

/** A Kubernetes Secret holds at most 1 MiB of data (the API server refuses more). */
export const SECRET_SIZE_LIMIT = 1024 * 1024;

/** The changes of `secret set`: values to set (added or replaced) and keys to remove. */
export interface ValueChanges {
  readonly set: readonly SecretEntry[];
  readonly unset: readonly string[];
}

/**
 * The sealed Secret `name` of an environment: the file of the environment whose Secret has that
 * name (names are unique per environment across namespaces). Unknown, ambiguous or a
 * placeholder: a 'fleet' error (exit 2) that says what there is instead.
 */
export function findSealedSecret(
  listings: readonly SealedSecretListing[],
  environment: string,
  name: string,
): SealedSecretListing {
  const inEnvironment = listings.filter((each) => each.environment === environment);
  const found = inEnvironment.filter((each) => each.name === name && each.kind === 'Secret');
  if (found.length > 1) {
    throw new FluxSopsError(
      'fleet',
      `${found.length} files of ${secretsPathOf(environment)}/ hold a Secret ${describeValue(name)}: ` +
        `${found.map((each) => `${each.file} (${each.namespace ?? 'no namespace'})`).join(', ')}; keep one`,
    );
  }
  const [listing] = found;
  if (listing === undefined) {
    const names = inEnvironment.filter((each) => each.kind === 'Secret' && each.name !== null).map((each) => each.name);
    throw new FluxSopsError(
      'fleet',
      `No sealed Secret ${describeValue(name)} in ${environment}: it has ` +
        `${names.length === 0 ? 'none' : names.join(', ')} (flux-sops secret list ${environment})`,
    );
  }
  if (listing.placeholder) {
    const tenant = listing.name?.endsWith('-auth') ? listing.name.slice(0, -'-auth'.length) : undefined;
    throw new FluxSopsError(
      'fleet',
      `${listing.file} is the generated placeholder, not a sealed Secret: seal it first with flux-sops secret git ` +
        `${environment}${tenant === undefined ? '' : ` --tenant ${tenant}`}`,
    );
  }
  return listing;
}

/** The keys `secret set` names, checked before any key is called: valid, each named once, something to do. */
export function assertValidChanges(changes: ValueChanges): void {
  if (changes.set.length === 0 && changes.unset.length === 0) {
    throw new FluxSopsError(
      'usage',
      'Nothing to change: give --from-literal <key>=<value>, --from-file <key>=<path> or --unset <key>, each ' +
        'repeatable',
    );
  }
  for (const key of changes.unset) {
    const valid = validateSecretKey(key);
    if (valid !== true) {
      throw new FluxSopsError('input', `Invalid key ${describeValue(key)} in --unset: ${valid}`);
    }
  }
  const setKeys = new Set(changes.set.map((entry) => entry.key));
  const both = [...new Set(changes.unset)].filter((key) => setKeys.has(key));
  if (both.length > 0) {
    throw new FluxSopsError('input', `Key${both.length === 1 ? '' : 's'} both set and unset: ${both.join(', ')}`);
  }
  const size = changes.set.reduce((sum, entry) => sum + bytesOf(placeValue(entry)), 0);
  if (size > SECRET_SIZE_LIMIT) {
    throw new FluxSopsError(
      'input',
      `The new values hold ${size} bytes: a Kubernetes Secret holds at most ${SECRET_SIZE_LIMIT} (1 MiB); ` +
        `nothing was written`,
    );
  }
}

function bytesOf({ field, value }: { field: 'stringData' | 'data'; value: string }): number {
  return field === 'data' ? Buffer.from(value, 'base64').length : Buffer.byteLength(value, 'utf8');
}

function fieldMap(document: Map<string, unknown>, field: 'stringData' | 'data'): Map<string, unknown> {
  const value = document.get(field);
  if (value === undefined || value === null) {
    return new Map();
  }
  if (!(value instanceof Map)) {
    throw new FluxSopsError('fleet', `The Secret's ${field} is not a mapping; nothing was written`);
  }
  return value as Map<string, unknown>;
}

/** The keys of a decrypted Secret, `stringData` first (names only). */
export function secretKeysOf(document: Map<string, unknown>): string[] {
  return [...fieldMap(document, 'stringData').keys(), ...fieldMap(document, 'data').keys()];
}

/**
 * The Secret after the changes: a set value goes to `stringData` (text) or `data` (binary,
 * base64), replacing the key where it was (in place when it stays in the same field); an unset
 * key is removed. Every other entry is kept as it was, in its order. Removing a key the Secret
 * does not have, removing its last key, or going past 1 MiB is an 'input' error (exit 2).
 */
export function applyValueChanges(document: Map<string, unknown>, changes: ValueChanges): Map<string, unknown> {
  const fields = { stringData: new Map(fieldMap(document, 'stringData')), data: new Map(fieldMap(document, 'data')) };
  const missing = changes.unset.filter((key) => !fields.stringData.has(key) && !fields.data.has(key));
  if (missing.length > 0) {
    throw new FluxSopsError(
      'input',
      `--unset ${missing.join(', ')}: the Secret has no such key (it has ` +
        `${secretKeysOf(document).join(', ') || 'none'})`,
    );
  }
  for (const key of changes.unset) {
    fields.stringData.delete(key);
    fields.data.delete(key);
  }
  for (const entry of changes.set) {
    const placed = placeValue(entry);
    const other = placed.field === 'data' ? fields.stringData : fields.data;
    other.delete(placed.key);
    fields[placed.field].set(placed.key, placed.value);
  }
  if (fields.stringData.size + fields.data.size === 0) {
    throw new FluxSopsError(
      'input',
      'That would remove the last key of the Secret: a Secret keeps at least one (delete its file and its line ' +
        'in kustomization.yaml to remove it)',
    );
  }
  const size =
    [...fields.stringData.values()].reduce<number>((sum, value) => sum + Buffer.byteLength(String(value), 'utf8'), 0) +
    [...fields.data.values()].reduce<number>((sum, value) => sum + Buffer.from(String(value), 'base64').length, 0);
  if (size > SECRET_SIZE_LIMIT) {
    throw new FluxSopsError(
      'input',
      `The Secret would hold ${size} bytes: a Kubernetes Secret holds at most ${SECRET_SIZE_LIMIT} (1 MiB); ` +
        `nothing was written`,
    );
  }
  // The fields keep their place in the document; a field that appears is added after the others.
  const changed = new Map<string, unknown>();
  for (const [key, value] of document) {
    if (key === 'stringData' || key === 'data') {
      if (fields[key].size > 0) {
        changed.set(key, fields[key]);
      }
    } else {
      changed.set(key, value);
    }
  }
  for (const field of ['stringData', 'data'] as const) {
    if (fields[field].size > 0 && !changed.has(field)) {
      changed.set(field, fields[field]);
    }
  }
  return changed;
}

/** One line for stderr: which keys were set, removed and kept (names only). */
export function describeChanges(before: readonly string[], changes: ValueChanges): string {
  const set = changes.set.map((entry) => entry.key);
  const added = set.filter((key) => !before.includes(key));
  const replaced = set.filter((key) => before.includes(key));
  const kept = before.filter((key) => !set.includes(key) && !changes.unset.includes(key));
  return [
    replaced.length > 0 ? `changed ${replaced.join(', ')}` : '',
    added.length > 0 ? `added ${added.join(', ')}` : '',
    changes.unset.length > 0 ? `removed ${changes.unset.join(', ')}` : '',
    kept.length > 0 ? `kept ${kept.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}
