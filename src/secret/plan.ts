// The pure planning step of `flux-sops secret`: the fleet's current texts in, where the Secret
// goes and for which master keys out, with the kustomization edit that lists it. Every problem
// of the fleet or of a name is found here, before a value is asked for or a key is called.
import { parseAllDocuments } from 'yaml';
import { describeValue, FluxSopsError, fromSopsError, invalid } from '../errors.js';
import {
  FLEET_NAMESPACE,
  isTenantAuthName,
  tenantAuthNameOf,
  PLACEHOLDER_ANNOTATION,
  PLACEHOLDER_CIPHERTEXT,
  parseStoredAnswersFile,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  STORAGE_NAME,
  STORED_ANSWERS_FILE,
  sealedSecretPathOf,
  secretsPathOf,
  storedEnvironmentNames,
} from '../fleet/layout.js';
import { validateEnvironmentName } from '../fleet/validators.js';
import { readCreationRules } from '../fleet/sops-config.js';
import { type MasterKeys, masterKeysOfRule, usable } from '../sops/master-keys.js';
import { type CreationRule, findCreationRule } from '../sops/rules.js';
import {
  type RepoScheme,
  type TenantAnswers,
  namespaceOf,
  readTenants,
  repoSchemeOf,
  tenantInEnvironment,
  tenantsOf,
} from '../fleet/tenants.js';
import { listResource } from '../fleet/kustomization.js';
import { validateNamespace, validateSecretName } from './values.js';

/** What the plan reads of a fleet, as texts (null: the file is missing). */
export interface FleetTexts {
  readonly storedAnswers: string | null;
  readonly sopsConfig: string | null;
  /** Whether `secrets/<env>/` is a folder. */
  readonly secretsFolder: boolean;
  readonly kustomization: string | null;
  /** The current `secrets/<env>/<name>.yaml`. */
  readonly existingSecret: string | null;
  /**
   * Whether that file was written by an interrupted seal that this run finished (it may be replaced
   * without --force).
   */
  readonly resumed?: boolean;
}

/** The fleet as its stored answers describe it: its environments and its tenants (with their Git URLs). */
export interface FleetFacts {
  readonly environments: readonly string[];
  readonly tenants: readonly TenantAnswers[];
}

/** The selectors of a creation rule, as the SOPS tree walk takes them. */
export interface EncryptionSelectors {
  readonly encryptedRegex?: string;
  readonly unencryptedRegex?: string;
  readonly encryptedSuffix?: string;
  readonly unencryptedSuffix?: string;
  readonly encryptedCommentRegex?: string;
  readonly unencryptedCommentRegex?: string;
  readonly macOnlyEncrypted?: boolean;
}

/** What is at the target path now: nothing, the generated placeholder, or anything else (a sealed Secret). */
export type ExistingSecret = 'missing' | 'placeholder' | 'sealed';

export interface SealingPlan {
  readonly environment: string;
  readonly name: string;
  readonly namespace: string;
  /** POSIX path relative to the fleet root: `secrets/<env>/<name>.yaml`. */
  readonly path: string;
  readonly ruleIndex: number;
  readonly keys: MasterKeys;
  readonly selectors: EncryptionSelectors;
  readonly existing: ExistingSecret;
  /** The text read at the path when planning: the file must still hold it when the sealed one is written. */
  readonly existingText: string | null;
  /** The file at the path was written by an interrupted seal, finished now: replaced without --force. */
  readonly resumed: boolean;
  readonly kustomizationPath: string;
  /** The kustomization's new text, or undefined when the file is listed already. */
  readonly kustomization: string | undefined;
  /** The tenant's Git URL and its scheme, which decides the keys of a `git` Secret. */
  readonly repoUrl?: string;
  readonly repoScheme?: RepoScheme;
}

export interface SealingRequest {
  readonly environment: string;
  readonly name: string;
  readonly namespace: string;
  readonly kind: 'git' | 'generic';
  /** `git`: the tenant's Git URL (from sealingTargetOf). */
  readonly repoUrl?: string;
}

/** Where a Secret goes: its name and namespace, and for `git` the tenant's Git URL. */
export interface SealingTarget {
  readonly name: string;
  readonly namespace: string;
  readonly repoUrl?: string;
}

/** The tenants of one environment of the fleet. */
export function tenantsOfEnvironment(facts: FleetFacts, environment: string): TenantAnswers[] {
  return facts.tenants.filter((tenant) => tenantInEnvironment(tenant, environment));
}

/**
 * The name and namespace a Secret is sealed as. `git`: `<tenant>-auth` in the tenant's namespace
 * (the tenant may be left out when the environment has one). `generic`: the given name and
 * namespace, which must be one the fleet creates in that environment (else the `secrets`
 * Kustomization would stall on it), and never a tenant's credentials name. Exit 2 otherwise.
 */
export function sealingTargetOf(
  facts: FleetFacts | undefined,
  request:
    | { environment: string; kind: 'git'; tenant?: string }
    | { environment: string; kind: 'generic'; name: string; namespace?: string },
): SealingTarget {
  if (facts === undefined) {
    if (request.kind === 'git') {
      throw new FluxSopsError(
        'fleet',
        `${STORED_ANSWERS_FILE} has no ${STORAGE_NAME} answers: flux-sops secret git needs the tenants' Git ` +
          `URLs; use flux-sops secret generic instead`,
      );
    }
    return { name: request.name, namespace: request.namespace ?? FLEET_NAMESPACE };
  }
  const tenants = tenantsOfEnvironment(facts, request.environment);
  if (request.kind === 'git') {
    const names = tenants.map((tenant) => tenant.name);
    if (request.tenant === undefined && tenants.length !== 1) {
      throw new FluxSopsError(
        'input',
        `Missing --tenant: ${request.environment} has the tenants ${names.join(', ') || 'none'}; name the one ` +
          `whose Git credentials these are`,
      );
    }
    const tenant = request.tenant === undefined ? tenants[0] : tenants.find((each) => each.name === request.tenant);
    if (tenant === undefined) {
      throw new FluxSopsError(
        'input',
        invalid(
          '--tenant',
          request.tenant,
          `is not a tenant of ${request.environment} (${names.join(', ') || 'none'})`,
        ),
      );
    }
    return { name: tenantAuthNameOf(tenant.name), namespace: namespaceOf(tenant), repoUrl: tenant.repoUrl };
  }
  if (
    isTenantAuthName(
      request.name,
      facts.tenants.map((tenant) => tenant.name),
    )
  ) {
    throw new FluxSopsError(
      'input',
      invalid(
        'Secret name',
        request.name,
        'is the Git credentials of a tenant: seal it with flux-sops secret git <env> --tenant <tenant>',
      ),
    );
  }
  const namespaces = [FLEET_NAMESPACE, ...tenants.map(namespaceOf)];
  const namespace = request.namespace ?? FLEET_NAMESPACE;
  if (!namespaces.includes(namespace)) {
    throw new FluxSopsError(
      'input',
      invalid(
        '--namespace',
        namespace,
        `is not a namespace this fleet creates in ${request.environment} (${namespaces.join(', ')}): a Secret ` +
          `for a namespace that does not exist would stall the "secrets" Kustomization`,
      ),
    );
  }
  return { name: request.name, namespace };
}

/** The stored answers' environments and Git URL; an unreadable `.yo-rc.json` is a 'fleet' error. */
export function readFleetFacts(storedAnswersText: string | null): FleetFacts | undefined {
  if (storedAnswersText === null) {
    return undefined;
  }
  const { document: file, answers: stored } = parseStoredAnswersFile(
    storedAnswersText,
    STORED_ANSWERS_FILE,
    '; nothing was written',
  );
  if (typeof stored !== 'object' || stored === null) {
    return undefined;
  }
  const { repoUrl, tenants } = stored as { repoUrl?: unknown; tenants?: unknown };
  const environments = storedEnvironmentNames(file);
  const problems: string[] = [];
  const storedTenants = tenants === undefined ? undefined : readTenants(tenants, environments, problems, invalid);
  if (problems.length > 0) {
    throw new FluxSopsError(
      'fleet',
      `${STORED_ANSWERS_FILE} has tenants this version cannot use:\n${problems.join('\n')}`,
    );
  }
  return {
    environments,
    tenants: tenantsOf({ tenants: storedTenants, repoUrl: typeof repoUrl === 'string' ? repoUrl : undefined }),
  };
}

/** The fleet's environments for a question or a message. */
export function describeEnvironments(environments: readonly string[]): string {
  return environments.length === 0 ? 'none' : environments.join(', ');
}

/** The selectors of a creation rule (encrypted_regex and its kin) that sealing writes into the file. */
export function selectorsOf(rule: CreationRule): EncryptionSelectors {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
  const selectors: Record<string, string | boolean | undefined> = {
    encryptedRegex: text(rule.encrypted_regex),
    unencryptedRegex: text(rule.unencrypted_regex),
    encryptedSuffix: text(rule.encrypted_suffix),
    unencryptedSuffix: text(rule.unencrypted_suffix),
    encryptedCommentRegex: text(rule.encrypted_comment_regex),
    unencryptedCommentRegex: text(rule.unencrypted_comment_regex),
    macOnlyEncrypted: rule.mac_only_encrypted === true ? true : undefined,
  };
  return Object.fromEntries(
    Object.entries(selectors).filter(([, value]) => value !== undefined),
  ) as EncryptionSelectors;
}

/** The namespace of the Secret at the target path, when it names one. */
function namespaceOfExisting(text: string | null): string | undefined {
  try {
    const [object] =
      text === null
        ? []
        : parseAllDocuments(text).map((document) => document.toJS() as { metadata?: { namespace?: unknown } } | null);
    const namespace = object?.metadata?.namespace;
    return typeof namespace === 'string' ? namespace : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the text at the target path is the generated placeholder (replaced without asking). */
export function classifyExisting(text: string | null): ExistingSecret {
  if (text === null) {
    return 'missing';
  }
  try {
    const objects = parseAllDocuments(text).map((document) => document.toJS() as Record<string, unknown> | null);
    const isPlaceholder = objects.some((object) => {
      const metadata = object?.metadata as { annotations?: Record<string, unknown> } | undefined;
      const sops = object?.sops as { mac?: unknown } | undefined;
      return String(metadata?.annotations?.[PLACEHOLDER_ANNOTATION]) === 'true' || sops?.mac === PLACEHOLDER_CIPHERTEXT;
    });
    return isPlaceholder ? 'placeholder' : 'sealed';
  } catch {
    return 'sealed';
  }
}

/**
 * The stored answers' facts, once `environment` is known to be one of the fleet's (with its
 * `secrets/<env>/` folder); else a 'fleet' error.
 */
export function assertKnownEnvironment(
  texts: Pick<FleetTexts, 'storedAnswers' | 'secretsFolder'>,
  environment: string,
): FleetFacts | undefined {
  const facts = readFleetFacts(texts.storedAnswers);
  if (
    validateEnvironmentName(environment) !== true ||
    !texts.secretsFolder ||
    (facts !== undefined && !facts.environments.includes(environment))
  ) {
    const known = facts?.environments ?? [];
    throw new FluxSopsError(
      'fleet',
      `Unknown environment ${describeValue(environment)}: this fleet has ${describeEnvironments(known)}` +
        (facts !== undefined && facts.environments.includes(environment)
          ? ` (but no ${secretsPathOf(environment)}/ folder)`
          : '') +
        ' (add one with flux-sops env add <name>)',
    );
  }
  return facts;
}

/**
 * Where and for which keys the Secret is sealed. Errors, each before anything is asked or
 * written: an unknown environment or a path no `.sops.yaml` rule covers ('fleet', exit 2), a bad
 * name or namespace ('input', exit 2).
 */
/** The longest file name Linux and macOS file systems take. */
const MAX_FILE_NAME_BYTES = 255;
/** The longest Secret name whose file and temporary file fit a file name. */
const MAX_SECRET_NAME_LENGTH = MAX_FILE_NAME_BYTES - '..yaml.flux-sops-000000000000'.length;

export function planSealing(texts: FleetTexts, request: SealingRequest): SealingPlan {
  const { environment, name, namespace, kind, repoUrl } = request;
  if (texts.sopsConfig === null) {
    throw new FluxSopsError(
      'fleet',
      `No ${SOPS_CONFIG_FILE} here: run this in a fleet repository (or a folder inside one), or pass --cwd <dir>`,
    );
  }
  assertKnownEnvironment(texts, environment);
  const nameValid = validateSecretName(name);
  if (nameValid !== true) {
    throw new FluxSopsError('input', `Invalid Secret name ${describeValue(name)}: ${nameValid}`);
  }
  // The temporary file beside it (`.<name>.yaml.flux-sops-<12 hex>`) must fit a file name too: told
  // before any key is called.
  if (Buffer.byteLength(`.${name}.yaml.flux-sops-000000000000`) > MAX_FILE_NAME_BYTES) {
    throw new FluxSopsError(
      'input',
      `Invalid Secret name ${describeValue(name)}: at most ${MAX_SECRET_NAME_LENGTH} characters here (it is a ` +
        `file name, secrets/<env>/<name>.yaml, and file names hold 255 bytes)`,
    );
  }
  const namespaceValid = validateNamespace(namespace);
  if (namespaceValid !== true) {
    throw new FluxSopsError('input', `Invalid namespace ${describeValue(namespace)}: ${namespaceValid}`);
  }
  const path = sealedSecretPathOf(environment, name);
  const rules = readCreationRules(texts.sopsConfig);
  const ruleIndex = findCreationRule(rules, path);
  const rule = rules[ruleIndex];
  if (rule === undefined) {
    throw new FluxSopsError(
      'fleet',
      `No creation rule in ${SOPS_CONFIG_FILE} matches ${path}, so it has no key to be sealed for (sops would ` +
        `refuse it too): add a rule for ${secretsPathOf(environment)}/ (flux-sops env adds one per environment); ` +
        `nothing was written`,
    );
  }
  // The rule's KMS keys and age recipients; a 'fleet' error names any key this product cannot use.
  let keys: MasterKeys;
  try {
    keys = usable(masterKeysOfRule(rule));
  } catch (error) {
    throw fromSopsError(error);
  }
  const kustomizationPath = `${secretsPathOf(environment)}/${SECRETS_KUSTOMIZATION}`;
  if (texts.kustomization === null) {
    throw new FluxSopsError(
      'fleet',
      `${kustomizationPath} is missing: the "secrets" Kustomization applies what it lists; restore it (git ` +
        `checkout) and run again`,
    );
  }
  if (kind === 'git' && repoUrl === undefined) {
    throw new Error('Bug: a git Secret planned without its Git URL (sealingTargetOf gives it)');
  }
  const existingNamespace = namespaceOfExisting(texts.existingSecret);
  if (existingNamespace !== undefined && existingNamespace !== namespace) {
    throw new FluxSopsError(
      'input',
      invalid(
        'Secret name',
        name,
        `is already a Secret of ${environment} in the namespace ${existingNamespace} (${path}): Secret names are ` +
          `unique per environment, choose another`,
      ),
    );
  }
  const repo = repoUrl === undefined ? {} : { repoUrl, repoScheme: repoSchemeOf(repoUrl) };
  return {
    environment,
    name,
    namespace,
    path,
    ruleIndex,
    keys,
    selectors: selectorsOf(rule),
    existing: classifyExisting(texts.existingSecret),
    existingText: texts.existingSecret,
    resumed: texts.resumed === true,
    kustomizationPath,
    kustomization: listResource(texts.kustomization, `${name}.yaml`, kustomizationPath),
    ...repo,
  };
}
