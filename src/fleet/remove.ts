// `flux-sops env remove <name>` and `flux-sops tenant remove <name>`, the pure planning steps: the
// stored answers and the current texts of the environment's files in, what to delete, what needs
// `--force`, the edits of `.sops.yaml`, the README and `.yo-rc.json`, and the AWS clean-up to print
// out. The files the generator writes for an environment come from the same planner that writes
// them (planEnvironmentFiles), so removal deletes exactly those and the Secrets sealed beside them.
import { parse } from 'yaml';
import { describeValue, FluxSopsError } from '../errors.js';
import { isPlaceholder, sopsMetadataOf } from './sealed-file.js';
import { removeCreationRule } from './sops-config.js';
import { FLUX_NAMESPACE, FLUX_SERVICE_ACCOUNT } from './iam.js';
import { environmentEntriesOf, type FleetAnswers, type RawAnswers, validateAnswers } from './answers.js';
import {
  CLUSTERS_FOLDER,
  IAM_FOLDER,
  NOT_A_FLEET_FOLDER,
  parseStoredAnswersFile,
  type PlannedFile,
  README_FILE,
  SECRETS_FOLDER,
  SECRETS_KUSTOMIZATION,
  secretsPathOf,
  TENANTS_FOLDER,
  tenantAuthNameOf,
  tenantFolderOf,
  tenantsPathOf,
  SOPS_CONFIG_FILE,
  STORAGE_NAME,
  STORED_ANSWERS_FILE,
  sopsPathRegexFor,
  tenantSopsConfigOf,
  terraformPathOf,
} from './layout.js';
import type { TenantIdentity } from './tenant-identity.js';
import {
  bootstrapChangeOf,
  planEnvironmentFiles,
  planFleet,
  planReadmeEnvironmentsSection,
  resolveEnvironment,
  tenantFilesOf,
} from './plan.js';
import { replaceReadmeEnvironmentsSection } from './readme-section.js';
import { namespaceOf, type TenantAnswers, tenantInEnvironment, tenantsOf } from './tenants.js';
import { unlistResource } from './kustomization.js';
import { plural } from '../text.js';

/** The folders of an environment that removal looks into (terraform/<env>/ is kept: see cleanup). */
export function removableFoldersOf(environment: string): string[] {
  return [CLUSTERS_FOLDER, TENANTS_FOLDER, SECRETS_FOLDER, IAM_FOLDER].map((folder) => `${folder}/${environment}`);
}

export interface EnvironmentRemovalPlan extends ClassifiedFiles {
  readonly environment: string;
  /** `.sops.yaml`, README.md and `.yo-rc.json` without the environment. */
  readonly edits: PlannedFile[];
  /** Said after removing: what was left alone and why. */
  readonly notes: string[];
  /** The AWS clean-up, printed and never run. */
  readonly cleanup: string[];
}

/** The files `flux bootstrap` fills in: their content is Flux's, not the user's. */
const BOOTSTRAP_FILES = /\/flux-system\/gotk-(components|sync)\.yaml$/;

/**
 * Whether a kustomization differs from the generated one only as `flux-sops secret` changes it:
 * more resources, each a sealed Secret of the folder (comments aside, everything else equal).
 */
function onlyListsSealed(current: string, generated: string, sealed: readonly string[]): boolean {
  try {
    const { resources: listed = [], ...rest } = (parse(current) ?? {}) as { resources?: unknown[] };
    const { resources: written = [], ...restWritten } = (parse(generated) ?? {}) as { resources?: unknown[] };
    return (
      JSON.stringify(rest) === JSON.stringify(restWritten) &&
      listed.every((each) => written.includes(each) || sealed.includes(String(each)))
    );
  } catch {
    return false;
  }
}

function storedAnswersOf(storedAnswersText: string | null): { file: Record<string, unknown>; stored: RawAnswers } {
  const { document, answers } =
    storedAnswersText === null
      ? { document: undefined, answers: undefined }
      : parseStoredAnswersFile(storedAnswersText, STORED_ANSWERS_FILE, '; nothing was removed');
  if (typeof answers !== 'object' || answers === null || Array.isArray(answers)) {
    throw new FluxSopsError('fleet', `${NOT_A_FLEET_FOLDER}: nothing was removed`);
  }
  return { file: document as Record<string, unknown>, stored: answers as RawAnswers };
}

function nameOfEntry(entry: unknown): unknown {
  return typeof entry === 'object' && entry !== null ? (entry as { name?: unknown }).name : entry;
}

/** A stored tenant entry without `environment` in its list of environments. */
function withoutEnvironment(entry: unknown, environment: string): unknown {
  const environments =
    typeof entry === 'object' && entry !== null ? (entry as { environments?: unknown }).environments : undefined;
  return Array.isArray(environments)
    ? { ...(entry as object), environments: environments.filter((each) => each !== environment) }
    : entry;
}

/** What to run in AWS once the environment is gone from Git: printed, never run. */
function cleanupOf(answers: FleetAnswers, name: string): string[] {
  const environment = resolveEnvironment(
    answers,
    answers.environments.find((each) => each.name === name) as FleetAnswers['environments'][number],
  );
  const steps = [`On the ${name} cluster: flux uninstall (or delete the cluster), before its role goes.`];
  if (answers.iac === 'terraform') {
    const folder = terraformPathOf(name);
    return [
      ...steps,
      `${folder}/ was kept: it (and its Terraform state) manages the environment's key and role. Then:`,
      `  1. In ${folder}/main.tf` +
        (environment.tenants.some((tenant) => tenant.decryption !== undefined)
          ? ' and its tenant-<tenant>.tf files'
          : '') +
        ', set prevent_destroy = false on the KMS key wherever it says prevent_destroy = true ' +
        '(the key is protected from destroy).',
      `  2. terraform -chdir=${folder} init && terraform -chdir=${folder} destroy`,
      '     (deletes the role and policies; a key the module created is scheduled for deletion after its 30-day ' +
        'window, a given key is left alone).',
      `  3. git rm -r ${folder} && git commit && git push`,
    ];
  }
  return [
    ...steps,
    ...(environment.identity === 'pod-identity'
      ? [
          `ASSOCIATION_ID=$(aws eks list-pod-identity-associations --region ${environment.region} ` +
            `--cluster-name ${environment.clusterName} --namespace ${FLUX_NAMESPACE} ` +
            `--service-account ${FLUX_SERVICE_ACCOUNT} --query 'associations[0].associationId' --output text)`,
          `aws eks delete-pod-identity-association --region ${environment.region} ` +
            `--cluster-name ${environment.clusterName} --association-id "$ASSOCIATION_ID"`,
        ]
      : []),
    `aws iam delete-role-policy --role-name ${environment.roleName} --policy-name flux-sops-decrypt`,
    `aws iam delete-role --role-name ${environment.roleName}`,
    `Remove the policy flux-sops-encrypt-${name} from the people and CI jobs that sealed for ${name}.`,
    ...keyCleanupOf(environment, 'KEY_ARN', [
      '  (last, once no file in Git history needs the key: aws kms cancel-key-deletion undoes it within the 30 days)',
    ]),
    ...environment.tenants.flatMap((tenant) =>
      tenant.decryption === undefined ? [] : tenantIdentityCleanupOf(tenant.name, tenant.decryption),
    ),
  ];
}

/** The AWS clean-up of a decrypting tenant's identity in one environment (without Terraform). */
function tenantIdentityCleanupOf(tenant: string, identity: TenantIdentity): string[] {
  return [
    `Tenant ${tenant}'s role and key in ${identity.iam.name}:`,
    `aws iam delete-role-policy --role-name ${identity.roleName} --policy-name flux-sops-decrypt`,
    `aws iam delete-role --role-name ${identity.roleName}`,
    ...keyCleanupOf(identity, 'TENANT_KEY_ARN'),
  ];
}

/**
 * The deletion of a key created for the fleet (its ARN in the shell variable `variable`, the alias
 * deleted, the key scheduled for deletion, then `after`), or the note that a given key is left alone.
 */
function keyCleanupOf(
  key: Pick<TenantIdentity, 'kmsKeyArn' | 'kmsKeyGiven' | 'kmsKey'>,
  variable: string,
  after: readonly string[] = [],
): string[] {
  const region = key.kmsKey.region;
  return key.kmsKeyGiven
    ? [
        `The key ${key.kmsKeyArn} was given, not created for this fleet: schedule its deletion only if ` +
          `nothing else uses it.`,
      ]
    : [
        `${variable}=$(aws kms describe-key --region ${region} --key-id ${key.kmsKeyArn} --query ` +
          `KeyMetadata.Arn --output text)`,
        `aws kms delete-alias --region ${region} --alias-name ${key.kmsKey.id}`,
        `aws kms schedule-key-deletion --region ${region} --key-id "$${variable}" --pending-window-in-days 30`,
        ...after,
      ];
}

/** The files of what is removed, sorted: each as the generator wrote it, sealed, edited, or never written by it. */
export interface ClassifiedFiles {
  /** Files as the generator wrote them (or as `flux bootstrap` filled them): deleted. */
  readonly unchanged: string[];
  /** Sealed Secrets under secrets/: deleted only with --force. */
  readonly sealed: string[];
  /** Files the generator wrote that were edited since: deleted only with --force. */
  readonly edited: string[];
  /** Files the generator never wrote: left where they are. */
  readonly foreign: string[];
}

/**
 * Sorts the current `files` for which `inScope` holds against what the generator writes
 * (`generated`, by path). A kustomization that only lists the sealed Secrets beside it is as
 * `flux-sops secret` left it, so it counts as unchanged.
 */
function classifyFiles(
  files: ReadonlyMap<string, string>,
  generated: ReadonlyMap<string, string>,
  inScope: (path: string) => boolean,
): ClassifiedFiles {
  const plan = { unchanged: [] as string[], sealed: [] as string[], edited: [] as string[], foreign: [] as string[] };
  for (const [path, text] of [...files].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))) {
    if (!inScope(path)) {
      continue;
    }
    const metadata = path.startsWith(`${SECRETS_FOLDER}/`) && /\.ya?ml$/.test(path) ? sopsMetadataOf(text) : 'none';
    // A file that looks sealed but cannot be read counts as sealed: kept unless --force.
    if (typeof metadata === 'object' && ('unreadable' in metadata || !isPlaceholder(metadata))) {
      plan.sealed.push(path);
    } else if (!generated.has(path)) {
      plan.foreign.push(path);
    } else if (generated.get(path) === text || BOOTSTRAP_FILES.test(path)) {
      plan.unchanged.push(path);
    } else {
      plan.edited.push(path);
    }
  }
  plan.edited = plan.edited.filter((path) => {
    const folder = path.slice(0, path.lastIndexOf('/') + 1);
    const sealedHere = plan.sealed
      .filter((each) => each.startsWith(folder) && !each.slice(folder.length).includes('/'))
      .map((each) => each.slice(folder.length));
    const listsOnlySealed =
      path.endsWith('/kustomization.yaml') &&
      onlyListsSealed(files.get(path) as string, generated.get(path) as string, sealedHere);
    if (listsOnlySealed) {
      plan.unchanged.push(path);
    }
    return !listsOnlySealed;
  });
  return plan;
}

/**
 * Plans the removal of environment `name`. `storedAnswersText` is `.yo-rc.json`; `files` holds
 * the current texts of `.sops.yaml`, README.md and every file under the environment's folders
 * (removableFoldersOf). Errors, before anything is removed: not a fleet or an unknown
 * environment ('fleet', exit 2), the last environment ('input', exit 2).
 */
export function planRemoveEnvironment(
  storedAnswersText: string | null,
  name: string,
  files: ReadonlyMap<string, string>,
): EnvironmentRemovalPlan {
  const { file, stored } = storedAnswersOf(storedAnswersText);
  const fleet = validateAnswers(
    stored,
    () => 'the stored answers in .yo-rc.json lack it: run yo flux-sops in this folder to store it',
  );
  const names = fleet.environments.map((each) => each.name);
  if (!names.includes(name)) {
    throw new FluxSopsError(
      'fleet',
      `Unknown environment ${describeValue(name)}: this fleet has ${names.join(', ')}; nothing was removed`,
    );
  }
  if (names.length === 1) {
    throw new FluxSopsError(
      'input',
      `${name} is the last environment of this fleet: a fleet keeps at least one (delete the repository instead); ` +
        `nothing was removed`,
    );
  }
  const lastOf = tenantsOf(fleet).filter(
    (tenant) =>
      Array.isArray(tenant.environments) && tenant.environments.length === 1 && tenant.environments[0] === name,
  );
  if (lastOf.length > 0) {
    const tenants = lastOf.map((tenant) => tenant.name);
    throw new FluxSopsError(
      'input',
      `${name} is the last environment of the tenant${tenants.length > 1 ? 's' : ''} ${tenants.join(', ')}: ` +
        `remove ${tenants.length > 1 ? 'them' : 'it'} first (flux-sops tenant remove <name>); nothing was removed`,
    );
  }
  const remaining = environmentEntriesOf(stored).filter((entry) => nameOfEntry(entry) !== name);
  // Every tenant stored with a list of environments loses this one ("all" needs no change).
  const storedTenants = Array.isArray(stored.tenants)
    ? { tenants: stored.tenants.map((entry: unknown) => withoutEnvironment(entry, name)) }
    : {};
  const afterStored = { ...stored, environments: remaining, ...storedTenants };
  const after = validateAnswers(afterStored, () => '');

  const generated = new Map(planEnvironmentFiles(fleet, name).map((each) => [each.path, each.contents]));
  const folders = removableFoldersOf(name);
  const plan = classifyFiles(files, generated, (path) => folders.some((folder) => path.startsWith(`${folder}/`)));

  const edits: PlannedFile[] = [];
  const notes: string[] = [];
  const sopsConfig = files.get(SOPS_CONFIG_FILE);
  const withoutRule = sopsConfig === undefined ? undefined : removeCreationRule(sopsConfig, sopsPathRegexFor(name));
  if (withoutRule === undefined) {
    notes.push(
      `${SOPS_CONFIG_FILE} has no rule with path_regex ${sopsPathRegexFor(name)}: it was left as it is (remove the ` +
        `rule for ${SECRETS_FOLDER}/${name}/ yourself, if any).`,
    );
  } else {
    edits.push({ path: SOPS_CONFIG_FILE, contents: withoutRule });
  }
  // Each decrypting tenant's .sops.yaml loses the environment's rule, as the fleet's does.
  const removed = resolveEnvironment(
    fleet,
    fleet.environments.find((each) => each.name === name) as FleetAnswers['environments'][number],
  );
  for (const tenant of removed.tenants) {
    const rule = tenant.decryption?.sopsRule.path_regex;
    if (rule === undefined) {
      continue;
    }
    const path = tenantSopsConfigOf(tenant.name);
    const text = files.get(path);
    const withoutTenantRule = text === undefined ? undefined : removeCreationRule(text, rule);
    if (withoutTenantRule === undefined) {
      notes.push(`${path} has no rule with path_regex ${rule}: it was left as it is.`);
    } else {
      edits.push({ path, contents: withoutTenantRule });
    }
  }
  const readme = files.get(README_FILE);
  const withoutSection =
    readme === undefined ? undefined : replaceReadmeEnvironmentsSection(readme, planReadmeEnvironmentsSection(after));
  if (withoutSection === undefined) {
    notes.push(
      `${README_FILE} ${readme === undefined ? 'is missing' : 'no longer has its environments markers'}: it was ` +
        `left as it is (remove the ${name} row and section yourself).`,
    );
  } else {
    edits.push({ path: README_FILE, contents: withoutSection });
  }
  // As data: every other stored answer, and the other environments' entries, as they were.
  const storedFile = { ...file, [STORAGE_NAME]: afterStored };
  edits.push({ path: STORED_ANSWERS_FILE, contents: `${JSON.stringify(storedFile, null, 2)}\n` });
  if (plan.foreign.length > 0) {
    notes.push(`Left in place, not written by flux-sops: ${plan.foreign.join(', ')}.`);
  }
  return { environment: name, ...plan, edits, notes, cleanup: cleanupOf(fleet, name) };
}

/** The line a removal starts its report with: `what` removed, how many files deleted (sealed ones), which updated. */
export function removalSummary(what: string, deleted: number, sealed: number, updated: readonly string[]): string {
  return (
    `Removed ${what}: ${plural(deleted, 'file')} deleted` +
    `${sealed > 0 ? ` (${plural(sealed, 'sealed Secret')})` : ''}; ${updated.join(', ')} updated.`
  );
}

/** The files the removal deletes: all of them with --force; without, there must be no sealed or edited file. */
export function filesToDelete(name: string, plan: ClassifiedFiles, force: boolean): string[] {
  const needForce = [...plan.sealed, ...plan.edited];
  if (needForce.length > 0 && !force) {
    throw new FluxSopsError(
      'conflict',
      [
        `${name} has files that are not as flux-sops wrote them, so nothing was removed:`,
        ...plan.sealed.map((path) => `  ${path}  (a sealed Secret)`),
        ...plan.edited.map((path) => `  ${path}  (edited)`),
        'Run again with --force to remove them too (Git history keeps what is removed).',
      ].join('\n'),
    );
  }
  return [...plan.unchanged, ...needForce].sort();
}

export interface TenantRemovalPlan extends ClassifiedFiles {
  readonly tenant: string;
  /** Its folders `tenants/<env>/<tenant>/`, emptied by the removal (files it did not write stay). */
  readonly folders: string[];
  /** The listings of its environments, README.md and `.yo-rc.json` without the tenant. */
  readonly edits: PlannedFile[];
  readonly notes: string[];
  readonly cleanup: string[];
}

/** What to do outside Git once the tenant is gone from it: printed, never run. */
function tenantCleanupOf(fleet: FleetAnswers, tenant: TenantAnswers, environments: readonly string[]): string[] {
  const identities = fleet.environments
    .filter((each) => environments.includes(each.name))
    .flatMap((each) =>
      resolveEnvironment(fleet, each).tenants.filter(
        (resolved) => resolved.name === tenant.name && resolved.decryption !== undefined,
      ),
    )
    .map((resolved) => resolved.decryption as TenantIdentity);
  const aws =
    identities.length === 0
      ? [`AWS: nothing to delete, ${tenant.name} has no key or role of its own (it does not decrypt).`]
      : fleet.iac === 'terraform'
        ? environments.map(
            (environment) =>
              `AWS: terraform -chdir=${terraformPathOf(environment)} apply deletes ${tenant.name}'s role there and ` +
              `schedules its key's deletion (30 days): the removed tenant-${tenant.name}.tf no longer protects it ` +
              `(prevent_destroy went with it); a given key is only forgotten.`,
          )
        : identities.flatMap((identity) => tenantIdentityCleanupOf(tenant.name, identity));
  return [
    `Once pushed, Flux prunes ${tenant.name} from ${environments.join(', ')}: its Kustomization, GitRepository, ` +
      `ServiceAccount and RoleBinding, and its namespace ${namespaceOf(tenant)} with everything in it.`,
    `At the Git host of ${tenant.repoUrl}: revoke the read-only deploy key or token ` +
      `that ${tenantAuthNameOf(tenant.name)} held.`,
    ...aws,
  ];
}

/**
 * Plans the removal of tenant `name`: `storedAnswersText` is `.yo-rc.json`, `read` the current
 * text of a fleet file (null when missing). It deletes the files tenantFilesOf lists for the
 * tenant and edits its environments' listings (`tenants/<env>/` and `secrets/<env>/`), the
 * README and the stored answers. Errors, before anything is removed: not a fleet or an unknown
 * tenant ('fleet', exit 2), the last tenant ('input', exit 2).
 */
export function planRemoveTenant(
  storedAnswersText: string | null,
  name: string,
  read: (path: string) => string | null,
): TenantRemovalPlan {
  const { file, stored } = storedAnswersOf(storedAnswersText);
  const fleet = validateAnswers(
    stored,
    () => 'the stored answers in .yo-rc.json lack it: run yo flux-sops in this folder to store it',
  );
  const tenants = tenantsOf(fleet);
  const tenant = tenants.find((each) => each.name === name);
  if (tenant === undefined) {
    throw new FluxSopsError(
      'fleet',
      `Unknown tenant ${describeValue(name)}: this fleet has ${tenants.map((each) => each.name).join(', ')}; ` +
        `nothing was removed`,
    );
  }
  if (tenants.length === 1) {
    throw new FluxSopsError(
      'input',
      `${name} is the last tenant of this fleet: a fleet keeps at least one (add another first: flux-sops tenant ` +
        `add <name> --repo-url <url>); nothing was removed`,
    );
  }
  // A fleet with two tenants or more stores them as a list: as data, the others' entries as they were.
  const afterStored = {
    ...stored,
    tenants: (stored.tenants as unknown[]).filter((entry) => nameOfEntry(entry) !== name),
  };
  const after = validateAnswers(afterStored, () => '');

  const paths = tenantFilesOf(fleet, name);
  const files = new Map<string, string>();
  for (const path of paths) {
    const text = read(path);
    if (text !== null) {
      files.set(path, text);
    }
  }
  const generated = new Map(
    planFleet(fleet)
      .filter((each) => paths.includes(each.path))
      .map((each) => [each.path, each.contents]),
  );
  const plan = classifyFiles(files, generated, () => true);

  const environments = fleet.environments
    .map((each) => each.name)
    .filter((environment) => tenantInEnvironment(tenant, environment));
  const edits: PlannedFile[] = [];
  const notes: string[] = [];
  for (const environment of environments) {
    for (const [listing, entry] of [
      [`${tenantsPathOf(environment)}/kustomization.yaml`, name],
      [`${secretsPathOf(environment)}/${SECRETS_KUSTOMIZATION}`, `${tenantAuthNameOf(name)}.yaml`],
    ] as const) {
      const text = read(listing);
      const edited = text === null ? undefined : unlistResource(text, entry, listing);
      if (edited !== undefined) {
        edits.push({ path: listing, contents: edited });
      }
    }
  }
  for (const environment of environments) {
    const bootstrap = bootstrapChangeOf(fleet, after, environment, read);
    edits.push(...bootstrap.edits);
    notes.push(...bootstrap.notes);
  }
  const readme = read(README_FILE);
  const withoutTenant =
    readme === null ? undefined : replaceReadmeEnvironmentsSection(readme, planReadmeEnvironmentsSection(after));
  if (withoutTenant === undefined) {
    notes.push(
      `${README_FILE} ${readme === null ? 'is missing' : 'no longer has its environments markers'}: it was left as ` +
        `it is (remove the ${name} row and sections yourself).`,
    );
  } else {
    edits.push({ path: README_FILE, contents: withoutTenant });
  }
  edits.push({
    path: STORED_ANSWERS_FILE,
    contents: `${JSON.stringify({ ...file, [STORAGE_NAME]: afterStored }, null, 2)}\n`,
  });
  return {
    tenant: name,
    ...plan,
    folders: environments.map((environment) => tenantFolderOf(environment, name)),
    edits,
    notes,
    cleanup: tenantCleanupOf(fleet, tenant, environments),
  };
}
