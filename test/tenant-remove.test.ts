// `flux-sops tenant remove <name>`: removal deletes exactly what the generator wrote for the
// tenant, edits its environments' listings, the README and `.yo-rc.json` as documents, keeps
// sealed credentials and edited files without --force, and leaves a fleet that `flux-sops check`
// passes and `kubectl kustomize` builds, byte for byte the fleet generated without the tenant.
// `env remove` takes an environment out of every tenant's list, and refuses a tenant's last.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import { exitStatusFor } from '../src/check/findings.js';
import type { RawAnswers } from '../src/fleet/answers.js';
import { listResource, unlistResource } from '../src/fleet/kustomization.js';
import { runCliInProcess } from './cli-runner.js';
import { HTTPS_ANSWERS, makeFleet, sealedLooking } from './fixtures/secret/fleet.js';
import { buildKustomizeFolders, requireKubectl } from './fleet-checks.js';
import { hashTree, readTree } from './support.js';

const APPS = { name: 'apps', repoUrl: 'https://github.com/acme/apps.git' };
const BILLING = {
  name: 'billing',
  namespace: 'payments',
  repoUrl: 'ssh://git@github.com/acme/billing.git',
  environments: ['staging'],
};
const SHOP = { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', branch: 'release' };
const { repoUrl: _shorthand, ...FLEET } = HTTPS_ANSWERS;
const tenantsFleet = (tenants: readonly object[]): RawAnswers => ({ ...FLEET, tenants });

describe('flux-sops tenant remove', function () {
  this.timeout(60_000);
  const fleets: string[] = [];
  const fleet = (answers: RawAnswers): string => {
    const root = makeFleet(answers, 'tenant-remove-');
    fleets.push(root);
    return root;
  };
  after(() => fleets.forEach((root) => rmSync(root, { recursive: true, force: true })));

  it('removes exactly what the generator wrote, edits the listings and documents, and leaves the fleet generated without it', async function () {
    requireKubectl(this);
    const root = fleet(tenantsFleet([APPS, SHOP, BILLING]));
    const listing = join(root, 'tenants/production/kustomization.yaml');
    writeFileSync(
      listing,
      readFileSync(listing, 'utf8').replace('resources:\n', 'resources:\n  # our own note, kept\n'),
    );
    writeFileSync(join(root, 'tenants/staging/shop/notes.txt'), 'ours\n');
    const before = readTree(root);
    const result = await runCliInProcess(['tenant', 'remove', 'shop', '--cwd', root]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(
      result.stdout,
      [
        'Removed the tenant shop: 8 files deleted; tenants/staging/kustomization.yaml, secrets/staging/kustomization.yaml, tenants/production/kustomization.yaml, secrets/production/kustomization.yaml, README.md, .yo-rc.json updated.',
        'Left in place, not written by flux-sops: tenants/staging/shop/notes.txt.',
        '',
        'Next: flux-sops check && git add --all tenants/staging/shop tenants/production/shop secrets/production/shop-auth.yaml secrets/staging/shop-auth.yaml tenants/staging/kustomization.yaml secrets/staging/kustomization.yaml tenants/production/kustomization.yaml secrets/production/kustomization.yaml README.md .yo-rc.json && git commit -m "Remove the tenant shop" && git push',
        '',
        'Clean-up for shop (printed, not run):',
        '  Once pushed, Flux prunes shop from staging, production: its Kustomization, GitRepository, ServiceAccount and RoleBinding, and its namespace shop with everything in it.',
        '  At the Git host of https://github.com/acme/shop.git: revoke the read-only deploy key or token that shop-auth held.',
        '  AWS: nothing to delete, shop has no key or role of its own (it does not decrypt).',
        '',
      ].join('\n'),
    );
    const after = readTree(root);
    assert.deepEqual(
      Object.keys(before).filter((path) => !(path in after)),
      [
        'secrets/production/shop-auth.yaml',
        'secrets/staging/shop-auth.yaml',
        'tenants/production/shop/kustomization.yaml',
        'tenants/production/shop/rbac.yaml',
        'tenants/production/shop/sync.yaml',
        'tenants/staging/shop/kustomization.yaml',
        'tenants/staging/shop/rbac.yaml',
        'tenants/staging/shop/sync.yaml',
      ],
      'exactly the files the generator wrote for shop are gone',
    );
    assert.ok(!existsSync(join(root, 'tenants/production/shop')));

    // What a fleet generated without shop has, byte for byte (the note and comment of the user aside).
    const without = readTree(fleet(tenantsFleet([APPS, BILLING])));
    assert.equal(
      after['tenants/production/kustomization.yaml'],
      without['tenants/production/kustomization.yaml']?.replace('resources:\n', 'resources:\n  # our own note, kept\n'),
    );
    assert.deepEqual(JSON.parse(after['.yo-rc.json'] ?? ''), JSON.parse(without['.yo-rc.json'] ?? ''));
    const ours = ['.yo-rc.json', 'tenants/production/kustomization.yaml', 'tenants/staging/shop/notes.txt'];
    assert.deepEqual(
      Object.keys(after).filter((path) => !ours.includes(path)),
      Object.keys(without).filter((path) => !ours.includes(path)),
    );
    for (const [path, contents] of Object.entries(without).filter(([path]) => !ours.includes(path))) {
      assert.equal(after[path], contents, path);
    }

    const findings = checkFleet(readFleetFiles(root));
    assert.equal(exitStatusFor(findings), 0, JSON.stringify(findings, null, 2));
    buildKustomizeFolders(root, after);

    // The tenant of one environment: its listings there only; the last tenant there leaves `resources: []`.
    const billing = await runCliInProcess(['tenant', 'remove', 'billing', '--cwd', root]);
    assert.equal(billing.status, 0, billing.stderr);
    assert.match(
      billing.stdout,
      /^Removed the tenant billing: 4 files deleted; tenants\/staging\/kustomization\.yaml, secrets\/staging\/kustomization\.yaml, README\.md, \.yo-rc\.json updated\.$/m,
    );
    const appsAlone = readTree(fleet(tenantsFleet([APPS])));
    for (const path of [
      'README.md',
      'tenants/staging/kustomization.yaml',
      'secrets/staging/kustomization.yaml',
      'secrets/production/kustomization.yaml',
    ]) {
      assert.equal(readFileSync(join(root, path), 'utf8'), appsAlone[path], path);
    }
    assert.equal(exitStatusFor(checkFleet(readFleetFiles(root))), 0);
  });

  it('keeps sealed credentials and an edited file without --force (exit 1, nothing removed); --force removes them', async function () {
    requireKubectl(this);
    const root = fleet(tenantsFleet([APPS, BILLING]));
    const auth = join(root, 'secrets/staging/billing-auth.yaml');
    writeFileSync(auth, sealedLooking(readFileSync(auth, 'utf8'), 'billing-auth'));
    // Listed as flux-sops secret git lists it: in place of the marked comment line.
    const secrets = join(root, 'secrets/staging/kustomization.yaml');
    writeFileSync(
      secrets,
      listResource(readFileSync(secrets, 'utf8'), 'billing-auth.yaml', 'secrets/staging/kustomization.yaml') ?? '',
    );
    const sync = join(root, 'tenants/staging/billing/sync.yaml');
    writeFileSync(sync, `${readFileSync(sync, 'utf8')}# tuned by us\n`);
    const before = hashTree(root);
    const refused = await runCliInProcess(['tenant', 'remove', 'billing', '--cwd', root]);
    assert.deepEqual(refused, {
      status: 1,
      stdout: '',
      stderr: [
        'flux-sops: The tenant billing has files that are not as flux-sops wrote them, so nothing was removed:',
        '  secrets/staging/billing-auth.yaml  (a sealed Secret)',
        '  tenants/staging/billing/sync.yaml  (edited)',
        'Run again with --force to remove them too (Git history keeps what is removed).',
        '',
      ].join('\n'),
    });
    assert.equal(hashTree(root), before, 'nothing changed');

    const forced = await runCliInProcess(['tenant', 'remove', 'billing', '--force', '--cwd', root]);
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stdout, /^Removed the tenant billing: 4 files deleted \(1 sealed Secret\); /m);
    const after = readTree(root);
    const alone = readTree(fleet(tenantsFleet([APPS])));
    assert.equal(
      after['secrets/staging/kustomization.yaml'],
      alone['secrets/staging/kustomization.yaml'],
      'the sealed entry is unlisted',
    );
    assert.ok(!existsSync(auth) && !existsSync(join(root, 'tenants/staging/billing')));
    assert.equal(exitStatusFor(checkFleet(readFleetFiles(root))), 0);
    buildKustomizeFolders(root, after);
  });

  it('refuses the last tenant (the repoUrl shorthand too) and an unknown one (exit 2, nothing removed)', async () => {
    const shorthand = fleet(HTTPS_ANSWERS);
    const before = hashTree(shorthand);
    assert.deepEqual(await runCliInProcess(['tenant', 'remove', 'apps', '--cwd', shorthand]), {
      status: 2,
      stdout: '',
      stderr:
        'flux-sops: apps is the last tenant of this fleet: a fleet keeps at least one (add another first: flux-sops tenant add <name> --repo-url <url>); nothing was removed\n',
    });
    assert.deepEqual(await runCliInProcess(['tenant', 'remove', '../../etc', '--cwd', shorthand]), {
      status: 2,
      stdout: '',
      stderr: 'flux-sops: Unknown tenant "../../etc": this fleet has apps; nothing was removed\n',
    });
    const two = await runCliInProcess(['tenant', 'remove', 'a', 'b', '--cwd', shorthand]);
    assert.equal(
      two.stderr,
      'flux-sops: flux-sops tenant remove takes exactly one tenant name, got 2\nUsage: flux-sops tenant remove <name> [options]\n',
    );
    assert.equal(hashTree(shorthand), before);
    const help = await runCliInProcess(['tenant', 'remove', '--help']);
    assert.match(help.stdout, /^Usage: flux-sops tenant remove <name> \[options\]$/m);
    assert.match(
      help.stdout,
      /^ {2}--force {2,}Also remove sealed credentials and edited files \(Git history keeps them\)$/m,
    );
  });
});

describe('unlistResource', () => {
  it('takes an entry out of a list written in flow style or with ./ as a document, comments kept; undefined when not named', () => {
    const path = 'tenants/staging/kustomization.yaml';
    assert.equal(
      unlistResource('# ours\nresources: [apps, ./shop] # tenants\n', 'shop', path),
      '# ours\nresources: [ apps ] # tenants\n',
    );
    assert.equal(unlistResource('resources:\n  - ./shop # the shop\n', 'shop', path), 'resources: []\n');
    assert.equal(unlistResource('resources:\n  - apps\n', 'shop', path), undefined);
    assert.throws(() => unlistResource('resources: [apps\n', 'shop', path), {
      message:
        'tenants/staging/kustomization.yaml is not valid YAML (line 2, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]); nothing was written',
    });
  });
});

describe('flux-sops env remove with tenants', function () {
  this.timeout(60_000);
  let root = '';
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('refuses the last environment of a tenant (exit 2, nothing removed)', async () => {
    root = makeFleet(tenantsFleet([APPS, BILLING]), 'tenant-env-remove-');
    const before = hashTree(root);
    assert.deepEqual(await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]), {
      status: 2,
      stdout: '',
      stderr:
        'flux-sops: staging is the last environment of the tenant billing: remove it first (flux-sops tenant remove <name>); nothing was removed\n',
    });
    assert.equal(hashTree(root), before);
  });

  it('takes the environment out of every tenant stored with a list, and leaves the fleet generated without it', async () => {
    root = makeFleet(
      tenantsFleet([APPS, { ...BILLING, environments: ['staging', 'production'] }]),
      'tenant-env-remove-',
    );
    const result = await runCliInProcess(['env', 'remove', 'staging', '--cwd', root]);
    assert.equal(result.status, 0, result.stderr);
    const stored = JSON.parse(readFileSync(join(root, '.yo-rc.json'), 'utf8'))['generator-flux-sops'];
    assert.deepEqual(stored.tenants, [
      { name: 'apps', repoUrl: 'https://github.com/acme/apps.git', environments: 'all' },
      {
        name: 'billing',
        namespace: 'payments',
        repoUrl: 'ssh://git@github.com/acme/billing.git',
        environments: ['production'],
      },
    ]);
    const without = makeFleet(
      { ...tenantsFleet([APPS, { ...BILLING, environments: ['production'] }]), environments: ['production'] },
      'tenant-env-remove-',
    );
    try {
      const expected = readTree(without);
      const after = readTree(root);
      assert.deepEqual(JSON.parse(after['.yo-rc.json'] ?? ''), JSON.parse(expected['.yo-rc.json'] ?? ''));
      for (const [path, contents] of Object.entries(expected).filter(([path]) => path !== '.yo-rc.json')) {
        assert.equal(after[path], contents, path);
      }
      assert.equal(exitStatusFor(checkFleet(readFleetFiles(root))), 0);
    } finally {
      rmSync(without, { recursive: true, force: true });
    }
  });
});
