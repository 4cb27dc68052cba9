// The answers given for the inputs declared in inputs.ts: raw values read from every source
// (options, the answers file, the stored `.yo-rc.json`, prompts), merged, validated once into
// FleetAnswers (with the warnings worth printing), and stored back as `.yo-rc.json` holds them.
import { describeValue, inputError, invalid } from '../errors.js';
import {
  type EnvironmentInputName,
  type FleetInputName,
  type InputDeclaration,
  defaultKmsKeyArn,
  defaultOf,
  defaultRoleName,
  environmentInputs,
  fleetInputs,
  perEnvironmentOptionNames,
} from './inputs.js';
import {
  type Iac,
  type Identity,
  normalizeOidcIssuer,
  parseKmsArn,
  partitionOf,
  validateEnvironmentName,
  validateEnvironmentNames,
  validateRoleName,
} from './validators.js';
import { defaultTenantKmsKeyArn, tenantRoleNameOf } from './tenant-identity.js';
import { type TenantAnswers, readTenants, tenantInEnvironment, toStoredTenant } from './tenants.js';

/** One environment as given: only the overrides the user set. */
export type EnvironmentAnswers = { name: string } & Partial<
  Record<Exclude<EnvironmentInputName, 'backupAgeRecipients' | 'identity'>, string>
> & {
    identity?: Identity;
    backupAgeRecipients?: string[];
  };

/** The fleet as given and stored in `.yo-rc.json`; per-environment defaults are applied when planning. */
export interface FleetAnswers {
  accountId: string;
  roleName: string;
  identity: Identity;
  region: string;
  environments: EnvironmentAnswers[];
  /** The shorthand for one tenant `apps`; absent when `tenants` are given. */
  repoUrl?: string;
  branch: string;
  /** Absent for the `repoUrl` shorthand (see tenantsOf). */
  tenants?: TenantAnswers[];
  backupAgeRecipients: string[];
  iac: Iac;
  codeOwners: string[];
}

/** Partial answers from one source (stored answers, answers file, options, prompts), not yet validated. */
export type RawAnswers = Partial<Record<FleetInputName, unknown>>;

/** Splits `staging, production` (an option, a prompt answer) into items; a list is split item by item. */
export function splitList(value: unknown): string[] {
  const items = Array.isArray(value) ? value.map(String) : [String(value)];
  return items
    .flatMap((item) => item.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads an answers file's parsed content (or stored answers) into raw answers, rejecting
 * unknown keys and wrong shapes: a typo must never fall back silently to a default.
 */
export function readAnswersObject(content: unknown, source: string): RawAnswers {
  if (!isPlainObject(content)) {
    throw inputError([
      `${source} must be a mapping of inputs (${fleetInputs.map((i) => i.name).join(', ')}), ` +
        `got ${describeValue(content)}`,
    ]);
  }
  const known = new Set<string>(fleetInputs.map((input) => input.name));
  const unknown = Object.keys(content).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw inputError([
      `Unknown key${unknown.length > 1 ? 's' : ''} in ${source}: ` +
        `${unknown.map((key) => describeValue(key)).join(', ')} (allowed: ${[...known].join(', ')})`,
    ]);
  }
  return content as RawAnswers;
}

/** Merges sources, later ones winning; `undefined` never overrides. */
export function mergeAnswers(...sources: RawAnswers[]): RawAnswers {
  const merged: RawAnswers = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      if (value !== undefined) {
        merged[key as FleetInputName] = value;
      }
    }
  }
  return merged;
}

/** The name of an environment entry (a name, or a mapping with one); undefined when it has none. */
export function environmentNameOf(entry: unknown): string | undefined {
  const name = typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : entry;
  return typeof name === 'string' ? name : undefined;
}

/** The environments of raw answers as a list of entries (names or mappings), in their order. */
export function environmentEntriesOf(raw: RawAnswers): unknown[] {
  const value = raw.environments ?? defaultOf('environments');
  return Array.isArray(value) ? value : splitList(value);
}

/** The main generator's options, read: fleet inputs as raw answers, and the ENV=VALUE items by environment. */
export interface OptionAnswers {
  readonly raw: RawAnswers;
  readonly overrides: ReadonlyMap<string, Readonly<Record<string, string>>>;
}

/**
 * Reads the main generator's options. Fleet inputs come as given; `--identity`, `--kms-key-arn`,
 * `--oidc-issuer` and `--cluster-name` items of the form ENV=VALUE are kept by environment
 * (`--identity pod-identity` without ENV= is fleet-wide), to be folded into the environments once
 * their list is known (foldEnvironmentOverrides): a prompt may still give it.
 */
export function parseOptionAnswers(options: Readonly<Record<string, unknown>>): OptionAnswers {
  const raw: RawAnswers = {};
  for (const input of fleetInputs as readonly (InputDeclaration & { name: FleetInputName })[]) {
    const value = input.structured ? undefined : options[input.option];
    if (value !== undefined && input.name !== 'identity') {
      raw[input.name] = input.list ? splitList(value) : Array.isArray(value) ? value.at(-1) : value;
    }
  }
  const problems: string[] = [];
  const overrides = new Map<string, Record<string, string>>();
  for (const name of perEnvironmentOptionNames) {
    const option = environmentInputs.find((input) => input.name === name)?.option ?? name;
    if (options[option] === undefined) {
      continue;
    }
    for (const item of splitList(options[option])) {
      const separator = item.indexOf('=');
      if (name === 'identity' && separator === -1) {
        raw.identity = item;
      } else if (separator <= 0) {
        problems.push(
          invalid(
            `--${option}`,
            item,
            `must be ENV=VALUE, e.g. production=${name === 'identity' ? 'pod-identity' : '…'}`,
          ),
        );
      } else {
        const environment = item.slice(0, separator);
        overrides.set(environment, { ...overrides.get(environment), [name]: item.slice(separator + 1) });
      }
    }
  }
  if (problems.length > 0) {
    throw inputError(problems);
  }
  return { raw, overrides };
}

/**
 * The environments of `answers` (every source merged) with the ENV=VALUE options folded into
 * their entries; an ENV that is not one of them is an input error.
 */
export function foldEnvironmentOverrides(answers: RawAnswers, overrides: OptionAnswers['overrides']): RawAnswers {
  if (overrides.size === 0) {
    return answers;
  }
  const unused = new Set(overrides.keys());
  const environments = environmentEntriesOf(answers).map((entry) => {
    const environment = typeof entry === 'string' ? { name: entry } : (entry as Record<string, unknown>);
    const override = typeof environment.name === 'string' ? overrides.get(environment.name) : undefined;
    unused.delete(String(environment.name));
    return override ? { ...environment, ...override } : entry;
  });
  if (unused.size > 0) {
    throw inputError(
      [...unused].map((name) =>
        invalid('environment in a per-environment option', name, 'is not one of the environments'),
      ),
    );
  }
  return { ...answers, environments };
}

/** The main generator's options as raw answers, ENV=VALUE items folded into the environments the other sources give. */
export function readOptionAnswers(options: Readonly<Record<string, unknown>>, otherSources: RawAnswers): RawAnswers {
  const { raw, overrides } = parseOptionAnswers(options);
  if (overrides.size === 0) {
    return raw;
  }
  return { ...raw, environments: foldEnvironmentOverrides(mergeAnswers(otherSources, raw), overrides).environments };
}

/**
 * The `yo flux-sops:env <name>` options as that environment's overrides, validated with its name
 * (every problem reported at once).
 */
export function readEnvironmentOptions(
  name: unknown,
  options: Readonly<Record<string, unknown>>,
): Omit<EnvironmentAnswers, 'name'> {
  const entry: Record<string, unknown> = {};
  for (const input of environmentInputs as readonly InputDeclaration[]) {
    const value = options[input.option];
    if (value !== undefined) {
      entry[input.name] = input.list ? splitList(value) : Array.isArray(value) ? value.at(-1) : value;
    }
  }
  const validName = validateEnvironmentName(name);
  const problems: string[] = validName === true ? [] : [invalid('environment name', name, validName)];
  const environment = readEnvironmentOverrides(
    entry,
    (input) => `--${environmentInputs.find((each) => each.name === input)?.option ?? input}`,
    problems,
  );
  if (problems.length > 0) {
    throw inputError(problems);
  }
  return environment;
}

/** Validates one environment's override values; problems are named with `fieldOf(inputName)`. */
function readEnvironmentOverrides(
  entry: Record<string, unknown>,
  fieldOf: (name: string) => string,
  problems: string[],
): Omit<EnvironmentAnswers, 'name'> {
  const environment: Record<string, unknown> = {};
  for (const input of environmentInputs as readonly InputDeclaration[]) {
    let value = entry[input.name];
    if (value === undefined || value === null) {
      continue;
    }
    if (input.list && typeof value === 'string') {
      value = splitList(value);
    }
    const valid = input.validate(value);
    if (valid !== true) {
      problems.push(invalid(fieldOf(input.name), value, valid));
      continue;
    }
    environment[input.name] = input.name === 'oidcIssuer' ? normalizeOidcIssuer(value as string) : value;
  }
  return environment as Omit<EnvironmentAnswers, 'name'>;
}

function readEnvironment(entry: unknown, index: number, problems: string[]): EnvironmentAnswers | undefined {
  if (typeof entry === 'string') {
    return { name: entry };
  }
  if (!isPlainObject(entry)) {
    problems.push(
      invalid(
        `environments[${index}]`,
        entry,
        `must be a name or a mapping with name and optional ${environmentInputs.map((input) => input.name).join(', ')}`,
      ),
    );
    return undefined;
  }
  const allowed = new Set<string>(['name', ...environmentInputs.map((input) => input.name)]);
  const unknown = Object.keys(entry).filter((key) => !allowed.has(key));
  if (unknown.length > 0) {
    problems.push(
      `Unknown key${unknown.length > 1 ? 's' : ''} in environments[${index}]: ` +
        `${unknown.map((key) => describeValue(key)).join(', ')} (allowed: ${[...allowed].join(', ')})`,
    );
    return undefined;
  }
  if (entry.name === undefined || entry.name === null) {
    problems.push(`Missing environments[${index}].name: each environment given as a mapping needs its name`);
    return undefined;
  }
  if (typeof entry.name !== 'string') {
    problems.push(invalid(`environments[${index}].name`, entry.name, 'must be a string'));
    return undefined;
  }
  const name = entry.name;
  return { name, ...readEnvironmentOverrides(entry, (input) => `environments.${name}.${input}`, problems) };
}

/** The role name an environment resolves to: its own, or `<stem>-<env>`. */
export function roleNameOf(answers: Pick<FleetAnswers, 'roleName'>, environment: EnvironmentAnswers): string {
  return environment.roleName ?? defaultRoleName(answers.roleName, environment.name);
}

/**
 * One role per environment is a security property: each cluster may decrypt only its own key;
 * and a decrypting tenant's role `<environment's role>-<tenant>` is its own too. Environment and
 * tenant names share one namespace of IAM names: every composed role name must be valid, and no
 * two may coincide in one account (IAM compares role names case-insensitively).
 */
function findRoleProblems(answers: FleetAnswers): string[] {
  const problems: string[] = [];
  const seen = new Map<string, { owner: string; environment?: string }>();
  for (const environment of answers.environments) {
    const roleName = roleNameOf(answers, environment);
    const accountId = environment.accountId ?? answers.accountId;
    const decrypting = (answers.tenants ?? []).filter(
      (tenant) => tenant.decryption === true && tenantInEnvironment(tenant, environment.name),
    );
    const roles = [
      {
        owner: `environment ${environment.name}`,
        environment: environment.name,
        name: roleName,
        field: `role name of ${environment.name}`,
        how:
          `roleName ${describeValue(answers.roleName)} plus -${environment.name}; give a shorter roleName or the ` +
          `environment's own roleName`,
      },
      ...decrypting.map(
        (tenant): { owner: string; environment?: string; name: string; field: string; how: string } => ({
          owner: `tenant ${tenant.name} in ${environment.name}`,
          name: tenantRoleNameOf(roleName, tenant.name),
          field: `role name of tenant ${tenant.name} in ${environment.name}`,
          how:
            `the environment's role ${describeValue(roleName)} plus -${tenant.name}; give a shorter roleName or ` +
            `a shorter tenant name`,
        }),
      ),
    ];
    for (const role of roles) {
      const valid = validateRoleName(role.name);
      if (valid !== true) {
        problems.push(invalid(role.field, role.name, `${valid} (${role.how})`));
        continue;
      }
      const key = `${accountId}/${role.name.toLowerCase()}`;
      const other = seen.get(key);
      if (other?.environment !== undefined && role.environment !== undefined) {
        problems.push(
          `Environments ${other.environment} and ${role.environment} would share the IAM role ${role.name} ` +
            `in account ${accountId}: each environment needs its own role, so that each cluster can decrypt ` +
            'only its own key; give one of them another roleName',
        );
      } else if (other !== undefined) {
        problems.push(
          `The ${other.owner} and the ${role.owner} would share the IAM role ${role.name} in account ${accountId}: ` +
            'each needs its own role, so that each can decrypt only its own key; rename one of them, or give ' +
            'another roleName',
        );
      }
      seen.set(key, role);
    }
  }
  return problems;
}

/**
 * A decrypting tenant's key must be its own: never an environment's key, nor another tenant's
 * (its rule would open the fleet's Secrets, or theirs, to the tenant's role and repository).
 */
function findTenantKeyProblems(answers: FleetAnswers): string[] {
  const owners = new Map<string, string>();
  const ownerOf = (arn: string) => owners.get(arn.toLowerCase());
  for (const environment of answers.environments) {
    const accountId = environment.accountId ?? answers.accountId;
    owners.set(
      (environment.kmsKeyArn ?? defaultKmsKeyArn(answers.region, accountId, environment.name)).toLowerCase(),
      `the key of environment ${environment.name}`,
    );
  }
  const problems: string[] = [];
  for (const environment of answers.environments) {
    const accountId = environment.accountId ?? answers.accountId;
    const place = { partition: partitionOf(answers.region), region: answers.region, accountId, name: environment.name };
    for (const tenant of (answers.tenants ?? []).filter(
      (each) => each.decryption === true && tenantInEnvironment(each, environment.name),
    )) {
      const given = tenant.kmsKeyArns?.[environment.name];
      const arn = given ?? defaultTenantKmsKeyArn(place, tenant.name);
      const other = ownerOf(arn);
      if (other !== undefined) {
        problems.push(
          given === undefined
            ? `The key ${arn} of tenant ${tenant.name} in ${environment.name} is already ${other}: give that one ` +
                `another key`
            : invalid(
                `tenants.${tenant.name}.kmsKeyArns.${environment.name}`,
                arn,
                `is ${other}: a tenant's key must be its own`,
              ),
        );
      }
      owners.set(arn.toLowerCase(), `the key of tenant ${tenant.name} in ${environment.name}`);
    }
  }
  return problems;
}

/**
 * Validates merged raw answers and applies the fleet-level defaults. Collects every problem
 * before failing, so one run reports them all.
 */
export function validateAnswers(raw: RawAnswers, howToGive: (name: string) => string): FleetAnswers {
  const problems: string[] = [];
  const values: Partial<Record<FleetInputName, unknown>> = {};
  for (const input of fleetInputs as readonly (InputDeclaration & { name: FleetInputName })[]) {
    let value = raw[input.name];
    if (value === undefined || value === null || (value === '' && input.required)) {
      if (input.name === 'tenants' || input.name === 'repoUrl') {
        // Either one names the tenants; which is missing is told below.
        continue;
      }
      if (input.required) {
        problems.push(`Missing ${input.name}: ${input.message}; ${howToGive(input.name)}`);
        continue;
      }
      // Only an absent value takes the default: an explicit "" (say `--environments "$UNSET"`)
      // is validated like any other value, so it never turns silently into the default.
      value = input.list
        ? input.name === 'environments'
          ? splitList(input.defaultText ?? '')
          : []
        : input.defaultText;
    }
    if (input.name === 'environments') {
      value = typeof value === 'string' ? splitList(value) : value;
      if (!Array.isArray(value)) {
        problems.push(invalid('environments', value, 'must be a list of environment names'));
        continue;
      }
      const environments = value.map((entry, index) => readEnvironment(entry, index, problems));
      if (environments.some((environment) => environment === undefined)) {
        continue;
      }
      const names = (environments as EnvironmentAnswers[]).map((environment) => environment.name);
      const valid = validateEnvironmentNames(names);
      if (valid !== true) {
        problems.push(invalid('environments', names, valid));
        continue;
      }
      values.environments = environments;
      continue;
    }
    if (input.name === 'tenants') {
      const tenants =
        values.environments === undefined
          ? undefined
          : readTenants(
              value,
              (values.environments as EnvironmentAnswers[]).map((each) => each.name),
              problems,
              invalid,
            );
      if (tenants !== undefined) {
        values.tenants = tenants;
      }
      continue;
    }
    if (input.list && typeof value === 'string') {
      value = splitList(value);
    }
    const valid = input.validate(value);
    if (valid !== true) {
      problems.push(invalid(input.name, value, valid));
      continue;
    }
    values[input.name] = value;
  }
  if (raw.tenants === undefined && raw.repoUrl === undefined) {
    problems.push(
      'Missing repoUrl: the Git repository of the one tenant "apps" (or tenants in the answers file); ' +
        howToGive('repoUrl'),
    );
  } else if (raw.tenants !== undefined && raw.repoUrl !== undefined) {
    problems.push(
      `Both repoUrl and tenants are given: repoUrl is the shorthand for one tenant "apps"; list it under tenants ` +
        `instead (name: apps, repoUrl: ${describeValue(raw.repoUrl)})`,
    );
  }
  if (problems.length === 0) {
    problems.push(
      ...findRoleProblems(values as unknown as FleetAnswers),
      ...findTenantKeyProblems(values as unknown as FleetAnswers),
    );
  }
  if (problems.length > 0) {
    throw inputError(problems);
  }
  return values as unknown as FleetAnswers;
}

/**
 * A key in a region other than the fleet's, as a warning to print when the value is entered
 * (nothing stops the run): legitimate (multi-region fleets, multi-Region keys), but a mistyped
 * region would only show up as a decryption failure in the cluster.
 */
export function kmsRegionWarning(environment: string, kmsKeyArn: string, region: string): string | undefined {
  const key = parseKmsArn(kmsKeyArn);
  if (!key || key.region === region) {
    return undefined;
  }
  return (
    `environments.${environment}.kmsKeyArn is in region ${key.region}, not in the fleet's region ${region}: ` +
    `keys in other regions work; check that ${key.region} is where that key is`
  );
}

/**
 * An OIDC issuer in another region than the fleet's, as a warning like the key's: the cluster is
 * in the fleet's region (the runbook's commands and Terraform look it up there), so an issuer
 * elsewhere is most likely another cluster's, and IRSA would fail only in the cluster.
 */
export function oidcIssuerRegionWarning(environment: string, oidcIssuer: string, region: string): string | undefined {
  const issuerRegion = /^(?:https:\/\/)?oidc\.eks\.([a-z0-9-]+)\.amazonaws\.com/.exec(oidcIssuer)?.[1];
  if (issuerRegion === undefined || issuerRegion === region) {
    return undefined;
  }
  return (
    `environments.${environment}.oidcIssuer is in region ${issuerRegion}, not in the fleet's region ${region}, ` +
    `where the environment's cluster is looked up: check that it is the issuer of that cluster ` +
    `(aws eks describe-cluster --region ${region})`
  );
}

/** How a missing required input can be given, for its error message. */
export function howToGive(interactive: boolean): (name: string) => string {
  return (name) => {
    const option = fleetInputs.find((input) => input.name === name)?.option ?? name;
    const unprompted = interactive ? '' : ' (nothing is prompted without a terminal)';
    return `give --${option} or ${name} in the answers file${unprompted}`;
  };
}

/**
 * Warnings for the values given in `given` (this run's answers file and options, not the stored
 * answers, already warned about, nor the prompts, warned about when entered).
 */
export function findGivenAnswerWarnings(answers: FleetAnswers, given: RawAnswers): string[] {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const entries = environmentEntriesOf(given).filter(isPlainObject);
  return findAnswerWarnings(
    answers,
    entries.map((entry) => ({
      name: String(entry.name),
      kmsKeyArn: text(entry.kmsKeyArn),
      oidcIssuer: text(entry.oidcIssuer),
    })),
  );
}

/** Warnings for these environments' values. */
export function findAnswerWarnings(answers: FleetAnswers, given: readonly EnvironmentAnswers[]): string[] {
  return given
    .flatMap((environment) => [
      environment.kmsKeyArn === undefined
        ? undefined
        : kmsRegionWarning(environment.name, environment.kmsKeyArn, answers.region),
      environment.oidcIssuer === undefined
        ? undefined
        : oidcIssuerRegionWarning(environment.name, environment.oidcIssuer, answers.region),
    ])
    .filter((warning): warning is string => warning !== undefined);
}

/**
 * One environment as stored in `.yo-rc.json`: only real overrides. A value equal to what the
 * fleet would derive is dropped, so the environment keeps following the fleet's account, role
 * stem, identity and region; an environment without overrides is its plain name.
 */
export function toStoredEnvironment(
  answers: FleetAnswers,
  environment: EnvironmentAnswers,
): string | EnvironmentAnswers {
  const stored: EnvironmentAnswers = { name: environment.name };
  const accountId = environment.accountId ?? answers.accountId;
  if (accountId !== answers.accountId) {
    stored.accountId = accountId;
  }
  if (
    environment.roleName !== undefined &&
    environment.roleName !== defaultRoleName(answers.roleName, environment.name)
  ) {
    stored.roleName = environment.roleName;
  }
  if (environment.identity !== undefined && environment.identity !== answers.identity) {
    stored.identity = environment.identity;
  }
  if (environment.clusterName !== undefined && environment.clusterName !== environment.name) {
    stored.clusterName = environment.clusterName;
  }
  if (
    environment.kmsKeyArn !== undefined &&
    environment.kmsKeyArn !== defaultKmsKeyArn(answers.region, accountId, environment.name)
  ) {
    stored.kmsKeyArn = environment.kmsKeyArn;
  }
  if (environment.oidcIssuer !== undefined) {
    stored.oidcIssuer = environment.oidcIssuer;
  }
  if (environment.backupAgeRecipients !== undefined && environment.backupAgeRecipients.length > 0) {
    stored.backupAgeRecipients = environment.backupAgeRecipients;
  }
  return Object.keys(stored).length === 1 ? environment.name : stored;
}

/** The answers as stored in `.yo-rc.json`. */
export function toStoredAnswers(answers: FleetAnswers): Record<string, unknown> {
  return {
    accountId: answers.accountId,
    roleName: answers.roleName,
    identity: answers.identity,
    region: answers.region,
    ...(answers.repoUrl === undefined ? {} : { repoUrl: answers.repoUrl }),
    branch: answers.branch,
    backupAgeRecipients: answers.backupAgeRecipients,
    iac: answers.iac,
    codeOwners: answers.codeOwners,
    environments: answers.environments.map((environment) => toStoredEnvironment(answers, environment)),
    ...(answers.tenants === undefined ? {} : { tenants: answers.tenants.map(toStoredTenant) }),
  };
}
