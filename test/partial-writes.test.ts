// Partial writes: Yeoman commits file by file, so a path that cannot be written must be found
// before the first write. Each case runs the built command and must fail with a message naming
// the blocking path, and leave the target exactly as it was (no half fleet, no .yo-rc.json).
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { errorLines, runCli } from './cli-runner.js';
import { exampleAnswers, hashTree } from './support.js';

const ADVICE = 'Nothing was written. Fix these and run again.';
/** The unprivileged user of Debian images: as root, file permissions would not stop a write. */
const NOBODY = { uid: 65534, gid: 65534 };

describe('partial writes: a path that cannot be written stops the run before the first write', () => {
  let workDir: string;
  let target: string;

  beforeEach(() => {
    workDir = mkdtempSync(join(tmpdir(), 'partial-'));
    chmodSync(workDir, 0o755);
    target = join(workDir, 'fleet');
    mkdirSync(target);
  });

  afterEach(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  async function assertStopsBeforeWriting(expectedProblems: string[], runAs?: { uid: number; gid: number }): Promise<void> {
    const before = hashTree(target);
    const result = await runCli(['--no-interactive', '--answers', exampleAnswers, target], {
      ...runAs,
      env: runAs ? { HOME: workDir } : {},
    });
    assert.deepEqual(errorLines(result.stderr), [`flux-sops: Cannot write the fleet into ${target}:`, ...expectedProblems.map((problem) => `  ${problem}`), ADVICE]);
    assert.equal(result.status, 1);
    assert.equal(hashTree(target), before, 'something was written');
    assert.equal(existsSync(join(target, '.yo-rc.json')), false);
  }

  it('a file where the clusters folder must go', async () => {
    writeFileSync(join(target, 'clusters'), 'not a folder\n');
    await assertStopsBeforeWriting(['clusters: is a file where a folder must go (for clusters/staging/flux-system/gotk-components.yaml)']);
  });

  it('a file deeper down, where an environment folder must go', async () => {
    mkdirSync(join(target, 'secrets'));
    writeFileSync(join(target, 'secrets/production'), '');
    await assertStopsBeforeWriting(['secrets/production: is a file where a folder must go (for secrets/production/kustomization.yaml)']);
  });

  it('a folder where a file must go', async () => {
    mkdirSync(join(target, 'README.md'));
    await assertStopsBeforeWriting(['README.md: is a folder where a file must go']);
  });

  it('a symbolic link that would write outside the fleet', async () => {
    const outside = join(workDir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(target, 'iam'));
    await assertStopsBeforeWriting(['iam: is a symbolic link: nothing is written through one (it could point outside the fleet)']);
    assert.deepEqual(readdirSync(outside), [], 'something was written through the link');
  });

  describe('permissions (run as the unprivileged user nobody)', function () {
    before(function () {
      if (userInfo().uid !== 0) {
        // Only root can start a process as another user; as a normal user chmod alone is enough.
        this.skip();
      }
    });

    it('a read-only subfolder of the fleet', async () => {
      chownSync(target, NOBODY.uid, NOBODY.gid);
      mkdirSync(join(target, 'secrets'));
      chownSync(join(target, 'secrets'), NOBODY.uid, NOBODY.gid);
      chmodSync(join(target, 'secrets'), 0o555);
      await assertStopsBeforeWriting(['secrets/: cannot create secrets/staging in this folder (EACCES)'], NOBODY);
    });

    it('a target folder the user cannot write in', async () => {
      await assertStopsBeforeWriting(['./: cannot create .sops.yaml in this folder (EACCES)'], NOBODY);
    });

    it('a read-only file the run would have to change', async () => {
      chownSync(target, NOBODY.uid, NOBODY.gid);
      writeFileSync(join(target, '.gitignore'), 'node_modules/\n');
      chmodSync(join(target, '.gitignore'), 0o444);
      const before = hashTree(target);
      const result = await runCli(['--no-interactive', '--force', '--answers', exampleAnswers, target], { ...NOBODY, env: { HOME: workDir } });
      assert.deepEqual(errorLines(result.stderr), [`flux-sops: Cannot write the fleet into ${target}:`, '  .gitignore: cannot be overwritten (EACCES)', ADVICE]);
      assert.equal(result.status, 1);
      assert.equal(hashTree(target), before);
    });
  });
});
