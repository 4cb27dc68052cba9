// What a new user trips over on a first run: prompts and options combine (what is given is not
// asked, what is missing is; Pod Identity per environment at the prompts), and every command
// finds its fleet upward by the fleet's `.yo-rc.json`, so generation inside a fleet acts on that
// fleet and never nests a new one, while `check` reports a nested fleet.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import helpers from 'yeoman-test';
import FleetGenerator from '../generators/app/index.js';
import EnvironmentGenerator from '../generators/env/index.js';
import { FluxSopsError } from '../src/errors.js';
import { environmentInputs, fleetInputs } from '../src/fleet/inputs.js';
import { findFleetRoot } from '../src/fleet/fleet-root.js';
import { runCliInProcess, runCliInTerminal, terminalAvailable } from './cli-runner.js';
import { exampleAnswers, generatorFile, projectRoot, readTree, type Tree } from './support.js';

const ACCOUNT = '123456789012';
const REPO = 'https://github.com/acme/apps.git';
const ISSUER = 'oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';

interface Asked {
  name: string;
  message: string;
}

/** Runs `yo flux-sops` in a terminal in `dir`, answering each question by `answer` (undefined: its default). */
async function runAppInTerminal(
  dir: string,
  options: Record<string, unknown>,
  answer: (question: Asked) => unknown,
): Promise<Asked[]> {
  const asked: Asked[] = [];
  await helpers
    .run(FleetGenerator, { namespace: 'flux-sops:app', resolved: generatorFile('app') }, { force: false })
    .cd(dir)
    .withOptions({ interactive: true, force: false, ...options } as Record<string, unknown>)
    .withAnswers(
      // Every question the generators may ask, so that yeoman-test hands each to the callback quietly.
      Object.fromEntries([...fleetInputs, ...environmentInputs].map((input) => [input.name, 'scripted'])),
      {
        callback: (_answer, { question }) => {
          const each = { name: String(question.name), message: String(question.message) };
          asked.push(each);
          return answer(each) ?? question.default ?? '';
        },
      },
    );
  process.chdir(projectRoot);
  return asked;
}

function storedAnswers(tree: Tree): Record<string, unknown> {
  return JSON.parse(tree['.yo-rc.json'] ?? '{}')['generator-flux-sops'] as Record<string, unknown>;
}

describe('first run: options and prompts combine', () => {
  let workDir: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'first-run-prompts-'));
  });

  afterEach(() => {
    process.chdir(projectRoot);
    rmSync(workDir, { recursive: true, force: true });
  });

  it('with one per-environment option, still asks the environments and every other setting of each', async () => {
    const asked = await runAppInTerminal(
      workDir,
      { 'account-id': ACCOUNT, 'repo-url': REPO, 'cluster-name': 'production=eks-p' },
      (question) => (question.name === 'environments' ? 'staging, production' : undefined),
    );
    assert.deepEqual(
      asked.map(({ name, message }) =>
        /^(staging|production): /.test(message) ? `${message.split(':')[0]}: ${name}` : name,
      ),
      [
        'roleName',
        'identity',
        'region',
        'environments',
        'branch',
        'backupAgeRecipients',
        'iac',
        'codeOwners',
        'staging: kmsKeyArn',
        'staging: clusterName',
        'staging: identity',
        'staging: oidcIssuer',
        'production: kmsKeyArn',
        'production: identity',
        'production: oidcIssuer',
      ],
    );
    const stored = storedAnswers(readTree(workDir));
    assert.deepEqual(stored.environments, ['staging', { name: 'production', clusterName: 'eks-p' }]);
  });

  it('applies a per-environment option to an environment named at the prompt, and asks nothing it gave', async () => {
    await runAppInTerminal(
      workDir,
      {
        'account-id': ACCOUNT,
        'repo-url': REPO,
        'oidc-issuer': `qa=${ISSUER}`,
        'kms-key-arn': `qa=arn:aws:kms:us-east-1:${ACCOUNT}:alias/team-qa`,
      },
      (question) => {
        assert.ok(
          !(question.message.startsWith('qa:') && ['kmsKeyArn', 'oidcIssuer'].includes(question.name)),
          `asked ${question.name} of qa, given as an option`,
        );
        return question.name === 'environments' ? 'qa' : undefined;
      },
    );
    assert.deepEqual(storedAnswers(readTree(workDir)).environments, [
      { name: 'qa', kmsKeyArn: `arn:aws:kms:us-east-1:${ACCOUNT}:alias/team-qa`, oidcIssuer: ISSUER },
    ]);
  });

  it('refuses, after the prompts, a per-environment option naming no environment the prompts gave (exit 2, nothing written)', async () => {
    await assert.rejects(
      runAppInTerminal(
        workDir,
        { 'account-id': ACCOUNT, 'repo-url': REPO, 'cluster-name': 'production=eks-p' },
        (question) => (question.name === 'environments' ? 'staging' : undefined),
      ),
      (error: unknown) =>
        error instanceof FluxSopsError &&
        error.code === 2 &&
        error.message ===
          'flux-sops: Invalid environment in a per-environment option "production": is not one of the environments',
    );
    assert.deepEqual(readTree(workDir), {});
  });

  it('takes Pod Identity for one environment at the prompts, IRSA for the other, and asks no OIDC issuer of the Pod Identity one', async () => {
    const asked = await runAppInTerminal(workDir, { 'account-id': ACCOUNT, 'repo-url': REPO }, (question) => {
      if (question.name === 'identity' && question.message.startsWith('production:')) {
        return 'pod-identity';
      }
      return undefined;
    });
    assert.ok(
      !asked.some((question) => question.name === 'oidcIssuer' && question.message.startsWith('production:')),
      'asked the OIDC issuer of a Pod Identity environment',
    );
    const tree = readTree(workDir);
    assert.deepEqual(storedAnswers(tree).identity, 'irsa');
    assert.deepEqual(storedAnswers(tree).environments, ['staging', { name: 'production', identity: 'pod-identity' }]);
    assert.deepEqual(JSON.parse(tree['iam/production/trust-policy.json'] ?? '').Statement[0].Principal, {
      Service: 'pods.eks.amazonaws.com',
    });
    assert.match(
      JSON.parse(tree['iam/staging/trust-policy.json'] ?? '').Statement[0].Action,
      /AssumeRoleWithWebIdentity/,
    );
  });

  it('asks an answers file’s environments only what the file left out', async () => {
    const answers = join(workDir, '..', `${workDir.split('/').pop()}-answers.json`);
    writeFileSync(
      answers,
      JSON.stringify({
        accountId: ACCOUNT,
        repoUrl: REPO,
        environments: [{ name: 'staging', clusterName: 'eks-s', identity: 'pod-identity' }],
      }),
    );
    try {
      const asked = await runAppInTerminal(workDir, { answers }, () => undefined);
      assert.deepEqual(
        asked.filter((question) => question.message.startsWith('staging:')).map(({ name }) => name),
        ['kmsKeyArn'],
      );
    } finally {
      rmSync(answers, { force: true });
    }
  });
});

describe('first run: the fleet is found upward by its .yo-rc.json', () => {
  let workDir: string;
  let template: string;
  let fleet: string;
  let generated: Tree;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'first-run-fleet-'));
    template = join(workDir, 'template');
    const result = await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, template]);
    assert.equal(result.status, 0, result.stderr);
    generated = readTree(template);
  });

  beforeEach(() => {
    fleet = mkdtempSync(join(workDir, 'fleet-'));
    cpSync(template, fleet, { recursive: true });
  });

  afterEach(() => {
    process.chdir(projectRoot);
  });

  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  /** flux-sops run from a folder, as a user in a terminal types it (in process). */
  async function fluxSopsIn(folder: string, ...args: string[]) {
    process.chdir(folder);
    return runCliInProcess(args);
  }

  it('flux-sops --oidc-issuer run in a subfolder updates the fleet above, and starts no fleet there', async () => {
    const subfolder = join(fleet, 'clusters', 'staging');
    const result = await fluxSopsIn(
      subfolder,
      '--no-interactive',
      '--oidc-issuer',
      `staging=oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE`,
    );
    assert.equal(result.status, 0, result.stderr);
    const tree = readTree(fleet);
    assert.deepEqual(
      Object.keys(tree)
        .filter((path) => tree[path] !== generated[path])
        .sort(),
      ['.yo-rc.json', 'README.md', 'iam/staging/trust-policy.json'],
    );
    assert.ok(!Object.keys(tree).some((path) => path.startsWith('clusters/staging/') && path.endsWith('.yo-rc.json')));
    assert.match(result.stderr, new RegExp(`The fleet in ${fleet}: staging, production\\.`));
  });

  it('flux-sops with a folder inside a fleet is refused: exit 2, nothing written', async () => {
    const result = await fluxSopsIn(fleet, '--no-interactive', '--account-id', ACCOUNT, '--repo-url', REPO, 'nested');
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      `flux-sops: nested is inside the fleet at ${fleet}: a fleet cannot hold another one. To change that fleet, run flux-sops there (or anywhere inside it) without a folder; for a new fleet, give a folder outside it. Nothing was written.\n`,
    );
    assert.deepEqual(readTree(fleet), generated);
  });

  it('yo flux-sops run in a subfolder acts on the fleet: the same answers change nothing there and write nothing in the subfolder', async () => {
    const subfolder = join(fleet, 'secrets', 'staging');
    await helpers
      .run(FleetGenerator, { namespace: 'flux-sops:app', resolved: generatorFile('app') }, { force: false })
      .cd(subfolder)
      .withOptions({ interactive: false, force: false } as Record<string, unknown>);
    process.chdir(projectRoot);
    assert.deepEqual(readTree(fleet), generated);
  });

  it('yo flux-sops:env run in a subfolder adds the environment to the fleet above', async () => {
    const subfolder = join(fleet, 'iam');
    await helpers
      .run(EnvironmentGenerator, { namespace: 'flux-sops:env', resolved: generatorFile('env') }, { force: false })
      .cd(subfolder)
      .withArguments(['qa'])
      .withOptions({ interactive: false, force: false } as Record<string, unknown>);
    process.chdir(projectRoot);
    const tree = readTree(fleet);
    assert.ok('iam/qa/trust-policy.json' in tree);
    assert.ok(!Object.keys(tree).some((path) => path.startsWith('iam/iam/') || path.startsWith('iam/.yo-rc')));
  });

  it('finds the fleet by its .yo-rc.json, not by a nearer .sops.yaml (a tenant repository checked out inside)', () => {
    const tenant = join(fleet, 'vendor', 'tenant');
    mkdirSync(tenant, { recursive: true });
    writeFileSync(join(tenant, '.sops.yaml'), 'creation_rules: []\n');
    assert.equal(findFleetRoot(tenant), fleet);
    // Outside any fleet, a SOPS repository made by hand is still found by its .sops.yaml.
    const handMade = mkdtempSync(join(workDir, 'hand-made-'));
    mkdirSync(join(handMade, 'secrets'));
    writeFileSync(join(handMade, '.sops.yaml'), 'creation_rules: []\n');
    assert.equal(findFleetRoot(join(handMade, 'secrets')), handMade);
    // A .yo-rc.json of another generator makes no fleet.
    writeFileSync(join(handMade, 'secrets', '.yo-rc.json'), '{"generator-other": {}}\n');
    assert.equal(findFleetRoot(join(handMade, 'secrets')), handMade);
  });

  it('check reports a fleet nested inside the fleet as an error, and a plain subfolder as nothing', async () => {
    const nested = join(fleet, 'old-fleet');
    cpSync(template, nested, { recursive: true });
    const result = await fluxSopsIn(fleet, 'check', '--json');
    assert.equal(result.status, 1);
    const findings = (
      JSON.parse(result.stdout) as { findings: { file: string; rule: string; severity: string; message: string }[] }
    ).findings;
    assert.deepEqual(
      findings.filter((each) => each.rule === 'nested-fleet'),
      [
        {
          file: 'old-fleet/.yo-rc.json',
          rule: 'nested-fleet',
          severity: 'error',
          message:
            "old-fleet/ is a fleet of its own inside this one: commands run in it act on it, not on this fleet, and its files are not what this fleet's Kustomizations apply",
          fix: 'move what you need from old-fleet/ into this fleet (flux-sops env add <name> adds an environment here), then delete old-fleet/',
        },
      ],
    );
    rmSync(nested, { recursive: true, force: true });
    mkdirSync(join(fleet, 'docs'));
    writeFileSync(join(fleet, 'docs', '.yo-rc.json'), '{"generator-other": {"x": 1}}\n');
    const clean = await fluxSopsIn(fleet, 'check', '--json');
    assert.deepEqual(
      (JSON.parse(clean.stdout) as { findings: { rule: string }[] }).findings.filter(
        (each) => each.rule === 'nested-fleet',
      ),
      [],
    );
  });
});

describe('first run: a choice is not an error', () => {
  let fleet: string;

  before(async () => {
    fleet = mkdtempSync(join(tmpdir(), 'first-run-declined-'));
    const result = await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, fleet]);
    assert.equal(result.status, 0, result.stderr);
  });

  after(() => {
    rmSync(fleet, { recursive: true, force: true });
  });

  it('answering no to "Replace it?" in a terminal exits 0 and says nothing was written; without a terminal and --force it is exit 1', async function () {
    if (!terminalAvailable()) {
      this.skip();
    }
    const sealed = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n# sealed earlier\n';
    writeFileSync(join(fleet, 'secrets/staging/db.yaml'), sealed);
    const { status, output } = await runCliInTerminal(
      ['secret', 'generic', 'staging', 'db', '--from-literal', 'password=x', '--cwd', fleet],
      [{ when: 'Replace it?', send: 'n\r' }],
    );
    assert.equal(status, 0, output);
    assert.equal(
      output.trimEnd().split('\n').at(-1),
      'secrets/staging/db.yaml kept as it is: nothing was written.',
      output,
    );
    assert.equal(readFileSync(join(fleet, 'secrets/staging/db.yaml'), 'utf8'), sealed);
    const withoutTerminal = await runCliInProcess([
      'secret',
      'generic',
      'staging',
      'db',
      '--from-literal',
      'password=x',
      '--no-interactive',
      '--cwd',
      fleet,
    ]);
    assert.equal(withoutTerminal.status, 1);
    assert.equal(
      withoutTerminal.stderr,
      'flux-sops: secrets/staging/db.yaml exists and is not the generated placeholder: nothing was written. Run again with --force to replace it (in a terminal you are asked).\n',
    );
  });
});

describe('first run: --help', () => {
  it('says each default once: no "(empty: none) (default: none)"', async () => {
    const help = await runCliInProcess(['--help']);
    assert.equal(help.status, 0);
    assert.match(
      help.stdout,
      /--backup-age-recipients <age1…> +Break-glass age public keys that can also decrypt every environment \(comma-separated\) \(default: none\)\n/,
    );
    assert.doesNotMatch(help.stdout, /empty: none/);
  });
});
