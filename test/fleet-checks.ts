// Judges a written fleet the way the real tools would: the yaml parser, the Kubernetes and
// Flux schemas, `kubectl kustomize`, and SOPS's first-match rule lookup. Shared by the tests
// of every generator, so a fleet extended by `env` is held to the same standard.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from 'kubernetes-models/admissionregistration.k8s.io/v1';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { Namespace, Secret, ServiceAccount } from 'kubernetes-models/v1';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse, parseAllDocuments } from 'yaml';
import { type CreationRule, findCreationRule, isAnchored } from '../src/sops/rules.js';
import type { Tree } from './support.js';

/**
 * The CRDs of the Flux version the fleet requires (2.7.0: kustomize-controller v1.7.0 and
 * source-controller v1.7.0, config/crd/bases), vendored as fixtures. Validated as the API server
 * does with its structural schemas: a field the schema does not declare is an error (the API
 * server would prune it silently, so a misspelt field would just vanish).
 */
const FLUX_CRDS = ['kustomize.toolkit.fluxcd.io_kustomizations.yaml', 'source.toolkit.fluxcd.io_gitrepositories.yaml'];

/** Closes every object schema that declares its properties, as structural-schema pruning does; metadata is the API server's. */
function closeSchema(schema: Record<string, unknown>, path: string[] = []): Record<string, unknown> {
  const closed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'properties' && typeof value === 'object' && value !== null) {
      closed.properties = Object.fromEntries(
        Object.entries(value).map(([name, property]) => [
          name,
          name === 'metadata' && path.length === 0
            ? property
            : closeSchema(property as Record<string, unknown>, [...path, name]),
        ]),
      );
    } else if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) {
      closed[key] = closeSchema(value as Record<string, unknown>, [...path, key]);
    } else {
      closed[key] = value;
    }
  }
  if (
    closed.properties !== undefined &&
    closed.additionalProperties === undefined &&
    closed['x-kubernetes-preserve-unknown-fields'] !== true
  ) {
    closed.additionalProperties = false;
  }
  return closed;
}

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });

function crdValidators(): Record<string, (object: Record<string, unknown>) => void> {
  const validators: Record<string, (object: Record<string, unknown>) => void> = {};
  for (const file of FLUX_CRDS) {
    const crd = parse(readFileSync(join(import.meta.dirname, 'fixtures', 'flux-crds', file), 'utf8')) as {
      spec: {
        group: string;
        names: { kind: string };
        versions: { name: string; served: boolean; schema: { openAPIV3Schema: Record<string, unknown> } }[];
      };
    };
    for (const version of crd.spec.versions.filter((each) => each.served)) {
      const validate: ValidateFunction = ajv.compile(closeSchema(version.schema.openAPIV3Schema));
      validators[`${crd.spec.group}/${version.name}/${crd.spec.names.kind}`] = (object) => {
        if (!validate(object)) {
          throw new Error(ajv.errorsText(validate.errors));
        }
      };
    }
  }
  return validators;
}

const validators: Record<string, (object: Record<string, unknown>) => void> = {
  ...crdValidators(),
  'v1/Secret': (object) => new Secret(object as never).validate(),
  'v1/ServiceAccount': (object) => new ServiceAccount(object as never).validate(),
  'v1/Namespace': (object) => new Namespace(object as never).validate(),
  'rbac.authorization.k8s.io/v1/RoleBinding': (object) => new RoleBinding(object as never).validate(),
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy': (object) =>
    new ValidatingAdmissionPolicy(object as never).validate(),
  'admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding': (object) =>
    new ValidatingAdmissionPolicyBinding(object as never).validate(),
};

/** Validates one object against the schema of its kind; an unknown kind is an error. */
export function validateObject(object: Record<string, unknown>): void {
  const type = `${String(object.apiVersion)}/${String(object.kind)}`;
  const validate = validators[type];
  assert.ok(validate, `no schema known for ${type}`);
  validate(object);
}

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
        assert.deepEqual(
          [...document.errors, ...document.warnings].map((problem) => problem.message),
          [],
          `${path} (YAML ${version})`,
        );
      }
    }
    for (const document of parseAllDocuments(contents)) {
      const object = document.toJS() as Record<string, unknown> | null;
      if (object === null || typeof object !== 'object' || !('kind' in object)) {
        continue;
      }
      const type = `${String(object.apiVersion)}/${String(object.kind)}`;
      if (type === KUSTOMIZE_CONFIG) {
        // The ServiceAccount patch is a document of its own: validate it like any object (the
        // JSON 6902 patches of the lockdown are lists of operations, checked by building).
        for (const patch of (object.patches as { patch?: string }[] | undefined) ?? []) {
          const patchObject = patch.patch ? (parse(patch.patch) as Record<string, unknown>) : undefined;
          if (patchObject && !Array.isArray(patchObject)) {
            validateObject(patchObject);
            objectsValidated += 1;
          }
        }
        continue;
      }
      assert.ok(validators[type], `${path}: no schema known for ${type}`);
      // SOPS metadata is not part of the Kubernetes object: kustomize-controller strips it after decrypting.
      const { sops: _sops, ...kubernetesObject } = object;
      assert.doesNotThrow(() => validateObject(kubernetesObject), `${path}: ${type} does not validate`);
      objectsValidated += 1;
    }
  }
  return { yamlFiles, objectsValidated };
}

/** The controllers `flux install` deploys (flux2 manifests/bases, Flux 2.7.0), with the arguments their Deployments start with. */
export const FLUX_CONTROLLERS = [
  'source-controller',
  'kustomize-controller',
  'helm-controller',
  'notification-controller',
  'image-reflector-controller',
  'image-automation-controller',
] as const;

/**
 * A stand-in for what `flux bootstrap` writes: the controllers' ServiceAccounts and Deployments
 * (args as in each controller's config/manager/deployment.yaml), so that a patch whose target is
 * missing shows up as a missing flag rather than building silently.
 */
const STAND_IN_GOTK_COMPONENTS = [
  'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: flux-system\n',
  ...FLUX_CONTROLLERS.map(
    (name) => `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${name}\n  namespace: flux-system\n`,
  ),
  ...FLUX_CONTROLLERS.map(
    (name) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: flux-system
spec:
  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      serviceAccountName: ${name}
      containers:
        - name: manager
          image: ghcr.io/fluxcd/${name}
          args:
            - --watch-all-namespaces
            - --log-level=info
            - --log-encoding=json
            - --enable-leader-election
`,
  ),
].join('---\n');

/** A stand-in for gotk-sync.yaml: the bootstrap source and the Kustomization "flux-system" the lockdown patches. */
const STAND_IN_GOTK_SYNC = `apiVersion: source.toolkit.fluxcd.io/v1
kind: GitRepository
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 1m
  url: ssh://git@github.com/acme/fleet
  ref:
    branch: main
  secretRef:
    name: flux-system
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m
  path: ./clusters/ENV
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
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
      writeFileSync(join(scratch, 'gotk-sync.yaml'), STAND_IN_GOTK_SYNC);
      buildDir = scratch;
    }
    try {
      outputs[folder] = execFileSync('kubectl', ['kustomize', buildDir], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      });
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
export function assertSopsRules(
  tree: Tree,
  keys: Record<string, string>,
  ageRecipients: Record<string, string | undefined> = {},
): void {
  const rules = creationRulesOf(tree);
  for (const rule of rules) {
    assert.ok(rule.path_regex && isAnchored(rule.path_regex), `rule ${rule.path_regex} is anchored`);
  }
  for (const [environment, kmsKeyArn] of Object.entries(keys)) {
    for (const path of [`secrets/${environment}/apps-auth.yaml`, `secrets/${environment}/nested/db.yml`]) {
      const index = findCreationRule(rules, path);
      assert.notEqual(index, -1, `${path} matches a rule`);
      assert.equal(rules[index]?.kms, kmsKeyArn, `${path} is encrypted with the key of ${environment}`);
      assert.equal(
        rules[index]?.age,
        ageRecipients[environment],
        `${path} has the backup recipients of ${environment}`,
      );
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
