// `updatekeys` and `rotate` with real keys: the KMS-compatible endpoint on 127.0.0.1 of
// test/helpers (the AWS SDK pointed at it with AWS_ENDPOINT_URL_KMS) and real age identities. Fleets are written here: a
// `.sops.yaml` and files sealed through the SOPS module, as `flux-sops secret` seals them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { parse, stringify } from 'yaml';
import { runKeysCommand } from '../src/cli/keys.js';
import { processPorts } from '../src/ports.js';
import type { FluxSopsError } from '../src/errors.js';
import type { SopsError } from '../src/sops/errors.js';
import { decryptDocument, encryptDocument, masterKeysOfRule as keySetOfRule, usable } from '../src/sops/index.js';
import { filesContaining } from './fixtures/secret/fleet.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';
import { readTree } from './support.js';

const STAGING_KMS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_KMS = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const ENCRYPTED_REGEX = '^(data|stringData)$';

/** The endpoint's calls as `Encrypt <arn>` / `Decrypt <arn>`, in order. */
function callsOf(kms: LocalKms): string[] {
  return kms.calls.map((call) => `${call.operation} ${call.keyId}`);
}

// ---------------------------------------------------------------------------------------------
// Fleets

interface Rule {
  readonly environment: string;
  readonly kms?: string;
  readonly age?: readonly string[];
}

function sopsConfigText(rules: readonly Rule[]): string {
  return stringify({
    creation_rules: rules.map(({ environment, kms, age }) => ({
      path_regex: `^secrets/${environment}/.+\\.ya?ml$`,
      encrypted_regex: ENCRYPTED_REGEX,
      ...(kms ? { kms } : {}),
      ...(age && age.length > 0 ? { age: age.join(',') } : {}),
    })),
  });
}

function secretObject(name: string, values: Record<string, string>): object {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'flux-system' },
    type: 'Opaque',
    stringData: values,
  };
}

const VALUES: Record<string, Record<string, string>> = {
  'secrets/production/app.yaml': { username: 'deploy', password: 'production-password-never-printed' },
  'secrets/staging/app.yaml': { token: 'staging-token-never-printed' },
  'secrets/staging/db/database.yml': {
    url: 'postgres://db.staging.internal:5432/app',
    password: 'db-password-never-printed',
  },
};

const PLACEHOLDER = [
  '# Placeholder: replace it with flux-sops secret git staging',
  'apiVersion: v1',
  'kind: Secret',
  'metadata:',
  '  name: apps-auth',
  '  namespace: flux-system',
  '  annotations:',
  '    generator-flux-sops/placeholder: "true"',
  'stringData:',
  '  password: ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]',
  'sops:',
  '  kms:',
  `    - arn: ${STAGING_KMS}`,
  '  mac: ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]',
  '',
].join('\n');

/** A fleet whose files are sealed for the rules' master keys, as `flux-sops secret` seals them. */
async function writeFleet(rules: readonly Rule[]): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'flux-sops-keys-sops-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('.sops.yaml', sopsConfigText(rules));
  const config = parse(sopsConfigText(rules)) as { creation_rules: { path_regex: string }[] };
  for (const [path, values] of Object.entries(VALUES)) {
    const rule = config.creation_rules.find((each) => new RegExp(each.path_regex).test(path));
    if (rule === undefined) {
      continue; // an environment this fleet does not have
    }
    const name = path.replace(/^.*\/|\.ya?ml$/g, '');
    write(
      path,
      await encryptDocument(secretObject(name, values), {
        keys: usable(keySetOfRule(rule)),
        encryptedRegex: ENCRYPTED_REGEX,
      }),
    );
  }
  write('secrets/staging/apps-auth.yaml', PLACEHOLDER);
  write(
    'secrets/staging/kustomization.yaml',
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - app.yaml\n',
  );
  return root;
}

/** The fleet's files by path (test/support.ts reads them), as a map. */
const snapshot = (root: string): Map<string, string> => new Map(Object.entries(readTree(root)));

function sopsBlockOf(text: string): Record<string, unknown> {
  return (parse(text) as { sops: Record<string, unknown> }).sops;
}

/** Runs `flux-sops <command> …` in this process, with its stdout and stderr captured. */
async function runInProcess(
  command: 'updatekeys' | 'rotate',
  argv: readonly string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const output = { stdout: '', stderr: '' };
  const originals = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = ((chunk: string) => ((output.stdout += chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => ((output.stderr += chunk), true)) as typeof process.stderr.write;
  try {
    return { status: await runKeysCommand(command, argv, processPorts()), ...output };
  } finally {
    process.stdout.write = originals.stdout;
    process.stderr.write = originals.stderr;
  }
}

async function rejection(promise: Promise<unknown>): Promise<FluxSopsError> {
  try {
    await promise;
  } catch (error) {
    return error as FluxSopsError;
  }
  assert.fail('expected the command to fail');
}

// ---------------------------------------------------------------------------------------------

describe('updatekeys and rotate with AWS KMS (local endpoint) and age', function () {
  this.timeout(60_000);
  let kms: LocalKms;
  let scratch: string;
  let backupIdentity: string;
  let backupRecipient: string;
  let newIdentity: string;
  let newRecipient: string;
  let restoreEnvironment: () => void;
  const fleets: string[] = [];

  before(async () => {
    kms = await startLocalKms([STAGING_KMS, PRODUCTION_KMS]);
    scratch = mkdtempSync(join(tmpdir(), 'flux-sops-keys-home-'));
    backupIdentity = await generateIdentity();
    backupRecipient = await identityToRecipient(backupIdentity);
    newIdentity = await generateIdentity();
    newRecipient = await identityToRecipient(newIdentity);
  });

  beforeEach(() => {
    kms.calls.length = 0;
    kms.allow(STAGING_KMS);
    kms.allow(PRODUCTION_KMS);
    restoreEnvironment = setEnv({
      ...localAwsEnv(kms.url),
      SOPS_AGE_KEY: undefined,
      SOPS_AGE_KEY_FILE: undefined,
      SOPS_AGE_KEY_CMD: undefined,
      // No age keys file of this machine's user is found: only what a test gives.
      XDG_CONFIG_HOME: scratch,
      HOME: scratch,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: undefined,
    });
  });

  afterEach(() => restoreEnvironment());

  after(async () => {
    await kms.stop();
    for (const root of [...fleets, scratch]) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  async function fleet(rules: readonly Rule[]): Promise<string> {
    const root = await writeFleet(rules);
    fleets.push(root);
    kms.calls.length = 0;
    return root;
  }

  const initialRules = (): Rule[] => [
    { environment: 'staging', kms: STAGING_KMS },
    { environment: 'production', kms: PRODUCTION_KMS },
  ];

  it('opens a file sealed for KMS and a backup recipient with the age identity alone, KMS down', async () => {
    const root = await fleet([{ environment: 'production', kms: PRODUCTION_KMS, age: [backupRecipient] }]);
    const text = readFileSync(join(root, 'secrets/production/app.yaml'), 'utf8');
    const stopped = await startLocalKms();
    await stopped.stop();
    process.env.AWS_ENDPOINT_URL_KMS = stopped.url; // nothing listens there any more
    const keyFile = join(scratch, 'backup.agekey');
    writeFileSync(join(scratch, 'backup.agekey'), `# break-glass identity\n${backupIdentity}\n`);
    const opened = await decryptDocument(text, { env: { SOPS_AGE_KEY_FILE: keyFile } });
    assert.deepEqual(opened.openedWith, { type: 'age', id: backupRecipient });
    assert.deepEqual((opened.document as { stringData: unknown }).stringData, VALUES['secrets/production/app.yaml']);
    // Without the identity, the only other key is KMS, which cannot be reached.
    await assert.rejects(
      decryptDocument(text, { env: {} }),
      (error: SopsError) => error.code === 'could-not-retrieve-key' && error.message.includes(`kms ${PRODUCTION_KMS}`),
    );
  });

  it('updatekeys re-wraps for a recipient added to a rule, keeping values and MAC; --dry-run writes nothing', async () => {
    const root = await fleet(initialRules());
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfigText([
        { environment: 'staging', kms: STAGING_KMS, age: [newRecipient] },
        { environment: 'production', kms: PRODUCTION_KMS },
      ]),
    );
    const before = snapshot(root);

    const dryRun = await runInProcess('updatekeys', ['--dry-run', '--cwd', root]);
    assert.equal(dryRun.status, 0);
    assert.equal(
      dryRun.stdout,
      [
        'secrets/production/app.yaml: up to date',
        'secrets/staging/app.yaml: would be updated',
        `    + ${newRecipient}`,
        'secrets/staging/apps-auth.yaml: skipped: the generated placeholder, not a real ciphertext (seal it with flux-sops secret git staging --tenant apps)',
        'secrets/staging/db/database.yml: would be updated',
        `    + ${newRecipient}`,
        '2 files would be updated, 1 up to date, 1 placeholder skipped (dry run: nothing was written).',
        '',
      ].join('\n'),
    );
    assert.equal(dryRun.stderr, '');
    assert.deepEqual(callsOf(kms), [], 'a dry run calls no key');
    assert.deepEqual(snapshot(root), before);

    const run = await runInProcess('updatekeys', ['--cwd', root]);
    assert.equal(run.status, 0);
    assert.equal(
      run.stdout,
      dryRun.stdout.replace(/would be updated/g, 'updated').replace(' (dry run: nothing was written)', ''),
    );
    assert.deepEqual(
      callsOf(kms),
      [`Decrypt ${STAGING_KMS}`, `Decrypt ${STAGING_KMS}`],
      'the data key is unwrapped once per file, and kept entries are not re-wrapped',
    );

    const after = snapshot(root);
    for (const path of [
      '.sops.yaml',
      'secrets/production/app.yaml',
      'secrets/staging/apps-auth.yaml',
      'secrets/staging/kustomization.yaml',
    ]) {
      assert.equal(after.get(path), before.get(path), `${path} is unchanged`);
    }
    for (const path of ['secrets/staging/app.yaml', 'secrets/staging/db/database.yml']) {
      const [old, updated] = [before.get(path) ?? '', after.get(path) ?? ''];
      assert.notEqual(updated, old);
      const [oldSops, newSops] = [sopsBlockOf(old), sopsBlockOf(updated)];
      assert.equal(newSops.mac, oldSops.mac, `${path}: the MAC is kept`);
      assert.equal(newSops.lastmodified, oldSops.lastmodified);
      assert.deepEqual(newSops.kms, oldSops.kms, `${path}: the KMS entry is kept as it was`);
      assert.deepEqual(
        (newSops.age as { recipient: string }[]).map((entry) => entry.recipient),
        [newRecipient],
      );
      // Every value's ciphertext is byte-identical: only the sops block changed.
      const withoutSops = (text: string) => text.slice(0, text.indexOf('\nsops:'));
      assert.equal(withoutSops(updated), withoutSops(old));
      // The new recipient opens the file alone, with KMS refusing.
      kms.refuse(STAGING_KMS, 'Decrypt');
      const opened = await decryptDocument(updated, { ageIdentities: [newIdentity] });
      assert.deepEqual((opened.document as { stringData: unknown }).stringData, VALUES[path]);
      kms.allow(STAGING_KMS);
    }

    const again = await runInProcess('updatekeys', ['staging', '--cwd', root]);
    assert.match(again.stdout, /^secrets\/staging\/app.yaml: up to date\n/);
    assert.match(again.stdout, /0 files updated, 2 up to date, 1 placeholder skipped\.\n$/);
  });

  it('updatekeys removes a key the rule no longer names, opening the file with an age identity', async () => {
    const root = await fleet([
      { environment: 'staging', kms: STAGING_KMS, age: [backupRecipient] },
      { environment: 'production', kms: PRODUCTION_KMS },
    ]);
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfigText([
        { environment: 'staging', age: [backupRecipient, newRecipient] },
        { environment: 'production', kms: PRODUCTION_KMS },
      ]),
    );
    kms.refuse(STAGING_KMS, 'Decrypt'); // the old key is gone: only the backup identity opens the files
    process.env.SOPS_AGE_KEY = backupIdentity;
    const run = await runInProcess('updatekeys', ['staging', '--cwd', root]);
    assert.equal(
      run.stdout,
      [
        'secrets/staging/app.yaml: updated',
        `    + ${newRecipient}`,
        `    - ${STAGING_KMS}`,
        'secrets/staging/apps-auth.yaml: skipped: the generated placeholder, not a real ciphertext (seal it with flux-sops secret git staging --tenant apps)',
        'secrets/staging/db/database.yml: updated',
        `    + ${newRecipient}`,
        `    - ${STAGING_KMS}`,
        '2 files updated, 0 up to date, 1 placeholder skipped.',
        '',
      ].join('\n'),
    );
    const text = readFileSync(join(root, 'secrets/staging/app.yaml'), 'utf8');
    assert.equal(sopsBlockOf(text).kms, undefined);
    assert.deepEqual(
      (await decryptDocument(text, { ageIdentities: [newIdentity] })).document,
      secretObject('app', VALUES['secrets/staging/app.yaml'] ?? {}),
    );
  });

  it('rotate gives every file a new data key and keeps the values', async () => {
    const root = await fleet(initialRules());
    const before = snapshot(root);
    const oldKeys = new Map<string, Buffer>();
    for (const path of Object.keys(VALUES)) {
      oldKeys.set(path, (await decryptDocument(before.get(path) ?? '')).dataKey);
    }
    kms.calls.length = 0;
    const started = Date.now();
    const run = await runInProcess('rotate', ['--cwd', root]);
    assert.equal(run.status, 0);
    assert.equal(
      run.stdout,
      [
        'secrets/production/app.yaml: new data key, every value re-encrypted',
        'secrets/staging/app.yaml: new data key, every value re-encrypted',
        'secrets/staging/apps-auth.yaml: skipped: the generated placeholder, not a real ciphertext (seal it with flux-sops secret git staging --tenant apps)',
        'secrets/staging/db/database.yml: new data key, every value re-encrypted',
        '3 files got a new data key, 1 placeholder skipped.',
        '',
      ].join('\n'),
    );
    assert.match(run.stderr, /Git history keeps the old ciphertexts/);
    assert.match(
      run.stderr.replace(/\n/g, ' '),
      /revoke the credentials themselves and seal the new ones with flux-sops secret git\|generic <env> … --force/,
    );
    assert.deepEqual(
      callsOf(kms).sort(),
      [
        `Decrypt ${PRODUCTION_KMS}`,
        `Decrypt ${STAGING_KMS}`,
        `Decrypt ${STAGING_KMS}`,
        `Encrypt ${PRODUCTION_KMS}`,
        `Encrypt ${STAGING_KMS}`,
        `Encrypt ${STAGING_KMS}`,
      ].sort(),
    );
    const after = snapshot(root);
    for (const [path, values] of Object.entries(VALUES)) {
      const opened = await decryptDocument(after.get(path) ?? '');
      assert.notDeepEqual(opened.dataKey, oldKeys.get(path), `${path} has a new data key`);
      assert.deepEqual((opened.document as { stringData: unknown }).stringData, values, `${path} keeps its values`);
      assert.notEqual(sopsBlockOf(after.get(path) ?? '').mac, sopsBlockOf(before.get(path) ?? '').mac);
      for (const value of Object.values(values)) {
        assert.ok(!(after.get(path) ?? '').includes(value), `${path} holds no plaintext`);
      }
    }
    assert.equal(after.get('secrets/staging/apps-auth.yaml'), PLACEHOLDER);
    for (const output of [run.stdout, run.stderr]) {
      for (const value of Object.values(VALUES).flatMap((each) => Object.values(each))) {
        assert.ok(!output.includes(value), 'no value is printed');
      }
    }
    // Every value was decrypted in memory: none reached a file of the fleet or a temporary file.
    const plaintexts = Object.values(VALUES)
      .flatMap((each) => Object.values(each))
      .filter((value) => value.includes('never-printed'));
    assert.deepEqual([...filesContaining(root, plaintexts), ...filesContaining(tmpdir(), plaintexts, started)], []);
  });

  it('leaves every file as it was when the second file fails (rotate: KMS refuses to encrypt)', async () => {
    const root = await fleet(initialRules());
    const before = snapshot(root);
    kms.refuse(STAGING_KMS, 'Encrypt');
    const error = await rejection(runInProcess('rotate', ['--cwd', root]));
    assert.equal(error.code, 1);
    assert.match(
      error.message,
      new RegExp(
        `^secrets/staging/app\\.yaml: AWS KMS could not encrypt the data key with ${STAGING_KMS}: AccessDeniedException`,
      ),
    );
    assert.ok(callsOf(kms).includes(`Encrypt ${PRODUCTION_KMS}`), 'the first file was re-encrypted in memory');
    assert.deepEqual(snapshot(root), before);
  });

  it('leaves every file as it was when no available key opens one (exit 1, naming the file and the keys tried)', async () => {
    const root = await fleet(initialRules());
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfigText([
        { environment: 'staging', kms: STAGING_KMS, age: [newRecipient] },
        { environment: 'production', kms: PRODUCTION_KMS, age: [newRecipient] },
      ]),
    );
    const before = snapshot(root);
    kms.refuse(STAGING_KMS, 'Decrypt');
    const error = await rejection(runInProcess('updatekeys', ['--cwd', root]));
    assert.equal(error.code, 1);
    assert.equal(
      error.message,
      [
        'secrets/staging/app.yaml: No master key of the file could decrypt its data key:',
        `  - kms ${STAGING_KMS}: AccessDeniedException: User: arn:aws:iam::000000000000:user/test is not authorized to perform: kms:Decrypt on resource: ${kms.keyOf(STAGING_KMS)} because no identity-based policy allows the kms:Decrypt action. The AWS identity in use needs kms:Decrypt on this key (check the key policy and IAM policies, and AWS_PROFILE).`,
        'No file was written.',
      ].join('\n'),
    );
    assert.ok(callsOf(kms).includes(`Decrypt ${PRODUCTION_KMS}`), 'the production file was opened first');
    assert.deepEqual(snapshot(root), before);
  });

  it('refuses an unknown environment (exit 2) and a rule with no usable key (exit 2), calling no key', async () => {
    const root = await fleet(initialRules());
    const before = snapshot(root);
    const unknown = await rejection(runInProcess('updatekeys', ['qa', '--cwd', root]));
    assert.equal(unknown.code, 2);
    assert.equal(unknown.message, 'unknown environment "qa": this fleet has production, staging');
    writeFileSync(
      join(root, '.sops.yaml'),
      'creation_rules:\n  - path_regex: ^secrets/staging/.+\\.ya?ml$\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n  - path_regex: ^secrets/production/.+\\.ya?ml$\n    kms: ' +
        PRODUCTION_KMS +
        '\n',
    );
    const unusable = await rejection(runInProcess('updatekeys', ['--cwd', root]));
    assert.equal(unusable.code, 2);
    assert.match(
      unusable.message,
      /^secrets\/staging\/app\.yaml: The \.sops\.yaml creation rule \(path_regex .*\) names master keys this tool cannot use: pgp keys/,
    );
    assert.deepEqual(callsOf(kms), []);
    const expected = new Map(before).set('.sops.yaml', readFileSync(join(root, '.sops.yaml'), 'utf8'));
    assert.deepEqual(snapshot(root), expected, 'nothing but the edited .sops.yaml differs');
  });

  it('runs as the built command (AWS_ENDPOINT_URL_KMS, SOPS_AGE_KEY_FILE)', async function () {
    const cli = join(fileURLToPath(new URL('..', import.meta.url)), 'dist', 'src', 'cli', 'main.js');
    if (!existsSync(cli)) {
      this.skip(); // npm test builds first
    }
    const root = await fleet([{ environment: 'staging', kms: STAGING_KMS, age: [backupRecipient] }]);
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfigText([{ environment: 'staging', age: [backupRecipient, newRecipient] }]),
    );
    const keyFile = join(scratch, 'keys.txt');
    writeFileSync(keyFile, `${backupIdentity}\n`);
    kms.refuse(STAGING_KMS, 'Decrypt');
    const result = await new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
      const env = { ...process.env, SOPS_AGE_KEY_FILE: keyFile };
      execFile(
        process.execPath,
        [cli, 'updatekeys', 'staging'],
        { cwd: join(root, 'secrets'), env },
        (error, stdout, stderr) => resolve({ status: error ? Number(error.code) : 0, stdout, stderr }),
      );
    });
    assert.equal(result.stderr, '');
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^secrets\/staging\/app\.yaml: updated\n/);
    assert.match(result.stdout, /\n2 files updated, 0 up to date, 1 placeholder skipped\.\n$/);
    const text = readFileSync(join(root, 'secrets/staging/db/database.yml'), 'utf8');
    assert.deepEqual(
      (await decryptDocument(text, { ageIdentities: [newIdentity] })).document,
      secretObject('database', VALUES['secrets/staging/db/database.yml'] ?? {}),
    );
  });
});
