// The rules of `flux-sops check`, as pure functions over the text of a fleet's files. Nothing
// here touches the disk, decrypts anything or copies a value out of a file: findings name
// files, objects, keys, rules and master keys only. It loads no template engine, Yeoman or
// prompt library, so the command stays fast enough for pre-commit hooks. The work is one
// parse per file (facts.ts) and, across files, lookups by path: no step compares every file
// with every rule or every Kustomization.
import { posix } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { CLUSTERS_FOLDER, SECRETS_FOLDER, SOPS_CONFIG_FILE, sopsPathRegexFor } from '../fleet/layout.js';
import { keyIdsOf, type MasterKeys, masterKeysOfRule } from '../sops/master-keys.js';
import { type CreationRule, indexCreationRules } from '../sops/rules.js';
import { checkCreationRules, describeRule, readCreationRules } from './creation-rules.js';
import {
  type EncryptedFile,
  environmentOf,
  type FleetFacts,
  placeholderFix,
  type FleetFiles,
  type FluxKustomization,
  gatherFacts,
  type GitRepositoryObject,
  type KustomizeConfig,
} from './facts.js';
import { compareFindings, type Finding, finding } from './findings.js';
import { type FleetFileParser, parseFleetFile } from './parse.js';
import { checkTenancy, checkTenantKeys } from './tenancy.js';

/** Flux bootstrap's own source and Kustomization: this repository, applied without decryption. */
const BOOTSTRAP_NAME = 'flux-system';

/** '' and every folder above a path: `secrets/staging/db.yaml` → '', `secrets`, `secrets/staging`. */
function foldersAbove(path: string): string[] {
  const folders = [''];
  for (let slash = path.indexOf('/'); slash !== -1; slash = path.indexOf('/', slash + 1)) {
    folders.push(path.slice(0, slash));
  }
  return folders;
}

function groupBy<T>(items: readonly T[], keysOf: (item: T) => readonly string[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    for (const key of keysOf(item)) {
      const group = groups.get(key);
      if (group) {
        group.push(item);
      } else {
        groups.set(key, [item]);
      }
    }
  }
  return groups;
}

// ---------------------------------------------------------------------------------------------
// Master keys

/** How a file's master keys differ from its rule's (`missing: …; extra: …`), or undefined when they agree. */
export function describeDifference(expected: MasterKeys, actual: MasterKeys): string | undefined {
  const expectedKeys = new Set([...expected.kms, ...expected.age]);
  const actualKeys = new Set([...actual.kms, ...actual.age]);
  const missing = [...expectedKeys].filter((key) => !actualKeys.has(key));
  const extra = [...actualKeys].filter((key) => !expectedKeys.has(key));
  if (missing.length === 0 && extra.length === 0) {
    return undefined;
  }
  return [
    missing.length > 0 ? `missing: ${missing.join(', ')}` : '',
    extra.length > 0 ? `extra: ${extra.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

function updateKeysFix(file: string): string {
  const environment = environmentOf(file);
  return file.startsWith(`${SECRETS_FOLDER}/`) && environment !== undefined
    ? `flux-sops updatekeys ${environment}`
    : `sops updatekeys ${file}`;
}

function checkKeys(
  encryptedFiles: readonly EncryptedFile[],
  rules: readonly CreationRule[],
  ruleOf: (file: string) => number,
): Finding[] {
  const findings: Finding[] = [];
  const keysOfRule = new Map<number, MasterKeys>();
  for (const { file, placeholder, masterKeys } of encryptedFiles) {
    const index = ruleOf(file);
    if (index === -1) {
      findings.push(
        finding(
          file,
          'no-creation-rule',
          `is SOPS-encrypted, but no ${SOPS_CONFIG_FILE} creation rule matches its path, so nothing says which keys ` +
            `it needs`,
          `move it under ${SECRETS_FOLDER}/<env>/, or add an anchored creation rule for its path to ` +
            `${SOPS_CONFIG_FILE}`,
        ),
      );
      continue;
    }
    if (placeholder) {
      // Not a real ciphertext: sealing it uses the rule's keys. But one that names a KMS key its
      // folder's own rule does not was copied from another environment's folder: an error whatever
      // its state, fixed in this folder. (A shadowed rule is reported as such, not here.)
      const environment = file.startsWith(`${SECRETS_FOLDER}/`) ? environmentOf(file) : undefined;
      const own =
        environment === undefined ? -1 : rules.findIndex((rule) => rule.path_regex === sopsPathRegexFor(environment));
      const ruleIndex = own === -1 ? index : own;
      const rule = keyIdsOf(masterKeysOfRule(rules[ruleIndex] ?? {}));
      const foreign = [...new Set(masterKeys.flatMap((keys) => keys.kms))].filter((key) => !rule.kms.includes(key));
      if (foreign.length > 0) {
        findings.push(
          finding(
            file,
            'wrong-master-keys',
            `a placeholder naming ${foreign.join(', ')}, which ${describeRule(rules, ruleIndex)} of ` +
              `${SOPS_CONFIG_FILE} does not name: copied from another environment's folder?`,
            placeholderFix(file),
          ),
        );
      }
      continue;
    }
    let expected = keysOfRule.get(index);
    if (expected === undefined) {
      expected = keyIdsOf(masterKeysOfRule(rules[index] ?? {}));
      keysOfRule.set(index, expected);
    }
    for (const [position, actual] of masterKeys.entries()) {
      const difference = describeDifference(expected, actual);
      if (difference !== undefined) {
        const where = masterKeys.length > 1 ? `document ${position + 1}: ` : '';
        findings.push(
          finding(
            file,
            'wrong-master-keys',
            `${where}its master keys differ from those that ${describeRule(rules, index)} of ${SOPS_CONFIG_FILE} ` +
              `names (${difference})`,
            updateKeysFix(file),
          ),
        );
        break;
      }
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Who decrypts and applies encrypted files

/**
 * Whether a Flux Kustomization reads this repository: its source is the bootstrap
 * GitRepository `flux-system`, a GitRepository with the same URL, or one not defined here
 * (where it points cannot be told, so it is taken to be this repository).
 */
function readsThisRepository(
  kustomization: FluxKustomization,
  repositoriesByName: ReadonlyMap<string, readonly GitRepositoryObject[]>,
  ownUrls: ReadonlySet<string | undefined>,
): boolean {
  if (kustomization.sourceKind !== 'GitRepository') {
    return false;
  }
  if (kustomization.sourceName === BOOTSTRAP_NAME) {
    return true;
  }
  const definitions = repositoriesByName.get(kustomization.sourceName) ?? [];
  return definitions.length === 0 || definitions.some((each) => ownUrls.has(each.url));
}

function notDecryptedFix(file: string): string {
  const environment = environmentOf(file);
  if (environment !== undefined && file.startsWith(`${CLUSTERS_FOLDER}/`)) {
    const target = `${SECRETS_FOLDER}/${environment}/${posix.basename(file)}`;
    return `git mv ${file} ${target}, then list it in ${SECRETS_FOLDER}/${environment}/kustomization.yaml`;
  }
  return `move it under ${SECRETS_FOLDER}/<env>/ and list it in that folder's kustomization.yaml`;
}

/**
 * The files a kustomize build of `folder` applies, following the resources (and components) of
 * its kustomization and of the kustomizations it lists; undefined when the folder has none
 * (Flux then generates one that applies every manifest under it).
 */
function appliedFiles(
  folder: string,
  configsByFolder: ReadonlyMap<string, KustomizeConfig>,
  cache: Map<string, Set<string> | undefined>,
): Set<string> | undefined {
  if (cache.has(folder)) {
    return cache.get(folder);
  }
  if (!configsByFolder.has(folder)) {
    cache.set(folder, undefined);
    return undefined;
  }
  const applied = new Set<string>();
  const visited = new Set<string>();
  const visit = (current: string): void => {
    const config = configsByFolder.get(current);
    if (config === undefined || visited.has(current)) {
      return;
    }
    visited.add(current);
    for (const resource of config.resources) {
      if (resource.includes('://') || posix.isAbsolute(resource)) {
        continue; // a remote base or an absolute path: not a file of this repository
      }
      const target = posix.normalize(posix.join(current, resource)).replace(/\/+$/, '');
      if (configsByFolder.has(target)) {
        visit(target);
      } else {
        applied.add(target);
      }
    }
  };
  visit(folder);
  cache.set(folder, applied);
  return applied;
}

/** The Flux Kustomizations that apply a path of this repository (through its own GitRepository). */
function readersOfThisRepository(facts: FleetFacts): FleetFacts['kustomizations'] {
  const ownUrls = new Set(
    facts.gitRepositories
      .filter((each) => each.name === BOOTSTRAP_NAME && each.url !== undefined)
      .map((each) => each.url),
  );
  const repositoriesByName = groupBy(facts.gitRepositories, (repository) => [repository.name]);
  return facts.kustomizations.filter((each) => readsThisRepository(each, repositoriesByName, ownUrls));
}

/** not-decrypted and not-applied: every encrypted file is read by a decrypting Kustomization, which applies it. */
function checkEncryptedFilesApplied(facts: FleetFacts, readers: FleetFacts['kustomizations']): Finding[] {
  const findings: Finding[] = [];
  const decryptersByPath = groupBy(
    readers.filter((each) => each.decrypts),
    (reader) => [reader.path],
  );
  const configsByFolder = new Map<string, KustomizeConfig>();
  for (const config of facts.kustomizeConfigs) {
    const folder = posix.dirname(config.file);
    const key = folder === '.' ? '' : folder;
    if (!configsByFolder.has(key)) {
      configsByFolder.set(key, config);
    }
  }
  const appliedCache = new Map<string, Set<string> | undefined>();

  for (const { file, placeholder } of facts.encryptedFiles) {
    const decrypters = foldersAbove(file).flatMap((folder) => decryptersByPath.get(folder) ?? []);
    if (decrypters.length === 0) {
      const why = file.startsWith(`${CLUSTERS_FOLDER}/`)
        ? `${CLUSTERS_FOLDER}/<env>/ is applied by the bootstrap ${BOOTSTRAP_NAME} Kustomization, ` +
          'which has no decryption'
        : 'no Flux Kustomization with decryption.provider: sops reads this path';
      findings.push(finding(file, 'not-decrypted', `is SOPS-encrypted, but ${why}`, notDecryptedFix(file)));
      continue;
    }
    if (placeholder) {
      continue; // deliberately unlisted until sealed: reported as pending
    }
    const applied = decrypters.some(
      (reader) => appliedFiles(reader.path, configsByFolder, appliedCache)?.has(file) ?? true,
    );
    if (!applied) {
      const [reader] = decrypters;
      const config = configsByFolder.get(reader?.path ?? '');
      if (reader !== undefined && config !== undefined) {
        const entry = posix.relative(reader.path, file);
        findings.push(
          finding(
            file,
            'not-applied',
            `is SOPS-encrypted, but ${config.file} does not list it (directly or through a kustomization it lists), ` +
              `so Flux Kustomization ${reader.name || '(unnamed)'} never applies it`,
            `add "- ${entry}" to the resources of ${config.file}`,
          ),
        );
      }
    }
  }
  return findings;
}

/** kustomization-without-decryption: a Kustomization applying encrypted files decrypts them. */
function checkReadersDecrypt(facts: FleetFacts, readers: FleetFacts['kustomizations']): Finding[] {
  const findings: Finding[] = [];
  const encryptedByFolder = groupBy(facts.encryptedFiles, ({ file }) => foldersAbove(file));
  for (const reader of readers.filter((each) => !each.decrypts)) {
    const encrypted = (encryptedByFolder.get(reader.path) ?? []).map(({ file }) => file);
    if (encrypted.length === 0) {
      continue;
    }
    const bootstrap = reader.name === BOOTSTRAP_NAME;
    const more = encrypted.length > 1 ? ` and ${encrypted.length - 1} more` : '';
    findings.push(
      finding(
        reader.file,
        'kustomization-without-decryption',
        `${reader.label} applies ./${reader.path} without decryption, but encrypted files lie under it ` +
          `(${encrypted[0]}${more})${bootstrap ? ': the bootstrap Kustomization must not decrypt' : ''}`,
        bootstrap
          ? `move the encrypted files under ${SECRETS_FOLDER}/<env>/`
          : `add spec.decryption.provider: sops to ${reader.label.replace(/^document \d+: /, '')} in ${reader.file}`,
      ),
    );
  }
  return findings;
}

function checkListedPlaceholders(facts: FleetFacts): Finding[] {
  const placeholders = new Set(facts.encryptedFiles.filter((each) => each.placeholder).map((each) => each.file));
  if (placeholders.size === 0) {
    return [];
  }
  return facts.kustomizeConfigs.flatMap(({ file, resources }) =>
    resources
      .filter((resource) => placeholders.has(posix.normalize(posix.join(posix.dirname(file), resource))))
      .map((resource) => {
        const environment = environmentOf(file) ?? '<env>';
        return finding(
          file,
          'placeholder-listed',
          `lists ${resource}, a placeholder that is not a real ciphertext: kustomize-controller would fail the whole ` +
            `Kustomization`,
          `remove "- ${resource}" from its resources; flux-sops secret ` +
            `${posix.basename(resource).endsWith('-auth.yaml') ? 'git' : 'generic'} ${environment} seals it and ` +
            `lists it again`,
        );
      }),
  );
}

/**
 * Checks a fleet given its YAML and JSON files (paths relative to the folder of `.sops.yaml`).
 * Returns the findings, errors first, in a stable order. `parse` reads one file; tests pass
 * another parser to show that the findings do not depend on it.
 */
export function checkFleet(fleetFiles: FleetFiles, parse: FleetFileParser = parseFleetFile): Finding[] {
  // In path order, whatever order the caller gave: which file a message names first must not vary.
  const files = new Map([...fleetFiles].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
  const sopsConfig = files.get(SOPS_CONFIG_FILE);
  if (sopsConfig === undefined) {
    throw new FluxSopsError(
      'fleet',
      `no ${SOPS_CONFIG_FILE}: the fleet's creation rules are what the check judges against`,
    );
  }
  const creationRules = readCreationRules(sopsConfig, parse);
  const index = indexCreationRules(creationRules.rules);
  const facts = gatherFacts(files, parse);
  const readers = readersOfThisRepository(facts);
  const findings = [
    ...facts.findings,
    ...checkCreationRules(creationRules, index, files, facts.storedEnvironments),
    ...checkKeys(facts.encryptedFiles, creationRules.rules, (file) => index.find(file)),
    ...checkEncryptedFilesApplied(facts, readers),
    ...checkReadersDecrypt(facts, readers),
    ...checkListedPlaceholders(facts),
    ...checkTenancy(facts),
    ...checkTenantKeys(files, creationRules.rules, parse),
  ];
  return findings.sort(compareFindings);
}
