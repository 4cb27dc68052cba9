import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { assertSopsRules, buildKustomizeFolders, requireKubectl, validateObjects } from './fleet-checks.js';
import { assertMatchesGolden, exampleAnswers, projectRoot, readTree, runFleetGenerator, type Tree, writeAnswersFile } from './support.js';

interface Scenario {
  name: string;
  answers: Record<string, unknown>;
  /** Expected key per environment, written out by hand from the SPEC's defaults. */
  keys: Record<string, string>;
  roleArns: Record<string, string>;
}

const scenarios: Scenario[] = [
  {
    // The README's and `npm start`'s example, as a user gives it.
    name: 'example',
    answers: parse(readFileSync(exampleAnswers, 'utf8')) as Record<string, unknown>,
    keys: {
      staging: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
      production: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
    roleArns: {
      staging: 'arn:aws:iam::123456789012:role/flux-kms-decryptor',
      production: 'arn:aws:iam::123456789012:role/flux-kms-decryptor',
    },
  },
  {
    name: 'defaults-https',
    answers: { accountId: '123456789012', repoUrl: 'https://github.com/acme/apps.git' },
    keys: {
      staging: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging',
      production: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-production',
    },
    roleArns: {
      staging: 'arn:aws:iam::123456789012:role/flux-kms-decryptor',
      production: 'arn:aws:iam::123456789012:role/flux-kms-decryptor',
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
    keys: {
      dev: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-dev',
      staging: 'arn:aws:kms:eu-west-1:012345678901:alias/flux-sops-staging',
      production: 'arn:aws:kms:eu-west-1:012345678901:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    },
    roleArns: {
      dev: 'arn:aws:iam::012345678901:role/flux-sops@eks',
      staging: 'arn:aws:iam::012345678901:role/flux-sops@eks',
      production: 'arn:aws:iam::012345678901:role/flux-sops@eks',
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
    keys: {
      staging: 'arn:aws:kms:us-west-2:111111111111:alias/flux-sops-staging',
      production: 'arn:aws:kms:us-west-2:222222222222:alias/flux-sops-production',
    },
    roleArns: {
      staging: 'arn:aws:iam::111111111111:role/flux-kms-decryptor',
      production: 'arn:aws:iam::222222222222:role/prod-flux-decryptor',
    },
  },
];

describe('yo flux-sops', () => {
  for (const scenario of scenarios) {
    describe(scenario.name, () => {
      let fleetDir: string;
      let tree: Tree;

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
        const environments = Object.keys(scenario.keys).length;
        assert.equal(yamlFiles, 1 + 8 * environments);
        // Per environment: 2 Flux Kustomizations, GitRepository, Secret, ServiceAccount patch.
        assert.equal(objectsValidated, 5 * environments);
        console.log(`      ${yamlFiles} YAML files parsed, ${objectsValidated} objects validated against the schemas`);
      });

      it('gives each environment its key in .sops.yaml, and clusters/ no key at all', () => {
        assertSopsRules(tree, scenario.keys);
      });

      it('builds every kustomize folder, annotating kustomize-controller with the role of its environment', function () {
        requireKubectl(this);
        const outputs = buildKustomizeFolders(fleetDir, tree);
        assert.equal(Object.keys(outputs).length, 2 * Object.keys(scenario.keys).length);
        console.log(`      kubectl kustomize built ${Object.keys(outputs).join(', ')}`);
        for (const [environment, roleArn] of Object.entries(scenario.roleArns)) {
          const built = outputs[`clusters/${environment}/flux-system`] ?? '';
          const serviceAccount = built
            .split(/^---$/m)
            .map((document) => parse(document) as { kind?: string; metadata?: { name?: string; annotations?: Record<string, string> } })
            .find((object) => object?.kind === 'ServiceAccount' && object.metadata?.name === 'kustomize-controller');
          assert.equal(serviceAccount?.metadata?.annotations?.['eks.amazonaws.com/role-arn'], roleArn);
          const secretsBuild = outputs[`secrets/${environment}`] ?? '';
          assert.match(secretsBuild, /kind: GitRepository/);
          assert.doesNotMatch(secretsBuild, /kind: Secret/, 'the placeholder is not applied before it is replaced');
        }
      });

      it('grants each role only kms:Decrypt and kms:DescribeKey on its own key, trusted from kustomize-controller only', () => {
        for (const [environment, kmsKeyArn] of Object.entries(scenario.keys)) {
          const policy = JSON.parse(tree[`iam/${environment}/kms-decrypt-policy.json`] ?? '');
          assert.equal(policy.Statement.length, 1);
          const [statement] = policy.Statement;
          assert.deepEqual(statement.Action, ['kms:Decrypt', 'kms:DescribeKey']);
          if (kmsKeyArn.includes(':key/')) {
            assert.equal(statement.Resource, kmsKeyArn);
            assert.equal(statement.Condition, undefined);
          } else {
            const [, region, account, alias] = /^arn:aws:kms:([^:]+):(\d+):(alias\/.+)$/.exec(kmsKeyArn) ?? [];
            assert.equal(statement.Resource, `arn:aws:kms:${region}:${account}:key/*`);
            assert.deepEqual(statement.Condition, { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': alias } });
          }
          const trust = JSON.parse(tree[`iam/${environment}/trust-policy.json`] ?? '');
          const [trustStatement] = trust.Statement;
          assert.equal(trustStatement.Action, 'sts:AssumeRoleWithWebIdentity');
          const issuer = String(trustStatement.Principal.Federated).split(':oidc-provider/')[1];
          assert.deepEqual(trustStatement.Condition, {
            StringEquals: {
              [`${issuer}:aud`]: 'sts.amazonaws.com',
              [`${issuer}:sub`]: 'system:serviceaccount:flux-system:kustomize-controller',
            },
          });
        }
      });
    });
  }

  it('is deterministic: a second run with the stored answers changes no byte', async () => {
    const fleetDir = mkdtempSync(join(tmpdir(), 'rerun-'));
    await runFleetGenerator({ answers: exampleAnswers }).cd(fleetDir);
    const before = readTree(fleetDir);
    assert.ok(before['.yo-rc.json']?.includes('"accountId": "123456789012"'));
    await runFleetGenerator({}).cd(fleetDir);
    assert.deepEqual(readTree(fleetDir), before);
  });
});

describe('the built package', () => {
  it('runs the compiled generator from dist through the flux-sops command', () => {
    const target = mkdtempSync(join(tmpdir(), 'dist-run-'));
    try {
      execFileSync(process.execPath, [join(projectRoot, 'dist', 'cli.js'), '--answers', exampleAnswers, '--no-interactive', target], {
        stdio: 'pipe',
      });
      assertMatchesGolden('example', readTree(target));
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });
});
