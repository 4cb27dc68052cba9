// `flux-sops secret generic <name> --namespace N --out PATH` in a tenant's repository: a folder
// whose nearest .sops.yaml has no fleet beside it. Sealed for a real age recipient of the rule
// PATH matches (the other rule's identity cannot open it), nothing listed, no plaintext on disk.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { parse } from 'yaml';
import { decryptDocument } from '../src/sops/index.js';
import { runCliInProcess } from './cli-runner.js';
import { HTTPS_ANSWERS, filesContaining, makeFleet } from './fixtures/secret/fleet.js';
import { setEnv } from './helpers/local-kms.js';

describe("flux-sops secret generic --out, in a tenant's repository", function () {
  this.timeout(60_000);
  const folders: string[] = [];
  let identity: string;
  let other: string;
  let restore: () => void;

  before(async () => {
    identity = await generateIdentity();
    other = await generateIdentity();
    restore = setEnv({ CI: undefined });
  });
  after(() => {
    restore();
    folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
  });

  /** A tenant repository: a .sops.yaml as the fleet gives it (one rule per environment), no .yo-rc.json. */
  const tenantRepository = async (): Promise<string> => {
    const root = mkdtempSync(join(tmpdir(), 'tenant-repo-'));
    folders.push(root);
    writeFileSync(
      join(root, '.sops.yaml'),
      [
        'creation_rules:',
        '  - path_regex: "^deploy/staging/.+\\\\.ya?ml$"',
        '    encrypted_regex: "^(data|stringData)$"',
        `    age: ${await identityToRecipient(identity)}`,
        '  - path_regex: "^deploy/production/.+\\\\.ya?ml$"',
        '    encrypted_regex: "^(data|stringData)$"',
        `    age: ${await identityToRecipient(other)}`,
        '',
      ].join('\n'),
    );
    mkdirSync(join(root, 'deploy/staging'), { recursive: true });
    writeFileSync(join(root, 'deploy/staging/kustomization.yaml'), 'resources: []\n');
    return root;
  };

  it('seals into PATH by the first rule matching it, from a subfolder, and lists nothing', async () => {
    const root = await tenantRepository();
    const started = Date.now() - 1000;
    const value = `v-${randomBytes(12).toString('hex')}`;
    const kustomization = readFileSync(join(root, 'deploy/staging/kustomization.yaml'), 'utf8');
    const result = await runCliInProcess([
      'secret',
      'generic',
      'db',
      '--namespace',
      'team-a',
      '--out',
      'db.yaml',
      '--from-literal',
      `password=${value}`,
      '--cwd',
      join(root, 'deploy/staging'),
    ]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout, '');
    assert.ok(!result.stderr.includes(value));
    assert.match(
      result.stderr,
      /^Sealed deploy\/staging\/db\.yaml in .+: Secret team-a\/db \(password\) for 1 age recipient\.$/m,
    );
    assert.match(
      result.stderr,
      /^Nothing was listed: add it to the kustomization of your repository that Flux applies\.$/m,
    );
    const sealed = readFileSync(join(root, 'deploy/staging/db.yaml'), 'utf8');
    assert.equal(
      readFileSync(join(root, 'deploy/staging/kustomization.yaml'), 'utf8'),
      kustomization,
      'the tenant kustomization is theirs',
    );
    assert.deepEqual(
      ((await decryptDocument(sealed, { ageIdentities: [identity] })).document as { stringData: unknown }).stringData,
      { password: value },
    );
    await assert.rejects(
      decryptDocument(sealed, { ageIdentities: [other] }),
      /No master key of the file could decrypt its data key/,
      "production's identity cannot open staging's file",
    );
    const metadata = (parse(sealed) as { sops: { age: { recipient: string }[]; encrypted_regex: string } }).sops;
    assert.deepEqual(
      metadata.age.map((entry) => entry.recipient),
      [await identityToRecipient(identity)],
    );
    assert.equal(metadata.encrypted_regex, '^(data|stringData)$');
    assert.deepEqual([...filesContaining(root, [value]), ...filesContaining(tmpdir(), [value], started)], []);
    assert.deepEqual(readdirSync(join(root, 'deploy/staging')).sort(), ['db.yaml', 'kustomization.yaml']);
  });

  it('refuses a rule whose selectors would leave a value in clear: exit 2, nothing written, no plaintext anywhere', async () => {
    const selectors = ['encrypted_regex: "^data$"', 'unencrypted_suffix: "word"', 'encrypted_suffix: "_secret"'];
    for (const selector of selectors) {
      const root = mkdtempSync(join(tmpdir(), 'tenant-repo-'));
      folders.push(root);
      writeFileSync(
        join(root, '.sops.yaml'),
        `creation_rules:\n  - path_regex: "^deploy/.+\\\\.ya?ml$"\n    ${selector}\n` +
          `    age: ${await identityToRecipient(identity)}\n`,
      );
      mkdirSync(join(root, 'deploy'), { recursive: true });
      const started = Date.now() - 1000;
      const value = `v-${randomBytes(12).toString('hex')}`;
      const result = await runCliInProcess(
        ['secret', 'generic', 'db', '--namespace', 'team-a', '--out', 'deploy/db.yaml'].concat([
          '--from-literal',
          `password=${value}`,
          '--cwd',
          root,
        ]),
      );
      assert.equal(result.status, 2, `${selector}: ${result.stderr}`);
      assert.match(
        result.stderr,
        /^flux-sops: The \.sops\.yaml rule for this file would leave stringData\.password unencrypted .*: nothing was written\./m,
        selector,
      );
      assert.ok(!result.stderr.includes(value) && !result.stdout.includes(value), selector);
      assert.deepEqual(readdirSync(join(root, 'deploy')), [], selector);
      assert.deepEqual([...filesContaining(root, [value]), ...filesContaining(tmpdir(), [value], started)], []);
    }
  });

  it('refuses a path no rule covers, a path outside the repository, a missing namespace, and a fleet', async () => {
    const root = await tenantRepository();
    const run = (args: string[]) =>
      runCliInProcess(['secret', 'generic', 'db', ...args, '--from-literal', 'k=v', '--cwd', root]);
    const uncovered = await run(['--namespace', 'team-a', '--out', 'other/db.yaml']);
    assert.equal(uncovered.status, 2);
    assert.equal(
      uncovered.stderr,
      `flux-sops: No creation rule in ${join(root, '.sops.yaml')} matches other/db.yaml, so it has no key to be sealed for (sops would refuse it too); nothing was written\n`,
    );
    const outside = await run(['--namespace', 'team-a', '--out', '../db.yaml']);
    assert.equal(
      outside.stderr,
      `flux-sops: Invalid --out "../db.yaml": a .yaml or .yml file inside ${root}, the folder of .sops.yaml\n`,
    );
    const noNamespace = await run(['--out', 'deploy/staging/db.yaml']);
    assert.equal(
      noNamespace.stderr,
      "flux-sops: Missing --namespace <namespace>: in a tenant's repository, the Secret goes to the tenant's namespace\n",
    );
    assert.deepEqual(readdirSync(join(root, 'deploy/staging')), ['kustomization.yaml']);

    const fleet = makeFleet(HTTPS_ANSWERS, 'tenant-vs-fleet-');
    folders.push(fleet);
    const inFleet = await runCliInProcess([
      'secret',
      'generic',
      'db',
      '--namespace',
      'flux-system',
      '--out',
      'secrets/staging/db.yaml',
      '--from-literal',
      'k=v',
      '--cwd',
      fleet,
    ]);
    assert.equal(inFleet.status, 2);
    assert.equal(
      inFleet.stderr,
      `flux-sops: --out is for a tenant's repository, and ${fleet} is a fleet (its .yo-rc.json holds generator-flux-sops answers): seal with flux-sops secret generic <env> <name>\n`,
    );
  });
});
