// Fleets in AWS GovCloud (US) and China: every ARN of every generated file (IAM documents,
// Terraform, .sops.yaml, the kustomize patch, the README's commands, troubleshooting lines and
// examples) is in the fleet's partition, never arn:aws:.
import assert from 'node:assert/strict';
import { validateObjects } from './fleet-checks.js';
import { assertMatchesGolden, readTree, runFleetGenerator, type Tree, writeAnswersFile } from './support.js';

const BACKUP = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

const scenarios = [
  {
    name: 'govcloud',
    partition: 'aws-us-gov',
    answers: {
      accountId: '123456789012',
      region: 'us-gov-west-1',
      iac: 'terraform',
      repoUrl: 'https://github.com/acme/apps.git',
      backupAgeRecipients: [BACKUP],
      environments: [
        'staging',
        {
          name: 'production',
          identity: 'pod-identity',
          kmsKeyArn: 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/prod',
        },
      ],
    },
  },
  {
    name: 'china',
    partition: 'aws-cn',
    answers: {
      accountId: '123456789012',
      region: 'cn-north-1',
      iac: 'terraform',
      repoUrl: 'ssh://git@git.example.cn/platform/apps.git',
      environments: [
        { name: 'staging', oidcIssuer: 'oidc.eks.cn-north-1.amazonaws.com.cn/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
        { name: 'production', identity: 'pod-identity' },
      ],
    },
  },
] as const;

describe('fleets outside the commercial partition', () => {
  for (const scenario of scenarios) {
    describe(`${scenario.name} (${scenario.partition})`, () => {
      let tree: Tree;

      before(async () => {
        const result = await runFleetGenerator({ answers: writeAnswersFile(scenario.answers) });
        tree = readTree(result.cwd);
      });

      it('writes exactly the golden tree', () => {
        assertMatchesGolden(scenario.name, tree);
      });

      it('has no arn:aws: in any generated file, and names ARNs of its own partition', () => {
        const offending = Object.entries(tree)
          .flatMap(([path, contents]) => contents.split('\n').map((line, index) => [path, index + 1, line] as const))
          .filter(([, , line]) => line.includes('arn:aws:'))
          .map(([path, number, line]) => `${path}:${number}: ${line.trim()}`);
        assert.deepEqual(offending, []);
        for (const path of [
          'iam/production/trust-policy.json',
          'iam/staging/kms-decrypt-policy.json',
          'README.md',
          '.sops.yaml',
          'terraform/production/main.tf',
        ]) {
          assert.ok(
            tree[path]?.includes(`arn:${scenario.partition}:`),
            `${path} names no arn:${scenario.partition}: ARN`,
          );
        }
        // The README's troubleshooting lines, too.
        assert.ok(tree['README.md']?.includes(`User: arn:${scenario.partition}:sts::…:assumed-role/<role>/…`));
        assert.ok(tree['README.md']?.includes(`Alias arn:${scenario.partition}:kms:…:alias/… is not found.`));
      });

      it('writes only files that parse, and objects that validate against the Kubernetes and Flux schemas', () => {
        const { yamlFiles } = validateObjects(tree);
        // .sops.yaml, the workflow, the pre-commit config; 11 per environment with the one tenant apps; the
        // admission policy of the Pod Identity environment.
        assert.equal(yamlFiles, 3 + 11 * 2 + 1);
      });
    });
  }
});
