// Files written by the real sops (and by sops' own code in a Go harness) open with their data keys, give exactly the expected values, and check their MAC.

import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SopsError, decryptTree } from '../src/sops/index.js';
import { decryptValue, encryptValue } from '../src/sops/cipher.js';
import { emit as emitYaml, parse as parseYaml } from '../src/sops/yaml/index.js';
import { cryptRulesOf, macAdditionalData, readMetadata } from '../src/sops/metadata.js';
import { Comment, TreeBranch } from '../src/sops/tree.js';
import { decryptBranches } from '../src/sops/walk.js';

const dir = fileURLToPath(new URL('./fixtures/sops-vectors/', import.meta.url));
const read = (name: string) => readFileSync(dir + name, 'utf8');
const dataKeys = JSON.parse(read('data-keys.json')) as Record<string, string>;
const referenceKeys = JSON.parse(read('reference-keys.json')) as Record<string, string>;
const key = (name: string) => Buffer.from(dataKeys[name] ?? referenceKeys[name]!, 'hex');

/** The tree of an encrypted file without its sops entry, and its metadata. */
function load(text: string) {
  const branches = parseYaml(text);
  const first = branches[0]!;
  const md = readMetadata(first.items.find((i) => i.key === 'sops')!.value);
  return { branches: branches.map((b) => new TreeBranch(b.items.filter((i) => i.key !== 'sops'))), md };
}

function comments(value: unknown, out: string[] = []): string[] {
  if (value instanceof TreeBranch) {
    for (const item of value.items) {
      if (item.key instanceof Comment) out.push(item.key.value);
      else comments(item.value, out);
    }
  } else if (Array.isArray(value)) {
    for (const v of value) comments(v, out);
  }
  return out;
}

describe('sops vectors: files written by the real sops', () => {
  for (const name of Object.keys(dataKeys)) {
    it(`${name} decrypts to ${name.replace('.enc.yaml', '.plain.json')} and its MAC checks`, () => {
      const result = decryptTree(read(name), key(name));
      const expected = JSON.parse(read(name.replace('.enc.yaml', '.plain.json')));
      assert.deepEqual(result.documents, [expected]);
      assert.deepEqual(result.document, expected);
      assert.match(result.mac, /^[0-9A-F]{128}$/);
    });

    it(`${name}: a wrong data key is refused`, () => {
      const wrong = Buffer.from(key(name));
      wrong[0] = wrong[0]! ^ 1;
      assert.throws(
        () => decryptTree(read(name), wrong),
        (e: unknown) => e instanceof SopsError && e.code === 'error-decrypting-tree',
      );
    });

    it(`${name}: changing lastmodified (the MAC's additional data) is detected`, () => {
      const text = read(name).replace(
        /lastmodified: (['"]?)(\d{4})/,
        (_m, q: string, y: string) => `lastmodified: ${q}${Number(y) + 1}`,
      );
      assert.notEqual(text, read(name));
      assert.throws(() => decryptTree(text, key(name)), /Cannot decrypt the MAC/);
    });
  }

  it('a value moved to another key does not decrypt: the path (list items: the key of the list) is the additional data', () => {
    const { branches } = load(read('example.enc.yaml'));
    const root = branches[0]!;
    const get = (k: string) => root.items.find((i) => i.key === k)!.value;
    const list = get('an_array') as string[];
    // Items of a list are encrypted under the list's own path, without an index.
    assert.equal(decryptValue(list[0]!, key('example.enc.yaml'), 'an_array:'), 'secretuser1');
    assert.equal(decryptValue(list[3]!, key('example.enc.yaml'), 'an_array:'), 'some other value');
    assert.throws(() => decryptValue(list[0]!, key('example.enc.yaml'), 'an_array:0:'));
    const nested = ((get('app2') as TreeBranch).items.find((i) => i.key === 'db')!.value as TreeBranch).items.find(
      (i) => i.key === 'user',
    )!.value as string;
    assert.equal(decryptValue(nested, key('example.enc.yaml'), 'app2:db:user:'), 'eve');
  });

  it('booleans are encrypted and MACed as True/False, floats in the shortest decimal form', () => {
    const name = 'example.enc.yaml';
    const { branches, md } = load(read(name));
    const { mac } = decryptBranches(branches, key(name), cryptRulesOf(md));
    assert.equal(mac, decryptValue(md.mac, key(name), macAdditionalData(md.lastModified)));
    // The bytes sops encrypted are the bytes it MACs (ToBytes): read them raw.
    const raw = (enc: string, aad: string) => {
      const m = /data:([^,]+),iv:([^,]+),tag:([^,]+),/.exec(enc)!;
      const d = createDecipheriv('aes-256-gcm', key(name), Buffer.from(m[2]!, 'base64'));
      d.setAAD(Buffer.from(aad));
      d.setAuthTag(Buffer.from(m[3]!, 'base64'));
      return Buffer.concat([d.update(Buffer.from(m[1]!, 'base64')), d.final()]).toString();
    };
    const root = branches[0]!;
    const value = (k: string) => root.items.find((i) => i.key === k)!.value;
    assert.equal(raw(value('number') as string, 'number:'), '1234568000');
    assert.deepEqual(
      (value('somebooleans') as string[]).map((v) => raw(v, 'somebooleans:')),
      ['True', 'False'],
    );
  });

  it('comments: encrypted comments decrypt under their branch path, and stay out of the MAC', () => {
    for (const name of ['comments.enc.yaml', 'example.enc.yaml']) {
      const { branches, md } = load(read(name));
      const before = comments(branches[0]);
      assert.ok(before.length > 0 && before.every((c) => c.startsWith('ENC[')), `${name} has encrypted comments`);
      const { branches: plain } = decryptBranches(branches, key(name), cryptRulesOf(md));
      const after = comments(plain[0]);
      assert.ok(
        after.every((c) => !c.startsWith('ENC[')),
        `every comment of ${name} decrypts`,
      );
      if (name === 'comments.enc.yaml') assert.deepEqual(after, [' first comment in file', ' this-is-a-comment']);
      else
        assert.deepEqual(after, [
          ' private key for secret operations in app2',
          ' sops supports unencrypted fields',
          ' by adding the `_unencrypted` suffix',
          ' to any key',
        ]);
    }
    // A top-level comment is encrypted with the path ":" (no key at all).
    const { branches } = load(read('comments.enc.yaml'));
    const first = branches[0]!.items[0]!.key as Comment;
    assert.deepEqual(decryptValue(first.value, key('comments.enc.yaml'), ':'), new Comment(' first comment in file'));
  });

  it('the metadata of each vector reads as sops reads it', () => {
    const example = load(read('example.enc.yaml')).md;
    assert.equal(example.version, '3.10.2');
    assert.equal(example.unencryptedSuffix, '_unencrypted');
    assert.deepEqual(
      example.other.map((o) => [o.type, o.label]),
      [
        ['pgp', 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4'],
        ['pgp', 'D7229043384BCC60326C6FB9D8720D957C3D3074'],
      ],
    );
    const old = load(read('comments.enc.yaml')).md;
    assert.equal(old.version, '3.6.1');
    assert.equal(old.lastModified, '2020-10-07T15:49:13Z');
    assert.equal(macAdditionalData('2020-10-07T15:49:13.123456+00:00'), '2020-10-07T15:49:13Z');
  });

  it('the 3.10 and 3.13 vectors come back byte for byte when read and written again (yaml.v3 output)', () => {
    for (const name of ['example.enc.yaml', 'format.enc.yaml'])
      assert.equal(emitYaml(parseYaml(read(name))), read(name));
  });

  it('the sops 3.6 vector (yaml.v2 layout) is written again as sops 3.13 writes it', () => {
    assert.equal(emitYaml(parseYaml(read('comments.enc.yaml'))), read('yamlv3/vector-comments.out.yaml'));
  });

  it('the MAC is the encryption of the upper-case hex SHA-512 with lastmodified as additional data', () => {
    const enc = encryptValue('ABC', key('format.enc.yaml'), '2020-01-01T00:00:00Z');
    assert.equal(decryptValue(enc, key('format.enc.yaml'), '2020-01-01T00:00:00Z'), 'ABC');
    assert.throws(() => decryptValue(enc, key('format.enc.yaml'), '2020-01-01T00:00:01Z'));
  });
});

describe('sops vectors: files written by sops 3.13.2 code in the Go harness', () => {
  for (const name of Object.keys(referenceKeys)) {
    it(`${name} decrypts, checks its MAC, and its plain tree is written as sops writes it`, () => {
      const text = read(name);
      const result = decryptTree(text, key(name));
      assert.match(result.mac, /^[0-9A-F]{128}$/);
      const { branches, md } = load(text);
      const { branches: plain } = decryptBranches(branches, key(name), cryptRulesOf(md));
      assert.equal(emitYaml(plain), read(name.replace('.enc.yaml', '.plain.yaml')));
      assert.equal(emitYaml(parseYaml(text)), text, 'read and written again unchanged');
    });
  }

  it('reference-secret: only data/stringData are encrypted (comments there too), the rest stays plain', () => {
    const text = read('reference-secret.enc.yaml');
    assert.match(text, /^# A Kubernetes Secret as a fleet holds it$/m);
    assert.match(text, /namespace: flux-system # where Flux runs/);
    assert.match(text, /^ {4}#ENC\[AES256_GCM,.*type:comment\]$/m);
    assert.match(text, /^ {4}empty: ""$/m);
    const doc = decryptTree(text, key('reference-secret.enc.yaml')).document as Record<string, Record<string, unknown>>;
    assert.deepEqual(doc.stringData, {
      username: 'git',
      password: "s3cr3t: with # and 'quotes'",
      token: 'line one\nline two\n',
      empty: '',
      port: 8443,
      ratio: 0.25,
      enabled: true,
      since: '2024-05-06T07:08:09Z',
    });
  });

  it('reference-secret: a plain value changed after sops wrote the file is a MAC mismatch (the MAC covers it)', () => {
    const text = read('reference-secret.enc.yaml');
    const changed = text.replace('namespace: flux-system #', 'namespace: kube-system #');
    assert.notEqual(changed, text);
    assert.throws(() => decryptTree(changed, key('reference-secret.enc.yaml')), {
      code: 'mac-mismatch',
      message:
        'MAC mismatch: the values of the file do not match its MAC (it was changed without sops, or is corrupt).',
    });
  });
});

describe('YAML as yaml.v3 writes it (golden files from the Go harness)', () => {
  const cases = readdirSync(dir + 'yamlv3').filter((f) => f.endsWith('.in.yaml'));
  it('has golden files', () => assert.ok(cases.length >= 40, `${cases.length} cases`));
  for (const file of cases) {
    it(file.replace('.in.yaml', ''), () => {
      const input = read(`yamlv3/${file}`);
      const expected = read(`yamlv3/${file.replace('.in.yaml', '.out.yaml')}`);
      assert.equal(emitYaml(parseYaml(input)), expected);
    });
  }
});
