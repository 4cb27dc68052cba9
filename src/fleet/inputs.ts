// Every input of the product is declared once here: its name (the key in the answers file and in
// `.yo-rc.json`), its option, its question, its placeholder and default as `--help` shows them,
// and its validator. Prompts, command-line options (Yeoman's and flux-sops') and `--help` derive
// from these tables; answers.ts reads, merges, validates and stores the values given for them.
import {
  type Validation,
  partitionOf,
  validateAccountId,
  validateAgeRecipients,
  validateBranch,
  validateClusterName,
  validateCodeOwners,
  validateEnvironmentNames,
  validateIac,
  validateIdentity,
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
  /** What `--help` shows after the option, e.g. `<id>`. */
  readonly placeholder: string;
  /** Question shown at the prompt; also the option's description in `--help`. */
  readonly message: string;
  /** Shown in `--help` and used as the prompt's default. */
  readonly defaultText?: string;
  readonly required: boolean;
  /** A list: comma-separated on the command line and at the prompt, a YAML list in the answers file. */
  readonly list?: boolean;
  /** Fixed choices, offered as a list at the prompt. */
  readonly choices?: readonly string[];
  readonly validate: (value: unknown) => Validation;
  /**
   * A list of mappings: given in the answers file or stored, asked by its own questions, never a
   * command-line option.
   */
  readonly structured?: boolean;
  /** A yes/no input: a flag on the command line (`--x`, `--no-x`), a confirmation at the prompt. */
  readonly boolean?: boolean;
}

export const fleetInputs = [
  {
    name: 'accountId',
    option: 'account-id',
    placeholder: '<id>',
    message: 'AWS account ID (12 digits) of the IAM roles and KMS keys',
    required: true,
    validate: validateAccountId,
  },
  {
    name: 'roleName',
    option: 'role-name',
    placeholder: '<name>',
    message: 'Stem of the IAM role names: each environment gets its own role <stem>-<env>',
    defaultText: 'flux-kms-decryptor',
    required: false,
    validate: validateRoleName,
  },
  {
    name: 'identity',
    option: 'identity',
    placeholder: '<irsa|pod-identity>',
    message: 'How kustomize-controller gets AWS credentials: irsa or pod-identity',
    defaultText: 'irsa',
    required: false,
    choices: ['irsa', 'pod-identity'],
    validate: validateIdentity,
  },
  {
    name: 'region',
    option: 'region',
    placeholder: '<region>',
    message: 'AWS region of the KMS keys and clusters',
    defaultText: 'us-east-1',
    required: false,
    validate: validateRegion,
  },
  {
    name: 'environments',
    option: 'environments',
    placeholder: '<names>',
    message: 'Environments (comma-separated; one cluster, one KMS key and one IAM role each)',
    defaultText: 'staging, production',
    required: false,
    list: true,
    validate: (value) => validateEnvironmentNames(Array.isArray(value) ? value : []),
  },
  {
    name: 'repoUrl',
    option: 'repo-url',
    placeholder: '<url>',
    message:
      'Private Git repository of the application manifests (https://… or ssh://git@host/org/repo): ' +
      'the one tenant "apps"',
    defaultText: undefined,
    required: false,
    validate: validateRepoUrl,
  },
  {
    name: 'branch',
    option: 'branch',
    placeholder: '<branch>',
    message: "Git branch of that repository to sync (every tenant's default)",
    defaultText: 'main',
    required: false,
    validate: validateBranch,
  },
  {
    name: 'tenants',
    option: 'tenants',
    placeholder: '<list>',
    message: 'Tenants: name, namespace, repoUrl, branch, path, environments each (answers file; instead of repoUrl)',
    defaultText: 'one tenant apps from repoUrl and branch',
    required: false,
    structured: true,
    // Read entry by entry in validateAnswers (answers.ts, readTenants), which knows the environments.
    validate: () => true,
  },
  {
    name: 'backupAgeRecipients',
    option: 'backup-age-recipients',
    placeholder: '<age1…>',
    message: 'Break-glass age public keys that can also decrypt every environment (comma-separated)',
    defaultText: 'none',
    required: false,
    list: true,
    validate: validateAgeRecipients,
  },
  {
    name: 'iac',
    option: 'iac',
    placeholder: '<none|terraform>',
    message: 'Infrastructure as code for the AWS side: none (aws commands in the README) or terraform',
    defaultText: 'none',
    required: false,
    choices: ['none', 'terraform'],
    validate: validateIac,
  },
  {
    name: 'codeOwners',
    option: 'code-owners',
    placeholder: '<@org/team>',
    message:
      "GitHub users or teams who must review changes to the fleet's checker, CI and .sops.yaml (comma-separated, " +
      'e.g. @acme/platform; empty: a placeholder that check --strict reports)',
    defaultText: 'none',
    required: false,
    list: true,
    validate: validateCodeOwners,
  },
] as const satisfies readonly InputDeclaration[];

export const environmentInputs = [
  {
    name: 'kmsKeyArn',
    option: 'kms-key-arn',
    placeholder: '<arn>',
    message: 'KMS key ARN or alias ARN',
    defaultText: 'arn:<partition>:kms:<region>:<accountId>:alias/flux-sops-<env>',
    required: false,
    validate: validateKmsKeyArn,
  },
  {
    name: 'accountId',
    option: 'account-id',
    placeholder: '<id>',
    message: "AWS account ID of this environment (overrides the fleet's)",
    defaultText: "the fleet's accountId",
    required: false,
    validate: validateAccountId,
  },
  {
    name: 'roleName',
    option: 'role-name',
    placeholder: '<name>',
    message: 'Exact IAM role name of this environment',
    defaultText: '<roleName>-<env>',
    required: false,
    validate: validateRoleName,
  },
  {
    name: 'identity',
    option: 'identity',
    placeholder: '<irsa|pod-identity>',
    message: "How this environment's kustomize-controller gets AWS credentials (overrides the fleet's)",
    defaultText: "the fleet's identity",
    required: false,
    choices: ['irsa', 'pod-identity'],
    validate: validateIdentity,
  },
  {
    name: 'clusterName',
    option: 'cluster-name',
    placeholder: '<name>',
    message: "EKS cluster name of this environment, in the fleet's region",
    defaultText: 'the environment name',
    required: false,
    validate: validateClusterName,
  },
  {
    name: 'oidcIssuer',
    option: 'oidc-issuer',
    placeholder: '<issuer>',
    message:
      "IRSA, and Pod Identity with a decrypting tenant: EKS OIDC issuer of this environment's cluster " +
      '(oidc.eks.<region>.amazonaws.com/id/<ID>)',
    defaultText: 'a marked placeholder, reported by flux-sops check --strict',
    required: false,
    validate: validateOidcIssuer,
  },
  {
    name: 'backupAgeRecipients',
    option: 'backup-age-recipients',
    placeholder: '<age1…>',
    message: "More age public keys for this environment only, added to the fleet's (comma-separated)",
    defaultText: 'none',
    required: false,
    list: true,
    validate: validateAgeRecipients,
  },
] as const satisfies readonly InputDeclaration[];

export type FleetInputName = (typeof fleetInputs)[number]['name'];
export type EnvironmentInputName = (typeof environmentInputs)[number]['name'];

/**
 * Per-environment inputs the main generator also takes, as repeatable `--option ENV=VALUE`. The
 * fleet-wide `--identity` takes `ENV=VALUE` items too (see readOptionAnswers).
 */
export const perEnvironmentOptionNames: readonly EnvironmentInputName[] = [
  'kmsKeyArn',
  'oidcIssuer',
  'clusterName',
  'identity',
];
export const perEnvironmentOptionInputs = environmentInputs.filter(
  (input) =>
    perEnvironmentOptionNames.includes(input.name) &&
    !fleetInputs.some((fleetInput) => fleetInput.option === input.option),
);

/** Options of every generating command that steer the run rather than the fleet. */
export const runOptions = [
  { name: 'force', description: 'Overwrite files that differ from what would be generated' },
  {
    name: 'interactive',
    description:
      'Prompt for missing inputs (default: when stdin is a terminal and CI is not set); --no-interactive never prompts',
  },
] as const;

/** An input's line in `--help`: its question, then its default or that it is required. */
export function optionDescription(input: InputDeclaration): string {
  const suffix = input.defaultText ? ` (default: ${input.defaultText})` : input.required ? ' (required)' : '';
  return `${input.message}${suffix}`;
}

/** The line in `--help` of a per-environment input given to the main generator. */
export function perEnvironmentOptionDescription(input: InputDeclaration): string {
  return `${input.message}, per environment as ENV=VALUE, repeatable (default: ${input.defaultText})`;
}

/** The defaults that `defaultText` describes, computed for one environment. */
export function defaultKmsKeyArn(region: string, accountId: string, environment: string): string {
  return `arn:${partitionOf(region)}:kms:${region}:${accountId}:alias/flux-sops-${environment}`;
}

export function defaultRoleName(stem: string, environment: string): string {
  return `${stem}-${environment}`;
}

/** A fleet input's declared default. */
export function defaultOf(name: FleetInputName): string | undefined {
  const input: InputDeclaration | undefined = fleetInputs.find((each) => each.name === name);
  return input?.defaultText;
}
