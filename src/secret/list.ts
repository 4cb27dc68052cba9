// `flux-sops secret list`: what is sealed in each environment, read the way `flux-sops check`
// reads a fleet (its file reader and YAML parser), never decrypted: files, Secrets, key names,
// master keys, last modification, and whether a file lags behind its rule or is not listed in
// its kustomization. Pure: the files come in as texts.
import { posix } from 'node:path';
import { describeDifference } from '../check/check.js';
import { parseFleetFile } from '../check/parse.js';
import {
  PLACEHOLDER_ANNOTATION,
  PLACEHOLDER_CIPHERTEXT,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  secretsPathOf,
} from '../fleet/layout.js';
import { readCreationRules } from '../fleet/sops-config.js';
import { keyIdsOf, type MasterKeys, masterKeysOfMetadata, masterKeysOfRule } from '../sops/master-keys.js';
import { findCreationRule } from '../sops/rules.js';
import { printable } from '../text.js';

export interface SealedSecretListing {
  readonly environment: string;
  /** POSIX path relative to the fleet root. */
  readonly file: string;
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string | null;
  /** The keys of `stringData` and `data`, in the file's order: names only. */
  readonly keys: string[];
  readonly masterKeys: MasterKeys;
  readonly lastModified: string | null;
  /** The generated placeholder, not a real ciphertext (sealed with `flux-sops secret git`). */
  readonly placeholder: boolean;
  /** How the file's master keys differ from its rule's (`flux-sops updatekeys` fixes it); null when they agree. */
  readonly stale: string | null;
  /** Whether `secrets/<env>/kustomization.yaml` lists it (directly or through a kustomization it lists). */
  readonly listed: boolean;
}

type YamlObject = Record<string, unknown>;

function isObject(value: unknown): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function textOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function documentsOf(files: ReadonlyMap<string, string>, path: string): unknown[] {
  const text = files.get(path);
  if (text === undefined) {
    return [];
  }
  const parsed = parseFleetFile(path, text);
  return 'documents' in parsed ? [...parsed.documents] : [];
}

/** The files a kustomization folder lists, following the kustomizations of folders it lists. */
function listedFiles(files: ReadonlyMap<string, string>, folder: string, seen = new Set<string>()): Set<string> {
  const listed = new Set<string>();
  if (seen.has(folder)) {
    return listed;
  }
  seen.add(folder);
  const [config] = documentsOf(files, `${folder}/${SECRETS_KUSTOMIZATION}`).filter(isObject);
  const resources = Array.isArray(config?.resources) ? config.resources : [];
  for (const resource of resources.filter(
    (each): each is string => typeof each === 'string' && !each.includes('://'),
  )) {
    const target = posix.normalize(posix.join(folder, resource)).replace(/\/+$/, '');
    if (files.has(`${target}/${SECRETS_KUSTOMIZATION}`)) {
      listedFiles(files, target, seen).forEach((file) => listed.add(file));
    } else {
      listed.add(target);
    }
  }
  return listed;
}

function keysOf(object: YamlObject): string[] {
  return (['stringData', 'data'] as const).flatMap((field) =>
    isObject(object[field]) ? Object.keys(object[field]) : [],
  );
}

function isPlaceholder(object: YamlObject, sops: YamlObject): boolean {
  const annotations =
    isObject(object.metadata) && isObject(object.metadata.annotations) ? object.metadata.annotations : {};
  return String(annotations[PLACEHOLDER_ANNOTATION]) === 'true' || sops.mac === PLACEHOLDER_CIPHERTEXT;
}

/**
 * Every SOPS-encrypted file under `secrets/<env>/` of the given environments, in path order.
 * `files` are the fleet's files as `flux-sops check` reads them (path relative to the root → text).
 */
export function listSealedSecrets(
  files: ReadonlyMap<string, string>,
  environments: readonly string[],
): SealedSecretListing[] {
  const sopsConfig = files.get(SOPS_CONFIG_FILE);
  const rules = sopsConfig === undefined ? [] : readCreationRules(sopsConfig);
  const listings: SealedSecretListing[] = [];
  for (const environment of environments) {
    const folder = secretsPathOf(environment);
    const listed = listedFiles(files, folder);
    const paths = [...files.keys()].filter((path) => path.startsWith(`${folder}/`) && /\.ya?ml$/.test(path)).sort();
    for (const file of paths) {
      const object = documentsOf(files, file).find((document) => isObject(document) && isObject(document.sops));
      if (!isObject(object) || !isObject(object.sops)) {
        continue;
      }
      const { sops } = object;
      const metadata = isObject(object.metadata) ? object.metadata : {};
      const masterKeys = keyIdsOf(masterKeysOfMetadata(sops));
      const placeholder = isPlaceholder(object, sops);
      const rule = rules[findCreationRule(rules, file)];
      listings.push({
        environment,
        file,
        kind: typeof object.kind === 'string' ? object.kind : '(no kind)',
        namespace: textOrNull(metadata.namespace),
        name: textOrNull(metadata.name),
        keys: keysOf(object),
        masterKeys,
        lastModified: placeholder ? null : textOrNull(sops.lastmodified),
        placeholder,
        stale: placeholder
          ? null
          : rule === undefined
            ? `no ${SOPS_CONFIG_FILE} rule matches it`
            : (describeDifference(keyIdsOf(masterKeysOfRule(rule)), masterKeys) ?? null),
        listed: listed.has(file),
      });
    }
  }
  return listings;
}

/** What a listing's status column says: sealed or placeholder, then what is wrong with it. */
export function statusOf(listing: SealedSecretListing): string {
  return [
    listing.placeholder ? 'placeholder' : 'sealed',
    ...(listing.stale === null ? [] : ['stale keys']),
    ...(listing.listed === !listing.placeholder ? [] : [listing.listed ? 'listed' : 'unlisted']),
  ].join(', ');
}

/** The table `flux-sops secret list` prints: one row per file, its master keys on the line below. */
export function formatListing(listings: readonly SealedSecretListing[]): string {
  if (listings.length === 0) {
    return 'No sealed Secrets.\n';
  }
  const header = ['ENVIRONMENT', 'FILE', 'SECRET', 'KEYS', 'LAST MODIFIED', 'STATUS'] as const;
  const rows = listings.map((each) =>
    [
      each.environment,
      each.file,
      `${each.namespace ?? '(no namespace)'}/${each.name ?? '(unnamed)'}`,
      each.keys.join(',') || '(none)',
      each.lastModified ?? '-',
      statusOf(each),
    ].map(printable),
  );
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const indent = ' '.repeat((widths[0] ?? 0) + 2);
  return `${[
    line(header),
    ...rows.flatMap((row, index) => {
      const listing = listings[index] as SealedSecretListing;
      const keys = [...listing.masterKeys.kms, ...listing.masterKeys.age].map(printable);
      return [
        line(row),
        `${indent}master keys: ${keys.join(', ') || '(none)'}`,
        ...(listing.stale === null
          ? []
          : [`${indent}stale: ${printable(listing.stale)} (fix: flux-sops updatekeys ${listing.environment})`]),
        ...(listing.listed || listing.placeholder
          ? []
          : [
              `${indent}unlisted: add "- ${posix.relative(secretsPathOf(listing.environment), listing.file)}" to ` +
                `${secretsPathOf(listing.environment)}/${SECRETS_KUSTOMIZATION}`,
            ]),
      ];
    }),
  ].join('\n')}\n`;
}

export function formatListingJson(listings: readonly SealedSecretListing[]): string {
  return `${JSON.stringify({ secrets: listings.map((each) => ({ ...each, status: statusOf(each) })) }, null, 2)}\n`;
}
