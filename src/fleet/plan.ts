// The pure planning step: validated answers (and, for edits, the current texts of the files
// edited) in, the files of the fleet out. Nothing here touches the disk; the generators and the
// CLI only gather input, call these, and hand the result to Yeoman's file system.
import { parseAllDocuments } from 'yaml';
import { FluxSopsError } from '../errors.js';
import { packageVersion } from '../version.js';
import { addCreationRule } from './sops-config.js';
import type { CreationRule } from '../sops/rules.js';
import { type IamEnvironment, kmsDecryptPolicyOf, kmsEncryptPolicyOf, policyJson, trustPolicyOf } from './iam.js';
import {
  type EnvironmentAnswers,
  type FleetAnswers,
  type RawAnswers,
  defaultKmsKeyArn,
  environmentEntriesOf,
  findAnswerWarnings,
  inputError,
  invalid,
  roleNameOf,
  toStoredEnvironment,
  validateAnswers,
} from './inputs.js';
import {
  CODEOWNERS_FILE,
  ENCRYPTED_REGEX,
  FLEET_CHECKER_FILE,
  GIT_REPOSITORY_FILE,
  GITIGNORE_FILE,
  KMS_DECRYPT_POLICY_FILE,
  KMS_ENCRYPT_POLICY_FILE,
  PLACEHOLDER_ANNOTATION,
  PLACEHOLDER_CIPHERTEXT,
  PLACEHOLDER_CODE_OWNER,
  PLACEHOLDER_OIDC_ID,
  type PlannedFile,
  README_ENVIRONMENTS_END,
  README_ENVIRONMENTS_START,
  README_FILE,
  REPO_AUTH_NAME,
  REPO_AUTH_PENDING_COMMENT,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  TERRAFORM_FOLDER,
  TRUST_POLICY_FILE,
  appsPathOf,
  clusterPathOf,
  iamPathOf,
  sampleSecretPathsOf,
  sealedSecretPathOf,
  secretsPathOf,
  sopsPathRegexFor,
  terraformPathOf,
} from './layout.js';
import { replaceReadmeEnvironmentsSection } from './readme-section.js';
import { readShippedChecker, renderTemplate } from './templates.js';
import { planTerraformFiles } from './terraform.js';
import { parseKmsArn, partitionOf, validateEnvironmentName } from './validators.js';
import { doubleQuoted, yamlScalar } from './yaml-scalar.js';

export interface ResolvedEnvironment extends IamEnvironment {
  /** The fleet's break-glass recipients, then this environment's own. */
  readonly backupAgeRecipients: readonly string[];
  readonly clusterPath: string;
  readonly secretsPath: string;
  readonly iamPath: string;
  readonly terraformPath: string;
  readonly appsPath: string;
  readonly sopsPathRegex: string;
}

/** Files of the fleet as a whole, then per environment: template and path. */
const fleetFiles = [
  { template: 'sops.yaml.ejs', path: SOPS_CONFIG_FILE },
  { template: 'gitignore.ejs', path: GITIGNORE_FILE },
  { template: 'README.md.ejs', path: README_FILE },
  { template: 'github-workflow.yaml.ejs', path: '.github/workflows/flux-sops.yaml' },
  { template: 'pre-commit-config.yaml.ejs', path: '.pre-commit-config.yaml' },
  { template: 'CODEOWNERS.ejs', path: CODEOWNERS_FILE },
] as const;

const environmentTemplates = [
  { template: 'environment/gotk-components.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/gotk-components.yaml`, createOnly: true },
  { template: 'environment/gotk-sync.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/gotk-sync.yaml`, createOnly: true },
  { template: 'environment/flux-system-kustomization.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/kustomization.yaml` },
  { template: 'environment/secrets-sync.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.clusterPath}/secrets.yaml` },
  { template: 'environment/apps-sync.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.clusterPath}/apps.yaml` },
  // Written once: `flux-sops secret` then lists what it seals here, and replaces the placeholder.
  { template: 'environment/secrets-kustomization.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.secretsPath}/${SECRETS_KUSTOMIZATION}`, createOnly: true },
  { template: 'environment/git-repository.yaml.ejs', path: (env: ResolvedEnvironment) => `${env.secretsPath}/${GIT_REPOSITORY_FILE}` },
  { template: 'environment/repo-auth.yaml.ejs', path: (env: ResolvedEnvironment) => sealedSecretPathOf(env.name, REPO_AUTH_NAME), createOnly: true },
] as const;

/** The IAM documents of an environment, built as objects (valid JSON by construction). */
const iamDocuments = [
  { file: TRUST_POLICY_FILE, build: (env: ResolvedEnvironment) => trustPolicyOf(env) },
  { file: KMS_DECRYPT_POLICY_FILE, build: kmsDecryptPolicyOf },
  { file: KMS_ENCRYPT_POLICY_FILE, build: kmsEncryptPolicyOf },
] as const;

function oidcIssuerPlaceholder(region: string): string {
  return `oidc.eks.${region}.amazonaws.com${partitionOf(region) === 'aws-cn' ? '.cn' : ''}/id/${PLACEHOLDER_OIDC_ID}`;
}

export function resolveEnvironment(answers: FleetAnswers, environment: EnvironmentAnswers): ResolvedEnvironment {
  const accountId = environment.accountId ?? answers.accountId;
  const roleName = roleNameOf(answers, environment);
  const partition = partitionOf(answers.region);
  const kmsKeyArn = environment.kmsKeyArn ?? defaultKmsKeyArn(answers.region, accountId, environment.name);
  const kmsKey = parseKmsArn(kmsKeyArn);
  if (!kmsKey) {
    throw new Error(`Bug: unvalidated KMS ARN reached the planner: ${kmsKeyArn}`);
  }
  const oidcIssuer = environment.oidcIssuer ?? oidcIssuerPlaceholder(answers.region);
  return {
    name: environment.name,
    region: answers.region,
    partition,
    accountId,
    roleName,
    roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
    clusterName: environment.clusterName ?? environment.name,
    clusterArn: `arn:${partition}:eks:${answers.region}:${accountId}:cluster/${environment.clusterName ?? environment.name}`,
    identity: environment.identity ?? answers.identity,
    kmsKeyArn,
    kmsKey,
    kmsKeyGiven: environment.kmsKeyArn !== undefined && environment.kmsKeyArn !== defaultKmsKeyArn(answers.region, accountId, environment.name),
    oidcIssuer,
    oidcIssuerIsPlaceholder: environment.oidcIssuer === undefined,
    oidcProviderArn: `arn:${partition}:iam::${accountId}:oidc-provider/${oidcIssuer}`,
    backupAgeRecipients: [...new Set([...answers.backupAgeRecipients, ...(environment.backupAgeRecipients ?? [])])],
    clusterPath: clusterPathOf(environment.name),
    secretsPath: secretsPathOf(environment.name),
    iamPath: iamPathOf(environment.name),
    terraformPath: terraformPathOf(environment.name),
    appsPath: appsPathOf(environment.name),
    sopsPathRegex: sopsPathRegexFor(environment.name),
  };
}

/** The environment's creation rule in `.sops.yaml`: its KMS key and its break-glass age recipients. */
export function sopsCreationRuleFor(environment: ResolvedEnvironment): CreationRule {
  return {
    path_regex: environment.sopsPathRegex,
    encrypted_regex: ENCRYPTED_REGEX,
    kms: environment.kmsKeyArn,
    ...(environment.backupAgeRecipients.length > 0 ? { age: environment.backupAgeRecipients.join(',') } : {}),
  };
}

/** What every template sees: the fleet, its environments, and the quoting helpers. */
function templateContext(answers: FleetAnswers) {
  const repoScheme = answers.repoUrl.startsWith('ssh://') ? 'ssh' : 'https';
  const environments = answers.environments.map((each) => resolveEnvironment(answers, each));
  return {
    fleet: answers,
    /** The fleet region's partition: every ARN the README shows starts with arn:<partition>:. */
    partition: partitionOf(answers.region),
    environments,
    env: undefined as ResolvedEnvironment | undefined,
    rules: environments.map(sopsCreationRuleFor),
    repoScheme,
    repoAuthKeys: repoScheme === 'ssh' ? ['identity', 'identity.pub', 'known_hosts'] : ['username', 'password'],
    placeholder: { annotation: PLACEHOLDER_ANNOTATION, ciphertext: PLACEHOLDER_CIPHERTEXT, oidcId: PLACEHOLDER_OIDC_ID, pendingRepoAuth: REPO_AUTH_PENDING_COMMENT, codeOwner: PLACEHOLDER_CODE_OWNER },
    encryptedRegex: ENCRYPTED_REGEX,
    readmeMarkers: { start: README_ENVIRONMENTS_START, end: README_ENVIRONMENTS_END },
    checkerFile: FLEET_CHECKER_FILE,
    codeOwners: answers.codeOwners.length > 0 ? answers.codeOwners : [PLACEHOLDER_CODE_OWNER],
    packageVersion: packageVersion(),
    yaml: yamlScalar,
    quoted: doubleQuoted,
    json: (value: unknown) => JSON.stringify(value),
  };
}

type TemplateContext = ReturnType<typeof templateContext>;

/** Parses a rendered file back, so a template bug fails here and not in a cluster. */
export function assertParses(file: PlannedFile): void {
  if (file.path.endsWith('.json')) {
    try {
      JSON.parse(file.contents);
    } catch (error) {
      throw new Error(`Bug: ${file.path} is not valid JSON: ${(error as Error).message}`);
    }
  } else if (/\.ya?ml$/.test(file.path)) {
    // Syntax and duplicate keys read the same in YAML 1.1 and 1.2; the scalars that differ
    // between them are yamlScalar's job (and the tests parse every file in both).
    for (const document of parseAllDocuments(file.contents, { uniqueKeys: true, version: '1.1' })) {
      const [problem] = [...document.errors, ...document.warnings];
      if (problem) {
        throw new Error(`Bug: ${file.path} does not parse as YAML: ${problem.message}`);
      }
    }
  }
}

function render(template: string, path: string, context: TemplateContext): PlannedFile {
  const file = { path, contents: renderTemplate(template, context) };
  assertParses(file);
  return file;
}

function planEnvironment(context: TemplateContext, environment: ResolvedEnvironment): PlannedFile[] {
  const environmentContext = { ...context, env: environment };
  return [
    ...environmentTemplates.map((each) => ({
      ...render(each.template, each.path(environment), environmentContext),
      ...('createOnly' in each ? { createOnly: true } : {}),
    })),
    ...iamDocuments.map(({ file, build }) => ({ path: `${environment.iamPath}/${file}`, contents: policyJson(build(environment)) })),
    ...(context.fleet.iac === 'terraform' ? planTerraformFiles(environment) : []),
  ];
}

/**
 * The files the generator writes for one environment of the fleet (clusters/, secrets/, iam/
 * and, with Terraform, terraform/): what `env add` writes and `env remove` takes out again.
 */
export function planEnvironmentFiles(answers: FleetAnswers, name: string): PlannedFile[] {
  const context = templateContext(answers);
  const environment = context.environments.find((each) => each.name === name);
  if (environment === undefined) {
    throw new Error(`Bug: ${name} is not an environment of the answers`);
  }
  return planEnvironment(context, environment);
}

/** The README section that lists the environments: the `env` generator replaces only this. */
export function planReadmeEnvironmentsSection(answers: FleetAnswers): string {
  return renderTemplate('README-environments.md.ejs', templateContext(answers));
}

/** The whole fleet repository, in a stable order. */
export function planFleet(answers: FleetAnswers): PlannedFile[] {
  const context = templateContext(answers);
  return [
    ...fleetFiles.map(({ template, path }) => render(template, path, context)),
    { path: FLEET_CHECKER_FILE, contents: readShippedChecker() },
    ...context.environments.flatMap((environment) => planEnvironment(context, environment)),
  ];
}

/** What the stored answers generate (none when they do not validate), to tell files still as generated from the user's edits. */
export function planStoredFleet(stored: RawAnswers): PlannedFile[] {
  try {
    return planFleet(validateAnswers(stored, () => ''));
  } catch {
    return [];
  }
}

/** What a re-run leaves alone and says so: a fleet switched from Terraform to `iac: none` keeps its terraform/ folder. */
export function findRerunNotes(stored: RawAnswers, answers: FleetAnswers): string[] {
  return stored.iac === 'terraform' && answers.iac === 'none'
    ? [`iac is now none: ${TERRAFORM_FOLDER}/ was left as it is (its state may still manage your AWS resources); remove it yourself once you no longer apply it.`]
    : [];
}

/** What `yo flux-sops:env` writes, computed and checked in full before anything is written. */
export interface AddEnvironmentPlan {
  readonly answers: FleetAnswers;
  readonly environment: ResolvedEnvironment;
  /** The new environment's files, written as the main generator would. */
  readonly files: PlannedFile[];
  /** Existing fleet files edited in place (the user's content kept). */
  readonly edits: PlannedFile[];
  /** Said to the user after writing: what was left alone and why. */
  readonly notes: string[];
  readonly warnings: string[];
  /** The stored environments list, existing entries byte for byte. */
  readonly storedEnvironments: unknown[];
}

/**
 * Adds one environment to a fleet: `stored` is the fleet's stored answers, `overrides` the new
 * environment's settings (already validated), `sopsText` and `readmeText` the current files
 * (null when missing). Throws a FluxSopsError naming the problem; nothing is written then.
 */
export function planAddEnvironment(
  stored: RawAnswers,
  name: unknown,
  overrides: Omit<EnvironmentAnswers, 'name'>,
  sopsText: string | null,
  readmeText: string | null,
): AddEnvironmentPlan {
  const fleet = validateAnswers(stored, () => 'the stored answers in .yo-rc.json lack it: run yo flux-sops in this folder to store it');
  const validName = validateEnvironmentName(name);
  const existing = fleet.environments.map((environment) => environment.name);
  if (validName !== true) {
    throw inputError([invalid('environment name', name, validName)]);
  }
  if (existing.includes(name as string)) {
    throw inputError([invalid('environment name', name, `is already an environment of this fleet (${existing.join(', ')}): choose another name`)]);
  }
  const storedEntries = environmentEntriesOf(stored);
  const added: EnvironmentAnswers = { name: name as string, ...overrides };
  const answers = validateAnswers({ ...stored, environments: [...storedEntries, added] }, (input) => `give --${input}`);
  const environment = answers.environments.find((each) => each.name === name) as EnvironmentAnswers;
  const resolved = resolveEnvironment(answers, environment);

  if (sopsText === null) {
    throw new FluxSopsError('fleet', `${SOPS_CONFIG_FILE} is missing from this folder: the fleet keeps its creation rules there; nothing was written`);
  }
  const edits: PlannedFile[] = [{ path: SOPS_CONFIG_FILE, contents: addCreationRule(sopsText, sopsCreationRuleFor(resolved), sampleSecretPathsOf(resolved.name)) }];
  const notes: string[] = [];
  const readme = readmeText === null ? undefined : replaceReadmeEnvironmentsSection(readmeText, planReadmeEnvironmentsSection(answers));
  if (readme === undefined) {
    const row = planReadmeEnvironmentsSection({ ...answers, environments: [environment] })
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    notes.push(
      `${README_FILE} ${readmeText === null ? 'is missing' : 'no longer has its environments markers'}, so it was left as it is. Add this row to its environments table:\n${row.join('\n')}`,
    );
  } else {
    edits.push({ path: README_FILE, contents: readme });
  }
  return {
    answers,
    environment: resolved,
    files: planEnvironmentFiles(answers, resolved.name),
    edits,
    notes,
    warnings: findAnswerWarnings(answers, [environment]),
    storedEnvironments: [...storedEntries, toStoredEnvironment(answers, environment)],
  };
}

/**
 * The environments, kept from the stored answers, whose `.sops.yaml` rule names other master keys
 * now (a KMS key or a backup recipient added or removed): their sealed files must be re-wrapped.
 */
export function findRekeyedEnvironments(stored: RawAnswers, answers: FleetAnswers): string[] {
  let before: FleetAnswers;
  try {
    before = validateAnswers(stored, () => '');
  } catch {
    return [];
  }
  const keysOf = (fleet: FleetAnswers, environment: EnvironmentAnswers) => {
    const rule = sopsCreationRuleFor(resolveEnvironment(fleet, environment));
    return JSON.stringify([rule.kms, rule.age ?? '']);
  };
  return answers.environments
    .filter((environment) => {
      const previous = before.environments.find((each) => each.name === environment.name);
      return previous !== undefined && keysOf(before, previous) !== keysOf(answers, environment);
    })
    .map((environment) => environment.name);
}

/** What a re-run that changed master keys ends with: re-wrap the sealed files of those environments, not the bootstrap again. */
export function rekeySteps(root: string, environments: readonly string[]): string {
  return [
    '',
    `The fleet in ${root}: the master keys of ${environments.join(', ')} changed in .sops.yaml.`,
    'Next:',
    `  1. Re-wrap the sealed files for the new keys: flux-sops updatekeys ${environments.join(' ')} (it decrypts first: it needs the decrypt policy, or a backup age identity).`,
    '  2. flux-sops check, then git commit and git push.',
    '',
  ].join('\n');
}

/** What a generation ends with: where the fleet is, and the next three steps. */
export function nextSteps(answers: FleetAnswers, root: string, added?: string): string {
  const environments = added === undefined ? answers.environments.map((environment) => environment.name) : [added];
  const first = environments[0] ?? '<env>';
  const awsSide = answers.iac === 'terraform' ? `terraform -chdir=terraform/${first} init && terraform -chdir=terraform/${first} apply` : `the aws commands of README.md for ${first}`;
  return [
    '',
    added === undefined
      ? `The fleet in ${root}: ${environments.join(', ')}.`
      : `Added the environment ${added} to the fleet in ${root}.`,
    "Next (README.md has every command with this fleet's values):",
    `  1. Create the KMS key and IAM role of each environment (${awsSide}), then git commit and git push.`,
    `  2. Bootstrap each cluster: flux bootstrap git --url=<this repository> --path=clusters/${first}`,
    `  3. Seal the Git credentials: flux-sops secret git ${first}; then flux-sops check.`,
    '',
  ].join('\n');
}
