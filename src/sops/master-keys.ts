// Owns the master keys sealing uses: those a `.sops.yaml` creation rule names (sops' config/config.go), refusing the keys this product cannot use, and those of an encrypted file's `sops` block. (`flux-sops check` reads rules with the lighter readers of rules.ts, which refuse nothing.)

import { FluxSopsError } from '../errors.js';
import { isUsableAgeRecipient } from './age.js';
import { isKmsArn } from './kms.js';

import type { MasterKeys } from './rules.js';

export type { MasterKeys };

/** A file's master keys, with the entries this product cannot use (pgp fingerprints, role-bound KMS keys, …). */
export interface FileMasterKeys extends MasterKeys {
  unsupported: string[];
}

type Problem = string;

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** sops' parseKeyField: a comma-separated string or a list of strings. */
function keyField(value: unknown, field: string, problems: Problem[]): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(',').map((k) => k.trim()).filter((k) => k !== '');
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

function addUnique(list: string[], key: string): void {
  if (!list.includes(key)) list.push(key);
}

/** KMS keys given as strings (`kms:` of a rule): sops splits on commas, drops spaces, and reads `arn+role`. */
function kmsStrings(entries: string[], problems: Problem[], out: MasterKeys): void {
  for (const joined of entries) {
    for (const raw of joined.split(',')) {
      const arn = raw.replace(/ /g, '');
      if (arn === '') continue;
      const roleIndex = arn.indexOf('+arn:');
      if (roleIndex > 0) {
        problems.push(`kms key ${arn.slice(0, roleIndex)} with a role to assume (${arn.slice(roleIndex + 1)})`);
        continue;
      }
      if (!isKmsArn(arn)) {
        problems.push(`kms key ${describe(arn)}, which is not a KMS key ARN`);
        continue;
      }
      addUnique(out.kms, arn);
    }
  }
}

function ageStrings(entries: string[], problems: Problem[], out: MasterKeys): void {
  for (const joined of entries) {
    for (const raw of joined.split(',')) {
      const recipient = raw.trim();
      if (recipient === '') continue;
      if (recipient.startsWith('ssh-')) problems.push(`age recipient ${recipient.slice(0, 24)}… (an SSH key)`);
      else if (!isUsableAgeRecipient(recipient)) problems.push(`age recipient ${describe(recipient)}, which is not an age X25519 or post-quantum recipient`);
      else addUnique(out.age, recipient);
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

function keyGroupKeys(group: unknown, where: string, problems: Problem[], out: MasterKeys): void {
  if (group === null || typeof group !== 'object' || Array.isArray(group)) {
    problems.push(`${where} must be a mapping`);
    return;
  }
  const g = group as Record<string, unknown>;
  if (Array.isArray(g.merge)) g.merge.forEach((sub, i) => keyGroupKeys(sub, `${where}.merge[${i}]`, problems, out));
  else if (present(g.merge)) problems.push(`${where}.merge must be a list of key groups`);
  ageStrings(keyField(g.age, `${where}.age`, problems), problems, out);
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
        if (extras.length > 0) problems.push(`kms key ${arn || describe(e.arn)} with ${extras.join(' and ')}`);
        else if (!isKmsArn(arn)) problems.push(`kms key ${describe(e.arn)}, which is not a KMS key ARN`);
        else addUnique(out.kms, arn);
      });
    }
  }
  for (const [field, label] of UNSUPPORTED_RULE_FIELDS) if (present(g[field])) problems.push(`${label} keys`);
}

/**
 * The master keys of a `.sops.yaml` creation rule, read as sops reads them: `kms` and `age` as
 * comma-separated strings or lists, or the rule's `key_groups` (which, when present, replace
 * them). Throws FluxSopsError('fleet') naming every key this product cannot use: pgp, gcp_kms,
 * hckms, azure_keyvault, hc_vault_transit_uri, several key groups or a shamir_threshold above 1,
 * and KMS keys with a role, an encryption context or an AWS profile.
 */
export function usableMasterKeysOfRule(rule: unknown): MasterKeys {
  if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
    throw new FluxSopsError('fleet', 'A .sops.yaml creation rule must be a mapping.');
  }
  const r = rule as Record<string, unknown>;
  const problems: Problem[] = [];
  const out: MasterKeys = { kms: [], age: [] };
  const threshold = r.shamir_threshold;
  if (present(threshold) && !(typeof threshold === 'number' && Number.isInteger(threshold) && threshold <= 1)) {
    problems.push(`shamir_threshold ${describe(threshold)} (Shamir secret sharing)`);
  }
  if (present(r.key_groups)) {
    if (!Array.isArray(r.key_groups)) {
      problems.push('key_groups must be a list');
    } else {
      if (r.key_groups.length > 1) problems.push(`${r.key_groups.length} key_groups (Shamir secret sharing needs more than one group)`);
      r.key_groups.forEach((group, i) => keyGroupKeys(group, `key_groups[${i}]`, problems, out));
    }
  } else {
    ageStrings(keyField(r.age, 'age', problems), problems, out);
    kmsStrings(keyField(r.kms, 'kms', problems), problems, out);
    for (const [field, label] of UNSUPPORTED_RULE_FIELDS) if (present(r[field])) problems.push(`${label} keys`);
    if (present(r.aws_profile)) problems.push(`aws_profile ${describe(r.aws_profile)} (set AWS_PROFILE instead)`);
  }
  if (problems.length > 0) {
    const name = typeof r.path_regex === 'string' ? ` (path_regex ${describe(r.path_regex)})` : '';
    throw new FluxSopsError(
      'fleet',
      `The .sops.yaml creation rule${name} names master keys this tool cannot use: ${problems.join('; ')}. ` +
        'Only AWS KMS keys (kms: ARNs, without role, context or profile) and age recipients in one key group are supported.',
    );
  }
  if (out.kms.length + out.age.length === 0) {
    const name = typeof r.path_regex === 'string' ? ` (path_regex ${describe(r.path_regex)})` : '';
    throw new FluxSopsError('fleet', `The .sops.yaml creation rule${name} names no master key (kms or age).`);
  }
  return out;
}

function entries(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) return [];
  return value.filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object' && !Array.isArray(e));
}

function fileGroupKeys(g: Record<string, unknown>, out: FileMasterKeys): void {
  for (const e of entries(g.kms)) {
    const arn = typeof e.arn === 'string' ? e.arn : describe(e.arn);
    const extras: string[] = [];
    if (present(e.role)) extras.push('role');
    if (present(e.context)) extras.push('context');
    if (present(e.aws_profile)) extras.push('aws_profile');
    if (extras.length > 0) out.unsupported.push(`kms ${arn} (with ${extras.join(', ')})`);
    else addUnique(out.kms, arn);
  }
  for (const e of entries(g.age)) {
    if (typeof e.recipient === 'string') addUnique(out.age, e.recipient);
  }
  const labels: [string, (e: Record<string, unknown>) => unknown][] = [
    ['pgp', (e) => e.fp],
    ['gcp_kms', (e) => e.resource_id],
    ['hckms', (e) => e.key_id],
    ['azure_kv', (e) => `${String(e.vault_url)}/keys/${String(e.name)}`],
    ['hc_vault', (e) => `${String(e.vault_address)}/v1/${String(e.engine_path)}/keys/${String(e.key_name)}`],
  ];
  for (const [type, label] of labels) for (const e of entries(g[type])) out.unsupported.push(`${type} ${String(label(e))}`);
}

/**
 * The master keys an encrypted file is sealed for, from its `sops` block (as any YAML reader gives
 * it): KMS ARNs and age recipients, plus the entries this product cannot use, for a checker that
 * compares a file with its creation rule.
 */
export function masterKeysOfFile(sopsMetadata: unknown): FileMasterKeys {
  const out: FileMasterKeys = { kms: [], age: [], unsupported: [] };
  if (sopsMetadata === null || typeof sopsMetadata !== 'object' || Array.isArray(sopsMetadata)) return out;
  const m = sopsMetadata as Record<string, unknown>;
  fileGroupKeys(m, out);
  const groups = entries(m.key_groups);
  if (groups.length > 1) out.unsupported.push(`${groups.length} key_groups (Shamir secret sharing)`);
  for (const g of groups) fileGroupKeys(g, out);
  if (typeof m.shamir_threshold === 'number' && m.shamir_threshold > 1 && groups.length <= 1) {
    out.unsupported.push(`shamir_threshold ${m.shamir_threshold}`);
  }
  return out;
}
