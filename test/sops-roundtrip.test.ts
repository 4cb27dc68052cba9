// Sealing and opening: encrypt → decrypt for every kind of value, the exact text sops writes, and an independent decoder (sops-decoder) reading what this implementation writes.

import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { decrypt as sopsDecoderDecrypt } from 'sops-decoder';
import { parse as parseYamlText } from 'yaml';
import { SopsError } from '../src/sops/errors.js';
import {
  type KeySourceFactory,
  type MasterKeySource,
  decryptDocument,
  decryptTree,
  encryptDocument,
} from '../src/sops/index.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';

const FLEET_REGEX = '^(data|stringData)$';
const KMS_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const AGE_RECIPIENT = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';

/**
 * In-memory master keys with real AES-GCM wrapping, recording each data key they see so a test
 * can check a file with the data key alone.
 */
function memoryKeys(): KeySourceFactory & { dataKeys: Buffer[] } {
  const secrets = new Map<string, Buffer>();
  const dataKeys: Buffer[] = [];
  const source = (type: 'kms' | 'age', id: string): MasterKeySource => {
    if (!secrets.has(id)) secrets.set(id, randomBytes(32));
    const secret = secrets.get(id)!;
    return {
      type,
      id,
      async wrap(dataKey) {
        dataKeys.push(Buffer.from(dataKey));
        const iv = randomBytes(12);
        const c = createCipheriv('aes-256-gcm', secret, iv);
        const data = Buffer.concat([c.update(dataKey), c.final()]);
        const enc = Buffer.concat([iv, c.getAuthTag(), data]).toString('base64');
        return type === 'age' ? `-----BEGIN AGE ENCRYPTED FILE-----\n${enc}\n-----END AGE ENCRYPTED FILE-----\n` : enc;
      },
      async unwrap(enc) {
        const raw = Buffer.from(enc.replace(/-----[A-Z ]+-----/g, '').trim(), 'base64');
        const d = createDecipheriv('aes-256-gcm', secret, raw.subarray(0, 12));
        d.setAuthTag(raw.subarray(12, 28));
        return new Uint8Array(Buffer.concat([d.update(raw.subarray(28)), d.final()]));
      },
    };
  };
  return { dataKeys, kms: (arn) => source('kms', arn), age: (recipient) => source('age', recipient) };
}

function secret(values: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'app-credentials', namespace: 'apps', labels: { app: 'web' } },
    type: 'Opaque',
    ...extra,
    stringData: values,
  };
}

const VALUES = {
  unicode: 'héllo wörld — 日本語 😀',
  multiLine: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
  noFinalNewline: 'line one\nline two',
  quotes: `it's "quoted": yes # not a comment`,
  looksLikeYaml: 'yes',
  looksLikeNumber: '0x1F',
  spaces: '  padded  ',
  empty: '',
  int: 42,
  negative: -7,
  bigSafe: 9007199254740991,
  float: 1.5,
  tiny: 1e-7,
  huge: 1e21,
  wholeFloat: 3.25e2,
  yes: true,
  no: false,
  nothing: null,
  list: ['a', 1, true, { nested: 'in a list' }, [], ['deep']],
  map: { inner: { deeper: 'value' }, emptyMap: {} },
};

describe('sops: encrypt → decrypt', () => {
  it('gives back every kind of value, key order included', async () => {
    const keys = memoryKeys();
    const doc = secret(VALUES, { data: { 'tls.crt': Buffer.from('certificate').toString('base64') } });
    const text = await encryptDocument(doc, {
      keys: { kms: [KMS_ARN], age: [AGE_RECIPIENT] },
      encryptedRegex: FLEET_REGEX,
      keySources: keys,
    });
    const opened = await decryptDocument(text, { keySources: keys, ageIdentities: [] });
    assert.deepEqual(opened.document, doc);
    assert.deepEqual(Object.keys(opened.document as object), Object.keys(doc));
    assert.deepEqual(Object.keys((opened.document as { stringData: object }).stringData), Object.keys(VALUES));
    assert.equal(opened.dataKey.toString('hex'), keys.dataKeys[0]!.toString('hex'));
    assert.deepEqual(decryptTree(text, opened.dataKey).document, doc);
  });

  it('encrypts only data/stringData for the fleet regex; apiVersion, kind, metadata stay plain; empty strings stay empty', async () => {
    const text = await encryptDocument(secret({ password: 'hunter2', empty: '' }), {
      keys: { kms: [KMS_ARN], age: [] },
      encryptedRegex: FLEET_REGEX,
      keySources: memoryKeys(),
    });
    assert.ok(!text.includes('hunter2'));
    assert.match(
      text,
      /^apiVersion: v1\nkind: Secret\nmetadata:\n {4}name: app-credentials\n {4}namespace: apps\n {4}labels:\n {8}app: web\ntype: Opaque\nstringData:\n/,
    );
    assert.match(
      text,
      /^ {4}password: ENC\[AES256_GCM,data:[A-Za-z0-9+/=]+,iv:[A-Za-z0-9+/=]{44},tag:[A-Za-z0-9+/=]{24},type:str\]$/m,
    );
    assert.match(text, /^ {4}empty: ""$/m);
  });

  it('writes the sops block exactly as sops 3.13 does (sorted keys, RFC 3339 times without fractions)', async () => {
    const text = await encryptDocument(secret({ password: 'hunter2' }), {
      keys: { kms: [KMS_ARN], age: [AGE_RECIPIENT] },
      encryptedRegex: FLEET_REGEX,
      now: new Date('2025-06-07T08:09:10.987Z'),
      keySources: memoryKeys(),
    });
    const masked = text
      .replace(/ENC\[AES256_GCM,[^\]]+,type:(\w+)\]/g, 'ENC[…,type:$1]')
      .replace(/^( {10}enc: )[A-Za-z0-9+/=]+$/m, '$1<kms>')
      .replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n)[\s\S]*?( +-----END)/, '$1            <age>\n$2');
    assert.equal(
      masked,
      `apiVersion: v1
kind: Secret
metadata:
    name: app-credentials
    namespace: apps
    labels:
        app: web
type: Opaque
stringData:
    password: ENC[…,type:str]
sops:
    age:
        - enc: |
            -----BEGIN AGE ENCRYPTED FILE-----
            <age>
            -----END AGE ENCRYPTED FILE-----
          recipient: ${AGE_RECIPIENT}
    encrypted_regex: ^(data|stringData)$
    kms:
        - arn: ${KMS_ARN}
          aws_profile: ""
          created_at: "2025-06-07T08:09:10Z"
          enc: <kms>
    lastmodified: "2025-06-07T08:09:10Z"
    mac: ENC[…,type:str]
    version: 3.13.2
`,
    );
  });

  it('writes the struct-ordered block of sops 3.10–3.12, and the empty lists of 3.9, when asked for those versions', async () => {
    const opts = {
      keys: { kms: [KMS_ARN], age: [AGE_RECIPIENT] },
      encryptedRegex: FLEET_REGEX,
      now: new Date('2025-06-07T08:09:10Z'),
      keySources: memoryKeys(),
    };
    const v312 = await encryptDocument(secret({ a: 'b' }), { ...opts, sopsVersion: '3.12.2' });
    const layout = (t: string) =>
      t
        .slice(t.indexOf('\nsops:'))
        .split('\n')
        .map((l) => /^( {4}\w+| {8}- \w+| {10}\w+):/.exec(l)?.[1]?.trim())
        .filter((k) => k !== undefined);
    assert.deepEqual(layout(v312), [
      'kms',
      '- arn',
      'created_at',
      'enc',
      'aws_profile',
      'age',
      '- recipient',
      'enc',
      'lastmodified',
      'mac',
      'encrypted_regex',
      'version',
    ]);
    assert.match(v312, /version: 3\.12\.2\n$/);
    const v39 = await encryptDocument(secret({ a: 'b' }), { ...opts, sopsVersion: '3.9.4' });
    assert.match(v39, /\n {4}gcp_kms: \[\]\n {4}azure_kv: \[\]\n {4}hc_vault: \[\]\n {4}age:\n/);
    assert.match(v39, /\n {4}pgp: \[\]\n/);
    for (const t of [v312, v39])
      assert.deepEqual(
        (await decryptDocument(t, { keySources: opts.keySources, ageIdentities: [] })).document,
        secret({ a: 'b' }),
      );
  });

  it('without a selector, encrypts everything but keys ending in _unencrypted, and says so in the block', async () => {
    const keys = memoryKeys();
    const doc = { name: 'x', config_unencrypted: { plain: 'visible' }, secret: 's3cr3t' };
    const text = await encryptDocument(doc, { keys: { kms: [KMS_ARN], age: [] }, keySources: keys });
    assert.match(text, /^name: ENC\[/m);
    assert.match(text, /^ {4}plain: visible$/m);
    assert.match(text, /^ {4}unencrypted_suffix: _unencrypted$/m);
    assert.deepEqual((await decryptDocument(text, { keySources: keys, ageIdentities: [] })).document, doc);
  });

  it('refuses a second selector, a "sops" key, and clear text sops would misread', async () => {
    const keys = memoryKeys();
    const k = { kms: [KMS_ARN], age: [] };
    await assert.rejects(
      encryptDocument({ a: 1 }, { keys: k, encryptedRegex: 'a', unencryptedSuffix: '_x', keySources: keys }),
      (e: SopsError) => e.code === 'conflicting-parameters',
    );
    await assert.rejects(
      encryptDocument({ sops: 1 }, { keys: k, keySources: keys }),
      (e: SopsError) => e.code === 'invalid-input',
    );
    await assert.rejects(
      encryptDocument(
        { metadata: { note: 'a\u2028b' }, data: {} },
        { keys: k, encryptedRegex: FLEET_REGEX, keySources: keys },
      ),
      /U\+2028/,
    );
    // The same character in an encrypted value is fine.
    const text = await encryptDocument(
      { data: { v: 'a\u2028b' } },
      { keys: k, encryptedRegex: FLEET_REGEX, keySources: keys },
    );
    assert.deepEqual((await decryptDocument(text, { keySources: keys, ageIdentities: [] })).document, {
      data: { v: 'a\u2028b' },
    });
    await assert.rejects(
      encryptDocument({ a: 1 }, { keys: { kms: [], age: [] }, keySources: keys }),
      (e: SopsError) => e.code === 'no-key',
    );
  });

  it('a changed value, a moved value or a changed MAC is an error naming no value', async () => {
    const keys = memoryKeys();
    const text = await encryptDocument(secret({ password: 'hunter2', user: 'admin' }), {
      keys: { kms: [KMS_ARN], age: [] },
      encryptedRegex: FLEET_REGEX,
      keySources: keys,
    });
    const open = (t: string) => decryptDocument(t, { keySources: keys, ageIdentities: [] });
    const lines = text.split('\n');
    const pw = lines.findIndex((l) => l.startsWith('    password: '));
    const user = lines.findIndex((l) => l.startsWith('    user: '));
    const swapped = [...lines];
    swapped[pw] = `    password: ${lines[user]!.slice('    user: '.length)}`;
    swapped[user] = `    user: ${lines[pw]!.slice('    password: '.length)}`;
    const noValue = (e: unknown) =>
      e instanceof SopsError &&
      ['error-decrypting-tree', 'error-decrypting-mac', 'mac-mismatch'].includes(e.code) &&
      !/hunter2|admin/.test(e.message);
    await assert.rejects(open(swapped.join('\n')), noValue);
    const plainValue = text.replace(/^( {4}user: ).*$/m, '$1admin');
    await assert.rejects(open(plainValue), noValue);
    const macLine = text.match(/^ {4}mac: .*$/m)![0];
    const otherText = await encryptDocument(secret({ password: 'hunter2', user: 'admin' }), {
      keys: { kms: [KMS_ARN], age: [] },
      encryptedRegex: FLEET_REGEX,
      keySources: keys,
    });
    await assert.rejects(open(otherText.replace(/^ {4}mac: .*$/m, macLine)), noValue);
    // A plain part changed: the MAC covers every value, encrypted or not.
    await assert.rejects(open(text.replace('app: web', 'app: evil')), /MAC mismatch/);
  });

  it('property: any JSON-like document comes back as it was', async () => {
    const keys = memoryKeys();
    const key = fc.string({ unit: 'grapheme', maxLength: 8 });
    const scalar = fc.oneof(
      fc.string({ unit: 'grapheme', maxLength: 20 }),
      fc.integer(),
      fc.double({ noNaN: true }).filter((d) => !Object.is(d, -0)),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        scalar,
        fc.array(tie('node'), { maxLength: 3 }),
        fc.dictionary(key, tie('node'), { maxKeys: 3 }),
      ),
    })).node;
    const doc = fc.record({
      metadata: fc.dictionary(key, scalar, { maxKeys: 3 }),
      stringData: fc.dictionary(key, value, { maxKeys: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(doc, async (d) => {
        let text: string;
        try {
          text = await encryptDocument(d, {
            keys: { kms: [KMS_ARN], age: [] },
            encryptedRegex: FLEET_REGEX,
            keySources: keys,
          });
        } catch (error) {
          // Only clear text that sops would read back differently is refused.
          assert.match((error as Error).message, /U\+0085, U\+2028 or U\+2029/);
          return;
        }
        const opened = await decryptDocument(text, { keySources: keys, ageIdentities: [] });
        // fast-check makes some objects without a prototype; what comes back is plain objects.
        assert.deepEqual(opened.document, structuredClone(d));
      }),
      { numRuns: 40 },
    );
  });
});

describe('sops: an independent decoder (sops-decoder) reads what this implementation writes', () => {
  let kms: LocalKms;
  let restore: () => void;
  before(async () => {
    kms = await startLocalKms([KMS_ARN]);
    restore = setEnv(localAwsEnv(kms.url));
  });
  after(async () => {
    restore();
    await kms.stop();
  });

  it('decrypts the values and checks the MAC', async () => {
    const doc = secret(
      {
        username: 'git',
        password: 'p@ss: w0rd # with "quotes"',
        multi: 'a\nb\n',
        unicode: 'héllo 日本',
        port: 8443,
        ratio: 0.25,
        enabled: true,
        disabled: false,
        empty: '',
        list: ['x', 2],
        nested: { k: 'v' },
      },
      { data: { 'tls.key': Buffer.from('key').toString('base64') } },
    );
    const text = await encryptDocument(doc, {
      keys: { kms: [KMS_ARN], age: [AGE_RECIPIENT] },
      encryptedRegex: FLEET_REGEX,
    });
    assert.equal(kms.count('Encrypt', KMS_ARN), 1, JSON.stringify(kms.calls));
    const tree = parseYamlText(text) as Record<string, unknown>;
    const decoded = await sopsDecoderDecrypt(tree as never);
    delete (decoded as Record<string, unknown>).sops;
    assert.deepEqual(decoded, doc);
    assert.equal(kms.count('Decrypt', KMS_ARN), 1);
  });

  it('for an alias ARN: the file names the alias as given, sops-decoder reads a copy naming the key behind it', async () => {
    const alias = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
    const keyArn = kms.addKey(alias);
    const doc = secret({ token: 't0k3n' });
    const text = await encryptDocument(doc, { keys: { kms: [alias], age: [] }, encryptedRegex: FLEET_REGEX });
    const tree = parseYamlText(text) as { sops: { kms: { arn: string }[] } };
    assert.equal(tree.sops.kms[0]!.arn, alias);
    assert.deepEqual((await decryptDocument(text, { ageIdentities: [] })).document, doc);
    assert.equal(kms.calls.at(-1)!.keyId, alias, 'Decrypt names the alias as KeyId');
    tree.sops.kms[0]!.arn = keyArn;
    const decoded = (await sopsDecoderDecrypt(tree as never)) as Record<string, unknown>;
    delete decoded.sops;
    assert.deepEqual(decoded, doc);
    assert.equal(kms.count('Decrypt', alias), 2);
  });

  it('and refuses the file when a value was changed (its MAC check is real)', async () => {
    const text = await encryptDocument(secret({ a: 'b', c: 'd' }), {
      keys: { kms: [KMS_ARN], age: [] },
      encryptedRegex: FLEET_REGEX,
    });
    const tree = parseYamlText(text.replace('app: web', 'app: other')) as Record<string, unknown>;
    await assert.rejects(sopsDecoderDecrypt(tree as never), /Hash mismatch/);
  });
});
