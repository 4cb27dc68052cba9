// The tenancy rules of `flux-sops check`, in process, over the committed tenants fleet
// (test/golden/tenants: two tenants, an IRSA and a Pod Identity environment): one planted fault
// per test, the findings asserted, and for each rule a case that must not trigger it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import type { Finding } from '../src/check/findings.js';

const tenantsFleet = join(fileURLToPath(new URL('..', import.meta.url)), 'test', 'golden', 'tenants');
const generated: ReadonlyMap<string, string> = readFleetFiles(tenantsFleet);

type Files = Map<string, string>;

function fleet(): Files {
  return new Map(generated);
}

/** The findings other than the placeholders every generated fleet starts with. */
function errors(files: Files): Finding[] {
  return checkFleet(files).filter((each) => each.severity !== 'pending');
}

function edit(files: Files, path: string, from: string | RegExp, to: string): void {
  const text = files.get(path) ?? '';
  const edited = text.replace(from, to);
  assert.notEqual(edited, text, `${path}: the planted fault changed nothing`);
  files.set(path, edited);
}

const STAGING_LOCKDOWN = 'clusters/staging/flux-system/kustomization.yaml';
const PRODUCTION_LOCKDOWN = 'clusters/production/flux-system/kustomization.yaml';
const SHOP_SYNC = 'tenants/staging/shop/sync.yaml';

describe('flux-sops check: tenancy', () => {
  it('finds nothing wrong in a generated fleet with tenants: only its placeholders, pending', () => {
    assert.deepEqual(errors(fleet()), []);
    assert.deepEqual(
      checkFleet(fleet()).map(({ file, rule }) => `${rule} ${file}`),
      [
        'oidc-placeholder iam/staging/trust-policy.json',
        'placeholder secrets/production/billing-auth.yaml',
        'placeholder secrets/production/shop-auth.yaml',
        'placeholder secrets/staging/shop-auth.yaml',
      ],
    );
  });

  describe('the lockdown', () => {
    it('finds a missing flag and a bootstrap Kustomization without its ServiceAccount', () => {
      const files = fleet();
      edit(files, STAGING_LOCKDOWN, 'name: "(kustomize-controller|helm-controller)"', 'name: "kustomize-controller"');
      edit(files, STAGING_LOCKDOWN, 'value: kustomize-controller\n', 'value: default\n');
      assert.deepEqual(errors(files), [
        {
          file: STAGING_LOCKDOWN,
          rule: 'lockdown-missing',
          severity: 'error',
          message:
            "lacks Flux's multi-tenancy lockdown: --default-service-account=default on helm-controller, serviceAccountName: kustomize-controller on the Kustomization flux-system; without it a tenant's repository can reach other namespaces or run with the controllers' rights",
          fix: 'restore the generated patches: flux-sops (a re-run reports your edits as a conflict; --force restores them)',
        },
      ]);
    });

    it('does not read a target name as a regular expression beyond a plain alternation: such a target counts as missing', () => {
      const files = fleet();
      edit(files, PRODUCTION_LOCKDOWN, 'name: "kustomize-controller"\n', 'name: "kustomize-.*"\n');
      assert.deepEqual(
        errors(files).map(({ rule, message }) => `${rule}: ${message.split(':')[1]?.split(';')[0]}`),
        ['lockdown-missing:  --no-remote-bases=true on kustomize-controller'],
      );
    });
  });

  describe('the decryption lock', () => {
    it('finds an IRSA environment without the object-level flags', () => {
      const files = fleet();
      edit(
        files,
        STAGING_LOCKDOWN,
        /\n {6}- op: add\n {8}path: \/spec\/template\/spec\/containers\/0\/args\/-\n {8}value: --default-decryption-service-account=flux-sops-decryptor/,
        '',
      );
      const [found] = errors(files);
      assert.equal(found?.rule, 'decryption-lock-missing');
      assert.equal(found?.file, STAGING_LOCKDOWN);
      assert.equal(
        found?.message,
        "staging has no decryption lock: a Kustomization with decryption and no decryption.serviceAccountName decrypts with kustomize-controller's own role, the one that opens every fleet ciphertext",
      );
    });

    it('finds a Pod Identity environment whose policy is missing, or only audits', () => {
      const missing = fleet();
      missing.delete('clusters/production/tenant-lockdown.yaml');
      assert.deepEqual(
        errors(missing).map(({ rule, file }) => `${rule} ${file}`),
        [`decryption-lock-missing ${PRODUCTION_LOCKDOWN}`],
      );
      const audit = fleet();
      edit(
        audit,
        'clusters/production/tenant-lockdown.yaml',
        'validationActions: ["Deny"]',
        'validationActions: ["Audit"]',
      );
      assert.deepEqual(
        errors(audit).map(({ rule, file }) => `${rule} ${file}`),
        [`decryption-lock-missing ${PRODUCTION_LOCKDOWN}`],
      );
      const ignore = fleet();
      edit(ignore, 'clusters/production/tenant-lockdown.yaml', '\n  failurePolicy: Fail', '\n  failurePolicy: Ignore');
      assert.deepEqual(
        errors(ignore).map(({ rule, file }) => `${rule} ${file}`),
        [`decryption-lock-missing ${PRODUCTION_LOCKDOWN}`],
      );
    });

    it('finds --sops-age-secret', () => {
      const files = fleet();
      edit(
        files,
        STAGING_LOCKDOWN,
        'value: --no-remote-bases=true\n',
        'value: --no-remote-bases=true\n      - op: add\n        path: /spec/template/spec/containers/0/args/-\n        value: --sops-age-secret=sops-age\n',
      );
      assert.deepEqual(
        errors(files).map(({ rule, file }) => `${rule} ${file}`),
        [`sops-age-secret ${STAGING_LOCKDOWN}`],
      );
    });
  });

  describe('Flux objects outside flux-system', () => {
    it('finds a Kustomization without serviceAccountName, and one naming a source in another namespace', () => {
      const files = fleet();
      edit(files, SHOP_SYNC, '  serviceAccountName: shop\n', '');
      edit(files, SHOP_SYNC, '    name: shop\n', '    name: flux-system\n    namespace: flux-system\n');
      assert.deepEqual(errors(files), [
        {
          file: SHOP_SYNC,
          rule: 'cross-namespace-source',
          severity: 'error',
          message:
            'document 2: Flux Kustomization shop/shop refers to a source in flux-system, another namespace than its own (the lockdown refuses it; dependsOn is allowed)',
          fix: 'define the source in its own namespace and drop the namespace from the reference',
        },
        {
          file: SHOP_SYNC,
          rule: 'no-service-account',
          severity: 'error',
          message:
            "document 2: Flux Kustomization shop/shop is outside flux-system and names no spec.serviceAccountName: it would not run as its tenant's account",
          fix: "set spec.serviceAccountName to the tenant's ServiceAccount in its namespace",
        },
      ]);
    });

    it('finds a HelmRelease with a chart source in another namespace; allows dependsOn across namespaces and a source in its own', () => {
      const files = fleet();
      const release = (namespace: string) =>
        `apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  serviceAccountName: shop\n  interval: 10m\n  chart:\n    spec:\n      chart: web\n      sourceRef:\n        kind: HelmRepository\n        name: charts\n        namespace: ${namespace}\n`;
      files.set('tenants/staging/shop/release.yaml', release('flux-system'));
      assert.deepEqual(
        errors(files).map(({ rule, file }) => `${rule} ${file}`),
        ['cross-namespace-source tenants/staging/shop/release.yaml'],
      );
      files.set('tenants/staging/shop/release.yaml', release('shop'));
      edit(
        files,
        SHOP_SYNC,
        '  prune: true\n',
        '  prune: true\n  dependsOn:\n    - name: secrets\n      namespace: flux-system\n',
      );
      assert.deepEqual(errors(files), []);
    });
  });

  describe('Secrets for namespaces the fleet creates', () => {
    it("finds a Secret sealed for a namespace the environment does not have, and accepts its tenants' and flux-system", () => {
      const files = fleet();
      // billing's namespace exists in production only.
      edit(files, 'secrets/staging/shop-auth.yaml', 'namespace: shop\n', 'namespace: payments\n');
      assert.deepEqual(errors(files), [
        {
          file: 'secrets/staging/shop-auth.yaml',
          rule: 'secret-namespace-not-created',
          severity: 'error',
          message:
            'Secret payments/shop-auth is sealed for the namespace payments, which the fleet does not create in staging (flux-system, shop): the "secrets" Kustomization would stall on it',
          fix: 'seal it again for one of those namespaces (flux-sops secret generic staging shop-auth --namespace <namespace> --force …), or add the tenant first (flux-sops tenant add)',
        },
      ]);
      edit(files, 'secrets/staging/shop-auth.yaml', 'namespace: payments\n', 'namespace: flux-system\n');
      assert.deepEqual(errors(files), []);
    });
  });
});
