// Re-runs of the built command over a fleet: the same answers change no byte; a file the user
// edited stops a run without a terminal before anything is written, unless --force.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import helpers from 'yeoman-test';
import FleetGenerator from '../src/generators/app/index.js';
import { errorLines, runCli } from './cli-runner.js';
import { exampleAnswers, hashTree, readTree, type Tree } from './support.js';

const CONFLICT_ADVICE = 'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.';

function modificationTimes(dir: string): Record<string, number> {
  return Object.fromEntries(Object.keys(readTree(dir)).map((path) => [path, statSync(join(dir, path)).mtimeMs]));
}

describe('re-runs of flux-sops over a fleet', () => {
  let workDir: string;
  let fleet: string;
  let generated: Tree;

  beforeEach(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'reruns-'));
    fleet = join(workDir, 'fleet');
    const first = await runCli(['--no-interactive', '--answers', exampleAnswers, fleet]);
    assert.equal(first.status, 0, first.stderr);
    generated = readTree(fleet);
  });

  afterEach(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('changes no byte when run again with the same answers file, and rewrites no generated file', async () => {
    const times = modificationTimes(fleet);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await runCli(['--no-interactive', '--answers', exampleAnswers, fleet]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readTree(fleet), generated);
    // Yeoman always rewrites its own .yo-rc.json (same bytes); every generated file is left alone.
    const after = modificationTimes(fleet);
    delete after['.yo-rc.json'];
    delete times['.yo-rc.json'];
    assert.deepEqual(after, times);
  });

  it('changes no byte when run again from the stored answers alone', async () => {
    const again = await runCli(['--no-interactive', fleet]);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(readTree(fleet), generated);
  });

  it('stops without a terminal when the user edited files, lists them, and writes nothing', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    writeFileSync(join(fleet, 'secrets/staging/kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - git-repository.yaml\n  - repo-auth.yaml\n');
    // A deleted file would be re-created by a run that writes: it must stay missing.
    unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
    writeFileSync(join(fleet, 'NOTES.md'), 'the user’s own file\n');
    const before = hashTree(fleet);
    const result = await runCli(['--no-interactive', fleet]);
    assert.equal(result.status, 1, result.stderr);
    assert.deepEqual(errorLines(result.stderr), [
      'flux-sops: These files differ from what would be generated (edited by hand?):',
      '  README.md',
      '  secrets/staging/kustomization.yaml',
      CONFLICT_ADVICE,
    ]);
    assert.equal(hashTree(fleet), before);
  });

  it('treats changed answers like edits: the files they would change are listed, nothing is written', async () => {
    const before = hashTree(fleet);
    const result = await runCli(['--no-interactive', '--branch', 'release', fleet]);
    assert.equal(result.status, 1, result.stderr);
    assert.deepEqual(errorLines(result.stderr), [
      'flux-sops: These files differ from what would be generated (edited by hand?):',
      '  secrets/staging/git-repository.yaml',
      '  secrets/production/git-repository.yaml',
      CONFLICT_ADVICE,
    ]);
    assert.equal(hashTree(fleet), before);
  });

  it('with --force, restores the edited files and leaves the user’s own files alone', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    writeFileSync(join(fleet, 'clusters/production/apps.yaml'), '# emptied by hand\n');
    unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
    writeFileSync(join(fleet, 'NOTES.md'), 'the user’s own file\n');
    const result = await runCli(['--no-interactive', '--force', fleet]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(readTree(fleet), { ...generated, 'NOTES.md': 'the user’s own file\n' });
    assert.equal(readFileSync(join(fleet, 'README.md'), 'utf8'), generated['README.md']);
  });

  it('in a terminal, writes nothing when Ctrl-C comes at the second conflict question, the first already answered', async () => {
    appendFileSync(join(fleet, 'README.md'), '\n## Our own notes\n');
    unlinkSync(join(fleet, 'iam/production/trust-policy.json'));
    const before = hashTree(fleet);
    const questions: string[] = [];
    // Resolved from its file, as `yo` does, so it reads the answers stored under the package's
    // name; and without yeoman-test's default --force, so the conflicter asks.
    const run = helpers
      .run(FleetGenerator, { namespace: 'flux-sops:app', resolved: fileURLToPath(new URL('../src/generators/app/index.ts', import.meta.url)) }, { force: false })
      .cd(fleet)
      .withOptions({ interactive: true, force: false, branch: 'release' } as Record<string, unknown>)
      .withAnswers(
        { action: 'write' },
        {
          callback: (answer, { question }) => {
            questions.push(String(question.message));
            if (questions.length === 2) {
              throw Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' });
            }
            return answer;
          },
        },
      );
    await assert.rejects(run, { name: 'ExitPromptError' });
    // README.md (answered "overwrite"), then the first changed git-repository.yaml (Ctrl-C).
    assert.deepEqual(questions, ['Overwrite README.md?', 'Overwrite secrets/staging/git-repository.yaml?']);
    assert.equal(hashTree(fleet), before, 'a file was written before every question was answered');
  });
});
