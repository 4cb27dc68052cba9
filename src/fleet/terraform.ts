// The Terraform root module of an environment (terraform/<env>/*.tf): its KMS key and alias or a
// lookup of the given key, its role with the trust and decrypt policies of iam.ts, the OIDC
// provider lookup or the Pod Identity association.
import { type HclValue, hclReference, hclString, hclValue } from './hcl.js';
import {
  FLUX_NAMESPACE,
  FLUX_SERVICE_ACCOUNT,
  type IamEnvironment,
  type PolicyReferences,
  kmsDecryptPolicyOf,
  kmsKeyPolicyOf,
  trustPolicyOf,
} from './iam.js';
import { type PlannedFile, tenantSopsConfigOf, terraformPathOf } from './layout.js';
import { type TenantIdentity, tenantTrustPolicyOf } from './tenant-identity.js';
import { renderTemplate } from './templates.js';

/**
 * hashicorp/aws 5.29.0 added aws_eks_pod_identity_association, and 5.30.0 retries IAM eventual
 * consistency errors when creating one (its CHANGELOG): this module creates the role and the
 * association in one apply. 7.x is not out, so not promised.
 */
export const AWS_PROVIDER_MINIMUM = '5.30';
export const AWS_PROVIDER_VERSION = `>= ${AWS_PROVIDER_MINIMUM}, < 7.0`;
/** 1.5 is the last version both Terraform and OpenTofu (forked from it) satisfy. */
export const TERRAFORM_VERSION = '>= 1.5.0';

/** The module's files, in the order they are planned. */
export const TERRAFORM_FILES = ['versions.tf', 'main.tf', 'variables.tf', 'outputs.tf'] as const;

/**
 * The Terraform expressions the policies refer to, as HCL reference tokens. The blocks that
 * declare them are in templates/terraform/main.tf.ejs (and variables.tf.ejs).
 */
const REFERENCES = {
  oidcIssuer: 'local.oidc_issuer',
  oidcProviderArn: 'data.aws_iam_openid_connect_provider.cluster.arn',
  clusterArn: 'local.cluster_arn',
  roleArn: 'aws_iam_role.kustomize_controller.arn',
  kmsKeyArn: 'local.kms_key_arn',
} as const satisfies Record<keyof PolicyReferences, string>;

/**
 * The values the templates also put into `#` comments: one line of printable ASCII each, so none
 * can end its comment.
 */
function assertCommentSafe(env: IamEnvironment): void {
  for (const value of [env.name, env.region, env.clusterName, env.kmsKey.accountId, env.kmsKey.region]) {
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw new Error(`Bug: unvalidated text reached a Terraform comment: ${JSON.stringify(value)}`);
    }
  }
}

function terraformContextOf(env: IamEnvironment) {
  assertCommentSafe(env);
  if (!env.kmsKeyGiven && env.kmsKey.resource !== 'alias') {
    throw new Error(
      `Bug: environment ${env.name} has no key given, but its default key is not an alias: ${env.kmsKeyArn}`,
    );
  }
  const references: PolicyReferences = Object.fromEntries(
    Object.entries(REFERENCES).map(([name, expression]) => [name, hclReference(expression)]),
  );
  const policy = (document: HclValue) => hclValue(document, 1);
  const issuerHost = `oidc\\.eks\\.${env.region}\\.amazonaws\\.com${env.partition === 'aws-cn' ? '\\.cn' : ''}`;
  const describeCluster =
    `aws eks describe-cluster --region ${env.region} --name ${env.clusterName} --query ` +
    `cluster.identity.oidc.issuer --output text`;
  return {
    env,
    irsa: env.identity === 'irsa',
    createsKey: !env.kmsKeyGiven,
    aliasName: env.kmsKey.id,
    keyAccountId: env.kmsKey.accountId,
    /** A given key outside the fleet's region is looked up through a second provider in its region. */
    keyProviderRegion: env.kmsKeyGiven && env.kmsKey.region !== env.region ? env.kmsKey.region : undefined,
    keyDescription: `SOPS key of the Flux environment ${env.name} (generator-flux-sops)`,
    roleDescription:
      `Flux kustomize-controller of EKS cluster ${env.clusterName} decrypts the SOPS Secrets of ` +
      `environment ${env.name}`,
    namespace: FLUX_NAMESPACE,
    serviceAccount: FLUX_SERVICE_ACCOUNT,
    oidcProviderUrl: `https://${hclReference(REFERENCES.oidcIssuer)}`,
    oidcIssuerDescription: `OIDC issuer of EKS cluster ${env.clusterName}: ${describeCluster}`,
    oidcIssuerPattern: `^(?:https://)?${issuerHost}/id/[A-Za-z0-9]{1,64}$`,
    oidcIssuerMessage:
      `The oidc_issuer must be the OIDC issuer of EKS cluster ${env.clusterName} in ${env.region}: ` +
      `oidc.eks.${env.region}.amazonaws.com${env.partition === 'aws-cn' ? '.cn' : ''}/id/<ID>, with or without ` +
      `https://.`,
    references: {
      kmsKeyArnSource: env.kmsKeyGiven ? 'data.aws_kms_key.sops.arn' : 'aws_kms_key.sops.arn',
    },
    policies: {
      trust: policy(trustPolicyOf(env, references)),
      decrypt: policy(kmsDecryptPolicyOf(env, references)),
      key: policy(kmsKeyPolicyOf(env, references)),
    },
    versions: { terraform: TERRAFORM_VERSION, aws: AWS_PROVIDER_VERSION, awsMinimum: AWS_PROVIDER_MINIMUM },
    string: hclString,
  };
}

/** The environment's Terraform root module: terraform/<env>/versions.tf, main.tf, variables.tf, outputs.tf. */
export function planTerraformFiles(env: IamEnvironment): PlannedFile[] {
  const context = terraformContextOf(env);
  return TERRAFORM_FILES.map((file) => ({
    path: `${terraformPathOf(env.name)}/${file}`,
    contents: renderTemplate(`terraform/${file}.ejs`, context),
  }));
}

/**
 * A decrypting tenant's file of the environment's module, terraform/<env>/tenant-<tenant>.tf: its
 * key (or the lookup of the one it gave), alias, role and decrypt policy; on an IRSA environment
 * it uses the module's OIDC provider lookup, on a Pod Identity one it looks the provider up itself.
 */
export function planTenantTerraformFile(env: IamEnvironment, tenant: string, identity: TenantIdentity): PlannedFile {
  assertCommentSafe(env);
  const irsa = env.identity === 'irsa';
  const resource = `tenant_${tenant}`;
  const createsKey = !identity.kmsKeyGiven;
  const keySource = `${createsKey ? 'aws_kms_key' : 'data.aws_kms_key'}.${resource}`;
  const names = {
    resource,
    decryptPolicy: `${resource}_decrypt`,
    issuerLocal: `${resource}_oidc_issuer`,
    keyProvider: `${resource}_kms`,
    keyId: `aws_kms_key.${resource}.key_id`,
    keyArn: `${keySource}.arn`,
    roleId: `aws_iam_role.${resource}.id`,
    roleArn: `aws_iam_role.${resource}.arn`,
  };
  const references: PolicyReferences = {
    oidcIssuer: hclReference(irsa ? REFERENCES.oidcIssuer : `local.${names.issuerLocal}`),
    oidcProviderArn: hclReference(
      irsa ? REFERENCES.oidcProviderArn : `data.aws_iam_openid_connect_provider.${resource}.arn`,
    ),
    roleArn: hclReference(names.roleArn),
    kmsKeyArn: hclReference(names.keyArn),
  };
  const policy = (document: HclValue) => hclValue(document, 1);
  const context = {
    env,
    tenant,
    identity,
    irsa,
    createsKey,
    names,
    /** A given key outside the fleet's region is looked up through a provider of its region. */
    keyProviderRegion:
      identity.kmsKeyGiven && identity.kmsKey.region !== env.region ? identity.kmsKey.region : undefined,
    clusterIssuer: `data.aws_eks_cluster.${resource}.identity[0].oidc[0].issuer`,
    sopsConfig: tenantSopsConfigOf(tenant),
    keyDescription: `SOPS key of tenant ${tenant} in the Flux environment ${env.name} (generator-flux-sops)`,
    roleDescription:
      `Flux kustomize-controller decrypts the SOPS files of tenant ${tenant} in ` +
      `environment ${env.name} as ${identity.namespace}/${identity.serviceAccount}`,
    policies: {
      trust: policy(tenantTrustPolicyOf(identity, references)),
      decrypt: policy(kmsDecryptPolicyOf(identity.iam, references)),
      key: policy(kmsKeyPolicyOf(identity.iam, references)),
    },
    string: hclString,
  };
  return { path: identity.terraformFile, contents: renderTemplate('terraform/tenant.tf.ejs', context) };
}
