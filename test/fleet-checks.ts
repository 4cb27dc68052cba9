// Judges a written fleet the way the real tools would: the yaml parser, the Kubernetes and
// Flux schemas, `kubectl kustomize`, and SOPS's first-match rule lookup. Shared by the tests
// of every generator, so a fleet extended by `env` is held to the same standard.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kustomization as FluxKustomization } from '@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1';
import { GitRepository } from '@kubernetes-models/flux-cd/source.toolkit.fluxcd.io/v1';
import { Secret, ServiceAccount } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { type CreationRule, findCreationRule, isAnchored } from '../src/sops/rules.js';
import type { Tree } from './support.js';

const validators: Record<string, (object: Record<string, unknown>) => void> = {
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': (object) => new FluxKustomization(object as never).validate(),
  'source.toolkit.fluxcd.io/v1/GitRepository': (object) => new GitRepository(object as never).validate(),
  'v1/Secret': (object) => new Secret(object as never).validate(),
  'v1/ServiceAccount': (object) => new ServiceAccount(object as never).validate(),
};

/** Kustomize's own config files have no published schema; their fields are checked by building them. */
const KUSTOMIZE_CONFIG = 'kustomize.config.k8s.io/v1beta1/Kustomization';

export function kubectlAvailable(): boolean {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** kubectl is optional on a developer's machine (the test says it skipped), required in CI. */
export function requireKubectl(context: Mocha.Context): void {
  if (!kubectlAvailable()) {
    if (process.env.CI) {
      assert.fail('kubectl is required in CI to build the kustomize folders');
    }
    context.skip();
  }
}

export interface FleetReport {
  yamlFiles: number;
  objectsValidated: number;
  kustomizeFolders: string[];
}

/** Parses every YAML file (both YAML versions, no duplicate keys) and validates every object in it. */
export function validateObjects(tree: Tree): { yamlFiles: number; objectsValidated: number } {
  let yamlFiles = 0;
  let objectsValidated = 0;
  for (const [path, contents] of Object.entries(tree)) {
    if (path.endsWith('.json')) {
      JSON.parse(contents);
      continue;
    }
    if (!/\.ya?ml$/.test(path)) {
      continue;
    }
    yamlFiles += 1;
    for (const version of ['1.1', '1.2'] as const) {
      for (const document of parseAllDocuments(contents, { uniqueKeys: true, version })) {
        assert.deepEqual([...document.errors, ...document.warnings].map((problem) => problem.message), [], `${path} (YAML ${version})`);
      }
    }
    for (const document of parseAllDocuments(contents)) {
      const object = document.toJS() as Record<string, unknown> | null;
      if (object === null || typeof object !== 'object' || !('kind' in object)) {
        continue;
      }
      const type = `${String(object.apiVersion)}/${String(object.kind)}`;
      if (type === KUSTOMIZE_CONFIG) {
        // The ServiceAccount patch is a document of its own: validate it like any object.
        for (const patch of (object.patches as { patch?: string }[] | undefined) ?? []) {
          if (patch.patch) {
            const patchObject = parse(patch.patch) as Record<string, unknown>;
            validators[`${String(patchObject.apiVersion)}/${String(patchObject.kind)}`]?.(patchObject);
            objectsValidated += 1;
          }
        }
        continue;
      }
      const validate = validators[type];
      assert.ok(validate, `${path}: no schema known for ${type}`);
      // SOPS metadata is not part of the Kubernetes object: kustomize-controller strips it after decrypting.
      const { sops: _sops, ...kubernetesObject } = object;
      assert.doesNotThrow(() => validate(kubernetesObject), `${path}: ${type} does not validate`);
      objectsValidated += 1;
    }
  }
  return { yamlFiles, objectsValidated };
}

/** A stand-in for what `flux bootstrap` writes: enough to prove the IRSA patch lands. */
const STAND_IN_GOTK_COMPONENTS = `apiVersion: v1
kind: Namespace
metadata:
  name: flux-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: kustomize-controller
  namespace: flux-system
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: source-controller
  namespace: flux-system
`;

/**
 * Builds every folder that holds a kustomization.yaml with `kubectl kustomize`, the
 * flux-system folders over a stand-in gotk-components.yaml. Returns the built outputs by folder.
 */
export function buildKustomizeFolders(fleetDir: string, tree: Tree): Record<string, string> {
  const outputs: Record<string, string> = {};
  const folders = Object.keys(tree)
    .filter((path) => path.endsWith('/kustomization.yaml'))
    .map((path) => path.slice(0, -'/kustomization.yaml'.length));
  for (const folder of folders) {
    let buildDir = join(fleetDir, folder);
    let scratch: string | undefined;
    if (folder.endsWith('/flux-system')) {
      scratch = mkdtempSync(join(tmpdir(), 'flux-system-'));
      cpSync(buildDir, scratch, { recursive: true });
      writeFileSync(join(scratch, 'gotk-components.yaml'), STAND_IN_GOTK_COMPONENTS);
      buildDir = scratch;
    }
    try {
      outputs[folder] = execFileSync('kubectl', ['kustomize', buildDir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      if (scratch) {
        rmSync(scratch, { recursive: true, force: true });
      }
    }
  }
  return outputs;
}

export function creationRulesOf(tree: Tree): CreationRule[] {
  const sopsConfig = tree['.sops.yaml'];
  assert.ok(sopsConfig, 'the fleet has a root .sops.yaml');
  return (parse(sopsConfig) as { creation_rules: CreationRule[] }).creation_rules;
}

/** SOPS's first-match lookup: each environment's secrets get its key (and age recipients); clusters/ gets no rule. */
export function assertSopsRules(tree: Tree, keys: Record<string, string>, ageRecipients: Record<string, string | undefined> = {}): void {
  const rules = creationRulesOf(tree);
  for (const rule of rules) {
    assert.ok(rule.path_regex && isAnchored(rule.path_regex), `rule ${rule.path_regex} is anchored`);
  }
  for (const [environment, kmsKeyArn] of Object.entries(keys)) {
    for (const path of [`secrets/${environment}/repo-auth.yaml`, `secrets/${environment}/nested/db.yml`]) {
      const index = findCreationRule(rules, path);
      assert.notEqual(index, -1, `${path} matches a rule`);
      assert.equal(rules[index]?.kms, kmsKeyArn, `${path} is encrypted with the key of ${environment}`);
      assert.equal(rules[index]?.age, ageRecipients[environment], `${path} has the backup recipients of ${environment}`);
      assert.equal(rules[index]?.encrypted_regex, '^(data|stringData)$');
    }
    for (const path of [
      `clusters/${environment}/secret.yaml`,
      `clusters/${environment}/flux-system/gotk-sync.yaml`,
      `secrets/${environment}`,
      `secrets/${environment}/notes.txt`,
      `legacy/secrets/${environment}/x.yaml`,
      `secrets/${environment}x/x.yaml`,
    ]) {
      assert.equal(findCreationRule(rules, path), -1, `${path} matches no rule`);
    }
  }
}
