// The pure planning step: validated answers (and, for edits, the current texts of the files
// edited) in, the files of the fleet out. Nothing here touches the disk; the generators and the
// CLI only gather input, call these, and hand the result to Yeoman's file system.
import { parseAllDocuments } from 'yaml';
import { FluxSopsError, inputError, invalid } from '../errors.js';
import { packageVersion } from '../version.js';
import { addCreationRule } from './sops-config.js';
import type { CreationRule } from '../sops/rules.js';
import { type IamEnvironment, kmsDecryptPolicyOf, kmsEncryptPolicyOf, policyJson, trustPolicyOf } from './iam.js';
import {
  type EnvironmentAnswers,
  type FleetAnswers,
  type RawAnswers,
  environmentEntriesOf,
  findAnswerWarnings,
  roleNameOf,
  toStoredEnvironment,
  validateAnswers,
} from './answers.js';
import { defaultKmsKeyArn } from './inputs.js';
import {
  CLUSTERS_FOLDER,
  CODEOWNERS_FILE,
  DEFAULT_DECRYPTION_SERVICE_ACCOUNT,
  ENCRYPTED_REGEX,
  FLEET_CHECKER_FILE,
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
  MINIMUM_FLUX_VERSION,
  MINIMUM_KUBERNETES_VERSION,
  NOT_A_FLEET,
  README_FILE,
  SECRETS_KUSTOMIZATION,
  SOPS_CONFIG_FILE,
  TERRAFORM_FOLDER,
  TRUST_POLICY_FILE,
  clusterPathOf,
  pendingAuthCommentOf,
  iamPathOf,
  sampleSecretPathsOf,
  sealedSecretPathOf,
  secretsPathOf,
  sopsPathRegexFor,
  tenantRepositoryFolderOf,
  tenantSopsConfigOf,
  tenantsPathOf,
  terraformPathOf,
} from './layout.js';
import {
  type ResolvedTenant,
  type TenantAnswers,
  readTenants,
  resolveTenant,
  tenantInEnvironment,
  tenantsOf,
  toStoredTenant,
} from './tenants.js';
import { listResource } from './kustomization.js';
import { replaceReadmeEnvironmentsSection } from './readme-section.js';
import { readShippedChecker, renderTemplate } from './templates.js';
import { planTenantTerraformFile, planTerraformFiles } from './terraform.js';
import { tenantIamDocuments, tenantIdentityOf } from './tenant-identity.js';
import { parseKmsArn, partitionOf, validateEnvironmentName } from './validators.js';
import { doubleQuoted, yamlScalar } from './yaml-scalar.js';

export interface ResolvedEnvironment extends IamEnvironment {
  /** The fleet's break-glass recipients, then this environment's own. */
  readonly backupAgeRecipients: readonly string[];
  readonly clusterPath: string;
  readonly secretsPath: string;
  readonly iamPath: string;
  readonly terraformPath: string;
  readonly tenantsPath: string;
  readonly sopsPathRegex: string;
  /** The tenants of this environment, in the fleet's order. */
  readonly tenants: readonly ResolvedTenant[];
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
  {
    template: 'environment/gotk-components.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/gotk-components.yaml`,
    createOnly: true,
  },
  {
    template: 'environment/gotk-sync.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/gotk-sync.yaml`,
    createOnly: true,
  },
  {
    template: 'environment/flux-system-kustomization.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/flux-system/kustomization.yaml`,
  },
  {
    template: 'environment/tenant-lockdown.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/${TENANT_LOCKDOWN_FILE}`,
    when: (env: ResolvedEnvironment) => env.identity === 'pod-identity',
  },
  {
    template: 'environment/tenants-sync.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/tenants.yaml`,
  },
  {
    template: 'environment/secrets-sync.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.clusterPath}/secrets.yaml`,
  },
  // The listing of the tenant folders: `tenant add` edits it as a document.
  {
    template: 'environment/tenants-kustomization.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.tenantsPath}/kustomization.yaml`,
  },
  // Written once: `flux-sops secret` then lists what it seals here, and replaces the placeholders.
  {
    template: 'environment/secrets-kustomization.yaml.ejs',
    path: (env: ResolvedEnvironment) => `${env.secretsPath}/${SECRETS_KUSTOMIZATION}`,
    createOnly: true,
  },
] as const;

/** A tenant's files in one environment: its folder under tenants/<env>/, and its placeholder credentials. */
const tenantTemplates = [
  {
    template: 'tenant/kustomization.yaml.ejs',
    path: (tenant: ResolvedTenant) => `${tenant.folder}/kustomization.yaml`,
  },
  { template: 'tenant/rbac.yaml.ejs', path: (tenant: ResolvedTenant) => `${tenant.folder}/rbac.yaml` },
  { template: 'tenant/sync.yaml.ejs', path: (tenant: ResolvedTenant) => `${tenant.folder}/sync.yaml` },
  {
    template: 'environment/tenant-auth.yaml.ejs',
    path: (tenant: ResolvedTenant, env: ResolvedEnvironment) => sealedSecretPathOf(env.name, tenant.authName),
    createOnly: true,
  },
] as const;

/** Pod Identity environments: the admission policy that is their decryption lock. */
export const TENANT_LOCKDOWN_FILE = 'tenant-lockdown.yaml';

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
  const base = {
    name: environment.name,
    region: answers.region,
    partition,
    accountId,
    roleName,
    roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
    clusterName: environment.clusterName ?? environment.name,
    clusterArn:
      `arn:${partition}:eks:${answers.region}:${accountId}:cluster/` + (environment.clusterName ?? environment.name),
    identity: environment.identity ?? answers.identity,
    kmsKeyArn,
    kmsKey,
    kmsKeyGiven:
      environment.kmsKeyArn !== undefined &&
      environment.kmsKeyArn !== defaultKmsKeyArn(answers.region, accountId, environment.name),
    oidcIssuer,
    oidcIssuerIsPlaceholder: environment.oidcIssuer === undefined,
    oidcProviderArn: `arn:${partition}:iam::${accountId}:oidc-provider/${oidcIssuer}`,
  } satisfies IamEnvironment;
  const tenants = tenantsOf(answers)
    .filter((tenant) => tenantInEnvironment(tenant, environment.name))
    .map((tenant) => {
      const resolved = resolveTenant(tenant, environment.name, answers.branch);
      return tenant.decryption === true
        ? { ...resolved, decryption: tenantIdentityOf(base, tenant, resolved.namespace, resolved.path) }
        : resolved;
    });
  return {
    ...base,
    backupAgeRecipients: [...new Set([...answers.backupAgeRecipients, ...(environment.backupAgeRecipients ?? [])])],
    clusterPath: clusterPathOf(environment.name),
    secretsPath: secretsPathOf(environment.name),
    iamPath: iamPathOf(environment.name),
    terraformPath: terraformPathOf(environment.name),
    tenantsPath: tenantsPathOf(environment.name),
    sopsPathRegex: sopsPathRegexFor(environment.name),
    tenants,
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
  const environments = answers.environments.map((each) => resolveEnvironment(answers, each));
  return {
    fleet: answers,
    /** The fleet region's partition: every ARN the README shows starts with arn:<partition>:. */
    partition: partitionOf(answers.region),
    environments,
    tenants: tenantsOf(answers),
    env: undefined as ResolvedEnvironment | undefined,
    tenant: undefined as ResolvedTenant | undefined,
    tenantName: undefined as string | undefined,
    tenantEnvironments: [] as {
      environment: ResolvedEnvironment;
      tenant: ResolvedTenant;
      folder: string;
      rule: CreationRule;
    }[],
    rules: environments.map(sopsCreationRuleFor),
    placeholder: {
      annotation: PLACEHOLDER_ANNOTATION,
      ciphertext: PLACEHOLDER_CIPHERTEXT,
      oidcId: PLACEHOLDER_OIDC_ID,
      pendingAuthOf: pendingAuthCommentOf,
      codeOwner: PLACEHOLDER_CODE_OWNER,
    },
    lock: {
      defaultDecryptionServiceAccount: DEFAULT_DECRYPTION_SERVICE_ACCOUNT,
      fluxVersion: MINIMUM_FLUX_VERSION,
      kubernetesVersion: MINIMUM_KUBERNETES_VERSION,
    },
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

/**
 * A tenant's files in one environment (its folder and its placeholder credentials; for a
 * decrypting tenant its IAM documents and Terraform file too), in a stable order.
 */
function planTenant(context: TemplateContext, environment: ResolvedEnvironment, tenant: ResolvedTenant): PlannedFile[] {
  const tenantContext = { ...context, env: environment, tenant };
  const identity = tenant.decryption;
  return [
    ...tenantTemplates.map((each) => ({
      ...render(each.template, each.path(tenant, environment), tenantContext),
      ...('createOnly' in each ? { createOnly: true } : {}),
    })),
    ...(identity === undefined
      ? []
      : [
          ...tenantIamDocuments.map(({ file, build }) => ({
            path: `${identity.iamPath}/${file}`,
            contents: policyJson(build(identity)),
          })),
          ...(context.fleet.iac === 'terraform' ? [planTenantTerraformFile(environment, tenant.name, identity)] : []),
        ]),
  ];
}

/** The `.sops.yaml` a decrypting tenant copies to its repository: one rule per environment of the tenant. */
function planTenantSopsConfig(context: TemplateContext, tenant: TenantAnswers): PlannedFile {
  const environments = context.environments.flatMap((environment) => {
    const resolved = environment.tenants.find((each) => each.name === tenant.name);
    return resolved?.decryption === undefined
      ? []
      : [
          {
            environment,
            tenant: resolved,
            folder: tenantRepositoryFolderOf(resolved.path),
            rule: resolved.decryption.sopsRule,
          },
        ];
  });
  return render('tenant-sops.yaml.ejs', tenantSopsConfigOf(tenant.name), {
    ...context,
    tenantName: tenant.name,
    tenantEnvironments: environments,
  });
}

/** The decrypting tenants' `.sops.yaml` files, in the fleet's order of tenants. */
function planTenantSopsConfigs(context: TemplateContext): PlannedFile[] {
  return context.tenants
    .filter((tenant) => tenant.decryption === true)
    .map((tenant) => planTenantSopsConfig(context, tenant));
}

function planEnvironment(context: TemplateContext, environment: ResolvedEnvironment): PlannedFile[] {
  const environmentContext = { ...context, env: environment };
  return [
    ...environmentTemplates
      .filter((each) => !('when' in each) || each.when(environment))
      .map((each) => ({
        ...render(each.template, each.path(environment), environmentContext),
        ...('createOnly' in each ? { createOnly: true } : {}),
      })),
    ...environment.tenants.flatMap((tenant) => planTenant(context, environment, tenant)),
    ...iamDocuments.map(({ file, build }) => ({
      path: `${environment.iamPath}/${file}`,
      contents: policyJson(build(environment)),
    })),
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
    ...planTenantSopsConfigs(context),
    ...context.environments.flatMap((environment) => planEnvironment(context, environment)),
  ];
}

/**
 * What the stored answers generate (none when they do not validate), to tell files still as
 * generated from the user's edits.
 */
export function planStoredFleet(stored: RawAnswers): PlannedFile[] {
  try {
    return planFleet(validateAnswers(stored, () => ''));
  } catch {
    return [];
  }
}

/** The README section of the fleet, and of this project, with the manual move of a fleet from before tenants. */
export const PRE_TENANT_README_SECTION = 'Moving a fleet from before tenants';

/**
 * A fleet written before tenants existed (stored answers without tenants, and a
 * `clusters/<env>/apps.yaml`) is not migrated: removing `apps.yaml`, as a re-run would, prunes
 * every workload it applied. `exists` tells whether a fleet path is a file. Throws exit 2.
 */
export function refusePreTenantFleet(stored: RawAnswers, exists: (path: string) => boolean): void {
  if (Object.keys(stored).length === 0 || stored.tenants !== undefined) {
    return;
  }
  const names = environmentEntriesOf(stored).map((entry) =>
    typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : entry,
  );
  const old = names
    .filter((name): name is string => typeof name === 'string' && validateEnvironmentName(name) === true)
    .map((name) => `${CLUSTERS_FOLDER}/${name}/apps.yaml`)
    .filter(exists);
  if (old.length > 0) {
    throw new FluxSopsError(
      'fleet',
      `This fleet was written before tenants (${old.join(', ')}) and is not migrated automatically: removing ` +
        `apps.yaml would prune every workload it applied. ` +
        `Move it by hand as README.md of generator-flux-sops says ("${PRE_TENANT_README_SECTION}": ` +
        `spec.deletionPolicy: Orphan on the Kustomization apps first, then re-seal the credentials as apps-auth); ` +
        `nothing was written`,
    );
  }
}

/**
 * The stored answers of a fleet an environment or a tenant is added to: a 'fleet' error (exit 2)
 * when there are none (not a fleet) or the fleet is from before tenants (see refusePreTenantFleet).
 */
export function answersToAddTo(stored: RawAnswers, exists: (path: string) => boolean): RawAnswers {
  if (Object.keys(stored).length === 0) {
    throw new FluxSopsError('fleet', NOT_A_FLEET);
  }
  refusePreTenantFleet(stored, exists);
  return stored;
}

/**
 * Every file the planner writes for one tenant, in every environment of the fleet it belongs to:
 * what removing it deletes.
 */
export function tenantFilesOf(answers: FleetAnswers, tenant: string): string[] {
  const context = templateContext(answers);
  return [
    ...planTenantSopsConfigs(context).filter((file) => file.path === tenantSopsConfigOf(tenant)),
    ...context.environments.flatMap((environment) =>
      environment.tenants
        .filter((each) => each.name === tenant)
        .flatMap((each) => planTenant(context, environment, each)),
    ),
  ].map((file) => file.path);
}

/**
 * The bootstrap customization of an environment when its decrypting tenants change: a Pod
 * Identity environment gets `--feature-gates=ObjectLevelWorkloadIdentity=true` with its first
 * decrypting tenant and loses it with its last. Edited only while the file is as the fleet
 * `before` wrote it; otherwise a note says what to change.
 */
export function bootstrapChangeOf(
  before: FleetAnswers,
  after: FleetAnswers,
  environment: string,
  read: (path: string) => string | null,
): { edits: PlannedFile[]; notes: string[] } {
  const path = `${clusterPathOf(environment)}/flux-system/kustomization.yaml`;
  const bootstrapOf = (answers: FleetAnswers) =>
    planEnvironmentFiles(answers, environment).find((file) => file.path === path) as PlannedFile;
  const was = bootstrapOf(before);
  const now = bootstrapOf(after);
  if (now.contents === was.contents) {
    return { edits: [], notes: [] };
  }
  if (read(path) === was.contents) {
    return { edits: [now], notes: [] };
  }
  const change = now.contents.includes('ObjectLevelWorkloadIdentity') ? 'add' : 'remove';
  return {
    edits: [],
    notes: [
      `${path} differs from what flux-sops wrote, so it was left as it is: ${change} ` +
        `--feature-gates=ObjectLevelWorkloadIdentity=true on kustomize-controller there, or re-run flux-sops and ` +
        `accept the change.`,
    ],
  };
}

/**
 * What `yo flux-sops:tenant` and `flux-sops tenant add` write, computed and checked in full before
 * anything is written.
 */
export interface AddTenantPlan {
  readonly answers: FleetAnswers;
  readonly tenant: TenantAnswers;
  /** The tenant's environments, in the fleet's order. */
  readonly environments: string[];
  /** The tenant's files in each of its environments. */
  readonly files: PlannedFile[];
  /** Existing fleet files edited in place: the tenant listings of its environments, the README section. */
  readonly edits: PlannedFile[];
  readonly notes: string[];
  /** The stored tenants list, the new one last. */
  readonly storedTenants: unknown[];
}

/**
 * Adds one tenant to a fleet: `stored` is the fleet's stored answers, `entry` the new tenant as
 * given (name, repoUrl, …), `read` the current text of a fleet file (null when missing). A fleet
 * stored with the `repoUrl` shorthand gets its tenant `apps` listed explicitly. Throws a
 * FluxSopsError naming the problem; nothing is written then.
 */
export function planAddTenant(
  stored: RawAnswers,
  entry: Record<string, unknown>,
  read: (path: string) => string | null,
): AddTenantPlan {
  const fleet = validateAnswers(
    stored,
    () => 'the stored answers in .yo-rc.json lack it: run yo flux-sops in this folder to store it',
  );
  const existing = tenantsOf(fleet);
  const problems: string[] = [];
  const [tenant] =
    readTenants(
      [entry],
      fleet.environments.map((each) => each.name),
      problems,
      invalid,
    ) ?? [];
  if (tenant === undefined) {
    throw inputError(problems);
  }
  if (existing.some((each) => each.name === tenant.name)) {
    throw inputError([
      invalid(
        'tenant name',
        tenant.name,
        `is already a tenant of this fleet (${existing.map((each) => each.name).join(', ')}): choose another name`,
      ),
    ]);
  }
  const { repoUrl: _shorthand, ...rest } = stored;
  const answers = validateAnswers(
    { ...rest, tenants: [...existing.map(toStoredTenant), toStoredTenant(tenant)] },
    () => '',
  );
  const context = templateContext(answers);
  const environments: string[] = [];
  const files: PlannedFile[] = [];
  const edits: PlannedFile[] = [];
  const notes: string[] = [];
  for (const environment of context.environments) {
    const resolved = environment.tenants.find((each) => each.name === tenant.name);
    if (resolved === undefined) {
      continue;
    }
    const bootstrap = bootstrapChangeOf(fleet, answers, environment.name, read);
    edits.push(...bootstrap.edits);
    notes.push(...bootstrap.notes);
    environments.push(environment.name);
    const authPath = sealedSecretPathOf(environment.name, resolved.authName);
    if (read(authPath) !== null) {
      throw inputError([
        invalid(
          'tenant name',
          tenant.name,
          `its credentials ${authPath} already exist (a Secret ${resolved.authName}): choose another name, or move ` +
            `that Secret`,
        ),
      ]);
    }
    files.push(...planTenant(context, environment, resolved));
    const listingPath = `${environment.tenantsPath}/kustomization.yaml`;
    const listing = read(listingPath);
    if (listing === null) {
      files.push(render('environment/tenants-kustomization.yaml.ejs', listingPath, { ...context, env: environment }));
    } else {
      const edited = listResource(listing, tenant.name, listingPath);
      if (edited !== undefined) {
        edits.push({ path: listingPath, contents: edited });
      }
    }
  }
  if (files.length === 0) {
    throw inputError([
      invalid(
        `tenants.${tenant.name}.environments`,
        tenant.environments,
        'names none of the environments of this fleet',
      ),
    ]);
  }
  if (tenant.decryption === true) {
    files.unshift(planTenantSopsConfig(context, tenant));
  }
  const readmeText = read(README_FILE);
  const readme =
    readmeText === null
      ? undefined
      : replaceReadmeEnvironmentsSection(readmeText, planReadmeEnvironmentsSection(answers));
  if (readme === undefined) {
    notes.push(
      `${README_FILE} ${readmeText === null ? 'is missing' : 'no longer has its environments markers'}, so it was ` +
        `left as it is: its tenants table lacks ${tenant.name}.`,
    );
  } else if (readme !== readmeText) {
    edits.push({ path: README_FILE, contents: readme });
  }
  return {
    answers,
    tenant,
    environments,
    files,
    edits,
    notes,
    storedTenants: (answers.tenants ?? []).map(toStoredTenant),
  };
}

/** What adding a tenant ends with: where, and the next steps (seal its credentials per environment). */
export function tenantNextSteps(plan: AddTenantPlan, root: string): string {
  const { environments, tenant } = plan;
  const steps = [
    ...environments.map(
      (environment) =>
        `flux-sops secret git ${environment} --tenant ${tenant.name}   # its own read-only token or deploy key`,
    ),
    ...(tenant.decryption === true
      ? [
          `its own key and role in each environment: README.md, step 5 of ${environments.join(', ')}` +
            (plan.answers.iac === 'terraform' ? ` (terraform/<env>/tenant-${tenant.name}.tf)` : ''),
          `give the tenant team ${tenantSopsConfigOf(tenant.name)} as the .sops.yaml of its repository, and its ` +
            `sealers iam/<env>/tenant-${tenant.name}/kms-encrypt-policy.json`,
        ]
      : []),
    'flux-sops check, then git add, commit and push.',
  ];
  return [
    '',
    `Added the tenant ${tenant.name} to the fleet in ${root}: ${environments.join(', ')}.`,
    'Next:',
    ...steps.map((step, index) => `  ${index + 1}. ${step}`),
    '',
  ].join('\n');
}

/**
 * What a re-run leaves alone and says so: a fleet switched from Terraform to `iac: none` keeps its
 * terraform/ folder.
 */
export function findRerunNotes(stored: RawAnswers, answers: FleetAnswers): string[] {
  return stored.iac === 'terraform' && answers.iac === 'none'
    ? [
        `iac is now none: ${TERRAFORM_FOLDER}/ was left as it is (its state may still manage your AWS resources); ` +
          `remove it yourself once you no longer apply it.`,
      ]
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
  read: (path: string) => string | null = () => null,
): AddEnvironmentPlan {
  const fleet = validateAnswers(
    stored,
    () => 'the stored answers in .yo-rc.json lack it: run yo flux-sops in this folder to store it',
  );
  const validName = validateEnvironmentName(name);
  const existing = fleet.environments.map((environment) => environment.name);
  if (validName !== true) {
    throw inputError([invalid('environment name', name, validName)]);
  }
  if (existing.includes(name as string)) {
    throw inputError([
      invalid(
        'environment name',
        name,
        `is already an environment of this fleet (${existing.join(', ')}): choose another name`,
      ),
    ]);
  }
  const storedEntries = environmentEntriesOf(stored);
  const added: EnvironmentAnswers = { name: name as string, ...overrides };
  const answers = validateAnswers({ ...stored, environments: [...storedEntries, added] }, (input) => `give --${input}`);
  const environment = answers.environments.find((each) => each.name === name) as EnvironmentAnswers;
  const resolved = resolveEnvironment(answers, environment);

  if (sopsText === null) {
    throw new FluxSopsError(
      'fleet',
      `${SOPS_CONFIG_FILE} is missing from this folder: the fleet keeps its creation rules there; nothing was written`,
    );
  }
  const edits: PlannedFile[] = [
    {
      path: SOPS_CONFIG_FILE,
      contents: addCreationRule(sopsText, sopsCreationRuleFor(resolved), sampleSecretPathsOf(resolved.name)),
    },
  ];
  const notes: string[] = [];
  const readme =
    readmeText === null
      ? undefined
      : replaceReadmeEnvironmentsSection(readmeText, planReadmeEnvironmentsSection(answers));
  if (readme === undefined) {
    const row = planReadmeEnvironmentsSection({ ...answers, environments: [environment] })
      .split('\n')
      .filter((line) => line.startsWith('| `'));
    notes.push(
      `${README_FILE} ${readmeText === null ? 'is missing' : 'no longer has its environments markers'}, so it was ` +
        `left as it is. Add this row to its environments table:\n${row.join('\n')}`,
    );
  } else {
    edits.push({ path: README_FILE, contents: readme });
  }
  const context = templateContext(answers);
  const files = planEnvironmentFiles(answers, resolved.name);
  // A decrypting tenant stored with "all" joins: its .sops.yaml gains the new environment's rule.
  for (const tenant of resolved.tenants) {
    if (tenant.decryption === undefined) {
      continue;
    }
    const path = tenantSopsConfigOf(tenant.name);
    const text = read(path);
    if (text === null) {
      files.push(
        planTenantSopsConfig(context, tenantsOf(answers).find((each) => each.name === tenant.name) as TenantAnswers),
      );
    } else {
      edits.push({ path, contents: addCreationRule(text, tenant.decryption.sopsRule, tenant.decryption.samplePaths) });
    }
  }
  return {
    answers,
    environment: resolved,
    files,
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

/**
 * What a re-run that changed master keys ends with: re-wrap the sealed files of those environments,
 * not the bootstrap again.
 */
export function rekeySteps(root: string, environments: readonly string[]): string {
  return [
    '',
    `The fleet in ${root}: the master keys of ${environments.join(', ')} changed in .sops.yaml.`,
    'Next:',
    `  1. Re-wrap the sealed files for the new keys: flux-sops updatekeys ${environments.join(' ')} (it decrypts ` +
      `first: it needs the decrypt policy, or a backup age identity).`,
    '  2. flux-sops check, then git commit and git push.',
    '',
  ].join('\n');
}

/** What a generation ends with: where the fleet is, and the next three steps. */
export function nextSteps(answers: FleetAnswers, root: string, added?: string): string {
  const environments = added === undefined ? answers.environments.map((environment) => environment.name) : [added];
  const first = environments[0] ?? '<env>';
  const awsSide =
    answers.iac === 'terraform'
      ? `terraform -chdir=terraform/${first} init && terraform -chdir=terraform/${first} apply`
      : `the aws commands of README.md for ${first}`;
  return [
    '',
    added === undefined
      ? `The fleet in ${root}: ${environments.join(', ')}.`
      : `Added the environment ${added} to the fleet in ${root}.`,
    "Next (README.md has every command with this fleet's values):",
    `  1. Create the KMS key and IAM role of each environment (${awsSide}), then git commit and git push.`,
    `  2. Bootstrap each cluster: flux bootstrap git --url=<this repository> --path=clusters/${first}`,
    `  3. Seal each tenant's Git credentials: flux-sops secret git ${first} --tenant <tenant>; then flux-sops check.`,
    '',
  ].join('\n');
}
