import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { assertSopsRules, buildKustomizeFolders, requireKubectl, validateObjects } from './fleet-checks.js';
import { assertMatchesGolden, exampleAnswers, projectRoot, readTree, runFleetGenerator, type Tree, writeAnswersFile } from './support.js';

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
      staging: { key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging', roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging', identity: 'irsa', cluster: 'staging' },
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
      staging: { key: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging', roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging', identity: 'irsa', cluster: 'staging' },
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
        { name: 'production', kmsKeyArn: 'arn:aws:kms:eu-west-1:012345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab' },
      ],
    },
    environments: {
      dev: { key: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-dev', roleArn: 'arn:aws:iam::012345678901:role/flux-sops@eks-dev', identity: 'irsa', cluster: 'dev' },
      staging: { key: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-staging', roleArn: 'arn:aws:iam::012345678901:role/flux-sops@eks-staging', identity: 'irsa', cluster: 'staging' },
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
      staging: { key: 'arn:aws:kms:us-west-2:111111111111:alias/flux-sops-staging', roleArn: 'arn:aws:iam::111111111111:role/flux-kms-decryptor-staging', identity: 'irsa', cluster: 'staging' },
      production: { key: 'arn:aws:kms:us-west-2:222222222222:alias/flux-sops-production', roleArn: 'arn:aws:iam::222222222222:role/prod-flux-decryptor', identity: 'irsa', cluster: 'production' },
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
      staging: { key: 'arn:aws:kms:eu-central-1:123456789012:alias/flux-sops-staging', roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging', identity: 'pod-identity', cluster: 'eks-staging', age: BACKUP },
      production: { key: 'arn:aws:kms:eu-central-1:123456789012:alias/flux-sops-production', roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-production', identity: 'pod-identity', cluster: 'production', age: BACKUP },
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
      staging: { key: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging', roleArn: 'arn:aws:iam::123456789012:role/flux-kms-decryptor-staging', identity: 'irsa', cluster: 'staging', age: BACKUP },
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
];

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
        // .sops.yaml, the CI workflow and the pre-commit config, then 8 per environment.
        assert.equal(yamlFiles, 3 + 8 * environments.length);
        // Per environment: 2 Flux Kustomizations, GitRepository, Secret; IRSA also the ServiceAccount patch.
        assert.equal(objectsValidated, environments.reduce((sum, [, expected]) => sum + (expected.identity === 'irsa' ? 5 : 4), 0));
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
        assert.equal(Object.keys(outputs).length, 2 * environments.length);
        console.log(`      kubectl kustomize built ${Object.keys(outputs).join(', ')}`);
        for (const [environment, expected] of environments) {
          const built = outputs[`clusters/${environment}/flux-system`] ?? '';
          const serviceAccount = built
            .split(/^---$/m)
            .map((document) => parse(document) as { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> } })
            .find((object) => object?.kind === 'ServiceAccount' && object.metadata?.name === 'kustomize-controller');
          assert.ok(serviceAccount, `clusters/${environment}/flux-system builds kustomize-controller's ServiceAccount`);
          assert.equal(serviceAccount.metadata?.annotations?.['eks.amazonaws.com/role-arn'], expected.identity === 'irsa' ? expected.roleArn : undefined);
          const secretsBuild = outputs[`secrets/${environment}`] ?? '';
          assert.match(secretsBuild, /kind: GitRepository/);
          assert.doesNotMatch(secretsBuild, /kind: Secret/, 'the placeholder is not applied before it is replaced');
        }
      });

      it('decrypts only in "secrets", which waits for what it applies and retries within 2 minutes', () => {
        for (const [environment] of environments) {
          const secrets = parse(tree[`clusters/${environment}/secrets.yaml`] ?? '') as { spec: Record<string, unknown> };
          assert.deepEqual(secrets.spec.decryption, { provider: 'sops' });
          assert.equal(secrets.spec.wait, true);
          assert.match(String(secrets.spec.timeout), /^\d+m$/);
          assert.ok(Number.parseInt(String(secrets.spec.retryInterval), 10) <= 2 && String(secrets.spec.retryInterval).endsWith('m'));
          const apps = parse(tree[`clusters/${environment}/apps.yaml`] ?? '') as { spec: Record<string, unknown> };
          assert.equal(apps.spec.decryption, undefined, 'apps must not decrypt: its repository has other writers');
          assert.deepEqual(apps.spec.dependsOn, [{ name: 'secrets' }]);
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
              StringEquals: { [`${issuer}:aud`]: 'sts.amazonaws.com', [`${issuer}:sub`]: 'system:serviceaccount:flux-system:kustomize-controller' },
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

      it(scenario.terraform ? 'writes a Terraform root module per environment' : 'writes no Terraform file', () => {
        const terraformFiles = Object.keys(tree).filter((path) => path.endsWith('.tf'));
        assert.deepEqual(
          terraformFiles,
          scenario.terraform ? environments.flatMap(([name]) => ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'].map((file) => `terraform/${name}/${file}`)).sort() : [],
        );
      });
    });
  }

  it('is deterministic: a second run with the stored answers changes no byte and writes no file', async () => {
    const fleetDir = mkdtempSync(join(tmpdir(), 'rerun-'));
    await runFleetGenerator({ answers: exampleAnswers }).cd(fleetDir);
    const before = readTree(fleetDir);
    assert.ok(before['.yo-rc.json']?.includes('"accountId": "123456789012"'));
    const modified = (path: string) => readFileSync(join(fleetDir, path)) && execFileSync('stat', ['-c', '%Y.%y', join(fleetDir, path)], { encoding: 'utf8' });
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
      execFileSync(process.execPath, [join(projectRoot, 'dist', 'src', 'cli', 'main.js'), '--answers', exampleAnswers, '--no-interactive', target], {
        stdio: 'pipe',
      });
      assertMatchesGolden('example', readTree(target));
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
