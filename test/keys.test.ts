// `updatekeys` and `rotate` without keys: the plan (which files, which keys they gain and lose,
// what is refused), the report's exact text, and the all-or-nothing write, with the SOPS
// module's key operations replaced by stand-ins. The real keys are in keys-sops.test.ts.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { keysCommands } from '../src/cli/keys.js';
import { helpText } from '../src/cli/command-spec.js';
import { fleetDisk } from '../src/disk/index.js';
import { FluxSopsError } from '../src/errors.js';
import { commitRewrites } from '../src/keys/commit.js';
import { environmentsOf, selectEnvironments } from '../src/fleet/environments.js';
import { differenceOf, type FilePlan, planKeyChanges } from '../src/keys/plan.js';
import { formatReport } from '../src/keys/report.js';
import { type KeyOperations, runKeys } from '../src/keys/run.js';
import { type Ports, processPorts } from '../src/ports.js';
import { keyIdsOf, type MasterKeys, masterKeysOfRule as keySetOfRule } from '../src/sops/master-keys.js';
import type { CreationRule } from '../src/sops/rules.js';

/** Every key a rule names, usable or not (the plan's own test of what it refuses is in keys-sops). */
const masterKeysOfRule = (rule: CreationRule): MasterKeys => keyIdsOf(keySetOfRule(rule));
import { readTree } from './support.js';

const STAGING_KMS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_KMS = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BACKUP_AGE = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
const OTHER_AGE = 'age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg';
const CIPHERTEXT =
  'ENC[AES256_GCM,data:bm90IGEgc2VjcmV0,iv:MTIzNDU2Nzg5MDEyMzQ1Ng==,tag:dGFndGFndGFndGFndGFnZw==,type:str]';

function rule(environment: string, kms: string, age?: string): CreationRule {
  return {
    path_regex: `^secrets/${environment}/.+\\.ya?ml$`,
    encrypted_regex: '^(data|stringData)$',
    kms,
    ...(age ? { age } : {}),
  };
}

/** The shape sops writes, with stand-in ciphertexts: enough for everything that calls no key. */
function sealedText(name: string, keys: MasterKeys): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'flux-system' },
    stringData: { password: CIPHERTEXT },
    sops: {
      kms: keys.kms.map((arn) => ({ arn, enc: 'd3JhcHBlZA==', created_at: '2024-01-01T00:00:00Z', aws_profile: '' })),
      age: keys.age.map((recipient) => ({
        recipient,
        enc: '-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n',
      })),
      lastmodified: '2024-01-01T00:00:00Z',
      mac: CIPHERTEXT,
      encrypted_regex: '^(data|stringData)$',
      version: '3.9.0',
    },
  });
}

function placeholderText(): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: 'apps-auth',
      namespace: 'flux-system',
      annotations: { 'generator-flux-sops/placeholder': 'true' },
    },
    stringData: { password: 'ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]' },
    sops: {
      kms: [{ arn: STAGING_KMS }],
      mac: 'ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]',
    },
  });
}

const KUSTOMIZATION = 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\n';

describe('updatekeys and rotate: the plan', () => {
  const rules = [rule('staging', STAGING_KMS, BACKUP_AGE), rule('production', PRODUCTION_KMS)];

  it('compares each sealed file with its rule, skips the placeholder and leaves other files out', () => {
    const plans = planKeyChanges(
      'updatekeys',
      [
        { path: 'secrets/production/app.yaml', text: sealedText('app', { kms: [PRODUCTION_KMS], age: [] }) },
        { path: 'secrets/production/kustomization.yaml', text: KUSTOMIZATION },
        { path: 'secrets/staging/app.yaml', text: sealedText('app', { kms: [STAGING_KMS], age: [OTHER_AGE] }) },
        { path: 'secrets/staging/apps-auth.yaml', text: placeholderText() },
      ],
      rules,
      masterKeysOfRule,
    );
    const expected: FilePlan[] = [
      { kind: 'up-to-date', path: 'secrets/production/app.yaml', target: { kms: [PRODUCTION_KMS], age: [] } },
      {
        kind: 'rewrite',
        path: 'secrets/staging/app.yaml',
        target: { kms: [STAGING_KMS], age: [BACKUP_AGE] },
        added: [BACKUP_AGE],
        removed: [OTHER_AGE],
      },
      { kind: 'placeholder', path: 'secrets/staging/apps-auth.yaml' },
    ];
    assert.deepEqual(plans, expected);
  });

  it('rotates every sealed file, also those whose keys are already right', () => {
    const plans = planKeyChanges(
      'rotate',
      [{ path: 'secrets/production/app.yaml', text: sealedText('app', { kms: [PRODUCTION_KMS], age: [] }) }],
      rules,
      masterKeysOfRule,
    );
    assert.deepEqual(plans, [
      {
        kind: 'rewrite',
        path: 'secrets/production/app.yaml',
        target: { kms: [PRODUCTION_KMS], age: [] },
        added: [],
        removed: [],
      },
    ]);
  });

  it('lists the keys gained and lost, KMS first, without repeats', () => {
    assert.deepEqual(differenceOf({ kms: ['a', 'b'], age: ['x'] }, { kms: ['b', 'c', 'c'], age: ['y', 'x'] }), {
      added: ['c', 'y'],
      removed: ['a'],
    });
    assert.deepEqual(differenceOf({ kms: ['a'], age: [], unsupported: ['pgp F00D'] }, { kms: ['a'], age: [] }), {
      added: [],
      removed: ['pgp F00D'],
    });
  });

  it('refuses a sealed file no rule matches (exit 2), naming it', () => {
    assert.throws(
      () =>
        planKeyChanges(
          'updatekeys',
          [{ path: 'secrets/qa/app.yaml', text: sealedText('app', { kms: [STAGING_KMS], age: [] }) }],
          rules,
          masterKeysOfRule,
        ),
      (error: FluxSopsError) => {
        assert.equal(error.code, 2);
        assert.equal(
          error.message,
          'secrets/qa/app.yaml: no creation rule of .sops.yaml matches this file; add one (or move the file), then run flux-sops updatekeys again. Nothing was written.',
        );
        return true;
      },
    );
  });

  it('refuses a rule that would leave a file with no master key (exit 2)', () => {
    const keyless: CreationRule[] = [
      { path_regex: '^secrets/staging/.+\\.ya?ml$', encrypted_regex: '^(data|stringData)$' },
    ];
    assert.throws(
      () =>
        planKeyChanges(
          'updatekeys',
          [{ path: 'secrets/staging/app.yaml', text: sealedText('app', { kms: [STAGING_KMS], age: [] }) }],
          keyless,
          masterKeysOfRule,
        ),
      (error: FluxSopsError) => {
        assert.equal(error.code, 2);
        assert.equal(
          error.message,
          'secrets/staging/app.yaml: .sops.yaml creation rule 1 (path_regex "^secrets/staging/.+\\\\.ya?ml$") names no master key (kms or age): flux-sops updatekeys would leave the file with none that can open it; nothing was written',
        );
        return true;
      },
    );
  });

  it('names the file and the rule when the rule has a key this product cannot use', () => {
    const refuse = (_rule: CreationRule, ruleName: string): MasterKeys => {
      throw new FluxSopsError('fleet', `.sops.yaml ${ruleName} uses pgp`);
    };
    assert.throws(
      () =>
        planKeyChanges(
          'rotate',
          [{ path: 'secrets/staging/app.yaml', text: sealedText('app', { kms: [STAGING_KMS], age: [] }) }],
          rules,
          refuse,
        ),
      {
        message:
          'secrets/staging/app.yaml: .sops.yaml creation rule 1 (path_regex "^secrets/staging/.+\\\\.ya?ml$") uses pgp',
        code: 2,
      },
    );
  });
});

describe('updatekeys and rotate: the report', () => {
  const plans: FilePlan[] = [
    { kind: 'up-to-date', path: 'secrets/production/app.yaml', target: { kms: [PRODUCTION_KMS], age: [] } },
    {
      kind: 'rewrite',
      path: 'secrets/staging/app.yaml',
      target: { kms: [STAGING_KMS], age: [BACKUP_AGE] },
      added: [BACKUP_AGE],
      removed: [OTHER_AGE],
    },
    { kind: 'placeholder', path: 'secrets/staging/apps-auth.yaml' },
  ];
  const result = { environments: ['production', 'staging'], plans, written: true };

  it('prints per file what changed, and a summary', () => {
    assert.equal(
      formatReport('updatekeys', result, false),
      [
        'secrets/production/app.yaml: up to date',
        'secrets/staging/app.yaml: updated',
        `    + ${BACKUP_AGE}`,
        `    - ${OTHER_AGE}`,
        'secrets/staging/apps-auth.yaml: skipped: the generated placeholder, not a real ciphertext (seal it with flux-sops secret git staging --tenant apps)',
        '1 file updated, 1 up to date, 1 placeholder skipped.',
        '',
      ].join('\n'),
    );
  });

  it('says what a dry run would do', () => {
    assert.equal(
      formatReport('updatekeys', { ...result, written: false }, true),
      [
        'secrets/production/app.yaml: up to date',
        'secrets/staging/app.yaml: would be updated',
        `    + ${BACKUP_AGE}`,
        `    - ${OTHER_AGE}`,
        'secrets/staging/apps-auth.yaml: skipped: the generated placeholder, not a real ciphertext (seal it with flux-sops secret git staging --tenant apps)',
        '1 file would be updated, 1 up to date, 1 placeholder skipped (dry run: nothing was written).',
        '',
      ].join('\n'),
    );
  });

  it('reports a rotation', () => {
    const rotated: FilePlan[] = [
      {
        kind: 'rewrite',
        path: 'secrets/production/app.yaml',
        target: { kms: [PRODUCTION_KMS], age: [] },
        added: [],
        removed: [],
      },
    ];
    assert.equal(
      formatReport('rotate', { environments: ['production'], plans: rotated, written: true }, false),
      'secrets/production/app.yaml: new data key, every value re-encrypted\n1 file got a new data key.\n',
    );
  });

  it('says when there is nothing to do', () => {
    assert.equal(
      formatReport('updatekeys', { environments: ['qa'], plans: [], written: false }, false),
      'No SOPS-encrypted files under secrets/qa/: nothing to do.\n',
    );
  });

  it('keeps control characters of a file name out of the terminal', () => {
    const text = formatReport(
      'updatekeys',
      {
        environments: ['x'],
        plans: [{ kind: 'up-to-date', path: 'secrets/x/a\u001b[2Jb.yaml', target: { kms: [], age: [] } }],
        written: false,
      },
      false,
    );
    assert.ok(text.startsWith('secrets/x/a?[2Jb.yaml: up to date\n'));
  });
});

/** A fleet folder with the given files. */
function writeFleet(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'flux-sops-keys-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The fleet's files by path (test/support.ts reads them), as a map. */
const snapshot = (root: string): Map<string, string> => new Map(Object.entries(readTree(root)));

const SOPS_CONFIG = stringify({
  creation_rules: [rule('staging', STAGING_KMS, BACKUP_AGE), rule('production', PRODUCTION_KMS)],
});

describe('updatekeys and rotate: the run', () => {
  let root: string;
  beforeEach(() => {
    root = writeFleet({
      '.sops.yaml': SOPS_CONFIG,
      '.yo-rc.json': JSON.stringify({
        'generator-flux-sops': { environments: ['staging', 'production', { name: 'qa' }] },
      }),
      'secrets/production/app.yaml': sealedText('app', { kms: [PRODUCTION_KMS], age: [OTHER_AGE] }),
      'secrets/production/kustomization.yaml': KUSTOMIZATION,
      'secrets/staging/a.yaml': sealedText('a', { kms: [STAGING_KMS], age: [] }),
      'secrets/staging/nested/b.yml': sealedText('b', { kms: [STAGING_KMS], age: [] }),
      'secrets/staging/apps-auth.yaml': placeholderText(),
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Stand-ins for the SOPS module: mark the text, or refuse one file as a KMS endpoint would. */
  function operations(calls: string[], refuse?: string): KeyOperations {
    const compute = (name: string) => async (text: string, target: MasterKeys) => {
      calls.push(`${name} ${/name: (\w+)/.exec(text)?.[1]} ${[...target.kms, ...target.age].join(' ')}`);
      if (refuse !== undefined && text.includes(`name: ${refuse}\n`)) {
        throw new FluxSopsError(
          'key',
          `AWS KMS key ${STAGING_KMS} refused to wrap the data key: AccessDeniedException`,
        );
      }
      return `# ${name}\n${text}`;
    };
    return { masterKeysOfRule, updateKeys: compute('updatekeys'), rotateDataKey: compute('rotate') };
  }

  /** The real disk, and a terminal that prints nothing (the report's text is tested above). */
  function quietPorts(): Ports {
    const real = processPorts();
    return { ...real, terminal: { ...real.terminal, out: () => undefined, err: () => undefined } };
  }

  it('knows the environments from secrets/ and the stored answers; an unknown one is exit 2', () => {
    assert.deepEqual(environmentsOf(fleetDisk(root)), ['production', 'qa', 'staging']);
    assert.deepEqual(selectEnvironments(fleetDisk(root), ['staging', 'production']), ['production', 'staging']);
    assert.throws(() => selectEnvironments(fleetDisk(root), ['prod', 'staging']), {
      message: 'unknown environment "prod": this fleet has production, qa, staging',
      code: 2,
    });
  });

  it('rewrites the files that differ from their rule, and only those', async () => {
    const filesBefore = [...snapshot(root).keys()];
    const calls: string[] = [];
    const result = await runKeys(
      { command: 'updatekeys', root, environments: [], dryRun: false },
      quietPorts(),
      operations(calls),
    );
    assert.equal(result.written, true);
    assert.deepEqual(calls.sort(), [
      `updatekeys a ${STAGING_KMS} ${BACKUP_AGE}`,
      `updatekeys app ${PRODUCTION_KMS}`,
      `updatekeys b ${STAGING_KMS} ${BACKUP_AGE}`,
    ]);
    assert.ok(readFileSync(join(root, 'secrets/staging/nested/b.yml'), 'utf8').startsWith('# updatekeys\n'));
    assert.equal(readFileSync(join(root, 'secrets/production/kustomization.yaml'), 'utf8'), KUSTOMIZATION);
    assert.equal(readFileSync(join(root, 'secrets/staging/apps-auth.yaml'), 'utf8'), placeholderText());
    assert.deepEqual([...snapshot(root).keys()], filesBefore, 'no file is added: no temporary file is left behind');
  });

  it('works on the named environments only', async () => {
    const calls: string[] = [];
    await runKeys(
      { command: 'rotate', root, environments: ['production'], dryRun: false },
      quietPorts(),
      operations(calls),
    );
    assert.deepEqual(calls, [`rotate app ${PRODUCTION_KMS}`]);
  });

  it('calls no key and writes nothing in a dry run', async () => {
    const before = snapshot(root);
    const calls: string[] = [];
    const result = await runKeys(
      { command: 'updatekeys', root, environments: [], dryRun: true },
      quietPorts(),
      operations(calls),
    );
    assert.deepEqual(calls, []);
    assert.equal(result.written, false);
    assert.deepEqual(
      result.plans.map((plan) => `${plan.kind} ${plan.path}`),
      [
        'rewrite secrets/production/app.yaml',
        'rewrite secrets/staging/a.yaml',
        'placeholder secrets/staging/apps-auth.yaml',
        'rewrite secrets/staging/nested/b.yml',
      ],
    );
    assert.deepEqual(snapshot(root), before);
  });

  it('writes nothing when one file fails, and names it', async () => {
    const before = snapshot(root);
    await assert.rejects(
      runKeys(
        { command: 'updatekeys', root, environments: [], dryRun: false, concurrency: 1 },
        quietPorts(),
        operations([], 'b'),
      ),
      {
        message: `secrets/staging/nested/b.yml: AWS KMS key ${STAGING_KMS} refused to wrap the data key: AccessDeniedException\nNo file was written.`,
        code: 1,
      },
    );
    assert.deepEqual(snapshot(root), before);
  });

  it('keeps each file permission bits', async () => {
    chmodSync(join(root, 'secrets/staging/a.yaml'), 0o640);
    await runKeys({ command: 'rotate', root, environments: ['staging'], dryRun: false }, quietPorts(), operations([]));
    assert.equal(statSync(join(root, 'secrets/staging/a.yaml')).mode & 0o777, 0o640);
  });

  it('refuses to write over a file changed since it was read', () => {
    assert.throws(
      () =>
        commitRewrites(fleetDisk(root), [{ path: 'secrets/staging/a.yaml', before: 'something else', after: 'new' }]),
      {
        message: 'changed while flux-sops ran: secrets/staging/a.yaml. Nothing was written; run the command again.',
        code: 1,
      },
    );
  });

  it('writes nothing when one file cannot be written', () => {
    symlinkSync('a.yaml', join(root, 'secrets/staging/link.yaml'));
    const before = snapshot(root);
    assert.throws(
      () =>
        commitRewrites(fleetDisk(root), [
          {
            path: 'secrets/staging/nested/b.yml',
            before: before.get('secrets/staging/nested/b.yml') ?? '',
            after: 'new b',
          },
          { path: 'secrets/staging/link.yaml', before: before.get('secrets/staging/a.yaml') ?? '', after: 'new a' },
        ]),
      {
        message: `Cannot write into ${root}:\n  secrets/staging/link.yaml: is a symbolic link: nothing is written through one (it could point outside the fleet)\nNothing was written. Fix these and run again.`,
        code: 1,
      },
    );
    assert.deepEqual(snapshot(root), before);
  });
});

describe('updatekeys and rotate: --help', () => {
  it('names the environments and the options with placeholders', () => {
    for (const command of ['updatekeys', 'rotate'] as const) {
      const text = helpText(keysCommands[command]);
      assert.ok(text.startsWith(`Usage: flux-sops ${command} [<env>…] [options]\n`), text);
      for (const line of ['  --dry-run ', '  --cwd <dir> ', '  --help ', 'SOPS_AGE_KEY_FILE or SOPS_AGE_KEY']) {
        assert.ok(text.includes(line), `${command} --help lacks ${line}`);
      }
    }
    assert.ok(helpText(keysCommands.rotate).includes('Git history keeps the old ciphertexts'));
  });
});
