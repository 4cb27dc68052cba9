// Which master keys a .sops.yaml creation rule and an encrypted file name, and the refusal of the keys this product cannot use.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse as parseYamlText } from 'yaml';
import {
  SopsError,
  keyIdsOf,
  masterKeysOfMetadata,
  masterKeysOfRule as keySetOfRule,
  usable,
} from '../src/sops/index.js';

/** What sealing takes from a rule: its usable keys, or a SopsError naming what it cannot use. */
const masterKeysOfRule = (rule: unknown) => usable(keySetOfRule(rule));

/** What updatekeys takes from a file: its usable keys, and in words the entries it drops. */
const masterKeysOfFile = (sops: unknown) => {
  const set = masterKeysOfMetadata(sops);
  return { ...keyIdsOf(set, 'usable'), unsupported: set.unusable };
};

const A = 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555';
const B = 'arn:aws:kms:us-east-2:123456789012:key/66666666-7777-8888-9999-000000000000';
const ALIAS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const ROLE = 'arn:aws:iam::123456789012:role/sops';
const R1 = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const R2 = 'age1eey6qaz064uwvh8kuletmlhdfw8ee3cc4dgj5ypkvw4v8ws394aqkavpvt';

describe('sops: masterKeysOfRule', () => {
  const usable: [string, unknown, { kms: string[]; age: string[] }][] = [
    [
      'kms as a comma-separated string, spaces dropped, duplicates once',
      { kms: `${A}, ${B},${A},` },
      { kms: [A, B], age: [] },
    ],
    ['kms as a list; an alias ARN', { kms: [A, ALIAS] }, { kms: [A, ALIAS], age: [] }],
    ['age as a string and kms as a list', { age: `${R1},${R2}`, kms: [A] }, { kms: [A], age: [R1, R2] }],
    ['age as a list of comma-separated strings', { age: [`${R1}, ${R2}`, R1] }, { kms: [], age: [R1, R2] }],
    [
      'one key group (top-level keys are then ignored, as sops does)',
      { kms: B, key_groups: [{ kms: [{ arn: A }], age: [R1] }] },
      { kms: [A], age: [R1] },
    ],
    [
      'one key group with merge',
      { key_groups: [{ merge: [{ kms: [{ arn: A }] }, { age: [R2] }], age: [R1] }] },
      { kms: [A], age: [R2, R1] },
    ],
    [
      'shamir_threshold 1 and the selectors of the fleet',
      { path_regex: 'secrets/.*', encrypted_regex: '^(data|stringData)$', shamir_threshold: 1, kms: A },
      { kms: [A], age: [] },
    ],
  ];
  for (const [name, rule, expected] of usable) {
    it(`reads ${name}`, () => assert.deepEqual(masterKeysOfRule(rule), expected));
  }

  const refused: [string, unknown, RegExp[]][] = [
    ['pgp', { kms: A, pgp: 'FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4' }, [/pgp keys/]],
    ['gcp_kms', { gcp_kms: 'projects/p/locations/global/keyRings/r/cryptoKeys/k' }, [/gcp_kms keys/]],
    ['azure_keyvault', { azure_keyvault: 'https://v.vault.azure.net/keys/k/1' }, [/azure_keyvault keys/]],
    ['azure_kv', { kms: A, azure_kv: ['x'] }, [/azure_kv keys/]],
    [
      'hc_vault_transit_uri',
      { hc_vault_transit_uri: 'https://vault:8200/v1/transit/keys/k' },
      [/hc_vault_transit_uri keys/],
    ],
    ['hc_vault', { kms: A, hc_vault: 'x' }, [/hc_vault keys/]],
    ['hckms', { hckms: ['tr-west-1:abc'] }, [/hckms keys/]],
    [
      'a role in the arn+role syntax',
      { kms: `${A}+${ROLE}` },
      [
        new RegExp(
          `kms key ${A.replace(/[/.]/g, '\\$&')} with a role to assume \\(${ROLE.replace(/[/.]/g, '\\$&')}\\)`,
        ),
      ],
    ],
    ['a role in a key group', { key_groups: [{ kms: [{ arn: A, role: ROLE }] }] }, [/with a role to assume/]],
    [
      'an encryption context in a key group',
      { key_groups: [{ kms: [{ arn: A, context: { app: 'x' } }] }] },
      [/with an encryption context/],
    ],
    [
      'an AWS profile in a key group',
      { key_groups: [{ kms: [{ arn: A, aws_profile: 'dev' }] }] },
      [/an AWS profile \(dev; set AWS_PROFILE instead\)/],
    ],
    ['an AWS profile on the rule', { kms: A, aws_profile: 'dev' }, [/aws_profile "dev"/]],
    ['shamir_threshold 2', { kms: A, shamir_threshold: 2 }, [/shamir_threshold 2/]],
    ['two key groups', { key_groups: [{ kms: [{ arn: A }] }, { age: [R1] }] }, [/2 key_groups/]],
    [
      'pgp and gcp in a key group, with the rest',
      { key_groups: [{ kms: [{ arn: A }], pgp: ['FP'], gcp_kms: [{ resource_id: 'x' }] }] },
      [/pgp keys/, /gcp_kms keys/],
    ],
    ['something that is not a KMS ARN', { kms: 'alias/flux' }, [/kms key "alias\/flux", which is not a KMS key ARN/]],
    ['an SSH key as age recipient', { age: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB' }, [/\(an SSH key\)/]],
    ['an age plugin recipient', { age: 'age1yubikey1qwerty' }, [/not an age X25519 or post-quantum recipient/]],
    ['kms of the wrong type', { kms: 12 }, [/kms must be a string or a list of strings/]],
    ['no key at all', { path_regex: 'x' }, [/names no master key/]],
    ['not a mapping', 'kms: x', [/must be a mapping/]],
  ];
  for (const [name, rule, patterns] of refused) {
    it(`refuses ${name}, naming it`, () => {
      assert.throws(
        () => masterKeysOfRule(rule),
        (e: unknown) => {
          assert.ok(e instanceof SopsError, String(e));
          assert.equal(e.code, name === 'no key at all' ? 'no-key' : 'unusable-key');
          for (const p of patterns) assert.match(e.message, p);
          return true;
        },
      );
    });
  }

  it('names every unusable key of a rule at once, and the rule by its path_regex', () => {
    assert.throws(
      () => masterKeysOfRule({ path_regex: 'secrets/prod/.*', kms: `${A}+${ROLE}`, pgp: 'FP', gcp_kms: 'g' }),
      (e: SopsError) => {
        assert.equal(e.code, 'unusable-key');
        assert.match(
          e.message,
          /^The \.sops\.yaml creation rule \(path_regex "secrets\/prod\/\.\*"\) names master keys this tool cannot use: /,
        );
        assert.match(e.message, /role to assume.*; pgp keys; gcp_kms keys\./);
        return true;
      },
    );
  });
});

describe('sops: masterKeysOfFile', () => {
  it('reads the KMS ARNs and age recipients of a sops block, and lists what this tool cannot use', () => {
    const sops = {
      kms: [
        { arn: A, created_at: '2024-01-01T00:00:00Z', enc: 'x', aws_profile: '' },
        { arn: B, role: ROLE, created_at: '2024-01-01T00:00:00Z', enc: 'y', aws_profile: '' },
      ],
      age: [{ recipient: R1, enc: '-----BEGIN AGE ENCRYPTED FILE-----\n…' }],
      gcp_kms: [{ resource_id: 'projects/p/k', created_at: 'x', enc: 'y' }],
      lastmodified: '2024-01-01T00:00:00Z',
      mac: 'ENC[…]',
      version: '3.9.4',
    };
    assert.deepEqual(masterKeysOfFile(sops), {
      kms: [A],
      age: [R1],
      unsupported: [`kms ${B} (with role)`, 'gcp_kms projects/p/k'],
    });
  });

  it('reads key groups, and the pgp keys of the real sops vector', () => {
    assert.deepEqual(masterKeysOfFile({ key_groups: [{ kms: [{ arn: A }], age: [{ recipient: R2 }] }] }), {
      kms: [A],
      age: [R2],
      unsupported: [],
    });
    assert.deepEqual(
      masterKeysOfFile({ key_groups: [{ kms: [{ arn: A }] }, { age: [{ recipient: R2 }] }], shamir_threshold: 2 }),
      {
        kms: [A],
        age: [R2],
        unsupported: ['2 key_groups (Shamir secret sharing)'],
      },
    );
    const text = readFileSync(
      fileURLToPath(new URL('./fixtures/sops-vectors/example.enc.yaml', import.meta.url)),
      'utf8',
    );
    assert.deepEqual(masterKeysOfFile((parseYamlText(text) as { sops: unknown }).sops), {
      kms: [],
      age: [],
      unsupported: ['pgp FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4', 'pgp D7229043384BCC60326C6FB9D8720D957C3D3074'],
    });
    assert.deepEqual(masterKeysOfFile(undefined), { kms: [], age: [], unsupported: [] });
  });
});

describe('sops: one model for a rule and a file', () => {
  it('names every key as written, usable or not, for a checker comparing a file with its rule', () => {
    const rule = keySetOfRule({ kms: `${A}+${ROLE},${B}`, age: R1 });
    assert.deepEqual(keyIdsOf(rule), { kms: [A, B], age: [R1] });
    assert.deepEqual(keyIdsOf(rule, 'usable'), { kms: [B], age: [R1] });
    const file = masterKeysOfMetadata({ kms: [{ arn: A, role: ROLE }, { arn: B }], age: [{ recipient: R1 }] });
    assert.deepEqual(keyIdsOf(file), keyIdsOf(rule), 'the file sealed for the rule has the same keys');
    assert.deepEqual(keyIdsOf(file, 'usable'), keyIdsOf(rule, 'usable'));
  });
});
