// Owns the `sops:` block of an encrypted file: reading it as sops does (stores/stores.go
// ToInternal) and writing it in the key order of the sops version being emulated.

import { SopsError } from './errors.js';
import {
  Comment,
  GoFloat,
  GoTime,
  type Scalar,
  TreeBranch,
  type TreeValue,
  formatFloatF,
  parseRfc3339,
} from './tree.js';
import { type CryptRules, DEFAULT_UNENCRYPTED_SUFFIX } from './walk.js';

/** The sops release whose output this implementation writes (stores/metadata.go, sorted keys). */
export const SOPS_VERSION = '3.13.2';

export interface KmsEntry {
  arn: string;
  role?: string;
  context?: Record<string, string>;
  /** RFC 3339, as written. */
  createdAt: string;
  enc: string;
  awsProfile: string;
}

export interface AgeEntry {
  recipient: string;
  enc: string;
}

/** The key types sops knows and this implementation carries along without using. */
export const OTHER_KEY_TYPES = ['pgp', 'gcp_kms', 'hckms', 'azure_kv', 'hc_vault'] as const;
export type OtherKeyType = (typeof OTHER_KEY_TYPES)[number];

/** A master key entry of a type this implementation cannot use, kept as written. */
export interface OtherEntry {
  type: OtherKeyType;
  /** What identifies it: fingerprint, resource id, vault URL and key, … */
  label: string;
  fields: Record<string, string>;
}

export interface KeyGroup {
  kms: KmsEntry[];
  age: AgeEntry[];
  other: OtherEntry[];
}

/** A file's `sops` block. */
export interface SopsMetadata extends CryptRules {
  /** One group, unless the file uses key_groups (then `keyGroups` holds them all). */
  kms: KmsEntry[];
  age: AgeEntry[];
  other: OtherEntry[];
  keyGroups?: KeyGroup[];
  shamirThreshold?: number;
  /** As written in the file. */
  lastModified: string;
  mac: string;
  version: string;
}

/** A `sops` block sops could not read either. */
function metadataError(message: string): SopsError {
  return new SopsError('unreadable-file', message);
}

/** A tree value as a plain value (mapstructure sees this): comments dropped, scalars as they are. */
function plain(value: TreeValue): unknown {
  if (value instanceof TreeBranch) {
    const out: Record<string, unknown> = {};
    for (const item of value.items) if (!(item.key instanceof Comment)) out[item.key] = plain(item.value);
    return out;
  }
  if (Array.isArray(value)) return value.filter((v) => !(v instanceof Comment)).map(plain);
  return value;
}

/** mapstructure's WeaklyTypedInput to a string. */
function weakString(value: unknown, field: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (value instanceof GoFloat) return formatFloatF(value.value);
  if (value instanceof GoTime) return value.text;
  throw metadataError(`sops metadata field ${field} is not a string`);
}

function weakBool(value: unknown, field: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') {
    if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
    if (['0', 'f', 'F', 'FALSE', 'false', 'False', ''].includes(value)) return false;
  }
  throw metadataError(`sops metadata field ${field} is not a boolean`);
}

function weakInt(value: unknown, field: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value)) return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  throw metadataError(`sops metadata field ${field} is not an integer`);
}

function list(value: unknown, field: string): Record<string, unknown>[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw metadataError(`sops metadata field ${field} is not a list`);
  return value.map((v, i) => {
    if (
      v === null ||
      typeof v !== 'object' ||
      Array.isArray(v) ||
      v instanceof GoFloat ||
      v instanceof GoTime ||
      v instanceof Uint8Array
    ) {
      throw metadataError(`sops metadata field ${field}[${i}] is not a mapping`);
    }
    return v as Record<string, unknown>;
  });
}

function checkTime(text: string, field: string): void {
  try {
    parseRfc3339(text);
  } catch {
    throw metadataError(`sops metadata field ${field} is not an RFC 3339 time`);
  }
}

const OTHER_LABEL: Record<OtherKeyType, string[]> = {
  pgp: ['fp'],
  gcp_kms: ['resource_id'],
  hckms: ['key_id'],
  azure_kv: ['vault_url', 'name', 'version'],
  hc_vault: ['vault_address', 'engine_path', 'key_name'],
};

function readGroup(m: Record<string, unknown>, where: string): KeyGroup {
  const kms = list(m.kms, `${where}kms`).map((e, i): KmsEntry => {
    const f = `${where}kms[${i}]`;
    const entry: KmsEntry = {
      arn: weakString(e.arn, `${f}.arn`),
      createdAt: weakString(e.created_at, `${f}.created_at`),
      enc: weakString(e.enc, `${f}.enc`),
      awsProfile: weakString(e.aws_profile, `${f}.aws_profile`),
    };
    checkTime(entry.createdAt, `${f}.created_at`);
    const role = weakString(e.role, `${f}.role`);
    if (role !== '') entry.role = role;
    if (e.context !== undefined && e.context !== null) {
      if (typeof e.context !== 'object' || Array.isArray(e.context))
        throw metadataError(`sops metadata field ${f}.context is not a mapping`);
      const ctx: Record<string, string> = {};
      for (const [k, v] of Object.entries(e.context as Record<string, unknown>))
        ctx[k] = weakString(v, `${f}.context.${k}`);
      entry.context = ctx;
    }
    return entry;
  });
  const age = list(m.age, `${where}age`).map((e, i): AgeEntry => ({
    recipient: weakString(e.recipient, `${where}age[${i}].recipient`),
    enc: weakString(e.enc, `${where}age[${i}].enc`),
  }));
  const other: OtherEntry[] = [];
  for (const type of OTHER_KEY_TYPES) {
    list(m[type], `${where}${type}`).forEach((e, i) => {
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(e)) fields[k] = weakString(v, `${where}${type}[${i}].${k}`);
      const label = OTHER_LABEL[type]
        .map((k) => fields[k] ?? '')
        .filter((x) => x !== '')
        .join('/');
      other.push({ type, label, fields });
    });
  }
  return { kms, age, other };
}

/** Reads a `sops` block as sops' ToInternal does; `branch` is the value of the `sops` key. */
export function readMetadata(branch: TreeValue): SopsMetadata {
  if (!(branch instanceof TreeBranch)) throw metadataError('Found sops entry that is not a mapping');
  const m = plain(branch) as Record<string, unknown>;
  const lastModified = weakString(m.lastmodified, 'lastmodified');
  checkTime(lastModified, 'lastmodified');
  const top = readGroup(m, '');
  const md: SopsMetadata = {
    ...top,
    lastModified,
    mac: weakString(m.mac, 'mac'),
    version: weakString(m.version, 'version'),
  };
  const groups = list(m.key_groups, 'key_groups');
  const hasTopKeys = top.kms.length + top.age.length + top.other.length > 0;
  if (!hasTopKeys && groups.length > 0) {
    md.keyGroups = groups.map((g, i) => readGroup(g, `key_groups[${i}].`));
    if (md.keyGroups.length === 1) {
      const [g] = md.keyGroups as [KeyGroup];
      md.kms = g.kms;
      md.age = g.age;
      md.other = g.other;
    }
  } else if (!hasTopKeys) {
    throw metadataError('No keys found in file');
  }
  const threshold = weakInt(m.shamir_threshold, 'shamir_threshold');
  if (threshold !== 0) md.shamirThreshold = threshold;
  const rules: [keyof CryptRules & string, string][] = [
    ['unencryptedSuffix', 'unencrypted_suffix'],
    ['encryptedSuffix', 'encrypted_suffix'],
    ['unencryptedRegex', 'unencrypted_regex'],
    ['encryptedRegex', 'encrypted_regex'],
    ['unencryptedCommentRegex', 'unencrypted_comment_regex'],
    ['encryptedCommentRegex', 'encrypted_comment_regex'],
  ];
  let count = 0;
  for (const [prop, field] of rules) {
    const v = weakString(m[field], field);
    if (v !== '') {
      (md as unknown as Record<string, string>)[prop] = v;
      count++;
    }
  }
  if (count > 1) {
    throw metadataError(
      'Cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, ' +
        'encrypted_comment_regex, or unencrypted_comment_regex in the same file',
    );
  }
  if (count === 0) md.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  if (weakBool(m.mac_only_encrypted, 'mac_only_encrypted')) md.macOnlyEncrypted = true;
  return md;
}

/** The crypt rules of a file, for the tree walk. */
export function cryptRulesOf(md: SopsMetadata): CryptRules {
  return {
    unencryptedSuffix: md.unencryptedSuffix,
    encryptedSuffix: md.encryptedSuffix,
    unencryptedRegex: md.unencryptedRegex,
    encryptedRegex: md.encryptedRegex,
    unencryptedCommentRegex: md.unencryptedCommentRegex,
    encryptedCommentRegex: md.encryptedCommentRegex,
    macOnlyEncrypted: md.macOnlyEncrypted,
  };
}

/** The MAC's additional data: lastmodified parsed and written back as Go's time.RFC3339 (no fraction). */
export function macAdditionalData(lastModified: string): string {
  return parseRfc3339(lastModified).text.replace(/\.\d+(?=Z|[+-])/, '');
}

/** `YYYY-MM-DDTHH:MM:SSZ` for a Date, in UTC, without fractional seconds (time.Now().UTC().Format(time.RFC3339)). */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ---------------------------------------------------------------- writing

type Layout = 'sorted' | 'struct-omitempty' | 'struct';

function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * How a sops release lays out its `sops` block: 3.13 sorts every key; 3.10 to 3.12 write the
 * struct's field order and leave out empty key lists; earlier ones write the empty lists as `[]`.
 */
export function layoutOf(sopsVersion: string): Layout {
  if (compareVersions(sopsVersion, '3.13.0') >= 0) return 'sorted';
  if (compareVersions(sopsVersion, '3.10.0') >= 0) return 'struct-omitempty';
  return 'struct';
}

function branch(entries: [string, TreeValue | undefined][], sorted: boolean): TreeBranch {
  const present = entries.filter((e): e is [string, TreeValue] => e[1] !== undefined);
  if (sorted) present.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return new TreeBranch(present.map(([key, value]) => ({ key, value })));
}

function kmsNode(e: KmsEntry, sorted: boolean): TreeBranch {
  const context = e.context && Object.keys(e.context).length > 0 ? branch(Object.entries(e.context), true) : undefined;
  return branch(
    [
      ['arn', e.arn],
      ['role', e.role ? e.role : undefined],
      ['context', context],
      ['created_at', e.createdAt],
      ['enc', e.enc],
      ['aws_profile', e.awsProfile],
    ],
    sorted,
  );
}

function ageNode(e: AgeEntry, sorted: boolean): TreeBranch {
  return branch(
    [
      ['recipient', e.recipient],
      ['enc', e.enc],
    ],
    sorted,
  );
}

function otherNode(e: OtherEntry): TreeBranch {
  return branch(Object.entries(e.fields), true);
}

function groupFields(g: KeyGroup, sorted: boolean, keepEmpty: boolean): Record<string, TreeValue | undefined> {
  const listOf = (items: TreeValue[]): TreeValue[] | undefined => (items.length > 0 || keepEmpty ? items : undefined);
  const others = (type: OtherKeyType) => listOf(g.other.filter((o) => o.type === type).map(otherNode));
  return {
    kms: listOf(g.kms.map((e) => kmsNode(e, sorted))),
    gcp_kms: others('gcp_kms'),
    hckms: g.other.some((o) => o.type === 'hckms') ? others('hckms') : undefined,
    azure_kv: others('azure_kv'),
    hc_vault: others('hc_vault'),
    age: listOf(g.age.map((e) => ageNode(e, sorted))),
    pgp: others('pgp'),
  };
}

/** The `sops` block as the given sops release writes it. */
export function metadataToTree(md: SopsMetadata, sopsVersion: string = SOPS_VERSION): TreeBranch {
  const layout = layoutOf(sopsVersion);
  const sorted = layout === 'sorted';
  const keepEmpty = layout === 'struct';
  const multi = md.keyGroups && md.keyGroups.length > 1;
  const g = multi ? { kms: [], age: [], other: [] } : md;
  const f = groupFields(g, sorted, keepEmpty && !multi);
  const keyGroups = multi
    ? md.keyGroups!.map((kg) => {
        const gf = groupFields(kg, sorted, false);
        // In a key group sops always writes hc_vault and age, even empty.
        return branch(
          [
            ['pgp', gf.pgp],
            ['kms', gf.kms],
            ['gcp_kms', gf.gcp_kms],
            ['hckms', gf.hckms],
            ['azure_kv', gf.azure_kv],
            ['hc_vault', gf.hc_vault ?? []],
            ['age', gf.age ?? []],
          ],
          sorted,
        );
      })
    : undefined;
  const str = (v: string | undefined): Scalar | undefined => (v ? v : undefined);
  return branch(
    [
      ['shamir_threshold', md.shamirThreshold ? md.shamirThreshold : undefined],
      ['key_groups', keyGroups],
      ['kms', f.kms],
      ['gcp_kms', f.gcp_kms],
      ['hckms', f.hckms],
      ['azure_kv', f.azure_kv],
      ['hc_vault', f.hc_vault],
      ['age', f.age],
      ['lastmodified', md.lastModified],
      ['mac', md.mac],
      ['pgp', f.pgp],
      ['unencrypted_suffix', str(md.unencryptedSuffix)],
      ['encrypted_suffix', str(md.encryptedSuffix)],
      ['unencrypted_regex', str(md.unencryptedRegex)],
      ['encrypted_regex', str(md.encryptedRegex)],
      ['unencrypted_comment_regex', str(md.unencryptedCommentRegex)],
      ['encrypted_comment_regex', str(md.encryptedCommentRegex)],
      ['mac_only_encrypted', md.macOnlyEncrypted ? true : undefined],
      ['version', md.version],
    ],
    sorted,
  );
}
