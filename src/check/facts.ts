// One pass over a fleet's files: each file is parsed once, and what the fleet-wide checks need
// from it (encrypted documents and their master keys, Flux Kustomizations, GitRepositories,
// kustomize resource lists) is gathered, with the findings a single file shows on its own.
// Nothing here copies a value out of a file: findings name files, objects, keys and rules.
import { posix } from 'node:path';
import {
  CLUSTERS_FOLDER,
  environmentOfPath,
  IAM_FOLDER,
  PLACEHOLDER_ANNOTATION,
  PLACEHOLDER_CIPHERTEXT,
  PLACEHOLDER_OIDC_ID,
  sealedSecretPathOf,
  SECRETS_FOLDER,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  STORED_ANSWERS_FILE,
  storedEnvironmentNames,
  holdsFleetAnswers,
  TRUST_POLICY_FILE,
} from '../fleet/layout.js';
import { keyIdsOf, type MasterKeys, masterKeysOfMetadata } from '../sops/master-keys.js';
import { type Finding, finding } from './findings.js';
import { describeProblem, type FleetFileParser, type ParsedFile } from './parse.js';
import { pathologyOf } from './pathological.js';

/** A `kind: Secret` line, whatever the parser makes of the rest of the file. */
const SECRET_KIND =
  /^\s*(?:-\s+)?["']?kind["']?\s*:\s*["']?Secret["']?\s*(?:#.*)?$|[{,]\s*["']?kind["']?\s*:\s*["']?Secret\b/m;

/** The fleet's YAML and JSON files by POSIX path relative to the folder of `.sops.yaml`. */
export type FleetFiles = ReadonlyMap<string, string>;

export interface EncryptedFile {
  readonly file: string;
  readonly placeholder: boolean;
  /** The master keys of each encrypted document (a placeholder may have none). */
  readonly masterKeys: readonly MasterKeys[];
}

export interface FluxKustomization {
  readonly file: string;
  readonly label: string;
  readonly name: string;
  /** Repository path it applies, normalized: `./secrets/staging/` → `secrets/staging`, the root → ''. */
  readonly path: string;
  readonly sourceKind: string;
  readonly sourceName: string;
  readonly decrypts: boolean;
}

export interface GitRepositoryObject {
  readonly name: string;
  readonly url: string | undefined;
}

/** A kustomize `kustomization.yaml`: what it lists, as written, and its patches. */
export interface KustomizeConfig {
  readonly file: string;
  readonly resources: readonly string[];
  readonly patches: readonly KustomizePatch[];
}

/** One `patches` entry: its target, and the values the patch adds (a JSON 6902 `value:`, as text). */
export interface KustomizePatch {
  readonly targetKind: string | undefined;
  readonly targetName: string | undefined;
  readonly values: readonly string[];
}

/** A Flux object a tenant's rules concern: who it runs as, which sources it names, whether it decrypts. */
export interface FluxObject {
  readonly file: string;
  readonly label: string;
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly serviceAccountName: string | undefined;
  /** The namespaces of its source references (sourceRef, chart.spec.sourceRef, chartRef), as written. */
  readonly sourceNamespaces: readonly string[];
  /**
   * A Kustomization with decryption.provider: sops, and the ServiceAccount it decrypts as (none:
   * the controller's own identity, or the default one).
   */
  readonly decryption?: { readonly serviceAccountName: string | undefined };
}

/** A Kubernetes object the tenancy rules look up by name: Namespaces, the admission policy and its binding. */
export interface NamedObject {
  readonly file: string;
  readonly kind: string;
  readonly name: string;
  /** ValidatingAdmissionPolicy: its failurePolicy; binding: its policyName and validationActions. */
  readonly failurePolicy?: string;
  readonly policyName?: string;
  readonly validationActions?: readonly string[];
}

/** A SOPS-encrypted Secret and the namespace it is sealed for. */
export interface SealedSecret {
  readonly file: string;
  readonly label: string;
  readonly namespace: string | undefined;
}

/** What the fleet-wide checks need to know, gathered in one pass over the files. */
export interface FleetFacts {
  readonly findings: Finding[];
  readonly encryptedFiles: EncryptedFile[];
  readonly kustomizations: FluxKustomization[];
  readonly gitRepositories: GitRepositoryObject[];
  readonly kustomizeConfigs: KustomizeConfig[];
  /** Flux Kustomizations and HelmReleases, for the tenancy rules. */
  readonly fluxObjects: FluxObject[];
  readonly namedObjects: NamedObject[];
  readonly sealedSecrets: SealedSecret[];
  /** The environment names of the stored answers (`.yo-rc.json`), when there are any. */
  readonly storedEnvironments: string[];
}

/** A value as sops writes it: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` (base64 fields). */
const SOPS_CIPHERTEXT = /^ENC\[AES256_GCM,data:[A-Za-z0-9+/=]*,iv:[A-Za-z0-9+/=]*,tag:[A-Za-z0-9+/=]*,type:[a-z]+\]$/;
/** The key types sops records in a document's metadata, each a list of keys. */
const SOPS_KEY_TYPES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'age', 'pgp'] as const;
const KUSTOMIZE_CONFIG_NAMES = new Set([SECRETS_KUSTOMIZATION, 'kustomization.yml', 'Kustomization']);
/** A Secret's name as `flux-sops secret generic` takes it (DNS-1123 subdomain). */
const SECRET_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
/** The issuer the placeholder stands in, e.g. `oidc.eks.eu-west-1.amazonaws.com`. */
const PLACEHOLDER_ISSUER = new RegExp(
  `(oidc\\.eks\\.([a-z0-9-]+)\\.amazonaws\\.com(?:\\.cn)?)/id/` +
    PLACEHOLDER_OIDC_ID.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
);

type YamlObject = Record<string, unknown>;

function isObject(value: unknown): value is YamlObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function listOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** sops leaves an empty value unencrypted, and a null one has nothing to hide. */
function isPlaintext(value: unknown): boolean {
  return value !== '' && value !== null && !(typeof value === 'string' && SOPS_CIPHERTEXT.test(value));
}

/** `secrets/<env>/…` and `clusters/<env>/…` belong to an environment. */
export function environmentOf(file: string): string | undefined {
  const place = environmentOfPath(file);
  return place && (place.folder === SECRETS_FOLDER || place.folder === CLUSTERS_FOLDER) ? place.environment : undefined;
}

// ---------------------------------------------------------------------------------------------
// Reading one document

interface SopsMetadata {
  readonly complete: boolean;
  readonly masterKeys: MasterKeys;
  readonly placeholderMac: boolean;
}

const NO_SOPS_METADATA: SopsMetadata = { complete: false, masterKeys: { kms: [], age: [] }, placeholderMac: false };

/** `sops:` as sops writes it: a mac, and at least one key (top level or in key_groups). */
function readSopsMetadata(sops: unknown): SopsMetadata {
  if (!isObject(sops)) {
    return NO_SOPS_METADATA;
  }
  const groups = [sops, ...listOf(sops.key_groups).filter(isObject)];
  const hasKey = groups.some((group) => SOPS_KEY_TYPES.some((type) => listOf(group[type]).length > 0));
  return {
    complete: typeof sops.mac === 'string' && sops.mac !== '' && hasKey,
    masterKeys: keyIdsOf(masterKeysOfMetadata(sops)),
    placeholderMac: sops.mac === PLACEHOLDER_CIPHERTEXT,
  };
}

interface SecretValue {
  readonly field: string;
  readonly key: string;
  readonly value: unknown;
}

function secretValuesOf(secret: YamlObject): SecretValue[] {
  return (['data', 'stringData'] as const).flatMap((field) => {
    const values = secret[field];
    return isObject(values) ? Object.keys(values).map((key) => ({ field, key, value: values[key] })) : [];
  });
}

function nameOf(object: YamlObject): string | undefined {
  return isObject(object.metadata) ? stringOrUndefined(object.metadata.name) : undefined;
}

function describeObject(object: YamlObject): string {
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const namespace = stringOrUndefined(metadata.namespace);
  return `${String(object.kind)} ${namespace ? `${namespace}/` : ''}${nameOf(object) ?? '(unnamed)'}`;
}

function isPlaceholder(object: YamlObject, sops: SopsMetadata): boolean {
  const annotations =
    isObject(object.metadata) && isObject(object.metadata.annotations) ? object.metadata.annotations : {};
  return (
    String(annotations[PLACEHOLDER_ANNOTATION]) === 'true' ||
    sops.placeholderMac ||
    (object.kind === 'Secret' && secretValuesOf(object).some(({ value }) => value === PLACEHOLDER_CIPHERTEXT))
  );
}

function isFluxKustomization(object: YamlObject): boolean {
  return (
    typeof object.apiVersion === 'string' &&
    object.apiVersion.startsWith('kustomize.toolkit.fluxcd.io/') &&
    object.kind === 'Kustomization'
  );
}

function isGitRepository(object: YamlObject): boolean {
  return (
    typeof object.apiVersion === 'string' &&
    object.apiVersion.startsWith('source.toolkit.fluxcd.io/') &&
    object.kind === 'GitRepository'
  );
}

function isKustomizeConfig(path: string, object: YamlObject): boolean {
  if (typeof object.apiVersion === 'string' && object.apiVersion.startsWith('kustomize.config.k8s.io/')) {
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

// ---------------------------------------------------------------------------------------------
// Fixes

/** What holds the plaintext: the whole file, one document among others, or a kustomize secretGenerator. */
type PlaintextPlace = 'file' | 'document' | { readonly secretGenerator: string };

/**
 * How to seal a Secret's keys with `flux-sops secret generic`: the values come from files the
 * user points at (never the command line), then the plaintext goes from Git and the credentials
 * are rotated, since Git history keeps them.
 */
function sealFix(file: string, secretName: string | undefined, keys: readonly string[], place: PlaintextPlace): string {
  const environment = environmentOf(file);
  const name = secretName !== undefined && SECRET_NAME.test(secretName) ? secretName : '<name>';
  const fromFiles = (keys.length > 0 ? [...new Set(keys)] : ['KEY'])
    .map((key) => `--from-file ${key}=<file>`)
    .join(' ');
  const seal = `flux-sops secret generic ${environment ?? '<env>'} ${name} ${fromFiles}`;
  const rotate = 'rotate these credentials: Git history keeps them';
  if (typeof place === 'object') {
    return `${seal}, then remove secretGenerator ${place.secretGenerator} from ${file} and ${rotate}`;
  }
  if (environment !== undefined && sealedSecretPathOf(environment, name) === file) {
    // Sealing writes this very file.
    const replace = `${seal} --force (replaces ${file}), then ${rotate}`;
    return place === 'file' ? replace : `move the other documents of ${file} to a file of their own, then ${replace}`;
  }
  return `${seal}, then ${place === 'file' ? `delete ${file}` : `remove it from ${file}`} and ${rotate}`;
}

/**
 * The command that seals a generated placeholder: `secret git … --tenant T` for a tenant's
 * credentials, else `secret generic`.
 */
export function placeholderSealCommand(file: string): string {
  const environment = environmentOf(file) ?? '<env>';
  const base = posix.basename(file);
  return base.endsWith('-auth.yaml')
    ? `flux-sops secret git ${environment} --tenant ${base.slice(0, -'-auth.yaml'.length)}`
    : `flux-sops secret generic ${environment} ${base.replace(/\.ya?ml$/, '')} --from-file KEY=<file>`;
}

export function placeholderFix(file: string): string {
  const command = placeholderSealCommand(file);
  return command.startsWith('flux-sops secret git')
    ? `${command} (seals the real credentials and lists the file in kustomization.yaml)`
    : `${command} (seals it and lists it)`;
}

// ---------------------------------------------------------------------------------------------
// One file

/** Flags every Secret in a document (a List's items included) whose values are not all encrypted. */
function checkSecrets(file: string, object: YamlObject, where: string, wholeFile: boolean, findings: Finding[]): void {
  const candidates =
    object.kind === 'Secret' ? [object] : Array.isArray(object.items) ? object.items.filter(isObject) : [];
  for (const secret of candidates) {
    if (secret.kind !== 'Secret') {
      continue;
    }
    const values = secretValuesOf(secret);
    const plaintext = values.filter(({ value }) => isPlaintext(value)).map(({ field, key }) => `${field}.${key}`);
    const encrypted = values.some(({ value }) => value !== '' && value !== null && !isPlaintext(value));
    const inList = secret === object ? '' : ` (in ${String(object.kind)})`;
    const isEncryptedDocument = secret === object && 'sops' in object;
    const fix = (): string =>
      sealFix(
        file,
        nameOf(secret),
        values.map(({ key }) => key),
        wholeFile && secret === object ? 'file' : 'document',
      );
    if (plaintext.length > 0) {
      const how = isEncryptedDocument ? 'is SOPS-encrypted, but' : 'is not SOPS-encrypted:';
      findings.push(
        finding(
          file,
          'unencrypted-secret',
          `${where}${describeObject(secret)}${inList} ${how} ${plaintext.join(', ')} ` +
            `${plaintext.length === 1 ? 'is' : 'are'} plaintext`,
          fix(),
        ),
      );
    } else if (encrypted && !isEncryptedDocument) {
      findings.push(
        finding(
          file,
          'unencrypted-secret',
          `${where}${describeObject(secret)}${inList} has ENC[…] values but no sops metadata: ` +
            'nothing can decrypt them',
          fix(),
        ),
      );
    }
  }
}

function checkSecretGenerators(file: string, object: YamlObject, where: string, findings: Finding[]): void {
  for (const generator of listOf(object.secretGenerator).filter(isObject)) {
    const literals = listOf(generator.literals);
    if (literals.length === 0) {
      continue;
    }
    // Only what comes before "=": the key, never the value.
    const keys = literals.map((literal) =>
      typeof literal === 'string' && literal.includes('=') ? literal.slice(0, literal.indexOf('=')) : 'KEY',
    );
    const name = stringOrUndefined(generator.name);
    findings.push(
      finding(
        file,
        'unencrypted-secret',
        `${where}secretGenerator ${String(generator.name)} has literals: their values are plaintext in Git; commit a ` +
          `SOPS-encrypted Secret instead`,
        sealFix(file, name, keys, { secretGenerator: name ?? '(unnamed)' }),
      ),
    );
  }
}

const TENANT_TRUST_POLICY = new RegExp(`^tenant-[a-z0-9-]+/${TRUST_POLICY_FILE.replace('.', '\\.')}$`);

/**
 * `iam/<env>/trust-policy.json`, or a decrypting tenant's
 * `iam/<env>/tenant-<tenant>/trust-policy.json`, written before the cluster's OIDC issuer was
 * known.
 */
function checkOidcPlaceholder(file: string, text: string, findings: Finding[]): void {
  const place = environmentOfPath(file);
  const folder = `${IAM_FOLDER}/${place?.environment}/`;
  const inFolder = file.startsWith(folder) ? file.slice(folder.length) : '';
  if (
    place?.folder !== IAM_FOLDER ||
    !(inFolder === TRUST_POLICY_FILE || TENANT_TRUST_POLICY.test(inFolder)) ||
    !text.includes(PLACEHOLDER_OIDC_ID)
  ) {
    return;
  }
  const issuer = PLACEHOLDER_ISSUER.exec(text);
  const host = issuer?.[1] ?? 'oidc.eks.<region>.amazonaws.com';
  const region = issuer?.[2] ?? '<region>';
  findings.push(
    finding(
      file,
      'oidc-placeholder',
      `still names the placeholder OIDC ID ${PLACEHOLDER_OIDC_ID}, so no cluster can assume the role`,
      `flux-sops --oidc-issuer ${place.environment}=${host}/id/<ID>, the ID from: aws eks describe-cluster --name ` +
        `<cluster> --region ${region} --query cluster.identity.oidc.issuer --output text`,
    ),
  );
}

/**
 * The `value:` lines of a JSON 6902 patch written as text: what it adds (a flag, a name). Each
 * part of a line is matched once (no two adjacent runs of the same characters), so a hostile
 * patch costs linear time.
 */
const PATCH_VALUE = /^[ \t]*(?:-[ \t]+)?value:[ \t]*["']?([^"'\s]+)["']?[ \t]*$/gm;

function readPatch(entry: YamlObject): KustomizePatch {
  const target = isObject(entry.target) ? entry.target : {};
  const text = stringOrUndefined(entry.patch) ?? '';
  return {
    targetKind: stringOrUndefined(target.kind),
    targetName: stringOrUndefined(target.name),
    values: [...text.matchAll(PATCH_VALUE)].map((match) => match[1] ?? ''),
  };
}

const FLUX_WORKLOADS: Readonly<Record<string, string>> = {
  Kustomization: 'kustomize.toolkit.fluxcd.io/',
  HelmRelease: 'helm.toolkit.fluxcd.io/',
};

/**
 * What the tenancy rules need of one object: Flux Kustomizations and HelmReleases, Namespaces, the
 * admission policy, sealed Secrets.
 */
function gatherTenancyFacts(
  file: string,
  object: YamlObject,
  where: string,
  hasSops: boolean,
  facts: FleetFacts,
): void {
  const apiVersion = stringOrUndefined(object.apiVersion) ?? '';
  const kind = stringOrUndefined(object.kind) ?? '';
  const metadata = isObject(object.metadata) ? object.metadata : {};
  const spec = isObject(object.spec) ? object.spec : {};
  const group = FLUX_WORKLOADS[kind];
  if (group !== undefined && apiVersion.startsWith(group)) {
    const chart = isObject(spec.chart) && isObject(spec.chart.spec) ? spec.chart.spec : {};
    const references = [spec.sourceRef, chart.sourceRef, spec.chartRef].filter(isObject);
    facts.fluxObjects.push({
      file,
      label: `${where}Flux ${describeObject(object)}`,
      kind,
      namespace: stringOrUndefined(metadata.namespace),
      serviceAccountName: stringOrUndefined(spec.serviceAccountName),
      sourceNamespaces: references
        .map((reference) => stringOrUndefined(reference.namespace))
        .filter((namespace): namespace is string => namespace !== undefined),
      ...(isObject(spec.decryption) && spec.decryption.provider === 'sops'
        ? { decryption: { serviceAccountName: stringOrUndefined(spec.decryption.serviceAccountName) || undefined } }
        : {}),
    });
  } else if ((apiVersion === 'v1' && kind === 'Namespace') || apiVersion.startsWith('admissionregistration.k8s.io/')) {
    facts.namedObjects.push({
      file,
      kind,
      name: nameOf(object) ?? '',
      ...(typeof spec.failurePolicy === 'string' ? { failurePolicy: spec.failurePolicy } : {}),
      ...(typeof spec.policyName === 'string' ? { policyName: spec.policyName } : {}),
      ...(Array.isArray(spec.validationActions) ? { validationActions: spec.validationActions.map(String) } : {}),
    });
  } else if (kind === 'Secret' && hasSops) {
    facts.sealedSecrets.push({
      file,
      label: `${where}${describeObject(object)}`,
      namespace: stringOrUndefined(metadata.namespace),
    });
  }
}

/** Reads every file once and gathers what the fleet-wide checks need. */
export function gatherFacts(files: FleetFiles, parse: FleetFileParser): FleetFacts {
  const facts: FleetFacts = {
    findings: [],
    encryptedFiles: [],
    kustomizations: [],
    gitRepositories: [],
    kustomizeConfigs: [],
    fluxObjects: [],
    namedObjects: [],
    sealedSecrets: [],
    storedEnvironments: [],
  };
  for (const [file, text] of files) {
    if (posix.basename(file) === SOPS_CONFIG_FILE) {
      if (file !== SOPS_CONFIG_FILE) {
        facts.findings.push(
          finding(
            file,
            'nested-sops-config',
            `sops uses the .sops.yaml nearest to the folder it runs in: run from ${posix.dirname(file)}/, it ignores ` +
              `the root rules; keep one .sops.yaml at the root`,
            `move its rules into the root .sops.yaml and delete ${file}`,
          ),
        );
      }
      continue;
    }
    if (file.startsWith(`${IAM_FOLDER}/`)) {
      checkOidcPlaceholder(file, text, facts.findings);
    }
    const pathology = pathologyOf(text);
    if (pathology !== undefined) {
      facts.findings.push(
        finding(
          file,
          'pathological-file',
          `not checked: ${pathology}`,
          'remove it or make it an ordinary manifest: kubectl, kustomize and sops would stall or fail on it too',
        ),
      );
      continue;
    }
    let parsed: ParsedFile;
    try {
      parsed = parse(file, text);
    } catch (error) {
      if (error instanceof RangeError) {
        facts.findings.push(
          finding(
            file,
            'pathological-file',
            'not checked: reading it exhausted the stack',
            'remove it or make it an ordinary manifest',
          ),
        );
        continue;
      }
      throw error;
    }
    if ('problem' in parsed) {
      const where = describeProblem(parsed.problem);
      const secret = SECRET_KIND.test(text);
      facts.findings.push(
        finding(
          file,
          secret ? 'unparsable-secret' : 'unparsable-file',
          `not checked: it does not parse as YAML (${where})` +
            (secret
              ? ': a kind: Secret that cannot be read may be plaintext (kubectl kustomize may still build it)'
              : ''),
          `correct it${parsed.problem.line === undefined ? '' : ` at line ${parsed.problem.line}`}: kubectl, ` +
            `kustomize and sops cannot read it either`,
        ),
      );
      continue;
    }
    if (file === STORED_ANSWERS_FILE) {
      facts.storedEnvironments.push(...storedEnvironmentNames(parsed.documents[0]));
    } else if (posix.basename(file) === STORED_ANSWERS_FILE && holdsFleetAnswers(parsed.documents[0])) {
      const folder = posix.dirname(file);
      facts.findings.push(
        finding(
          file,
          'nested-fleet',
          `${folder}/ is a fleet of its own inside this one: commands run in it act on it, not on this fleet, and ` +
            `its files are not what this fleet's Kustomizations apply`,
          `move what you need from ${folder}/ into this fleet (flux-sops env add <name> adds an environment here), ` +
            `then delete ${folder}/`,
        ),
      );
      continue;
    }
    gatherFileFacts(file, parsed.documents, facts);
  }
  return facts;
}

function gatherFileFacts(file: string, documents: readonly unknown[], facts: FleetFacts): void {
  const encryptedDocuments: MasterKeys[] = [];
  let placeholder = false;
  documents.forEach((object, index) => {
    if (!isObject(object)) {
      return;
    }
    const where = documents.length > 1 ? `document ${index + 1}: ` : '';
    const hasSops = 'sops' in object;
    const sops = hasSops ? readSopsMetadata(object.sops) : NO_SOPS_METADATA;
    if (hasSops) {
      if (sops.complete) {
        encryptedDocuments.push(sops.masterKeys);
      } else {
        facts.findings.push(
          finding(
            file,
            'invalid-sops-metadata',
            `${where}its sops block has no mac or no key, so nothing can decrypt it`,
            `restore it from Git history, or seal its values again: ${sealFix(
              file,
              nameOf(object),
              secretValuesOf(object).map(({ key }) => key),
              documents.length === 1 ? 'file' : 'document',
            )}`,
          ),
        );
      }
    }
    placeholder ||= isPlaceholder(object, sops);
    checkSecrets(file, object, where, documents.length === 1, facts.findings);
    gatherTenancyFacts(file, object, where, hasSops, facts);
    if (isFluxKustomization(object)) {
      const spec = isObject(object.spec) ? object.spec : {};
      const sourceRef = isObject(spec.sourceRef) ? spec.sourceRef : {};
      const decryption = isObject(spec.decryption) ? spec.decryption : {};
      facts.kustomizations.push({
        file,
        label: `${where}Flux ${describeObject(object)}`,
        name: nameOf(object) ?? '',
        path: normalizeRepositoryPath(spec.path),
        sourceKind: stringOrUndefined(sourceRef.kind) ?? 'GitRepository',
        sourceName: String(sourceRef.name),
        decrypts: decryption.provider === 'sops',
      });
    } else if (isGitRepository(object)) {
      const spec = isObject(object.spec) ? object.spec : {};
      facts.gitRepositories.push({ name: nameOf(object) ?? '', url: stringOrUndefined(spec.url) });
    } else if (isKustomizeConfig(file, object)) {
      const listed = [...listOf(object.resources), ...listOf(object.components)];
      facts.kustomizeConfigs.push({
        file,
        resources: listed.filter((each): each is string => typeof each === 'string'),
        patches: listOf(object.patches).filter(isObject).map(readPatch),
      });
      checkSecretGenerators(file, object, where, facts.findings);
    }
  });
  if (placeholder) {
    facts.findings.push(
      finding(
        file,
        'placeholder',
        'a generated placeholder, not a real ciphertext (kept out of kustomization.yaml until it is sealed)',
        placeholderFix(file),
      ),
    );
  }
  if (encryptedDocuments.length > 0 || placeholder) {
    facts.encryptedFiles.push({ file, placeholder, masterKeys: encryptedDocuments });
  }
}
