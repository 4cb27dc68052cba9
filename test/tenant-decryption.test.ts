// A tenant's own encrypted files (`decryption: true`): the inputs and their refusals (path without
// <env>, role names that collide or are too long, a fleet key given as the tenant's), the trust
// policy of the tenant's role (its flux-sops-decryptor and nothing else), the tenant's .sops.yaml
// used in a temporary "tenant repository" to seal a Secret against a KMS-compatible endpoint on
// 127.0.0.1 and open it again with the product's reader, the check rules, the Terraform file, and
// flux-sops tenant add --decryption. What needs AWS or a cluster (STS honouring the trust policy,
// kustomize-controller's object-level identity) is not verified here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { checkFleet } from '../src/check/check.js';
import { type RawAnswers, validateAnswers } from '../src/fleet/answers.js';
import type { InputDeclaration } from '../src/fleet/inputs.js';
import { readTenantOptions, tenantInputs } from '../src/fleet/tenants.js';
import { tenantCommand } from '../src/cli/options.js';
import { questionFor } from '../src/yeoman/prompts.js';
import { planFleet, tenantFilesOf } from '../src/fleet/plan.js';
import { readCreationRules } from '../src/fleet/sops-config.js';
import { decryptDocument, encryptDocument, findCreationRule, masterKeysOfRule, usable } from '../src/sops/index.js';
import { runCliInProcess } from './cli-runner.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';
import { answersError, readTree } from './support.js';

const ANSWERS = {
  accountId: '123456789012',
  region: 'eu-west-1',
  environments: ['staging', { name: 'production', identity: 'pod-identity', clusterName: 'prod-eu' }],
  tenants: [
    { name: 'shop', repoUrl: 'ssh://git@github.com/acme/shop.git', decryption: true },
    { name: 'billing', namespace: 'payments', repoUrl: 'https://gitlab.example.com/acme/billing.git' },
  ],
};
const SHOP_STAGING_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops/staging/shop';
const SHOP_PRODUCTION_KEY = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops/production/shop';

const planned = (raw: RawAnswers) =>
  Object.fromEntries(planFleet(validateAnswers(raw, () => '')).map((file) => [file.path, file.contents]));

describe('decrypting tenants', () => {
  describe('the input', () => {
    it('stores decryption and kmsKeyArns after environments, and leaves decryption: false out', () => {
      const answers = validateAnswers(
        {
          ...ANSWERS,
          tenants: [
            {
              name: 'shop',
              repoUrl: 'ssh://git@github.com/acme/shop.git',
              decryption: true,
              kmsKeyArns: { production: 'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666' },
            },
            { name: 'billing', repoUrl: 'https://gitlab.example.com/acme/billing.git', decryption: false },
          ],
        },
        () => '',
      );
      const files = Object.fromEntries(planFleet(answers).map((file) => [file.path, file.contents]));
      assert.deepEqual(
        Object.keys(files).filter((path) => path.startsWith('iam/') && path.includes('tenant-')).length,
        6,
      );
      assert.equal(
        parse(files['tenants/shop.sops.yaml'] ?? '').creation_rules[1].kms,
        'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666',
      );
      assert.equal(files['tenants/billing.sops.yaml'], undefined);
    });

    it('is a flag of tenant add and a yes/no question of yo flux-sops:tenant (default no); kmsKeyArns only in the answers file', () => {
      const decryption = tenantInputs.find((input) => input.name === 'decryption') as InputDeclaration;
      assert.deepEqual(questionFor(decryption), {
        type: 'confirm',
        name: 'decryption',
        message: decryption.message,
        default: false,
      });
      assert.deepEqual(
        tenantCommand.options
          .filter((option) => option.name === 'decryption' || option.name === 'kms-key-arns')
          .map((option) => [option.name, option.type]),
        [['decryption', 'boolean']],
      );
      assert.deepEqual(
        readTenantOptions('shop', { 'repo-url': 'https://github.com/acme/shop.git', decryption: true }),
        { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', decryption: true },
      );
    });

    it('refuses, all at once: a path without <env>, kmsKeyArns without decryption or for another environment, a bad ARN, a flag that is not a boolean', () => {
      const error = answersError({
        accountId: '123456789012',
        environments: ['staging', 'production'],
        tenants: [
          { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', decryption: true, path: './deploy' },
          {
            name: 'billing',
            repoUrl: 'https://github.com/acme/billing.git',
            kmsKeyArns: { staging: 'arn:aws:kms:us-east-1:123456789012:alias/x' },
          },
          {
            name: 'web',
            repoUrl: 'https://github.com/acme/web.git',
            decryption: true,
            environments: ['staging'],
            kmsKeyArns: { production: 'arn:aws:kms:us-east-1:123456789012:alias/x', staging: 'alias/x' },
          },
          { name: 'api', repoUrl: 'https://github.com/acme/api.git', decryption: 'yes' },
        ],
      });
      assert.equal(
        error.message,
        [
          'Invalid tenants.shop.path "./deploy": must contain <env> for a tenant with decryption: its .sops.yaml has one rule per environment, each for that environment\'s path',
          'Invalid tenants.billing.kmsKeyArns {"staging":"arn:aws:kms:us-east-1:123456789012:alias/x"}: is for a tenant with decryption: true only',
          'Invalid tenants.web.kmsKeyArns "production": is not an environment of the tenant (staging)',
          'Invalid tenants.web.kmsKeyArns.staging "alias/x": must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) or alias ARN (arn:aws:kms:<region>:<account>:alias/<name>)',
          'Invalid tenants.api.decryption "yes": must be true or false',
        ].join('\n'),
      );
      assert.equal(error.code, 2);
    });

    it("refuses a tenant role that collides with an environment's, or exceeds IAM's 64 characters, case-insensitively", () => {
      // Tenant shop of staging and the environment staging-shop would both be flux-kms-decryptor-staging-shop.
      const collision = answersError({
        accountId: '123456789012',
        environments: ['staging', { name: 'staging-shop', roleName: 'FLUX-KMS-DECRYPTOR-STAGING-SHOP' }],
        tenants: [
          { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', decryption: true, environments: ['staging'] },
        ],
      });
      assert.equal(
        collision.message,
        'The tenant shop in staging and the environment staging-shop would share the IAM role FLUX-KMS-DECRYPTOR-STAGING-SHOP in account 123456789012: ' +
          'each needs its own role, so that each can decrypt only its own key; rename one of them, or give another roleName',
      );
      const long = answersError({
        accountId: '123456789012',
        roleName: 'a'.repeat(40),
        environments: ['staging'],
        tenants: [{ name: 'a-tenant-with-a-long-name', repoUrl: 'https://github.com/acme/shop.git', decryption: true }],
      });
      assert.equal(
        long.message,
        `Invalid role name of tenant a-tenant-with-a-long-name in staging "${'a'.repeat(40)}-staging-a-tenant-with-a-long-name": must be an IAM role name: 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ - ` +
          `(the environment's role "${'a'.repeat(40)}-staging" plus -a-tenant-with-a-long-name; give a shorter roleName or a shorter tenant name)`,
      );
    });

    it("refuses a fleet key, or another tenant's, as a tenant's key", () => {
      const error = answersError({
        ...ANSWERS,
        tenants: [
          {
            name: 'shop',
            repoUrl: 'https://github.com/acme/shop.git',
            decryption: true,
            kmsKeyArns: { staging: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging' },
          },
          {
            name: 'web',
            repoUrl: 'https://github.com/acme/web.git',
            decryption: true,
            kmsKeyArns: { production: 'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666' },
          },
          {
            name: 'api',
            repoUrl: 'https://github.com/acme/api.git',
            decryption: true,
            kmsKeyArns: { production: 'arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666' },
          },
        ],
      });
      assert.equal(
        error.message,
        [
          'Invalid tenants.shop.kmsKeyArns.staging "arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging": is the key of environment staging: a tenant\'s key must be its own',
          'Invalid tenants.api.kmsKeyArns.production "arn:aws:kms:eu-west-1:123456789012:key/0f9e8d7c-1111-2222-3333-444455556666": is the key of tenant web in production: a tenant\'s key must be its own',
        ].join('\n'),
      );
    });
  });

  it("refuses a given key that is another tenant's own alias, case-insensitively", () => {
    assert.equal(
      answersError({
        ...ANSWERS,
        tenants: [
          { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', decryption: true },
          {
            name: 'web',
            repoUrl: 'https://github.com/acme/web.git',
            decryption: true,
            kmsKeyArns: { staging: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops/staging/SHOP' },
          },
        ],
      }).message,
      'Invalid tenants.web.kmsKeyArns.staging "arn:aws:kms:eu-west-1:123456789012:alias/flux-sops/staging/SHOP": is the key of tenant shop in staging: a tenant\'s key must be its own',
    );
  });

  describe('the trust policy of a tenant role', () => {
    const files = planned(ANSWERS);

    for (const environment of ['staging', 'production']) {
      it(`admits ${environment}'s shop/flux-sops-decryptor through the cluster's OIDC provider, and nothing else`, () => {
        const trust = JSON.parse(files[`iam/${environment}/tenant-shop/trust-policy.json`] ?? '');
        const issuer = 'oidc.eks.eu-west-1.amazonaws.com/id/REPLACE-WITH-CLUSTER-OIDC-ID';
        assert.deepEqual(trust, {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'FluxSopsTenantDecryptor',
              Effect: 'Allow',
              Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${issuer}` },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: {
                StringEquals: {
                  [`${issuer}:aud`]: 'sts.amazonaws.com',
                  [`${issuer}:sub`]: 'system:serviceaccount:shop:flux-sops-decryptor',
                },
              },
            },
          ],
        });
      });
    }

    it('is the only document naming the tenant role, and the only ServiceAccount annotated with it is flux-sops-decryptor', () => {
      for (const environment of ['staging', 'production']) {
        const role = `arn:aws:iam::123456789012:role/flux-kms-decryptor-${environment}-shop`;
        // (The runbook names it too, in its commands.)
        const naming = Object.entries(files)
          .filter(([path, contents]) => path !== 'README.md' && contents.includes(role))
          .map(([path]) => path);
        assert.deepEqual(naming, [`tenants/${environment}/shop/rbac.yaml`]);
        const accounts = (files[`tenants/${environment}/shop/rbac.yaml`] ?? '')
          .split(/^---$/m)
          .map((document) => parse(document));
        assert.deepEqual(
          accounts
            .filter((object) => object.kind === 'ServiceAccount')
            .map((object) => [object.metadata.name, object.metadata.annotations?.['eks.amazonaws.com/role-arn']]),
          [
            ['shop', undefined],
            ['flux-sops-decryptor', role],
          ],
        );
      }
      // The tenant without decryption gets no decrypting account, no IAM document and no .sops.yaml.
      assert.ok(!(files['tenants/staging/billing/rbac.yaml'] ?? '').includes('flux-sops-decryptor'));
      assert.deepEqual(
        Object.keys(files).filter(
          (path) => path.includes('billing') && (path.startsWith('iam/') || path.endsWith('.sops.yaml')),
        ),
        [],
      );
    });

    it('switches object-level identity on where a decrypting tenant needs it: every IRSA environment, and a Pod Identity one only with a decrypting tenant', () => {
      const withoutDecryption = planned({ ...ANSWERS, tenants: [ANSWERS.tenants[1]] });
      const production = (tree: Record<string, string>) =>
        tree['clusters/production/flux-system/kustomization.yaml'] ?? '';
      assert.match(production(files), /value: --feature-gates=ObjectLevelWorkloadIdentity=true\n/);
      assert.doesNotMatch(production(withoutDecryption), /ObjectLevelWorkloadIdentity/);
      // Never a default decryption account on Pod Identity: "secrets" decrypts with the controller's role.
      assert.doesNotMatch(production(files), /--default-decryption-service-account/);
    });

    it('lists every file of a decrypting tenant as its own: folders, credentials, IAM documents, Terraform, .sops.yaml', () => {
      const answers = validateAnswers({ ...ANSWERS, iac: 'terraform' }, () => '');
      const all = new Set(planFleet(answers).map((file) => file.path));
      const own = tenantFilesOf(answers, 'shop');
      assert.ok(own.every((path) => all.has(path)));
      assert.deepEqual(
        own.filter(
          (path) =>
            !path.startsWith('tenants/staging/') &&
            !path.startsWith('tenants/production/') &&
            !path.startsWith('secrets/'),
        ),
        [
          'tenants/shop.sops.yaml',
          'iam/staging/tenant-shop/trust-policy.json',
          'iam/staging/tenant-shop/kms-decrypt-policy.json',
          'iam/staging/tenant-shop/kms-encrypt-policy.json',
          'terraform/staging/tenant-shop.tf',
          'iam/production/tenant-shop/trust-policy.json',
          'iam/production/tenant-shop/kms-decrypt-policy.json',
          'iam/production/tenant-shop/kms-encrypt-policy.json',
          'terraform/production/tenant-shop.tf',
        ],
      );
    });
  });

  describe('sealing in the tenant repository', function () {
    this.timeout(60_000);
    let kms: LocalKms;
    let restoreEnvironment: () => void;
    let repository: string;

    before(async () => {
      kms = await startLocalKms([
        SHOP_STAGING_KEY,
        SHOP_PRODUCTION_KEY,
        'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging',
      ]);
      restoreEnvironment = setEnv(localAwsEnv(kms.url));
      repository = mkdtempSync(join(tmpdir(), 'tenant-repository-'));
      // The tenant copies tenants/shop.sops.yaml to the root of its repository.
      writeFileSync(join(repository, '.sops.yaml'), planned(ANSWERS)['tenants/shop.sops.yaml'] ?? '');
    });

    after(async () => {
      restoreEnvironment();
      await kms.stop();
      rmSync(repository, { recursive: true, force: true });
    });

    it("seals a Secret under deploy/staging/ with the tenant's staging key only, and the product's reader opens it", async () => {
      const rules = readCreationRules(readFileSync(join(repository, '.sops.yaml'), 'utf8'));
      const path = 'deploy/staging/database.yaml';
      const rule = rules[findCreationRule(rules, path)];
      const keys = usable(masterKeysOfRule(rule));
      assert.deepEqual(keys, { kms: [SHOP_STAGING_KEY], age: [] });
      const secret = {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'database', namespace: 'shop' },
        stringData: { password: 'tenant-db-password-4711' },
      };
      const sealed = await encryptDocument(secret, { keys, encryptedRegex: String(rule?.encrypted_regex) });
      mkdirSync(dirname(join(repository, path)), { recursive: true });
      writeFileSync(join(repository, path), sealed);

      const text = readFileSync(join(repository, path), 'utf8');
      assert.ok(!text.includes('tenant-db-password-4711'));
      assert.deepEqual(
        (parse(text) as { sops: { kms: { arn: string }[] } }).sops.kms.map((entry) => entry.arn),
        [SHOP_STAGING_KEY],
      );
      assert.deepEqual(
        kms.calls.map((call) => [call.operation, call.keyId]),
        [['Encrypt', SHOP_STAGING_KEY]],
      );
      const opened = await decryptDocument(text);
      assert.deepEqual((opened.document as { stringData: unknown }).stringData, {
        password: 'tenant-db-password-4711',
      });
      assert.equal(kms.count('Decrypt', SHOP_STAGING_KEY), 1);
      assert.equal(
        kms.count(undefined, 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging'),
        0,
        "the fleet's key is never used",
      );
    });

    it("seals there with flux-sops secret generic --out too: the tenant's production key, nothing listed, then opened by the product's reader", async () => {
      const before = kms.calls.length;
      mkdirSync(join(repository, 'deploy/production'), { recursive: true });
      writeFileSync(join(repository, 'deploy/production/kustomization.yaml'), 'resources: []\n');
      const result = await runCliInProcess([
        'secret',
        'generic',
        'api-token',
        '--namespace',
        'shop',
        '--out',
        'deploy/production/api-token.yaml',
        '--from-literal',
        'token=tenant-api-token-0815',
        '--cwd',
        repository,
      ]);
      assert.equal(result.status, 0, result.stderr);
      assert.ok(!`${result.stdout}${result.stderr}`.includes('tenant-api-token-0815'));
      const text = readFileSync(join(repository, 'deploy/production/api-token.yaml'), 'utf8');
      assert.deepEqual(
        (parse(text) as { sops: { kms: { arn: string }[] } }).sops.kms.map((entry) => entry.arn),
        [SHOP_PRODUCTION_KEY],
      );
      assert.deepEqual(
        kms.calls.slice(before).map((call) => [call.operation, call.keyId]),
        [['Encrypt', SHOP_PRODUCTION_KEY]],
      );
      assert.equal(
        readFileSync(join(repository, 'deploy/production/kustomization.yaml'), 'utf8'),
        'resources: []\n',
        "the tenant's kustomization is its own",
      );
      assert.deepEqual(((await decryptDocument(text)).document as { stringData: unknown }).stringData, {
        token: 'tenant-api-token-0815',
      });
    });

    it('has no rule for a path its Kustomizations do not apply: sops would refuse to seal there', () => {
      const rules = readCreationRules(readFileSync(join(repository, '.sops.yaml'), 'utf8'));
      for (const path of [
        'deploy/database.yaml',
        'deploy/qa/database.yaml',
        'secrets/staging/database.yaml',
        'other/deploy/staging/database.yaml',
      ]) {
        assert.equal(findCreationRule(rules, path), -1, path);
      }
      assert.equal(findCreationRule(rules, 'deploy/production/nested/database.yml'), 1);
    });
  });

  describe('check', () => {
    const base = planned(ANSWERS);
    const findingsOf = (files: Record<string, string>) =>
      checkFleet(new Map(Object.entries(files)))
        .filter((each) => each.rule === 'decryption-without-service-account' || each.rule === 'tenant-key-shared')
        .map((each) => `${each.file}: ${each.rule}: ${each.message}`);

    it('finds nothing wrong in a generated fleet with decrypting tenants', () => {
      assert.deepEqual(findingsOf(base), []);
      assert.deepEqual(
        checkFleet(new Map(Object.entries(base)))
          .filter((each) => each.severity === 'error')
          .map((each) => each.rule),
        [],
      );
    });

    it('reports a Kustomization outside flux-system that decrypts without its own decryption ServiceAccount', () => {
      const sync = 'tenants/staging/shop/sync.yaml';
      assert.deepEqual(
        findingsOf({
          ...base,
          [sync]: (base[sync] ?? '').replace('    serviceAccountName: flux-sops-decryptor\n', ''),
        }),
        [
          `${sync}: decryption-without-service-account: document 2: Flux Kustomization shop/shop is outside flux-system and decrypts (decryption.provider: sops) without decryption.serviceAccountName: kustomize-controller would decrypt it with its own identity, the one that opens the fleet's Secrets (or the decryption lock refuses it)`,
        ],
      );
      // In flux-system, the fleet's own "secrets" decrypts as the controller: not reported.
      const secrets = 'clusters/staging/secrets.yaml';
      assert.deepEqual(
        findingsOf({
          ...base,
          [secrets]: (base[secrets] ?? '').replace('    serviceAccountName: kustomize-controller\n', ''),
        }),
        [],
      );
    });

    it("reports a tenant key in a fleet rule, and a fleet key in a tenant's", () => {
      const tenantKeyInFleet = {
        ...base,
        '.sops.yaml': (base['.sops.yaml'] ?? '').replace('alias/flux-sops-staging', 'alias/flux-sops/staging/shop'),
      };
      assert.deepEqual(findingsOf(tenantKeyInFleet), [
        `.sops.yaml: tenant-key-shared: names the key of tenant shop, ${SHOP_STAGING_KEY}: every file sealed by that rule would open to the tenant's role`,
      ]);
      const fleetKeyInTenant = {
        ...base,
        'tenants/shop.sops.yaml': (base['tenants/shop.sops.yaml'] ?? '').replace(
          'alias/flux-sops/production/shop',
          'alias/flux-sops-production',
        ),
      };
      assert.deepEqual(findingsOf(fleetKeyInTenant), [
        "tenants/shop.sops.yaml: tenant-key-shared: names the fleet's key arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production: the tenant's files would be sealed for the fleet's identity, not for its own flux-sops-decryptor",
      ]);
    });

    it('reports the placeholder OIDC issuer in a tenant trust policy as pending', () => {
      const pending = checkFleet(new Map(Object.entries(base)))
        .filter((each) => each.rule === 'oidc-placeholder')
        .map((each) => each.file);
      assert.deepEqual(pending, [
        'iam/production/tenant-shop/trust-policy.json',
        'iam/staging/tenant-shop/trust-policy.json',
        'iam/staging/trust-policy.json',
      ]);
    });
  });

  describe('flux-sops tenant add --decryption', () => {
    let fleet: string;

    beforeEach(async () => {
      fleet = mkdtempSync(join(tmpdir(), 'tenant-decryption-'));
      const answers = join(fleet, '..', `${fleet.split('/').pop()}.json`);
      writeFileSync(answers, JSON.stringify({ ...ANSWERS, iac: 'terraform', tenants: [ANSWERS.tenants[1]] }));
      const result = await runCliInProcess(['--answers', answers, '--no-interactive', fleet]);
      assert.equal(result.status, 0, result.stderr);
      rmSync(answers);
    });

    afterEach(() => rmSync(fleet, { recursive: true, force: true }));

    it("writes the tenant's identity in each of its environments and its .sops.yaml, and stores decryption", async () => {
      const before = readTree(fleet);
      const result = await runCliInProcess([
        'tenant',
        'add',
        'shop',
        '--repo-url',
        'ssh://git@github.com/acme/shop.git',
        '--decryption',
        '--cwd',
        fleet,
        '--no-interactive',
      ]);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(fleet);
      const added = Object.keys(after).filter((path) => !(path in before));
      for (const path of [
        'tenants/shop.sops.yaml',
        'iam/staging/tenant-shop/trust-policy.json',
        'iam/production/tenant-shop/kms-encrypt-policy.json',
        'terraform/staging/tenant-shop.tf',
        'terraform/production/tenant-shop.tf',
      ]) {
        assert.ok(added.includes(path), path);
      }
      // The same files as a fleet generated with the tenant from the start.
      const whole = planned({ ...ANSWERS, iac: 'terraform', tenants: [ANSWERS.tenants[1], ANSWERS.tenants[0]] });
      for (const path of added) {
        assert.equal(after[path], whole[path], path);
      }
      assert.deepEqual(JSON.parse(after['.yo-rc.json'] ?? '')['generator-flux-sops'].tenants.at(-1), {
        name: 'shop',
        repoUrl: 'ssh://git@github.com/acme/shop.git',
        environments: 'all',
        decryption: true,
      });
      assert.match(
        after['clusters/production/flux-system/kustomization.yaml'] ?? '',
        /ObjectLevelWorkloadIdentity=true/,
      );
      const said = `${result.stdout}${result.stderr}`;
      assert.match(said, /Added the tenant shop to the fleet in .+: staging, production\.\nNext:\n/);
      assert.match(
        said,
        /^ {2}3\. its own key and role in each environment: README\.md, step 5 of staging, production \(terraform\/<env>\/tenant-shop\.tf\)$/m,
      );
      assert.match(
        said,
        /^ {2}4\. give the tenant team tenants\/shop\.sops\.yaml as the \.sops\.yaml of its repository, and its sealers iam\/<env>\/tenant-shop\/kms-encrypt-policy\.json$/m,
      );
    });

    it("removes an environment from a decrypting tenant's .sops.yaml and deletes its IAM documents there; prevent_destroy named in its Terraform file", async () => {
      assert.equal(
        (
          await runCliInProcess([
            'tenant',
            'add',
            'shop',
            '--repo-url',
            'ssh://git@github.com/acme/shop.git',
            '--decryption',
            '--cwd',
            fleet,
            '--no-interactive',
          ])
        ).status,
        0,
      );
      const result = await runCliInProcess(['env', 'remove', 'production', '--cwd', fleet]);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(fleet);
      assert.deepEqual(
        parse(after['tenants/shop.sops.yaml'] ?? '').creation_rules.map((rule: { kms: string }) => rule.kms),
        [SHOP_STAGING_KEY],
      );
      assert.deepEqual(
        Object.keys(after).filter((path) => path.startsWith('iam/production/')),
        [],
      );
      assert.ok(after['terraform/production/tenant-shop.tf'], 'kept with the module until terraform destroy');
      assert.match(
        `${result.stdout}${result.stderr}`,
        /In terraform\/production\/main\.tf and its tenant-<tenant>\.tf files, set prevent_destroy = false/,
      );
    });

    it('tenant remove deletes its identity files, switches the Pod Identity feature gate off again, and prints its AWS clean-up', async () => {
      const before = readTree(fleet);
      assert.equal(
        (
          await runCliInProcess([
            'tenant',
            'add',
            'shop',
            '--repo-url',
            'ssh://git@github.com/acme/shop.git',
            '--decryption',
            '--cwd',
            fleet,
            '--no-interactive',
          ])
        ).status,
        0,
      );
      const result = await runCliInProcess(['tenant', 'remove', 'shop', '--cwd', fleet]);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(fleet);
      assert.deepEqual(
        Object.keys(after).filter((path) => path.includes('shop')),
        [],
      );
      assert.equal(
        after['clusters/production/flux-system/kustomization.yaml'],
        before['clusters/production/flux-system/kustomization.yaml'],
      );
      assert.match(
        `${result.stdout}${result.stderr}`,
        /terraform -chdir=terraform\/production apply deletes shop's role there and schedules its key's deletion/,
      );
    });

    it('adds a new environment to a decrypting tenant stored with "all": its identity there, and a rule in its .sops.yaml', async () => {
      assert.equal(
        (
          await runCliInProcess([
            'tenant',
            'add',
            'shop',
            '--repo-url',
            'ssh://git@github.com/acme/shop.git',
            '--decryption',
            '--cwd',
            fleet,
            '--no-interactive',
          ])
        ).status,
        0,
      );
      const result = await runCliInProcess(['env', 'qa', '--cwd', fleet, '--no-interactive']);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(fleet);
      const whole = planned({
        ...ANSWERS,
        iac: 'terraform',
        environments: [...ANSWERS.environments, 'qa'],
        tenants: [ANSWERS.tenants[1], ANSWERS.tenants[0]],
      });
      for (const path of [
        'tenants/shop.sops.yaml',
        'iam/qa/tenant-shop/trust-policy.json',
        'terraform/qa/tenant-shop.tf',
        'tenants/qa/shop/sync.yaml',
        'tenants/qa/shop/rbac.yaml',
      ]) {
        assert.equal(after[path], whole[path], path);
      }
    });
  });
});
