// The rules of `flux-sops check`, as pure functions over the text of a fleet's files. Nothing
// here touches the disk, decrypts anything or copies a value out of a file: findings name
// files, objects, keys, rules and KMS ARNs only. It loads no template engine, Yeoman or prompt
// library, so the command stays fast enough for pre-commit hooks.
import { posix } from 'node:path';
import { parseAllDocuments, parseDocument, type YAMLError } from 'yaml';
import { CLUSTERS_FOLDER, PLACEHOLDER_ANNOTATION, PLACEHOLDER_CIPHERTEXT, SECRETS_FOLDER, STORAGE_NAME } from '../fleet/layout.js';
import { arnsOfKmsEntries, compilePathRegex, type CreationRule, findCreationRule, isAnchored, kmsArnsOf, ruleMatches } from '../sops/rules.js';

export type Severity = 'error' | 'pending' | 'warning';

/** Every rule the check applies, with its severity; `--help` and the README list them from here. */
export const checkRules = {
  'unencrypted-secret': {
    severity: 'error',
    description: 'a Secret (also inside a List, or a kustomize secretGenerator literal) whose data or stringData is not SOPS-encrypted',
  },
  'invalid-sops-metadata': {
    severity: 'error',
    description: 'a sops block without mac or without any key: nothing can decrypt the document',
  },
  'wrong-kms-key': {
    severity: 'error',
    description: 'an encrypted file whose sops KMS ARNs are not those of the first .sops.yaml rule matching its path',
  },
  'no-creation-rule': {
    severity: 'error',
    description: 'an encrypted file whose path matches no .sops.yaml creation rule',
  },
  'not-decrypted': {
    severity: 'error',
    description: 'an encrypted file under no path of a Flux Kustomization with decryption.provider: sops (clusters/ is applied by the bootstrap Kustomization, which does not decrypt)',
  },
  'kustomization-without-decryption': {
    severity: 'error',
    description: 'a Flux Kustomization reading this repository whose path holds encrypted files, without decryption.provider: sops',
  },
  'placeholder-listed': {
    severity: 'error',
    description: "a generated placeholder listed in a kustomization.yaml's resources (kustomize-controller would fail the whole Kustomization)",
  },
  'unanchored-rule': {
    severity: 'error',
    description: 'a .sops.yaml creation rule whose path_regex is missing or not anchored with ^…$',
  },
  'shadowed-rule': {
    severity: 'error',
    description: 'a .sops.yaml creation rule that an earlier rule shadows for some path (sops uses the first match)',
  },
  'missing-rule': {
    severity: 'error',
    description: 'an environment (a folder under secrets/, or one in the stored answers) that no .sops.yaml rule covers',
  },
  'invalid-rule': {
    severity: 'error',
    description: 'a .sops.yaml creation rule that is not a mapping, or whose path_regex is not a valid regular expression',
  },
  placeholder: {
    severity: 'pending',
    description: 'a generated placeholder Secret not yet replaced (an error with --strict)',
  },
  'nested-sops-config': {
    severity: 'warning',
    description: 'a .sops.yaml below the root: sops run from that folder ignores the root rules',
  },
  'unparsable-file': {
    severity: 'warning',
    description: 'a YAML or JSON file that does not parse, so it could not be checked',
  },
} as const satisfies Record<string, { severity: Severity; description: string }>;

export type CheckRule = keyof typeof checkRules;

export interface Finding {
  /** POSIX path relative to the folder of `.sops.yaml`. */
  readonly file: string;
  readonly rule: CheckRule;
  readonly severity: Severity;
  readonly message: string;
}

/** The fleet's YAML and JSON files by POSIX path relative to the folder of `.sops.yaml`. */
export type FleetFiles = ReadonlyMap<string, string>;

export const SOPS_CONFIG = '.sops.yaml';

/** The fleet cannot be checked at all (no usable `.sops.yaml`): a usage error, exit status 2. */
export class CheckInputError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'CheckInputError';
  }
}

/** A value as sops writes it: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` (base64 fields). */
const SOPS_CIPHERTEXT = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/;
/** The key types sops records in a document's metadata, each a list of keys. */
const SOPS_KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'age', 'pgp'] as const;
/** Flux bootstrap's own source and Kustomization: this repository, applied without decryption. */
const BOOTSTRAP_NAME = 'flux-system';
const KUSTOMIZE_CONFIG_NAMES = new Set(['kustomization.yaml', 'kustomization.yml', 'Kustomization']);
/** Stands in for a creation rule that is not a mapping: sops would reject it, and it matches nothing here. */
const NEVER_MATCHING_RULE: CreationRule = { path_regex: '(?!)' };

type YamlObject = Record<string, unknown>;

function isObject(value: unknown): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isSopsCiphertext(value: unknown): boolean {
  return typeof value === 'string' && SOPS_CIPHERTEXT.test(value);
}

/** Where a YAML error is, never what the line says: the line may hold a secret value. */
function describeYamlError(error: YAMLError): string {
  const position = error.linePos?.[0];
  return position ? `${error.code} at line ${position.line}, column ${position.col}` : error.code;
}

function parseJson(text: string): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return undefined;
  }
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

// ---------------------------------------------------------------------------------------------
// Reading documents

interface SopsMetadata {
  readonly complete: boolean;
  readonly kmsArns: readonly string[];
  readonly placeholderMac: boolean;
}

/** `sops:` as sops writes it: a mac, and at least one key (top level or in key_groups). */
function readSopsMetadata(sops: unknown): SopsMetadata {
  if (!isObject(sops)) {
    return { complete: false, kmsArns: [], placeholderMac: false };
  }
  const groups = [sops, ...listOf(sops.key_groups).filter(isObject)];
  const hasKey = groups.some((group) => SOPS_KEY_TYPES.some((type) => listOf(group[type]).length > 0));
  const kmsArns = groups.flatMap((group) => arnsOfKmsEntries(group.kms));
  return {
    complete: typeof sops.mac === 'string' && sops.mac !== '' && hasKey,
    kmsArns,
    placeholderMac: sops.mac === PLACEHOLDER_CIPHERTEXT,
  };
}

interface SecretValue {
  readonly key: string;
  readonly value: unknown;
}

function secretValuesOf(secret: YamlObject): SecretValue[] {
  return (['data', 'stringData'] as const).flatMap((field) => {
    const values = secret[field];
    return isObject(values) ? Object.entries(values).map(([key, value]) => ({ key: `${field}.${key}`, value })) : [];
  });
}

function describeObject(object: YamlObject): string {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const name = stringOrUndefined(metadata.name) ?? '(unnamed)';
  const namespace = stringOrUndefined(metadata.namespace);
  return `${String(object.kind)} ${namespace ? `${namespace}/` : ''}${name}`;
}

function isPlaceholder(object: YamlObject, sops: SopsMetadata): boolean {
  const annotations = isObject(object.metadata) && isObject(object.metadata.annotations) ? object.metadata.annotations : {};
  return (
    String(annotations[PLACEHOLDER_ANNOTATION]) === 'true' ||
    sops.placeholderMac ||
    secretValuesOf(object).some(({ value }) => value === PLACEHOLDER_CIPHERTEXT)
  );
}

function isFluxKustomization(object: YamlObject): boolean {
  return String(object.apiVersion).startsWith('kustomize.toolkit.fluxcd.io/') && object.kind === 'Kustomization';
}

function isKustomizeConfig(path: string, object: YamlObject): boolean {
  if (String(object.apiVersion).startsWith('kustomize.config.k8s.io/')) {
    return true;
  }
  return KUSTOMIZE_CONFIG_NAMES.has(posix.basename(path)) && !isFluxKustomization(object);
}

/** `./secrets/staging/` → `secrets/staging`; the repository root → ''. */
function normalizeRepositoryPath(specPath: unknown): string {
  const normalized = posix.normalize(typeof specPath === 'string' && specPath !== '' ? specPath : '.');
  const trimmed = normalized.replace(/^\/+/, '').replace(/\/+$/, '');
  return trimmed === '.' ? '' : trimmed;
}

function isUnder(path: string, folder: string): boolean {
  return folder === '' || path.startsWith(`${folder}/`);
}

interface FluxKustomization {
  readonly file: string;
  readonly label: string;
  readonly name: string;
  readonly path: string;
  readonly sourceKind: string;
  readonly sourceName: string;
  readonly decrypts: boolean;
}

interface GitRepositoryObject {
  readonly name: string;
  readonly url: string | undefined;
}

interface EncryptedFile {
  readonly file: string;
  readonly placeholder: boolean;
  /** One entry per encrypted document. */
  readonly kmsArns: readonly (readonly string[])[];
}

/** What the checks need to know about the fleet, gathered in one pass over its documents. */
interface FleetFacts {
  readonly findings: Finding[];
  readonly encryptedFiles: EncryptedFile[];
  readonly placeholderFiles: Set<string>;
  readonly kustomizations: FluxKustomization[];
  readonly gitRepositories: GitRepositoryObject[];
  readonly kustomizeResources: { file: string; resources: string[] }[];
}

function finding(file: string, rule: CheckRule, message: string): Finding {
  return { file, rule, severity: checkRules[rule].severity, message };
}

/** Flags every Secret in a document (a List's items included) whose values are not all encrypted. */
function checkSecrets(file: string, object: YamlObject, where: string, sops: SopsMetadata, findings: Finding[]): void {
  const candidates = object.kind === 'Secret' ? [object] : Array.isArray(object.items) ? object.items.filter(isObject) : [];
  for (const secret of candidates) {
    if (secret.kind !== 'Secret') {
      continue;
    }
    const values = secretValuesOf(secret);
    const plaintext = values.filter(({ value }) => !isSopsCiphertext(value)).map(({ key }) => key);
    const inList = secret === object ? '' : ` (in ${String(object.kind)})`;
    if (plaintext.length > 0) {
      const how = secret === object && sops.complete ? 'is SOPS-encrypted, but' : 'is not SOPS-encrypted:';
      findings.push(
        finding(file, 'unencrypted-secret', `${where}${describeObject(secret)}${inList} ${how} ${plaintext.join(', ')} ${plaintext.length === 1 ? 'is' : 'are'} plaintext`),
      );
    } else if (values.length > 0 && !(secret === object && 'sops' in object)) {
      findings.push(
        finding(file, 'unencrypted-secret', `${where}${describeObject(secret)}${inList} has ENC[…] values but no sops metadata: nothing can decrypt them`),
      );
    }
  }
}

function gatherFacts(files: FleetFiles): FleetFacts {
  const facts: FleetFacts = {
    findings: [],
    encryptedFiles: [],
    placeholderFiles: new Set(),
    kustomizations: [],
    gitRepositories: [],
    kustomizeResources: [],
  };
  for (const [file, text] of files) {
    if (posix.basename(file) === SOPS_CONFIG) {
      if (file !== SOPS_CONFIG) {
        facts.findings.push(
          finding(
            file,
            'nested-sops-config',
            `sops uses the .sops.yaml nearest to the folder it runs in: run from ${posix.dirname(file)}/, it ignores the root rules; keep one .sops.yaml at the root`,
          ),
        );
      }
      continue;
    }
    const objects: unknown[] = [];
    let problem: string | undefined;
    // JSON files take the fast parser; one that fails it goes through the YAML parser, whose
    // errors give a position without quoting the text.
    const json = file.endsWith('.json') ? parseJson(text) : undefined;
    const documents = json === undefined ? parseAllDocuments(text) : [];
    if (json !== undefined) {
      objects.push(json.value);
    }
    for (const document of Array.isArray(documents) ? documents : []) {
      const [error] = document.errors;
      if (error) {
        problem = describeYamlError(error);
        break;
      }
      try {
        objects.push(document.toJS());
      } catch (error) {
        // toJS refuses, for example, an alias bomb; its message quotes no content.
        problem = (error as Error).name;
        break;
      }
    }
    if (problem !== undefined) {
      facts.findings.push(finding(file, 'unparsable-file', `not checked: it does not parse as YAML (${problem})`));
      continue;
    }
    const encryptedDocuments: string[][] = [];
    let placeholder = false;
    objects.forEach((object, index) => {
      if (!isObject(object)) {
        return;
      }
      const where = objects.length > 1 ? `document ${index + 1}: ` : '';
      const sops = readSopsMetadata(object.sops);
      if ('sops' in object) {
        if (sops.complete) {
          encryptedDocuments.push([...sops.kmsArns]);
        } else {
          facts.findings.push(finding(file, 'invalid-sops-metadata', `${where}its sops block has no mac or no key, so nothing can decrypt it`));
        }
      }
      placeholder ||= isPlaceholder(object, sops);
      checkSecrets(file, object, where, sops, facts.findings);
      if (isFluxKustomization(object)) {
        const spec = isObject(object.spec) ? object.spec : {};
        const sourceRef = isObject(spec.sourceRef) ? spec.sourceRef : {};
        const decryption = isObject(spec.decryption) ? spec.decryption : {};
        facts.kustomizations.push({
          file,
          label: `${where}Flux ${describeObject(object)}`,
          name: isObject(object.metadata) ? String(object.metadata.name) : '',
          path: normalizeRepositoryPath(spec.path),
          sourceKind: stringOrUndefined(sourceRef.kind) ?? 'GitRepository',
          sourceName: String(sourceRef.name),
          decrypts: decryption.provider === 'sops',
        });
      } else if (String(object.apiVersion).startsWith('source.toolkit.fluxcd.io/') && object.kind === 'GitRepository') {
        const spec = isObject(object.spec) ? object.spec : {};
        facts.gitRepositories.push({ name: isObject(object.metadata) ? String(object.metadata.name) : '', url: stringOrUndefined(spec.url) });
      } else if (isKustomizeConfig(file, object)) {
        facts.kustomizeResources.push({ file, resources: listOf(object.resources).filter((each): each is string => typeof each === 'string') });
        for (const generator of listOf(object.secretGenerator).filter(isObject)) {
          if (listOf(generator.literals).length > 0) {
            facts.findings.push(
              finding(
                file,
                'unencrypted-secret',
                `${where}secretGenerator ${String(generator.name)} has literals: their values are plaintext in Git; commit a SOPS-encrypted Secret instead`,
              ),
            );
          }
        }
      }
    });
    if (placeholder) {
      facts.placeholderFiles.add(file);
      facts.findings.push(
        finding(file, 'placeholder', 'a generated placeholder, not a real ciphertext: replace it with the real Secret encrypted by sops (see its header), then list it in kustomization.yaml'),
      );
    }
    if (encryptedDocuments.length > 0 || placeholder) {
      facts.encryptedFiles.push({ file, placeholder, kmsArns: encryptedDocuments });
    }
  }
  return facts;
}

// ---------------------------------------------------------------------------------------------
// `.sops.yaml`

function readCreationRules(text: string): unknown[] {
  const document = parseDocument(text);
  const [error] = document.errors;
  if (error) {
    throw new CheckInputError(`${SOPS_CONFIG} does not parse as YAML (${describeYamlError(error)})`);
  }
  const config: unknown = document.toJS();
  if (config === null || config === undefined) {
    return [];
  }
  if (!isObject(config)) {
    throw new CheckInputError(`${SOPS_CONFIG} must be a mapping with a creation_rules list`);
  }
  if (config.creation_rules === undefined || config.creation_rules === null) {
    return [];
  }
  if (!Array.isArray(config.creation_rules)) {
    throw new CheckInputError(`${SOPS_CONFIG} has a creation_rules that is not a list`);
  }
  return config.creation_rules;
}

function describeRule(rules: readonly CreationRule[], index: number): string {
  const pattern = rules[index]?.path_regex;
  return `rule ${index + 1}${pattern === undefined ? '' : ` (${JSON.stringify(pattern)})`}`;
}

/** The literal start of an anchored pattern (`^secrets/staging/.+` → `secrets/staging/`), to build sample paths. */
function literalPrefixOf(pattern: string): string {
  let prefix = '';
  for (let index = pattern.startsWith('^') ? 1 : 0; index < pattern.length; index += 1) {
    const character = pattern[index] ?? '';
    if (/[A-Za-z0-9/_-]/.test(character)) {
      prefix += character;
    } else if (character === '\\' && /[^A-Za-z0-9]/.test(pattern[index + 1] ?? 'a')) {
      prefix += pattern[index + 1];
      index += 1;
    } else {
      break;
    }
  }
  return prefix;
}

function samplePathsIn(folder: string): string[] {
  return [`${folder}secret.yaml`, `${folder}nested/secret.yml`];
}

function environmentsOf(files: FleetFiles): string[] {
  const environments = new Set<string>();
  for (const path of files.keys()) {
    const [top, environment, ...rest] = path.split('/');
    if (top === SECRETS_FOLDER && environment && rest.length > 0) {
      environments.add(environment);
    }
  }
  // The stored answers help when a fleet was generated by us; a fleet without them is checked all the same.
  const storedAnswers = files.get('.yo-rc.json');
  if (storedAnswers !== undefined) {
    try {
      const stored = (JSON.parse(storedAnswers) as Record<string, { environments?: unknown }>)[STORAGE_NAME];
      for (const environment of listOf(stored?.environments)) {
        const name = isObject(environment) ? environment.name : environment;
        if (typeof name === 'string' && name !== '') {
          environments.add(name);
        }
      }
    } catch {
      // Not ours to judge: the stored answers are optional.
    }
  }
  return [...environments].sort();
}

function checkCreationRules(rawRules: readonly unknown[], rules: readonly CreationRule[], files: FleetFiles): Finding[] {
  const findings: Finding[] = [];
  const report = (rule: CheckRule, message: string) => findings.push(finding(SOPS_CONFIG, rule, message));
  const environments = environmentsOf(files);
  const samplePaths = [...files.keys(), ...environments.flatMap((environment) => samplePathsIn(`${SECRETS_FOLDER}/${environment}/`))];

  rawRules.forEach((raw, index) => {
    const label = describeRule(rules, index);
    if (!isObject(raw)) {
      report('invalid-rule', `rule ${index + 1} is not a mapping, so sops cannot read ${SOPS_CONFIG}`);
      return;
    }
    if (raw.path_regex === undefined) {
      report('unanchored-rule', `${label} has no path_regex: it matches every file, so sops encrypts files anywhere, even where no decrypting Kustomization reads them`);
      return;
    }
    if (typeof raw.path_regex !== 'string' || compilePathRegex(raw.path_regex) === undefined) {
      report('invalid-rule', `${label}: path_regex is not a valid regular expression`);
      return;
    }
    if (!isAnchored(raw.path_regex)) {
      report('unanchored-rule', `${label} is not anchored with ^…$: it also matches paths it was not written for (for example the same folder under another one)`);
    }
    const probes = [...samplePaths, ...samplePathsIn(literalPrefixOf(raw.path_regex))];
    const shadowedPath = probes.find((path) => ruleMatches(raw as CreationRule, path) && findCreationRule(rules, path) !== index);
    if (shadowedPath !== undefined) {
      const winner = findCreationRule(rules, shadowedPath);
      report('shadowed-rule', `${label} is shadowed by ${describeRule(rules, winner)}: sops uses the first match, so ${shadowedPath} gets rule ${winner + 1}'s keys`);
    }
  });

  for (const environment of environments) {
    const folder = `${SECRETS_FOLDER}/${environment}/`;
    const probes = [...[...files.keys()].filter((path) => path.startsWith(folder)), ...samplePathsIn(folder)];
    if (!probes.some((path) => findCreationRule(rules, path) !== -1)) {
      report('missing-rule', `no creation rule matches ${folder}: sops cannot encrypt the files of ${environment}; add an anchored rule for it with its KMS key`);
    }
  }
  return findings;
}

// ---------------------------------------------------------------------------------------------
// Encrypted files: their keys and who decrypts them

function sameArns(left: readonly string[], right: readonly string[]): boolean {
  const leftSet = new Set(left);
  const rightSet = new Set(right);
  return leftSet.size === rightSet.size && [...leftSet].every((arn) => rightSet.has(arn));
}

function describeArns(arns: readonly string[]): string {
  return arns.length === 0 ? 'no KMS key' : [...new Set(arns)].join(', ');
}

function checkKeys(encryptedFiles: readonly EncryptedFile[], rules: readonly CreationRule[]): Finding[] {
  const findings: Finding[] = [];
  for (const { file, kmsArns } of encryptedFiles) {
    const index = findCreationRule(rules, file);
    if (index === -1) {
      findings.push(
        finding(file, 'no-creation-rule', `is SOPS-encrypted, but no ${SOPS_CONFIG} creation rule matches its path, so nothing says which key it needs; move it under ${SECRETS_FOLDER}/<env>/ or add a rule`),
      );
      continue;
    }
    const expected = kmsArnsOf(rules[index] ?? {});
    const actual = kmsArns.find((arns) => !sameArns(arns, expected));
    if (actual !== undefined) {
      findings.push(
        finding(
          file,
          'wrong-kms-key',
          `is encrypted with ${describeArns(actual)}, but ${describeRule(rules, index)} of ${SOPS_CONFIG} names ${describeArns(expected)}: run sops updatekeys on it`,
        ),
      );
    }
  }
  return findings;
}

/**
 * Whether a Flux Kustomization reads this repository: its source is the bootstrap
 * GitRepository `flux-system`, a GitRepository with the same URL, or one not defined here
 * (where it points cannot be told, so it is taken to be this repository).
 */
function readsThisRepository(kustomization: FluxKustomization, gitRepositories: readonly GitRepositoryObject[]): boolean {
  if (kustomization.sourceKind !== 'GitRepository') {
    return false;
  }
  if (kustomization.sourceName === BOOTSTRAP_NAME) {
    return true;
  }
  const ownUrls = new Set(gitRepositories.filter((each) => each.name === BOOTSTRAP_NAME && each.url !== undefined).map((each) => each.url));
  const definitions = gitRepositories.filter((each) => each.name === kustomization.sourceName);
  return definitions.length === 0 || definitions.some((each) => ownUrls.has(each.url));
}

function checkDecryption(facts: FleetFacts): Finding[] {
  const findings: Finding[] = [];
  const readers = facts.kustomizations.filter((each) => readsThisRepository(each, facts.gitRepositories));
  for (const { file } of facts.encryptedFiles) {
    if (readers.some((reader) => reader.decrypts && isUnder(file, reader.path))) {
      continue;
    }
    const why = isUnder(file, CLUSTERS_FOLDER)
      ? `${CLUSTERS_FOLDER}/<env>/ is applied by the bootstrap ${BOOTSTRAP_NAME} Kustomization, which has no decryption`
      : 'no Flux Kustomization with decryption.provider: sops reads this path';
    findings.push(finding(file, 'not-decrypted', `is SOPS-encrypted, but ${why}; move it under ${SECRETS_FOLDER}/<env>/`));
  }
  for (const reader of readers.filter((each) => !each.decrypts)) {
    const encrypted = facts.encryptedFiles.filter(({ file }) => isUnder(file, reader.path)).map(({ file }) => file);
    if (encrypted.length === 0) {
      continue;
    }
    const remedy =
      reader.name === BOOTSTRAP_NAME
        ? `the bootstrap Kustomization must not decrypt: move them under ${SECRETS_FOLDER}/<env>/`
        : 'add spec.decryption.provider: sops';
    const more = encrypted.length > 1 ? ` and ${encrypted.length - 1} more` : '';
    findings.push(
      finding(
        reader.file,
        'kustomization-without-decryption',
        `${reader.label} applies ./${reader.path} without decryption, but encrypted files lie under it (${encrypted[0]}${more}): ${remedy}`,
      ),
    );
  }
  return findings;
}

function checkListedPlaceholders(facts: FleetFacts): Finding[] {
  return facts.kustomizeResources.flatMap(({ file, resources }) =>
    resources
      .filter((resource) => facts.placeholderFiles.has(posix.normalize(posix.join(posix.dirname(file), resource))))
      .map((resource) =>
        finding(
          file,
          'placeholder-listed',
          `lists ${resource}, a placeholder that is not a real ciphertext: kustomize-controller would fail the whole Kustomization; replace it first (see its header)`,
        ),
      ),
  );
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, pending: 2 };

/** Code-point order: the same on every machine, whatever its locale. */
function compareText(left: string, right: string): number {
  return left < right ? -1 : left > right ? 1 : 0;
}

function compareFindings(left: Finding, right: Finding): number {
  return (
    SEVERITY_ORDER[left.severity] - SEVERITY_ORDER[right.severity] ||
    compareText(left.file, right.file) ||
    compareText(left.rule, right.rule) ||
    compareText(left.message, right.message)
  );
}

/**
 * Checks a fleet given its YAML and JSON files (paths relative to the folder of `.sops.yaml`).
 * Returns the findings, errors first, in a stable order.
 */
export function checkFleet(files: FleetFiles): Finding[] {
  const sopsConfig = files.get(SOPS_CONFIG);
  if (sopsConfig === undefined) {
    throw new CheckInputError(`no ${SOPS_CONFIG}: the fleet's creation rules are what the check judges against`);
  }
  const rawRules = readCreationRules(sopsConfig);
  const rules = rawRules.map((rule) => (isObject(rule) ? (rule as CreationRule) : NEVER_MATCHING_RULE));
  const facts = gatherFacts(files);
  const findings = [
    ...facts.findings,
    ...checkCreationRules(rawRules, rules, files),
    ...checkKeys(facts.encryptedFiles, rules),
    ...checkDecryption(facts),
    ...checkListedPlaceholders(facts),
  ];
  return findings.sort(compareFindings);
}

/** `--strict`: placeholders not yet replaced count as errors. */
export function applyStrictness(findings: readonly Finding[], strict: boolean): Finding[] {
  return findings.map((each): Finding => (strict && each.severity === 'pending' ? { ...each, severity: 'error' } : each)).sort(compareFindings);
}

export function exitStatusFor(findings: readonly Finding[]): 0 | 1 {
  return findings.some((each) => each.severity === 'error') ? 1 : 0;
}
