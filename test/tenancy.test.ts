// Tenants, locked down: the `tenants` input, the security property read statically from what the
// planner writes (RBAC, sources, ServiceAccounts, the decryption lock of each environment, the
// admission policy's CEL evaluated), the vendored Flux schemas, `flux-sops tenant add`, adding an
// environment to the tenants stored with "all", and a fleet from before tenants refused.
// What needs a cluster (the API server enforcing the policy, kustomize-controller honouring its
// flags, STS refusing a foreign ServiceAccount) is not verified here.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as evaluateCel } from '@bufbuild/cel';
import { parse, parseAllDocuments } from 'yaml';
import { type RawAnswers, validateAnswers } from '../src/fleet/answers.js';
import { planFleet, tenantFilesOf } from '../src/fleet/plan.js';
import { type FleetFacts, sealingTargetOf } from '../src/secret/plan.js';
import { runCliInProcess } from './cli-runner.js';
import { buildKustomizeFolders, requireKubectl, validateObject, validateObjects } from './fleet-checks.js';
import { answersError, errorOf, hashTree, readTree, TENANTS_ANSWERS, type Tree } from './support.js';

type KubernetesObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  roleRef?: { kind: string; name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
};

function objectsOf(tree: Tree): { path: string; object: KubernetesObject }[] {
  return Object.entries(tree)
    .filter(([path]) => /\.ya?ml$/.test(path))
    .flatMap(([path, contents]) =>
      parseAllDocuments(contents).map((document) => ({ path, object: document.toJS() as KubernetesObject })),
    )
    .filter(({ object }) => object !== null && typeof object === 'object' && 'kind' in object);
}

/** JSON as the CEL evaluator takes a Kubernetes object: maps for objects, lists for arrays. */
function toCel(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(toCel);
  }
  return value !== null && typeof value === 'object'
    ? new Map(Object.entries(value).map(([key, each]) => [key, toCel(each)]))
    : value;
}

describe('tenants', () => {
  describe('the tenants input', () => {
    const base = { accountId: '123456789012', environments: ['staging', 'production'] };

    it('takes repoUrl as the shorthand for one tenant apps, and tenants instead of it', () => {
      const shorthand = validateAnswers({ ...base, repoUrl: 'https://github.com/acme/apps.git' }, () => '');
      assert.equal(shorthand.tenants, undefined);
      const listed = validateAnswers(
        {
          ...base,
          tenants: [{ name: 'shop', repoUrl: 'ssh://git@github.com/acme/shop.git', environments: ['production'] }],
        },
        () => '',
      );
      assert.deepEqual(listed.tenants, [
        { name: 'shop', repoUrl: 'ssh://git@github.com/acme/shop.git', environments: ['production'] },
      ]);
    });

    it('refuses neither or both of repoUrl and tenants', () => {
      assert.equal(
        answersError(base).message,
        'Missing repoUrl: the Git repository of the one tenant "apps" (or tenants in the answers file); give repoUrl',
      );
      assert.equal(
        answersError({
          ...base,
          repoUrl: 'https://github.com/acme/apps.git',
          tenants: [{ name: 'shop', repoUrl: 'https://github.com/acme/shop.git' }],
        }).message,
        'Both repoUrl and tenants are given: repoUrl is the shorthand for one tenant "apps"; list it under tenants instead (name: apps, repoUrl: "https://github.com/acme/apps.git")',
      );
    });

    it('refuses reserved names and namespaces, shared namespaces, unknown environments and paths that leave the repository, all at once', () => {
      const error = answersError({
        ...base,
        tenants: [
          { name: 'kube-ops', repoUrl: 'https://github.com/acme/a.git' },
          { name: 'list', repoUrl: 'https://github.com/acme/b.git' },
          { name: 'web', namespace: 'flux-system', repoUrl: 'https://github.com/acme/c.git' },
          { name: 'shop', namespace: 'team', repoUrl: 'https://github.com/acme/d.git', path: '../fleet/<env>' },
          { name: 'blog', namespace: 'team', repoUrl: 'git@github.com:acme/e.git', environments: ['qa'] },
          { name: 'docs', repoUrl: 'https://github.com/acme/f.git', secretRef: 'f-auth' },
        ],
      });
      assert.equal(
        error.message,
        [
          'Invalid tenants[0].name "kube-ops": is reserved (flux-system, default, kube-*): choose another name',
          'Invalid tenants[1].name "list": is a word of the flux-sops commands (add, remove, list: flux-sops env add|remove <name>): choose another name',
          'Invalid tenants.web.namespace "flux-system": is a namespace of the fleet or the cluster (flux-system, default, kube-*): a tenant needs its own',
          'Invalid tenants.shop.path "../fleet/<env>": must stay inside the tenant\'s repository (no ..)',
          'Invalid tenants.blog.repoUrl "git@github.com:acme/e.git": must be a URL: Flux does not accept the scp form; write ssh://git@github.com/acme/e.git',
          'Invalid tenants.blog.environments ["qa"]: must be "all" or a list of this fleet\'s environments without repeats (staging, production)',
          'Unknown key in tenants[5]: "secretRef" (allowed: name, namespace, repoUrl, branch, path, environments, decryption, kmsKeyArns)',
          "Tenants shop and blog would share the namespace team: a namespace is a tenant's boundary, give each its own",
        ].join('\n'),
      );
    });

    it('refuses the command words as environment names', () => {
      assert.equal(
        answersError({ ...base, environments: ['staging', 'add'], repoUrl: 'https://github.com/acme/apps.git' })
          .message,
        'Invalid environments ["staging","add"]: "add" is not allowed: each name is a word of the flux-sops commands (add, remove, list: flux-sops env add|remove <name>): choose another name',
      );
    });
  });

  describe('the security property, read from what the planner writes', () => {
    const tree: Tree = Object.fromEntries(
      planFleet(validateAnswers(TENANTS_ANSWERS as RawAnswers, () => '')).map((file) => [file.path, file.contents]),
    );
    const objects = objectsOf(tree);
    const tenantNamespaces = new Set(
      objects.filter(({ object }) => object.kind === 'Namespace').map(({ object }) => object.metadata.name),
    );
    const flux = (kind: string) =>
      objects.filter(({ object }) => object.kind === kind && object.apiVersion.includes('toolkit.fluxcd.io'));

    it('validates every object against the Kubernetes and Flux schemas', () => {
      const { objectsValidated } = validateObjects(tree);
      assert.equal(objectsValidated, 25);
      assert.deepEqual([...tenantNamespaces].sort(), ['payments', 'shop']);
    });

    it('binds no tenant subject outside its namespace, and nothing cluster-wide', () => {
      assert.deepEqual(
        objects.filter(({ object }) => ['ClusterRoleBinding', 'ClusterRole', 'Role'].includes(object.kind)),
        [],
      );
      const bindings = objects.filter(({ object }) => object.kind === 'RoleBinding');
      assert.equal(bindings.length, 3);
      for (const { path, object } of bindings) {
        assert.ok(tenantNamespaces.has(object.metadata.namespace ?? ''), `${path}: bound in a tenant's namespace`);
        assert.deepEqual(
          object.roleRef,
          { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
          `${path}: the namespace-scoped admin role`,
        );
        for (const subject of object.subjects ?? []) {
          assert.deepEqual(
            subject,
            {
              kind: 'ServiceAccount',
              name: object.metadata.labels?.['toolkit.fluxcd.io/tenant'],
              namespace: object.metadata.namespace,
            },
            `${path}: only the tenant's own ServiceAccount`,
          );
        }
      }
    });

    it('gives every Kustomization outside flux-system its own ServiceAccount and target namespace, and fleet Kustomizations kustomize-controller', () => {
      for (const { path, object } of flux('Kustomization')) {
        const namespace = object.metadata.namespace ?? '';
        if (namespace === 'flux-system') {
          assert.equal(object.spec?.serviceAccountName, 'kustomize-controller', path);
          continue;
        }
        assert.ok(tenantNamespaces.has(namespace), `${path}: in a tenant's namespace`);
        assert.equal(object.spec?.serviceAccountName, object.metadata.name, `${path}: the tenant's ServiceAccount`);
        assert.equal(object.spec?.targetNamespace, namespace, `${path}: applies into its own namespace`);
        assert.equal(object.spec?.prune, true, path);
        assert.equal(object.spec?.decryption, undefined, `${path}: no decryption with the fleet's identity`);
        const account = objects.find(
          ({ object: each }) =>
            each.kind === 'ServiceAccount' &&
            each.metadata.name === object.spec?.serviceAccountName &&
            each.metadata.namespace === namespace,
        );
        assert.ok(account, `${path}: its ServiceAccount is created in its namespace`);
      }
    });

    it('refers to no source or Secret in another namespace', () => {
      for (const { path, object } of [...flux('Kustomization'), ...flux('GitRepository')]) {
        const spec = object.spec as {
          sourceRef?: { namespace?: string };
          secretRef?: { namespace?: string };
          decryption?: { secretRef?: unknown };
        };
        assert.ok(
          spec.sourceRef?.namespace === undefined || spec.sourceRef.namespace === object.metadata.namespace,
          `${path}: sourceRef in its own namespace`,
        );
        assert.equal(spec.secretRef?.namespace, undefined, path);
      }
      // Each tenant's credentials are sealed into its own namespace.
      for (const { path, object } of objects.filter(({ object: each }) => each.kind === 'Secret')) {
        const tenant = object.metadata.name.replace(/-auth$/, '');
        const sync = objects.find(({ object: each }) => each.kind === 'GitRepository' && each.metadata.name === tenant);
        assert.equal(
          object.metadata.namespace,
          sync?.object.metadata.namespace,
          `${path}: beside the GitRepository that reads it`,
        );
      }
    });

    it('lets nothing a tenant applies run as a flux-system ServiceAccount: lockdown flags on every environment, no tenant in flux-system', () => {
      assert.ok(!tenantNamespaces.has('flux-system'));
      for (const environment of ['staging', 'production']) {
        const patches = (
          parse(tree[`clusters/${environment}/flux-system/kustomization.yaml`] ?? '') as {
            patches: { patch: string; target: { kind: string; name: string } }[];
          }
        ).patches;
        const flags = (controller: string) =>
          patches
            .filter(({ target }) => target.kind === 'Deployment' && new RegExp(`^(?:${target.name})$`).test(controller))
            .flatMap(({ patch }) => (parse(patch) as { value: string }[]).map((operation) => operation.value));
        assert.ok(flags('kustomize-controller').includes('--default-service-account=default'), environment);
        assert.ok(flags('helm-controller').includes('--default-service-account=default'), environment);
        assert.ok(flags('kustomize-controller').includes('--no-cross-namespace-refs=true'), environment);
        assert.ok(flags('kustomize-controller').includes('--no-remote-bases=true'), environment);
        // (the fleet's own checker looks for that flag, so it names it: not a setting)
        assert.ok(
          !Object.entries(tree).some(
            ([path, contents]) => path !== '.flux-sops/check.cjs' && contents.includes('--sops-age-secret'),
          ),
          'no cluster-wide age identity',
        );
      }
    });

    it('closes the fleet role to a tenant Kustomization with decryption and no ServiceAccount: the IRSA flag, the Pod Identity policy', () => {
      // staging (IRSA): kustomize-controller decrypts such a Kustomization as flux-sops-decryptor of
      // its own namespace, which no tenant has, and the role trusts only flux-system:kustomize-controller.
      const staging = tree['clusters/staging/flux-system/kustomization.yaml'] ?? '';
      assert.match(staging, /value: --feature-gates=ObjectLevelWorkloadIdentity=true\n/);
      assert.match(staging, /value: --default-decryption-service-account=flux-sops-decryptor\n/);
      assert.ok(
        !objects.some(
          ({ object }) => object.kind === 'ServiceAccount' && object.metadata.name === 'flux-sops-decryptor',
        ),
      );
      assert.equal(tree['clusters/staging/tenant-lockdown.yaml'], undefined);
      assert.match(
        tree['iam/staging/trust-policy.json'] ?? '',
        /"system:serviceaccount:flux-system:kustomize-controller"/,
      );
      // production (Pod Identity): the admission policy, for every served version, on create and update.
      const production = tree['clusters/production/flux-system/kustomization.yaml'] ?? '';
      assert.doesNotMatch(
        production,
        /default-decryption-service-account|ObjectLevelWorkloadIdentity/,
        'the flag would break "secrets" under Pod Identity',
      );
      const [policy, binding] = parseAllDocuments(tree['clusters/production/tenant-lockdown.yaml'] ?? '').map(
        (document) => document.toJS(),
      );
      assert.equal(policy.kind, 'ValidatingAdmissionPolicy');
      assert.equal(policy.spec.failurePolicy, 'Fail');
      assert.deepEqual(policy.spec.matchConstraints.resourceRules, [
        {
          apiGroups: ['kustomize.toolkit.fluxcd.io'],
          apiVersions: ['*'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['kustomizations'],
        },
      ]);
      assert.equal(binding.kind, 'ValidatingAdmissionPolicyBinding');
      assert.deepEqual(binding.spec, { policyName: policy.metadata.name, validationActions: ['Deny'] });
    });

    it("evaluates the policy's CEL: refuses a tenant Kustomization that decrypts without its own ServiceAccount, allows the rest", () => {
      const [policy] = parseAllDocuments(tree['clusters/production/tenant-lockdown.yaml'] ?? '').map((document) =>
        document.toJS(),
      );
      const [validation] = policy.spec.validations as { expression: string }[];
      const admits = (object: unknown) =>
        evaluateCel(validation?.expression ?? '', { object: toCel(object) as Map<string, never> });
      const kustomization = (namespace: string, spec: Record<string, unknown>) => ({
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'x', namespace },
        spec: { interval: '10m', sourceRef: { kind: 'GitRepository', name: 'x' }, ...spec },
      });
      assert.equal(admits(kustomization('shop', { decryption: { provider: 'sops' } })), false);
      assert.equal(admits(kustomization('shop', { decryption: { provider: 'sops', serviceAccountName: '' } })), false);
      assert.equal(
        admits(kustomization('shop', { decryption: { provider: 'sops', secretRef: { name: 'age' } } })),
        false,
        'an age secretRef does not stop a KMS key in the file',
      );
      assert.equal(
        admits(kustomization('shop', { decryption: { provider: 'sops', serviceAccountName: 'flux-sops-decryptor' } })),
        true,
      );
      assert.equal(admits(kustomization('shop', {})), true);
      assert.equal(
        admits(kustomization('flux-system', { decryption: { provider: 'sops' } })),
        true,
        "the fleet's own secrets",
      );
      // The generated tenant Kustomizations themselves are admitted.
      for (const { object } of flux('Kustomization')) {
        assert.equal(admits(object), true, object.metadata.name);
      }
    });

    it('lists exactly the files it writes for one tenant, in each of its environments', () => {
      const answers = validateAnswers(TENANTS_ANSWERS as RawAnswers, () => '');
      assert.deepEqual(tenantFilesOf(answers, 'billing'), [
        'tenants/production/billing/kustomization.yaml',
        'tenants/production/billing/rbac.yaml',
        'tenants/production/billing/sync.yaml',
        'secrets/production/billing-auth.yaml',
      ]);
      assert.deepEqual(
        tenantFilesOf(answers, 'shop'),
        Object.keys(tree).filter((path) => /\/shop(?:\/|-auth\.yaml$)/.test(path)),
      );
    });
  });

  describe('the vendored Flux CRD schemas', () => {
    const kustomization = {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'x', namespace: 'shop' },
    };
    it('accept decryption.serviceAccountName (Flux 2.7.0)', () => {
      validateObject({
        ...kustomization,
        spec: {
          interval: '10m',
          prune: true,
          sourceRef: { kind: 'GitRepository', name: 'x' },
          decryption: { provider: 'sops', serviceAccountName: 'flux-sops-decryptor' },
        },
      });
    });
    it('refuse an unknown field, a missing required one and a wrong value', () => {
      assert.throws(
        () =>
          validateObject({
            ...kustomization,
            spec: {
              interval: '10m',
              prune: true,
              sourceRef: { kind: 'GitRepository', name: 'x' },
              serviceAcountName: 'x',
            },
          }),
        /must NOT have additional properties/,
      );
      assert.throws(
        () =>
          validateObject({
            ...kustomization,
            spec: { interval: '10m', sourceRef: { kind: 'GitRepository', name: 'x' } },
          }),
        /must have required property 'prune'/,
      );
      assert.throws(
        () =>
          validateObject({
            ...kustomization,
            spec: {
              interval: '10m',
              prune: true,
              sourceRef: { kind: 'GitRepository', name: 'x' },
              decryption: { provider: 'age' },
            },
          }),
        /must be equal to one of the allowed values/,
      );
    });
  });

  describe('sealing for tenants', () => {
    const facts: FleetFacts = {
      environments: ['staging', 'production'],
      tenants: [
        { name: 'shop', repoUrl: 'ssh://git@github.com/acme/shop.git', environments: 'all' },
        {
          name: 'billing',
          namespace: 'payments',
          repoUrl: 'https://gitlab.example.com/acme/billing.git',
          environments: ['production'],
        },
      ],
    };

    it("seals a tenant's credentials as <tenant>-auth in its namespace; the tenant may be left out when the environment has one", () => {
      assert.deepEqual(sealingTargetOf(facts, { environment: 'staging', kind: 'git' }), {
        name: 'shop-auth',
        namespace: 'shop',
        repoUrl: 'ssh://git@github.com/acme/shop.git',
      });
      assert.deepEqual(sealingTargetOf(facts, { environment: 'production', kind: 'git', tenant: 'billing' }), {
        name: 'billing-auth',
        namespace: 'payments',
        repoUrl: 'https://gitlab.example.com/acme/billing.git',
      });
    });

    it('refuses a missing or unknown tenant with exit 2, naming the tenants', () => {
      const missing = errorOf(() => sealingTargetOf(facts, { environment: 'production', kind: 'git' }));
      assert.equal(missing.code, 2);
      assert.equal(
        missing.message,
        'Missing --tenant: production has the tenants shop, billing; name the one whose Git credentials these are',
      );
      assert.equal(
        errorOf(() => sealingTargetOf(facts, { environment: 'staging', kind: 'git', tenant: 'billing' })).message,
        'Invalid --tenant "billing": is not a tenant of staging (shop)',
      );
    });

    it("seals a generic Secret only into a namespace the fleet creates there, and never as a tenant's credentials", () => {
      assert.deepEqual(
        sealingTargetOf(facts, { environment: 'production', kind: 'generic', name: 'db', namespace: 'payments' }),
        { name: 'db', namespace: 'payments' },
      );
      assert.deepEqual(sealingTargetOf(facts, { environment: 'staging', kind: 'generic', name: 'db' }), {
        name: 'db',
        namespace: 'flux-system',
      });
      const elsewhere = errorOf(() =>
        sealingTargetOf(facts, { environment: 'staging', kind: 'generic', name: 'db', namespace: 'payments' }),
      );
      assert.equal(elsewhere.code, 2);
      assert.equal(
        elsewhere.message,
        'Invalid --namespace "payments": is not a namespace this fleet creates in staging (flux-system, shop): a Secret for a namespace that does not exist would stall the "secrets" Kustomization',
      );
      assert.equal(
        errorOf(() => sealingTargetOf(facts, { environment: 'staging', kind: 'generic', name: 'billing-auth' }))
          .message,
        'Invalid Secret name "billing-auth": is the Git credentials of a tenant: seal it with flux-sops secret git <env> --tenant <tenant>',
      );
    });
  });

  describe('flux-sops tenant add, and env on a fleet with tenants', () => {
    let dir: string;
    let generated: Tree;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'tenant-add-'));
      const answers = join(dir, '..', `${dir.split('/').pop()}.json`);
      writeFileSync(
        answers,
        JSON.stringify({
          accountId: '123456789012',
          repoUrl: 'https://github.com/acme/apps.git',
          environments: ['staging', 'production'],
        }),
      );
      const result = await runCliInProcess([dir, '--answers', answers, '--no-interactive']);
      assert.equal(result.status, 0, result.stderr);
      generated = readTree(dir);
    });

    it('adds a tenant: its files, the listings of its environments, the README table and the stored answers; nothing else', async function () {
      const result = await runCliInProcess([
        'tenant',
        'add',
        'web',
        '--repo-url',
        'ssh://git@github.com/acme/web.git',
        '--namespace',
        'frontend',
        '--environments',
        'production',
        '--cwd',
        dir,
        '--no-interactive',
      ]);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(dir);
      const added = Object.keys(after)
        .filter((path) => generated[path] === undefined)
        .sort();
      assert.deepEqual(added, [
        'secrets/production/web-auth.yaml',
        'tenants/production/web/kustomization.yaml',
        'tenants/production/web/rbac.yaml',
        'tenants/production/web/sync.yaml',
      ]);
      const changed = Object.keys(generated)
        .filter((path) => after[path] !== generated[path])
        .sort();
      assert.deepEqual(changed, ['.yo-rc.json', 'README.md', 'tenants/production/kustomization.yaml']);
      assert.deepEqual(
        (parse(after['tenants/production/kustomization.yaml'] ?? '') as { resources: string[] }).resources,
        ['apps', 'web'],
      );
      const stored =
        (JSON.parse(after['.yo-rc.json'] ?? '') as Record<string, Record<string, unknown>>)['generator-flux-sops'] ??
        {};
      assert.equal(stored.repoUrl, undefined, 'the shorthand became the tenant apps');
      assert.deepEqual(stored.tenants, [
        { name: 'apps', repoUrl: 'https://github.com/acme/apps.git', environments: 'all' },
        {
          name: 'web',
          namespace: 'frontend',
          repoUrl: 'ssh://git@github.com/acme/web.git',
          environments: ['production'],
        },
      ]);
      assert.match(
        after['README.md'] ?? '',
        /^\| `web` \| `frontend` \| `ssh:\/\/git@github\.com\/acme\/web\.git` \| `main` \| `\.\/deploy\/<env>` \| no \| – \| yes \|$/m,
      );
      assert.match(result.stderr + result.stdout, /flux-sops secret git production --tenant web/);
      // The same fleet as a fresh generation with these tenants would write.
      const again = await runCliInProcess([dir, '--no-interactive']);
      assert.equal(again.status, 0, again.stderr);
      assert.deepEqual(readTree(dir), after, 'a re-run with the stored answers changes nothing');
      requireKubectl(this);
      const outputs = buildKustomizeFolders(dir, after);
      assert.match(outputs['tenants/production'] ?? '', /name: frontend/);
    });

    it('refuses an existing tenant, or one whose credentials already exist, with exit 2 and nothing written', async () => {
      mkdirSync(join(dir, 'secrets', 'staging'), { recursive: true });
      writeFileSync(join(dir, 'secrets', 'staging', 'blog-auth.yaml'), 'kind: Secret\n');
      const state = hashTree(dir);
      const existing = await runCliInProcess([
        'tenant',
        'add',
        'apps',
        '--repo-url',
        'https://github.com/acme/x.git',
        '--cwd',
        dir,
        '--no-interactive',
      ]);
      assert.equal(existing.status, 2);
      assert.equal(
        existing.stderr,
        'flux-sops: Invalid tenant name "apps": is already a tenant of this fleet (apps, web): choose another name\n',
      );
      const taken = await runCliInProcess([
        'tenant',
        'add',
        'blog',
        '--repo-url',
        'https://github.com/acme/blog.git',
        '--cwd',
        dir,
        '--no-interactive',
      ]);
      assert.equal(taken.status, 2);
      assert.equal(
        taken.stderr,
        'flux-sops: Invalid tenant name "blog": its credentials secrets/staging/blog-auth.yaml already exist (a Secret blog-auth): choose another name, or move that Secret\n',
      );
      const missing = await runCliInProcess(['tenant', 'add', 'blog', '--cwd', dir, '--no-interactive']);
      assert.equal(missing.status, 2);
      assert.equal(
        missing.stderr,
        'flux-sops: Missing tenants.blog.repoUrl: each tenant needs the Git URL of its repository (https://… or ssh://git@host/org/repo)\n',
      );
      const usage = await runCliInProcess(['tenant', 'rename', 'web', '--cwd', dir]);
      assert.equal(usage.status, 2);
      assert.equal(
        usage.stderr,
        'flux-sops: flux-sops tenant takes add or remove and one tenant name, got rename web\nUsage: flux-sops tenant add <name> [options]\n',
      );
      assert.equal(hashTree(dir), state, 'nothing was written');
      rmSync(join(dir, 'secrets', 'staging', 'blog-auth.yaml'));
    });

    it('adds a new environment to every tenant stored with "all", and to no other', async () => {
      const result = await runCliInProcess(['env', 'qa', '--cwd', dir, '--no-interactive']);
      assert.equal(result.status, 0, result.stderr);
      const after = readTree(dir);
      assert.ok(after['tenants/qa/apps/sync.yaml']);
      assert.ok(after['secrets/qa/apps-auth.yaml']);
      assert.equal(after['tenants/qa/web/sync.yaml'], undefined);
      assert.deepEqual((parse(after['tenants/qa/kustomization.yaml'] ?? '') as { resources: string[] }).resources, [
        'apps',
      ]);
    });
  });

  describe('a fleet written before tenants', () => {
    it('is not migrated: a re-run stops with exit 2, writes nothing, and points to the manual move', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'pre-tenant-'));
      writeFileSync(
        join(dir, '.yo-rc.json'),
        JSON.stringify({
          'generator-flux-sops': {
            accountId: '123456789012',
            repoUrl: 'https://github.com/acme/apps.git',
            environments: ['staging', 'production'],
          },
        }),
      );
      for (const environment of ['staging', 'production']) {
        mkdirSync(join(dir, 'clusters', environment), { recursive: true });
        writeFileSync(join(dir, 'clusters', environment, 'apps.yaml'), 'kind: Kustomization\n');
      }
      const state = hashTree(dir);
      const expected =
        'flux-sops: This fleet was written before tenants (clusters/staging/apps.yaml, clusters/production/apps.yaml) and is not migrated automatically: removing apps.yaml would prune every workload it applied. ' +
        'Move it by hand as README.md of generator-flux-sops says ("Moving a fleet from before tenants": spec.deletionPolicy: Orphan on the Kustomization apps first, then re-seal the credentials as apps-auth); nothing was written\n';
      for (const args of [
        [dir],
        ['env', 'qa', '--cwd', dir],
        ['tenant', 'add', 'web', '--repo-url', 'https://github.com/acme/web.git', '--cwd', dir],
      ]) {
        const result = await runCliInProcess([...args, '--no-interactive']);
        assert.equal(result.status, 2, args.join(' '));
        assert.equal(result.stderr, expected, args.join(' '));
      }
      assert.equal(hashTree(dir), state, 'nothing was written');
      assert.match(
        readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8'),
        /^#+ Moving a fleet from before tenants$/m,
        'the README section the message names',
      );
    });
  });
});
