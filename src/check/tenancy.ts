// The tenancy rules of `flux-sops check`: Flux's multi-tenancy lockdown and the decryption lock
// on every environment, Flux objects outside flux-system that name their ServiceAccount and no
// source of another namespace, no cluster-wide age identity, and Secrets sealed only for
// namespaces the fleet creates. Pure, over the facts gathered in one pass (facts.ts).
import { posix } from 'node:path';
import {
  CLUSTERS_FOLDER,
  DEFAULT_DECRYPTION_SERVICE_ACCOUNT,
  FLEET_NAMESPACE,
  FLEET_SERVICE_ACCOUNT,
  SECRETS_FOLDER,
  SOPS_CONFIG_FILE,
  TENANT_SOPS_CONFIG,
  TENANTS_FOLDER,
  environmentOfPath,
} from '../fleet/layout.js';
import { keyIdsOf, masterKeysOfRule } from '../sops/master-keys.js';
import type { CreationRule } from '../sops/rules.js';
import type { FleetFileParser } from './parse.js';
import type { FleetFacts, KustomizeConfig } from './facts.js';
import { type Finding, finding } from './findings.js';

/**
 * The lockdown flags of fluxcd/flux2-multi-tenancy
 * (clusters/production/flux-system/kustomization.yaml), by controller.
 */
const LOCKDOWN_FLAGS: Readonly<Record<string, readonly string[]>> = {
  'kustomize-controller': [
    '--no-cross-namespace-refs=true',
    '--no-remote-bases=true',
    '--default-service-account=default',
  ],
  'helm-controller': ['--no-cross-namespace-refs=true', '--default-service-account=default'],
  'notification-controller': ['--no-cross-namespace-refs=true'],
  'image-reflector-controller': ['--no-cross-namespace-refs=true'],
  'image-automation-controller': ['--no-cross-namespace-refs=true'],
};

/** The admission policy that is the decryption lock of EKS Pod Identity environments. */
export const DECRYPTION_POLICY = 'flux-sops-tenant-decryption';

/**
 * The names a patch target's `name` stands for: a plain name, or an alternation `(a|b|c)`.
 * Anything else is not read as a regular expression (fleet files are untrusted input): it
 * matches no controller, and the flags it adds count as missing.
 */
function targetNames(name: string | undefined): string[] {
  if (name === undefined) {
    return [];
  }
  const alternation = /^\(([a-z0-9|-]+)\)$/.exec(name);
  if (alternation) {
    return (alternation[1] ?? '').split('|');
  }
  return /^[a-z0-9-]+$/.test(name) ? [name] : [];
}

/** The values a kustomization's patches add to one kind and name. */
function valuesFor(config: KustomizeConfig, kind: string, name: string): string[] {
  return config.patches
    .filter((patch) => patch.targetKind === kind && targetNames(patch.targetName).includes(name))
    .flatMap((patch) => patch.values);
}

/** `clusters/<env>/flux-system/kustomization.yaml`: the bootstrap customization of an environment. */
function bootstrapEnvironmentOf(file: string): string | undefined {
  const place = environmentOfPath(file);
  return place?.folder === CLUSTERS_FOLDER &&
    file === `${CLUSTERS_FOLDER}/${place.environment}/flux-system/kustomization.yaml`
    ? place.environment
    : undefined;
}

function checkLockdown(facts: FleetFacts): Finding[] {
  const findings: Finding[] = [];
  for (const config of facts.kustomizeConfigs) {
    const environment = bootstrapEnvironmentOf(config.file);
    if (environment === undefined) {
      continue;
    }
    const missing = Object.entries(LOCKDOWN_FLAGS).flatMap(([controller, flags]) => {
      const given = valuesFor(config, 'Deployment', controller);
      return flags.filter((flag) => !given.includes(flag)).map((flag) => `${flag} on ${controller}`);
    });
    if (!valuesFor(config, 'Kustomization', 'flux-system').includes(FLEET_SERVICE_ACCOUNT)) {
      missing.push(`serviceAccountName: ${FLEET_SERVICE_ACCOUNT} on the Kustomization flux-system`);
    }
    if (missing.length > 0) {
      findings.push(
        finding(
          config.file,
          'lockdown-missing',
          `lacks Flux's multi-tenancy lockdown: ${missing.join(', ')}; without it a tenant's repository can reach ` +
            `other namespaces or run with the controllers' rights`,
          'restore the generated patches: flux-sops (a re-run reports your edits as a conflict; --force restores them)',
        ),
      );
    }
    const kustomizeController = valuesFor(config, 'Deployment', 'kustomize-controller');
    const flagLock =
      kustomizeController.some(
        (value) => value.startsWith('--feature-gates=') && value.includes('ObjectLevelWorkloadIdentity=true'),
      ) &&
      kustomizeController.some(
        (value) =>
          value.startsWith('--default-decryption-service-account=') &&
          value.length > '--default-decryption-service-account='.length,
      );
    if (!flagLock && !hasPolicyLock(facts, environment)) {
      findings.push(
        finding(
          config.file,
          'decryption-lock-missing',
          `${environment} has no decryption lock: a Kustomization with decryption and no ` +
            `decryption.serviceAccountName decrypts with kustomize-controller's own role, the one that opens every ` +
            `fleet ciphertext`,
          `IRSA: --feature-gates=ObjectLevelWorkloadIdentity=true and --default-decryption-service-account on ` +
            `kustomize-controller here; EKS Pod Identity: ${CLUSTERS_FOLDER}/${environment}/tenant-lockdown.yaml ` +
            `(flux-sops writes both)`,
        ),
      );
    }
  }
  return findings;
}

/**
 * A ValidatingAdmissionPolicy `flux-sops-tenant-decryption` (failurePolicy Fail) and a Deny
 * binding of it, under clusters/<env>/.
 */
function hasPolicyLock(facts: FleetFacts, environment: string): boolean {
  const here = facts.namedObjects.filter((each) => each.file.startsWith(`${CLUSTERS_FOLDER}/${environment}/`));
  const policy = here.some(
    (each) =>
      each.kind === 'ValidatingAdmissionPolicy' &&
      each.name === DECRYPTION_POLICY &&
      (each.failurePolicy ?? 'Fail') === 'Fail',
  );
  const binding = here.some(
    (each) =>
      each.kind === 'ValidatingAdmissionPolicyBinding' &&
      each.policyName === DECRYPTION_POLICY &&
      each.validationActions?.includes('Deny'),
  );
  return policy && binding;
}

function checkAgeSecret(facts: FleetFacts): Finding[] {
  return facts.kustomizeConfigs
    .filter((config) =>
      config.patches.some((patch) => patch.values.some((value) => value.startsWith('--sops-age-secret'))),
    )
    .map((config) =>
      finding(
        config.file,
        'sops-age-secret',
        'sets --sops-age-secret: kustomize-controller then imports that age identity for every Kustomization without ' +
          "a decryption secretRef, tenants' included",
        'remove the patch that adds --sops-age-secret; give a break-glass age identity as a backup recipient instead ' +
          '(backupAgeRecipients)',
      ),
    );
}

function checkFluxObjects(facts: FleetFacts): Finding[] {
  const findings: Finding[] = [];
  for (const object of facts.fluxObjects) {
    if (object.namespace !== FLEET_NAMESPACE && object.serviceAccountName === undefined) {
      findings.push(
        finding(
          object.file,
          'no-service-account',
          `${object.label} is outside ${FLEET_NAMESPACE} and names no spec.serviceAccountName: it would not run as ` +
            `its tenant's account`,
          "set spec.serviceAccountName to the tenant's ServiceAccount in its namespace",
        ),
      );
    }
    if (
      object.namespace !== FLEET_NAMESPACE &&
      object.decryption !== undefined &&
      object.decryption.serviceAccountName === undefined
    ) {
      findings.push(
        finding(
          object.file,
          'decryption-without-service-account',
          `${object.label} is outside ${FLEET_NAMESPACE} and decrypts (decryption.provider: sops) without ` +
            `decryption.serviceAccountName: kustomize-controller would decrypt it with its own identity, the one ` +
            `that opens the fleet's Secrets (or the decryption lock refuses it)`,
          `set decryption.serviceAccountName: ${DEFAULT_DECRYPTION_SERVICE_ACCOUNT}, the tenant's own decrypting ` +
            `account (flux-sops tenant add <tenant> --decryption writes it and its IAM role), or remove the ` +
            `decryption block`,
        ),
      );
    }
    const foreign = object.sourceNamespaces.filter((namespace) => namespace !== object.namespace);
    if (foreign.length > 0) {
      findings.push(
        finding(
          object.file,
          'cross-namespace-source',
          `${object.label} refers to a source in ${foreign.join(', ')}, another namespace than its own (the lockdown ` +
            `refuses it; dependsOn is allowed)`,
          'define the source in its own namespace and drop the namespace from the reference',
        ),
      );
    }
  }
  return findings;
}

/** A Secret under secrets/<env>/ sealed for a namespace the fleet does not create in that environment. */
function checkSecretNamespaces(facts: FleetFacts): Finding[] {
  const created = new Map<string, Set<string>>();
  for (const object of facts.namedObjects.filter((each) => each.kind === 'Namespace')) {
    const place = environmentOfPath(object.file);
    if (place && (place.folder === TENANTS_FOLDER || place.folder === CLUSTERS_FOLDER)) {
      created.set(place.environment, (created.get(place.environment) ?? new Set()).add(object.name));
    }
  }
  const findings: Finding[] = [];
  for (const secret of facts.sealedSecrets) {
    const place = environmentOfPath(secret.file);
    if (
      place?.folder !== SECRETS_FOLDER ||
      secret.namespace === undefined ||
      secret.namespace === FLEET_NAMESPACE ||
      created.get(place.environment)?.has(secret.namespace)
    ) {
      continue;
    }
    const known = [FLEET_NAMESPACE, ...(created.get(place.environment) ?? [])];
    findings.push(
      finding(
        secret.file,
        'secret-namespace-not-created',
        `${secret.label} is sealed for the namespace ${secret.namespace}, which the fleet does not create in ` +
          `${place.environment} (${known.join(', ')}): the "secrets" Kustomization would stall on it`,
        `seal it again for one of those namespaces (flux-sops secret generic ${place.environment} ` +
          `${posix.basename(secret.file).replace(/\.ya?ml$/, '')} --namespace <namespace> --force …), or add the ` +
          `tenant first (flux-sops tenant add)`,
      ),
    );
  }
  return findings;
}

/** The KMS ARNs a creation rule names. */
const kmsArnsOf = (rule: unknown): string[] => keyIdsOf(masterKeysOfRule(rule)).kms;

/** A tenant's alias, `alias/flux-sops/<env>/<tenant>` (an environment's is `alias/flux-sops-<env>`). */
const TENANT_ALIAS = /:alias\/flux-sops\/[^/]+\/[^/]+$/;

/** The KMS ARNs a `.sops.yaml` text names in its creation rules (none when it does not parse: reported elsewhere). */
function kmsArnsOfConfig(file: string, text: string, parse: FleetFileParser): string[] {
  const parsed = parse(file, text);
  const config = 'problem' in parsed ? undefined : parsed.documents[0];
  const rules =
    config !== null &&
    typeof config === 'object' &&
    !Array.isArray(config) &&
    Array.isArray((config as { creation_rules?: unknown }).creation_rules)
      ? (config as { creation_rules: unknown[] }).creation_rules
      : [];
  return rules
    .filter((rule): rule is CreationRule => rule !== null && typeof rule === 'object' && !Array.isArray(rule))
    .flatMap(kmsArnsOf);
}

/**
 * A decrypting tenant's key is its own: none of the fleet's rules may name it (the fleet's Secrets
 * would open to the tenant's role), and no tenant's rule may name a fleet key (the tenant's files
 * would be sealed for the fleet's identity, which its Kustomization cannot use). The tenants' keys
 * are those of tenants/<tenant>.sops.yaml, and any alias under alias/flux-sops/<env>/.
 */
export function checkTenantKeys(
  files: ReadonlyMap<string, string>,
  fleetRules: readonly CreationRule[],
  parse: FleetFileParser,
): Finding[] {
  const fleetKeys = new Set(fleetRules.flatMap(kmsArnsOf));
  const tenantKeys = new Map<string, string>();
  const findings: Finding[] = [];
  for (const [file, text] of files) {
    const tenant = TENANT_SOPS_CONFIG.exec(file)?.[1];
    if (tenant === undefined) {
      continue;
    }
    for (const arn of kmsArnsOfConfig(file, text, parse)) {
      tenantKeys.set(arn, tenant);
      // A tenant alias in both is the fleet rule's mistake, reported below.
      if (fleetKeys.has(arn) && !TENANT_ALIAS.test(arn)) {
        findings.push(
          finding(
            file,
            'tenant-key-shared',
            `names the fleet's key ${arn}: the tenant's files would be sealed for the fleet's identity, not for its ` +
              `own flux-sops-decryptor`,
            `use the tenant's own key of that environment (flux-sops regenerates ${file})`,
          ),
        );
      }
    }
  }
  for (const arn of fleetKeys) {
    // A key in both that is not a tenant alias was reported in the tenant's file above.
    if (TENANT_ALIAS.test(arn)) {
      const owner = tenantKeys.has(arn) ? `the key of tenant ${tenantKeys.get(arn)}` : 'a tenant key';
      findings.push(
        finding(
          SOPS_CONFIG_FILE,
          'tenant-key-shared',
          `names ${owner}, ${arn}: every file sealed by that rule would open to the tenant's role`,
          "name the environment's own key in its rule, then flux-sops updatekeys <env>",
        ),
      );
    }
  }
  return findings;
}

/** Every tenancy finding of a fleet. */
export function checkTenancy(facts: FleetFacts): Finding[] {
  return [
    ...checkLockdown(facts),
    ...checkAgeSecret(facts),
    ...checkFluxObjects(facts),
    ...checkSecretNamespaces(facts),
  ];
}
