// A decrypting tenant's own identity in one environment (`decryption: true`): its KMS key
// (`alias/flux-sops/<env>/<tenant>`, or the key it gave), its IAM role `<environment's role>-<tenant>`
// that only the ServiceAccount flux-sops-decryptor of its namespace on that environment's cluster
// may assume, the IAM documents, and the rules of the `.sops.yaml` for its own repository.
// kustomize-controller decrypts its Kustomization as that ServiceAccount (object-level workload
// identity: a token issued for the ServiceAccount, exchanged with STS AssumeRoleWithWebIdentity for
// the role its eks.amazonaws.com/role-arn annotation names), on IRSA and Pod Identity clusters
// alike: the role trusts the cluster's IAM OIDC provider. Pure: no disk, no Yeoman.
import type { CreationRule } from '../sops/rules.js';
import {
  type IamEnvironment,
  type PolicyDocument,
  type PolicyReferences,
  kmsDecryptPolicyOf,
  kmsEncryptPolicyOf,
  webIdentityTrustPolicyOf,
} from './iam.js';
import {
  DEFAULT_DECRYPTION_SERVICE_ACCOUNT,
  ENCRYPTED_REGEX,
  KMS_DECRYPT_POLICY_FILE,
  KMS_ENCRYPT_POLICY_FILE,
  TRUST_POLICY_FILE,
  tenantIamPathOf,
  tenantPathRegexFor,
  tenantRepositoryFolderOf,
  tenantTerraformFileOf,
} from './layout.js';
import type { TenantAnswers } from './tenants.js';
import { type ParsedKmsArn, parseKmsArn } from './validators.js';

export interface TenantIdentity {
  /** The ServiceAccount of the tenant's namespace that decrypts its Kustomization: flux-sops-decryptor. */
  readonly serviceAccount: string;
  readonly namespace: string;
  /** The environment as its IAM documents see it, with the tenant's role and key in place of the environment's. */
  readonly iam: IamEnvironment;
  readonly roleName: string;
  readonly roleArn: string;
  /** The key its rule names: the tenant's `kmsKeyArns` entry, or the alias created for it. */
  readonly kmsKeyArn: string;
  readonly kmsKey: ParsedKmsArn;
  /** False: the key is `alias/flux-sops/<env>/<tenant>`, which Terraform (or the runbook) creates. */
  readonly kmsKeyGiven: boolean;
  /** `iam/<env>/tenant-<tenant>`: the same three documents as the environment's. */
  readonly iamPath: string;
  /** `terraform/<env>/tenant-<tenant>.tf` in the environment's module. */
  readonly terraformFile: string;
  /** Its rule in its own repository's `.sops.yaml`: the files under its path in this environment. */
  readonly sopsRule: CreationRule;
  /** Sample paths of files that rule covers, for placing it among other rules without shadowing. */
  readonly samplePaths: readonly string[];
}

/** The tenant's key when it gave none: an alias of its own under the fleet's prefix. */
export function defaultTenantKmsKeyArn(
  env: Pick<IamEnvironment, 'partition' | 'region' | 'accountId' | 'name'>,
  tenant: string,
): string {
  return `arn:${env.partition}:kms:${env.region}:${env.accountId}:alias/flux-sops/${env.name}/${tenant}`;
}

/** The tenant's role name in an environment: the environment's role, then `-<tenant>`. */
export function tenantRoleNameOf(environmentRoleName: string, tenant: string): string {
  return `${environmentRoleName}-${tenant}`;
}

/** The identity of a decrypting tenant in one environment; `path` is its path there (`<env>` replaced). */
export function tenantIdentityOf(
  env: IamEnvironment,
  tenant: TenantAnswers,
  namespace: string,
  path: string,
): TenantIdentity {
  const roleName = tenantRoleNameOf(env.roleName, tenant.name);
  const roleArn = `arn:${env.partition}:iam::${env.accountId}:role/${roleName}`;
  const given = tenant.kmsKeyArns?.[env.name];
  const kmsKeyArn = given ?? defaultTenantKmsKeyArn(env, tenant.name);
  const kmsKey = parseKmsArn(kmsKeyArn);
  if (!kmsKey) {
    throw new Error(`Bug: unvalidated KMS ARN reached the planner: ${kmsKeyArn}`);
  }
  const kmsKeyGiven = given !== undefined && given !== defaultTenantKmsKeyArn(env, tenant.name);
  return {
    serviceAccount: DEFAULT_DECRYPTION_SERVICE_ACCOUNT,
    namespace,
    iam: { ...env, roleName, roleArn, kmsKeyArn, kmsKey, kmsKeyGiven },
    roleName,
    roleArn,
    kmsKeyArn,
    kmsKey,
    kmsKeyGiven,
    iamPath: tenantIamPathOf(env.name, tenant.name),
    terraformFile: tenantTerraformFileOf(env.name, tenant.name),
    sopsRule: { path_regex: tenantPathRegexFor(path), encrypted_regex: ENCRYPTED_REGEX, kms: kmsKeyArn },
    samplePaths: [`${tenantRepositoryFolderOf(path)}/secret.yaml`, `${tenantRepositoryFolderOf(path)}/any/secret.yml`],
  };
}

/** Who may assume the tenant's role: its flux-sops-decryptor on this environment's cluster, and nothing else. */
export function tenantTrustPolicyOf(identity: TenantIdentity, references: PolicyReferences = {}): PolicyDocument {
  return webIdentityTrustPolicyOf(
    identity.iam,
    { sid: 'FluxSopsTenantDecryptor', namespace: identity.namespace, serviceAccount: identity.serviceAccount },
    references,
  );
}

/** The tenant's IAM documents, under iam/<env>/tenant-<tenant>/, with the environment's file names. */
export const tenantIamDocuments = [
  { file: TRUST_POLICY_FILE, build: (identity: TenantIdentity) => tenantTrustPolicyOf(identity) },
  { file: KMS_DECRYPT_POLICY_FILE, build: (identity: TenantIdentity) => kmsDecryptPolicyOf(identity.iam) },
  { file: KMS_ENCRYPT_POLICY_FILE, build: (identity: TenantIdentity) => kmsEncryptPolicyOf(identity.iam) },
] as const;
