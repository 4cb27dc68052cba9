// The fleet's own checker (.flux-sops/check.cjs): the bundle itself (runs on plain Node alone,
// loads no network module, reproducible, headed), the CI workflow and pre-commit hook that run
// it, CODEOWNERS, and key hygiene: the generated .gitignore held to `git check-ignore`, the
// checker's own reading of Git's ignore rules held to `git ls-files`, private keys found in any
// file Git would commit, and the sealing commands' refusals.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { GitIgnoreRules } from '../src/disk/git-ignored.js';
import { findPrivateKeyKind } from '../src/check/repository.js';
import { FLEET_CHECKER_FILE, PLACEHOLDER_CODE_OWNER } from '../src/fleet/layout.js';
import { runCliInProcess } from './cli-runner.js';
import { exampleAnswers, projectRoot, shippedCheckerFile, writeAnswersFile } from './support.js';

const scratch: string[] = [];
after(() => {
  for (const folder of scratch) {
    rmSync(folder, { recursive: true, force: true });
  }
});

/** A fresh folder under the system's temporary folder, which has no node_modules above it. */
function freshFolder(prefix: string): string {
  const folder = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(folder);
  return folder;
}

async function generateFleet(extra: readonly string[] = []): Promise<string> {
  const target = join(freshFolder('fleet-checker-'), 'fleet');
  const result = await runCliInProcess(['--answers', exampleAnswers, ...extra, '--no-interactive', target]);
  assert.equal(result.status, 0, result.stderr);
  return target;
}

function write(root: string, path: string, contents: string | Uint8Array): void {
  mkdirSync(dirname(join(root, path)), { recursive: true });
  writeFileSync(join(root, path), contents);
}

const rsaPem = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs1', format: 'pem' })
  .toString();
const ed25519Pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** An OpenSSH private key's armour around filler: the checker looks at the armour, as `ssh` does first. */
const openSshKey = [
  '-----BEGIN OPENSSH',
  ' PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH',
  ' PRIVATE KEY-----\n',
].join('');
const ageIdentity = ['AGE', 'SECRET', 'KEY', '1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQY'].join('-');

/** Node alone on PATH: a folder holding only a link to this node binary. */
function nodeOnlyPath(): string {
  const bin = freshFolder('node-only-');
  symlinkSync(process.execPath, join(bin, 'node'));
  return bin;
}

function runBundled(fleet: string, args: readonly string[]) {
  const result = spawnSync('node', [FLEET_CHECKER_FILE, ...args], {
    cwd: fleet,
    env: { PATH: nodeOnlyPath() },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function hasNodeModulesAbove(folder: string): boolean {
  for (let current = folder; ; current = dirname(current)) {
    if (existsSync(join(current, 'node_modules'))) {
      return true;
    }
    if (dirname(current) === current) {
      return false;
    }
  }
}

describe("the bundled checker (dist/check.cjs, a fleet's .flux-sops/check.cjs)", () => {
  const bundle = readFileSync(shippedCheckerFile);

  it('is under 1 MB, not minified, and headed by name, version and the SHA-256 of the bytes after the header', () => {
    assert.ok(bundle.length < 1024 * 1024, `${bundle.length} bytes`);
    const text = bundle.toString('utf8');
    const end = text.indexOf('\n\n');
    const header = text.slice(0, end);
    const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.match(
      header,
      new RegExp(
        `^// generator-flux-sops ${version.replaceAll('.', '\\.')}: \`flux-sops check\` bundled into one file`,
      ),
    );
    const hash = /sha256 of the bytes after this header: ([0-9a-f]{64})/.exec(header)?.[1];
    assert.equal(
      hash,
      createHash('sha256')
        .update(bundle.subarray(Buffer.byteLength(text.slice(0, end + 2))))
        .digest('hex'),
    );
    assert.match(header, /Refresh it by running flux-sops \(or yo flux-sops\)/);
    assert.ok(text.split('\n').length > 5000, 'one statement per line, as written: a reviewable diff');
  });

  it('is built reproducibly: bundling again gives the same bytes, which name no path of this checkout', () => {
    execFileSync(process.execPath, [join(projectRoot, 'scripts', 'bundle-check.mjs')]);
    assert.ok(readFileSync(shippedCheckerFile).equals(bundle));
    assert.ok(!bundle.includes(projectRoot.replace(/\/$/, '')), 'an absolute path of the checkout is in the bundle');
  });

  it('requires no network module, and no module outside Node itself', () => {
    const required = [...bundle.toString('utf8').matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map(
      (match) => match[1] as string,
    );
    assert.ok(required.length > 0, 'the walker sees requires');
    assert.deepEqual(
      required.filter((specifier) => !specifier.startsWith('node:')),
      [],
    );
    const network = ['net', 'http', 'https', 'http2', 'dns', 'tls', 'dgram'];
    assert.deepEqual(
      required.filter((specifier) => network.includes(specifier.slice('node:'.length))),
      [],
    );
    // Outside comments (JSDoc types name modules as import('…')).
    assert.doesNotMatch(bundle.toString('utf8'), /^(?![ \t]*(?:\*|\/\/)).*(?:\bimport\(|\bimport\.meta\b)/m);
  });

  it('runs with PATH reduced to the node binary and no node_modules above, finding what flux-sops check finds', async () => {
    const fleet = await generateFleet();
    assert.ok(!hasNodeModulesAbove(fleet), 'a node_modules folder above the fleet');
    // Planted problems: a plaintext Secret, an encrypted file where nothing decrypts it, keys
    // under odd names and in a binary file, and a key in an ignored file (not reported).
    write(
      fleet,
      'clusters/staging/db.yaml',
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: hunter2\n',
    );
    write(fleet, 'notes/old.txt', rsaPem);
    write(
      fleet,
      'backup/blob.bin',
      Buffer.concat([Buffer.from([0, 1, 2, 255, 0]), Buffer.from(openSshKey), Buffer.from([0, 0, 7])]),
    );
    write(fleet, 'docs/team.md', `# keys\n${ageIdentity}\n`);
    write(fleet, 'deploy_key', ed25519Pem);
    write(fleet, 'terraform.tfstate', JSON.stringify({ private_key: rsaPem }));

    const bundled = runBundled(fleet, ['--json']);
    const installed = await runCliInProcess(['check', fleet, '--json']);
    assert.equal(bundled.stderr, '');
    assert.equal(bundled.status, 1);
    assert.equal(installed.status, 1);
    assert.equal(bundled.stdout, installed.stdout);
    const findings = (JSON.parse(bundled.stdout) as { findings: { file: string; rule: string; message: string }[] })
      .findings;
    assert.deepEqual(
      findings.filter((each) => each.rule === 'private-key').map((each) => `${each.file}: ${each.message}`),
      [
        'backup/blob.bin: holds an OpenSSH private key, and Git would commit it',
        'docs/team.md: holds an age identity (AGE-SECRET-KEY-…), and Git would commit it',
        'notes/old.txt: holds a PEM private key (RSA PRIVATE KEY), and Git would commit it',
      ],
    );
    assert.ok(findings.some((each) => each.rule === 'unencrypted-secret' && each.file === 'clusters/staging/db.yaml'));
    assert.ok(!bundled.stdout.includes('hunter2') && !bundled.stdout.includes(rsaPem.split('\n')[1] as string));

    const table = runBundled(fleet, []);
    assert.equal(table.stdout, (await runCliInProcess(['check', fleet])).stdout);
  });

  it('answers --help and usage errors under its own name', () => {
    const fleet = freshFolder('bundled-help-');
    write(fleet, FLEET_CHECKER_FILE, bundle);
    const help = runBundled(fleet, ['--help']);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: node \.flux-sops\/check\.cjs \[dir\] \[--cwd DIR\] \[--json\] \[--strict\]\n/);
    assert.match(help.stdout, /private-key +error +a file Git would commit/);
    const wrong = runBundled(fleet, ['--bogus']);
    assert.deepEqual(
      [wrong.status, wrong.stdout, wrong.stderr],
      [2, '', 'flux-sops: unknown option --bogus\nRun node .flux-sops/check.cjs --help for the usage.\n'],
    );
    const outside = runBundled(fleet, []);
    assert.equal(outside.status, 2);
    assert.match(
      outside.stderr,
      /^flux-sops: no \.sops\.yaml in the current folder or any folder above it: run node \.flux-sops\/check\.cjs inside a fleet/,
    );
  });
});

describe("flux-sops check and the fleet's copy of the checker", () => {
  it('finds nothing about the copy the generator wrote, and reports one changed by hand', async () => {
    const fleet = await generateFleet();
    assert.ok(readFileSync(join(fleet, FLEET_CHECKER_FILE)).equals(readFileSync(shippedCheckerFile)));
    const clean = await runCliInProcess(['check', fleet, '--json']);
    assert.deepEqual(
      (JSON.parse(clean.stdout) as { findings: { rule: string }[] }).findings.filter((each) =>
        /checker|private-key/.test(each.rule),
      ),
      [],
    );
    appendFileSync(join(fleet, FLEET_CHECKER_FILE), 'process.exitCode = 0;\n');
    const changed = await runCliInProcess(['check', fleet, '--json']);
    assert.equal(changed.status, 1);
    const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(
      (JSON.parse(changed.stdout) as { findings: { rule: string }[] }).findings.filter(
        (each) => each.rule === 'checker-differs',
      ),
      [
        {
          file: FLEET_CHECKER_FILE,
          rule: 'checker-differs',
          severity: 'error',
          message: `differs from the checker generator-flux-sops ${version} ships, although its header names that version, and was edited after it was generated (its header hash does not match): CI and pre-commit run this file, so a changed copy can pass anything`,
          fix: 'run flux-sops (or yo flux-sops) in the fleet to write the copy of this version, and review how the other one got there',
        },
      ],
    );
  });

  it('names the version of an unedited copy of another version; a re-run refreshes that copy without a question, and stops at an edited one', async () => {
    const fleet = await generateFleet();
    const body = '"use strict";\nconsole.log("an older checker");\n';
    const older = `// generator-flux-sops 0.0.9: an older checker\n// sha256 of the bytes after this header: ${createHash('sha256').update(body).digest('hex')}\n\n${body}`;
    write(fleet, FLEET_CHECKER_FILE, older);
    const checked = await runCliInProcess(['check', fleet, '--json']);
    const { version } = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as { version: string };
    assert.deepEqual(
      (JSON.parse(checked.stdout) as { findings: { rule: string; message: string }[] }).findings
        .filter((each) => each.rule === 'checker-differs')
        .map((each) => each.message),
      [
        `is the checker of generator-flux-sops 0.0.9, not the one generator-flux-sops ${version} ships: CI and pre-commit run this file, so a changed copy can pass anything`,
      ],
    );
    const rerun = await runCliInProcess(['--no-interactive', fleet]);
    assert.equal(rerun.status, 0, rerun.stderr);
    assert.ok(readFileSync(join(fleet, FLEET_CHECKER_FILE)).equals(readFileSync(shippedCheckerFile)));

    write(fleet, FLEET_CHECKER_FILE, `${older}process.exitCode = 0;\n`);
    const refused = await runCliInProcess(['--no-interactive', fleet]);
    assert.equal(refused.status, 1);
    assert.match(
      refused.stderr,
      /These files differ from what would be generated \(edited by hand\?\):\n {2}\.flux-sops\/check\.cjs\n/,
    );
  });
});

describe('the CI workflow, the pre-commit hook and CODEOWNERS', () => {
  let fleet = '';
  before(async () => {
    fleet = await generateFleet();
  });

  it('CI: push and pull_request only, read-only, no persisted credentials, actions pinned by commit SHA, no package from a registry', () => {
    const workflow = parse(readFileSync(join(fleet, '.github/workflows/flux-sops.yaml'), 'utf8'), {
      uniqueKeys: true,
    }) as {
      on: Record<string, unknown>;
      permissions: unknown;
      jobs: Record<string, { steps: { uses?: string; run?: string; with?: Record<string, unknown> }[] }>;
    };
    assert.deepEqual(Object.keys(workflow.on), ['push', 'pull_request']);
    assert.deepEqual(workflow.permissions, { contents: 'read' });
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    const uses = steps.filter((step) => step.uses !== undefined).map((step) => step.uses as string);
    assert.deepEqual(
      uses.map((each) => each.replace(/@.*/, '')),
      ['actions/checkout', 'actions/setup-node'],
    );
    for (const each of uses) {
      assert.match(each, /^[\w-]+\/[\w-]+@[0-9a-f]{40}$/, `${each} is not pinned by a full commit SHA`);
    }
    const text = readFileSync(join(fleet, '.github/workflows/flux-sops.yaml'), 'utf8');
    assert.match(text, /actions\/checkout@[0-9a-f]{40} # v7\.\d+\.\d+\n/);
    assert.match(text, /actions\/setup-node@[0-9a-f]{40} # v7\.\d+\.\d+\n/);
    assert.equal(
      steps.find((step) => step.uses?.startsWith('actions/checkout@'))?.with?.['persist-credentials'],
      false,
    );
    assert.deepEqual(
      steps.filter((step) => step.run !== undefined).map((step) => step.run),
      ['node .flux-sops/check.cjs'],
    );
    assert.doesNotMatch(text, /\b(npx|npm|yarn|pnpm|pip|pipx|pull_request_target)\b/);
  });

  it("pre-commit: one local hook, language system, running the fleet's checker; no repository cloned, nothing installed", () => {
    const config = parse(readFileSync(join(fleet, '.pre-commit-config.yaml'), 'utf8'), { uniqueKeys: true }) as {
      repos: { repo: string; hooks: Record<string, unknown>[] }[];
    };
    assert.deepEqual(config, {
      repos: [
        {
          repo: 'local',
          hooks: [
            {
              id: 'flux-sops-check',
              name: 'flux-sops check',
              language: 'system',
              entry: 'node .flux-sops/check.cjs',
              pass_filenames: false,
              always_run: true,
            },
          ],
        },
      ],
    });
  });

  it('CODEOWNERS: the placeholder until codeOwners is set, pending in check and an error with --strict', async () => {
    const codeOwners = readFileSync(join(fleet, '.github/CODEOWNERS'), 'utf8');
    assert.match(
      codeOwners,
      new RegExp(
        `^/\\.flux-sops/ ${PLACEHOLDER_CODE_OWNER}\n/\\.github/ ${PLACEHOLDER_CODE_OWNER}\n/\\.sops\\.yaml ${PLACEHOLDER_CODE_OWNER}\n`,
        'm',
      ),
    );
    const strict = await runCliInProcess(['check', fleet, '--json', '--strict']);
    assert.deepEqual(
      (JSON.parse(strict.stdout) as { findings: { rule: string }[] }).findings.filter(
        (each) => each.rule === 'codeowners-placeholder',
      ),
      [
        {
          file: '.github/CODEOWNERS',
          rule: 'codeowners-placeholder',
          severity: 'error',
          message: `still names the placeholder ${PLACEHOLDER_CODE_OWNER}, so nobody is asked to review changes to the checker, CI and .sops.yaml`,
          fix: "flux-sops --code-owners @org/team (or set codeOwners in the answers file), then make code owners' review required in the branch protection (README.md)",
        },
      ],
    );
    const rerun = await runCliInProcess(['--code-owners', '@acme/platform,@alice', '--no-interactive', fleet]);
    assert.equal(rerun.status, 0, rerun.stderr);
    const set = readFileSync(join(fleet, '.github/CODEOWNERS'), 'utf8');
    assert.match(
      set,
      /^\/\.flux-sops\/ @acme\/platform @alice\n\/\.github\/ @acme\/platform @alice\n\/\.sops\.yaml @acme\/platform @alice\n$/m,
    );
    assert.doesNotMatch(set, /REPLACE/);
    const after = await runCliInProcess(['check', fleet, '--json', '--strict']);
    assert.ok(!after.stdout.includes('codeowners-placeholder'));
  });

  it('refuses a code owner that is not a GitHub user, team or e-mail address (exit 2, nothing written)', async () => {
    const target = join(freshFolder('code-owners-'), 'fleet');
    const result = await runCliInProcess([
      '--answers',
      writeAnswersFile({
        accountId: '123456789012',
        repoUrl: 'https://github.com/acme/apps.git',
        codeOwners: ['@acme/platform', 'platform team'],
      }),
      '--no-interactive',
      target,
    ]);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr,
      'flux-sops: Invalid codeOwners ["@acme/platform","platform team"]: "platform team" is not allowed: each must be a GitHub user (@user), a team (@org/team) or an e-mail address\n',
    );
    assert.ok(!existsSync(target));
  });
});

/** A Git work tree of its own, with no user or system configuration (no global excludes). */
function gitRepository(): { root: string; git: (...args: string[]) => string } {
  const root = freshFolder('git-ignore-');
  const env = { PATH: process.env.PATH ?? '', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', HOME: root };
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, env, encoding: 'utf8' });
  git('init', '-q');
  return { root, git };
}

describe('key hygiene', () => {
  it('the generated .gitignore ignores key files, plaintext copies and Terraform state, and hides no folder or sealed Secret (git check-ignore)', async () => {
    const fleet = await generateFleet();
    const { root, git } = gitRepository();
    writeFileSync(join(root, '.gitignore'), readFileSync(join(fleet, '.gitignore')));
    const ignored = [
      'identity',
      'keys/identity',
      'me.agekey',
      'tls/server.pem',
      'id_rsa',
      'id_rsa.pub',
      'home/id_ed25519',
      'id_ecdsa',
      'deploy_key',
      'deploy_key.pub',
      'secrets/staging/db.dec.yaml',
      'terraform/staging/terraform.tfstate',
      'terraform/staging/terraform.tfstate.backup',
      'terraform/staging/.terraform/providers/aws',
      'terraform/staging/terraform.tfstate.d/dev/terraform.tfstate',
      'secrets/staging/.repo-auth.yaml.flux-sops-tmp',
    ];
    const kept = [
      'secrets/staging/db.yaml',
      'secrets/identity/repo-auth.yaml',
      'clusters/identity/secrets.yaml',
      'tenants/staging/identity/namespace.yaml',
      'tenants/identity.sops.yaml',
      'iam/deploy-key/trust-policy.json',
      '.flux-sops/check.cjs',
      '.github/CODEOWNERS',
    ];
    for (const path of [...ignored, ...kept]) {
      write(root, path, 'x');
    }
    const checked = spawnSync('git', ['check-ignore', '--stdin'], {
      cwd: root,
      input: [...ignored, ...kept].join('\n'),
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
    });
    assert.deepEqual(checked.stdout.split('\n').filter(Boolean).sort(), [...ignored].sort());
    const rules = new GitIgnoreRules(root);
    assert.deepEqual([...ignored, ...kept].filter((path) => rules.ignores(path)).sort(), [...ignored].sort());
    assert.deepEqual(
      git('ls-files', '--others', '--exclude-standard').split('\n').filter(Boolean).sort(),
      rules
        .listCommittedFiles(new Set(['.git']))
        .map((each) => each.path)
        .sort(),
    );
  });

  it("check's reading of Git's rules (nested .gitignore, negations, folders, .git/info/exclude) matches git ls-files", () => {
    const { root, git } = gitRepository();
    write(root, '.gitignore', '*.log\nbuild/\n/top-only.txt\n!keep.log\ndocs/**/draft-*\n');
    write(root, 'sub/.gitignore', '!*.log\nlocal.txt\n/anchored.txt\n');
    write(root, 'sub/deeper/.gitignore', '*.txt\n!wanted.txt\n');
    write(root, '.git/info/exclude', 'excluded-by-info\nsub/*.tmp\n');
    const paths = [
      'a.log',
      'keep.log',
      'sub/b.log',
      'sub/local.txt',
      'sub/anchored.txt',
      'sub/x/anchored.txt',
      'sub/deeper/c.txt',
      'sub/deeper/wanted.txt',
      'sub/deeper/d.yaml',
      'build/out.js',
      'src/build/out.js',
      'top-only.txt',
      'sub/top-only.txt',
      'docs/a/b/draft-1.md',
      'docs/final.md',
      'excluded-by-info',
      'sub/excluded-by-info',
      'sub/z.tmp',
      'sub/deeper/z.tmp',
      'plain.yaml',
    ];
    for (const path of paths) {
      write(root, path, 'x');
    }
    const fromGit = git('ls-files', '--others', '--exclude-standard').split('\n').filter(Boolean).sort();
    const ours = new GitIgnoreRules(root)
      .listCommittedFiles(new Set(['.git']))
      .map((each) => each.path)
      .sort();
    assert.deepEqual(ours, fromGit);
    assert.ok(
      fromGit.includes('sub/b.log') && !fromGit.includes('a.log') && !fromGit.includes('src/build/out.js'),
      'the case covers negation and folders',
    );
  });

  it('finds PEM, OpenSSH and age keys on raw bytes, and not the markers alone', () => {
    assert.equal(findPrivateKeyKind(Buffer.from(rsaPem)), 'a PEM private key (RSA PRIVATE KEY)');
    assert.equal(findPrivateKeyKind(Buffer.from(ed25519Pem)), 'a PEM private key (PRIVATE KEY)');
    assert.equal(findPrivateKeyKind(Buffer.from(`\u0000\u00ff${openSshKey}`, 'latin1')), 'an OpenSSH private key');
    assert.equal(findPrivateKeyKind(Buffer.from(`key: ${ageIdentity}`)), 'an age identity (AGE-SECRET-KEY-…)');
    assert.equal(
      findPrivateKeyKind(Buffer.from('-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n')),
      undefined,
    );
    assert.equal(
      findPrivateKeyKind(
        Buffer.from('the line AGE-SECRET-KEY-… is never a recipient; a "PRIVATE KEY-----" alone is not a key'),
      ),
      undefined,
    );
    assert.equal(findPrivateKeyKind(readFileSync(shippedCheckerFile)), undefined, 'the checker does not find itself');
  });

  it('check skips key files Git would not commit: ignored names, Terraform state and .terraform/', async () => {
    const fleet = await generateFleet();
    write(fleet, 'id_ed25519', ed25519Pem);
    write(fleet, 'terraform/staging/terraform.tfstate', JSON.stringify({ key: rsaPem }));
    write(fleet, 'terraform/staging/.terraform/cache.bin', openSshKey);
    write(fleet, '.git/info/exclude', 'scratch/\n');
    write(fleet, 'scratch/key.txt', rsaPem);
    const result = await runCliInProcess(['check', fleet, '--json']);
    assert.ok(!result.stdout.includes('private-key'), result.stdout);
  });

  it('flux-sops secret refuses a Secret name the .gitignore would hide, and a key file inside the fleet that Git would commit (exit 2)', async () => {
    const fleet = await generateFleet();
    const hidden = await runCliInProcess([
      'secret',
      'generic',
      'staging',
      'db.dec',
      '--from-literal',
      'a=b',
      '--cwd',
      fleet,
    ]);
    assert.deepEqual(
      [hidden.status, hidden.stderr],
      [
        2,
        `flux-sops: Invalid Secret name "db.dec": Git would ignore secrets/staging/db.dec.yaml (a pattern of the fleet's .gitignore or .git/info/exclude matches it), so it would never be committed; choose another name\n`,
      ],
    );
    write(fleet, 'keys/token.txt', 'abc');
    const inside = await runCliInProcess([
      'secret',
      'generic',
      'staging',
      'db',
      '--from-file',
      `token=${join(fleet, 'keys', 'token.txt')}`,
      '--cwd',
      fleet,
    ]);
    assert.equal(inside.status, 2);
    assert.match(
      inside.stderr,
      /^flux-sops: --from-file token: ".*\/keys\/token\.txt" lies inside the fleet, where Git would commit it/,
    );
  });

  it('flux-sops secret git refuses a --private-key-file inside the fleet that Git would commit, and reads one it ignores', async () => {
    const sshAnswers = writeAnswersFile({
      accountId: '123456789012',
      repoUrl: 'ssh://git@github.com/acme/apps.git',
      environments: ['staging'],
    });
    const fleet = join(freshFolder('ssh-fleet-'), 'fleet');
    assert.equal((await runCliInProcess(['--answers', sshAnswers, '--no-interactive', fleet])).status, 0);
    const knownHosts = join(freshFolder('known-hosts-'), 'known_hosts');
    writeFileSync(
      knownHosts,
      'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
    );
    write(fleet, 'keys/flux.txt', ed25519Pem);
    const refused = await runCliInProcess([
      'secret',
      'git',
      'staging',
      '--private-key-file',
      join(fleet, 'keys', 'flux.txt'),
      '--known-hosts-file',
      knownHosts,
      '--cwd',
      fleet,
    ]);
    assert.equal(refused.status, 2);
    assert.equal(
      refused.stderr,
      `flux-sops: --private-key-file ${JSON.stringify(join(fleet, 'keys', 'flux.txt'))} lies inside the fleet, where Git would commit it: the secret would be one git add away from the repository. ` +
        "Keep the file outside the fleet (or give it a name the fleet's .gitignore covers, such as deploy_key*, *.pem or identity)\n",
    );
    // A name the .gitignore covers passes this rule: the file is then read (and here refused as no key, before any KMS call).
    write(fleet, 'keys/deploy_key', 'not a key\n');
    const ignored = await runCliInProcess([
      'secret',
      'git',
      'staging',
      '--private-key-file',
      join(fleet, 'keys', 'deploy_key'),
      '--known-hosts-file',
      knownHosts,
      '--cwd',
      fleet,
    ]);
    assert.deepEqual(
      [ignored.status, ignored.stderr],
      [
        2,
        `flux-sops: --private-key-file ${JSON.stringify(join(fleet, 'keys', 'deploy_key'))} is not a private key in OpenSSH or PEM format (it could not be read as one)\n`,
      ],
    );
  });
});
