// `yo flux-sops:env <name>` and `flux-sops env <name>`: adding one environment to a fleet leaves
// it byte for byte as generating every environment at once would, edits only the fleet files that
// list environments (keeping what the user wrote in them), asks in a terminal only the new
// environment's own settings, and stops on a problem with the exact message, exit status and an
// unchanged folder, through the generator and through the command line alike.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import helpers from 'yeoman-test';
import EnvironmentGenerator from '../generators/env/index.js';
import { FluxSopsError } from '../src/errors.js';
import { replaceReadmeEnvironmentsSection } from '../src/fleet/readme-section.js';
import { addCreationRule } from '../src/fleet/sops-config.js';
import { findCreationRule } from '../src/sops/rules.js';
import { loggedStatuses, outputLines, runCli, runCliInProcess } from './cli-runner.js';
import {
  assertSopsRules,
  buildKustomizeFolders,
  creationRulesOf,
  requireKubectl,
  validateObjects,
} from './fleet-checks.js';
import {
  assertMatchesGolden,
  exampleAnswers,
  generatorFile,
  hashTree,
  projectRoot,
  readTree,
  runFleetGenerator,
  type Tree,
  writeAnswersFile,
} from './support.js';

const FLEET_ANSWERS = { accountId: '123456789012', repoUrl: 'https://github.com/acme/apps.git' };
const QA_FILES = [
  'clusters/qa/flux-system/gotk-components.yaml',
  'clusters/qa/flux-system/gotk-sync.yaml',
  'clusters/qa/flux-system/kustomization.yaml',
  'clusters/qa/secrets.yaml',
  'clusters/qa/tenants.yaml',
  'iam/qa/kms-decrypt-policy.json',
  'iam/qa/kms-encrypt-policy.json',
  'iam/qa/trust-policy.json',
  'secrets/qa/apps-auth.yaml',
  'secrets/qa/kustomization.yaml',
  'tenants/qa/apps/kustomization.yaml',
  'tenants/qa/apps/rbac.yaml',
  'tenants/qa/apps/sync.yaml',
  'tenants/qa/kustomization.yaml',
];
const QA_TERRAFORM_FILES = ['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf'].map(
  (file) => `terraform/qa/${file}`,
);
/** What adding an environment may change: its own files and the three fleet files that list environments. */
const EXPECTED_CHANGES = ['.sops.yaml', '.yo-rc.json', 'README.md', ...QA_FILES].sort();
const QA_RULE_LINES = (kms: string) =>
  `  - path_regex: "^secrets/qa/.+\\\\.ya?ml$"\n    encrypted_regex: "^(data|stringData)$"\n    kms: ${kms}\n`;
const QA_ISSUER = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const QA_DEFAULT_KEY = 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa';
// Break-glass recipients: public keys of identities made for these tests (age-keygen -y).
const BACKUP = 'age1q3uh32wvcqqk96yskj4x05w7ymapfx2vykz9j85augt5wktyne8qz533tq';
const QA_BACKUP = 'age1n3ual6kvvz98flrfehqqsh7tkje6s6u2l8gdyddlgp7feea9047qlvapl2';
const README_START = '<!-- flux-sops:environments:start -->';
const README_END = '<!-- flux-sops:environments:end -->';
const LABEL_ALLOWED =
  'must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit';
const CONFLICT_ADVICE =
  'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.';

const temporaryFolders: string[] = [];

function temporaryFolder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryFolders.push(dir);
  return dir;
}

function removeTemporaryFolders(): void {
  for (const dir of temporaryFolders.splice(0)) {
    rmSync(dir, { recursive: true, force: true });
  }
  templateFleet = undefined;
}

/** Runs the main generator (in this process) into dir; yeoman-test leaves the process in dir, so it is moved back. */
async function generateFleet(dir: string, answers: Record<string, unknown>): Promise<Tree> {
  try {
    await runFleetGenerator({ answers: writeAnswersFile(answers) }).cd(dir);
  } finally {
    process.chdir(projectRoot);
  }
  return readTree(dir);
}

/** The fleet of FLEET_ANSWERS, generated once per file and copied for each test that changes it. */
let templateFleet: string | undefined;
async function freshFleet(prefix: string): Promise<string> {
  if (templateFleet === undefined) {
    templateFleet = temporaryFolder('env-template-');
    await generateFleet(templateFleet, FLEET_ANSWERS);
  }
  const dir = temporaryFolder(prefix);
  cpSync(templateFleet, dir, { recursive: true });
  return dir;
}

// Resolved from its file, as `yo` does, so the answers are stored under the package's name;
// and without force (yeoman-test forces by default), as a user runs it: a file Yeoman would want to
// confirm shows up as a conflict or an asked question.
function runEnvironmentGenerator(dir: string, name: string | undefined, options: Record<string, unknown> = {}) {
  return helpers
    .run(EnvironmentGenerator, { namespace: 'flux-sops:env', resolved: generatorFile('env') }, { force: false })
    .cd(dir)
    .withArguments(name === undefined ? [] : [name])
    .withOptions({ interactive: false, force: false, ...options } as Record<string, unknown>);
}

/** The files created or changed between two trees; removing a file is never expected. */
function changesBetween(before: Tree, after: Tree): Tree {
  assert.deepEqual(
    Object.keys(before).filter((path) => !(path in after)),
    [],
    'no file is removed',
  );
  return Object.fromEntries(Object.entries(after).filter(([path, contents]) => before[path] !== contents));
}

function storedEnvironments(tree: Tree): unknown {
  return (JSON.parse(tree['.yo-rc.json'] ?? '{}') as Record<string, { environments?: unknown }>)['generator-flux-sops']
    ?.environments;
}

/** A README split at its environments markers: the marked section, and the user's text around it. */
function readmeParts(readme: string): { section: string; around: string } {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END) + README_END.length;
  assert.ok(start !== -1 && end > start, 'the README has its environments markers');
  return { section: readme.slice(start, end), around: readme.slice(0, start) + readme.slice(end) };
}

describe('yo flux-sops:env', () => {
  afterEach(() => {
    process.chdir(projectRoot);
  });

  after(removeTemporaryFolders);

  describe('adding qa to a fresh two-environment fleet', () => {
    let fleetDir: string;
    let original: Tree;
    let after: Tree;
    let atOnce: Tree;

    before(async () => {
      fleetDir = await freshFleet('env-add-qa-');
      original = readTree(fleetDir);
      await runEnvironmentGenerator(fleetDir, 'qa');
      process.chdir(projectRoot);
      after = readTree(fleetDir);
      atOnce = await generateFleet(temporaryFolder('env-at-once-'), {
        ...FLEET_ANSWERS,
        environments: ['staging', 'production', 'qa'],
      });
    });

    it('writes the qa files and edits only .sops.yaml, README.md and .yo-rc.json', () => {
      assert.deepEqual(Object.keys(changesBetween(original, after)).sort(), EXPECTED_CHANGES);
    });

    it('writes exactly the golden changes', () => {
      assertMatchesGolden('env-add-qa', changesBetween(original, after));
    });

    it('leaves the fleet byte for byte as generating the three environments at once would, rule order included', () => {
      assert.deepEqual(after, atOnce);
    });

    it('records qa as a plain name: it takes every default from the fleet', () => {
      assert.deepEqual(storedEnvironments(after), ['staging', 'production', 'qa']);
    });

    it('gives qa its own role <stem>-qa, its own key, and its README table row and runbook', () => {
      const trust = JSON.parse(after['iam/qa/trust-policy.json'] ?? '');
      assert.equal(trust.Statement[0].Action, 'sts:AssumeRoleWithWebIdentity');
      assert.ok(
        (after['clusters/qa/flux-system/kustomization.yaml'] ?? '').endsWith(
          'eks.amazonaws.com/role-arn: "arn:aws:iam::123456789012:role/flux-kms-decryptor-qa"\n',
        ),
      );
      const { section } = readmeParts(after['README.md'] ?? '');
      assert.ok(
        section.includes(
          '| `qa` | `qa` | IRSA | object-level decryption identity (flag) | `arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa` | `arn:aws:iam::123456789012:role/flux-kms-decryptor-qa` | `clusters/qa` | `secrets/qa/` |\n',
        ),
        'the table row of qa',
      );
      assert.deepEqual(section.match(/^### Environment `[a-z]+`$/gm), [
        '### Environment `staging`',
        '### Environment `production`',
        '### Environment `qa`',
      ]);
    });

    it('passes the schema and SOPS-rule checks of the main generator', () => {
      // .sops.yaml, the CI workflow and the pre-commit config, then per IRSA environment with one
      // tenant 11 files and 9 objects (see app.test.ts).
      assert.deepEqual(validateObjects(after), { yamlFiles: 3 + 11 * 3, objectsValidated: 9 * 3 });
      assertSopsRules(after, {
        staging: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging',
        production: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-production',
        qa: QA_DEFAULT_KEY,
      });
    });

    it('builds the kustomize folders of qa', function () {
      requireKubectl(this);
      // The other environments' folders are unchanged (see above), as the main generator wrote them.
      const outputs = buildKustomizeFolders(
        fleetDir,
        Object.fromEntries(Object.entries(after).filter(([path]) => path.includes('/qa/'))),
      );
      assert.deepEqual(Object.keys(outputs).sort(), [
        'clusters/qa/flux-system',
        'secrets/qa',
        'tenants/qa',
        'tenants/qa/apps',
      ]);
      assert.match(
        outputs['clusters/qa/flux-system'] ?? '',
        /eks\.amazonaws\.com\/role-arn: arn:aws:iam::123456789012:role\/flux-kms-decryptor-qa\n/,
      );
      assert.match(outputs['tenants/qa'] ?? '', /kind: GitRepository/);
    });
  });

  describe('adding qa to a fleet whose .sops.yaml and README the team edited', () => {
    const userSopsConfig = `# Team rules: reviewed by platform security. Keep the catch-all last.
creation_rules:
  # Old manifests, still encrypted with the pre-Flux key.
  - path_regex: ^legacy/.+\\.yaml$
    kms: arn:aws:kms:us-east-1:123456789012:key/0000aaaa-00aa-00aa-00aa-000000aaaaaa
  - path_regex: "^secrets/staging/.+\\\\.ya?ml$"
    encrypted_regex: "^(data|stringData)$"
    kms: arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging
  - path_regex: "^secrets/production/.+\\\\.ya?ml$"
    encrypted_regex: "^(data|stringData)$"
    kms: arn:aws:kms:us-east-1:123456789012:alias/flux-sops-production
  # Anything else people encrypt by hand.
  - kms: arn:aws:kms:us-east-1:123456789012:alias/humans
    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4
`;
    const qaKey = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    let fleetDir: string;
    let original: Tree;
    let after: Tree;
    let atOnce: Tree;

    before(async () => {
      fleetDir = await freshFleet('env-custom-');
      writeFileSync(join(fleetDir, '.sops.yaml'), userSopsConfig);
      const readme = readFileSync(join(fleetDir, 'README.md'), 'utf8');
      assert.ok(readme.includes('## Environments\n'));
      writeFileSync(
        join(fleetDir, 'README.md'),
        `${readme.replace('## Environments\n', '## Environments\n\nOwned by the platform team.\n')}\n## Our notes\n`,
      );
      writeFileSync(join(fleetDir, 'legacy.yaml'), 'kept: true\n');
      original = readTree(fleetDir);
      await runEnvironmentGenerator(fleetDir, 'qa', {
        'kms-key-arn': qaKey,
        'role-name': 'qa-flux-decryptor',
        'oidc-issuer': `https://${QA_ISSUER}`,
      });
      process.chdir(projectRoot);
      after = readTree(fleetDir);
      atOnce = await generateFleet(temporaryFolder('env-custom-at-once-'), {
        ...FLEET_ANSWERS,
        environments: storedEnvironments(after),
      });
    });

    it('writes the qa files and edits only .sops.yaml, README.md and .yo-rc.json', () => {
      assert.deepEqual(Object.keys(changesBetween(original, after)).sort(), EXPECTED_CHANGES);
    });

    it('writes exactly the golden changes', () => {
      assertMatchesGolden('env-custom-sops', changesBetween(original, after));
    });

    it('keeps the comments, the legacy rule and the order, and puts the qa rule before the catch-all', () => {
      const expected = userSopsConfig.replace('  # Anything else', `${QA_RULE_LINES(qaKey)}  # Anything else`);
      assert.equal(after['.sops.yaml'], expected);
      const rules = creationRulesOf(after);
      assert.equal(findCreationRule(rules, 'legacy/app.yaml'), 0);
      assert.equal(findCreationRule(rules, 'secrets/staging/apps-auth.yaml'), 1);
      assert.equal(findCreationRule(rules, 'secrets/qa/apps-auth.yaml'), 3);
      assert.equal(rules[3]?.kms, qaKey);
      assert.equal(findCreationRule(rules, 'notes/passwords.yaml'), 4);
    });

    it('replaces only the marked environments section of the README, with the section generating at once writes', () => {
      const before = readmeParts(original['README.md'] ?? '');
      const edited = readmeParts(after['README.md'] ?? '');
      assert.equal(edited.around, before.around, 'the text around the markers is the team’s, unchanged');
      assert.equal(edited.section, readmeParts(atOnce['README.md'] ?? '').section);
      assert.ok(
        edited.section.includes(
          '| `qa` | `qa` | IRSA | object-level decryption identity (flag) | `arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab` | `arn:aws:iam::123456789012:role/qa-flux-decryptor` | `clusters/qa` | `secrets/qa/` |\n',
        ),
      );
      assert.ok(edited.section.includes('\n### Environment `qa`\n'));
    });

    it('writes the qa files byte for byte as yo flux-sops writes them for the same answers', () => {
      for (const path of QA_FILES) {
        assert.equal(after[path], atOnce[path], path);
      }
    });

    it('records only the overrides given, the role name exact and the issuer without https://', () => {
      assert.deepEqual(storedEnvironments(after), [
        'staging',
        'production',
        { name: 'qa', roleName: 'qa-flux-decryptor', kmsKeyArn: qaKey, oidcIssuer: QA_ISSUER },
      ]);
      assert.equal(
        JSON.parse(after['iam/qa/trust-policy.json'] ?? '').Statement[0].Principal.Federated,
        `arn:aws:iam::123456789012:oidc-provider/${QA_ISSUER}`,
      );
    });

    it('passes the schema checks and builds the kustomize folders of qa', function () {
      assert.deepEqual(validateObjects(after), { yamlFiles: 1 + 3 + 11 * 3, objectsValidated: 9 * 3 });
      requireKubectl(this);
      const outputs = buildKustomizeFolders(
        fleetDir,
        Object.fromEntries(Object.entries(after).filter(([path]) => path.includes('/qa/'))),
      );
      assert.deepEqual(Object.keys(outputs).sort(), [
        'clusters/qa/flux-system',
        'secrets/qa',
        'tenants/qa',
        'tenants/qa/apps',
      ]);
      assert.match(
        outputs['clusters/qa/flux-system'] ?? '',
        /role-arn: arn:aws:iam::123456789012:role\/qa-flux-decryptor\n/,
      );
    });
  });

  it('adds a Pod Identity environment with its cluster and own backup recipient to a Terraform fleet, as generating it at once would', async () => {
    const answers = { ...FLEET_ANSWERS, iac: 'terraform', backupAgeRecipients: [BACKUP] };
    const fleetDir = temporaryFolder('env-pod-identity-');
    const original = await generateFleet(fleetDir, answers);
    await runEnvironmentGenerator(fleetDir, 'qa', {
      identity: 'pod-identity',
      'cluster-name': 'eks-qa',
      'backup-age-recipients': QA_BACKUP,
    });
    process.chdir(projectRoot);
    const after = readTree(fleetDir);
    assert.deepEqual(
      Object.keys(changesBetween(original, after)).sort(),
      [...EXPECTED_CHANGES, ...QA_TERRAFORM_FILES, 'clusters/qa/tenant-lockdown.yaml'].sort(),
    );
    const qa = { name: 'qa', identity: 'pod-identity', clusterName: 'eks-qa', backupAgeRecipients: [QA_BACKUP] };
    assert.deepEqual(storedEnvironments(after), ['staging', 'production', qa]);
    assert.deepEqual(
      after,
      await generateFleet(temporaryFolder('env-pod-identity-at-once-'), {
        ...answers,
        environments: ['staging', 'production', qa],
      }),
    );
    assertSopsRules(
      after,
      { staging: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging', qa: QA_DEFAULT_KEY },
      { staging: BACKUP, qa: `${BACKUP},${QA_BACKUP}` },
    );
    const [statement] = JSON.parse(after['iam/qa/trust-policy.json'] ?? '').Statement;
    assert.deepEqual(statement.Principal, { Service: 'pods.eks.amazonaws.com' });
    assert.equal(
      statement.Condition.StringEquals['aws:RequestTag/eks-cluster-arn'],
      'arn:aws:eks:us-east-1:123456789012:cluster/eks-qa',
    );
    assert.doesNotMatch(
      after['clusters/qa/flux-system/kustomization.yaml'] ?? '',
      /role-arn|default-decryption-service-account/,
    );
    assert.ok(
      (after['README.md'] ?? '').includes(
        '| `qa` | `eks-qa` | EKS Pod Identity | admission policy | `arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa` |',
      ),
    );
  });

  describe('in a terminal', () => {
    interface Step {
      name: string;
      /** The answer typed; undefined: Enter on an empty line, which takes the default if there is one. */
      answer?: unknown;
    }
    interface Asked {
      name: string;
      message: string;
      default: unknown;
    }

    /**
     * Runs the generator in a terminal, answering the questions in the order of `steps` (a
     * question out of that order fails). Returns the questions asked and, interleaved with them,
     * the lines logged, in order.
     */
    async function runInTerminal(
      dir: string,
      options: Record<string, unknown>,
      steps: Step[],
    ): Promise<{ asked: Asked[]; events: string[] }> {
      const asked: Asked[] = [];
      const events: string[] = [];
      const remaining = [...steps];
      await runEnvironmentGenerator(dir, 'qa', { ...options, interactive: true })
        .onEnvironment((environment) => {
          const log = (environment as unknown as { adapter: { log: Record<string, (...args: unknown[]) => unknown> } })
            .adapter.log;
          for (const method of ['writeln', 'info', 'write'] as const) {
            const original = log[method] as (...args: unknown[]) => unknown;
            log[method] = (...args: unknown[]) => {
              events.push(`log: ${String(args[0]).trimEnd()}`);
              return original.apply(log, args);
            };
          }
        })
        .withAnswers(Object.fromEntries(steps.map((step) => [step.name, 'scripted'])), {
          callback: (_answer, { question }) => {
            const step = remaining.shift();
            asked.push({ name: String(question.name), message: String(question.message), default: question.default });
            events.push(`question: ${String(question.name)}`);
            assert.equal(
              question.name,
              step?.name,
              `question ${String(question.name)} asked; the script expected ${step?.name}`,
            );
            return step?.answer === undefined ? (question.default ?? '') : step.answer;
          },
        });
      process.chdir(projectRoot);
      assert.deepEqual(remaining, [], 'every scripted question was asked');
      return { asked, events };
    }

    it('asks the new environment’s key, cluster, identity and OIDC issuer, with defaults from the stored fleet, and stores the overrides', async () => {
      const fleetDir = await freshFleet('env-prompt-');
      const { asked } = await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn' },
        { name: 'clusterName', answer: 'eks-qa' },
        { name: 'identity' },
        { name: 'oidcIssuer', answer: QA_ISSUER },
      ]);
      assert.deepEqual(asked, [
        { name: 'kmsKeyArn', message: 'qa: KMS key ARN or alias ARN', default: QA_DEFAULT_KEY },
        { name: 'clusterName', message: 'qa: EKS cluster name', default: 'qa' },
        {
          name: 'identity',
          message: 'qa: how kustomize-controller gets AWS credentials (irsa; pod-identity: not on Fargate)',
          default: 'irsa',
        },
        {
          name: 'oidcIssuer',
          message: 'qa: EKS OIDC issuer of the cluster (empty: a placeholder to set later with --oidc-issuer)',
          default: undefined,
        },
      ]);
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', clusterName: 'eks-qa', oidcIssuer: QA_ISSUER },
      ]);
    });

    it('keeps the OIDC issuer placeholder when Enter is pressed on the empty issuer', async () => {
      const fleetDir = await freshFleet('env-prompt-empty-issuer-');
      await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn' },
        { name: 'clusterName' },
        { name: 'identity' },
        { name: 'oidcIssuer' },
      ]);
      const tree = readTree(fleetDir);
      assert.deepEqual(storedEnvironments(tree), ['staging', 'production', 'qa']);
      assert.match(
        tree['iam/qa/trust-policy.json'] ?? '',
        /oidc-provider\/oidc\.eks\.us-east-1\.amazonaws\.com\/id\/REPLACE-WITH-CLUSTER-OIDC-ID"/,
      );
    });

    it('asks no OIDC issuer for a Pod Identity environment, and nothing an option gave', async () => {
      const fleetDir = await freshFleet('env-prompt-options-');
      const { asked } = await runInTerminal(
        fleetDir,
        { identity: 'pod-identity', 'kms-key-arn': 'arn:aws:kms:us-east-1:123456789012:alias/team-qa' },
        [{ name: 'clusterName' }],
      );
      assert.deepEqual(
        asked.map(({ name }) => name),
        ['clusterName'],
      );
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', identity: 'pod-identity', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/team-qa' },
      ]);
    });

    it('takes Pod Identity for the new environment at the prompt, and then asks no OIDC issuer', async () => {
      const fleetDir = await freshFleet('env-prompt-pod-identity-');
      const { asked } = await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn' },
        { name: 'clusterName', answer: 'eks-qa' },
        { name: 'identity', answer: 'pod-identity' },
      ]);
      assert.deepEqual(
        asked.map(({ name }) => name),
        ['kmsKeyArn', 'clusterName', 'identity'],
      );
      const tree = readTree(fleetDir);
      assert.deepEqual(storedEnvironments(tree), [
        'staging',
        'production',
        { name: 'qa', identity: 'pod-identity', clusterName: 'eks-qa' },
      ]);
      assert.deepEqual(JSON.parse(tree['iam/qa/trust-policy.json'] ?? '').Statement[0].Principal, {
        Service: 'pods.eks.amazonaws.com',
      });
    });

    it('points out an OIDC issuer in another region at once and asks it again unless kept', async () => {
      const fleetDir = await freshFleet('env-prompt-issuer-region-');
      const otherIssuer = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
      const { events } = await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn' },
        { name: 'clusterName' },
        { name: 'identity' },
        { name: 'oidcIssuer', answer: otherIssuer },
        { name: 'keep', answer: false },
        { name: 'oidcIssuer', answer: QA_ISSUER },
      ]);
      assert.deepEqual(
        events.filter((event) => !event.startsWith('log: ') || event.startsWith('log: Warning')).slice(3, 7),
        [
          'question: oidcIssuer',
          "log: Warning: environments.qa.oidcIssuer is in region eu-west-1, not in the fleet's region us-east-1, where the environment's cluster is looked up: check that it is the issuer of that cluster (aws eks describe-cluster --region us-east-1)",
          'question: keep',
          'question: oidcIssuer',
        ],
      );
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', oidcIssuer: QA_ISSUER },
      ]);
    });

    const otherRegionKey = 'arn:aws:kms:eu-central-1:123456789012:alias/flux-sops-qa';
    const otherRegionWarning =
      "Warning: environments.qa.kmsKeyArn is in region eu-central-1, not in the fleet's region us-east-1: keys in other regions work; check that eu-central-1 is where that key is";

    it('points out a KMS key in another region at once, asks whether to keep it, and asks the key again if not', async () => {
      const fleetDir = await freshFleet('env-prompt-region-');
      const { asked, events } = await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn', answer: otherRegionKey },
        { name: 'keep', answer: false },
        { name: 'kmsKeyArn' },
        { name: 'clusterName' },
        { name: 'identity' },
        { name: 'oidcIssuer', answer: QA_ISSUER },
      ]);
      assert.deepEqual(asked[1], { name: 'keep', message: `Keep ${otherRegionKey}?`, default: false });
      assert.deepEqual(events.slice(0, 4), [
        'question: kmsKeyArn',
        `log: ${otherRegionWarning}`,
        'question: keep',
        'question: kmsKeyArn',
      ]);
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', oidcIssuer: QA_ISSUER },
      ]);
    });

    it('keeps a key in another region when told to, warning about it once', async () => {
      const fleetDir = await freshFleet('env-prompt-region-kept-');
      const { events } = await runInTerminal(fleetDir, {}, [
        { name: 'kmsKeyArn', answer: otherRegionKey },
        { name: 'keep', answer: true },
        { name: 'clusterName' },
        { name: 'identity' },
        { name: 'oidcIssuer', answer: QA_ISSUER },
      ]);
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', kmsKeyArn: otherRegionKey, oidcIssuer: QA_ISSUER },
      ]);
      assert.deepEqual(
        events.filter((event) => event.startsWith('log: Warning')),
        [`log: ${otherRegionWarning}`],
        'the warning is printed when the key is entered, and not again',
      );
    });
  });

  describe('stops with the exact message and exit status, and changes no file, through the generator and through flux-sops env', () => {
    const notAFleet =
      'This folder is not a fleet generated by generator-flux-sops (no generator-flux-sops answers in .yo-rc.json): run yo flux-sops first';
    interface RefusedCase {
      what: string;
      /** The environment name given (none: undefined). */
      name: string | undefined;
      options?: Record<string, string>;
      /** Prepares the folder: by default a copy of a fresh fleet. */
      folder?: () => Promise<string>;
      prepare?: (dir: string) => void;
      kind: FluxSopsError['kind'];
      status: number;
      message: string;
      /** What flux-sops env says instead, when it differs (its usage line). */
      cliMessage?: string;
    }

    const cases: RefusedCase[] = [
      {
        what: 'without a name: the usage',
        name: undefined,
        kind: 'usage',
        status: 2,
        message:
          'Missing the name of the environment to add.\nUsage: yo flux-sops:env <name> [options] (flux-sops env <name>); yo flux-sops:env --help lists the options',
        cliMessage:
          'flux-sops env add takes exactly one environment name, got 0\nUsage: flux-sops env add <name> [options]',
      },
      {
        what: 'on an existing name',
        name: 'staging',
        kind: 'input',
        status: 2,
        message:
          'Invalid environment name "staging": is already an environment of this fleet (staging, production): choose another name',
      },
      {
        what: 'on an invalid name',
        name: 'QA_1',
        kind: 'input',
        status: 2,
        message: `Invalid environment name "QA_1": ${LABEL_ALLOWED}`,
      },
      {
        what: 'on an invalid option, together with an invalid name: both reported',
        name: 'qa_',
        options: { 'kms-key-arn': 'arn:aws:kms:us-east-1:123456789012:key/not-a-key-id' },
        kind: 'input',
        status: 2,
        message: [
          `Invalid environment name "qa_": ${LABEL_ALLOWED}`,
          'Invalid --kms-key-arn "arn:aws:kms:us-east-1:123456789012:key/not-a-key-id": must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) or alias ARN (arn:aws:kms:<region>:<account>:alias/<name>)',
        ].join('\n'),
      },
      {
        what: 'on a role name another environment of the account already has',
        name: 'qa',
        options: { 'role-name': 'FLUX-KMS-DECRYPTOR-STAGING' },
        kind: 'input',
        status: 2,
        message:
          'Environments staging and qa would share the IAM role FLUX-KMS-DECRYPTOR-STAGING in account 123456789012: each environment needs its own role, so that each cluster can decrypt only its own key; give one of them another roleName',
      },
      {
        what: 'in a folder that is not a fleet',
        name: 'qa',
        folder: async () => temporaryFolder('env-not-a-fleet-'),
        prepare: (dir) => writeFileSync(join(dir, 'notes.txt'), 'not a fleet\n'),
        kind: 'fleet',
        status: 2,
        message: notAFleet,
      },
      {
        what: 'in a folder whose .yo-rc.json belongs to another generator',
        name: 'qa',
        folder: async () => temporaryFolder('env-other-generator-'),
        prepare: (dir) =>
          writeFileSync(
            join(dir, '.yo-rc.json'),
            `${JSON.stringify({ 'generator-node': { name: 'app' } }, null, 2)}\n`,
          ),
        kind: 'fleet',
        status: 2,
        message: notAFleet,
      },
      {
        what: 'when a file of the new environment already exists with other content',
        name: 'qa',
        prepare: (dir) => {
          mkdirSync(join(dir, 'iam', 'qa'), { recursive: true });
          writeFileSync(join(dir, 'iam', 'qa', 'trust-policy.json'), '{"left": "over"}\n');
        },
        kind: 'conflict',
        status: 1,
        message: `These files differ from what would be generated (edited by hand?):\n  iam/qa/trust-policy.json\n${CONFLICT_ADVICE}`,
      },
      {
        what: 'when .sops.yaml is missing',
        name: 'qa',
        prepare: (dir) => rmSync(join(dir, '.sops.yaml')),
        kind: 'fleet',
        status: 2,
        message:
          '.sops.yaml is missing from this folder: the fleet keeps its creation rules there; nothing was written',
      },
      {
        what: 'when .sops.yaml does not parse',
        name: 'qa',
        prepare: (dir) => writeFileSync(join(dir, '.sops.yaml'), 'creation_rules:\n  - kms: [\n'),
        kind: 'fleet',
        status: 2,
        message:
          '.sops.yaml is not valid YAML (line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]); nothing was written',
      },
      {
        what: 'when .sops.yaml is not a mapping of rules',
        name: 'qa',
        prepare: (dir) => writeFileSync(join(dir, '.sops.yaml'), '- a list\n'),
        kind: 'fleet',
        status: 2,
        message: '.sops.yaml must be a mapping with a creation_rules list; nothing was written',
      },
    ];

    async function folderFor(testCase: RefusedCase): Promise<string> {
      const dir = testCase.folder ? await testCase.folder() : await freshFleet('env-error-');
      testCase.prepare?.(dir);
      return dir;
    }

    for (const testCase of cases) {
      it(`${testCase.what}: ${testCase.kind}, exit ${testCase.status}`, async () => {
        // yo flux-sops:env: the error the generator throws is the product's, with its exit status,
        // and reads as flux-sops prints it (yo prints the message as it is).
        const dir = await folderFor(testCase);
        const before = hashTree(dir);
        await assert.rejects(runEnvironmentGenerator(dir, testCase.name, testCase.options), (error: unknown) => {
          assert.ok(error instanceof FluxSopsError, String(error));
          assert.equal(error.message, `flux-sops: ${testCase.message}`);
          assert.equal(error.kind, testCase.kind);
          assert.equal(error.code, testCase.status);
          return true;
        });
        process.chdir(projectRoot);
        assert.equal(hashTree(dir), before, 'yo flux-sops:env changed the folder');
        // flux-sops env: exactly `flux-sops: <message>` and the status, nothing else.
        const options = Object.entries(testCase.options ?? {}).map(([name, value]) => `--${name}=${value}`);
        const result = await runCliInProcess([
          'env',
          ...(testCase.name === undefined ? [] : [testCase.name]),
          ...options,
          '--no-interactive',
          '--cwd',
          dir,
        ]);
        assert.equal(result.stderr, `flux-sops: ${testCase.cliMessage ?? testCase.message}\n`);
        assert.equal(result.stdout, '');
        assert.equal(result.status, testCase.status);
        assert.equal(hashTree(dir), before, 'flux-sops env changed the folder');
      });
    }

    it('flux-sops env with two names: the usage, exit 2', async () => {
      const dir = await freshFleet('env-two-names-');
      const before = hashTree(dir);
      const result = await runCliInProcess(['env', 'qa', 'dev', '--no-interactive', '--cwd', dir]);
      assert.deepEqual(result, {
        status: 2,
        stdout: '',
        stderr:
          'flux-sops: flux-sops env add takes exactly one environment name, got 2\nUsage: flux-sops env add <name> [options]\n',
      });
      assert.equal(hashTree(dir), before);
    });
  });

  describe('a README without its environments markers', () => {
    for (const [what, prepare, note] of [
      [
        'reworked by the user',
        (dir: string) => writeFileSync(join(dir, 'README.md'), '# Our fleet\n\nWe list environments in the wiki.\n'),
        'no longer has its environments markers',
      ],
      ['removed', (dir: string) => rmSync(join(dir, 'README.md')), 'is missing'],
    ] as const) {
      it(`${what}: left as it is, with the row to add said after writing`, async () => {
        const fleetDir = await freshFleet('env-readme-');
        prepare(fleetDir);
        const before = readTree(fleetDir);
        const result = await runCliInProcess(['env', 'qa', '--no-interactive', '--cwd', fleetDir]);
        assert.equal(result.status, 0, result.stderr);
        const changes = changesBetween(before, readTree(fleetDir));
        assert.deepEqual(
          Object.keys(changes).sort(),
          EXPECTED_CHANGES.filter((path) => path !== 'README.md'),
        );
        assert.equal(readTree(fleetDir)['README.md'], before['README.md']);
        const lines = outputLines(result.stderr);
        const noteAt = lines.indexOf(
          `     info README.md ${note}, so it was left as it is. Add this row to its environments table:`,
        );
        assert.notEqual(noteAt, -1, result.stderr);
        assert.equal(
          lines[noteAt + 1],
          '| `qa` | `qa` | IRSA | object-level decryption identity (flag) | `arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa` | `arn:aws:iam::123456789012:role/flux-kms-decryptor-qa` | `clusters/qa` | `secrets/qa/` |',
        );
      });
    }
  });
});

describe('flux-sops env', () => {
  after(removeTemporaryFolders);

  it('logs the new files as create and the edited fleet files as update (never force), then the next steps', async () => {
    const fleetDir = await freshFleet('cli-env-log-');
    const result = await runCliInProcess(['env', 'qa', '--no-interactive', '--cwd', fleetDir]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(loggedStatuses(result.stderr), {
      '.yo-rc.json': 'update',
      '.sops.yaml': 'update',
      'README.md': 'update',
      ...Object.fromEntries(QA_FILES.map((path) => [path, 'create'])),
    });
    assert.deepEqual(outputLines(result.stderr).slice(-5), [
      `Added the environment qa to the fleet in ${fleetDir}.`,
      "Next (README.md has every command with this fleet's values):",
      '  1. Create the KMS key and IAM role of each environment (the aws commands of README.md for qa), then git commit and git push.',
      '  2. Bootstrap each cluster: flux bootstrap git --url=<this repository> --path=clusters/qa',
      "  3. Seal each tenant's Git credentials: flux-sops secret git qa --tenant <tenant>; then flux-sops check.",
    ]);
    assert.equal(result.stdout, '');
  });

  it('exits 2 on an unparsable .sops.yaml in every command that reads it, changing nothing', async () => {
    const fleetDir = await freshFleet('cli-broken-sops-');
    writeFileSync(join(fleetDir, '.sops.yaml'), 'creation_rules:\n  - kms: [\n');
    const before = hashTree(fleetDir);
    for (const args of [
      ['env', 'qa', '--no-interactive'],
      ['check'],
      ['secret', 'generic', 'staging', 'db', '--from-literal', 'password=x'],
      ['updatekeys'],
      ['rotate'],
    ]) {
      const result = await runCliInProcess([...args, '--cwd', fleetDir]);
      assert.equal(result.status, 2, `${args[0]}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^flux-sops: \.sops\.yaml (is not valid YAML|does not parse as YAML) \(.*line 3, column 1.*\)/,
        args[0],
      );
      assert.equal(hashTree(fleetDir), before, `${args[0]} changed the fleet`);
    }
  });
});

describe('addCreationRule', () => {
  const rule = {
    path_regex: '^secrets/qa/.+\\.ya?ml$',
    encrypted_regex: '^(data|stringData)$',
    kms: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa',
  };
  const secretPaths = ['secrets/qa/apps-auth.yaml', 'secrets/qa/any/secret.yml'];
  const qaRule = QA_RULE_LINES(rule.kms);
  const stagingRule =
    '  - path_regex: "^secrets/staging/.+\\\\.ya?ml$"\n    encrypted_regex: "^(data|stringData)$"\n    kms: arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging\n';

  const cases: { name: string; given: string; expected: string; age?: string }[] = [
    {
      name: 'appends after rules that do not match qa',
      given: `creation_rules:\n${stagingRule}`,
      expected: `creation_rules:\n${stagingRule}${qaRule}`,
    },
    {
      name: 'goes before a rule without path_regex',
      given: `creation_rules:\n${stagingRule}  - kms: arn:aws:kms:us-east-1:123456789012:alias/all\n`,
      expected: `creation_rules:\n${stagingRule}${qaRule}  - kms: arn:aws:kms:us-east-1:123456789012:alias/all\n`,
    },
    {
      name: 'goes before a rule whose regex matches only the .yml files of qa',
      given: `creation_rules:\n  - path_regex: \\.yml$\n    kms: arn:aws:kms:us-east-1:123456789012:alias/yml\n${stagingRule}`,
      expected: `creation_rules:\n${qaRule}  - path_regex: \\.yml$\n    kms: arn:aws:kms:us-east-1:123456789012:alias/yml\n${stagingRule}`,
    },
    {
      name: 'is not moved by a rule for a longer name that starts with qa',
      given: `creation_rules:\n  - path_regex: ^secrets/qa-old/\n    kms: arn:aws:kms:us-east-1:123456789012:alias/old\n`,
      expected: `creation_rules:\n  - path_regex: ^secrets/qa-old/\n    kms: arn:aws:kms:us-east-1:123456789012:alias/old\n${qaRule}`,
    },
    { name: 'starts the list in an empty file', given: '', expected: `creation_rules:\n${qaRule}` },
    {
      name: 'starts the list when creation_rules is empty',
      given: 'creation_rules:\n',
      expected: `creation_rules:\n${qaRule}`,
    },
    {
      name: 'turns an empty flow list into a block list',
      given: 'creation_rules: []\n',
      expected: `creation_rules:\n${qaRule}`,
    },
    {
      name: 'keeps other top-level keys and comments after the rules',
      given: `creation_rules:\n${stagingRule}# trailing note\nstores:\n  yaml:\n    indent: 2\n`,
      expected: `creation_rules:\n${stagingRule}${qaRule}# trailing note\nstores:\n  yaml:\n    indent: 2\n`,
    },
    {
      name: 'writes the backup age recipients after the key, as the template does',
      given: `creation_rules:\n${stagingRule}`,
      expected: `creation_rules:\n${stagingRule}${qaRule}    age: "${BACKUP},${QA_BACKUP}"\n`,
      age: `${BACKUP},${QA_BACKUP}`,
    },
  ];
  for (const { name, given, expected, age } of cases) {
    it(name, () => {
      assert.equal(addCreationRule(given, age === undefined ? rule : { ...rule, age }, secretPaths), expected);
    });
  }

  it('quotes a KMS ARN the way the template does', () => {
    const written = addCreationRule('', { ...rule, kms: 'arn:aws:kms:us-east-1:123456789012:alias/yes' }, secretPaths);
    assert.equal(parse(written).creation_rules[0].kms, 'arn:aws:kms:us-east-1:123456789012:alias/yes');
  });

  for (const [given, message] of [
    ['- a list\n', '.sops.yaml must be a mapping with a creation_rules list; nothing was written'],
    ['creation_rules:\n  path_regex: x\n', '.sops.yaml has a creation_rules that is not a list; nothing was written'],
    [
      'creation_rules:\n  - just a string\n',
      '.sops.yaml has a creation rule that is not a mapping; nothing was written',
    ],
  ] as const) {
    it(`refuses ${JSON.stringify(given)} as a fleet error (exit 2)`, () => {
      assert.throws(
        () => addCreationRule(given, rule, secretPaths),
        (error: unknown) =>
          error instanceof FluxSopsError && error.message === message && error.kind === 'fleet' && error.code === 2,
      );
    });
  }
});

describe('replaceReadmeEnvironmentsSection', () => {
  const section = `${README_START}\nnew table\n${README_END}\n`;

  it('replaces only the marked section', () => {
    assert.equal(
      replaceReadmeEnvironmentsSection(`intro\n${README_START}\nold table\n${README_END}\noutro\n`, section),
      `intro\n${README_START}\nnew table\n${README_END}\noutro\n`,
    );
  });

  for (const [name, readme] of [
    ['no markers', 'intro\n'],
    ['only the start marker', `${README_START}\n`],
    ['markers in the wrong order', `${README_END}\n${README_START}\n`],
    ['a marker twice', `${README_START}\n${README_END}\n${README_START}\n${README_END}\n`],
  ] as const) {
    it(`leaves a README with ${name} to the user`, () => {
      assert.equal(replaceReadmeEnvironmentsSection(readme, section), undefined);
    });
  }
});

describe('flux-sops env (the built package)', () => {
  it('adds an environment to a fleet written by flux-sops, as generating it at once would', async () => {
    const fleetDir = temporaryFolder('cli-env-');
    const atOnceDir = temporaryFolder('cli-at-once-');
    try {
      assert.equal((await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, fleetDir])).status, 0);
      const added = await runCli(['env', 'qa', '--cwd', fleetDir]);
      assert.equal(added.status, 0, added.stderr);
      assert.equal(added.stdout, '');
      const example = parse(readFileSync(exampleAnswers, 'utf8')) as { environments: unknown[] };
      const answers = writeAnswersFile({ ...example, environments: [...example.environments, 'qa'] });
      assert.equal((await runCliInProcess(['--no-interactive', '--answers', answers, atOnceDir])).status, 0);
      assert.deepEqual(readTree(fleetDir), readTree(atOnceDir));
    } finally {
      rmSync(fleetDir, { recursive: true, force: true });
      rmSync(atOnceDir, { recursive: true, force: true });
    }
  });
});
