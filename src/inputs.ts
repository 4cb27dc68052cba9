// Every input of the generators is declared once here. Prompts, command-line options,
// `--help`, the answers-file parser, the stored answers and the types all derive from these tables.
import {
  type Validation,
  normalizeOidcIssuer,
  parseKmsArn,
  partitionOf,
  validateAccountId,
  validateBranch,
  validateEnvironmentNames,
  validateKmsKeyArn,
  validateOidcIssuer,
  validateRegion,
  validateRepoUrl,
  validateRoleName,
} from './validators.js';

export interface InputDeclaration {
  /** Key in the answers file and in `.yo-rc.json`. */
  readonly name: string;
  /** Command-line option, without the leading `--`. */
  readonly option: string;
  /** Question shown at the prompt; also the option's description in `--help`. */
  readonly message: string;
  /** Shown in `--help` and used as the prompt's default. */
  readonly defaultText?: string;
  readonly required: boolean;
  readonly validate: (value: unknown) => Validation;
}

export const fleetInputs = [
  {
    name: 'accountId',
    option: 'account-id',
    message: 'AWS account ID (12 digits) of the IAM role and KMS keys',
    required: true,
    validate: validateAccountId,
  },
  {
    name: 'roleName',
    option: 'role-name',
    message: 'IAM role name that kustomize-controller assumes through IRSA',
    defaultText: 'flux-kms-decryptor',
    required: false,
    validate: validateRoleName,
  },
  {
    name: 'region',
    option: 'region',
    message: 'AWS region of the KMS keys',
    defaultText: 'us-east-1',
    required: false,
    validate: validateRegion,
  },
  {
    name: 'environments',
    option: 'environments',
    message: 'Environments (comma-separated; one cluster and one KMS key each)',
    defaultText: 'staging, production',
    required: false,
    validate: (value) => validateEnvironmentNames(Array.isArray(value) ? value : []),
  },
  {
    name: 'repoUrl',
    option: 'repo-url',
    message: 'Private Git repository of the application manifests (https://… or ssh://git@host/org/repo)',
    required: true,
    validate: validateRepoUrl,
  },
  {
    name: 'branch',
    option: 'branch',
    message: 'Git branch of that repository to sync',
    defaultText: 'main',
    required: false,
    validate: validateBranch,
  },
] as const satisfies readonly InputDeclaration[];

export const environmentInputs = [
  {
    name: 'kmsKeyArn',
    option: 'kms-key-arn',
    message: 'KMS key ARN or alias ARN',
    defaultText: 'arn:<partition>:kms:<region>:<accountId>:alias/flux-sops-<env>',
    required: false,
    validate: validateKmsKeyArn,
  },
  {
    name: 'accountId',
    option: 'account-id',
    message: 'AWS account ID of this environment (overrides the fleet’s)',
    defaultText: 'the fleet’s accountId',
    required: false,
    validate: validateAccountId,
  },
  {
    name: 'roleName',
    option: 'role-name',
    message: 'IAM role name of this environment (overrides the fleet’s)',
    defaultText: 'the fleet’s roleName',
    required: false,
    validate: validateRoleName,
  },
  {
    name: 'oidcIssuer',
    option: 'oidc-issuer',
    message: 'EKS OIDC issuer of this environment’s cluster (oidc.eks.<region>.amazonaws.com/id/<ID>)',
    defaultText: 'a marked placeholder to replace in iam/<env>/trust-policy.json',
    required: false,
    validate: validateOidcIssuer,
  },
] as const satisfies readonly InputDeclaration[];

/** Per-environment inputs the main generator also takes, as repeatable `--option ENV=VALUE`. */
export const perEnvironmentOptionInputs = environmentInputs.filter((input) => input.name === 'kmsKeyArn' || input.name === 'oidcIssuer');

/** Options of both generators (and `flux-sops`) that steer the run rather than the fleet. */
export const runOptions = [
  { name: 'force', description: 'Overwrite files that differ from what would be generated' },
  { name: 'interactive', description: 'Prompt for missing inputs (default: when stdin is a terminal and CI is not set)' },
] as const;

/** An input's line in `--help`: its question, then its default or that it is required. */
export function optionDescription(input: InputDeclaration): string {
  return `${input.message}${input.defaultText ? ` (default: ${input.defaultText})` : input.required ? ' (required)' : ''}`;
}

/** The line in `--help` of a per-environment input given to the main generator. */
export function perEnvironmentOptionDescription(input: InputDeclaration): string {
  return `${input.message} per environment, as ENV=VALUE, repeatable (default: ${input.defaultText})`;
}

export type FleetInputName = (typeof fleetInputs)[number]['name'];
export type EnvironmentInputName = (typeof environmentInputs)[number]['name'];

/** One environment as given: only the overrides the user set. */
export type EnvironmentAnswers = { name: string } & Partial<Record<EnvironmentInputName, string>>;

/** The fleet as given and stored in `.yo-rc.json`; defaults are applied when planning. */
export interface FleetAnswers {
  accountId: string;
  roleName: string;
  region: string;
  environments: EnvironmentAnswers[];
  repoUrl: string;
  branch: string;
}

/** Partial answers from one source (stored answers, answers file, options, prompts), not yet validated. */
export type RawAnswers = Partial<Record<FleetInputName, unknown>>;

/** An input problem: the run stops before writing anything, with exit status 2. */
export class InputError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'InputError';
  }
}

export const PLACEHOLDER_OIDC_ID = 'REPLACE-WITH-CLUSTER-OIDC-ID';

export function defaultKmsKeyArn(region: string, accountId: string, environment: string): string {
  return `arn:${partitionOf(region)}:kms:${region}:${accountId}:alias/flux-sops-${environment}`;
}

export function defaultOf(name: FleetInputName): string | undefined {
  const input: InputDeclaration | undefined = fleetInputs.find((each) => each.name === name);
  return input?.defaultText;
}

/** Splits the prompt's or option's `staging, production` into names. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * A value as an error message shows it: JSON-quoted (so no control character reaches the
 * terminal raw), shortened, and with any credentials in a URL hidden, since messages end up in CI logs.
 */
export function describeValue(value: unknown): string {
  const text = redactCredentials(JSON.stringify(value) ?? String(value));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Replaces `user:password@` and https `token@` in URLs with `***@`; `ssh://git@host` stays readable. */
export function redactCredentials(text: string): string {
  return text
    .replace(/(^|\/\/|")[^\s"/@]*:[^\s"/@]*@/g, '$1***@')
    .replace(/(https?:\/\/)[^\s"/@]+@/gi, '$1***@');
}

export function invalid(field: string, value: unknown, message: string): string {
  return `Invalid ${field} ${describeValue(value)}: ${message}`;
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
    throw new InputError([`${source} must be a mapping of inputs (${fleetInputs.map((i) => i.name).join(', ')}), got ${describeValue(content)}`]);
  }
  const known = new Set<string>(fleetInputs.map((input) => input.name));
  const unknown = Object.keys(content).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new InputError([
      `Unknown key${unknown.length > 1 ? 's' : ''} in ${source}: ${unknown.map((key) => describeValue(key)).join(', ')} (allowed: ${[...known].join(', ')})`,
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

function readEnvironment(entry: unknown, index: number, problems: string[]): EnvironmentAnswers | undefined {
  if (typeof entry === 'string') {
    return { name: entry };
  }
  if (!isPlainObject(entry)) {
    problems.push(invalid(`environments[${index}]`, entry, 'must be a name or a mapping with name and optional kmsKeyArn, accountId, roleName, oidcIssuer'));
    return undefined;
  }
  const allowed = new Set<string>(['name', ...environmentInputs.map((input) => input.name)]);
  const unknown = Object.keys(entry).filter((key) => !allowed.has(key));
  if (unknown.length > 0) {
    problems.push(
      `Unknown key${unknown.length > 1 ? 's' : ''} in environments[${index}]: ${unknown.map((key) => describeValue(key)).join(', ')} (allowed: ${[...allowed].join(', ')})`,
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
  const environment: EnvironmentAnswers = { name: entry.name };
  for (const input of environmentInputs) {
    const value = entry[input.name];
    if (value === undefined || value === null) {
      continue;
    }
    const valid = input.validate(value);
    if (valid !== true) {
      problems.push(invalid(`environments.${entry.name}.${input.name}`, value, valid));
      continue;
    }
    environment[input.name] = input.name === 'oidcIssuer' ? normalizeOidcIssuer(value as string) : (value as string);
  }
  return environment;
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
      if (input.required) {
        problems.push(`Missing ${input.name}: ${input.message}; ${howToGive(input.name)}`);
        continue;
      }
      // Only an absent value takes the default: an explicit "" (say `--environments "$UNSET"`)
      // is validated like any other value, so it never turns silently into the default.
      value = input.name === 'environments' ? splitList(input.defaultText ?? '') : input.defaultText;
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
    const valid = input.validate(value);
    if (valid !== true) {
      problems.push(invalid(input.name, value, valid));
      continue;
    }
    values[input.name] = value;
  }
  if (problems.length > 0) {
    throw new InputError(problems);
  }
  return values as unknown as FleetAnswers;
}

/**
 * Accepted answers that may still be a mistake, as warnings to print (nothing stops the run).
 * A key in a region other than `region` is legitimate (multi-region fleets, multi-Region keys:
 * `region` only builds the default alias ARNs), but a mistyped region would only show up as a
 * decryption failure in the cluster, so it is pointed out.
 */
export function findAnswerWarnings(answers: FleetAnswers): string[] {
  const warnings: string[] = [];
  for (const environment of answers.environments) {
    const key = environment.kmsKeyArn === undefined ? undefined : parseKmsArn(environment.kmsKeyArn);
    if (key && key.region !== answers.region) {
      warnings.push(
        `environments.${environment.name}.kmsKeyArn is in region ${key.region}, not in the fleet's region ${answers.region}: ` +
          `kept as given (keys in other regions work); check that ${key.region} is where that key is`,
      );
    }
  }
  return warnings;
}

/**
 * One environment as stored in `.yo-rc.json`: only real overrides. A value equal to what the
 * fleet would derive is dropped, so the environment keeps following the fleet's account, role
 * and region; an environment without overrides is its plain name.
 */
export function toStoredEnvironment(answers: FleetAnswers, environment: EnvironmentAnswers): string | EnvironmentAnswers {
  const stored: EnvironmentAnswers = { name: environment.name };
  const accountId = environment.accountId ?? answers.accountId;
  if (accountId !== answers.accountId) {
    stored.accountId = accountId;
  }
  if (environment.roleName !== undefined && environment.roleName !== answers.roleName) {
    stored.roleName = environment.roleName;
  }
  if (environment.kmsKeyArn !== undefined && environment.kmsKeyArn !== defaultKmsKeyArn(answers.region, accountId, environment.name)) {
    stored.kmsKeyArn = environment.kmsKeyArn;
  }
  if (environment.oidcIssuer !== undefined) {
    stored.oidcIssuer = environment.oidcIssuer;
  }
  return Object.keys(stored).length === 1 ? environment.name : stored;
}

/** The answers as stored in `.yo-rc.json`. */
export function toStoredAnswers(answers: FleetAnswers): Record<string, unknown> {
  return {
    accountId: answers.accountId,
    roleName: answers.roleName,
    region: answers.region,
    repoUrl: answers.repoUrl,
    branch: answers.branch,
    environments: answers.environments.map((environment) => toStoredEnvironment(answers, environment)),
  };
}
