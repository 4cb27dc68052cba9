// `flux-sops secret list|show|set` on a real fleet: Secrets sealed through the command line
// against a KMS-compatible endpoint on 127.0.0.1 and a real age identity; what `set` writes is
// opened by a decoder this product does not contain (sops-decoder, which checks the MAC), and
// the fleet and the temporary folder are scanned for the plaintext values afterwards.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { decrypt as decodeIndependently } from 'sops-decoder';
import { parse } from 'yaml';
import helpers from 'yeoman-test';
import SecretGenerator from '../generators/secret/index.js';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import { applyStrictness } from '../src/check/findings.js';
import { decryptDocument } from '../src/sops/index.js';
import { type CliResult, runCliInProcess } from './cli-runner.js';
import { HTTPS_ANSWERS, filesContaining, makeFleet } from './fixtures/secret/fleet.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';
import { projectRoot } from './support.js';

const STAGING_ALIAS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_ALIAS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production';

/** sops-decoder reads only `…:key/…` ARNs (for the region); the local KMS finds its key in the blob itself. */
async function openIndependently(text: string): Promise<Record<string, unknown>> {
  const tree = parse(text) as { sops: { kms: { arn: string }[] } };
  for (const entry of tree.sops.kms) {
    entry.arn = entry.arn.replace(/:alias\/.*$/, ':key/11111111-2222-3333-4444-555555555555');
  }
  return (await decodeIndependently(tree as never)) as Record<string, unknown>;
}

describe('flux-sops secret list, show and set', function () {
  this.timeout(60_000);
  let kms: LocalKms;
  let restoreEnvironment: () => void;
  let identity: string;
  let recipient: string;
  let root: string;
  let inputs: string;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const newPassword = `new-${randomBytes(12).toString('hex')}`;
  const username = `user-${randomBytes(6).toString('hex')}`;
  let started = 0;

  const run = (args: string[]): Promise<CliResult> => runCliInProcess([...args, '--cwd', root]);
  const read = (path: string): string => readFileSync(join(root, path), 'utf8');

  before(async () => {
    started = Date.now() - 1000;
    kms = await startLocalKms([STAGING_ALIAS, PRODUCTION_ALIAS]);
    restoreEnvironment = setEnv({
      ...localAwsEnv(kms.url),
      CI: undefined,
      SOPS_AGE_KEY: undefined,
      SOPS_AGE_KEY_FILE: undefined,
      XDG_CONFIG_HOME: '/nonexistent',
    });
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    root = makeFleet({ ...HTTPS_ANSWERS, backupAgeRecipients: [recipient] }, 'day-to-day-');
    inputs = mkdtempSync(join(tmpdir(), 'day-to-day-inputs-'));
    writeFileSync(join(inputs, 'password'), password);
    writeFileSync(join(inputs, 'new-password'), newPassword);
    for (const args of [
      [
        'secret',
        'generic',
        'staging',
        'db',
        '--from-literal',
        `username=${username}`,
        '--from-file',
        `password=${join(inputs, 'password')}`,
      ],
      ['secret', 'generic', 'staging', 'cache', '--from-literal', 'token=cache-token'],
      ['secret', 'generic', 'production', 'api', '--namespace', 'flux-system', '--from-literal', 'key=api-key'],
    ]) {
      const result = await run(args);
      assert.equal(result.status, 0, result.stderr);
    }
    // Unlisted: the line of cache.yaml taken out of the kustomization by hand.
    writeFileSync(
      join(root, 'secrets/staging/kustomization.yaml'),
      read('secrets/staging/kustomization.yaml').replace(/^ {2}- cache\.yaml\n/m, ''),
    );
    // Stale: production's rule gains a recipient after api was sealed.
    const other = await identityToRecipient(await generateIdentity());
    const sopsConfig = read('.sops.yaml');
    const production = sopsConfig.indexOf('alias/flux-sops-production');
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfig.slice(0, production) +
        sopsConfig.slice(production).replace(`age: ${recipient}`, `age: ${recipient},${other}`),
    );
  });

  after(async () => {
    restoreEnvironment();
    await kms.stop();
    rmSync(root, { recursive: true, force: true });
    rmSync(inputs, { recursive: true, force: true });
  });

  it('list: sealed, placeholder, stale and unlisted Secrets, as a table and as JSON, without a key call', async () => {
    const calls = kms.calls.length;
    const json = await run(['secret', 'list', '--json']);
    assert.equal(json.status, 0, json.stderr);
    const { secrets } = JSON.parse(json.stdout) as { secrets: Record<string, unknown>[] };
    assert.deepEqual(
      secrets.map(({ environment, file, namespace, name, keys, placeholder, listed, status }) => ({
        environment,
        file,
        namespace,
        name,
        keys,
        placeholder,
        listed,
        status,
      })),
      [
        {
          environment: 'production',
          file: 'secrets/production/api.yaml',
          namespace: 'flux-system',
          name: 'api',
          keys: ['key'],
          placeholder: false,
          listed: true,
          status: 'sealed, stale keys',
        },
        {
          environment: 'production',
          file: 'secrets/production/apps-auth.yaml',
          namespace: 'apps',
          name: 'apps-auth',
          keys: ['username', 'password'],
          placeholder: true,
          listed: false,
          status: 'placeholder',
        },
        {
          environment: 'staging',
          file: 'secrets/staging/apps-auth.yaml',
          namespace: 'apps',
          name: 'apps-auth',
          keys: ['username', 'password'],
          placeholder: true,
          listed: false,
          status: 'placeholder',
        },
        {
          environment: 'staging',
          file: 'secrets/staging/cache.yaml',
          namespace: 'flux-system',
          name: 'cache',
          keys: ['token'],
          placeholder: false,
          listed: false,
          status: 'sealed, unlisted',
        },
        {
          environment: 'staging',
          file: 'secrets/staging/db.yaml',
          namespace: 'flux-system',
          name: 'db',
          keys: ['username', 'password'],
          placeholder: false,
          listed: true,
          status: 'sealed',
        },
      ],
    );
    const db = secrets[4] as { masterKeys: unknown; lastModified: string; stale: unknown };
    assert.deepEqual(db.masterKeys, { kms: [STAGING_ALIAS], age: [recipient] });
    assert.match(db.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(db.stale, null);
    assert.match(String(secrets[0]?.stale), /^missing: age1[0-9a-z]+$/);

    const table = await run(['secret', 'list', 'staging']);
    assert.equal(table.status, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0] ?? '', /^ENVIRONMENT {2}FILE +SECRET +KEYS +LAST MODIFIED +STATUS$/);
    assert.match(
      table.stdout,
      /^staging +secrets\/staging\/cache\.yaml +flux-system\/cache +token +\S+Z +sealed, unlisted$/m,
    );
    assert.match(table.stdout, /^ +unlisted: add "- cache\.yaml" to secrets\/staging\/kustomization\.yaml$/m);
    assert.match(
      table.stdout,
      /^staging +secrets\/staging\/db\.yaml +flux-system\/db +username,password +\S+Z +sealed$/m,
    );
    assert.match(table.stdout, new RegExp(`^ +master keys: ${STAGING_ALIAS}, ${recipient}$`, 'm'));
    assert.match(
      table.stdout,
      /^staging +secrets\/staging\/apps-auth\.yaml +apps\/apps-auth +username,password +- +placeholder$/m,
    );
    assert.doesNotMatch(table.stdout, /production/);
    assert.ok(!table.stdout.includes(password) && !json.stdout.includes(password));
    const stale = await run(['secret', 'list', 'production']);
    assert.match(stale.stdout, /^ +stale: missing: age1[0-9a-z]+ \(fix: flux-sops updatekeys production\)$/m);
    assert.equal(kms.calls.length, calls, 'list calls no key');

    const unknown = await run(['secret', 'list', 'qa']);
    assert.equal(unknown.status, 2);
    assert.equal(unknown.stderr, 'flux-sops: unknown environment "qa": this fleet has production, staging\n');
  });

  it('show: decrypts through KMS alone, prints the Secret or one value on stdout only', async () => {
    const decrypts = kms.count('Decrypt');
    const shown = await run(['secret', 'show', 'staging', 'db']);
    assert.equal(shown.status, 0, shown.stderr);
    assert.equal(shown.stderr, '');
    assert.deepEqual(parse(shown.stdout), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'flux-system' },
      type: 'Opaque',
      stringData: { username, password },
    });
    const one = await run(['secret', 'show', 'staging', 'db', '--key', 'password']);
    assert.equal(one.status, 0, one.stderr);
    assert.equal(one.stdout, password);
    assert.equal(kms.count('Decrypt') - decrypts, 2, 'one KMS Decrypt per show (no age identity is available)');

    const missingKey = await run(['secret', 'show', 'staging', 'db', '--key', 'pass']);
    assert.equal(missingKey.status, 2);
    assert.equal(
      missingKey.stderr,
      'flux-sops: --key "pass": secrets/staging/db.yaml has no such key (it has username, password)\n',
    );
    const unknown = await run(['secret', 'show', 'staging', 'nope']);
    assert.equal(unknown.status, 2);
    assert.equal(
      unknown.stderr,
      'flux-sops: No sealed Secret "nope" in staging: it has apps-auth, cache, db (flux-sops secret list staging)\n',
    );
    const placeholder = await run(['secret', 'show', 'staging', 'apps-auth']);
    assert.equal(placeholder.status, 2);
    assert.equal(
      placeholder.stderr,
      'flux-sops: secrets/staging/apps-auth.yaml is the generated placeholder, not a sealed Secret: seal it first with flux-sops secret git staging --tenant apps\n',
    );
  });

  it('show: an age identity alone opens it while KMS refuses, and a tampered file is refused before anything is printed', async () => {
    kms.refuse(STAGING_ALIAS, 'Decrypt');
    const restore = setEnv({ SOPS_AGE_KEY: identity });
    try {
      const decrypts = kms.count('Decrypt');
      const shown = await run(['secret', 'show', 'staging', 'db', '--key', 'username']);
      assert.equal(shown.status, 0, shown.stderr);
      assert.equal(shown.stdout, username);
      assert.equal(kms.count('Decrypt'), decrypts, 'the age identity is tried first: KMS is not called');

      const original = read('secrets/staging/db.yaml');
      // Both values still decrypt (each under its own path), but the MAC covers username too.
      const tampered = original.replace(/^ {4}username: ENC\[[^\]]+\]\n/m, '');
      assert.notEqual(tampered, original);
      writeFileSync(join(root, 'secrets/staging/db.yaml'), tampered);
      const refused = await run(['secret', 'show', 'staging', 'db']);
      writeFileSync(join(root, 'secrets/staging/db.yaml'), original);
      assert.equal(refused.status, 2);
      assert.equal(refused.stdout, '');
      assert.equal(
        refused.stderr,
        'flux-sops: secrets/staging/db.yaml: MAC mismatch: the values of the file do not match its MAC (it was changed without sops, or is corrupt).\n',
      );
    } finally {
      restore();
      kms.allow(STAGING_ALIAS);
    }
  });

  it('set: changes one value, keeps the others, new IVs and MAC, same master keys, no Encrypt call, nothing in plaintext on disk', async () => {
    const before = read('secrets/staging/db.yaml');
    const encrypts = kms.count('Encrypt');
    const changed = await run([
      'secret',
      'set',
      'staging',
      'db',
      '--from-file',
      `password=${join(inputs, 'new-password')}`,
    ]);
    assert.equal(changed.status, 0, changed.stderr);
    assert.equal(changed.stdout, '');
    assert.match(
      changed.stderr,
      /^Changed secrets\/staging\/db\.yaml \(Secret flux-system\/db\): changed password; kept username\.$/m,
    );
    assert.equal(kms.count('Encrypt'), encrypts, 'the data key stays: no key is called to wrap');
    const after = read('secrets/staging/db.yaml');
    const metadata = (text: string) => (parse(text) as { sops: { kms: unknown; age: unknown; mac: string } }).sops;
    assert.deepEqual(metadata(after).kms, metadata(before).kms, 'the KMS entry is kept byte for byte');
    assert.deepEqual(metadata(after).age, metadata(before).age);
    assert.notEqual(metadata(after).mac, metadata(before).mac);
    const value = (text: string) => (parse(text) as { stringData: { username: string } }).stringData.username;
    assert.notEqual(value(after), value(before), 'username encrypted again with a fresh IV');

    assert.deepEqual(
      (await openIndependently(after)).stringData,
      { username, password: newPassword },
      'sops-decoder (MAC checked) opens it through KMS',
    );
    assert.deepEqual(
      ((await decryptDocument(after, { ageIdentities: [identity] })).document as { stringData: unknown }).stringData,
      { username, password: newPassword },
    );

    const strict = applyStrictness(checkFleet(readFleetFiles(root)), true).filter(
      (finding) => finding.file === 'secrets/staging/db.yaml',
    );
    assert.deepEqual(strict, []);
    const leaks = [
      ...filesContaining(root, [password, newPassword, username]),
      ...filesContaining(tmpdir(), [password, newPassword], started),
    ].filter((path) => !path.startsWith(inputs));
    assert.deepEqual(leaks, [], 'no plaintext in the fleet or the temporary folder');
  });

  it('set: adds and removes keys; an unknown key, the last key and a key both set and unset are refused, nothing written', async () => {
    const added = await run([
      'secret',
      'set',
      'staging',
      'cache',
      '--from-literal',
      'url=redis://cache:6379',
      '--unset',
      'token',
    ]);
    assert.equal(added.status, 0, added.stderr);
    assert.match(added.stderr, /: added url; removed token\.$/m);
    const opened = await decryptDocument(read('secrets/staging/cache.yaml'), { ageIdentities: [identity] });
    assert.deepEqual((opened.document as { stringData: unknown }).stringData, { url: 'redis://cache:6379' });

    const before = read('secrets/staging/cache.yaml');
    const last = await run(['secret', 'set', 'staging', 'cache', '--unset', 'url']);
    assert.equal(last.status, 2);
    assert.equal(
      last.stderr,
      'flux-sops: secrets/staging/cache.yaml: That would remove the last key of the Secret: a Secret keeps at least one (delete its file and its line in kustomization.yaml to remove it)\n',
    );
    const unknown = await run(['secret', 'set', 'staging', 'cache', '--unset', 'nope']);
    assert.equal(unknown.status, 2);
    assert.equal(
      unknown.stderr,
      'flux-sops: secrets/staging/cache.yaml: --unset nope: the Secret has no such key (it has url)\n',
    );
    const both = await run(['secret', 'set', 'staging', 'cache', '--unset', 'url', '--from-literal', 'url=x']);
    assert.equal(both.status, 2);
    assert.equal(both.stderr, 'flux-sops: Key both set and unset: url\n');
    const nothing = await run(['secret', 'set', 'staging', 'cache']);
    assert.equal(nothing.status, 2);
    assert.equal(
      nothing.stderr,
      'flux-sops: Nothing to change: give --from-literal <key>=<value>, --from-file <key>=<path> or --unset <key>, each repeatable\n',
    );
    assert.equal(read('secrets/staging/cache.yaml'), before);
  });

  it('set: a file whose keys lag behind its rule keeps them, with a warning naming updatekeys', async () => {
    const changed = await run(['secret', 'set', 'production', 'api', '--from-literal', 'key=rotated-key']);
    assert.equal(changed.status, 0, changed.stderr);
    assert.match(
      changed.stderr,
      /^Warning: secrets\/production\/api\.yaml has master keys that differ from its \.sops\.yaml rule \(missing: age1[0-9a-z]+\); they are kept: run flux-sops updatekeys production to follow the rule\.$/m,
    );
    const sops = (parse(read('secrets/production/api.yaml')) as { sops: { age: { recipient: string }[] } }).sops;
    assert.deepEqual(
      sops.age.map((entry) => entry.recipient),
      [recipient],
    );
  });

  it('yo flux-sops:secret "change": picks a sealed Secret, asks the new values masked, keeps the others', async () => {
    const value = `yo-${randomBytes(12).toString('hex')}`;
    await helpers
      .run(
        SecretGenerator,
        { namespace: 'flux-sops:secret', resolved: join(projectRoot, 'generators/secret/index.ts') },
        { force: false },
      )
      .cd(root)
      .withOptions({ interactive: true, force: false } as Record<string, unknown>)
      .withAnswers({ environment: 'staging', kind: 'change', name: 'db', set: 'password', value_0: value, unset: '' });
    process.chdir(projectRoot); // yeoman-test left the process in the fleet, which after() deletes
    const opened = await decryptDocument(read('secrets/staging/db.yaml'), { ageIdentities: [identity] });
    assert.deepEqual((opened.document as { stringData: unknown }).stringData, { username, password: value });
    assert.deepEqual(filesContaining(root, [value, username]), []);
  });
});
