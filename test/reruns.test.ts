// Re-runs of flux-sops over a fleet: the same answers change no byte and write no file (not even
// .yo-rc.json); changed answers update the files still as the stored answers generated them,
// without a question; only files the user edited are conflicts, which stop a run without a
// terminal before anything is written, unless --force; and the files flux bootstrap fills are
// kept whatever they hold. Runs in this process through the executable's entry; the conflict
// questions of a terminal run the generator with a scripted prompt, and Ctrl-C at one also runs
// the built package in a real (pseudo-)terminal.
import assert from 'node:assert/strict';
import {
  appendFileSync,
  cpSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import helpers from 'yeoman-test';
import FleetGenerator from '../generators/app/index.js';
import { FluxSopsError } from '../src/errors.js';
import {
  type CliResult,
  loggedStatuses,
  outputLines,
  runCliInProcess,
  runCliInTerminal,
  terminalAvailable,
} from './cli-runner.js';
import {
  exampleAnswers,
  generatorFile,
  hashTree,
  projectRoot,
  readTree,
  type Tree,
  writeAnswersFile,
} from './support.js';

const CONFLICT_ADVICE =
  'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.';
const STAGING_ISSUER = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE';
const BOOTSTRAP_FILES = [
  'clusters/staging/flux-system/gotk-components.yaml',
  'clusters/staging/flux-system/gotk-sync.yaml',
];

function modificationTimes(dir: string): Record<string, number> {
  return Object.fromEntries(Object.keys(readTree(dir)).map((path) => [path, statSync(join(dir, path)).mtimeMs]));
}

/** The summary and next steps every generation of the example fleet ends with. */
function nextStepsOf(fleet: string): string[] {
  return [
    `The fleet in ${fleet}: staging, production.`,
    "Next (README.md has every command with this fleet's values):",
    '  1. Create the KMS key and IAM role of each environment (the aws commands of README.md for staging), then git commit and git push.',
    '  2. Bootstrap each cluster: flux bootstrap git --url=<this repository> --path=clusters/staging',
    "  3. Seal each tenant's Git credentials: flux-sops secret git staging --tenant <tenant>; then flux-sops check.",
  ];
}

function assertSucceeded(result: CliResult, fleet: string): void {
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, '');
  assert.deepEqual(outputLines(result.stderr).slice(-5), nextStepsOf(fleet));
}

/** `flux-sops` as a user runs it without a terminal. */
const rerun = (fleet: string, ...args: string[]) => runCliInProcess(['--no-interactive', ...args, fleet]);

describe('re-runs of flux-sops over a fleet', () => {
  let workDir: string;
  let template: string;
  let fleet: string;
  let generated: Tree;

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'reruns-'));
    template = join(workDir, 'template');
    const first = await rerun(template, '--answers', exampleAnswers);
    assertSucceeded(first, template);
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

  it('with the same answers file: changes no byte, writes no file (not even .yo-rc.json), logs every file identical', async () => {
    const times = modificationTimes(fleet);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await rerun(fleet, '--answers', exampleAnswers);
    assertSucceeded(again, fleet);
    assert.deepEqual(readTree(fleet), generated);
    assert.deepEqual(modificationTimes(fleet), times, 'a file was rewritten');
    assert.deepEqual(
      loggedStatuses(again.stderr),
      Object.fromEntries(Object.keys(generated).map((path) => [path, 'identical'])),
    );
  });

  it('from the stored answers alone: changes no byte and writes no file', async () => {
    const times = modificationTimes(fleet);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await rerun(fleet);
    assertSucceeded(again, fleet);
    assert.deepEqual(readTree(fleet), generated);
    assert.deepEqual(modificationTimes(fleet), times, 'a file was rewritten');
  });

  it('with a new OIDC issuer: updates the trust policy, README and .yo-rc.json without a conflict, as generating with it would', async () => {
    const again = await rerun(fleet, '--oidc-issuer', `staging=https://${STAGING_ISSUER}`);
    assertSucceeded(again, fleet);
    const statuses = loggedStatuses(again.stderr);
    const updated = ['.yo-rc.json', 'README.md', 'iam/staging/trust-policy.json'];
    assert.deepEqual(
      statuses,
      Object.fromEntries(Object.keys(generated).map((path) => [path, updated.includes(path) ? 'update' : 'identical'])),
    );
    const after = readTree(fleet);
    assert.deepEqual(
      Object.keys(after).filter((path) => after[path] !== generated[path]),
      updated,
    );
    const example = parse(readFileSync(exampleAnswers, 'utf8')) as { environments: unknown[] };
    const atOnce = join(workDir, 'at-once-issuer');
    const answers = writeAnswersFile({
      ...example,
      environments: [{ name: 'staging', oidcIssuer: STAGING_ISSUER }, ...example.environments.slice(1)],
    });
    assertSucceeded(await rerun(atOnce, '--answers', answers), atOnce);
    assert.deepEqual(after, readTree(atOnce));
  });

  it('with a new backup recipient: ends with flux-sops updatekeys for the environments whose keys changed, not the bootstrap steps', async () => {
    const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    const again = await rerun(fleet, '--backup-age-recipients', recipient);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(outputLines(again.stderr).slice(-4), [
      `The fleet in ${fleet}: the master keys of staging, production changed in .sops.yaml.`,
      'Next:',
      '  1. Re-wrap the sealed files for the new keys: flux-sops updatekeys staging production (it decrypts first: it needs the decrypt policy, or a backup age identity).',
      '  2. flux-sops check, then git commit and git push.',
    ]);
    // A re-run that changes no key still ends with the first steps.
    assertSucceeded(await rerun(fleet, '--branch', 'release'), fleet);
  });

  it('with a new branch: updates the generated files it changes, logged update, never force', async () => {
    const again = await rerun(fleet, '--branch', 'release');
    assertSucceeded(again, fleet);
    const updated = ['.yo-rc.json', 'README.md', 'tenants/staging/apps/sync.yaml', 'tenants/production/apps/sync.yaml'];
    assert.deepEqual(
      Object.entries(loggedStatuses(again.stderr))
        .filter(([, status]) => status !== 'identical')
        .map(([path, status]) => `${status} ${path}`)
        .sort(),
      updated.map((path) => `update ${path}`).sort(),
    );
    assert.match(readFileSync(join(fleet, 'tenants/staging/apps/sync.yaml'), 'utf8'), /\n {4}branch: release\n/);
  });

  it('stops without a terminal when the user edited files, lists only those, and writes nothing', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    appendFileSync(join(fleet, 'clusters/staging/tenants.yaml'), '  suspend: true\n');
    // A deleted file would be re-created by a run that writes: it must stay missing.
    unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
    writeFileSync(join(fleet, 'NOTES.md'), 'the user’s own file\n');
    const before = hashTree(fleet);
    const result = await rerun(fleet);
    assert.deepEqual(result, {
      status: 1,
      stdout: '',
      stderr: `flux-sops: These files differ from what would be generated (edited by hand?):\n  README.md\n  clusters/staging/tenants.yaml\n${CONFLICT_ADVICE}\n`,
    });
    assert.equal(hashTree(fleet), before);
  });

  it('with changed answers and an edited file: only the edited file is a conflict, and nothing is written', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    const before = hashTree(fleet);
    const result = await rerun(fleet, '--branch', 'release');
    assert.equal(
      result.stderr,
      `flux-sops: These files differ from what would be generated (edited by hand?):\n  README.md\n${CONFLICT_ADVICE}\n`,
    );
    assert.equal(result.status, 1);
    assert.equal(hashTree(fleet), before);
  });

  it('with --force: restores the edited and deleted files, and leaves the user’s own files alone', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    writeFileSync(join(fleet, 'clusters/production/tenants.yaml'), '# emptied by hand\n');
    unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
    writeFileSync(join(fleet, 'NOTES.md'), 'the user’s own file\n');
    const result = await rerun(fleet, '--force');
    assertSucceeded(result, fleet);
    assert.deepEqual(readTree(fleet), { ...generated, 'NOTES.md': 'the user’s own file\n' });
    const statuses = loggedStatuses(result.stderr);
    assert.equal(statuses['iam/production/trust-policy.json'], 'create');
    assert.equal(statuses['.yo-rc.json'], 'identical');
    assert.deepEqual(
      Object.keys(statuses)
        .filter((path) => !['identical', 'create'].includes(statuses[path] as string))
        .sort(),
      ['README.md', 'clusters/production/tenants.yaml'],
    );
  });

  it('keeps gotk-components.yaml and gotk-sync.yaml once flux bootstrap filled them (logged skip), even with changed answers and --force', async () => {
    const filled = {
      [BOOTSTRAP_FILES[0] as string]:
        '# Flux components, written by flux bootstrap\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n',
      [BOOTSTRAP_FILES[1] as string]: '# written by flux bootstrap\n',
    };
    for (const [path, contents] of Object.entries(filled)) {
      writeFileSync(join(fleet, path), contents);
    }
    const expected = { ...generated, ...filled };
    const plain = await rerun(fleet);
    assertSucceeded(plain, fleet);
    assert.deepEqual(readTree(fleet), expected);
    assert.deepEqual(
      BOOTSTRAP_FILES.map((path) => loggedStatuses(plain.stderr)[path]),
      ['skip', 'skip'],
    );
    const forced = await rerun(fleet, '--force', '--branch', 'release');
    assertSucceeded(forced, fleet);
    const after = readTree(fleet);
    for (const path of BOOTSTRAP_FILES) {
      assert.equal(after[path], filled[path], path);
      assert.equal(loggedStatuses(forced.stderr)[path], 'skip');
    }
  });

  it('keeps a sealed apps-auth.yaml and the kustomization.yaml that lists it, even with changed answers and --force', async () => {
    const sealed = {
      'secrets/staging/apps-auth.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: apps-auth\n# sealed by flux-sops secret git staging\n',
      'secrets/staging/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - apps-auth.yaml\n',
    };
    for (const [path, contents] of Object.entries(sealed)) {
      writeFileSync(join(fleet, path), contents);
    }
    const changed = await rerun(fleet, '--branch', 'release');
    assertSucceeded(changed, fleet);
    const forced = await rerun(
      fleet,
      '--force',
      '--backup-age-recipients',
      'age1q3uh32wvcqqk96yskj4x05w7ymapfx2vykz9j85augt5wktyne8qz533tq',
    );
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /flux-sops updatekeys staging production/);
    const after = readTree(fleet);
    for (const [path, contents] of Object.entries(sealed)) {
      assert.equal(after[path], contents, path);
      assert.equal(loggedStatuses(forced.stderr)[path], 'skip', path);
    }
    assert.match(after['.sops.yaml'] ?? '', /age: age1q3uh32/);
  });

  it('switched from iac terraform to none, removes nothing and says so', async () => {
    const withTerraform = await rerun(fleet, '--iac', 'terraform');
    assert.equal(withTerraform.status, 0, withTerraform.stderr);
    assert.ok(
      withTerraform.stderr.includes(
        '(terraform -chdir=terraform/staging init && terraform -chdir=terraform/staging apply)',
      ),
      withTerraform.stderr,
    );
    const terraformFiles = Object.keys(readTree(fleet)).filter((path) => path.startsWith('terraform/'));
    assert.equal(terraformFiles.length, 8);
    const back = await rerun(fleet, '--iac', 'none');
    assertSucceeded(back, fleet);
    assert.deepEqual(
      Object.keys(readTree(fleet)).filter((path) => path.startsWith('terraform/')),
      terraformFiles,
    );
    assert.ok(
      back.stderr.includes(
        'Note: iac is now none: terraform/ was left as it is (its state may still manage your AWS resources); remove it yourself once you no longer apply it.',
      ),
      back.stderr,
    );
  });

  describe('in a terminal', () => {
    /** Runs the main generator in a terminal over the fleet; `answer` sees each question asked. */
    function runInTerminal(answer: (question: { name: string; message: string }) => unknown) {
      // Resolved from its file, as `yo` does, so it reads the answers stored under the package's
      // name; and without yeoman-test's default --force, so the conflicter asks.
      return helpers
        .run(FleetGenerator, { namespace: 'flux-sops:app', resolved: generatorFile('app') }, { force: false })
        .cd(fleet)
        .withOptions({ interactive: true, force: false } as Record<string, unknown>)
        .withAnswers(
          { action: 'write', backupAgeRecipients: 'scripted' },
          {
            callback: (_answer, { question }) =>
              answer({ name: String(question.name), message: String(question.message) }),
          },
        );
    }

    it('asks nothing when nothing changed: every input is in the stored answers', async () => {
      const asked: string[] = [];
      await runInTerminal((question) => {
        asked.push(`${question.name}: ${question.message}`);
        return question.name === 'action' ? 'write' : '';
      });
      assert.deepEqual(asked, []);
      assert.deepEqual(readTree(fleet), generated);
    });

    it('writes nothing when Ctrl-C comes at the second conflict question, the first already answered: cancelled, exit 130', async () => {
      appendFileSync(join(fleet, 'clusters/staging/tenants.yaml'), '# edited\n');
      appendFileSync(join(fleet, 'clusters/production/tenants.yaml'), '# edited\n');
      unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
      const before = hashTree(fleet);
      const conflicts: string[] = [];
      let failure: unknown;
      await runInTerminal((question) => {
        if (question.name !== 'action') {
          return ''; // an input question (see the test above)
        }
        conflicts.push(question.message);
        if (conflicts.length === 2) {
          throw Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
        }
        return 'write';
      }).then(
        () => assert.fail('the run went on after Ctrl-C'),
        (error: unknown) => {
          failure = error;
        },
      );
      // Both edited files are asked about (Yeoman's conflicter settles files in parallel, so in
      // either order): the first answered "overwrite", Ctrl-C at the second; the deleted file asks nothing.
      assert.deepEqual([...conflicts].sort(), [
        'Overwrite clusters/production/tenants.yaml?',
        'Overwrite clusters/staging/tenants.yaml?',
      ]);
      assert.equal(hashTree(fleet), before, 'a file was written before every question was answered');
      assert.ok(
        failure instanceof FluxSopsError,
        `Ctrl-C ends the run as the product's cancellation, not as ${String(failure)}`,
      );
      assert.deepEqual(
        [failure.kind, failure.code, failure.message],
        ['cancelled', 130, 'Cancelled: nothing was written.'],
      );
    });
  });

  describe('in a real terminal (the built package)', () => {
    before(function () {
      if (!terminalAvailable()) {
        if (process.env.CI) {
          assert.fail('script (util-linux) is required in CI to run flux-sops in a terminal');
        }
        this.skip();
      }
    });

    it('Ctrl-C at the second conflict question, the first answered: "Cancelled: nothing was written.", exit 130, and nothing written', async () => {
      appendFileSync(join(fleet, 'clusters/staging/tenants.yaml'), '# edited\n');
      appendFileSync(join(fleet, 'clusters/production/tenants.yaml'), '# edited\n');
      const before = hashTree(fleet);
      // With a changed branch, README.md and .yo-rc.json would be updated: nothing says so before the cancellation.
      const { status, output } = await runCliInTerminal(
        ['--branch', 'release', fleet],
        [
          { when: 'Overwrite clusters/staging/tenants.yaml?', send: 'y\r' },
          { when: 'Overwrite clusters/production/tenants.yaml?', send: '\x03' },
        ],
      );
      assert.equal(hashTree(fleet), before, 'a file was written');
      assert.ok(output.includes('Overwrite clusters/production/tenants.yaml?'), output);
      assert.doesNotMatch(output, /^\s*update /m, 'an update logged, though nothing was written');
      assert.equal(output.trimEnd().split('\n').at(-1), 'Cancelled: nothing was written.', output);
      assert.equal(status, 130, output);
    });
  });
});
