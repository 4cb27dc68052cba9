import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  assertSopsRules,
  buildKustomizeFolders,
  FLUX_CONTROLLERS,
  requireKubectl,
  validateObjects,
} from './fleet-checks.js';
import {
  assertMatchesGolden,
  exampleAnswers,
  projectRoot,
  readTree,
  runFleetGenerator,
  TENANTS_ANSWERS,
  type Tree,
  writeAnswersFile,
} from './support.js';

// Break-glass recipients: public keys of identities made for these tests (age-keygen -y).
const BACKUP = 'age1q3uh32wvcqqk96yskj4x05w7ymapfx2vykz9j85augt5wktyne8qz533tq';
const PRODUCTION_BACKUP = 'age1n3ual6kvvz98flrfehqqsh7tkje6s6u2l8gdyddlgp7feea9047qlvapl2';

interface ExpectedEnvironment {
  /** Written out by hand from the SPEC's defaults. */
  key: string;
  roleArn: string;
  identity: 'irsa' | 'pod-identity';
  cluster: string;
  age?: string;
  /** The environment's tenants and their namespaces (default: the one tenant apps). */
  tenants?: Record<string, string>;
  /** The decrypting tenants of the environment: their role and key, written out by hand. */
  decrypting?: Record<string, { roleArn: string; key: string }>;
}

interface Scenario {
  name: string;
  answers: Record<string, unknown>;
  environments: Record<string, ExpectedEnvironment>;
  terraform?: boolean;
}

const scenarios: Scenario[] = [
  {
    // The README's and `npm start`'s example, as a user gives it: two environments, two roles.
    name: 'example',
    answers: parse(readFileSync(exampleAnswers, 'utf8')) as Record<string, unknown>,
    environments: {
      staging: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
      },
      production: {
        key: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production',
        identity: 'irsa',
        cluster: 'production',
      },
    },
  },
  {
    name: 'defaults-https',
    answers: { accountId: '123456789012', repoUrl: 'https://github.com/acme/apps.git' },
    environments: {
      staging: {
        key: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
      },
      production: {
        key: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-production',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production',
        identity: 'irsa',
        cluster: 'production',
      },
    },
  },
  {
    name: 'ssh-three-environments',
    answers: {
      accountId: '012345678901',
      roleName: 'flux-sops@eks',
      region: 'eu-west-1',
      repoUrl: 'ssh://git@github.com/acme/apps.git',
      branch: 'release/2026',
      environments: [
        'dev',
        { name: 'staging', oidcIssuer: 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
        {
          name: 'production',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:012345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        },
      ],
    },
    environments: {
      dev: {
        key: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-dev',
        roleArn: 'arn:aws:iam::012345678901:role/flux-sops@eks-dev',
        identity: 'irsa',
        cluster: 'dev',
      },
      staging: {
        key: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::012345678901:role/flux-sops@eks-staging',
        identity: 'irsa',
        cluster: 'staging',
      },
      production: {
        key: 'arn:aws:kms:eu-west-1:012345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        roleArn: 'arn:aws:iam::012345678901:role/flux-sops@eks-production',
        identity: 'irsa',
        cluster: 'production',
      },
    },
  },
  {
    name: 'account-override',
    answers: {
      accountId: '111111111111',
      region: 'us-west-2',
      repoUrl: 'https://gitlab.example.com/platform/apps.git',
      environments: ['staging', { name: 'production', accountId: '222222222222', roleName: 'prod-flux-decryptor' }],
    },
    environments: {
      staging: {
        key: 'arn:aws:kms:us-west-2:111111111111:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::111111111111:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
      },
      production: {
        key: 'arn:aws:kms:us-west-2:222222222222:alias/flux-sops-production',
        roleArn: 'arn:aws:iam::222222222222:role/prod-flux-decryptor',
        identity: 'irsa',
        cluster: 'production',
      },
    },
  },
  {
    // EKS Pod Identity fleet-wide, with a break-glass age recipient for every environment.
    name: 'pod-identity',
    answers: {
      accountId: '123456789012',
      identity: 'pod-identity',
      region: 'eu-central-1',
      repoUrl: 'https://github.com/acme/apps.git',
      backupAgeRecipients: [BACKUP],
      environments: [{ name: 'staging', clusterName: 'eks-staging' }, 'production'],
    },
    environments: {
      staging: {
        key: 'arn:aws:kms:eu-central-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'pod-identity',
        cluster: 'eks-staging',
        age: BACKUP,
      },
      production: {
        key: 'arn:aws:kms:eu-central-1:123456789012:alias/flux-sops-production',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production',
        identity: 'pod-identity',
        cluster: 'production',
        age: BACKUP,
      },
    },
  },
  {
    // Mixed identities, Terraform for the AWS side: an alias-key IRSA environment whose issuer is
    // not known yet, and an existing-key Pod Identity environment in another account.
    name: 'mixed-terraform',
    answers: {
      accountId: '123456789012',
      region: 'eu-west-1',
      iac: 'terraform',
      repoUrl: 'ssh://git@gitlab.example.com:2222/platform/apps.git',
      backupAgeRecipients: [BACKUP],
      environments: [
        'staging',
        {
          name: 'production',
          identity: 'pod-identity',
          accountId: '210987654321',
          clusterName: 'prod-eu',
          kmsKeyArn: 'arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab',
          backupAgeRecipients: [PRODUCTION_BACKUP],
        },
      ],
    },
    environments: {
      staging: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
        age: BACKUP,
      },
      production: {
        key: 'arn:aws:kms:eu-west-1:210987654321:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        roleArn: 'arn:aws:iam::210987654321:role/flux-kms-decryptor-production',
        identity: 'pod-identity',
        cluster: 'prod-eu',
        age: `${BACKUP},${PRODUCTION_BACKUP}`,
      },
    },
    terraform: true,
  },
  {
    // Two tenants in two environments, one of them in production only; ssh and https; an IRSA
    // and a Pod Identity environment.
    name: 'tenants',
    answers: TENANTS_ANSWERS,
    environments: {
      staging: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
        tenants: { shop: 'shop' },
      },
      production: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production',
        identity: 'pod-identity',
        cluster: 'prod-eu',
        tenants: { shop: 'shop', billing: 'payments' },
      },
    },
  },
  {
    // A decrypting tenant (its own key and role) on an IRSA and on a Pod Identity environment, its
    // key created in one and given in the other, beside a tenant without decryption; Terraform.
    name: 'decrypting-tenants',
    answers: {
      accountId: '123456789012',
      region: 'eu-west-1',
      iac: 'terraform',
      environments: [
        { name: 'staging', oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
        { name: 'production', identity: 'pod-identity', clusterName: 'prod-eu' },
      ],
      tenants: [
        {
          name: 'shop',
          repoUrl: 'ssh://git@github.com/acme/shop.git',
          path: './deploy/<env>',
          decryption: true,
          kmsKeyArns: { production: 'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666' },
        },
        { name: 'billing', namespace: 'payments', repoUrl: 'https://gitlab.example.com/acme/billing.git' },
      ],
    },
    environments: {
      staging: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging',
        identity: 'irsa',
        cluster: 'staging',
        tenants: { shop: 'shop', billing: 'payments' },
        decrypting: {
          shop: {
            roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging-shop',
            key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops/staging/shop',
          },
        },
      },
      production: {
        key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production',
        roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production',
        identity: 'pod-identity',
        cluster: 'prod-eu',
        tenants: { shop: 'shop', billing: 'payments' },
        decrypting: {
          shop: {
            roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production-shop',
            key: 'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666',
          },
        },
      },
    },
    terraform: true,
  },
];

const tenantsOf = (expected: ExpectedEnvironment): [string, string][] =>
  Object.entries(expected.tenants ?? { apps: 'apps' });
const decryptingOf = (expected: ExpectedEnvironment): [string, { roleArn: string; key: string }][] =>
  Object.entries(expected.decrypting ?? {});

/**
 * The arguments each controller's Deployment must end up with (kubectl kustomize over the
 * stand-in). A Pod Identity environment with a decrypting tenant needs object-level workload
 * identity for it, without a default decryption account ("secrets" uses the controller's role).
 */
function expectedLockdownArgs(
  controller: string,
  identity: 'irsa' | 'pod-identity',
  decryptingTenant = false,
): string[] {
  const crossNamespace = [
    'kustomize-controller',
    'helm-controller',
    'notification-controller',
    'image-reflector-controller',
    'image-automation-controller',
  ].includes(controller);
  return [
    ...(crossNamespace ? ['--no-cross-namespace-refs=true'] : []),
    ...(controller === 'kustomize-controller' ? ['--no-remote-bases=true'] : []),
    ...(['kustomize-controller', 'helm-controller'].includes(controller) ? ['--default-service-account=default'] : []),
    ...(controller === 'kustomize-controller' && identity === 'pod-identity' && decryptingTenant
      ? ['--feature-gates=ObjectLevelWorkloadIdentity=true']
      : []),
    ...(controller === 'kustomize-controller' && identity === 'irsa'
      ? ['--feature-gates=ObjectLevelWorkloadIdentity=true', '--default-decryption-service-account=flux-sops-decryptor']
      : []),
  ];
}

describe('yo flux-sops', () => {
  for (const scenario of scenarios) {
    describe(scenario.name, () => {
      let fleetDir: string;
      let tree: Tree;
      const environments = Object.entries(scenario.environments);

      before(async () => {
        const result = await runFleetGenerator({ answers: writeAnswersFile(scenario.answers) });
        fleetDir = result.cwd;
        tree = readTree(fleetDir);
      });

      it('writes exactly the golden tree', () => {
        assertMatchesGolden(scenario.name, tree);
      });

      it('writes only files that parse, and objects that validate against the Kubernetes and Flux schemas', () => {
        const { yamlFiles, objectsValidated } = validateObjects(tree);
        // .sops.yaml, the CI workflow and the pre-commit config, and each decrypting tenant's
        // tenants/<tenant>.sops.yaml; per environment gotk-components, gotk-sync,
        // flux-system/kustomization, tenants.yaml, secrets.yaml, the tenants and the secrets
        // listings (Pod Identity: tenant-lockdown.yaml), and per tenant 4 files.
        const decryptingTenants = new Set(
          environments.flatMap(([, expected]) => decryptingOf(expected).map(([tenant]) => tenant)),
        );
        const perEnvironment = ([, expected]: [string, ExpectedEnvironment]) =>
          7 + (expected.identity === 'pod-identity' ? 1 : 0) + 4 * tenantsOf(expected).length;
        assert.equal(
          yamlFiles,
          3 + decryptingTenants.size + environments.reduce((sum, environment) => sum + perEnvironment(environment), 0),
        );
        // Per environment: 2 Flux Kustomizations; IRSA the ServiceAccount patch, Pod Identity the
        // policy and its binding; per tenant Namespace, ServiceAccount, RoleBinding, GitRepository,
        // Kustomization, Secret; per decrypting tenant its flux-sops-decryptor.
        assert.equal(
          objectsValidated,
          environments.reduce(
            (sum, [, expected]) =>
              sum +
              2 +
              (expected.identity === 'irsa' ? 1 : 2) +
              6 * tenantsOf(expected).length +
              decryptingOf(expected).length,
            0,
          ),
        );
        console.log(`      ${yamlFiles} YAML files parsed, ${objectsValidated} objects validated against the schemas`);
      });

      it('gives each environment its key (and backup recipients) in .sops.yaml, and clusters/ no key at all', () => {
        assertSopsRules(
          tree,
          Object.fromEntries(environments.map(([name, expected]) => [name, expected.key])),
          Object.fromEntries(environments.map(([name, expected]) => [name, expected.age])),
        );
      });

      it('builds every kustomize folder, annotating kustomize-controller with the role of its IRSA environment only', function () {
        requireKubectl(this);
        const outputs = buildKustomizeFolders(fleetDir, tree);
        assert.equal(
          Object.keys(outputs).length,
          environments.reduce((sum, [, expected]) => sum + 3 + tenantsOf(expected).length, 0),
        );
        console.log(`      kubectl kustomize built ${Object.keys(outputs).join(', ')}`);
        type Built = {
          kind?: string;
          metadata?: { name?: string; namespace?: string; annotations?: Record<string, string> };
          spec?: Record<string, unknown>;
        };
        const objectsOf = (text: string) => text.split(/^---$/m).map((document) => parse(document) as Built);
        for (const [environment, expected] of environments) {
          const built = objectsOf(outputs[`clusters/${environment}/flux-system`] ?? '');
          const serviceAccount = built.find(
            (object) => object?.kind === 'ServiceAccount' && object.metadata?.name === 'kustomize-controller',
          );
          assert.ok(serviceAccount, `clusters/${environment}/flux-system builds kustomize-controller's ServiceAccount`);
          assert.equal(
            serviceAccount.metadata?.annotations?.['eks.amazonaws.com/role-arn'],
            expected.identity === 'irsa' ? expected.roleArn : undefined,
          );
          // Each lockdown flag lands on exactly the controllers Flux's multi-tenancy example names.
          for (const controller of FLUX_CONTROLLERS) {
            const deployment = built.find(
              (object) => object?.kind === 'Deployment' && object.metadata?.name === controller,
            );
            const args =
              (deployment?.spec as { template: { spec: { containers: { args: string[] }[] } } } | undefined)?.template
                .spec.containers[0]?.args ?? [];
            assert.deepEqual(
              args.slice(4),
              expectedLockdownArgs(controller, expected.identity, decryptingOf(expected).length > 0),
              `${environment}: the arguments of ${controller}`,
            );
          }
          const bootstrap = built.find(
            (object) => object?.kind === 'Kustomization' && object.metadata?.name === 'flux-system',
          );
          assert.equal(
            bootstrap?.spec?.serviceAccountName,
            'kustomize-controller',
            `${environment}: the bootstrap Kustomization names its ServiceAccount`,
          );
          assert.equal(
            outputs[`secrets/${environment}`],
            '',
            'the placeholders are not applied before they are replaced',
          );
          const tenantObjects = objectsOf(outputs[`tenants/${environment}`] ?? '');
          for (const [tenant, namespace] of tenantsOf(expected)) {
            assert.deepEqual(
              tenantObjects
                .filter(
                  (object) =>
                    object?.metadata?.namespace === namespace ||
                    (object?.kind === 'Namespace' && object.metadata?.name === namespace),
                )
                .map((object) => `${object.kind}/${object.metadata?.name}`)
                .sort(),
              [
                `GitRepository/${tenant}`,
                `Kustomization/${tenant}`,
                `Namespace/${namespace}`,
                `RoleBinding/${tenant}-reconciler`,
                ...(expected.decrypting?.[tenant] === undefined ? [] : ['ServiceAccount/flux-sops-decryptor']),
                `ServiceAccount/${tenant}`,
              ],
              `${environment}: the objects of tenant ${tenant}`,
            );
          }
          // The decrypting account carries the tenant's role, and no other account of the tenant does.
          for (const [tenant, { roleArn }] of decryptingOf(expected)) {
            const namespace = expected.tenants?.[tenant];
            const accounts = tenantObjects.filter(
              (object) => object?.kind === 'ServiceAccount' && object.metadata?.namespace === namespace,
            );
            assert.deepEqual(
              accounts
                .map((account) => [
                  account.metadata?.name,
                  account.metadata?.annotations?.['eks.amazonaws.com/role-arn'],
                ])
                .sort(),
              [
                [tenant, undefined],
                ['flux-sops-decryptor', roleArn],
              ].sort(),
              `${environment}: the ServiceAccounts of tenant ${tenant}`,
            );
          }
        }
      });

      it('decrypts only in "secrets", after "tenants", which waits for what it applies and retries within 2 minutes', () => {
        for (const [environment] of environments) {
          const secrets = parse(tree[`clusters/${environment}/secrets.yaml`] ?? '') as {
            spec: Record<string, unknown>;
          };
          // IRSA: the decryption lock makes a Kustomization without its own decryption account use
          // flux-sops-decryptor, so "secrets" names kustomize-controller (whose role it needs).
          assert.deepEqual(
            secrets.spec.decryption,
            scenario.environments[environment]?.identity === 'irsa'
              ? { provider: 'sops', serviceAccountName: 'kustomize-controller' }
              : { provider: 'sops' },
          );
          assert.equal(secrets.spec.serviceAccountName, 'kustomize-controller');
          assert.deepEqual(secrets.spec.dependsOn, [{ name: 'tenants' }]);
          assert.equal(secrets.spec.wait, true);
          assert.match(String(secrets.spec.timeout), /^\d+m$/);
          assert.ok(
            Number.parseInt(String(secrets.spec.retryInterval), 10) <= 2 &&
              String(secrets.spec.retryInterval).endsWith('m'),
          );
          const tenants = parse(tree[`clusters/${environment}/tenants.yaml`] ?? '') as {
            spec: Record<string, unknown>;
          };
          assert.equal(tenants.spec.decryption, undefined, 'tenants must not decrypt');
          assert.equal(
            tenants.spec.wait,
            undefined,
            'tenants does not wait: its GitRepositories need the credentials secrets applies',
          );
          assert.equal(tenants.spec.serviceAccountName, 'kustomize-controller');
          assert.equal(tenants.spec.path, `./tenants/${environment}`);
          for (const [tenant] of tenantsOf(scenario.environments[environment] as ExpectedEnvironment)) {
            const sync = parseAllDocuments(tree[`tenants/${environment}/${tenant}/sync.yaml`] ?? '').map(
              (document) => document.toJS() as { kind: string; spec: Record<string, unknown> },
            );
            assert.equal(sync.length, 2);
            const decrypting = scenario.environments[environment]?.decrypting?.[tenant] !== undefined;
            // A tenant decrypts only as its own flux-sops-decryptor, never with the fleet's identity.
            assert.deepEqual(
              sync.map((object) => [object.kind, object.spec.decryption]),
              [
                ['GitRepository', undefined],
                [
                  'Kustomization',
                  decrypting ? { provider: 'sops', serviceAccountName: 'flux-sops-decryptor' } : undefined,
                ],
              ],
              `the sync of tenant ${tenant} in ${environment}`,
            );
          }
        }
      });

      it('grants each role only kms:Decrypt on its own key, and sealers only kms:Encrypt (no tool calls kms:DescribeKey)', () => {
        for (const [environment, expected] of environments) {
          for (const [file, actions] of [
            ['kms-decrypt-policy.json', ['kms:Decrypt']],
            ['kms-encrypt-policy.json', ['kms:Encrypt']],
          ] as const) {
            const policy = JSON.parse(tree[`iam/${environment}/${file}`] ?? '');
            assert.equal(policy.Statement.length, 1);
            const [statement] = policy.Statement;
            assert.deepEqual(statement.Action, actions);
            if (expected.key.includes(':key/')) {
              assert.equal(statement.Resource, expected.key);
              assert.equal(statement.Condition, undefined);
            } else {
              const [, region, account, alias] = /^arn:aws:kms:([^:]+):(\d+):(alias\/.+)$/.exec(expected.key) ?? [];
              assert.equal(statement.Resource, `arn:aws:kms:${region}:${account}:key/*`);
              assert.deepEqual(statement.Condition, { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } });
            }
          }
        }
      });

      it('trusts kustomize-controller only: through the cluster OIDC provider (IRSA) or its Pod Identity tags', () => {
        for (const [environment, expected] of environments) {
          const trust = JSON.parse(tree[`iam/${environment}/trust-policy.json`] ?? '');
          assert.equal(trust.Statement.length, 1);
          const [statement] = trust.Statement;
          if (expected.identity === 'irsa') {
            assert.equal(statement.Action, 'sts:AssumeRoleWithWebIdentity');
            const issuer = String(statement.Principal.Federated).split(':oidc-provider/')[1];
            assert.deepEqual(statement.Condition, {
              StringEquals: {
                [`${issuer}:aud`]: 'sts.amazonaws.com',
                [`${issuer}:sub`]: 'system:serviceaccount:flux-system:kustomize-controller',
              },
            });
          } else {
            assert.deepEqual(statement.Principal, { Service: 'pods.eks.amazonaws.com' });
            assert.deepEqual(statement.Action, ['sts:AssumeRole', 'sts:TagSession']);
            assert.deepEqual(statement.Condition, {
              StringEquals: {
                // The cluster by its ARN, in the fleet's region and the role's account (a name is unique only within one account and region).
                'aws:RequestTag/eks-cluster-arn': `arn:aws:eks:${String(scenario.answers.region ?? 'us-east-1')}:${expected.roleArn.split(':')[4]}:cluster/${expected.cluster}`,
                'aws:RequestTag/kubernetes-namespace': 'flux-system',
                'aws:RequestTag/kubernetes-service-account': 'kustomize-controller',
              },
            });
            assert.doesNotMatch(tree[`iam/${environment}/trust-policy.json`] ?? '', /oidc/i);
          }
        }
      });

      it('gives each decrypting tenant its own role, trusted by its flux-sops-decryptor only, on its own key only, and its own .sops.yaml', () => {
        const decryptingTenants = new Set(
          environments.flatMap(([, expected]) => decryptingOf(expected).map(([tenant]) => tenant)),
        );
        assert.deepEqual(
          Object.keys(tree)
            .filter((path) => /^iam\/[^/]+\/tenant-|^tenants\/[^/]+\.sops\.yaml$/.test(path))
            .sort(),
          [
            ...environments.flatMap(([environment, expected]) =>
              decryptingOf(expected).flatMap(([tenant]) =>
                ['kms-decrypt-policy.json', 'kms-encrypt-policy.json', 'trust-policy.json'].map(
                  (file) => `iam/${environment}/tenant-${tenant}/${file}`,
                ),
              ),
            ),
            ...[...decryptingTenants].map((tenant) => `tenants/${tenant}.sops.yaml`),
          ].sort(),
        );
        for (const [environment, expected] of environments) {
          const fleetIssuer = String(
            JSON.parse(tree[`iam/${environment}/trust-policy.json`] ?? '{}').Statement?.[0]?.Principal?.Federated ?? '',
          );
          for (const [tenant, { key }] of decryptingOf(expected)) {
            const namespace = expected.tenants?.[tenant];
            const trust = JSON.parse(tree[`iam/${environment}/tenant-${tenant}/trust-policy.json`] ?? '');
            const [statement] = trust.Statement;
            assert.equal(trust.Statement.length, 1);
            // Web identity on both kinds of environment: object-level identity is AssumeRoleWithWebIdentity.
            assert.equal(statement.Action, 'sts:AssumeRoleWithWebIdentity');
            assert.match(
              statement.Principal.Federated,
              /^arn:aws:iam::123456789012:oidc-provider\/oidc\.eks\.eu-west-1\.amazonaws\.com\/id\//,
            );
            if (expected.identity === 'irsa') {
              assert.equal(
                statement.Principal.Federated,
                fleetIssuer,
                'the same OIDC provider as the environment role',
              );
            }
            const issuer = String(statement.Principal.Federated).split(':oidc-provider/')[1];
            // The tenant's flux-sops-decryptor, and only it: not kustomize-controller, not the tenant's own account.
            assert.deepEqual(statement.Condition, {
              StringEquals: {
                [`${issuer}:aud`]: 'sts.amazonaws.com',
                [`${issuer}:sub`]: `system:serviceaccount:${namespace}:flux-sops-decryptor`,
              },
            });
            for (const [file, action] of [
              ['kms-decrypt-policy.json', 'kms:Decrypt'],
              ['kms-encrypt-policy.json', 'kms:Encrypt'],
            ] as const) {
              const [grant, ...more] = JSON.parse(tree[`iam/${environment}/tenant-${tenant}/${file}`] ?? '').Statement;
              assert.equal(more.length, 0);
              assert.ok(grant.Action.includes(action));
              assert.ok(
                !grant.Action.some(
                  (each: string) => each === (action === 'kms:Decrypt' ? 'kms:Encrypt' : 'kms:Decrypt'),
                ),
              );
              if (key.includes(':key/')) {
                assert.deepEqual([grant.Resource, grant.Condition], [key, undefined]);
              } else {
                assert.deepEqual(
                  [grant.Resource, grant.Condition],
                  [
                    'arn:aws:kms:eu-west-1:123456789012:key/*',
                    { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': key.split(':').at(-1) } },
                  ],
                );
              }
            }
          }
        }
        for (const tenant of decryptingTenants) {
          const config = parse(tree[`tenants/${tenant}.sops.yaml`] ?? '') as {
            creation_rules: Record<string, string>[];
          };
          assert.deepEqual(
            config.creation_rules,
            environments
              .filter(([, expected]) => expected.decrypting?.[tenant] !== undefined)
              .map(([environment, expected]) => ({
                path_regex: `^deploy/${environment}/.+\\.ya?ml$`,
                encrypted_regex: '^(data|stringData)$',
                kms: expected.decrypting?.[tenant]?.key,
              })),
          );
        }
      });

      it(
        scenario.terraform
          ? 'writes a Terraform root module per environment, with a file per decrypting tenant'
          : 'writes no Terraform file',
        () => {
          const terraformFiles = Object.keys(tree).filter((path) => path.endsWith('.tf'));
          assert.deepEqual(
            terraformFiles,
            scenario.terraform
              ? environments
                  .flatMap(([name, expected]) =>
                    [
                      ...['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'],
                      ...decryptingOf(expected).map(([tenant]) => `tenant-${tenant}.tf`),
                    ].map((file) => `terraform/${name}/${file}`),
                  )
                  .sort()
              : [],
          );
        },
      );
    });
  }

  it('is deterministic: a second run with the stored answers changes no byte and writes no file', async () => {
    const fleetDir = mkdtempSync(join(tmpdir(), 'rerun-'));
    await runFleetGenerator({ answers: exampleAnswers }).cd(fleetDir);
    const before = readTree(fleetDir);
    assert.ok(before['.yo-rc.json']?.includes('"accountId": "123456789012"'));
    const modified = (path: string) =>
      readFileSync(join(fleetDir, path)) &&
      execFileSync('stat', ['-c', '%Y.%y', join(fleetDir, path)], { encoding: 'utf8' });
    const stamps = Object.keys(before).map(modified);
    await runFleetGenerator({}).cd(fleetDir);
    assert.deepEqual(readTree(fleetDir), before);
    assert.deepEqual(Object.keys(before).map(modified), stamps, 'a file was rewritten');
  });
});

describe('the built package', () => {
  it('runs the compiled generator from dist through the flux-sops command', () => {
    const target = mkdtempSync(join(tmpdir(), 'dist-run-'));
    try {
      execFileSync(
        process.execPath,
        [join(projectRoot, 'dist', 'src', 'cli', 'main.js'), '--answers', exampleAnswers, '--no-interactive', target],
        {
          stdio: 'pipe',
        },
      );
      assertMatchesGolden('example', readTree(target));
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
