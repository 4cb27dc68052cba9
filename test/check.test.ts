// `flux-sops check` over the built command: a generated fleet, one planted fault per test,
// the findings (file, rule, severity, message) and the exit status asserted.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { type Document, isSeq, parseDocument, stringify } from 'yaml';
import { checkRules } from '../src/check.js';
import { exampleAnswers, projectRoot } from './support.js';

const cli = join(projectRoot, 'dist', 'cli.js');
const STAGING_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
/** Looks like sops output; encrypts nothing (the tests never need a KMS call). */
const CIPHERTEXT = 'ENC[AES256_GCM,data:bm90IGEgc2VjcmV0,iv:MTIzNDU2Nzg5MDEyMzQ1Ng==,tag:dGFndGFndGFndGFndGFnZw==,type:str]';
/** Recognisable plaintext values: they must never appear in the output. */
const PLAINTEXT_PASSWORD = 'hunter2-must-never-be-printed';
const PLAINTEXT_TOKEN = 'token-must-never-be-printed';
const PLACEHOLDER_MESSAGE =
  'a generated placeholder, not a real ciphertext: replace it with the real Secret encrypted by sops (see its header), then list it in kustomization.yaml';

interface Finding {
  file: string;
  rule: string;
  severity: string;
  message: string;
}

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCheck(args: readonly string[], cwd = projectRoot): Run {
  const result = spawnSync(process.execPath, [cli, 'check', ...args], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function checkJson(fleet: string, ...options: string[]): { status: number | null; findings: Finding[]; summary: Record<string, number>; output: string } {
  const run = runCheck([fleet, '--json', ...options]);
  assert.equal(run.stderr, '');
  const parsed = JSON.parse(run.stdout) as { findings: Finding[]; summary: Record<string, number> };
  return { status: run.status, findings: parsed.findings, summary: parsed.summary, output: run.stdout + run.stderr };
}

const placeholderFindings: Finding[] = ['production', 'staging'].map((environment) => ({
  file: `secrets/${environment}/repo-auth.yaml`,
  rule: 'placeholder',
  severity: 'pending',
  message: PLACEHOLDER_MESSAGE,
}));

/** The findings beyond the two pending placeholders every generated fleet starts with. */
function plantedFindings(findings: readonly Finding[]): Finding[] {
  return findings.filter((each) => !placeholderFindings.some((placeholder) => JSON.stringify(placeholder) === JSON.stringify(each)));
}

/** file, rule and severity of each finding, for comparisons where the message is asserted elsewhere. */
function located(findings: readonly Finding[]): string[] {
  return findings.map(({ file, rule, severity }) => `${severity} ${rule} ${file}`);
}

function write(fleet: string, path: string, contents: string): void {
  mkdirSync(dirname(join(fleet, path)), { recursive: true });
  writeFileSync(join(fleet, path), contents);
}

function editYaml(fleet: string, path: string, edit: (document: Document) => void): void {
  const document = parseDocument(readFileSync(join(fleet, path), 'utf8'));
  edit(document);
  writeFileSync(join(fleet, path), document.toString());
}

function creationRules(document: Document) {
  const rules = document.get('creation_rules', true);
  assert.ok(isSeq(rules));
  return rules;
}

function sopsMetadata(kmsArn: string) {
  return {
    kms: [{ arn: kmsArn, created_at: '2026-01-01T00:00:00Z', enc: 'AQICAHhEXAMPLEwrappedDataKey==', aws_profile: '' }],
    lastmodified: '2026-01-01T00:00:00Z',
    mac: CIPHERTEXT,
    encrypted_regex: '^(data|stringData)$',
    version: '3.9.4',
  };
}

function encryptedSecret(name: string, kmsArn: string, stringData: Record<string, string> = { password: CIPHERTEXT }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'flux-system' },
    type: 'Opaque',
    stringData,
    sops: sopsMetadata(kmsArn),
  });
}

function plaintextSecret(name: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'default' },
    data: { token: Buffer.from(PLAINTEXT_TOKEN).toString('base64') },
    stringData: { password: PLAINTEXT_PASSWORD },
  });
}

function assertNoSecretValues(output: string): void {
  for (const value of [PLAINTEXT_PASSWORD, PLAINTEXT_TOKEN, Buffer.from(PLAINTEXT_TOKEN).toString('base64')]) {
    assert.ok(!output.includes(value), `the output shows a secret value: ${value}`);
  }
}

describe('flux-sops check', () => {
  let generatedFleet: string;
  const scratch: string[] = [];

  /** A copy of the generated fleet to plant a fault in. */
  function fleet(): string {
    const copy = mkdtempSync(join(tmpdir(), 'check-'));
    scratch.push(copy);
    cpSync(generatedFleet, copy, { recursive: true });
    return copy;
  }

  before(() => {
    generatedFleet = mkdtempSync(join(tmpdir(), 'check-fleet-'));
    scratch.push(generatedFleet);
    execFileSync(process.execPath, [cli, '--answers', exampleAnswers, '--no-interactive', generatedFleet], { stdio: 'pipe' });
  });

  after(() => {
    for (const dir of scratch) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a freshly generated fleet', () => {
    it('has only the pending placeholders, and exits 0', () => {
      const run = runCheck([generatedFleet]);
      assert.equal(run.stderr, '');
      assert.equal(run.status, 0);
      assert.equal(
        run.stdout,
        [
          'SEVERITY  RULE         FILE                               MESSAGE',
          `pending   placeholder  secrets/production/repo-auth.yaml  ${PLACEHOLDER_MESSAGE}`,
          `pending   placeholder  secrets/staging/repo-auth.yaml     ${PLACEHOLDER_MESSAGE}`,
          '',
          '0 errors, 2 pending, 0 warnings (22 files checked)',
          '',
        ].join('\n'),
      );
    });

    it('reports them with --json under stable field names', () => {
      const { status, findings, summary } = checkJson(generatedFleet);
      assert.equal(status, 0);
      assert.deepEqual(findings, placeholderFindings);
      assert.deepEqual(summary, { errors: 0, pending: 2, warnings: 0, filesChecked: 22 });
    });

    it('fails with --strict, the placeholders counted as errors', () => {
      const { status, findings } = checkJson(generatedFleet, '--strict');
      assert.equal(status, 1);
      assert.deepEqual(
        findings,
        placeholderFindings.map((each) => ({ ...each, severity: 'error' })),
      );
      assert.equal(runCheck([generatedFleet, '--strict']).status, 1);
    });

    it('checks the current folder when no folder is given', () => {
      const run = runCheck([], generatedFleet);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^0 errors, 2 pending, 0 warnings \(22 files checked\)$/m);
    });

    it('stays clean once bootstrapped: the flux-system Kustomization applies clusters/<env> without decryption', () => {
      const dir = fleet();
      write(dir, 'clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(findings, placeholderFindings);
    });
  });

  describe('plaintext Secrets', () => {
    it('finds a Secret whose data and stringData are not encrypted, without printing a value', () => {
      const dir = fleet();
      write(dir, 'clusters/staging/db-credentials.yaml', plaintextSecret('db-credentials'));
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'clusters/staging/db-credentials.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret default/db-credentials is not SOPS-encrypted: data.token, stringData.password are plaintext',
        },
      ]);
      assertNoSecretValues(output);
      const table = runCheck([dir]);
      assert.equal(table.status, 1);
      assert.match(table.stdout, /^error +unencrypted-secret +clusters\/staging\/db-credentials\.yaml +Secret default\/db-credentials is not SOPS-encrypted/m);
      assertNoSecretValues(table.stdout + table.stderr);
    });

    it('finds one in the second document of a multi-document file', () => {
      const dir = fleet();
      write(dir, 'secrets/staging/app.yaml', `${stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { mode: 'fast' } })}---\n${plaintextSecret('app')}`);
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/app.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'document 2: Secret default/app is not SOPS-encrypted: data.token, stringData.password are plaintext',
        },
      ]);
      assertNoSecretValues(output);
    });

    it('finds a value left in plaintext in an encrypted Secret', () => {
      const dir = fleet();
      write(dir, 'secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY, { username: CIPHERTEXT, password: PLAINTEXT_PASSWORD }));
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/db.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret flux-system/db is SOPS-encrypted, but stringData.password is plaintext',
        },
      ]);
      assertNoSecretValues(output);
    });

    it('finds Secrets in a List, as `kubectl get secret -o yaml` writes them', () => {
      const dir = fleet();
      const secret = parseDocument(plaintextSecret('exported')).toJS();
      write(dir, 'backup/secrets.yaml', stringify({ apiVersion: 'v1', kind: 'List', items: [secret] }));
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'backup/secrets.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret default/exported (in List) is not SOPS-encrypted: data.token, stringData.password are plaintext',
        },
      ]);
      assertNoSecretValues(output);
    });

    it('finds one in a JSON file, as `kubectl get secret -o json` writes it', () => {
      const dir = fleet();
      write(dir, 'backup/db.json', JSON.stringify(parseDocument(plaintextSecret('db')).toJS(), null, 2));
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'backup/db.json',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret default/db is not SOPS-encrypted: data.token, stringData.password are plaintext',
        },
      ]);
      assertNoSecretValues(output);
    });

    it('finds secretGenerator literals in a kustomization.yaml', () => {
      const dir = fleet();
      editYaml(dir, 'secrets/staging/kustomization.yaml', (document) => {
        document.set('secretGenerator', document.createNode([{ name: 'api', literals: [`password=${PLAINTEXT_PASSWORD}`] }]));
      });
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/kustomization.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'secretGenerator api has literals: their values are plaintext in Git; commit a SOPS-encrypted Secret instead',
        },
      ]);
      assertNoSecretValues(output);
    });

    it('finds a sops block that nothing can decrypt (no mac, no key)', () => {
      const dir = fleet();
      write(dir, 'secrets/staging/settings.yaml', stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, sops: { version: '3.9.4' } }));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/settings.yaml',
          rule: 'invalid-sops-metadata',
          severity: 'error',
          message: 'its sops block has no mac or no key, so nothing can decrypt it',
        },
      ]);
    });
  });

  describe('keys and creation rules of encrypted files', () => {
    it("finds a file encrypted with another environment's key", () => {
      const dir = fleet();
      write(dir, 'secrets/staging/db.yaml', encryptedSecret('db', PRODUCTION_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/db.yaml',
          rule: 'wrong-kms-key',
          severity: 'error',
          message: `is encrypted with ${PRODUCTION_KEY}, but rule 1 ("^secrets/staging/.+\\\\.ya?ml$") of .sops.yaml names ${STAGING_KEY}: run sops updatekeys on it`,
        },
      ]);
    });

    it('accepts a file encrypted with the key of its rule', () => {
      const dir = fleet();
      write(dir, 'secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      write(dir, 'secrets/production/db.yaml', encryptedSecret('db', PRODUCTION_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(findings, placeholderFindings);
    });

    it('finds an encrypted file that matches no rule (and that nothing decrypts)', () => {
      const dir = fleet();
      write(dir, 'legacy/db.yaml', encryptedSecret('db', STAGING_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'legacy/db.yaml',
          rule: 'no-creation-rule',
          severity: 'error',
          message: 'is SOPS-encrypted, but no .sops.yaml creation rule matches its path, so nothing says which key it needs; move it under secrets/<env>/ or add a rule',
        },
        {
          file: 'legacy/db.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message: 'is SOPS-encrypted, but no Flux Kustomization with decryption.provider: sops reads this path; move it under secrets/<env>/',
        },
      ]);
    });
  });

  describe('where encrypted files are read', () => {
    it('finds an encrypted file under clusters/<env>, which the bootstrap Kustomization applies without decryption', () => {
      const dir = fleet();
      // A rule for it, so the only fault left is where it lies.
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ path_regex: '^clusters/staging/.+\\.ya?ml$', kms: STAGING_KEY }));
      });
      write(dir, 'clusters/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'clusters/staging/db.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message:
            'is SOPS-encrypted, but clusters/<env>/ is applied by the bootstrap flux-system Kustomization, which has no decryption; move it under secrets/<env>/',
        },
      ]);
    });

    it('also names the bootstrap Kustomization once gotk-sync.yaml defines it', () => {
      const dir = fleet();
      write(dir, 'clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      write(dir, 'clusters/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(located(plantedFindings(findings)), [
        'error no-creation-rule clusters/staging/db.yaml',
        'error not-decrypted clusters/staging/db.yaml',
        'error kustomization-without-decryption clusters/staging/flux-system/gotk-sync.yaml',
      ]);
      assert.equal(
        plantedFindings(findings)[2]?.message,
        'document 2: Flux Kustomization flux-system/flux-system applies ./clusters/staging without decryption, but encrypted files lie under it (clusters/staging/db.yaml): the bootstrap Kustomization must not decrypt: move them under secrets/<env>/',
      );
    });

    it('finds a Kustomization that applies encrypted files without decryption', () => {
      const dir = fleet();
      editYaml(dir, 'clusters/staging/secrets.yaml', (document) => {
        document.deleteIn(['spec', 'decryption']);
      });
      write(dir, 'secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'clusters/staging/secrets.yaml',
          rule: 'kustomization-without-decryption',
          severity: 'error',
          message:
            'Flux Kustomization flux-system/secrets applies ./secrets/staging without decryption, but encrypted files lie under it (secrets/staging/db.yaml and 1 more): add spec.decryption.provider: sops',
        },
        {
          file: 'secrets/staging/db.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message: 'is SOPS-encrypted, but no Flux Kustomization with decryption.provider: sops reads this path; move it under secrets/<env>/',
        },
        {
          file: 'secrets/staging/repo-auth.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message: 'is SOPS-encrypted, but no Flux Kustomization with decryption.provider: sops reads this path; move it under secrets/<env>/',
        },
      ]);
    });

    it('judges only Kustomizations that read this repository', () => {
      const dir = fleet();
      // "apps" reads the application repository: its path says nothing about this one.
      editYaml(dir, 'clusters/staging/apps.yaml', (document) => {
        document.setIn(['spec', 'path'], './secrets/staging');
        document.deleteIn(['spec', 'decryption']);
      });
      assert.deepEqual(checkJson(dir).findings, placeholderFindings);
      // Once bootstrapped, a GitRepository with the fleet's own URL is this repository.
      write(dir, 'clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      editYaml(dir, 'secrets/staging/git-repository.yaml', (document) => {
        document.setIn(['spec', 'url'], FLEET_URL);
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(located(plantedFindings(findings)), ['error kustomization-without-decryption clusters/staging/apps.yaml']);
    });

    it('finds a placeholder listed in a kustomization.yaml', () => {
      const dir = fleet();
      editYaml(dir, 'secrets/staging/kustomization.yaml', (document) => {
        const resources = document.get('resources', true);
        assert.ok(isSeq(resources));
        resources.add('repo-auth.yaml');
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/kustomization.yaml',
          rule: 'placeholder-listed',
          severity: 'error',
          message:
            'lists repo-auth.yaml, a placeholder that is not a real ciphertext: kustomize-controller would fail the whole Kustomization; replace it first (see its header)',
        },
      ]);
    });
  });

  describe('.sops.yaml rules', () => {
    it('finds an unanchored rule', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        document.setIn(['creation_rules', 0, 'path_regex'], 'secrets/staging/.+\\.ya?ml');
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: '.sops.yaml',
          rule: 'unanchored-rule',
          severity: 'error',
          message:
            'rule 1 ("secrets/staging/.+\\\\.ya?ml") is not anchored with ^…$: it also matches paths it was not written for (for example the same folder under another one)',
        },
      ]);
    });

    it('finds a catch-all rule without path_regex', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ kms: STAGING_KEY }));
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: '.sops.yaml',
          rule: 'unanchored-rule',
          severity: 'error',
          message: 'rule 3 has no path_regex: it matches every file, so sops encrypts files anywhere, even where no decrypting Kustomization reads them',
        },
      ]);
    });

    it('finds rules shadowed by an earlier rule', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).items.unshift(document.createNode({ path_regex: '^secrets/.+\\.ya?ml$', kms: STAGING_KEY }));
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: '.sops.yaml',
          rule: 'shadowed-rule',
          severity: 'error',
          message:
            'rule 2 ("^secrets/staging/.+\\\\.ya?ml$") is shadowed by rule 1 ("^secrets/.+\\\\.ya?ml$"): sops uses the first match, so secrets/staging/git-repository.yaml gets rule 1\'s keys',
        },
        {
          file: '.sops.yaml',
          rule: 'shadowed-rule',
          severity: 'error',
          message:
            'rule 3 ("^secrets/production/.+\\\\.ya?ml$") is shadowed by rule 1 ("^secrets/.+\\\\.ya?ml$"): sops uses the first match, so secrets/production/git-repository.yaml gets rule 1\'s keys',
        },
        {
          file: 'secrets/production/repo-auth.yaml',
          rule: 'wrong-kms-key',
          severity: 'error',
          message: `is encrypted with ${PRODUCTION_KEY}, but rule 1 ("^secrets/.+\\\\.ya?ml$") of .sops.yaml names ${STAGING_KEY}: run sops updatekeys on it`,
        },
      ]);
    });

    it('finds an environment folder under secrets/ that no rule covers', () => {
      const dir = fleet();
      write(dir, 'secrets/qa/settings.yaml', stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } }));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: '.sops.yaml',
          rule: 'missing-rule',
          severity: 'error',
          message: 'no creation rule matches secrets/qa/: sops cannot encrypt the files of qa; add an anchored rule for it with its KMS key',
        },
      ]);
    });

    it('finds a deleted rule, and the files it leaves without one', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).items.splice(1, 1);
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(located(plantedFindings(findings)), ['error missing-rule .sops.yaml', 'error no-creation-rule secrets/production/repo-auth.yaml']);
    });

    it('knows the environments of the stored answers even without their folder', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).items.splice(1, 1);
      });
      rmSync(join(dir, 'secrets', 'production'), { recursive: true });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: '.sops.yaml',
          rule: 'missing-rule',
          severity: 'error',
          message: 'no creation rule matches secrets/production/: sops cannot encrypt the files of production; add an anchored rule for it with its KMS key',
        },
      ]);
    });

    it('finds rules sops cannot read', () => {
      const dir = fleet();
      editYaml(dir, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ path_regex: '^(secrets/qa/.+$', kms: STAGING_KEY }));
        creationRules(document).add('secrets/dev');
      });
      const { status, findings } = checkJson(dir);
      assert.equal(status, 1);
      assert.deepEqual(plantedFindings(findings), [
        { file: '.sops.yaml', rule: 'invalid-rule', severity: 'error', message: 'rule 3 ("^(secrets/qa/.+$"): path_regex is not a valid regular expression' },
        { file: '.sops.yaml', rule: 'invalid-rule', severity: 'error', message: 'rule 4 is not a mapping, so sops cannot read .sops.yaml' },
      ]);
    });

    it('warns about a .sops.yaml below the root', () => {
      const dir = fleet();
      write(dir, 'secrets/staging/.sops.yaml', 'creation_rules: []\n');
      const { status, findings } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(plantedFindings(findings), [
        {
          file: 'secrets/staging/.sops.yaml',
          rule: 'nested-sops-config',
          severity: 'warning',
          message: 'sops uses the .sops.yaml nearest to the folder it runs in: run from secrets/staging/, it ignores the root rules; keep one .sops.yaml at the root',
        },
      ]);
    });
  });

  describe('what it reads', () => {
    it('warns about a file it cannot parse, without quoting it', () => {
      const dir = fleet();
      write(dir, 'clusters/staging/broken.yaml', `apiVersion: v1\nkind: Secret\nstringData:\n  password: ${PLAINTEXT_PASSWORD}\n bad: [\n`);
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(located(plantedFindings(findings)), ['warning unparsable-file clusters/staging/broken.yaml']);
      assert.match(plantedFindings(findings)[0]?.message ?? '', /^not checked: it does not parse as YAML \([A-Z_]+ at line \d+, column \d+\)$/);
      assertNoSecretValues(output);
    });

    it('warns about a JSON file it cannot parse, without quoting it', () => {
      const dir = fleet();
      write(dir, 'backup/db.json', `{"kind": "Secret", "stringData": {"password": "${PLAINTEXT_PASSWORD}" "x": 1}}`);
      const { status, findings, output } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(located(plantedFindings(findings)), ['warning unparsable-file backup/db.json']);
      assertNoSecretValues(output);
    });

    it('skips node_modules and .git', () => {
      const dir = fleet();
      write(dir, 'node_modules/some-package/secret.yaml', plaintextSecret('vendored'));
      write(dir, '.git/secret.yaml', plaintextSecret('object'));
      const { status, findings } = checkJson(dir);
      assert.equal(status, 0);
      assert.deepEqual(findings, placeholderFindings);
    });
  });

  describe('usage', () => {
    it('needs a .sops.yaml (exit 2)', () => {
      const dir = fleet();
      rmSync(join(dir, '.sops.yaml'));
      const run = runCheck([dir]);
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `flux-sops: no .sops.yaml in ${dir}: run flux-sops check in the root folder of a fleet (the one with .sops.yaml), or pass that folder\n`,
      );
      const inCurrentFolder = runCheck([], dir);
      assert.equal(inCurrentFolder.status, 2);
      assert.match(inCurrentFolder.stderr, /^flux-sops: no \.sops\.yaml in the current folder: /);
    });

    it('rejects a .sops.yaml that does not parse (exit 2)', () => {
      const dir = fleet();
      write(dir, '.sops.yaml', 'creation_rules:\n  - path_regex: [\n');
      const run = runCheck([dir]);
      assert.equal(run.status, 2);
      assert.match(run.stderr, /^flux-sops: \.sops\.yaml does not parse as YAML \([A-Z_]+ at line \d+, column \d+\)\n$/);
    });

    it('rejects unknown options, extra arguments and a missing folder (exit 2)', () => {
      const unknown = runCheck([generatedFleet, '--fix']);
      assert.equal(unknown.status, 2);
      assert.match(unknown.stderr, /^flux-sops: Unknown option '--fix'.*\nRun flux-sops check --help for the usage\.\n$/s);
      const extra = runCheck([generatedFleet, generatedFleet]);
      assert.equal(extra.status, 2);
      assert.equal(
        extra.stderr,
        `flux-sops: flux-sops check takes at most one folder, got 2: ${generatedFleet} ${generatedFleet}\nRun flux-sops check --help for the usage.\n`,
      );
      const missing = runCheck([join(generatedFleet, 'no-such-folder')]);
      assert.equal(missing.status, 2);
      assert.equal(missing.stderr, `flux-sops: ${join(generatedFleet, 'no-such-folder')} is not a folder\n`);
    });

    it('prints its help with every rule', () => {
      const run = runCheck(['--help']);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^Usage: flux-sops check \[dir\] \[--json\] \[--strict\]\n/);
      for (const [rule, { severity }] of Object.entries(checkRules)) {
        assert.match(run.stdout, new RegExp(`^  ${rule} +${severity} +\\S`, 'm'));
      }
    });

    it('is documented in the README: every rule, the JSON fields and the exit statuses', () => {
      const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
      const section = readme.split('### `flux-sops check [dir]`')[1]?.split(/\n## /)[0] ?? '';
      assert.notEqual(section, '', 'README.md has a "### `flux-sops check [dir]`" section');
      for (const [rule, { severity }] of Object.entries(checkRules)) {
        assert.match(section, new RegExp(`^\\| \`${rule}\` \\| ${severity} \\|`, 'm'), `README documents ${rule}`);
      }
      for (const field of ['"file"', '"rule"', '"severity"', '"message"', '"filesChecked"']) {
        assert.ok(section.includes(field), `README shows the JSON field ${field}`);
      }
    });
  });

  describe('its weight', () => {
    /**
     * Relative modules reachable from a compiled entry point, and every bare specifier they
     * import. Static imports only, unless `followDynamic`: the command's lazy imports are
     * where the heavy libraries are allowed to hide.
     */
    function importGraph(entry: string, followDynamic: boolean): { modules: string[]; packages: string[] } {
      const modules = new Set<string>();
      const packages = new Set<string>();
      const visit = (file: string): void => {
        if (modules.has(file)) {
          return;
        }
        modules.add(file);
        const source = readFileSync(file, 'utf8');
        const specifiers = [
          ...[...source.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g)],
          ...[...source.matchAll(/\bimport\s*['"]([^'"]+)['"]/g)],
          ...(followDynamic ? [...source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)] : []),
        ].map((match) => match[1] as string);
        for (const specifier of specifiers) {
          if (specifier.startsWith('.')) {
            const target = join(dirname(file), specifier);
            assert.ok(existsSync(target), `${relative(projectRoot, file)} imports ${specifier}, which does not exist`);
            visit(target);
          } else {
            packages.add(specifier);
          }
        }
      };
      visit(entry);
      return { modules: [...modules].map((each) => relative(join(projectRoot, 'dist'), each)).sort(), packages: [...packages].sort() };
    }

    const isAllowed = (specifier: string) => specifier.startsWith('node:') || specifier === 'yaml';

    it('loads no Yeoman, prompt or template library: only node: modules and yaml', () => {
      const graph = importGraph(join(projectRoot, 'dist', 'check-command.js'), true);
      assert.deepEqual(graph.modules, ['check-command.js', 'check.js', 'fleet-constants.js', 'sops-rules.js']);
      assert.deepEqual(
        graph.packages.filter((specifier) => !isAllowed(specifier)),
        [],
      );
      assert.ok(graph.packages.includes('yaml'));
    });

    it('is reached from flux-sops without loading anything heavy first', () => {
      const graph = importGraph(join(projectRoot, 'dist', 'cli.js'), false);
      assert.deepEqual(
        graph.packages.filter((specifier) => !isAllowed(specifier)),
        [],
      );
      assert.match(readFileSync(join(projectRoot, 'dist', 'cli.js'), 'utf8'), /await import\('\.\/check-command\.js'\)/);
    });

    it('has a walker that does see heavy imports (so the two tests above can fail)', () => {
      const graph = importGraph(join(projectRoot, 'dist', 'generators', 'app', 'index.js'), true);
      assert.ok(graph.packages.includes('yeoman-generator'));
      assert.ok(graph.packages.includes('ejs'));
    });
  });
});

const FLEET_URL = 'ssh://git@github.com/acme/fleet.git';

/** What `flux bootstrap git --path=clusters/<env>` writes to gotk-sync.yaml. */
function bootstrapSync(environment: string): string {
  return [
    stringify({
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'flux-system', namespace: 'flux-system' },
      spec: { interval: '1m0s', ref: { branch: 'main' }, secretRef: { name: 'flux-system' }, url: FLEET_URL },
    }),
    stringify({
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'flux-system', namespace: 'flux-system' },
      spec: { interval: '10m0s', path: `./clusters/${environment}`, prune: true, sourceRef: { kind: 'GitRepository', name: 'flux-system' } },
    }),
  ].join('---\n');
}
