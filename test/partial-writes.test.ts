// Partial writes: Yeoman commits file by file, so a path that cannot be written must be found
// before the first write. Each case must fail with exactly the message naming the blocking path
// (exit 1), and leave the target exactly as it was (no half fleet, no .yo-rc.json). Cases run in
// this process through the executable's entry. The permission cases run as a user permissions
// apply to: this process when it is not root (permissions set with chmod); as root, which writes
// whatever the permissions say, one child process started as the user nobody runs them all.
import assert from 'node:assert/strict';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { type CliResult, runCliInProcess, runBuiltCliAs } from './cli-runner.js';
import { exampleAnswers, hashTree } from './support.js';

const ADVICE = 'Nothing was written. Fix these and run again.';
/** The unprivileged user of Debian images, for the child process when the tests run as root. */
const NOBODY = { uid: 65534, gid: 65534 };
const isRoot = userInfo().uid === 0;

/** Gives every folder under dir (and dir) back its owner's write permission, so it can be removed. */
function makeRemovable(dir: string): void {
  if (!existsSync(dir) || statSync(dir).isSymbolicLink()) {
    return;
  }
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) {
      makeRemovable(join(dir, entry.name));
    }
  }
}

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
    makeRemovable(workDir);
    rmSync(workDir, { recursive: true, force: true });
  });

  async function assertStopsBeforeWriting(expectedProblems: string[]): Promise<void> {
    const before = hashTree(target);
    const result = await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, target]);
    assert.equal(
      result.stderr,
      [
        `flux-sops: Cannot write into ${target}:`,
        ...expectedProblems.map((problem) => `  ${problem}`),
        ADVICE,
        '',
      ].join('\n'),
    );
    assert.equal(result.stdout, '');
    assert.equal(result.status, 1);
    assert.equal(hashTree(target), before, 'something was written');
    assert.equal(existsSync(join(target, '.yo-rc.json')), false);
  }

  it('a file where the clusters folder must go', async () => {
    writeFileSync(join(target, 'clusters'), 'not a folder\n');
    await assertStopsBeforeWriting([
      'clusters: is a file where a folder must go (for clusters/staging/flux-system/gotk-components.yaml)',
    ]);
  });

  it('a file deeper down, where an environment folder must go', async () => {
    mkdirSync(join(target, 'secrets'));
    writeFileSync(join(target, 'secrets/production'), '');
    await assertStopsBeforeWriting([
      'secrets/production: is a file where a folder must go (for secrets/production/kustomization.yaml)',
    ]);
  });

  it('a folder where a file must go, and a file where the workflows folder must go: both named', async () => {
    mkdirSync(join(target, 'README.md'));
    mkdirSync(join(target, '.github'));
    writeFileSync(join(target, '.github/workflows'), '');
    await assertStopsBeforeWriting([
      'README.md: is a folder where a file must go',
      '.github/workflows: is a file where a folder must go (for .github/workflows/flux-sops.yaml)',
    ]);
  });

  it('a symbolic link that would write outside the fleet', async () => {
    const outside = join(workDir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, join(target, 'iam'));
    await assertStopsBeforeWriting([
      'iam: is a symbolic link: nothing is written through one (it could point outside the fleet)',
    ]);
    assert.deepEqual(readdirSync(outside), [], 'something was written through the link');
  });

  it('a target below a file: named, nothing created', async () => {
    writeFileSync(join(target, 'notes'), 'a file\n');
    const nested = join(target, 'notes', 'fleet');
    const before = hashTree(target);
    const result = await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, nested]);
    assert.equal(
      result.stderr,
      `flux-sops: Cannot write into ${nested}:\n  ${join(target, 'notes')}: is a file, not a folder the fleet can go in\n${ADVICE}\n`,
    );
    assert.equal(result.status, 1);
    assert.equal(hashTree(target), before);
  });

  it('a target that is a file: a usage error (exit 2), the file untouched', async () => {
    writeFileSync(join(target, 'notes'), 'a file\n');
    const before = hashTree(target);
    const result = await runCliInProcess(['--no-interactive', '--answers', exampleAnswers, join(target, 'notes')]);
    assert.deepEqual(result, {
      status: 2,
      stdout: '',
      stderr: `flux-sops: ${join(target, 'notes')} is a file: give the folder to write the fleet into\n`,
    });
    assert.equal(hashTree(target), before);
  });

  describe(`permissions (${isRoot ? 'one child process run as the user nobody' : 'this process, with chmod'})`, () => {
    interface PermissionCase {
      what: string;
      /** Prepares the case's folder (its target is `target`, empty); returns the command line. */
      prepare: (target: string, caseDir: string) => Promise<string[]>;
      /** Paths (relative to the case's folder) the unprivileged user must own, as a user owns its fleet. */
      owned?: string[];
      /** The exact stderr; a status of 1. */
      expected: (target: string) => string;
    }
    const fleetArgs = (target: string) => ['--no-interactive', '--answers', exampleAnswers, target];
    const cannotWrite = (root: string, ...problems: string[]) =>
      [`flux-sops: Cannot write into ${root}:`, ...problems.map((problem) => `  ${problem}`), ADVICE, ''].join('\n');

    const cases: PermissionCase[] = [
      {
        what: 'a read-only subfolder of the fleet',
        prepare: async (target) => {
          mkdirSync(join(target, 'secrets'));
          chmodSync(join(target, 'secrets'), 0o555);
          return fleetArgs(target);
        },
        owned: ['fleet', 'fleet/secrets'],
        expected: (target) => cannotWrite(target, 'secrets/: cannot create secrets/staging in this folder (EACCES)'),
      },
      {
        what: 'a target folder the user cannot write in',
        prepare: async (target) => {
          chmodSync(target, 0o555);
          return fleetArgs(target);
        },
        expected: (target) => cannotWrite(target, './: cannot create .sops.yaml in this folder (EACCES)'),
      },
      {
        what: 'a read-only file the run would have to change (even with --force)',
        prepare: async (target) => {
          writeFileSync(join(target, '.gitignore'), 'node_modules/\n');
          chmodSync(join(target, '.gitignore'), 0o444);
          return ['--force', ...fleetArgs(target)];
        },
        owned: ['fleet', 'fleet/.gitignore'],
        expected: (target) => cannotWrite(target, '.gitignore: cannot be overwritten (EACCES)'),
      },
      {
        what: 'a missing target inside a folder the user cannot write in: not created',
        prepare: async (target) => {
          chmodSync(target, 0o555);
          return fleetArgs(join(target, 'new', 'fleet'));
        },
        expected: (target) =>
          cannotWrite(
            join(target, 'new', 'fleet'),
            `${target}: cannot create the folder ${join(target, 'new', 'fleet')} in it (EACCES)`,
          ),
      },
      {
        what: 'flux-sops env in a fleet whose secrets folder is read-only: nothing of the new environment is written',
        prepare: async (target, caseDir) => {
          const generated = await runCliInProcess(fleetArgs(join(caseDir, 'generated')));
          assert.equal(generated.status, 0, generated.stderr);
          cpSync(join(caseDir, 'generated'), target, { recursive: true });
          chmodSync(join(target, 'secrets'), 0o555);
          return ['env', 'qa', '--no-interactive', '--cwd', target];
        },
        owned: [
          'fleet',
          'fleet/secrets',
          'fleet/clusters',
          'fleet/iam',
          'fleet/tenants',
          'fleet/.yo-rc.json',
          'fleet/.sops.yaml',
          'fleet/README.md',
        ],
        expected: (target) => cannotWrite(target, 'secrets/: cannot create secrets/qa in this folder (EACCES)'),
      },
    ];

    const outcomes = new Map<PermissionCase, { target: string; before: string; result: CliResult }>();
    let permissionsDir: string;

    before(async () => {
      permissionsDir = mkdtempSync(join(tmpdir(), 'partial-permissions-'));
      chmodSync(permissionsDir, 0o755);
      const prepared = [];
      for (const [index, testCase] of cases.entries()) {
        const caseDir = join(permissionsDir, `case-${index}`);
        const target = join(caseDir, 'fleet');
        mkdirSync(target, { recursive: true });
        const args = await testCase.prepare(target, caseDir);
        if (isRoot) {
          for (const path of testCase.owned ?? []) {
            chownSync(join(caseDir, path), NOBODY.uid, NOBODY.gid);
          }
        }
        prepared.push({ testCase, target, args, before: hashTree(target) });
      }
      let results: CliResult[] = [];
      if (isRoot) {
        results = await runBuiltCliAs(
          { ...NOBODY, home: permissionsDir },
          prepared.map(({ args }) => args),
        );
      } else {
        for (const { args } of prepared) {
          results.push(await runCliInProcess(args));
        }
      }
      for (const [index, { testCase, target, before }] of prepared.entries()) {
        outcomes.set(testCase, { target, before, result: results[index] as CliResult });
      }
    });

    after(() => {
      makeRemovable(permissionsDir);
      rmSync(permissionsDir, { recursive: true, force: true });
    });

    for (const testCase of cases) {
      it(testCase.what, () => {
        const outcome = outcomes.get(testCase);
        assert.ok(outcome, 'the case did not run');
        const { target, before, result } = outcome;
        assert.equal(result.stderr, testCase.expected(target));
        assert.equal(result.stdout, '');
        assert.equal(result.status, 1);
        assert.equal(hashTree(target), before, 'something was written');
      });
    }
  });
});
