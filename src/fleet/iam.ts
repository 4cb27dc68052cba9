// The IAM and KMS policy documents of an environment (trust, decrypt, encrypt, key policy), built
// as objects: the iam/<env>/ JSON files and the Terraform module both come from here.
import type { ParsedKmsArn } from './validators.js';

/** What the IAM documents of one environment depend on; the planner resolves one per environment. */
export interface IamEnvironment {
  /** Environment name (DNS-1123 label). */
  readonly name: string;
  /** The fleet's region (Terraform provider region). */
  readonly region: string;
  /** Partition of that region: 'aws' | 'aws-cn' | 'aws-us-gov'. */
  readonly partition: string;
  /** This environment's AWS account (may differ per environment). */
  readonly accountId: string;
  /** This environment's exact IAM role name. */
  readonly roleName: string;
  readonly roleArn: string;
  /** EKS cluster name of this environment. */
  readonly clusterName: string;
  /**
   * arn:<p>:eks:<region>:<account>:cluster/<clusterName>: unique, unlike the name (unique per account
   * and region only).
   */
  readonly clusterArn: string;
  readonly identity: 'irsa' | 'pod-identity';
  /** As given, or the default alias ARN arn:<p>:kms:<region>:<account>:alias/flux-sops-<env>. */
  readonly kmsKeyArn: string;
  readonly kmsKey: ParsedKmsArn;
  /** False: the key is the default alias, which Terraform creates (key + alias). */
  readonly kmsKeyGiven: boolean;
  /** IRSA: 'oidc.eks.<region>.amazonaws.com/id/<ID>' (no https://), possibly with a placeholder ID. */
  readonly oidcIssuer: string;
  readonly oidcIssuerIsPlaceholder: boolean;
  /** arn:<p>:iam::<account>:oidc-provider/<issuer> */
  readonly oidcProviderArn: string;
}

/**
 * Values a caller knows better than the planner's strings, put in their place: Terraform passes
 * its own expressions (`hclReference` tokens), so the JSON file and the Terraform resource are
 * one document. `kmsKeyArn` must yield the key's own ARN, never an alias: the statements then
 * name the key itself.
 */
export interface PolicyReferences {
  readonly oidcIssuer?: string;
  readonly oidcProviderArn?: string;
  readonly clusterArn?: string;
  readonly roleArn?: string;
  readonly kmsKeyArn?: string;
}

// Types rather than interfaces: object types with index signatures accept them (the HCL writer).
export type PolicyCondition = { readonly [operator: string]: { readonly [key: string]: string } };

export type PolicyStatement = {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Principal?: { readonly [kind: string]: string };
  readonly Action: string | readonly string[];
  readonly Resource?: string;
  readonly Condition?: PolicyCondition;
};

export type PolicyDocument = {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
};

/** The one way a policy document becomes a file: two-space JSON and a final newline. */
export function policyJson(document: PolicyDocument): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

const POLICY_VERSION = '2012-10-17';
/** Where Flux's kustomize-controller runs, and the ServiceAccount that decrypts. */
export const FLUX_NAMESPACE = 'flux-system';
export const FLUX_SERVICE_ACCOUNT = 'kustomize-controller';
const EKS_POD_IDENTITY_SERVICE = 'pods.eks.amazonaws.com';
const STS_AUDIENCE = 'sts.amazonaws.com';
// sops wraps and unwraps data keys with kms:Encrypt and kms:Decrypt only (getsops/sops
// kms/keysource.go); kustomize-controller decrypts through that same key source. No tool in the
// chain calls kms:DescribeKey, so no policy grants it.
const DECRYPT_ACTIONS = ['kms:Decrypt'] as const;
const ENCRYPT_ACTIONS = ['kms:Encrypt'] as const;

/**
 * Who may assume the environment's role: with IRSA, kustomize-controller's ServiceAccount through
 * the cluster's OIDC provider; with Pod Identity, the EKS Pod Identity service for that
 * ServiceAccount of this environment's cluster only (without the cluster condition, any cluster
 * of the account could be associated with this role). The cluster is named by its ARN, a session
 * tag EKS sets beside the name: a name is unique only within one account and region.
 */
export function trustPolicyOf(env: IamEnvironment, references: PolicyReferences = {}): PolicyDocument {
  if (env.identity === 'pod-identity') {
    return {
      Version: POLICY_VERSION,
      Statement: [
        {
          Sid: 'FluxKustomizeControllerPodIdentity',
          Effect: 'Allow',
          Principal: { Service: EKS_POD_IDENTITY_SERVICE },
          Action: ['sts:AssumeRole', 'sts:TagSession'],
          Condition: {
            StringEquals: {
              'aws:RequestTag/eks-cluster-arn': references.clusterArn ?? env.clusterArn,
              'aws:RequestTag/kubernetes-namespace': FLUX_NAMESPACE,
              'aws:RequestTag/kubernetes-service-account': FLUX_SERVICE_ACCOUNT,
            },
          },
        },
      ],
    };
  }
  return webIdentityTrustPolicyOf(
    env,
    { sid: 'FluxKustomizeControllerIRSA', namespace: FLUX_NAMESPACE, serviceAccount: FLUX_SERVICE_ACCOUNT },
    references,
  );
}

/** The one Kubernetes ServiceAccount a web-identity trust policy admits. */
export interface WebIdentitySubject {
  readonly sid: string;
  readonly namespace: string;
  readonly serviceAccount: string;
}

/**
 * Who may assume a role through the cluster's IAM OIDC provider (IRSA, and Flux's object-level
 * workload identity, which is STS AssumeRoleWithWebIdentity with a token issued for the
 * ServiceAccount): that one ServiceAccount of this environment's cluster, for STS only.
 */
export function webIdentityTrustPolicyOf(
  env: IamEnvironment,
  subject: WebIdentitySubject,
  references: PolicyReferences = {},
): PolicyDocument {
  const issuer = references.oidcIssuer ?? env.oidcIssuer;
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: subject.sid,
        Effect: 'Allow',
        Principal: { Federated: references.oidcProviderArn ?? env.oidcProviderArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: {
          StringEquals: {
            [`${issuer}:aud`]: STS_AUDIENCE,
            [`${issuer}:sub`]: `system:serviceaccount:${subject.namespace}:${subject.serviceAccount}`,
          },
        },
      },
    ],
  };
}

/**
 * The statement part that names the environment's key. IAM cannot authorise on an alias ARN:
 * for an alias, every key of that account and region, on condition that it carries the alias.
 */
function kmsKeyScopeOf(
  env: IamEnvironment,
  references: PolicyReferences,
): Pick<PolicyStatement, 'Resource' | 'Condition'> {
  if (references.kmsKeyArn !== undefined) {
    return { Resource: references.kmsKeyArn };
  }
  const key = env.kmsKey;
  if (key.resource === 'key') {
    return { Resource: env.kmsKeyArn };
  }
  return {
    Resource: `arn:${key.partition}:kms:${key.region}:${key.accountId}:key/*`,
    Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': key.id } },
  };
}

/** What the environment's role may do: decrypt with that environment's key, nothing else. */
export function kmsDecryptPolicyOf(env: IamEnvironment, references: PolicyReferences = {}): PolicyDocument {
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'DecryptFluxSopsSecrets',
        Effect: 'Allow',
        Action: [...DECRYPT_ACTIONS],
        ...kmsKeyScopeOf(env, references),
      },
    ],
  };
}

/**
 * What a person or CI job that seals needs: encrypt with that key, never decrypt (sealing must not
 * let anyone read).
 */
export function kmsEncryptPolicyOf(env: IamEnvironment, references: PolicyReferences = {}): PolicyDocument {
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'EncryptFluxSopsSecrets',
        Effect: 'Allow',
        Action: [...ENCRYPT_ACTIONS],
        ...kmsKeyScopeOf(env, references),
      },
    ],
  };
}

/**
 * The key policy of a key Terraform creates for the environment: the account root keeps full
 * control (so the account's IAM policies apply and the key can never become unmanageable), and
 * the environment's role may decrypt. In a key policy, Resource "*" means this key.
 */
export function kmsKeyPolicyOf(env: IamEnvironment, references: PolicyReferences = {}): PolicyDocument {
  return {
    Version: POLICY_VERSION,
    Statement: [
      {
        Sid: 'AccountRootFullControl',
        Effect: 'Allow',
        Principal: { AWS: `arn:${env.partition}:iam::${env.accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'FluxRoleDecrypts',
        Effect: 'Allow',
        Principal: { AWS: references.roleArn ?? env.roleArn },
        Action: [...DECRYPT_ACTIONS],
        Resource: '*',
      },
    ],
  };
}
