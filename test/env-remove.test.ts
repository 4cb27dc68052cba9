// `flux-sops env remove <name>` (and `env add`, the canonical form of `env <name>`): removal
// deletes exactly what the generator wrote for the environment, edits `.sops.yaml`, README and
// `.yo-rc.json` as documents, keeps sealed Secrets and edited files without --force, and leaves a
// fleet that `flux-sops check` passes and `kubectl kustomize` builds, like one generated without it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import { exitStatusFor } from '../src/check/findings.js';
import { listResource } from '../src/fleet/kustomization.js';
import { runCliInProcess } from './cli-runner.js';
import { HTTPS_ANSWERS, makeFleet, sealedLooking } from './fixtures/secret/fleet.js';
import { buildKustomizeFolders, requireKubectl } from './fleet-checks.js';
import { hashTree, readTree } from './support.js';

const STAGING_FILES = [
  'clusters/staging/flux-system/gotk-components.yaml',
  'clusters/staging/flux-system/gotk-sync.yaml',
  'clusters/staging/flux-system/kustomization.yaml',
  'clusters/staging/secrets.yaml',
  'clusters/staging/tenants.yaml',
  'iam/staging/kms-decrypt-policy.json',
  'iam/staging/kms-encrypt-policy.json',
  'iam/staging/trust-policy.json',
  'secrets/staging/apps-auth.yaml',
  'secrets/staging/kustomization.yaml',
  'tenants/staging/apps/kustomization.yaml',
  'tenants/staging/apps/rbac.yaml',
  'tenants/staging/apps/sync.yaml',
  'tenants/staging/kustomization.yaml',
];

describe('flux-sops env remove', function () {
  this.timeout(60_000);
  const fleets: string[] = [];
  const fleet = (answers = HTTPS_ANSWERS): string => {
    const root = makeFleet(answers, 'env-remove-');
    fleets.push(root);
    return root;
  };
  after(() => fleets.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it('removes exactly what the generator wrote, edits the documents, and leaves what a fleet without it would be', async function () {
    requireKubectl(this);
    const root = fleet();
    const sopsConfig = readFileSync(join(root, '.sops.yaml'), 'utf8');
    writeFileSync(
      join(root, '.sops.yaml'),
      sopsConfig.replace('creation_rules:\n', 'creation_rules:\n  # our own note, kept\n'),
    );
    writeFileSync(join(root, 'clusters/staging/notes.txt'), 'ours\n');
    const before = readTree(root);
    const result = await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(
      result.stdout,
      [
        'Removed the environment staging: 14 files deleted; .sops.yaml, README.md, .yo-rc.json updated.',
        'Left in place, not written by flux-sops: clusters/staging/notes.txt.',
        '',
        'Next: git add --all clusters/staging tenants/staging secrets/staging iam/staging .sops.yaml README.md .yo-rc.json && git commit -m "Remove the environment staging" && git push',
        '',
        'AWS clean-up for staging (printed, not run):',
        '  On the staging cluster: flux uninstall (or delete the cluster), before its role goes.',
        '  aws iam delete-role-policy --role-name flux-kms-decryptor-staging --policy-name flux-sops-decrypt',
        '  aws iam delete-role --role-name flux-kms-decryptor-staging',
        '  Remove the policy flux-sops-encrypt-staging from the people and CI jobs that sealed for staging.',
        '  KEY_ARN=$(aws kms describe-key --region eu-west-1 --key-id arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging --query KeyMetadata.Arn --output text)',
        '  aws kms delete-alias --region eu-west-1 --alias-name alias/flux-sops-staging',
        '  aws kms schedule-key-deletion --region eu-west-1 --key-id "$KEY_ARN" --pending-window-in-days 30',
        '    (last, once no file in Git history needs the key: aws kms cancel-key-deletion undoes it within the 30 days)',
        '',
      ].join('\n'),
    );
    const after = readTree(root);
    assert.deepEqual(
      Object.keys(before).filter((path) => !(path in after)),
      STAGING_FILES,
      'exactly the files the generator wrote for staging are gone',
    );
    assert.equal(after['clusters/staging/notes.txt'], 'ours\n');
    assert.ok(
      !existsSync(join(root, 'secrets/staging')) &&
        !existsSync(join(root, 'iam/staging')) &&
        !existsSync(join(root, 'clusters/staging/flux-system')),
    );

    // What a fleet generated with production alone has, byte for byte, the comment of the user aside.
    const alone = readTree(fleet({ ...HTTPS_ANSWERS, environments: ['production'] }));
    assert.equal(
      after['.sops.yaml'],
      alone['.sops.yaml']?.replace('creation_rules:\n', 'creation_rules:\n  # our own note, kept\n'),
    );
    assert.equal(after['README.md'], alone['README.md']);
    assert.deepEqual(JSON.parse(after['.yo-rc.json'] ?? ''), JSON.parse(alone['.yo-rc.json'] ?? ''));
    for (const [path, contents] of Object.entries(alone).filter(
      ([path]) => !['.sops.yaml', '.yo-rc.json'].includes(path),
    )) {
      assert.equal(after[path], contents, path);
    }

    const findings = checkFleet(readFleetFiles(root));
    assert.equal(exitStatusFor(findings), 0, JSON.stringify(findings, null, 2));
    assert.deepEqual(Object.keys(buildKustomizeFolders(root, after)).sort(), [
      'clusters/production/flux-system',
      'secrets/production',
      'tenants/production',
      'tenants/production/apps',
    ]);
  });

  it('keeps a sealed Secret and an edited file without --force (exit 1, nothing removed); --force removes them', async function () {
    requireKubectl(this);
    const root = fleet();
    writeFileSync(
      join(root, 'secrets/staging/db.yaml'),
      sealedLooking(readFileSync(join(root, 'secrets/staging/apps-auth.yaml'), 'utf8'), 'db'),
    );
    // Listed as flux-sops secret lists it: the kustomization does not count as edited for that.
    const kustomization = join(root, 'secrets/staging/kustomization.yaml');
    writeFileSync(
      kustomization,
      listResource(readFileSync(kustomization, 'utf8'), 'db.yaml', 'secrets/staging/kustomization.yaml') ?? '',
    );
    writeFileSync(
      join(root, 'clusters/staging/secrets.yaml'),
      `${readFileSync(join(root, 'clusters/staging/secrets.yaml'), 'utf8')}# tuned by us\n`,
    );
    const before = hashTree(root);
    const refused = await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]);
    assert.equal(refused.status, 1);
    assert.equal(refused.stdout, '');
    assert.equal(
      refused.stderr,
      [
        'flux-sops: staging has files that are not as flux-sops wrote them, so nothing was removed:',
        '  secrets/staging/db.yaml  (a sealed Secret)',
        '  clusters/staging/secrets.yaml  (edited)',
        'Run again with --force to remove them too (Git history keeps what is removed).',
        '',
      ].join('\n'),
    );
    assert.equal(hashTree(root), before, 'nothing changed');

    const forced = await runCliInProcess(['env', 'remove', 'staging', '--force', '--cwd', root]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(
      forced.stdout,
      /^Removed the environment staging: 15 files deleted \(1 sealed Secret\); \.sops\.yaml, README\.md, \.yo-rc\.json updated\.$/m,
    );
    assert.ok(!existsSync(join(root, 'secrets/staging')) && !existsSync(join(root, 'clusters/staging')));
    const findings = checkFleet(readFleetFiles(root));
    assert.equal(exitStatusFor(findings), 0, JSON.stringify(findings, null, 2));
    buildKustomizeFolders(root, readTree(root));
  });

  it('counts a kustomization that lists more than sealed Secrets as edited', async () => {
    const root = fleet();
    const kustomization = join(root, 'secrets/staging/kustomization.yaml');
    writeFileSync(
      kustomization,
      listResource(readFileSync(kustomization, 'utf8'), 'extra.yaml', 'secrets/staging/kustomization.yaml') ?? '',
    );
    const refused = await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^ {2}secrets\/staging\/kustomization\.yaml {2}\(edited\)$/m);
  });

  it('refuses the last environment and an unknown one (exit 2, nothing removed)', async () => {
    const root = fleet({ ...HTTPS_ANSWERS, environments: ['production'] });
    const before = hashTree(root);
    const last = await runCliInProcess(['env', 'remove', 'production', '--cwd', root]);
    assert.deepEqual(last, {
      status: 2,
      stdout: '',
      stderr:
        'flux-sops: production is the last environment of this fleet: a fleet keeps at least one (delete the repository instead); nothing was removed\n',
    });
    const unknown = await runCliInProcess(['env', 'remove', '../etc', '--cwd', root]);
    assert.deepEqual(unknown, {
      status: 2,
      stdout: '',
      stderr: 'flux-sops: Unknown environment "../etc": this fleet has production; nothing was removed\n',
    });
    const two = await runCliInProcess(['env', 'remove', 'a', 'b', '--cwd', root]);
    assert.equal(
      two.stderr,
      'flux-sops: flux-sops env remove takes exactly one environment name, got 2\nUsage: flux-sops env remove <name> [options]\n',
    );
    assert.equal(hashTree(root), before);
  });

  it('Terraform: keeps terraform/<env>/ and prints how to destroy it; Pod Identity: the association is in the clean-up', async () => {
    const root = fleet({ ...HTTPS_ANSWERS, iac: 'terraform', identity: 'pod-identity' });
    const result = await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(existsSync(join(root, 'terraform/staging/main.tf')), 'terraform/staging/ is kept for terraform destroy');
    assert.match(
      result.stdout,
      /^ {2}terraform\/staging\/ was kept: it \(and its Terraform state\) manages the environment's key and role\. Then:$/m,
    );
    assert.match(
      result.stdout,
      /^ {4}2\. terraform -chdir=terraform\/staging init && terraform -chdir=terraform\/staging destroy$/m,
    );
    assert.match(result.stdout, /^ {4}3\. git rm -r terraform\/staging && git commit && git push$/m);

    const manual = fleet({ ...HTTPS_ANSWERS, identity: 'pod-identity' });
    const podIdentity = await runCliInProcess(['env', 'remove', 'staging', '--cwd', manual]);
    assert.match(
      podIdentity.stdout,
      /^ {2}aws eks delete-pod-identity-association --region eu-west-1 --cluster-name staging --association-id "\$ASSOCIATION_ID"$/m,
    );
  });

  it('env add <name> adds as env <name> does; add, remove and list are no environment names', async () => {
    const root = fleet();
    const added = await runCliInProcess(['env', 'add', 'qa', '--no-interactive', '--cwd', root]);
    assert.equal(added.status, 0, added.stderr);
    assert.ok(existsSync(join(root, 'secrets/qa/apps-auth.yaml')));
    const reserved = await runCliInProcess(['env', 'add', 'list', '--no-interactive', '--cwd', root]);
    assert.equal(reserved.status, 2);
    assert.match(
      reserved.stderr,
      /"list".*is a word of the flux-sops commands \(add, remove, list: flux-sops env add\|remove <name>\): choose another name/,
    );
    const removed = await runCliInProcess(['env', 'remove', 'qa', '--cwd', root]);
    assert.equal(removed.status, 0, removed.stderr);
    assert.ok(!existsSync(join(root, 'secrets/qa')));
  });
});
