// No plaintext secrets: no input takes one, and no file the generators write holds anything that
// looks like a credential. Generated Secrets carry only the marked placeholder ciphertext. The
// fleets are written and extended in this process, through the executable's entry.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { environmentInputs, fleetInputs } from '../src/fleet/inputs.js';
import { PLACEHOLDER_ANNOTATION, PLACEHOLDER_CIPHERTEXT } from '../src/fleet/layout.js';
import { runCliInProcess } from './cli-runner.js';
import { exampleAnswers, readTree, type Tree, writeAnswersFile } from './support.js';

/** What a credential looks like in a text file, by kind. */
const CREDENTIAL_PATTERNS: Record<string, RegExp> = {
  'PEM private key or certificate': /-----BEGIN /,
  'GitHub token': /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/,
  'GitLab token': /\bglpat-[A-Za-z0-9_-]{20,}/,
  'AWS access key ID': /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/,
  'AWS secret access key': /aws_secret_access_key\s*[=:]/i,
  'age secret key': /AGE-SECRET-KEY-1/,
  'Slack token': /\bxox[abpr]-[A-Za-z0-9-]{10,}/,
  'URL with credentials': /\b[a-z][a-z0-9+.-]*:\/\/[^\s/@:"']+:[^\s/@"']+@|\bhttps?:\/\/[^\s/@"']+@/i,
  // A YAML or JSON key for a secret value whose value is neither SOPS ciphertext nor empty. The
  // key `identity` is also the fleet's input naming how the controller gets AWS credentials:
  // its two values are no secret.
  'plaintext secret value':
    /^[\s{,]*"?(?:password|passwd|token|secret|client_secret|private_key|identity|bearerToken)"?\s*:\s*(?!ENC\[|""|''|$|"?(?:irsa|pod-identity)"?,?$)\S/im,
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

// Break-glass recipients: age public keys (never secret) of identities made for these tests.
const BACKUP = 'age1q3uh32wvcqqk96yskj4x05w7ymapfx2vykz9j85augt5wktyne8qz533tq';
const QA_BACKUP = 'age1n3ual6kvvz98flrfehqqsh7tkje6s6u2l8gdyddlgp7feea9047qlvapl2';

/** Each fleet: its answers, the options of `env qa`, and how many files it ends with. */
const FLEETS: Record<string, { answers: Record<string, unknown> | string; env: string[]; files: number }> = {
  // .sops.yaml, .gitignore, README.md, .yo-rc.json, the CI workflow, the pre-commit config, CODEOWNERS, the
  // bundled checker; 14 files per environment with the one tenant apps (clusters/ 5, tenants/ 4, secrets/ 2, iam/ 3).
  https: { answers: exampleAnswers, env: [], files: 8 + 3 * 14 },
  ssh: {
    answers: {
      accountId: '012345678901',
      region: 'eu-central-1',
      repoUrl: 'ssh://git@gitlab.example.com:2222/platform/apps.git',
      branch: 'release/2026',
      environments: [
        'dev',
        { name: 'prod', oidcIssuer: 'https://oidc.eks.eu-central-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE' },
      ],
    },
    env: ['--identity', 'pod-identity'],
    // qa's admission policy (Pod Identity).
    files: 8 + 3 * 14 + 1,
  },
  // Pod Identity, Terraform (4 more files per environment) and break-glass recipients.
  'terraform with backup recipients': {
    answers: {
      accountId: '123456789012',
      identity: 'pod-identity',
      iac: 'terraform',
      repoUrl: 'ssh://git@github.com/acme/apps.git',
      backupAgeRecipients: [BACKUP],
      environments: ['staging', { name: 'production', identity: 'irsa', accountId: '210987654321' }],
    },
    env: ['--backup-age-recipients', QA_BACKUP, '--cluster-name', 'eks-qa'],
    // the admission policies of the two Pod Identity environments, staging and qa.
    files: 8 + 3 * 18 + 2,
  },
};

describe('no plaintext secrets', () => {
  let workDir: string;
  const fleets: Record<string, Tree> = {};

  before(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'no-secrets-'));
    for (const [name, { answers, env }] of Object.entries(FLEETS)) {
      const dir = join(workDir, name.replace(/ /g, '-'));
      const answersFile = typeof answers === 'string' ? answers : writeAnswersFile(answers);
      const result = await runCliInProcess(['--no-interactive', '--answers', answersFile, dir]);
      assert.equal(result.status, 0, result.stderr);
      const added = await runCliInProcess(['env', 'qa', ...env, '--no-interactive', '--cwd', dir]);
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
      'i.txt': 'AGE-SECRET-KEY-1QYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQSZQGPQYQS3YYCQ\n',
      'j.yaml': 'stringData:\n  identity: ssh-ed25519-private\n',
    };
    assert.equal(findCredentials(planted).length, 11, findCredentials(planted).join('\n'));
    // The identity input's values are not secrets.
    assert.deepEqual(
      findCredentials({ '.yo-rc.json': '{\n  "identity": "pod-identity",\n', 'a.yaml': 'identity: irsa\n' }),
      [],
    );
    for (const path of Object.keys(planted)) {
      assert.ok(findCredentials({ [path]: planted[path] ?? '' }).length > 0, `${path} not found`);
    }
  });

  for (const [name, { files }] of Object.entries(FLEETS)) {
    it(`finds nothing that looks like a credential in any file of the ${name} fleet (generated, then extended by env)`, () => {
      const tree = fleets[name] ?? {};
      assert.equal(Object.keys(tree).length, files);
      assert.deepEqual(findCredentials(tree), []);
    });

    it(`writes only placeholder ciphertext into the Secrets of the ${name} fleet`, () => {
      let secrets = 0;
      for (const [path, contents] of Object.entries(fleets[name] ?? {})) {
        if (!/\.ya?ml$/.test(path)) {
          continue;
        }
        for (const document of parseAllDocuments(contents)) {
          const object = document.toJS() as {
            kind?: string;
            metadata?: { annotations?: Record<string, string> };
            data?: object;
            stringData?: object;
          } | null;
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
      assert.equal(secrets, 3, 'one apps-auth Secret per environment');
    });
  }

  it('takes no password, token or private key as an input, option or answers key', async () => {
    const secretish = /password|passwd|token|secret|private|credential|identity|known.?hosts/i;
    for (const input of [...fleetInputs, ...environmentInputs]) {
      if (input.name === 'identity') {
        // How kustomize-controller gets AWS credentials: a choice between two mechanisms, no secret.
        assert.deepEqual(input.choices, ['irsa', 'pod-identity']);
        assert.equal(
          input.validate('AGE-SECRET-KEY-1QQQQ'),
          'must be irsa (IAM Roles for Service Accounts) or pod-identity (EKS Pod Identity)',
        );
        continue;
      }
      assert.doesNotMatch(input.name, secretish);
      assert.doesNotMatch(input.option, secretish);
    }
    for (const command of [['--help'], ['env', '--help']]) {
      const help = await runCliInProcess(command);
      assert.equal(help.status, 0);
      assert.equal(help.stderr, '');
      const options = [...help.stdout.matchAll(/^ {2}(--[a-z-]+)/gm)].map((match) => match[1] ?? '');
      assert.ok(options.length >= 8, help.stdout);
      for (const option of options.filter((each) => each !== '--identity')) {
        assert.doesNotMatch(option, secretish);
      }
    }
  });
});
