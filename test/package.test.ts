// The package as users get it: `npm pack`, the tarball installed by npm, its `flux-sops` run
// (as root too, when the test runs as root: that is what the command exists for) and, as an
// unprivileged user, `yo flux-sops` from a global install next to `yo`.
// Slow (npm installs from the registry): `npm run test:package`, not part of `npm test`.
import assert from 'node:assert/strict';
import { type SpawnSyncOptions, spawnSync } from 'node:child_process';
import { chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { environmentInputs, fleetInputs } from '../src/fleet/inputs.js';

/** The inputs given as options (tenants is structured: the answers file only). */
const optionInputs = fleetInputs.filter((input) => !('structured' in input));
import { assertMatchesGolden, exampleAnswers, projectRoot, readTree } from './support.js';

const packageJson = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};
/** The major the README installs (`yo@7`): 7.x runs on Node 20. */
const yoMajor = '7';
const unprivilegedUser = 'nobody';
const runningAsRoot = process.getuid?.() === 0;

/**
 * The environment for npm and the installed commands: without the npm_* variables of an
 * enclosing `npm run` (its cache and prefix settings would leak into the installs), on the
 * Node that runs this test.
 */
function cleanEnvironment(): NodeJS.ProcessEnv {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
  return {
    ...environment,
    PATH: [dirname(process.execPath), process.env.PATH].join(delimiter),
    npm_config_update_notifier: 'false',
    NO_UPDATE_NOTIFIER: '1',
  };
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Run {
  const result = spawnSync(command, args, { encoding: 'utf8', env: cleanEnvironment(), timeout: 300_000, ...options });
  if (result.error) {
    throw result.error;
  }
  return { status: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs a command that must succeed; its output is in the failure message when it does not. */
function runOk(command: string, args: readonly string[], options: SpawnSyncOptions = {}): Run {
  const result = run(command, args, options);
  assert.equal(
    result.status,
    0,
    `${command} ${args.join(' ')} exited with ${result.status}\n${result.stdout}\n${result.stderr}`,
  );
  return result;
}

/** The `--flag` names listed in a help text, in order. */
function listedFlags(helpText: string): string[] {
  return [...helpText.matchAll(/^\s+(?:-\w,\s+)?--([a-z][a-z-]*)/gm)].map((match) => match[1] as string);
}

function filesUnder(root: string, folder: string): string[] {
  return readdirSync(join(root, folder), { recursive: true, encoding: 'utf8' })
    .map((entry) => join(folder, entry))
    .filter((path) => statSync(join(root, path)).isFile())
    .map((path) => path.split('\\').join('/'));
}

/** Marks the running test pending, with the reason in its title, so the output says why. */
function skipWithReason(context: Mocha.Context, reason: string): never {
  if (context.test) {
    context.test.title += ` (skipped: ${reason})`;
  }
  context.skip();
}

describe('the packed package', function () {
  let workDir: string;
  let tarball: string;

  before(function () {
    this.timeout(600_000);
    workDir = mkdtempSync(join(tmpdir(), 'flux-sops-package-'));
    // `prepack` builds dist/ first, so the tarball holds the current sources' output.
    runOk('npm', ['pack', '--pack-destination', workDir], { cwd: projectRoot });
    const tarballs = readdirSync(workDir).filter((name) => name.endsWith('.tgz'));
    assert.deepEqual(tarballs, [`${packageJson.name}-${packageJson.version}.tgz`]);
    tarball = join(workDir, tarballs[0] as string);
  });

  after(function () {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('ships exactly what runs: the compiled modules, the bundled checker, the templates, README.md, LICENSE, the notices and package.json', function () {
    const listed = runOk('tar', ['-tzf', tarball])
      .stdout.split('\n')
      .filter((line) => line !== '' && !line.endsWith('/'));
    const expected = [
      'LICENSE',
      'README.md',
      'THIRD-PARTY-NOTICES.md',
      'package.json',
      'dist/check.cjs',
      // The bundle's entry point is compiled into dist/check.cjs only.
      ...[...filesUnder(projectRoot, 'src'), ...filesUnder(projectRoot, 'generators')]
        .filter((path) => path.endsWith('.ts') && path !== 'src/check/standalone.ts')
        .map((path) => `dist/${path.replace(/\.ts$/, '.js')}`),
      ...filesUnder(projectRoot, 'templates'),
    ];
    assert.deepEqual(listed.map((path) => path.replace(/^package\//, '')).sort(), expected.sort());
  });

  describe('installed with npm into a prefix', function () {
    let prefix: string;
    let fluxSops: string;

    before(function () {
      this.timeout(600_000);
      prefix = join(workDir, 'prefix');
      runOk('npm', ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], {
        cwd: workDir,
      });
      fluxSops = join(prefix, 'node_modules', '.bin', 'flux-sops');
    });

    it(`writes the example fleet with the installed flux-sops${runningAsRoot ? ', as root (where yo refuses to run)' : ''}`, function () {
      this.timeout(120_000);
      const target = join(workDir, 'fleet');
      runOk(fluxSops, ['--answers', exampleAnswers, '--no-interactive', target], { cwd: workDir });
      if (runningAsRoot) {
        assert.equal(statSync(join(target, '.sops.yaml')).uid, 0);
      }
      assertMatchesGolden('example', readTree(target));
    });

    it('lists every option in flux-sops --help', function () {
      const help = runOk(fluxSops, ['--help']).stdout;
      const expectedFlags = [
        ...optionInputs.map((input) => input.option),
        'answers',
        'kms-key-arn',
        'cluster-name',
        'oidc-issuer',
        'force',
        'interactive',
        'no-interactive',
        'debug',
        'help',
      ];
      assert.deepEqual(listedFlags(help).sort(), expectedFlags.sort());
      for (const input of optionInputs) {
        assert.ok(
          help.includes(input.message),
          `--help does not describe --${input.option} as ${JSON.stringify(input.message)}`,
        );
      }
    });

    it('lists every option in flux-sops env --help', function () {
      const help = runOk(fluxSops, ['env', '--help']).stdout;
      const expectedFlags = [
        ...environmentInputs.map((input) => input.option),
        'cwd',
        'force',
        'interactive',
        'no-interactive',
        'debug',
        'help',
      ];
      assert.deepEqual(listedFlags(help).sort(), expectedFlags.sort());
      for (const input of environmentInputs) {
        assert.ok(
          help.includes(input.message),
          `env --help does not describe --${input.option} as ${JSON.stringify(input.message)}`,
        );
      }
    });

    it('prints the package version with flux-sops --version', function () {
      assert.equal(runOk(fluxSops, ['--version']).stdout, `${packageJson.version}\n`);
    });
  });

  describe(`installed as the README says for a normal user (a user prefix, yo@${yoMajor}), as the unprivileged user ${unprivilegedUser}`, function () {
    let skipReason: string | undefined;
    let userDir: string;
    let userEnvironment: string[];
    let yo: string;
    let fluxSops: string;
    const tarballName = `${packageJson.name}-${packageJson.version}.tgz`;

    /** Runs a command as the unprivileged user, with its own HOME (npm cache, yo's config). */
    const runAsUser = (command: string, args: readonly string[], cwd: string): Run =>
      runOk('runuser', ['-u', unprivilegedUser, '--', 'env', ...userEnvironment, command, ...args], { cwd });

    before(function () {
      this.timeout(600_000);
      if (!runningAsRoot) {
        skipReason = 'needs root to run commands as an unprivileged user';
        return;
      }
      const uid = run('id', ['-u', unprivilegedUser]);
      const gid = run('id', ['-g', unprivilegedUser]);
      if (uid.status !== 0 || gid.status !== 0) {
        skipReason = `no user ${unprivilegedUser} on this machine`;
        return;
      }
      userDir = mkdtempSync(join(tmpdir(), 'flux-sops-yo-'));
      const home = join(userDir, 'home');
      mkdirSync(home);
      mkdirSync(join(userDir, 'fleet'));
      copyFileSync(tarball, join(userDir, tarballName));
      copyFileSync(exampleAnswers, join(userDir, 'fleet.yaml'));
      for (const path of [
        userDir,
        home,
        join(userDir, 'fleet'),
        join(userDir, tarballName),
        join(userDir, 'fleet.yaml'),
      ]) {
        chownSync(path, Number(uid.stdout), Number(gid.stdout));
      }
      // The README's "Install" for a normal user: a prefix of the user's own, its bin on PATH.
      const userPrefix = join(home, '.local');
      userEnvironment = [`HOME=${home}`, `PATH=${join(userPrefix, 'bin')}${delimiter}${cleanEnvironment().PATH}`];
      const probe = spawnSync(
        'runuser',
        ['-u', unprivilegedUser, '--', 'env', ...userEnvironment, 'node', '--version'],
        { encoding: 'utf8' },
      );
      if (probe.error || probe.status !== 0) {
        skipReason = `cannot run node as ${unprivilegedUser} with runuser: ${probe.error?.message ?? probe.stderr.trim()}`;
        return;
      }
      // Exactly the README's commands (the first with the value of $HOME spelled out).
      runAsUser('npm', ['config', 'set', 'prefix', userPrefix], userDir);
      runAsUser(
        'npm',
        ['install', '--global', '--prefer-offline', '--no-audit', '--no-fund', `./${tarballName}`, `yo@${yoMajor}`],
        userDir,
      );
      yo = join(userPrefix, 'bin', 'yo');
      fluxSops = join(userPrefix, 'bin', 'flux-sops');
    });

    it('runs flux-sops from the user prefix, and from the tarball with npx, without installing', function () {
      if (skipReason) {
        skipWithReason(this, skipReason);
      }
      this.timeout(300_000);
      assert.equal(runAsUser(fluxSops, ['--version'], userDir).stdout, `${packageJson.version}\n`);
      assert.equal(
        runAsUser('npx', ['--yes', `--package=./${tarballName}`, 'flux-sops', '--version'], userDir).stdout,
        `${packageJson.version}\n`,
      );
    });

    after(function () {
      if (userDir) {
        rmSync(userDir, { recursive: true, force: true });
      }
    });

    it('lists the generator options in yo flux-sops --help', function () {
      if (skipReason) {
        skipWithReason(this, skipReason);
      }
      this.timeout(120_000);
      const help = runAsUser(yo, ['flux-sops', '--help'], join(userDir, 'fleet')).stdout;
      const flags = listedFlags(help);
      for (const flag of [
        ...optionInputs.map((input) => input.option),
        'answers',
        'kms-key-arn',
        'cluster-name',
        'oidc-issuer',
        'interactive',
        'no-interactive',
        'force',
      ]) {
        assert.ok(flags.includes(flag), `yo flux-sops --help does not list --${flag}:\n${help}`);
      }
      for (const flag of ['skip-install', 'force-install', 'skip-cache', 'ask-answered']) {
        assert.ok(
          !flags.includes(flag),
          `yo flux-sops --help lists Yeoman's --${flag}, which does nothing here:\n${help}`,
        );
      }
      assert.match(help, /--account-id <id> {2,}AWS account ID/);
      for (const input of optionInputs) {
        assert.ok(
          help.includes(input.message),
          `yo flux-sops --help does not describe --${input.option} as ${JSON.stringify(input.message)}`,
        );
      }
    });

    it("exits as flux-sops does under yo: 2 for invalid input and for a missing name, with the product's message", function () {
      if (skipReason) {
        skipWithReason(this, skipReason);
      }
      this.timeout(120_000);
      const invalid = spawnSync(
        'runuser',
        [
          '-u',
          unprivilegedUser,
          '--',
          'env',
          ...userEnvironment,
          yo,
          'flux-sops',
          '--account-id',
          '12',
          '--repo-url',
          'https://github.com/acme/apps.git',
          '--no-interactive',
        ],
        {
          cwd: join(userDir, 'fleet'),
          encoding: 'utf8',
          env: cleanEnvironment(),
        },
      );
      assert.equal(invalid.status, 2, invalid.stderr);
      assert.match(invalid.stderr, /^flux-sops: Invalid accountId "12": must be exactly 12 digits/m);
      assert.doesNotMatch(invalid.stderr, /An error occured/);
      const unnamed = spawnSync(
        'runuser',
        ['-u', unprivilegedUser, '--', 'env', ...userEnvironment, yo, 'flux-sops:env', '--no-interactive'],
        {
          cwd: join(userDir, 'fleet'),
          encoding: 'utf8',
          env: cleanEnvironment(),
        },
      );
      assert.equal(unnamed.status, 2, unnamed.stderr);
      assert.match(
        unnamed.stderr,
        /^flux-sops: Missing the name of the environment to add\.\nUsage: yo flux-sops:env <name>/m,
      );
    });

    it('writes the example fleet with yo flux-sops --answers', function () {
      if (skipReason) {
        skipWithReason(this, skipReason);
      }
      this.timeout(120_000);
      const target = join(userDir, 'fleet');
      runAsUser(yo, ['flux-sops', '--answers', join(userDir, 'fleet.yaml'), '--no-interactive'], target);
      assert.equal(statSync(join(target, '.yo-rc.json')).uid, Number(run('id', ['-u', unprivilegedUser]).stdout));
      assertMatchesGolden('example', readTree(target));
    });
  });
});
