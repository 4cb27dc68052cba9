// No plaintext secrets: no input takes one, and no file the generators write holds anything that
// looks like a credential. Generated Secrets carry only the marked placeholder ciphertext.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { environmentInputs, fleetInputs } from '../src/inputs.js';
import { PLACEHOLDER_ANNOTATION, PLACEHOLDER_CIPHERTEXT } from '../src/fleet-constants.js';
import { runCli } from './cli-runner.js';
import { exampleAnswers, readTree, type Tree } from './support.js';

/** What a credential looks like in a text file, by kind. */
const CREDENTIAL_PATTERNS: Record<string, RegExp> = {
  'PEM private key or certificate': /-----BEGIN /,
  'GitHub token': /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/,
  'GitLab token': /\bglpat-[A-Za-z0-9_-]{20,}/,
  'AWS access key ID': /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
  'AWS secret access key': /aws_secret_access_key\s*[=:]/i,
  'Slack token': /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  'URL with credentials': /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:"']+:[^\s/@"']+@|\bhttps?:\/\/[^\s/@"']+@/i,
  // A YAML or JSON key for a secret value whose value is neither SOPS ciphertext nor empty.
  'plaintext secret value': /^[\s{,]*"?(?:password|passwd|token|secret|client_secret|private_key|identity|bearerToken)"?\s*:\s*(?!ENC\[|""|''|$)\S/im,
};

function findCredentials(tree: Tree): string[] {
  const found: string[] = [];
  for (const [path, contents] of Object.entries(tree)) {
    for (const [kind, pattern] of Object.entries(CREDENTIAL_PATTERNS)) {
      const match = pattern.exec(contents);
      if (match) {
        found.push(`${path}: ${kind} (${JSON.stringify(match[0].slice(0, 20))})`);
      }
    }
  }
  return found;
}

const SSH_ANSWERS = {
  accountId: '012345678901',
  region: 'eu-central-1',
  repoUrl: 'ssh://git@gitlab.example.com:2222/platform/apps.git',
  branch: 'release/2026',
  environments: ['dev', { name: 'prod', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' }],
};

describe('no plaintext secrets', () => {
  let workDir: string;
  const fleets: Record<string, Tree> = {};

  before(async function () {
    this.timeout(300_000);
    workDir = mkdtempSync(join(tmpdir(), 'no-secrets-'));
    const sshAnswers = join(workDir, 'ssh.json');
    writeFileSync(sshAnswers, JSON.stringify(SSH_ANSWERS));
    for (const [name, answers] of [
      ['https', exampleAnswers],
      ['ssh', sshAnswers],
    ] as const) {
      const dir = join(workDir, name);
      const result = await runCli(['--no-interactive', '--answers', answers, dir]);
      assert.equal(result.status, 0, result.stderr);
      const added = await runCli(['env', 'qa', '--no-interactive', '--cwd', dir]);
      assert.equal(added.status, 0, added.stderr);
      fleets[name] = readTree(dir);
    }
  });

  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('has a scanner that finds each kind of credential (so the scans below can fail)', () => {
    const planted: Tree = {
      'a.pem': '-----BEGIN OPENSSH PRIVATE KEY-----\n',
      'b.yaml': 'url: https://x-access-token:abc@github.com/acme/apps.git\n',
      'c.yaml': 'url: https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/acme/apps.git\n',
      'd.env': 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n',
      'e.yaml': 'stringData:\n  password: hunter2\n',
      'f.json': '{"token": "s3cr3t"}\n',
      'g.ini': 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n',
      'h.txt': 'glpat-abcdefghijklmnopqrst\n',
    };
    assert.equal(findCredentials(planted).length, 9, findCredentials(planted).join('\n'));
    for (const path of Object.keys(planted)) {
      assert.ok(findCredentials({ [path]: planted[path] ?? '' }).length > 0, `${path} not found`);
    }
  });

  for (const name of ['https', 'ssh']) {
    it(`finds nothing that looks like a credential in any file of the ${name} fleet (generated, then extended by env)`, () => {
      const tree = fleets[name] ?? {};
      // .sops.yaml, .gitignore, README.md, .yo-rc.json, and 10 files for each of 3 environments.
      assert.equal(Object.keys(tree).length, 4 + 3 * 10);
      assert.deepEqual(findCredentials(tree), []);
    });

    it(`writes only placeholder ciphertext into the Secrets of the ${name} fleet`, () => {
      let secrets = 0;
      for (const [path, contents] of Object.entries(fleets[name] ?? {})) {
        if (!/\.ya?ml$/.test(path)) {
          continue;
        }
        for (const document of parseAllDocuments(contents)) {
          const object = document.toJS() as { kind?: string; metadata?: { annotations?: Record<string, string> }; data?: object; stringData?: object } | null;
          if (object?.kind !== 'Secret') {
            continue;
          }
          secrets += 1;
          assert.equal(object.metadata?.annotations?.[PLACEHOLDER_ANNOTATION], 'true', path);
          const values = Object.values({ ...object.data, ...object.stringData });
          assert.ok(values.length > 0, path);
          for (const value of values) {
            assert.equal(value, PLACEHOLDER_CIPHERTEXT, path);
          }
        }
      }
      assert.equal(secrets, 3, 'one repo-auth Secret per environment');
    });
  }

  it('takes no password, token or private key as an input, option or answers key', async () => {
    const secretish = /password|passwd|token|secret|private|credential|identity|known.?hosts/i;
    for (const input of [...fleetInputs, ...environmentInputs]) {
      assert.doesNotMatch(input.name, secretish);
      assert.doesNotMatch(input.option, secretish);
    }
    for (const command of [['--help'], ['env', '--help']]) {
      const help = await runCli(command);
      assert.equal(help.status, 0);
      const options = [...help.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1] ?? '');
      assert.ok(options.length >= 8, help.stdout);
      for (const option of options) {
        assert.doesNotMatch(option, secretish);
      }
    }
  });
});
