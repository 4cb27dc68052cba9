// The fleet's tenants: application teams' repositories, each synced in its own namespace as its
// own ServiceAccount. Read and validated here (from the answers file, `.yo-rc.json` or the
// `repoUrl` shorthand), resolved per environment for the planner. Pure: no disk, no Yeoman.
import type { InputDeclaration } from './inputs.js';
import type { TenantIdentity } from './tenant-identity.js';
import { DEFAULT_TENANT, DEFAULT_TENANT_PATH, tenantAuthNameOf, tenantFolderOf } from './layout.js';
import {
  validateBranch,
  validateKmsKeyArn,
  validateRepoUrl,
  validateTenantName,
  validateTenantNamespace,
  validateTenantPath,
} from './validators.js';

/**
 * A tenant's settings besides its name, declared once: the keys of a `tenants` entry, the options
 * of `flux-sops tenant add` and `yo flux-sops:tenant`, and their questions. `environments` is
 * checked against the fleet's environments by readTenants.
 */
export const tenantInputs = [
  {
    name: 'repoUrl',
    option: 'repo-url',
    placeholder: '<url>',
    message: "The tenant's Git repository (https://… or ssh://git@host/org/repo)",
    required: true,
    validate: validateRepoUrl,
  },
  {
    name: 'namespace',
    option: 'namespace',
    placeholder: '<namespace>',
    message: "The tenant's namespace, its own (not flux-system, default, kube-*)",
    defaultText: 'the tenant name',
    required: false,
    validate: validateTenantNamespace,
  },
  {
    name: 'branch',
    option: 'branch',
    placeholder: '<branch>',
    message: 'Git branch of its repository to sync',
    defaultText: "the fleet's branch",
    required: false,
    validate: validateBranch,
  },
  {
    name: 'path',
    option: 'path',
    placeholder: '<path>',
    message: 'Path in its repository to apply; <env> stands for the environment',
    defaultText: DEFAULT_TENANT_PATH,
    required: false,
    validate: validateTenantPath,
  },
  {
    name: 'environments',
    option: 'environments',
    placeholder: '<names>',
    message: 'Environments of the tenant (comma-separated), or all (also those added later)',
    defaultText: 'all',
    required: false,
    list: true,
    validate: () => true,
  },
  {
    name: 'decryption',
    option: 'decryption',
    placeholder: '',
    message:
      'Its own encrypted files: a KMS key and IAM role of its own per environment, ' +
      'decrypted as its flux-sops-decryptor',
    defaultText: 'no',
    required: false,
    boolean: true,
    validate: (value) => (typeof value === 'boolean' ? true : 'must be true or false'),
  },
  {
    name: 'kmsKeyArns',
    option: 'kms-key-arns',
    placeholder: '<env: arn>',
    message: "A decrypting tenant's existing KMS keys, per environment (answers file)",
    defaultText: 'alias/flux-sops/<env>/<tenant>, created for it',
    required: false,
    structured: true,
    // Read in readTenants, which knows the tenant's environments.
    validate: () => true,
  },
] as const satisfies readonly InputDeclaration[];

/** One tenant as given and stored: `environments` is "all" (a later environment joins) or a list. */
export interface TenantAnswers {
  name: string;
  namespace?: string;
  repoUrl: string;
  branch?: string;
  path?: string;
  environments?: 'all' | string[];
  /** Its own encrypted files, with its own KMS key and IAM role per environment. */
  decryption?: boolean;
  /** A decrypting tenant's existing keys, by environment (the others get alias/flux-sops/<env>/<tenant>). */
  kmsKeyArns?: Record<string, string>;
}

/** The keys a tenant entry may have, in the order they are stored. */
export const TENANT_KEYS = [
  'name',
  'namespace',
  'repoUrl',
  'branch',
  'path',
  'environments',
  'decryption',
  'kmsKeyArns',
] as const satisfies readonly ('name' | (typeof tenantInputs)[number]['name'])[];

export type RepoScheme = 'ssh' | 'https';

/** A tenant in one environment, as the templates read it. */
export interface ResolvedTenant {
  readonly name: string;
  readonly namespace: string;
  readonly repoUrl: string;
  readonly branch: string;
  /** Its path in its repository, `<env>` replaced. */
  readonly path: string;
  readonly repoScheme: RepoScheme;
  /** The `stringData` keys Flux's GitRepository reads for the URL's scheme. */
  readonly authKeys: readonly string[];
  /** `<tenant>-auth`: the Secret the GitRepository names. */
  readonly authName: string;
  /** `tenants/<env>/<tenant>`: the folder of its objects in this environment. */
  readonly folder: string;
  /** A decrypting tenant's own identity in this environment (resolved by the planner). */
  readonly decryption?: TenantIdentity;
}

export function repoSchemeOf(repoUrl: string): RepoScheme {
  return repoUrl.startsWith('ssh://') ? 'ssh' : 'https';
}

/** The `stringData` keys of a Git credentials Secret for Flux's GitRepository, by the URL's scheme. */
export function gitAuthKeysOf(repoUrl: string): readonly string[] {
  return repoSchemeOf(repoUrl) === 'ssh' ? ['identity', 'identity.pub', 'known_hosts'] : ['username', 'password'];
}

/**
 * The tenant's inputs as `yo flux-sops:tenant` declares them: Yeoman owns `--namespace` (the
 * generator's own namespace), so the tenant's is `--tenant-namespace` there.
 */
export const yeomanTenantInputs: readonly InputDeclaration[] = tenantInputs.map((input) =>
  input.name === 'namespace' ? { ...input, option: 'tenant-namespace' } : input,
);

/**
 * The options of `flux-sops tenant add <name>` and `yo flux-sops:tenant <name>` as one tenant
 * entry (validated with the fleet by planAddTenant): the name, and each option given.
 */
export function readTenantOptions(
  name: unknown,
  options: Readonly<Record<string, unknown>>,
  inputs: readonly InputDeclaration[] = tenantInputs,
): Record<string, unknown> {
  const entry: Record<string, unknown> = { name };
  for (const input of inputs) {
    const value = options[input.option];
    if (value !== undefined) {
      const single = Array.isArray(value) ? value.at(-1) : value;
      entry[input.name] =
        input.list && single !== 'all'
          ? String(single)
              .split(',')
              .map((each) => each.trim())
              .filter((each) => each !== '')
          : single;
    }
  }
  return entry;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads the `tenants` input: a list of mappings. Every problem is pushed (named by its field,
 * with `describe` quoting the value); undefined when any was found. `environmentNames` are the
 * fleet's, for a tenant's `environments` list.
 */
export function readTenants(
  value: unknown,
  environmentNames: readonly string[],
  problems: string[],
  invalid: (field: string, value: unknown, message: string) => string,
): TenantAnswers[] | undefined {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(
      invalid('tenants', value, 'must be a list of at least one tenant, each a mapping with name and repoUrl'),
    );
    return undefined;
  }
  const before = problems.length;
  const tenants: TenantAnswers[] = [];
  for (const [index, entry] of value.entries()) {
    if (!isPlainObject(entry)) {
      problems.push(invalid(`tenants[${index}]`, entry, `must be a mapping with ${TENANT_KEYS.join(', ')}`));
      continue;
    }
    const unknown = Object.keys(entry).filter((key) => !(TENANT_KEYS as readonly string[]).includes(key));
    if (unknown.length > 0) {
      problems.push(
        `Unknown key${unknown.length > 1 ? 's' : ''} in ` +
          `tenants[${index}]: ${unknown.map((key) => JSON.stringify(key)).join(', ')} ` +
          `(allowed: ${TENANT_KEYS.join(', ')})`,
      );
      continue;
    }
    const validName = validateTenantName(entry.name);
    if (validName !== true) {
      problems.push(invalid(`tenants[${index}].name`, entry.name, validName));
      continue;
    }
    const name = entry.name as string;
    const field = (key: string) => `tenants.${name}.${key}`;
    const tenant: Record<string, unknown> = { name };
    for (const { name: key, validate } of tenantInputs.filter(
      (input) => input.name !== 'environments' && input.name !== 'kmsKeyArns',
    )) {
      if (entry[key] === undefined || entry[key] === null) {
        if (key === 'repoUrl') {
          problems.push(
            `Missing ${field('repoUrl')}: each tenant needs the Git URL of its repository (https://… or ` +
              `ssh://git@host/org/repo)`,
          );
        }
        continue;
      }
      const valid = validate(entry[key]);
      if (valid !== true) {
        problems.push(invalid(field(key), entry[key], valid));
        continue;
      }
      tenant[key] = entry[key];
    }
    const environments = entry.environments ?? 'all';
    if (environments !== 'all') {
      const list = Array.isArray(environments)
        ? environments
        : typeof environments === 'string'
          ? environments.split(',').map((each) => each.trim())
          : [];
      const unknownEnvironments = list.filter((environment) => !environmentNames.includes(environment as string));
      if (list.length === 0 || unknownEnvironments.length > 0 || new Set(list).size !== list.length) {
        problems.push(
          invalid(
            field('environments'),
            environments,
            `must be "all" or a list of this fleet's environments without repeats (${environmentNames.join(', ')})`,
          ),
        );
      } else {
        tenant.environments = list;
      }
    } else {
      tenant.environments = 'all';
    }
    readTenantDecryption(entry, tenant, environmentNames, problems, invalid);
    tenants.push(tenant as unknown as TenantAnswers);
  }
  problems.push(...findSharedNames(tenants));
  return problems.length === before ? tenants : undefined;
}

/**
 * A decrypting tenant's rules: its path names `<env>` (each environment's rule in its
 * `.sops.yaml` is then distinct), and `kmsKeyArns` gives keys for its own environments only.
 */
function readTenantDecryption(
  entry: Record<string, unknown>,
  tenant: Record<string, unknown>,
  environmentNames: readonly string[],
  problems: string[],
  invalid: (field: string, value: unknown, message: string) => string,
): void {
  const field = (key: string) => `tenants.${String(tenant.name)}.${key}`;
  if (tenant.decryption === true && !String(tenant.path ?? DEFAULT_TENANT_PATH).includes('<env>')) {
    problems.push(
      invalid(
        field('path'),
        tenant.path,
        'must contain <env> for a tenant with decryption: its .sops.yaml has one rule per environment, each for ' +
          "that environment's path",
      ),
    );
  }
  const keys = entry.kmsKeyArns;
  if (keys === undefined || keys === null) {
    return;
  }
  if (tenant.decryption !== true) {
    problems.push(invalid(field('kmsKeyArns'), keys, 'is for a tenant with decryption: true only'));
    return;
  }
  const own = tenant.environments === 'all' ? environmentNames : ((tenant.environments as string[] | undefined) ?? []);
  if (!isPlainObject(keys) || Object.keys(keys).length === 0) {
    problems.push(
      invalid(
        field('kmsKeyArns'),
        keys,
        `must map environments of the tenant (${own.join(', ')}) to KMS key or alias ARNs`,
      ),
    );
    return;
  }
  const before = problems.length;
  for (const [environment, arn] of Object.entries(keys)) {
    if (!own.includes(environment)) {
      problems.push(
        invalid(field('kmsKeyArns'), environment, `is not an environment of the tenant (${own.join(', ')})`),
      );
      continue;
    }
    const valid = validateKmsKeyArn(arn);
    if (valid !== true) {
      problems.push(invalid(field(`kmsKeyArns.${environment}`), arn, valid));
    }
  }
  if (problems.length === before) {
    tenant.kmsKeyArns = keys;
  }
}

/** Two tenants with one name, or one namespace: each tenant's namespace is its boundary. */
function findSharedNames(tenants: readonly TenantAnswers[]): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  const namespaces = new Map<string, string>();
  for (const tenant of tenants) {
    if (names.has(tenant.name)) {
      problems.push(`Tenant ${JSON.stringify(tenant.name)} is listed twice: each tenant must be unique`);
    }
    names.add(tenant.name);
    const namespace = namespaceOf(tenant);
    const other = namespaces.get(namespace);
    if (other !== undefined && other !== tenant.name) {
      problems.push(
        `Tenants ${other} and ${tenant.name} would share the namespace ${namespace}: a namespace is a tenant's ` +
          `boundary, give each its own`,
      );
    }
    namespaces.set(namespace, tenant.name);
  }
  return problems;
}

export function namespaceOf(tenant: TenantAnswers): string {
  return tenant.namespace ?? tenant.name;
}

/** The tenants of a fleet: its `tenants`, or the one tenant `apps` its `repoUrl` stands for. */
export function tenantsOf(answers: { tenants?: readonly TenantAnswers[]; repoUrl?: string }): readonly TenantAnswers[] {
  return (
    answers.tenants ??
    (answers.repoUrl === undefined ? [] : [{ name: DEFAULT_TENANT, repoUrl: answers.repoUrl, environments: 'all' }])
  );
}

export function tenantInEnvironment(tenant: TenantAnswers, environment: string): boolean {
  return (
    tenant.environments === undefined || tenant.environments === 'all' || tenant.environments.includes(environment)
  );
}

/** A tenant as the templates of one environment read it. */
export function resolveTenant(tenant: TenantAnswers, environment: string, fleetBranch: string): ResolvedTenant {
  return {
    name: tenant.name,
    namespace: namespaceOf(tenant),
    repoUrl: tenant.repoUrl,
    branch: tenant.branch ?? fleetBranch,
    path: (tenant.path ?? DEFAULT_TENANT_PATH).replaceAll('<env>', environment),
    repoScheme: repoSchemeOf(tenant.repoUrl),
    authKeys: gitAuthKeysOf(tenant.repoUrl),
    authName: tenantAuthNameOf(tenant.name),
    folder: tenantFolderOf(environment, tenant.name),
  };
}

/**
 * One tenant as stored in `.yo-rc.json`: its keys in a stable order, defaults left out
 * (environments always stored).
 */
export function toStoredTenant(tenant: TenantAnswers): Record<string, unknown> {
  const stored: Record<string, unknown> = {};
  for (const key of TENANT_KEYS) {
    const value = key === 'environments' ? (tenant.environments ?? 'all') : tenant[key];
    if (
      value !== undefined &&
      !(key === 'namespace' && value === tenant.name) &&
      !(key === 'decryption' && value === false)
    ) {
      stored[key] = value;
    }
  }
  return stored;
}
