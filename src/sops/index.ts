// Owns the public API of the SOPS implementation: seal a document, open a file, re-wrap a file's
// data key for other master keys, and rotate the data key, as the sops command does them.

import { randomBytes } from 'node:crypto';
import { ageKeySource, loadAgeIdentities } from './age.js';
import { decryptValue, encryptValue } from './cipher.js';
import { type SopsErrorCode, SopsError, isSopsError } from './errors.js';
import { type KeySourceFactory, type MasterKeySource } from './keysource.js';
import { kmsKeySource } from './kms.js';
import { type MasterKeys } from './master-keys.js';
import {
  type AgeEntry,
  type KmsEntry,
  type OtherKeyType,
  SOPS_VERSION,
  type SopsMetadata,
  cryptRulesOf,
  macAdditionalData,
  metadataToTree,
  readMetadata,
  rfc3339,
} from './metadata.js';
import {
  Comment,
  GoFloat,
  GoTime,
  INT64_MAX,
  INT64_MIN,
  type Scalar,
  TreeBranch,
  type TreeValue,
  parseRfc3339,
} from './tree.js';
import { type CryptRules, decryptBranches, encryptBranches } from './walk.js';
import { emit, parse } from './yaml/index.js';

export { loadAgeIdentities, ageKeySource, type AgeIdentities } from './age.js';
export { kmsKeySource } from './kms.js';
export { type KeySourceFactory, type MasterKeySource, type MasterKeyType } from './keysource.js';
export { SopsError, type SopsErrorCode, isSopsError } from './errors.js';
export {
  keyIdsOf,
  masterKeysOfMetadata,
  masterKeysOfRule,
  usable,
  type MasterKey,
  type MasterKeys,
  type MasterKeySet,
} from './master-keys.js';
export {
  type CreationRule,
  type CreationRuleIndex,
  compilePathRegex,
  findCreationRule,
  indexCreationRules,
  isAnchored,
  literalPrefixOf,
  ruleMatches,
} from './rules.js';
export { SOPS_VERSION, type SopsMetadata, type KmsEntry, type AgeEntry, type OtherEntry } from './metadata.js';
export { type CryptRules } from './walk.js';

/** The default key sources: AWS KMS through the SDK's default chain, age through age-encryption. */
export const defaultKeySources: KeySourceFactory = {
  kms: (arn) => kmsKeySource(arn),
  age: (recipient, identities) => ageKeySource(recipient, identities),
};

/** The selectors sops writes in the `sops` block; at most one may be given (none means `_unencrypted` suffix). */
export interface Selectors {
  /** The fleet's is `^(data|stringData)$`. */
  encryptedRegex?: string;
  unencryptedRegex?: string;
  encryptedSuffix?: string;
  unencryptedSuffix?: string;
  encryptedCommentRegex?: string;
  unencryptedCommentRegex?: string;
  macOnlyEncrypted?: boolean;
}

export interface EncryptOptions extends Selectors {
  /** The master keys to seal the file for (a creation rule's, through `usable`). */
  keys: MasterKeys;
  /** The time written as lastmodified and as created_at of the KMS entries (default: now). */
  now?: Date;
  keySources?: KeySourceFactory;
  /** The sops release whose output to reproduce (its `version` and `sops` block layout); default SOPS_VERSION. */
  sopsVersion?: string;
}

export interface OpenOptions {
  /** The age identities to try first; when absent they are loaded from `env` as sops does. */
  ageIdentities?: readonly string[];
  /** Where SOPS_AGE_KEY, SOPS_AGE_KEY_FILE and the default key file are looked up (default process.env). */
  env?: NodeJS.ProcessEnv;
  keySources?: KeySourceFactory;
}

export interface RewrapOptions extends OpenOptions {
  now?: Date;
  /** The sops release whose `sops` block layout to write; the file's `version` is kept, as sops does. */
  sopsVersion?: string;
}

/** A master key in a change description. */
export interface KeyRef {
  type: 'kms' | 'age' | OtherKeyType;
  id: string;
}

/** What a re-wrap changed in the file's master keys. */
export interface KeyChanges {
  added: KeyRef[];
  removed: KeyRef[];
  kept: KeyRef[];
}

export interface RewrapResult extends KeyChanges {
  text: string;
  /** False when the file already had exactly these keys (then `text` is the input, unchanged). */
  changed: boolean;
}

export interface DecryptedTree {
  /** The first (usually only) YAML document, as plain values. */
  document: unknown;
  documents: unknown[];
  metadata: SopsMetadata;
  /** The MAC the file holds, verified equal to the one computed. */
  mac: string;
}

export interface DecryptResult extends DecryptedTree {
  dataKey: Buffer;
  /** The master key that gave the data key. */
  openedWith: KeyRef;
}

// ---------------------------------------------------------------- plain values ⇄ tree

function toTreeValue(value: unknown, path: string[]): TreeValue | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : new GoFloat(value);
  if (typeof value === 'bigint') {
    if (value < INT64_MIN || value > INT64_MAX)
      throw new TypeError(`the integer at ${path.join('.')} is beyond 64 bits`);
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new TypeError(`the date at ${path.join('.')} is invalid`);
    return parseRfc3339(value.toISOString());
  }
  if (Array.isArray(value)) return value.map((v, i) => toTreeValue(v, [...path, String(i)]) ?? null);
  if (value instanceof Map) {
    const items = [];
    for (const [k, v] of value) {
      if (typeof k !== 'string') throw new TypeError(`a key at ${path.join('.') || 'the top'} is not a string`);
      const tv = toTreeValue(v, [...path, k]);
      if (tv !== undefined) items.push({ key: k, value: tv });
    }
    return new TreeBranch(items);
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new TypeError(
        `the value at ${path.join('.') || 'the top'} is a ${proto?.constructor?.name ?? 'object'}, not a plain object`,
      );
    }
    const items = [];
    for (const k of Object.keys(value)) {
      const tv = toTreeValue((value as Record<string, unknown>)[k], [...path, k]);
      if (tv !== undefined) items.push({ key: k, value: tv });
    }
    return new TreeBranch(items);
  }
  throw new TypeError(`the value at ${path.join('.') || 'the top'} is a ${typeof value}, which YAML cannot hold`);
}

function fromTreeValue(value: TreeValue): unknown {
  if (value instanceof TreeBranch) {
    const out: Record<string, unknown> = {};
    for (const item of value.items) {
      if (item.key instanceof Comment) continue;
      const v = fromTreeValue(item.value);
      // A `__proto__` key is data, not the object's prototype.
      if (item.key === '__proto__')
        Object.defineProperty(out, item.key, { value: v, enumerable: true, writable: true, configurable: true });
      else out[item.key] = v;
    }
    return out;
  }
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof Comment)).map(fromTreeValue);
  if (value instanceof GoFloat) return value.value;
  if (value instanceof GoTime) return value.text;
  if (value instanceof Comment) return value.value;
  return value as Scalar;
}

const LINE_SEPARATORS = /[\u0085\u2028\u2029]/;

/**
 * Refuses what would stay in clear text (keys, unencrypted values) with a U+0085, U+2028 or
 * U+2029 character: yaml.v3, sops' YAML library, reads them back as line breaks, so the file
 * would not say what was written.
 */
function checkPlainText(value: TreeValue, path: string[]): void {
  const fail = (at: string[]) => {
    throw new SopsError(
      'invalid-input',
      `The key or clear-text value at ${at.join('.') || 'the top'} holds a U+0085, U+2028 or U+2029 character, ` +
        `which sops reads back as a line break.`,
    );
  };
  if (value instanceof TreeBranch) {
    for (const item of value.items) {
      if (item.key instanceof Comment) continue;
      const at = [...path, item.key];
      if (LINE_SEPARATORS.test(item.key)) fail(at);
      checkPlainText(item.value, at);
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkPlainText(v, [...path, String(i)]));
  } else if (typeof value === 'string' && LINE_SEPARATORS.test(value)) {
    fail(path);
  }
}

// ---------------------------------------------------------------- files

interface ParsedFile {
  branches: TreeBranch[];
  metadata: SopsMetadata;
}

/** A library error with what was being done said first; anything else is rethrown as it is. */
function within(what: string, error: unknown): SopsError {
  if (!isSopsError(error)) throw error;
  return error.within(what);
}

/** sops' LoadEncryptedFile: the documents without their `sops` key, and the metadata of the first. */
function parseEncrypted(text: string): ParsedFile {
  let branches: TreeBranch[];
  try {
    branches = parse(text);
  } catch (error) {
    throw within('The encrypted file cannot be read as YAML', error);
  }
  let metadataValue: TreeValue | undefined;
  const stripped = branches.map((branch, index) => {
    const items = branch.items.filter((item) => {
      if (item.key !== 'sops') return true;
      if (index === 0) {
        if (metadataValue !== undefined)
          throw new SopsError('unreadable-file', 'The encrypted file has two sops entries.');
        metadataValue = item.value;
      }
      return false;
    });
    return new TreeBranch(items);
  });
  if (metadataValue === undefined)
    throw new SopsError('metadata-not-found', 'The file has no sops metadata: it is not encrypted with sops.');
  try {
    return { branches: stripped, metadata: readMetadata(metadataValue) };
  } catch (error) {
    throw within('The sops metadata of the file cannot be read', error);
  }
}

function emitEncrypted(branches: TreeBranch[], metadata: SopsMetadata, sopsVersion: string): string {
  const md = metadataToTree(metadata, sopsVersion);
  return emit(branches.map((b) => new TreeBranch([...b.items, { key: 'sops', value: md }])));
}

/** Decrypts the values and checks the MAC; throws SopsError 'mac-mismatch' when the file does not match its MAC. */
function decryptParsed(parsed: ParsedFile, dataKey: Uint8Array): { branches: TreeBranch[]; mac: string } {
  let result;
  try {
    result = decryptBranches(parsed.branches, dataKey, cryptRulesOf(parsed.metadata));
  } catch (error) {
    throw within('The file cannot be decrypted', error);
  }
  let stored: Scalar | Comment;
  try {
    stored = decryptValue(parsed.metadata.mac, dataKey, macAdditionalData(parsed.metadata.lastModified));
  } catch {
    throw new SopsError(
      'error-decrypting-mac',
      'Cannot decrypt the MAC of the file (its mac or lastmodified was changed, or it is corrupt).',
    );
  }
  if (stored !== result.mac) {
    throw new SopsError(
      'mac-mismatch',
      'MAC mismatch: the values of the file do not match its MAC (it was changed without sops, or is corrupt).',
    );
  }
  return result;
}

/**
 * Opens an encrypted file with a known data key: decrypts every value and verifies the MAC. The
 * lower level of decryptDocument, for callers (and tests) that hold the data key.
 */
export function decryptTree(text: string, dataKey: Uint8Array): DecryptedTree {
  const parsed = parseEncrypted(text);
  const { branches, mac } = decryptParsed(parsed, dataKey);
  const documents = branches.map(fromTreeValue);
  return { document: documents[0], documents, metadata: parsed.metadata, mac };
}

// ---------------------------------------------------------------- master keys

function uniqueKeys(keys: MasterKeys): MasterKeys {
  return { kms: [...new Set(keys.kms)], age: [...new Set(keys.age)] };
}

async function identitiesFor(options: OpenOptions): Promise<{ identities: readonly string[]; note: string }> {
  if (options.ageIdentities) return { identities: options.ageIdentities, note: '' };
  const loaded = await loadAgeIdentities(options.env ?? process.env);
  const note = loaded.problems.length > 0 ? ` (${loaded.problems.join('; ')})` : '';
  return { identities: loaded.identities, note };
}

/** Unwraps the data key with the first master key that can: age entries first, then KMS, as sops orders them. */
async function unwrapDataKey(md: SopsMetadata, options: OpenOptions): Promise<{ dataKey: Buffer; openedWith: KeyRef }> {
  if (md.keyGroups && md.keyGroups.length > 1) {
    throw new SopsError(
      'unusable-key',
      `The file splits its data key over ${md.keyGroups.length} key groups (Shamir secret sharing), which this tool ` +
        `cannot open.`,
    );
  }
  const factory = options.keySources ?? defaultKeySources;
  const failures: string[] = [];
  const attempt = async (source: MasterKeySource, enc: string): Promise<Buffer | undefined> => {
    let key: Uint8Array;
    try {
      key = await source.unwrap(enc);
    } catch (error) {
      if (isSopsError(error) && error.code === 'could-not-retrieve-key') {
        failures.push(`${source.type} ${source.id}: ${error.reason}`);
        return undefined;
      }
      throw error;
    }
    if (key.length !== 32) {
      failures.push(`${source.type} ${source.id}: what it decrypted is not a 32-byte data key`);
      return undefined;
    }
    return Buffer.from(key);
  };
  let ageNote = '';
  if (md.age.length > 0) {
    const { identities, note } = await identitiesFor(options);
    ageNote = note;
    for (const entry of md.age) {
      const key = await attempt(factory.age(entry.recipient, identities), entry.enc);
      if (key) return { dataKey: key, openedWith: { type: 'age', id: entry.recipient } };
    }
  }
  for (const entry of md.kms) {
    if (entry.role || entry.context || entry.awsProfile) {
      const what = [
        entry.role ? 'a role' : '',
        entry.context ? 'an encryption context' : '',
        entry.awsProfile ? 'an AWS profile' : '',
      ]
        .filter(Boolean)
        .join(', ');
      failures.push(`kms ${entry.arn}: not tried, it names ${what}, which this tool does not support`);
      continue;
    }
    const key = await attempt(factory.kms(entry.arn), entry.enc);
    if (key) return { dataKey: key, openedWith: { type: 'kms', id: entry.arn } };
  }
  for (const other of md.other)
    failures.push(`${other.type} ${other.label}: not tried, this tool does not support ${other.type} keys`);
  throw new SopsError(
    'could-not-retrieve-key',
    `No master key of the file could decrypt its data key${ageNote}:\n${failures.map((f) => `  - ${f}`).join('\n')}`,
  );
}

/** Wraps the data key for every key; throws SopsError 'could-not-wrap-key' listing each key that refused. */
/** The metadata with exactly these key entries: other master keys, key groups and Shamir dropped. */
function withKeyEntries(md: SopsMetadata, entries: { kms: KmsEntry[]; age: AgeEntry[] }): SopsMetadata {
  return { ...md, kms: entries.kms, age: entries.age, other: [], keyGroups: undefined, shamirThreshold: undefined };
}

async function wrapDataKey(
  dataKey: Uint8Array,
  keys: MasterKeys,
  factory: KeySourceFactory,
  createdAt: string,
  keep: { kms: Map<string, KmsEntry>; age: Map<string, AgeEntry> } = { kms: new Map(), age: new Map() },
): Promise<{ kms: KmsEntry[]; age: AgeEntry[] }> {
  const kmsJobs = keys.kms.map(async (arn): Promise<KmsEntry> => {
    const kept = keep.kms.get(arn);
    if (kept) return kept;
    return { arn, createdAt, enc: await factory.kms(arn).wrap(dataKey), awsProfile: '' };
  });
  const ageJobs = keys.age.map(async (recipient): Promise<AgeEntry> => {
    const kept = keep.age.get(recipient);
    if (kept) return kept;
    return { recipient, enc: await factory.age(recipient, []).wrap(dataKey) };
  });
  const kms = await Promise.allSettled(kmsJobs);
  const age = await Promise.allSettled(ageJobs);
  const failures: string[] = [];
  for (const r of [...kms, ...age]) {
    if (r.status === 'rejected') {
      if (isSopsError(r.reason) && r.reason.code === 'could-not-wrap-key') failures.push(r.reason.message);
      else throw r.reason;
    }
  }
  const code: SopsErrorCode = 'could-not-wrap-key';
  if (failures.length === 1) throw new SopsError(code, failures[0]!);
  if (failures.length > 1)
    throw new SopsError(
      code,
      `Could not encrypt the data key for ${failures.length} master keys:\n` +
        failures.map((f) => `  - ${f}`).join('\n'),
    );
  return {
    kms: kms.map((r) => (r as PromiseFulfilledResult<KmsEntry>).value),
    age: age.map((r) => (r as PromiseFulfilledResult<AgeEntry>).value),
  };
}

function selectorsOf(options: Selectors): CryptRules {
  const rules: CryptRules = {};
  const set: string[] = [];
  for (const k of [
    'encryptedRegex',
    'unencryptedRegex',
    'encryptedSuffix',
    'unencryptedSuffix',
    'encryptedCommentRegex',
    'unencryptedCommentRegex',
  ] as const) {
    const v = options[k];
    if (v) {
      rules[k] = v;
      set.push(k);
    }
  }
  if (set.length > 1)
    throw new SopsError(
      'conflicting-parameters',
      `Only one of encrypted_regex, unencrypted_regex, encrypted_suffix, unencrypted_suffix and the comment regexes ` +
        `may be set, not ${set.join(' and ')}.`,
    );
  if (set.length === 0) rules.unencryptedSuffix = '_unencrypted';
  if (options.macOnlyEncrypted) rules.macOnlyEncrypted = true;
  return rules;
}

function checkKeys(keys: MasterKeys): MasterKeys {
  const k = uniqueKeys(keys);
  if (k.kms.length + k.age.length === 0)
    throw new SopsError('no-key', 'No master key to encrypt the data key with (no KMS key and no age recipient).');
  return k;
}

// ---------------------------------------------------------------- public operations

/**
 * Encrypts a document as `sops --encrypt` writes it: a new data key wrapped for every master key,
 * the values selected by the rule encrypted (for the fleet, everything under `data`/`stringData`),
 * the MAC, and the `sops` block. Key order of the document is kept.
 */
export async function encryptDocument(document: object, options: EncryptOptions): Promise<string> {
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new TypeError('the document must be an object');
  const tree = toTreeValue(document, []);
  if (!(tree instanceof TreeBranch)) throw new TypeError('the document must be an object');
  if (tree.items.some((i) => i.key === 'sops'))
    throw new SopsError(
      'invalid-input',
      'The document has a top-level "sops" key, which sops reserves for its metadata.',
    );
  const keys = checkKeys(options.keys);
  const rules = selectorsOf(options);
  const now = options.now ?? new Date();
  const sopsVersion = options.sopsVersion ?? SOPS_VERSION;
  const dataKey = randomBytes(32);
  try {
    const wrapped = await wrapDataKey(dataKey, keys, options.keySources ?? defaultKeySources, rfc3339(now));
    let walked;
    try {
      walked = encryptBranches([tree], dataKey, rules);
    } catch (error) {
      throw within('The document cannot be encrypted', error);
    }
    checkPlainText(walked.branches[0]!, []);
    const lastModified = rfc3339(now);
    const metadata: SopsMetadata = {
      ...rules,
      kms: wrapped.kms,
      age: wrapped.age,
      other: [],
      lastModified,
      mac: encryptValue(walked.mac, dataKey, lastModified),
      version: sopsVersion,
    };
    return emitEncrypted(walked.branches, metadata, sopsVersion);
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Decrypts a file: unwraps its data key with the first master key that can (the age identities
 * first, then AWS KMS), decrypts every value and verifies the MAC.
 */
export async function decryptDocument(text: string, options: OpenOptions = {}): Promise<DecryptResult> {
  const parsed = parseEncrypted(text);
  const { dataKey, openedWith } = await unwrapDataKey(parsed.metadata, options);
  const { branches, mac } = decryptParsed(parsed, dataKey);
  const documents = branches.map(fromTreeValue);
  return { document: documents[0], documents, metadata: parsed.metadata, mac, dataKey, openedWith };
}

function plan(
  md: SopsMetadata,
  target: MasterKeys,
): KeyChanges & { keepKms: Map<string, KmsEntry>; keepAge: Map<string, AgeEntry> } {
  const keepKms = new Map<string, KmsEntry>();
  const keepAge = new Map<string, AgeEntry>();
  const removed: KeyRef[] = [];
  for (const e of md.kms) {
    if (target.kms.includes(e.arn) && !e.role && !e.context && !e.awsProfile && !keepKms.has(e.arn))
      keepKms.set(e.arn, e);
    else removed.push({ type: 'kms', id: e.arn });
  }
  for (const e of md.age) {
    if (target.age.includes(e.recipient) && !keepAge.has(e.recipient)) keepAge.set(e.recipient, e);
    else removed.push({ type: 'age', id: e.recipient });
  }
  for (const o of md.other) removed.push({ type: o.type, id: o.label });
  const added: KeyRef[] = [
    ...target.kms.filter((k) => !keepKms.has(k)).map((id): KeyRef => ({ type: 'kms', id })),
    ...target.age.filter((k) => !keepAge.has(k)).map((id): KeyRef => ({ type: 'age', id })),
  ];
  const kept: KeyRef[] = [
    ...[...keepKms.keys()].map((id): KeyRef => ({ type: 'kms', id })),
    ...[...keepAge.keys()].map((id): KeyRef => ({ type: 'age', id })),
  ];
  return { added, removed, kept, keepKms, keepAge };
}

/**
 * Makes the file's data key available to exactly `targetKeys` (sops updatekeys): entries of keys
 * still wanted are kept as they are (enc, created_at), the others removed, new ones added by
 * unwrapping the data key with any available master key. Values, MAC and lastmodified are untouched.
 */
export async function updateKeys(
  text: string,
  targetKeys: MasterKeys,
  options: RewrapOptions = {},
): Promise<RewrapResult> {
  const target = checkKeys(targetKeys);
  const parsed = parseEncrypted(text);
  const md = parsed.metadata;
  const p = plan(md, target);
  const { added, removed, kept } = p;
  const orderChanged =
    md.kms.map((e) => e.arn).join('\n') !== target.kms.join('\n') ||
    md.age.map((e) => e.recipient).join('\n') !== target.age.join('\n');
  if (added.length === 0 && removed.length === 0 && !orderChanged && !md.keyGroups) {
    return { text, changed: false, added, removed, kept };
  }
  const { dataKey } = await unwrapDataKey(md, options);
  try {
    // sops does not check anything here; the MAC opening with the key shows it is this file's.
    try {
      decryptValue(md.mac, dataKey, macAdditionalData(md.lastModified));
    } catch {
      throw new SopsError(
        'error-decrypting-mac',
        'Cannot decrypt the MAC of the file with its data key (its mac, lastmodified or key entries were changed, ' +
          'or it is corrupt).',
      );
    }
    const wrapped = await wrapDataKey(
      dataKey,
      target,
      options.keySources ?? defaultKeySources,
      rfc3339(options.now ?? new Date()),
      {
        kms: p.keepKms,
        age: p.keepAge,
      },
    );
    return {
      text: emitEncrypted(parsed.branches, withKeyEntries(md, wrapped), options.sopsVersion ?? SOPS_VERSION),
      changed: true,
      added,
      removed,
      kept,
    };
  } finally {
    dataKey.fill(0);
  }
}

/**
 * Replaces the file's data key (sops rotate): decrypts it (MAC verified), encrypts every value
 * again under a new data key with a new MAC and lastmodified, wrapped for exactly `targetKeys`
 * (kept KMS entries keep their created_at, as sops keeps it).
 */
export async function rotateDataKey(
  text: string,
  targetKeys: MasterKeys,
  options: RewrapOptions = {},
): Promise<RewrapResult> {
  const target = checkKeys(targetKeys);
  const parsed = parseEncrypted(text);
  const md = parsed.metadata;
  const { dataKey: oldKey } = await unwrapDataKey(md, options);
  const newKey = randomBytes(32);
  try {
    const { branches } = decryptParsed(parsed, oldKey);
    const p = plan(md, target);
    const now = options.now ?? new Date();
    // Every entry gets the new data key; only the creation date of kept KMS entries survives.
    const wrapped = await wrapDataKey(newKey, target, options.keySources ?? defaultKeySources, rfc3339(now));
    for (const e of wrapped.kms) {
      const old = p.keepKms.get(e.arn);
      if (old) e.createdAt = old.createdAt;
    }
    const rules = cryptRulesOf(md);
    let walked;
    try {
      walked = encryptBranches(branches, newKey, rules);
    } catch (error) {
      throw within('The file cannot be encrypted again', error);
    }
    const lastModified = rfc3339(now);
    const metadata: SopsMetadata = {
      ...withKeyEntries(md, wrapped),
      lastModified,
      mac: encryptValue(walked.mac, newKey, lastModified),
    };
    return {
      text: emitEncrypted(walked.branches, metadata, options.sopsVersion ?? SOPS_VERSION),
      changed: true,
      added: p.added,
      removed: p.removed,
      kept: p.kept,
    };
  } finally {
    oldKey.fill(0);
    newKey.fill(0);
  }
}

/** A mapping as `editValues` hands it over: a Map keeps the file's key order (an object would move "1" first). */
function toMaps(value: TreeValue): unknown {
  if (value instanceof TreeBranch) {
    return new Map(
      value.items
        .filter((item) => !(item.key instanceof Comment))
        .map((item) => [item.key as string, toMaps(item.value)]),
    );
  }
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof Comment)).map(toMaps);
  return fromTreeValue(value);
}

/**
 * Changes the values of a one-document encrypted file under its own data key, as `sops edit`
 * does: opens it (the MAC verified before `edit` sees anything), hands the plain document (its
 * mappings as Maps) to `edit`, then encrypts every value of the result again with fresh IVs,
 * with a new MAC and lastmodified. The master key entries are kept as they are (no key is
 * called to wrap), so only one unwrap is needed. Comments inside the document are not kept.
 */
export async function editValues(
  text: string,
  edit: (document: Map<string, unknown>) => Map<string, unknown>,
  options: RewrapOptions = {},
): Promise<string> {
  const parsed = parseEncrypted(text);
  if (parsed.branches.length !== 1) {
    throw new SopsError(
      'unreadable-file',
      `The file holds ${parsed.branches.length} YAML documents; only a file of one document can be changed.`,
    );
  }
  const md = parsed.metadata;
  const { dataKey } = await unwrapDataKey(md, options);
  try {
    const { branches } = decryptParsed(parsed, dataKey);
    const tree = toTreeValue(edit(toMaps(branches[0]!) as Map<string, unknown>), []);
    if (!(tree instanceof TreeBranch)) throw new TypeError('the edited document must be a mapping');
    const walked = encryptBranches([tree], dataKey, cryptRulesOf(md));
    checkPlainText(walked.branches[0]!, []);
    const lastModified = rfc3339(options.now ?? new Date());
    const metadata: SopsMetadata = { ...md, lastModified, mac: encryptValue(walked.mac, dataKey, lastModified) };
    return emitEncrypted(walked.branches, metadata, options.sopsVersion ?? SOPS_VERSION);
  } finally {
    dataKey.fill(0);
  }
}
