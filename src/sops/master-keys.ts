// Owns the one model of master keys: read once from a `.sops.yaml` creation rule (as sops'
// config/config.go reads it) or from an encrypted file's `sops` block (as any YAML reader gives
// it), every KMS ARN and age recipient named, each marked usable or not, and in words what this
// library cannot use. `usable` is the filter sealing goes through; a checker compares `all`.

import { SopsError } from './errors.js';
import { isKmsArn, isUsableAgeRecipient, withoutSecretKeys } from './key-ids.js';

/** KMS key ARNs and age recipients. */
export interface MasterKeys {
  readonly kms: string[];
  readonly age: string[];
}

/**
 * One KMS key or age recipient as named (a KMS key with a role: the key's ARN), and whether this
 * library can use it.
 */
export interface MasterKey {
  readonly type: 'kms' | 'age';
  readonly id: string;
  readonly usable: boolean;
}

/** The master keys of a rule or a file. */
export interface MasterKeySet {
  /** What named them, to start a message: `The .sops.yaml creation rule (path_regex "…")`. */
  readonly source: string;
  readonly keys: readonly MasterKey[];
  /**
   * Every key and setting this library cannot use (pgp, a KMS role, Shamir, …), in reading order;
   * empty when all are usable.
   */
  readonly unusable: readonly string[];
}

type Problem = string;

/** What is read into a set while reading. */
interface Reading {
  keys: MasterKey[];
  problems: Problem[];
}

function describe(value: unknown): string {
  return withoutSecretKeys(JSON.stringify(value) ?? String(value));
}

/** sops' parseKeyField: a comma-separated string or a list of strings. */
function keyField(value: unknown, field: string, problems: Problem[]): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string')
    return value
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
  if (Array.isArray(value)) {
    const out: string[] = [];
    for (const item of value) {
      if (typeof item === 'string') out.push(item);
      else problems.push(`${field} must list strings, not ${describe(item)}`);
    }
    return out;
  }
  problems.push(`${field} must be a string or a list of strings, not ${describe(value)}`);
  return [];
}

function present(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

function add(out: Reading, type: MasterKey['type'], id: string, problem?: Problem): void {
  out.keys.push({ type, id, usable: problem === undefined });
  if (problem !== undefined) out.problems.push(problem);
}

/** KMS keys given as strings (`kms:` of a rule): sops splits on commas, drops spaces, and reads `arn+role`. */
function kmsStrings(entries: string[], out: Reading): void {
  for (const joined of entries) {
    for (const raw of joined.split(',')) {
      const arn = raw.replace(/ /g, '');
      if (arn === '') continue;
      const roleIndex = arn.indexOf('+arn:');
      if (roleIndex > 0)
        add(
          out,
          'kms',
          arn.slice(0, roleIndex),
          `kms key ${arn.slice(0, roleIndex)} with a role to assume (${arn.slice(roleIndex + 1)})`,
        );
      else add(out, 'kms', arn, isKmsArn(arn) ? undefined : `kms key ${describe(arn)}, which is not a KMS key ARN`);
    }
  }
}

function ageStrings(entries: string[], out: Reading): void {
  for (const joined of entries) {
    for (const raw of joined.split(',')) {
      const recipient = raw.trim();
      if (recipient === '') continue;
      if (recipient.startsWith('ssh-'))
        add(out, 'age', recipient, `age recipient ${recipient.slice(0, 24)}… (an SSH key)`);
      else if (!isUsableAgeRecipient(recipient))
        add(
          out,
          'age',
          recipient,
          `age recipient ${describe(recipient)}, which is not an age X25519 or post-quantum recipient`,
        );
      else add(out, 'age', recipient);
    }
  }
}

const UNSUPPORTED_RULE_FIELDS: [string, string][] = [
  ['pgp', 'pgp'],
  ['gcp_kms', 'gcp_kms'],
  ['hckms', 'hckms'],
  ['azure_keyvault', 'azure_keyvault'],
  ['azure_kv', 'azure_kv'],
  ['hc_vault_transit_uri', 'hc_vault_transit_uri'],
  ['hc_vault', 'hc_vault'],
];

function keyGroupKeys(group: unknown, where: string, out: Reading): void {
  const problems = out.problems;
  if (group === null || typeof group !== 'object' || Array.isArray(group)) {
    problems.push(`${where} must be a mapping`);
    return;
  }
  const g = group as Record<string, unknown>;
  if (Array.isArray(g.merge)) g.merge.forEach((sub, i) => keyGroupKeys(sub, `${where}.merge[${i}]`, out));
  else if (present(g.merge)) problems.push(`${where}.merge must be a list of key groups`);
  ageStrings(keyField(g.age, `${where}.age`, problems), out);
  if (present(g.kms)) {
    if (!Array.isArray(g.kms)) {
      problems.push(`${where}.kms must be a list of {arn: …} entries`);
    } else {
      g.kms.forEach((entry, i) => {
        if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
          problems.push(`${where}.kms[${i}] must be a mapping with an arn`);
          return;
        }
        const e = entry as Record<string, unknown>;
        const arn = typeof e.arn === 'string' ? e.arn : '';
        const extras: string[] = [];
        if (present(e.role)) extras.push(`a role to assume (${String(e.role)})`);
        if (present(e.context)) extras.push('an encryption context');
        if (present(e.aws_profile)) extras.push(`an AWS profile (${String(e.aws_profile)}; set AWS_PROFILE instead)`);
        if (extras.length > 0) add(out, 'kms', arn, `kms key ${arn || describe(e.arn)} with ${extras.join(' and ')}`);
        else add(out, 'kms', arn, isKmsArn(arn) ? undefined : `kms key ${describe(e.arn)}, which is not a KMS key ARN`);
      });
    }
  }
  for (const [field, label] of UNSUPPORTED_RULE_FIELDS) if (present(g[field])) problems.push(`${label} keys`);
}

/**
 * The master keys of a `.sops.yaml` creation rule, read as sops reads them: `kms` and `age` as
 * comma-separated strings or lists, or the rule's `key_groups` (which, when present, replace
 * them). Unusable: pgp, gcp_kms, hckms, azure_keyvault, hc_vault_transit_uri, several key groups
 * or a shamir_threshold above 1, and KMS keys with a role, an encryption context or an AWS profile.
 */
export function masterKeysOfRule(rule: unknown): MasterKeySet {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    return { source: 'A .sops.yaml creation rule', keys: [], unusable: ['it must be a mapping'] };
  }
  const r = rule as Record<string, unknown>;
  const out: Reading = { keys: [], problems: [] };
  const problems = out.problems;
  const threshold = r.shamir_threshold;
  if (present(threshold) && !(typeof threshold === 'number' && Number.isInteger(threshold) && threshold <= 1)) {
    problems.push(`shamir_threshold ${describe(threshold)} (Shamir secret sharing)`);
  }
  if (present(r.key_groups)) {
    if (!Array.isArray(r.key_groups)) {
      problems.push('key_groups must be a list');
    } else {
      if (r.key_groups.length > 1)
        problems.push(`${r.key_groups.length} key_groups (Shamir secret sharing needs more than one group)`);
      r.key_groups.forEach((group, i) => keyGroupKeys(group, `key_groups[${i}]`, out));
    }
  } else {
    ageStrings(keyField(r.age, 'age', problems), out);
    kmsStrings(keyField(r.kms, 'kms', problems), out);
    for (const [field, label] of UNSUPPORTED_RULE_FIELDS) if (present(r[field])) problems.push(`${label} keys`);
    if (present(r.aws_profile)) problems.push(`aws_profile ${describe(r.aws_profile)} (set AWS_PROFILE instead)`);
  }
  const name = typeof r.path_regex === 'string' ? ` (path_regex ${describe(r.path_regex)})` : '';
  return { source: `The .sops.yaml creation rule${name}`, keys: out.keys, unusable: problems };
}

function unique(ids: string[]): string[] {
  return [...new Set(ids)];
}

/**
 * The KMS ARNs and age recipients of the set, each once: all (what a file sealed for it holds), or
 * only the usable ones.
 */
export function keyIdsOf(set: MasterKeySet, which: 'all' | 'usable' = 'all'): MasterKeys {
  const keys = which === 'all' ? set.keys : set.keys.filter((k) => k.usable);
  return {
    kms: unique(keys.filter((k) => k.type === 'kms').map((k) => k.id)),
    age: unique(keys.filter((k) => k.type === 'age').map((k) => k.id)),
  };
}

/**
 * The keys to seal for: throws SopsError 'unusable-key' naming every key and setting of the set
 * this library cannot use, or 'no-key' when it names none.
 */
export function usable(set: MasterKeySet): MasterKeys {
  if (set.unusable.length > 0) {
    throw new SopsError(
      'unusable-key',
      `${set.source} names master keys this tool cannot use: ${set.unusable.join('; ')}. ` +
        'Only AWS KMS keys (kms: ARNs, without role, context or profile) and age recipients in one key group are ' +
        'supported.',
    );
  }
  const keys = keyIdsOf(set);
  if (keys.kms.length + keys.age.length === 0)
    throw new SopsError('no-key', `${set.source} names no master key (kms or age).`);
  return keys;
}

function entries(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && !Array.isArray(e));
}

function fileGroupKeys(g: Record<string, unknown>, out: Reading): void {
  for (const e of entries(g.kms)) {
    const arn = typeof e.arn === 'string' ? e.arn : describe(e.arn);
    const extras: string[] = [];
    if (present(e.role)) extras.push('role');
    if (present(e.context)) extras.push('context');
    if (present(e.aws_profile)) extras.push('aws_profile');
    add(out, 'kms', arn, extras.length > 0 ? `kms ${arn} (with ${extras.join(', ')})` : undefined);
  }
  for (const e of entries(g.age)) {
    if (typeof e.recipient === 'string') add(out, 'age', e.recipient);
  }
  const labels: [string, (e: Record<string, unknown>) => unknown][] = [
    ['pgp', (e) => e.fp],
    ['gcp_kms', (e) => e.resource_id],
    ['hckms', (e) => e.key_id],
    ['azure_kv', (e) => `${String(e.vault_url)}/keys/${String(e.name)}`],
    ['hc_vault', (e) => `${String(e.vault_address)}/v1/${String(e.engine_path)}/keys/${String(e.key_name)}`],
  ];
  for (const [type, label] of labels)
    for (const e of entries(g[type])) out.problems.push(`${type} ${String(label(e))}`);
}

/**
 * The master keys an encrypted file is sealed for, from its `sops` block (as any YAML reader gives
 * it): KMS ARNs and age recipients, top level and in key_groups; unusable: KMS keys with a role,
 * context or profile, the other key types, Shamir secret sharing.
 */
export function masterKeysOfMetadata(sopsMetadata: unknown): MasterKeySet {
  const out: Reading = { keys: [], problems: [] };
  const source = "The file's sops metadata";
  if (sopsMetadata === null || typeof sopsMetadata !== 'object' || Array.isArray(sopsMetadata))
    return { source, keys: [], unusable: [] };
  const m = sopsMetadata as Record<string, unknown>;
  fileGroupKeys(m, out);
  const groups = entries(m.key_groups);
  if (groups.length > 1) out.problems.push(`${groups.length} key_groups (Shamir secret sharing)`);
  for (const g of groups) fileGroupKeys(g, out);
  if (typeof m.shamir_threshold === 'number' && m.shamir_threshold > 1 && groups.length <= 1) {
    out.problems.push(`shamir_threshold ${m.shamir_threshold}`);
  }
  return { source, keys: out.keys, unusable: out.problems };
}
