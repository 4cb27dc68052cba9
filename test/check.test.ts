// `flux-sops check`, in process: the committed example fleet (test/golden/example, what the
// generator writes for examples/fleet.yaml), one planted fault per test, the findings (file,
// rule, severity, message, fix) asserted; then the command itself (table, JSON, exit status,
// the fleet root found upward, usage errors) with its output captured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { checkFleet } from '../src/check/check.js';
import { checkRules, type Finding } from '../src/check/findings.js';
import { formatTable } from '../src/check/report.js';
import { runCheckCommand } from '../src/cli/check.js';
import { readFleetFiles } from './support.js';
import { FluxSopsError } from '../src/errors.js';
import { processPorts } from '../src/ports.js';
import { shippedCheckerFile as shippedChecker } from './support.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const exampleFleet = join(projectRoot, 'test', 'golden', 'example');

const STAGING_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BACKUP_RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const OTHER_RECIPIENT = 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg';
/** Looks like sops output; encrypts nothing (the tests never need a KMS call). */
const CIPHERTEXT =
  'ENC[AES256_GCM,data:bm90IGEgc2VjcmV0,iv:MTIzNDU2Nzg5MDEyMzQ1Ng==,tag:dGFndGFndGFndGFndGFnZw==,type:str]';
/** Recognisable plaintext values: they must never appear in the output. */
const PLAINTEXT_PASSWORD = 'hunter2-must-never-be-printed';
const PLAINTEXT_TOKEN = 'token-must-never-be-printed';
const ROTATE = 'rotate these credentials: Git history keeps them';

type Files = Map<string, string>;

const exampleFiles: ReadonlyMap<string, string> = readFleetFiles(exampleFleet);

/** A copy of the example fleet's files to plant a fault in. */
function fleet(): Files {
  return new Map(exampleFiles);
}

function placeholderFinding(environment: string): Finding {
  return {
    file: `secrets/${environment}/apps-auth.yaml`,
    rule: 'placeholder',
    severity: 'pending',
    message: 'a generated placeholder, not a real ciphertext (kept out of kustomization.yaml until it is sealed)',
    fix: `flux-sops secret git ${environment} --tenant apps (seals the real credentials and lists the file in kustomization.yaml)`,
  };
}

function oidcFinding(environment: string): Finding {
  return {
    file: `iam/${environment}/trust-policy.json`,
    rule: 'oidc-placeholder',
    severity: 'pending',
    message: 'still names the placeholder OIDC ID REPLACE-WITH-CLUSTER-OIDC-ID, so no cluster can assume the role',
    fix: `flux-sops --oidc-issuer ${environment}=oidc.eks.eu-west-1.amazonaws.com/id/<ID>, the ID from: aws eks describe-cluster --name <cluster> --region eu-west-1 --query cluster.identity.oidc.issuer --output text`,
  };
}

/** What a freshly generated example fleet reports: its placeholders, pending. */
const pendingFindings: Finding[] = [
  oidcFinding('production'),
  oidcFinding('staging'),
  placeholderFinding('production'),
  placeholderFinding('staging'),
];

/** The findings beyond the pending ones every generated fleet starts with. */
function planted(findings: readonly Finding[]): Finding[] {
  return findings.filter(
    (each) => !pendingFindings.some((pending) => JSON.stringify(pending) === JSON.stringify(each)),
  );
}

/** file, rule and severity of each finding, for comparisons where the message is asserted elsewhere. */
function located(findings: readonly Finding[]): string[] {
  return findings.map(({ file, rule, severity }) => `${severity} ${rule} ${file}`);
}

function editYaml(files: Files, path: string, edit: (document: ReturnType<typeof parseDocument>) => void): void {
  const document = parseDocument(files.get(path) ?? '');
  edit(document);
  files.set(path, document.toString());
}

/** Adds entries to the resources of a kustomization.yaml. */
function list(files: Files, kustomization: string, ...resources: string[]): void {
  editYaml(files, kustomization, (document) => {
    const listed = document.get('resources', true);
    assert.ok(isSeq(listed));
    for (const resource of resources) {
      listed.add(resource);
    }
  });
}

function creationRules(document: ReturnType<typeof parseDocument>) {
  const rules = document.get('creation_rules', true);
  assert.ok(isSeq(rules));
  return rules;
}

interface Keys {
  readonly kms?: readonly string[];
  readonly age?: readonly string[];
  readonly keyGroups?: readonly { kms?: readonly string[]; age?: readonly string[] }[];
}

function sopsMetadata({ kms = [], age = [], keyGroups }: Keys) {
  const kmsEntries = (arns: readonly string[]) =>
    arns.map((arn) => ({
      arn,
      created_at: '2026-01-01T00:00:00Z',
      enc: 'AQICAHhEXAMPLEwrappedDataKey==',
      aws_profile: '',
    }));
  const ageEntries = (recipients: readonly string[]) =>
    recipients.map((recipient) => ({
      recipient,
      enc: '-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n-----END AGE ENCRYPTED FILE-----\n',
    }));
  return {
    ...(kms.length > 0 ? { kms: kmsEntries(kms) } : {}),
    ...(age.length > 0 ? { age: ageEntries(age) } : {}),
    ...(keyGroups
      ? {
          key_groups: keyGroups.map((group) => ({
            kms: kmsEntries(group.kms ?? []),
            age: ageEntries(group.age ?? []),
          })),
        }
      : {}),
    lastmodified: '2026-01-01T00:00:00Z',
    mac: CIPHERTEXT,
    encrypted_regex: '^(data|stringData)$',
    version: '3.9.4',
  };
}

function encryptedSecret(
  name: string,
  keys: Keys | string,
  stringData: Record<string, string> = { password: CIPHERTEXT },
): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'flux-system' },
    type: 'Opaque',
    stringData,
    sops: sopsMetadata(typeof keys === 'string' ? { kms: [keys] } : keys),
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
      spec: {
        interval: '10m0s',
        path: `./clusters/${environment}`,
        prune: true,
        sourceRef: { kind: 'GitRepository', name: 'flux-system' },
      },
    }),
  ].join('---\n');
}

// ---------------------------------------------------------------------------------------------
// The command, in process

interface Run {
  readonly status: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly error?: FluxSopsError;
}

/** Runs `flux-sops check …` in this process, capturing what it writes. */
async function runCheck(args: readonly string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const { write: writeOut } = process.stdout;
  const { write: writeErr } = process.stderr;
  process.stdout.write = ((chunk: string) => {
    stdout += chunk;
    return true;
  }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => {
    stderr += chunk;
    return true;
  }) as typeof process.stderr.write;
  try {
    const status = await runCheckCommand([...args], processPorts(), {
      command: 'flux-sops check',
      shippedCheckerFile: shippedChecker,
    });
    return { status, stdout, stderr };
  } catch (error) {
    if (!(error instanceof FluxSopsError)) {
      throw error;
    }
    return { status: error.code, stdout, stderr, error };
  } finally {
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
  }
}

const scratch: string[] = [];

function writeFleet(files: ReadonlyMap<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-'));
  scratch.push(dir);
  for (const [path, contents] of files) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
  return dir;
}

describe('flux-sops check', () => {
  after(() => {
    for (const dir of scratch) {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('a freshly generated fleet', () => {
    it('has only the pending placeholders: apps-auth and the OIDC issuer', () => {
      assert.deepEqual(checkFleet(fleet()), pendingFindings);
    });

    it('prints them as a table, each with its fix, and exits 0', async () => {
      const dir = writeFleet(fleet());
      const run = await runCheck([dir]);
      assert.equal(run.stderr, '');
      assert.equal(run.status, 0);
      const indent = ' '.repeat('SEVERITY  RULE              FILE                               '.length);
      assert.equal(
        run.stdout,
        [
          'SEVERITY  RULE              FILE                               MESSAGE',
          `pending   oidc-placeholder  iam/production/trust-policy.json   ${oidcFinding('production').message}`,
          `${indent}fix: ${oidcFinding('production').fix}`,
          `pending   oidc-placeholder  iam/staging/trust-policy.json      ${oidcFinding('staging').message}`,
          `${indent}fix: ${oidcFinding('staging').fix}`,
          `pending   placeholder       secrets/production/apps-auth.yaml  ${placeholderFinding('production').message}`,
          `${indent}fix: ${placeholderFinding('production').fix}`,
          `pending   placeholder       secrets/staging/apps-auth.yaml     ${placeholderFinding('staging').message}`,
          `${indent}fix: ${placeholderFinding('staging').fix}`,
          '',
          `0 errors, 4 pending, 0 warnings (${exampleFiles.size} files checked)`,
          '',
        ].join('\n'),
      );
    });

    it('reports them with --json under stable field names', async () => {
      const run = await runCheck([writeFleet(fleet()), '--json']);
      assert.equal(run.status, 0);
      assert.deepEqual(JSON.parse(run.stdout), {
        findings: pendingFindings,
        summary: { errors: 0, pending: 4, warnings: 0, filesChecked: exampleFiles.size },
      });
    });

    it('fails with --strict, the placeholders counted as errors', async () => {
      const dir = writeFleet(fleet());
      const run = await runCheck([dir, '--json', '--strict']);
      assert.equal(run.status, 1);
      assert.deepEqual(
        (JSON.parse(run.stdout) as { findings: Finding[] }).findings,
        pendingFindings.map((each) => ({ ...each, severity: 'error' })),
      );
    });

    it('stays clean once bootstrapped: the flux-system Kustomization applies clusters/<env> without decryption', () => {
      const files = fleet();
      files.set('clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      assert.deepEqual(checkFleet(files), pendingFindings);
    });
  });

  describe('plaintext Secrets', () => {
    it('finds a Secret whose data and stringData are not encrypted, and says how to seal it', async () => {
      const files = fleet();
      files.set('clusters/staging/db-credentials.yaml', plaintextSecret('db-credentials'));
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'clusters/staging/db-credentials.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret default/db-credentials is not SOPS-encrypted: data.token, stringData.password are plaintext',
          fix: `flux-sops secret generic staging db-credentials --from-file token=<file> --from-file password=<file>, then delete clusters/staging/db-credentials.yaml and ${ROTATE}`,
        },
      ]);
      const run = await runCheck([writeFleet(files)]);
      assert.equal(run.status, 1);
      assert.match(
        run.stdout,
        /^error +unencrypted-secret +clusters\/staging\/db-credentials\.yaml +Secret default\/db-credentials is not SOPS-encrypted/m,
      );
      assert.match(
        run.stdout,
        /^ +fix: flux-sops secret generic staging db-credentials --from-file token=<file> --from-file password=<file>, then delete/m,
      );
      assertNoSecretValues(run.stdout + run.stderr);
    });

    it('finds one in the second document of a multi-document file', () => {
      const files = fleet();
      files.set(
        'secrets/staging/app.yaml',
        `${stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app' }, data: { mode: 'fast' } })}---\n${plaintextSecret('app')}`,
      );
      const findings = planted(checkFleet(files));
      assert.deepEqual(findings, [
        {
          file: 'secrets/staging/app.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message:
            'document 2: Secret default/app is not SOPS-encrypted: data.token, stringData.password are plaintext',
          fix: `move the other documents of secrets/staging/app.yaml to a file of their own, then flux-sops secret generic staging app --from-file token=<file> --from-file password=<file> --force (replaces secrets/staging/app.yaml), then ${ROTATE}`,
        },
      ]);
      assertNoSecretValues(JSON.stringify(findings));
    });

    it('finds a value left in plaintext in an encrypted Secret, whose fix replaces the file', () => {
      const files = fleet();
      files.set(
        'secrets/staging/db.yaml',
        encryptedSecret('db', STAGING_KEY, { username: CIPHERTEXT, password: PLAINTEXT_PASSWORD }),
      );
      list(files, 'secrets/staging/kustomization.yaml', 'db.yaml');
      const findings = planted(checkFleet(files));
      assert.deepEqual(findings, [
        {
          file: 'secrets/staging/db.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message: 'Secret flux-system/db is SOPS-encrypted, but stringData.password is plaintext',
          fix: `flux-sops secret generic staging db --from-file username=<file> --from-file password=<file> --force (replaces secrets/staging/db.yaml), then ${ROTATE}`,
        },
      ]);
      assertNoSecretValues(JSON.stringify(findings));
    });

    it('does not call an empty or null value plaintext (sops leaves empty values unencrypted)', () => {
      const files = fleet();
      files.set('secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY, { username: CIPHERTEXT, password: '' }));
      files.set(
        'secrets/staging/empty.yaml',
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: empty\nstringData:\n  a: ""\n  b:\n',
      );
      list(files, 'secrets/staging/kustomization.yaml', 'db.yaml');
      assert.deepEqual(checkFleet(files), pendingFindings);
    });

    it('finds Secrets in a List, as `kubectl get secret -o yaml` writes them', () => {
      const files = fleet();
      const secret = parseDocument(plaintextSecret('exported')).toJS();
      files.set('backup/secrets.yaml', stringify({ apiVersion: 'v1', kind: 'List', items: [secret] }));
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'backup/secrets.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message:
            'Secret default/exported (in List) is not SOPS-encrypted: data.token, stringData.password are plaintext',
          fix: `flux-sops secret generic <env> exported --from-file token=<file> --from-file password=<file>, then remove it from backup/secrets.yaml and ${ROTATE}`,
        },
      ]);
    });

    it('finds one in a JSON file, as `kubectl get secret -o json` writes it', () => {
      const files = fleet();
      files.set('backup/db.json', JSON.stringify(parseDocument(plaintextSecret('db')).toJS(), null, 2));
      assert.deepEqual(located(planted(checkFleet(files))), ['error unencrypted-secret backup/db.json']);
    });

    it('finds secretGenerator literals in a kustomization.yaml, naming only their keys', () => {
      const files = fleet();
      editYaml(files, 'secrets/staging/kustomization.yaml', (document) => {
        document.set(
          'secretGenerator',
          document.createNode([{ name: 'api', literals: [`password=${PLAINTEXT_PASSWORD}`] }]),
        );
      });
      const findings = planted(checkFleet(files));
      assert.deepEqual(findings, [
        {
          file: 'secrets/staging/kustomization.yaml',
          rule: 'unencrypted-secret',
          severity: 'error',
          message:
            'secretGenerator api has literals: their values are plaintext in Git; commit a SOPS-encrypted Secret instead',
          fix: `flux-sops secret generic staging api --from-file password=<file>, then remove secretGenerator api from secrets/staging/kustomization.yaml and ${ROTATE}`,
        },
      ]);
      assertNoSecretValues(JSON.stringify(findings));
    });

    it('finds a sops block that nothing can decrypt (no mac, no key)', () => {
      const files = fleet();
      files.set(
        'secrets/staging/settings.yaml',
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' }, sops: { version: '3.9.4' } }),
      );
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'secrets/staging/settings.yaml',
          rule: 'invalid-sops-metadata',
          severity: 'error',
          message: 'its sops block has no mac or no key, so nothing can decrypt it',
          fix: 'restore it from Git history, or seal its values again: flux-sops secret generic staging settings --from-file KEY=<file> --force (replaces secrets/staging/settings.yaml), then rotate these credentials: Git history keeps them',
        },
      ]);
    });
  });

  describe('master keys of encrypted files', () => {
    /** The example fleet with a backup age recipient in staging's rule, written as `format` gives it. */
    function withStagingRule(edit: (rule: Record<string, unknown>) => void): Files {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        const rule = creationRules(document).items[0];
        assert.ok(isMap(rule));
        const plain = rule.toJSON() as Record<string, unknown>;
        edit(plain);
        creationRules(document).items[0] = document.createNode(plain);
      });
      return files;
    }

    function sealed(files: Files, keys: Keys | string): Files {
      files.set('secrets/staging/db.yaml', encryptedSecret('db', keys));
      list(files, 'secrets/staging/kustomization.yaml', 'db.yaml');
      return files;
    }

    it("finds a file encrypted with another environment's key", () => {
      const files = sealed(fleet(), PRODUCTION_KEY);
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'secrets/staging/db.yaml',
          rule: 'wrong-master-keys',
          severity: 'error',
          message: `its master keys differ from those that rule 1 (^secrets/staging/.+\\.ya?ml$) of .sops.yaml names (missing: ${STAGING_KEY}; extra: ${PRODUCTION_KEY})`,
          fix: 'flux-sops updatekeys staging',
        },
      ]);
    });

    it('finds a recipient added to the rule but not yet to the file (missing), and one removed (extra)', () => {
      const added = sealed(
        withStagingRule((rule) => {
          rule.age = BACKUP_RECIPIENT;
        }),
        STAGING_KEY,
      );
      assert.deepEqual(planted(checkFleet(added)), [
        {
          file: 'secrets/staging/db.yaml',
          rule: 'wrong-master-keys',
          severity: 'error',
          message: `its master keys differ from those that rule 1 (^secrets/staging/.+\\.ya?ml$) of .sops.yaml names (missing: ${BACKUP_RECIPIENT})`,
          fix: 'flux-sops updatekeys staging',
        },
      ]);
      const removed = sealed(fleet(), { kms: [STAGING_KEY], age: [OTHER_RECIPIENT] });
      assert.equal(
        planted(checkFleet(removed))[0]?.message,
        `its master keys differ from those that rule 1 (^secrets/staging/.+\\.ya?ml$) of .sops.yaml names (extra: ${OTHER_RECIPIENT})`,
      );
    });

    it('accepts a file wrapped for exactly its rule’s keys, however the rule lists them', () => {
      const forms: [string, (rule: Record<string, unknown>) => void][] = [
        [
          'comma-separated strings',
          (rule) => Object.assign(rule, { kms: `${STAGING_KEY}`, age: ` ${BACKUP_RECIPIENT} , ${OTHER_RECIPIENT}` }),
        ],
        ['lists', (rule) => Object.assign(rule, { kms: [STAGING_KEY], age: [OTHER_RECIPIENT, BACKUP_RECIPIENT] })],
        [
          'key_groups (which sops uses instead of the top-level keys)',
          (rule) =>
            Object.assign(rule, {
              kms: PRODUCTION_KEY,
              key_groups: [{ kms: [{ arn: STAGING_KEY }], age: [BACKUP_RECIPIENT] }, { age: [OTHER_RECIPIENT] }],
            }),
        ],
      ];
      for (const [form, edit] of forms) {
        const files = sealed(withStagingRule(edit), { kms: [STAGING_KEY], age: [BACKUP_RECIPIENT, OTHER_RECIPIENT] });
        assert.deepEqual(checkFleet(files), pendingFindings, form);
        const grouped = sealed(withStagingRule(edit), {
          keyGroups: [{ kms: [STAGING_KEY], age: [OTHER_RECIPIENT] }, { age: [BACKUP_RECIPIENT] }],
        });
        assert.deepEqual(checkFleet(grouped), pendingFindings, `${form}, the file in key groups`);
      }
    });

    it('does not compare the keys of a placeholder (sealing it uses the rule’s keys)', () => {
      const files = withStagingRule((rule) => {
        rule.age = BACKUP_RECIPIENT;
      });
      assert.deepEqual(checkFleet(files), pendingFindings);
    });

    it("finds a placeholder copied from another environment's folder: an error naming this folder's environment in its fix", () => {
      const files = fleet();
      files.set('secrets/production/apps-auth.yaml', files.get('secrets/staging/apps-auth.yaml') ?? '');
      const wrong = checkFleet(files).filter((each) => each.rule === 'wrong-master-keys');
      assert.deepEqual(wrong, [
        {
          file: 'secrets/production/apps-auth.yaml',
          rule: 'wrong-master-keys',
          severity: 'error',
          message: `a placeholder naming ${STAGING_KEY}, which rule 2 (^secrets/production/.+\\.ya?ml$) of .sops.yaml does not name: copied from another environment's folder?`,
          fix: 'flux-sops secret git production --tenant apps (seals the real credentials and lists the file in kustomization.yaml)',
        },
      ]);
      // The environment's own placeholder, with the rule's key: pending only.
      assert.deepEqual(
        checkFleet(fleet()).filter((each) => each.rule === 'wrong-master-keys'),
        [],
      );
    });

    it('finds an encrypted file that matches no rule (and that nothing decrypts)', () => {
      const files = fleet();
      files.set('legacy/db.yaml', encryptedSecret('db', STAGING_KEY));
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'legacy/db.yaml',
          rule: 'no-creation-rule',
          severity: 'error',
          message:
            'is SOPS-encrypted, but no .sops.yaml creation rule matches its path, so nothing says which keys it needs',
          fix: 'move it under secrets/<env>/, or add an anchored creation rule for its path to .sops.yaml',
        },
        {
          file: 'legacy/db.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message: 'is SOPS-encrypted, but no Flux Kustomization with decryption.provider: sops reads this path',
          fix: "move it under secrets/<env>/ and list it in that folder's kustomization.yaml",
        },
      ]);
    });
  });

  describe('where encrypted files are read and applied', () => {
    it('finds an encrypted file under clusters/<env>, which the bootstrap Kustomization applies without decryption', () => {
      const files = fleet();
      // A rule for it, so the only fault left is where it lies.
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).add(
          document.createNode({ path_regex: '^clusters/staging/.+\\.ya?ml$', kms: STAGING_KEY }),
        );
      });
      files.set('clusters/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'clusters/staging/db.yaml',
          rule: 'not-decrypted',
          severity: 'error',
          message:
            'is SOPS-encrypted, but clusters/<env>/ is applied by the bootstrap flux-system Kustomization, which has no decryption',
          fix: 'git mv clusters/staging/db.yaml secrets/staging/db.yaml, then list it in secrets/staging/kustomization.yaml',
        },
      ]);
    });

    it('also names the bootstrap Kustomization once gotk-sync.yaml defines it', () => {
      const files = fleet();
      files.set('clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      files.set('clusters/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      const findings = planted(checkFleet(files));
      assert.deepEqual(located(findings), [
        'error no-creation-rule clusters/staging/db.yaml',
        'error not-decrypted clusters/staging/db.yaml',
        'error kustomization-without-decryption clusters/staging/flux-system/gotk-sync.yaml',
      ]);
      assert.deepEqual(findings[2], {
        file: 'clusters/staging/flux-system/gotk-sync.yaml',
        rule: 'kustomization-without-decryption',
        severity: 'error',
        message:
          'document 2: Flux Kustomization flux-system/flux-system applies ./clusters/staging without decryption, but encrypted files lie under it (clusters/staging/db.yaml): the bootstrap Kustomization must not decrypt',
        fix: 'move the encrypted files under secrets/<env>/',
      });
    });

    it('finds a Kustomization that applies encrypted files without decryption', () => {
      const files = fleet();
      editYaml(files, 'clusters/staging/secrets.yaml', (document) => {
        document.deleteIn(['spec', 'decryption']);
      });
      files.set('secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      list(files, 'secrets/staging/kustomization.yaml', 'db.yaml');
      const notDecrypted = {
        rule: 'not-decrypted',
        severity: 'error',
        message: 'is SOPS-encrypted, but no Flux Kustomization with decryption.provider: sops reads this path',
        fix: "move it under secrets/<env>/ and list it in that folder's kustomization.yaml",
      } as const;
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'clusters/staging/secrets.yaml',
          rule: 'kustomization-without-decryption',
          severity: 'error',
          message:
            'Flux Kustomization flux-system/secrets applies ./secrets/staging without decryption, but encrypted files lie under it (secrets/staging/apps-auth.yaml and 1 more)',
          fix: 'add spec.decryption.provider: sops to Flux Kustomization flux-system/secrets in clusters/staging/secrets.yaml',
        },
        { file: 'secrets/staging/apps-auth.yaml', ...notDecrypted },
        { file: 'secrets/staging/db.yaml', ...notDecrypted },
      ]);
    });

    it('judges only Kustomizations that read this repository', () => {
      const files = fleet();
      // A Kustomization reading the tenant's repository "apps": its path says nothing about this one.
      files.set(
        'clusters/staging/other.yaml',
        stringify({
          apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
          kind: 'Kustomization',
          metadata: { name: 'other', namespace: 'flux-system' },
          spec: {
            serviceAccountName: 'kustomize-controller',
            interval: '10m',
            prune: true,
            path: './secrets/staging',
            sourceRef: { kind: 'GitRepository', name: 'apps' },
          },
        }),
      );
      assert.deepEqual(checkFleet(files), pendingFindings);
      // Once bootstrapped, a GitRepository with the fleet's own URL is this repository.
      files.set('clusters/staging/flux-system/gotk-sync.yaml', bootstrapSync('staging'));
      const sync = files.get('tenants/staging/apps/sync.yaml') ?? '';
      files.set(
        'tenants/staging/apps/sync.yaml',
        sync.replace('url: https://github.com/acme/apps.git', `url: ${FLEET_URL}`),
      );
      assert.deepEqual(located(planted(checkFleet(files))), [
        'error kustomization-without-decryption clusters/staging/other.yaml',
      ]);
    });

    it('finds a placeholder listed in a kustomization.yaml', () => {
      const files = fleet();
      list(files, 'secrets/staging/kustomization.yaml', 'apps-auth.yaml');
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'secrets/staging/kustomization.yaml',
          rule: 'placeholder-listed',
          severity: 'error',
          message:
            'lists apps-auth.yaml, a placeholder that is not a real ciphertext: kustomize-controller would fail the whole Kustomization',
          fix: 'remove "- apps-auth.yaml" from its resources; flux-sops secret git staging seals it and lists it again',
        },
      ]);
    });

    it('finds an encrypted file its kustomization.yaml does not list (not-applied)', () => {
      const files = fleet();
      files.set('secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      files.set('secrets/staging/apps/api.yaml', encryptedSecret('api', STAGING_KEY));
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'secrets/staging/apps/api.yaml',
          rule: 'not-applied',
          severity: 'error',
          message:
            'is SOPS-encrypted, but secrets/staging/kustomization.yaml does not list it (directly or through a kustomization it lists), so Flux Kustomization secrets never applies it',
          fix: 'add "- apps/api.yaml" to the resources of secrets/staging/kustomization.yaml',
        },
        {
          file: 'secrets/staging/db.yaml',
          rule: 'not-applied',
          severity: 'error',
          message:
            'is SOPS-encrypted, but secrets/staging/kustomization.yaml does not list it (directly or through a kustomization it lists), so Flux Kustomization secrets never applies it',
          fix: 'add "- db.yaml" to the resources of secrets/staging/kustomization.yaml',
        },
      ]);
    });

    it('accepts encrypted files listed directly, through a nested kustomization, or under a path with no kustomization.yaml', () => {
      const files = fleet();
      files.set('secrets/staging/db.yaml', encryptedSecret('db', STAGING_KEY));
      files.set('secrets/staging/apps/api.yaml', encryptedSecret('api', STAGING_KEY));
      files.set(
        'secrets/staging/apps/kustomization.yaml',
        stringify({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: ['./api.yaml'] }),
      );
      list(files, 'secrets/staging/kustomization.yaml', 'db.yaml', 'apps/');
      // Without a kustomization.yaml, Flux generates one that applies every manifest under the path.
      files.delete('secrets/production/kustomization.yaml');
      files.set('secrets/production/db.yaml', encryptedSecret('db', PRODUCTION_KEY));
      assert.deepEqual(checkFleet(files), pendingFindings);
    });

    it('does not call the unlisted placeholder not-applied: it is pending only', () => {
      assert.ok(!checkFleet(fleet()).some((each) => each.rule === 'not-applied'));
    });
  });

  describe('.sops.yaml rules', () => {
    it('finds an unanchored rule, quoting its regex as written', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        document.setIn(['creation_rules', 0, 'path_regex'], 'secrets/staging/.+\\.ya?ml');
      });
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: '.sops.yaml',
          rule: 'unanchored-rule',
          severity: 'error',
          message:
            'rule 1 (secrets/staging/.+\\.ya?ml) is not anchored with ^…$: it also matches paths it was not written for (for example the same folder under another one)',
          fix: 'anchor it: path_regex: ^secrets/staging/.+\\.ya?ml$',
        },
      ]);
    });

    it('finds a catch-all rule without path_regex', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ kms: STAGING_KEY }));
      });
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: '.sops.yaml',
          rule: 'unanchored-rule',
          severity: 'error',
          message:
            'rule 3 has no path_regex: it matches every file, so sops encrypts files anywhere, even where no decrypting Kustomization reads them',
          fix: 'give rule 3 an anchored path_regex such as ^secrets/<env>/.+\\.ya?ml$, or delete it',
        },
      ]);
    });

    it('finds rules shadowed by an earlier rule', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).items.unshift(
          document.createNode({ path_regex: '^secrets/.+\\.ya?ml$', kms: STAGING_KEY }),
        );
      });
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: '.sops.yaml',
          rule: 'shadowed-rule',
          severity: 'error',
          message:
            "rule 2 (^secrets/staging/.+\\.ya?ml$) is shadowed by rule 1 (^secrets/.+\\.ya?ml$): sops uses the first match, so secrets/staging/apps-auth.yaml gets rule 1's keys",
          fix: "move rule 2 before rule 1, or narrow rule 1's path_regex",
        },
        {
          file: '.sops.yaml',
          rule: 'shadowed-rule',
          severity: 'error',
          message:
            "rule 3 (^secrets/production/.+\\.ya?ml$) is shadowed by rule 1 (^secrets/.+\\.ya?ml$): sops uses the first match, so secrets/production/apps-auth.yaml gets rule 1's keys",
          fix: "move rule 3 before rule 1, or narrow rule 1's path_regex",
        },
      ]);
    });

    it('finds a rule shadowed only on a sample path of its own folder', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ path_regex: '^apps/secrets/.+\\.yaml$', kms: STAGING_KEY }));
        creationRules(document).items.unshift(document.createNode({ path_regex: '^apps/.+$', kms: STAGING_KEY }));
      });
      assert.deepEqual(
        planted(checkFleet(files)).map((each) => each.message),
        [
          "rule 4 (^apps/secrets/.+\\.yaml$) is shadowed by rule 1 (^apps/.+$): sops uses the first match, so apps/secrets/secret.yaml gets rule 1's keys",
        ],
      );
    });

    it('finds an environment folder under secrets/ that no rule covers', () => {
      const files = fleet();
      files.set(
        'secrets/qa/settings.yaml',
        stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'settings' } }),
      );
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: '.sops.yaml',
          rule: 'missing-rule',
          severity: 'error',
          message: 'no creation rule matches secrets/qa/: sops cannot encrypt the files of qa',
          fix: 'add a creation rule to .sops.yaml with path_regex: ^secrets/qa/.+\\.ya?ml$ and the KMS key of qa',
        },
      ]);
    });

    it('finds a deleted rule, and the files it leaves without one', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).items.splice(1, 1);
      });
      assert.deepEqual(located(planted(checkFleet(files))), [
        'error missing-rule .sops.yaml',
        'error no-creation-rule secrets/production/apps-auth.yaml',
      ]);
    });

    it('knows the environments of the stored answers even without their folder', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).items.splice(1, 1);
      });
      for (const path of files.keys()) {
        if (path.startsWith('secrets/production/')) {
          files.delete(path);
        }
      }
      assert.deepEqual(located(planted(checkFleet(files))), ['error missing-rule .sops.yaml']);
      assert.equal(
        planted(checkFleet(files))[0]?.message,
        'no creation rule matches secrets/production/: sops cannot encrypt the files of production',
      );
    });

    it('finds rules sops cannot read', () => {
      const files = fleet();
      editYaml(files, '.sops.yaml', (document) => {
        creationRules(document).add(document.createNode({ path_regex: '^(secrets/qa/.+$', kms: STAGING_KEY }));
        creationRules(document).add('secrets/dev');
      });
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: '.sops.yaml',
          rule: 'invalid-rule',
          severity: 'error',
          message: 'rule 3 (^(secrets/qa/.+$): path_regex is not a valid regular expression',
          fix: 'correct the path_regex of rule 3 (RE2 syntax, as sops reads it)',
        },
        {
          file: '.sops.yaml',
          rule: 'invalid-rule',
          severity: 'error',
          message: 'rule 4 is not a mapping, so sops cannot read .sops.yaml',
          fix: 'make rule 4 a mapping with path_regex and its keys, or delete it',
        },
      ]);
    });

    it('warns about a .sops.yaml below the root', () => {
      const files = fleet();
      files.set('secrets/staging/.sops.yaml', 'creation_rules: []\n');
      assert.deepEqual(planted(checkFleet(files)), [
        {
          file: 'secrets/staging/.sops.yaml',
          rule: 'nested-sops-config',
          severity: 'warning',
          message:
            'sops uses the .sops.yaml nearest to the folder it runs in: run from secrets/staging/, it ignores the root rules; keep one .sops.yaml at the root',
          fix: 'move its rules into the root .sops.yaml and delete secrets/staging/.sops.yaml',
        },
      ]);
    });

    it('cannot check a fleet whose .sops.yaml does not parse, or is not a mapping', () => {
      const files = fleet();
      files.set('.sops.yaml', 'creation_rules:\n  - path_regex: [\n');
      assert.throws(() => checkFleet(files), {
        name: 'FluxSopsError',
        kind: 'fleet',
        code: 2,
        message:
          '.sops.yaml does not parse as YAML (deficient indentation at line 3, column 1): correct it, then check again',
      });
      files.set('.sops.yaml', 'creation_rules: secrets/\n');
      assert.throws(() => checkFleet(files), {
        kind: 'fleet',
        message: '.sops.yaml has a creation_rules that is not a list',
      });
      files.set('.sops.yaml', '- a\n');
      assert.throws(() => checkFleet(files), {
        kind: 'fleet',
        message: '.sops.yaml must be a mapping with a creation_rules list',
      });
    });
  });

  describe('the OIDC issuer placeholder', () => {
    it('is pending while iam/<env>/trust-policy.json names it, and an error with --strict', async () => {
      const files = fleet();
      files.set(
        'iam/staging/trust-policy.json',
        (files.get('iam/staging/trust-policy.json') ?? '').replaceAll(
          'REPLACE-WITH-CLUSTER-OIDC-ID',
          'EXAMPLED539D4633E53DE1B71EXAMPLE',
        ),
      );
      assert.deepEqual(
        checkFleet(files),
        pendingFindings.filter((each) => each.file !== 'iam/staging/trust-policy.json'),
      );
      const run = await runCheck([writeFleet(files), '--strict', '--json']);
      assert.equal(run.status, 1);
      assert.deepEqual(
        located((JSON.parse(run.stdout) as { findings: Finding[] }).findings).filter((each) => each.includes('oidc')),
        ['error oidc-placeholder iam/production/trust-policy.json'],
      );
    });

    it('is looked for in trust policies only', () => {
      const files = fleet();
      files.set(
        'iam/staging/notes.json',
        JSON.stringify({ issuer: 'oidc.eks.eu-west-1.amazonaws.com/id/REPLACE-WITH-CLUSTER-OIDC-ID' }),
      );
      files.set('docs/trust-policy.json', files.get('iam/staging/trust-policy.json') ?? '');
      assert.deepEqual(checkFleet(files), pendingFindings);
    });
  });

  describe('what it reads', () => {
    it('reports a Secret it cannot parse as an error, giving the position but not the text', () => {
      const files = fleet();
      files.set(
        'clusters/staging/broken.yaml',
        `apiVersion: v1\nkind: Secret\nstringData:\n  password: ${PLAINTEXT_PASSWORD}\n  password: again\n`,
      );
      const findings = planted(checkFleet(files));
      assert.deepEqual(findings, [
        {
          file: 'clusters/staging/broken.yaml',
          rule: 'unparsable-secret',
          severity: 'error',
          message:
            'not checked: it does not parse as YAML (duplicated mapping key at line 5, column 3): a kind: Secret that cannot be read may be plaintext (kubectl kustomize may still build it)',
          fix: 'correct it at line 5: kubectl, kustomize and sops cannot read it either',
        },
      ]);
      assertNoSecretValues(JSON.stringify(findings));
    });

    it('reports a JSON Secret it cannot parse as an error, without quoting it', () => {
      const files = fleet();
      files.set('backup/db.json', `{"kind": "Secret", "stringData": {"password": "${PLAINTEXT_PASSWORD}" "x": 1}}`);
      const findings = planted(checkFleet(files));
      assert.deepEqual(located(findings), ['error unparsable-secret backup/db.json']);
      assertNoSecretValues(JSON.stringify(findings));
    });

    it('skips node_modules, .git and .terraform, and ignores Terraform files', async () => {
      const files = fleet();
      const secret = plaintextSecret('vendored');
      for (const path of [
        'node_modules/some-package/secret.yaml',
        '.git/secret.yaml',
        'terraform/staging/.terraform/modules/secret.yaml',
        'terraform/staging/terraform.tfstate',
        'terraform/staging/terraform.tfstate.backup',
        'terraform/staging/main.tf.json',
        'terraform/staging/main.tf',
      ]) {
        files.set(
          path,
          path.endsWith('.json') || path.includes('tfstate') ? JSON.stringify(parseDocument(secret).toJS()) : secret,
        );
      }
      const dir = writeFleet(files);
      assert.deepEqual([...readFleetFiles(dir).keys()], [...exampleFiles.keys()]);
      const run = await runCheck([dir, '--json']);
      assert.equal(run.status, 0);
      assert.deepEqual((JSON.parse(run.stdout) as { findings: Finding[] }).findings, pendingFindings);
    });
  });

  describe('the command', () => {
    it('checks the fleet above the folder it is given, and says which', async () => {
      const dir = writeFleet(fleet());
      const fromSubfolder = await runCheck([join(dir, 'secrets', 'staging'), '--json']);
      assert.equal(fromSubfolder.status, 0);
      assert.deepEqual((JSON.parse(fromSubfolder.stdout) as { findings: Finding[] }).findings, pendingFindings);
      assert.equal(
        fromSubfolder.stderr,
        `Checking the fleet at ${dir}, the nearest folder above ${join(dir, 'secrets', 'staging')} with its .yo-rc.json\n`,
      );
    });

    it('takes --cwd, the folder given then relative to it, and the current folder by default', async () => {
      const dir = writeFleet(fleet());
      const withCwd = await runCheck(['--cwd', dir, 'secrets/staging']);
      assert.equal(withCwd.status, 0);
      assert.equal(
        withCwd.stderr,
        `Checking the fleet at ${dir}, the nearest folder above secrets/staging with its .yo-rc.json\n`,
      );
      assert.match(withCwd.stdout, /^0 errors, 4 pending, 0 warnings \(\d+ files checked\)$/m);
      const atRoot = await runCheck(['--cwd', dir]);
      assert.equal(atRoot.stderr, '');
      process.chdir(join(dir, 'iam'));
      try {
        const inCurrentFolder = await runCheck([]);
        assert.equal(inCurrentFolder.status, 0);
        assert.equal(
          inCurrentFolder.stderr,
          `Checking the fleet at ${dir}, the nearest folder above the current folder with its .yo-rc.json\n`,
        );
      } finally {
        process.chdir(projectRoot); // not the previous folder: another test's temporary folder may be gone
      }
    });

    it('needs a .sops.yaml in the folder or above it (exit 2)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'check-empty-'));
      scratch.push(dir);
      const run = await runCheck([dir]);
      assert.equal(run.status, 2);
      assert.equal(run.stdout, '');
      assert.equal(run.error?.kind, 'fleet');
      assert.equal(
        run.error?.message,
        `no .sops.yaml in ${dir} or any folder above it: run flux-sops check inside a fleet (a folder with .sops.yaml), or pass its folder`,
      );
    });

    it('rejects unknown options, extra arguments and missing folders in one clear line (exit 2)', async () => {
      const dir = writeFleet(fleet());
      const cases: [string[], string][] = [
        [[dir, '--bogus'], 'unknown option --bogus'],
        [['-x'], 'unknown option -x'],
        [['--json=yes'], '--json takes no value'],
        [['--cwd'], '--cwd needs a folder: --cwd DIR'],
        [[dir, dir], `flux-sops check takes at most one folder, got 2: ${dir} ${dir}`],
      ];
      for (const [args, message] of cases) {
        const run = await runCheck(args);
        assert.equal(run.status, 2, args.join(' '));
        assert.equal(run.error?.kind, 'usage');
        assert.equal(run.error?.message, `${message}\nRun flux-sops check --help for the usage.`);
      }
      const missing = await runCheck([join(dir, 'no-such-folder')]);
      assert.equal(missing.error?.kind, 'usage');
      assert.equal(missing.error?.message, `${join(dir, 'no-such-folder')} is not a folder`);
      const missingCwd = await runCheck(['--cwd', join(dir, 'no-such-folder')]);
      assert.equal(missingCwd.error?.message, `--cwd ${join(dir, 'no-such-folder')} is not a folder`);
    });

    it('prints its help with every rule', async () => {
      const run = await runCheck(['--help']);
      assert.equal(run.status, 0);
      assert.match(run.stdout, /^Usage: flux-sops check \[dir\] \[--cwd DIR\] \[--json\] \[--strict\]\n/);
      for (const [rule, { severity }] of Object.entries(checkRules)) {
        assert.match(run.stdout, new RegExp(`^  ${rule} +${severity} +\\S`, 'm'));
      }
    });

    it('is documented in the README: where the rules are listed, the JSON fields and the exit statuses', () => {
      const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
      const section = readme.split('### `flux-sops check [dir]`')[1]?.split(/\n## /)[0] ?? '';
      assert.notEqual(section, '', 'README.md has a "### `flux-sops check [dir]`" section');
      assert.ok(section.includes('`flux-sops check --help` lists the rules'), 'README points to --help for the rules');
      assert.ok(section.includes('file, rule, severity, message, fix'), 'README names the JSON fields');
      for (const status of ['`0` no errors', '`1` any error', '`2` usage']) {
        assert.ok(section.includes(status), `README gives the exit status ${status}`);
      }
    });
  });

  describe('its weight', () => {
    /**
     * Modules reachable from a source file (relative `.js` specifiers resolved to the `.ts`
     * sources), and every bare specifier they import. Static imports only, unless
     * `followDynamic`: the command's lazy imports are where heavy libraries may hide.
     */
    function importGraph(
      entry: string,
      followDynamic: boolean,
    ): { modules: string[]; packages: string[]; sources: string[] } {
      const modules = new Set<string>();
      const packages = new Set<string>();
      const sources: string[] = [];
      const visit = (file: string): void => {
        if (modules.has(file)) {
          return;
        }
        modules.add(file);
        const source = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '');
        sources.push(source);
        const specifiers = [
          ...source.matchAll(/\b(?:import|export)\b(?!\s+type\b)[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g),
          ...source.matchAll(/\bimport\s*['"]([^'"]+)['"]/g),
          ...(followDynamic ? source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g) : []),
          ...(followDynamic
            ? source.matchAll(
                /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)|createRequire\([^)]*\)\(\s*['"]([^'"]+)['"]\s*\)/g,
              )
            : []),
        ].map((match) => (match[1] ?? match[2]) as string);
        for (const specifier of specifiers) {
          if (specifier.startsWith('.')) {
            visit(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
          } else {
            packages.add(specifier);
          }
        }
      };
      visit(entry);
      return {
        modules: [...modules].map((each) => relative(projectRoot, each)).sort(),
        packages: [...packages].sort(),
        sources,
      };
    }

    const HEAVY = /^(yeoman-|@yeoman\/|ejs$|inquirer|@inquirer\/|mem-fs|yaml$|@aws-sdk\/|age-encryption$|sshpk$)/;

    it('loads only node: modules, js-yaml, ignore and re2js: never yaml, Yeoman, prompts or templates', () => {
      const loaded = importGraph(join(projectRoot, 'src', 'check', 'standalone.ts'), true);
      const modules = [
        'src/check/check.ts',
        'src/check/creation-rules.ts',
        'src/check/facts.ts',
        'src/check/findings.ts',
        'src/check/parse.ts',
        'src/check/pathological.ts',
        'src/check/report.ts',
        'src/check/repository.ts',
        'src/check/run.ts',
        'src/check/simple-yaml.ts',
        'src/check/standalone.ts',
        'src/check/tenancy.ts',
        'src/text.ts',
        'src/cli/check.ts',
        'src/cli/command-spec.ts',
        'src/disk/git-ignored.ts',
        'src/disk/index.ts',
        'src/disk/reader.ts',
        'src/disk/writer.ts',
        'src/errors.ts',
        'src/fleet/layout.ts',
        'src/fleet/fleet-root.ts',
        'src/fleet/validators.ts',
        'src/sops/errors.ts',
        'src/sops/key-ids.ts',
        'src/sops/master-keys.ts',
        'src/sops/regex.ts',
        'src/sops/rules.ts',
      ].sort();
      assert.deepEqual(loaded.modules, modules);
      assert.deepEqual(
        loaded.packages.filter((specifier) => !specifier.startsWith('node:')).sort(),
        ['ignore', 'js-yaml', 're2js'],
        "js-yaml, ignore (Git's rules) and RE2, as sops matches path_regex (pure-JavaScript modules without dependencies)",
      );
    });

    it('the planner, the layout and the KMS key source read no file and set no environment variable when loaded', () => {
      const modules = ['src/fleet/plan.ts', 'src/fleet/layout.ts', 'src/sops/kms.ts'].map((each) =>
        join(projectRoot, each),
      );
      const probe = join(projectRoot, 'test', 'helpers', 'load-probe.mjs');
      const output = execFileSync(process.execPath, ['--import', 'tsx', probe, ...modules], {
        cwd: projectRoot,
        encoding: 'utf8',
      });
      assert.deepEqual(JSON.parse(output), { calls: [], envChanged: false });
    });

    it('is reached from flux-sops by a lazy import, after nothing heavy', () => {
      const graph = importGraph(join(projectRoot, 'src', 'cli', 'main.ts'), false);
      assert.deepEqual(
        graph.packages.filter((specifier) => HEAVY.test(specifier)),
        [],
        'flux-sops check would load these before the checker',
      );
      assert.ok(
        graph.sources.some((source) => /await import\(\s*['"]\.\/check\.js['"]\s*\)/.test(source)),
        'the command line imports src/cli/check.js lazily',
      );
    });

    it('has a walker that does see heavy imports (so the two tests above can fail)', () => {
      const graph = importGraph(join(projectRoot, 'generators', 'app', 'index.ts'), true);
      assert.ok(graph.packages.some((specifier) => HEAVY.test(specifier)));
    });
  });
});

describe('flux-sops check table in a terminal', () => {
  const findings: Finding[] = [
    {
      file: 'secrets/dev/repo-auth.yaml',
      rule: 'placeholder',
      severity: 'pending',
      message: 'a generated placeholder',
      fix: 'flux-sops secret git dev (seals the real credentials and lists the file in kustomization.yaml)',
    },
  ];

  it('wraps a long fix under its own column at the terminal width, and not at all without one', () => {
    const wrapped = formatTable(findings, 3, 100).split('\n');
    const indent = ' '.repeat(
      'SEVERITY'.length + 2 + 'placeholder'.length + 2 + 'secrets/dev/repo-auth.yaml'.length + 2,
    );
    assert.deepEqual(wrapped.slice(2, 5), [
      `${indent}fix: flux-sops secret git dev (seals the real`,
      `${indent}     credentials and lists the file in`,
      `${indent}     kustomization.yaml)`,
    ]);
    assert.ok(
      wrapped.every((line) => line.length <= 100),
      wrapped.join('\n'),
    );
    assert.equal(formatTable(findings, 3).split('\n')[2], `${indent}fix: ${findings[0]?.fix}`);
  });
});
