import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import helpers from 'yeoman-test';
import EnvironmentGenerator from '../src/generators/env/index.js';
import { replaceReadmeEnvironmentsSection } from '../src/readme-section.js';
import { addCreationRule } from '../src/sops-config.js';
import { findCreationRule } from '../src/sops-rules.js';
import { assertSopsRules, buildKustomizeFolders, creationRulesOf, requireKubectl, validateObjects } from './fleet-checks.js';
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
  'clusters/qa/apps.yaml',
  'clusters/qa/flux-system/gotk-components.yaml',
  'clusters/qa/flux-system/gotk-sync.yaml',
  'clusters/qa/flux-system/kustomization.yaml',
  'clusters/qa/secrets.yaml',
  'iam/qa/kms-decrypt-policy.json',
  'iam/qa/trust-policy.json',
  'secrets/qa/git-repository.yaml',
  'secrets/qa/kustomization.yaml',
  'secrets/qa/repo-auth.yaml',
];
/** What adding an environment may change: its own files and the three fleet files that list environments. */
const EXPECTED_CHANGES = ['.sops.yaml', '.yo-rc.json', 'README.md', ...QA_FILES].sort();
const QA_RULE_LINES = (kms: string) =>
  `  - path_regex: "^secrets/qa/.+\\\\.ya?ml$"\n    encrypted_regex: "^(data|stringData)$"\n    kms: ${kms}\n`;

function temporaryFolder(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

async function generateFleet(dir: string, answers: Record<string, unknown>): Promise<Tree> {
  await runFleetGenerator({ answers: writeAnswersFile(answers) }).cd(dir);
  return readTree(dir);
}

// Resolved from its file, as `yo` does, so the answers are stored under the package's name;
// and without force (yeoman-test forces by default), as a user runs it: a file Yeoman would want to
// confirm shows up as a conflict or an asked question.
function runEnvironmentGenerator(dir: string, name: string, options: Record<string, unknown> = {}) {
  return helpers
    .run(EnvironmentGenerator, { namespace: 'flux-sops:env', resolved: generatorFile('env') }, { force: false })
    .cd(dir)
    .withArguments([name])
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
  return (JSON.parse(tree['.yo-rc.json'] ?? '{}') as Record<string, { environments?: unknown }>)['generator-flux-sops']?.environments;
}

describe('yo flux-sops:env', () => {
  describe('adding qa to a fresh two-environment fleet', () => {
    let fleetDir: string;
    let original: Tree;
    let after: Tree;

    before(async () => {
      fleetDir = temporaryFolder('env-add-qa-');
      original = await generateFleet(fleetDir, FLEET_ANSWERS);
      await runEnvironmentGenerator(fleetDir, 'qa');
      after = readTree(fleetDir);
    });

    it('writes the qa files and edits only .sops.yaml, README.md and .yo-rc.json', () => {
      assert.deepEqual(Object.keys(changesBetween(original, after)).sort(), EXPECTED_CHANGES);
    });

    it('writes exactly the golden changes', () => {
      assertMatchesGolden('env-add-qa', changesBetween(original, after));
    });

    it('leaves the fleet byte for byte as generating the three environments at once would, rule order included', async () => {
      const atOnce = await generateFleet(temporaryFolder('env-at-once-'), { ...FLEET_ANSWERS, environments: ['staging', 'production', 'qa'] });
      assert.deepEqual(after, atOnce);
    });

    it('records qa as a plain name: it takes every default from the fleet', () => {
      assert.deepEqual(storedEnvironments(after), ['staging', 'production', 'qa']);
    });

    it('passes the schema and SOPS-rule checks of the main generator', () => {
      assert.deepEqual(validateObjects(after), { yamlFiles: 1 + 8 * 3, objectsValidated: 5 * 3 });
      assertSopsRules(after, {
        staging: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging',
        production: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-production',
        qa: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa',
      });
    });

    it('builds every kustomize folder, qa included', function () {
      requireKubectl(this);
      const outputs = buildKustomizeFolders(fleetDir, after);
      assert.deepEqual(Object.keys(outputs).sort(), [
        'clusters/production/flux-system',
        'clusters/qa/flux-system',
        'clusters/staging/flux-system',
        'secrets/production',
        'secrets/qa',
        'secrets/staging',
      ]);
      assert.match(outputs['clusters/qa/flux-system'] ?? '', /eks\.amazonaws\.com\/role-arn: arn:aws:iam::123456789012:role\/flux-kms-decryptor/);
      assert.match(outputs['secrets/qa'] ?? '', /kind: GitRepository/);
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

    before(async () => {
      fleetDir = temporaryFolder('env-custom-');
      await generateFleet(fleetDir, FLEET_ANSWERS);
      writeFileSync(join(fleetDir, '.sops.yaml'), userSopsConfig);
      const readme = readFileSync(join(fleetDir, 'README.md'), 'utf8');
      writeFileSync(join(fleetDir, 'README.md'), `${readme.replace('## Environments\n', '## Environments\n\nOwned by the platform team.\n')}\n## Our notes\n`);
      writeFileSync(join(fleetDir, 'legacy.yaml'), 'kept: true\n');
      original = readTree(fleetDir);
      await runEnvironmentGenerator(fleetDir, 'qa', {
        'kms-key-arn': qaKey,
        'role-name': 'qa-flux-decryptor',
        'oidc-issuer': 'https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      });
      after = readTree(fleetDir);
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
      assert.equal(findCreationRule(rules, 'secrets/staging/repo-auth.yaml'), 1);
      assert.equal(findCreationRule(rules, 'secrets/qa/repo-auth.yaml'), 3);
      assert.equal(rules[3]?.kms, qaKey);
      assert.equal(findCreationRule(rules, 'notes/passwords.yaml'), 4);
    });

    it('updates only the marked environments section of the README', () => {
      const readme = after['README.md'] ?? '';
      const row =
        '| `qa` | `arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab` | `arn:aws:iam::123456789012:role/qa-flux-decryptor` | `clusters/qa` | `secrets/qa/` |\n';
      assert.equal(readme, (original['README.md'] ?? '').replace('<!-- flux-sops:environments:end -->', `${row}<!-- flux-sops:environments:end -->`));
    });

    it('writes the qa files byte for byte as yo flux-sops writes them for the same answers', async () => {
      const atOnce = await generateFleet(temporaryFolder('env-custom-at-once-'), {
        ...FLEET_ANSWERS,
        environments: storedEnvironments(after),
      });
      for (const path of QA_FILES) {
        assert.equal(after[path], atOnce[path], path);
      }
    });

    it('records only the overrides given', () => {
      assert.deepEqual(storedEnvironments(after), [
        'staging',
        'production',
        { name: 'qa', roleName: 'qa-flux-decryptor', kmsKeyArn: qaKey, oidcIssuer: 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
      ]);
    });

    it('passes the schema checks and builds every kustomize folder', function () {
      assert.deepEqual(validateObjects(after), { yamlFiles: 2 + 8 * 3, objectsValidated: 5 * 3 });
      requireKubectl(this);
      const outputs = buildKustomizeFolders(fleetDir, after);
      assert.match(outputs['clusters/qa/flux-system'] ?? '', /role-arn: arn:aws:iam::123456789012:role\/qa-flux-decryptor/);
    });
  });

  describe('in a terminal', () => {
    it('asks only the new environment’s inputs, with defaults from the stored fleet, and stores the overrides', async () => {
      const fleetDir = temporaryFolder('env-prompt-');
      await generateFleet(fleetDir, FLEET_ANSWERS);
      const result = await runEnvironmentGenerator(fleetDir, 'qa', { interactive: true }).withAnswers({
        accountId: '210987654321',
        oidcIssuer: 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      });
      assert.deepEqual(
        result.askedQuestions.map(({ name, answer }) => [name, answer]),
        [
          ['accountId', '210987654321'],
          ['roleName', 'flux-kms-decryptor'],
          ['kmsKeyArn', 'arn:aws:kms:us-east-1:210987654321:alias/flux-sops-qa'],
          ['oidcIssuer', 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'],
        ],
      );
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', accountId: '210987654321', oidcIssuer: 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
      ]);
    });

    it('does not ask what an option gave', async () => {
      const fleetDir = temporaryFolder('env-prompt-options-');
      await generateFleet(fleetDir, FLEET_ANSWERS);
      const result = await runEnvironmentGenerator(fleetDir, 'qa', {
        interactive: true,
        'account-id': '123456789012',
        'kms-key-arn': 'arn:aws:kms:us-east-1:123456789012:alias/team-qa',
      });
      assert.deepEqual(
        result.askedQuestions.map(({ name }) => name),
        ['roleName', 'oidcIssuer'],
      );
      assert.deepEqual(storedEnvironments(readTree(fleetDir)), [
        'staging',
        'production',
        { name: 'qa', kmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:alias/team-qa' },
      ]);
    });
  });

  describe('stops with a clear message and changes no file', () => {
    let fleetDir: string;

    beforeEach(async () => {
      fleetDir = temporaryFolder('env-error-');
      await generateFleet(fleetDir, FLEET_ANSWERS);
    });

    async function assertRefused(dir: string, name: string, options: Record<string, unknown>, message: string, exitCode: number): Promise<void> {
      const hashBefore = hashTree(dir);
      await assert.rejects(runEnvironmentGenerator(dir, name, options), (error: Error & { exitCode?: number }) => {
        assert.equal(error.message, message);
        assert.equal(error.exitCode, exitCode);
        return true;
      });
      assert.equal(hashTree(dir), hashBefore, 'the tree is unchanged');
    }

    it('on an existing name', async () => {
      await assertRefused(
        fleetDir,
        'staging',
        {},
        'Invalid environment name "staging": is already an environment of this fleet (staging, production): choose another name',
        2,
      );
    });

    it('on an invalid name', async () => {
      await assertRefused(
        fleetDir,
        'QA_1',
        {},
        'Invalid environment name "QA_1": must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit',
        2,
      );
    });

    it('on an invalid option, together with an invalid name', async () => {
      await assertRefused(
        fleetDir,
        'qa_',
        { 'kms-key-arn': 'arn:aws:kms:us-east-1:123456789012:key/not-a-key-id' },
        [
          'Invalid environment name "qa_": must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit',
          'Invalid --kms-key-arn "arn:aws:kms:us-east-1:123456789012:key/not-a-key-id": must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) or alias ARN (arn:aws:kms:<region>:<account>:alias/<name>)',
        ].join('\n'),
        2,
      );
    });

    const notAFleet =
      'This folder is not a fleet generated by generator-flux-sops (no generator-flux-sops answers in .yo-rc.json): run yo flux-sops first';

    it('in a folder that is not a fleet', async () => {
      const dir = temporaryFolder('env-not-a-fleet-');
      writeFileSync(join(dir, 'notes.txt'), 'not a fleet\n');
      await assertRefused(dir, 'qa', {}, notAFleet, 2);
    });

    it('in a folder whose .yo-rc.json belongs to another generator', async () => {
      const dir = temporaryFolder('env-other-generator-');
      writeFileSync(join(dir, '.yo-rc.json'), `${JSON.stringify({ 'generator-node': { name: 'app' } }, null, 2)}\n`);
      await assertRefused(dir, 'qa', {}, notAFleet, 2);
    });

    it('when a file of the new environment already exists with other content', async () => {
      mkdirSync(join(fleetDir, 'secrets', 'qa'), { recursive: true });
      writeFileSync(join(fleetDir, 'secrets', 'qa', 'repo-auth.yaml'), 'left: over\n');
      await assertRefused(
        fleetDir,
        'qa',
        {},
        'These files differ from what would be generated (edited by hand?):\n  secrets/qa/repo-auth.yaml\n' +
          'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.',
        1,
      );
    });

    it('when .sops.yaml is missing', async () => {
      rmSync(join(fleetDir, '.sops.yaml'));
      await assertRefused(fleetDir, 'qa', {}, '.sops.yaml is missing from this folder: the fleet keeps its creation rules there; nothing was written', 1);
    });

    it('when .sops.yaml does not parse', async () => {
      writeFileSync(join(fleetDir, '.sops.yaml'), 'creation_rules:\n  - kms: [\n');
      await assertRefused(
        fleetDir,
        'qa',
        {},
        '.sops.yaml is not valid YAML (line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]); nothing was written',
        1,
      );
    });
  });

  it('leaves a README without the environments markers as the user wrote it', async () => {
    const fleetDir = temporaryFolder('env-readme-');
    await generateFleet(fleetDir, FLEET_ANSWERS);
    const readme = '# Our fleet\n\nWe list environments in the wiki.\n';
    writeFileSync(join(fleetDir, 'README.md'), readme);
    const before = readTree(fleetDir);
    await runEnvironmentGenerator(fleetDir, 'qa');
    const changes = changesBetween(before, readTree(fleetDir));
    assert.deepEqual(Object.keys(changes).sort(), EXPECTED_CHANGES.filter((path) => path !== 'README.md'));
    assert.equal(readFileSync(join(fleetDir, 'README.md'), 'utf8'), readme);
  });
});

describe('addCreationRule', () => {
  const rule = {
    path_regex: '^secrets/qa/.+\\.ya?ml$',
    encrypted_regex: '^(data|stringData)$',
    kms: 'arn:aws:kms:us-east-1:123456789012:alias/flux-sops-qa',
  };
  const secretPaths = ['secrets/qa/repo-auth.yaml', 'secrets/qa/any/secret.yml'];
  const qaRule = QA_RULE_LINES(rule.kms);
  const stagingRule =
    '  - path_regex: "^secrets/staging/.+\\\\.ya?ml$"\n    encrypted_regex: "^(data|stringData)$"\n    kms: arn:aws:kms:us-east-1:123456789012:alias/flux-sops-staging\n';

  const cases: { name: string; given: string; expected: string }[] = [
    { name: 'appends after rules that do not match qa', given: `creation_rules:\n${stagingRule}`, expected: `creation_rules:\n${stagingRule}${qaRule}` },
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
    { name: 'starts the list when creation_rules is empty', given: 'creation_rules:\n', expected: `creation_rules:\n${qaRule}` },
    { name: 'turns an empty flow list into a block list', given: 'creation_rules: []\n', expected: `creation_rules:\n${qaRule}` },
    {
      name: 'keeps other top-level keys and comments after the rules',
      given: `creation_rules:\n${stagingRule}# trailing note\nstores:\n  yaml:\n    indent: 2\n`,
      expected: `creation_rules:\n${stagingRule}${qaRule}# trailing note\nstores:\n  yaml:\n    indent: 2\n`,
    },
  ];
  for (const { name, given, expected } of cases) {
    it(name, () => {
      assert.equal(addCreationRule(given, rule, secretPaths), expected);
    });
  }

  it('quotes a KMS ARN the way the template does', () => {
    const written = addCreationRule('', { ...rule, kms: 'arn:aws:kms:us-east-1:123456789012:alias/yes' }, secretPaths);
    assert.equal(parse(written).creation_rules[0].kms, 'arn:aws:kms:us-east-1:123456789012:alias/yes');
  });

  for (const [given, message] of [
    ['- a list\n', '.sops.yaml must be a mapping with a creation_rules list; nothing was written'],
    ['creation_rules:\n  path_regex: x\n', '.sops.yaml has a creation_rules that is not a list; nothing was written'],
    ['creation_rules:\n  - just a string\n', '.sops.yaml has a creation rule that is not a mapping; nothing was written'],
  ] as const) {
    it(`refuses ${JSON.stringify(given)}`, () => {
      assert.throws(() => addCreationRule(given, rule, secretPaths), { message });
    });
  }
});

describe('replaceReadmeEnvironmentsSection', () => {
  const start = '<!-- flux-sops:environments:start -->';
  const end = '<!-- flux-sops:environments:end -->';
  const section = `${start}\nnew table\n${end}\n`;

  it('replaces only the marked section', () => {
    assert.equal(replaceReadmeEnvironmentsSection(`intro\n${start}\nold table\n${end}\noutro\n`, section), `intro\n${start}\nnew table\n${end}\noutro\n`);
  });

  for (const [name, readme] of [
    ['no markers', 'intro\n'],
    ['only the start marker', `${start}\n`],
    ['markers in the wrong order', `${end}\n${start}\n`],
    ['a marker twice', `${start}\n${end}\n${start}\n${end}\n`],
  ] as const) {
    it(`leaves a README with ${name} to the user`, () => {
      assert.equal(replaceReadmeEnvironmentsSection(readme, section), undefined);
    });
  }
});

describe('flux-sops env (the built package)', () => {
  const cli = join(projectRoot, 'dist', 'cli.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, CI: 'true' } });

  it('adds an environment to a fleet written by flux-sops, as generating it at once would', () => {
    const fleetDir = temporaryFolder('cli-env-');
    const atOnceDir = temporaryFolder('cli-at-once-');
    try {
      assert.equal(run(['--answers', exampleAnswers, fleetDir]).status, 0);
      const added = run(['env', 'qa', '--cwd', fleetDir]);
      assert.equal(added.status, 0, added.stderr);
      const example = parse(readFileSync(exampleAnswers, 'utf8')) as { environments: unknown[] };
      const answers = writeAnswersFile({ ...example, environments: [...example.environments, 'qa'] });
      assert.equal(run(['--answers', answers, atOnceDir]).status, 0);
      assert.deepEqual(readTree(fleetDir), readTree(atOnceDir));
    } finally {
      rmSync(fleetDir, { recursive: true, force: true });
      rmSync(atOnceDir, { recursive: true, force: true });
    }
  });

  it('exits with status 2 and the message outside a fleet, writing nothing', () => {
    const dir = temporaryFolder('cli-not-a-fleet-');
    const result = run(['env', 'qa', '--cwd', dir]);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr.split('\n').slice(-2).join('\n'),
      'flux-sops: This folder is not a fleet generated by generator-flux-sops (no generator-flux-sops answers in .yo-rc.json): run yo flux-sops first\n',
    );
    assert.deepEqual(readTree(dir), {});
  });
});
