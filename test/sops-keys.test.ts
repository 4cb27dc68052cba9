// Master keys for real: AWS KMS through the SDK against a local KMS endpoint, age through age-encryption (and the age CLI when installed), updateKeys, rotateDataKey, and the errors a user sees.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { parse as parseYamlText } from 'yaml';
import { FluxSopsError, fromSopsError } from '../src/errors.js';
import { SopsError } from '../src/sops/errors.js';
import { defaultAgeKeyFile, loadAgeIdentities } from '../src/sops/age.js';
import { decryptDocument, decryptTree, encryptDocument, rotateDataKey, updateKeys } from '../src/sops/index.js';
import { kmsRegionOf } from '../src/sops/key-ids.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';

const FLEET_REGEX = '^(data|stringData)$';
const STAGING = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const PRODUCTION = 'arn:aws:kms:us-east-2:123456789012:key/66666666-7777-8888-9999-000000000000';
const VALUES = { username: 'deploy-bot', password: 'pa55: w0rd #secret' };

function secret(values: Record<string, string> = VALUES) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'apps-auth', namespace: 'flux-system' },
    type: 'Opaque',
    stringData: values,
  };
}

/** Neither a plaintext value nor a 32-byte key in hex or base64 appears in the message. */
function assertNothingSecret(message: string, dataKey?: Buffer): void {
  for (const v of Object.values(VALUES)) assert.ok(!message.includes(v), `the message holds a value: ${message}`);
  if (dataKey) {
    assert.ok(
      !message.includes(dataKey.toString('hex')) && !message.includes(dataKey.toString('base64')),
      'the message holds the data key',
    );
  }
}

const sopsBlock = (text: string) =>
  parseYamlText(text).sops as Record<string, unknown> & {
    kms?: { arn: string; enc: string; created_at: string }[];
    age?: { recipient: string; enc: string }[];
  };
const dataPart = (text: string) => text.slice(0, text.indexOf('\nsops:'));

describe('sops master keys: AWS KMS (local endpoint) and age', () => {
  let kms: LocalKms;
  let restore: () => void;
  let identity: string;
  let recipient: string;
  let otherIdentity: string;
  let otherRecipient: string;

  before(async () => {
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    otherIdentity = await generateIdentity();
    otherRecipient = await identityToRecipient(otherIdentity);
  });

  beforeEach(async () => {
    kms = await startLocalKms([STAGING, PRODUCTION]);
    restore = setEnv(localAwsEnv(kms.url));
  });

  afterEach(async () => {
    restore();
    await kms.stop();
  });

  it('wraps through the SDK with the ARN as KeyId, in the region of each ARN', async () => {
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING, PRODUCTION], age: [] },
      encryptedRegex: FLEET_REGEX,
    });
    assert.deepEqual(kms.calls.map((c) => [c.operation, c.keyId, c.region]).sort(), [
      ['Encrypt', STAGING, 'eu-west-1'],
      ['Encrypt', PRODUCTION, 'us-east-2'],
    ]);
    assert.deepEqual(
      sopsBlock(text).kms!.map((e) => e.arn),
      [STAGING, PRODUCTION],
    );
    const opened = await decryptDocument(text, { ageIdentities: [] });
    assert.deepEqual(opened.document, secret());
    assert.deepEqual(opened.openedWith, { type: 'kms', id: STAGING });
    assert.equal(kms.calls.at(-1)!.keyId, STAGING, 'Decrypt names the KeyId');
    assert.equal(kmsRegionOf('arn:aws-us-gov:kms:us-gov-west-1:123456789012:alias/x'), 'us-gov-west-1');
  });

  it('a file sealed for KMS and age opens with the age identity alone, KMS refusing or stopped', async () => {
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING], age: [recipient] },
      encryptedRegex: FLEET_REGEX,
    });
    const block = sopsBlock(text);
    assert.equal(block.age![0]!.recipient, recipient);
    assert.match(
      block.age![0]!.enc,
      /^-----BEGIN AGE ENCRYPTED FILE-----\n[\s\S]+\n-----END AGE ENCRYPTED FILE-----\n$/,
    );
    kms.refuse(STAGING);
    const before = kms.count('Decrypt');
    const opened = await decryptDocument(text, { ageIdentities: [identity] });
    assert.deepEqual(opened.document, secret());
    assert.deepEqual(opened.openedWith, { type: 'age', id: recipient });
    assert.equal(kms.count('Decrypt'), before, 'KMS was not asked');
    await kms.stop();
    const again = await decryptDocument(text, { env: { SOPS_AGE_KEY: identity } });
    assert.deepEqual(again.document, secret());
    kms = await startLocalKms();
  });

  it('an age identity with a wrong checksum is named by its place, never quoted (nor its stack under --debug)', async () => {
    const text = await encryptDocument(secret(), { keys: { kms: [], age: [recipient] }, encryptedRegex: FLEET_REGEX });
    const last = identity.slice(-1);
    const flipped = `${identity.slice(0, -1)}${last === 'Q' ? 'P' : 'Q'}`;
    const error: Error = await decryptDocument(text, { ageIdentities: [identity, flipped] }).then(
      (): never => assert.fail('a wrong identity must not be accepted'),
      (raised: unknown) => raised as Error,
    );
    assert.match(error.message, /: age identity 2 of 2 is not valid \(wrong checksum or encoding\)$/);
    for (const shown of [error.message, error.stack ?? '', (fromSopsError(error) as Error).message]) {
      assert.ok(!shown.includes(flipped.slice(16)) && !shown.includes(identity.slice(16)), shown);
    }
  });

  it('the age entry opens with the age command too (required in CI, skipped elsewhere without it)', async function () {
    if (spawnSync('age', ['--version']).error) {
      if (process.env.CI) {
        assert.fail('the age command is required in CI to cross-check age entries (.ci/run installs it)');
      }
      this.skip();
    }
    const text = await encryptDocument(secret(), { keys: { kms: [], age: [recipient] }, encryptedRegex: FLEET_REGEX });
    const { dataKey } = await decryptDocument(text, { ageIdentities: [identity] });
    const dir = mkdtempSync(join(tmpdir(), 'sops-age-'));
    try {
      const keyFile = join(dir, 'keys.txt');
      writeFileSync(keyFile, `# test identity\n${identity}\n`, { mode: 0o600 });
      const out = execFileSync('age', ['-d', '-i', keyFile], { input: sopsBlock(text).age![0]!.enc });
      assert.equal(Buffer.from(out).toString('hex'), dataKey.toString('hex'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a KMS refusal is SopsError could-not-wrap-key (for the product: kind key, exit 1) naming the ARN, the AWS error and what permission is missing', async () => {
    kms.refuse(PRODUCTION, 'Encrypt');
    await assert.rejects(
      encryptDocument(secret(), { keys: { kms: [PRODUCTION], age: [] }, encryptedRegex: FLEET_REGEX }),
      (e: unknown) => {
        assert.ok(e instanceof SopsError);
        assert.equal(e.code, 'could-not-wrap-key');
        const product = fromSopsError(e);
        assert.ok(product instanceof FluxSopsError);
        assert.equal(product.kind, 'key');
        assert.equal(product.code, 1);
        assert.equal(product.message, e.message);
        assert.match(
          e.message,
          new RegExp(
            `^AWS KMS could not encrypt the data key with ${PRODUCTION.replace(/[/.]/g, '\\$&')}: AccessDeniedException: `,
          ),
        );
        assert.match(e.message, /needs kms:Encrypt on this key/);
        assertNothingSecret(e.message);
        return true;
      },
    );
    // Opening: every key tried is named with why it failed.
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING], age: [recipient] },
      encryptedRegex: FLEET_REGEX,
    });
    kms.refuse(STAGING, 'Decrypt');
    const { dataKey } = await decryptDocument(text, { ageIdentities: [identity] });
    await assert.rejects(decryptDocument(text, { ageIdentities: [otherIdentity] }), (e: unknown) => {
      assert.ok(e instanceof SopsError && e.code === 'could-not-retrieve-key');
      assert.equal((fromSopsError(e) as FluxSopsError).kind, 'key');
      assert.match(e.message, /^No master key of the file could decrypt its data key:\n/);
      assert.match(e.message, new RegExp(`- age ${recipient}: none of the 1 age identities available matches it`));
      assert.match(
        e.message,
        new RegExp(`- kms ${STAGING.replace(/[/.]/g, '\\$&')}: AccessDeniedException: .*kms:Decrypt`),
      );
      assertNothingSecret(e.message, dataKey);
      assert.ok(!e.message.includes(otherIdentity) && !e.message.includes(identity), 'no identity in the message');
      return true;
    });
  });

  it('missing AWS credentials say to set AWS_PROFILE or run aws sso login', async () => {
    const restoreCreds = setEnv({
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    });
    try {
      await assert.rejects(
        encryptDocument(secret(), { keys: { kms: [STAGING], age: [] }, encryptedRegex: FLEET_REGEX }),
        (e: unknown) => {
          assert.ok(e instanceof SopsError && e.code === 'could-not-wrap-key');
          assert.match(e.message, /CredentialsProviderError: .*set AWS_PROFILE .* or run `aws sso login`/);
          return true;
        },
      );
      assert.equal(kms.count(), 0);
    } finally {
      restoreCreds();
    }
  });

  it('no usable master key at all: each one is listed (age without identity, KMS unreachable, pgp unsupported)', async () => {
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING], age: [recipient] },
      encryptedRegex: FLEET_REGEX,
    });
    await kms.stop();
    const withPgp = text.replace(
      /\n {4}lastmodified:/,
      '\n    pgp:\n        - created_at: "2020-01-01T00:00:00Z"\n          enc: x\n          fp: ABCDEF0123456789\n    lastmodified:',
    );
    const dir = mkdtempSync(join(tmpdir(), 'sops-none-'));
    try {
      await assert.rejects(decryptDocument(withPgp, { env: { XDG_CONFIG_HOME: dir } }), (e: unknown) => {
        assert.ok(e instanceof SopsError && e.code === 'could-not-retrieve-key');
        const lines = e.message.split('\n').slice(1);
        assert.equal(lines.length, 3, e.message);
        assert.match(lines[0]!, /^ {2}- age age1\S+: no age identity available \(SOPS_AGE_KEY_FILE, SOPS_AGE_KEY\)$/);
        assert.match(lines[1]!, /^ {2}- kms arn:aws:kms:eu-west-1:\S+: \w+/);
        assert.equal(lines[2], '  - pgp ABCDEF0123456789: not tried, this tool does not support pgp keys');
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
      kms = await startLocalKms();
    }
  });

  it('updateKeys: exactly the asked keys, kept entries untouched, values and MAC unchanged', async () => {
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING, PRODUCTION], age: [recipient] },
      encryptedRegex: FLEET_REGEX,
      now: new Date('2024-01-01T00:00:00Z'),
    });
    const before = sopsBlock(text);
    const encrypts = kms.count('Encrypt');
    const result = await updateKeys(
      text,
      { kms: [STAGING], age: [recipient, otherRecipient] },
      { ageIdentities: [identity], now: new Date('2025-01-01T00:00:00Z') },
    );
    assert.equal(result.changed, true);
    assert.deepEqual(result.added, [{ type: 'age', id: otherRecipient }]);
    assert.deepEqual(result.removed, [{ type: 'kms', id: PRODUCTION }]);
    assert.deepEqual(result.kept, [
      { type: 'kms', id: STAGING },
      { type: 'age', id: recipient },
    ]);
    assert.equal(kms.count('Encrypt'), encrypts, 'no KMS call for kept keys');
    assert.equal(kms.count('Decrypt'), 0, 'opened with the age identity');
    const after = sopsBlock(result.text);
    assert.deepEqual(after.kms, [before.kms![0]], 'the kept KMS entry is as it was (enc, created_at)');
    assert.deepEqual(
      after.age!.map((e) => e.recipient),
      [recipient, otherRecipient],
    );
    assert.equal(after.age![0]!.enc, before.age![0]!.enc);
    assert.equal(after.mac, before.mac);
    assert.equal(after.lastmodified, before.lastmodified);
    assert.equal(dataPart(result.text), dataPart(text));
    // The new recipient opens it, and it is the same data key.
    const a = await decryptDocument(text, { ageIdentities: [identity] });
    const b = await decryptDocument(result.text, { ageIdentities: [otherIdentity] });
    assert.deepEqual(b.document, secret());
    assert.equal(b.dataKey.toString('hex'), a.dataKey.toString('hex'));
    // Nothing to change: the text comes back as it was, without asking any key.
    const calls = kms.calls.length;
    const same = await updateKeys(
      result.text,
      { kms: [STAGING], age: [recipient, otherRecipient] },
      { ageIdentities: [] },
    );
    assert.equal(same.changed, false);
    assert.equal(same.text, result.text);
    assert.equal(kms.calls.length, calls);
    // Adding a KMS key unwraps with KMS when no age identity is given, and wraps once.
    const more = await updateKeys(
      result.text,
      { kms: [STAGING, PRODUCTION], age: [recipient, otherRecipient] },
      { ageIdentities: [] },
    );
    assert.deepEqual(more.added, [{ type: 'kms', id: PRODUCTION }]);
    assert.equal(kms.count('Decrypt', STAGING), 1);
    assert.equal(kms.count('Encrypt', PRODUCTION), 2);
    assert.deepEqual((await decryptDocument(more.text, { ageIdentities: [] })).document, secret());
  });

  it('rotateDataKey: a new data key, the same values, a new MAC and lastmodified', async () => {
    const text = await encryptDocument(secret(), {
      keys: { kms: [STAGING], age: [recipient] },
      encryptedRegex: FLEET_REGEX,
      now: new Date('2024-01-01T00:00:00Z'),
    });
    const old = await decryptDocument(text, { ageIdentities: [identity] });
    const result = await rotateDataKey(
      text,
      { kms: [STAGING, PRODUCTION], age: [recipient] },
      { ageIdentities: [identity], now: new Date('2025-02-02T02:02:02Z') },
    );
    assert.deepEqual(result.added, [{ type: 'kms', id: PRODUCTION }]);
    const rotated = await decryptDocument(result.text, { ageIdentities: [identity] });
    assert.notEqual(rotated.dataKey.toString('hex'), old.dataKey.toString('hex'));
    assert.deepEqual(rotated.document, secret());
    const block = sopsBlock(result.text);
    assert.equal(block.lastmodified, '2025-02-02T02:02:02Z');
    assert.notEqual(block.mac, sopsBlock(text).mac);
    assert.equal(block.kms![0]!.created_at, '2024-01-01T00:00:00Z', 'a kept KMS key keeps its created_at');
    assert.equal(block.kms![1]!.created_at, '2025-02-02T02:02:02Z');
    assert.notEqual(block.kms![0]!.enc, sopsBlock(text).kms![0]!.enc);
    assert.throws(
      () => decryptTree(result.text, old.dataKey),
      (e: SopsError) => e.code === 'error-decrypting-tree',
    );
    assert.deepEqual(decryptTree(result.text, rotated.dataKey).document, secret());
    // Every value is encrypted again.
    for (const k of Object.keys(VALUES)) {
      const line = (t: string) => t.match(new RegExp(`^ {4}${k}: (.*)$`, 'm'))![1];
      assert.notEqual(line(result.text), line(text));
    }
  });
});

describe('sops: age identities as sops finds them', () => {
  let dir: string;
  let ids: string[];
  before(async () => {
    ids = [await generateIdentity(), await generateIdentity(), await generateIdentity()];
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sops-ids-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads SOPS_AGE_KEY (several a line), SOPS_AGE_KEY_FILE (# comments, blank lines) and the default file', async () => {
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# created: 2024-01-01\n# public key: age1…\n${ids[1]}\n\n`);
    mkdirSync(join(dir, 'xdg', 'sops', 'age'), { recursive: true });
    writeFileSync(join(dir, 'xdg', 'sops', 'age', 'keys.txt'), `${ids[2]}\r\n`);
    const found = await loadAgeIdentities(
      { SOPS_AGE_KEY: `# comment\n${ids[0]} ${ids[1]}\n`, SOPS_AGE_KEY_FILE: file, XDG_CONFIG_HOME: join(dir, 'xdg') },
      'linux',
    );
    assert.deepEqual(found.identities, [ids[0], ids[1], ids[2]]);
    assert.deepEqual(found.sources, [
      'SOPS_AGE_KEY',
      `SOPS_AGE_KEY_FILE (${file})`,
      join(dir, 'xdg', 'sops', 'age', 'keys.txt'),
    ]);
    assert.deepEqual(found.problems, []);
  });

  it('names what it cannot use without printing it', async () => {
    const file = join(dir, 'bad.txt');
    writeFileSync(file, `${ids[0]}\nnot-a-key-but-maybe-a-secret\nAGE-PLUGIN-YUBIKEY-1QQQ\n`);
    const found = await loadAgeIdentities({ SOPS_AGE_KEY_FILE: file, SOPS_AGE_KEY_CMD: 'cat x', HOME: dir }, 'linux');
    assert.deepEqual(found.identities, [ids[0]]);
    assert.equal(found.problems.length, 3);
    assert.ok(found.problems.every((p) => !p.includes('not-a-key-but-maybe-a-secret')));
    assert.match(found.problems[0]!, /line 2 is not an age identity/);
    assert.match(found.problems[1]!, /plugin identities are not supported/);
    assert.match(found.problems[2]!, /SOPS_AGE_KEY_CMD is set, but this tool does not run it/);
    const missing = await loadAgeIdentities({ SOPS_AGE_KEY_FILE: join(dir, 'nope.txt'), HOME: dir }, 'linux');
    assert.match(missing.problems[0]!, /cannot be read: ENOENT/);
  });

  it("finds sops' default key file per platform", () => {
    assert.equal(defaultAgeKeyFile({ HOME: '/home/u' }, 'linux'), '/home/u/.config/sops/age/keys.txt');
    assert.equal(defaultAgeKeyFile({ HOME: '/home/u', XDG_CONFIG_HOME: '/x' }, 'linux'), '/x/sops/age/keys.txt');
    assert.equal(
      defaultAgeKeyFile({ HOME: '/Users/u' }, 'darwin'),
      '/Users/u/Library/Application Support/sops/age/keys.txt',
    );
    assert.equal(defaultAgeKeyFile({ HOME: '/Users/u', XDG_CONFIG_HOME: '/x' }, 'darwin'), '/x/sops/age/keys.txt');
    assert.equal(defaultAgeKeyFile({}, 'linux'), undefined);
  });

  it('decryptDocument loads them from the env it is given', async () => {
    const recipient = await identityToRecipient(ids[1]!);
    const memory = {
      kms: () => assert.fail('no KMS'),
      age: (r: string, identities: readonly string[]) => {
        assert.deepEqual(identities, [ids[1]]);
        return { type: 'age' as const, id: r, wrap: async () => '', unwrap: async () => new Uint8Array(32) };
      },
    };
    const text = await encryptDocument(secret(), { keys: { kms: [], age: [recipient] }, encryptedRegex: FLEET_REGEX });
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `${ids[1]}\n`);
    // The fake unwraps a wrong key: what matters is that it was handed the identity of the file.
    await assert.rejects(
      decryptDocument(text, { env: { SOPS_AGE_KEY_FILE: file }, keySources: memory as never }),
      (e: SopsError) => e.code === 'error-decrypting-tree',
    );
    const real = await decryptDocument(text, { env: { SOPS_AGE_KEY_FILE: file } });
    assert.deepEqual(real.document, secret());
  });
});
