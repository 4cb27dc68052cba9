// Sealing in a tenant's own repository: `flux-sops secret generic <name> --namespace N --out PATH`
// in a folder whose nearest `.sops.yaml` has no fleet beside it (a fleet is recognised by its
// `.yo-rc.json` holding generator-flux-sops answers, not by `.sops.yaml` alone). The Secret is
// sealed into PATH for the first rule of that `.sops.yaml` matching PATH, with the same
// guarantees as in a fleet; nothing is listed (the tenant's kustomization is theirs).
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { FleetDisk } from '../disk/index.js';
import { describeValue, FluxSopsError } from '../errors.js';
import { SOPS_CONFIG_FILE, STORAGE_NAME, STORED_ANSWERS_FILE } from '../fleet/layout.js';
import { readCreationRules } from '../fleet/sops-config.js';
import { type MasterKeys, masterKeysOfRule, usable } from '../sops/master-keys.js';
import { findCreationRule } from '../sops/rules.js';
import {
  type EncryptionSelectors,
  type ExistingSecret,
  classifyExisting,
  readFleetFacts,
  selectorsOf,
} from './plan.js';
import { validateNamespace, validateSecretName } from './values.js';

/** Where and for which keys a Secret is sealed in a tenant's repository. */
export interface TenantSealingPlan {
  /** The folder of the `.sops.yaml` whose rules decide. */
  readonly root: string;
  /** POSIX path of the sealed file, relative to root (what the rules are matched against). */
  readonly path: string;
  readonly name: string;
  readonly namespace: string;
  readonly keys: MasterKeys;
  readonly selectors: EncryptionSelectors;
  readonly existing: ExistingSecret;
}

/**
 * Plans sealing `name` into `out` (relative to `start`, the working folder), by the `.sops.yaml`
 * of `disk`, the nearest folder at or above `start` holding one. Errors, each before a value is
 * read: no `.sops.yaml` there, a fleet there (its Secrets go under secrets/<env>/), a path
 * outside that folder or not YAML, a bad name or namespace, no rule for the path, a rule with
 * keys this product cannot use.
 */
export function planTenantSealing(
  disk: FleetDisk,
  start: string,
  name: string,
  namespace: string | undefined,
  out: string,
): TenantSealingPlan {
  const root = disk.root;
  const sopsConfig = disk.text(SOPS_CONFIG_FILE);
  if (sopsConfig === null) {
    throw new FluxSopsError(
      'fleet',
      `No ${SOPS_CONFIG_FILE} in ${start} or any folder above it: --out seals by the rules of the nearest ` +
        `${SOPS_CONFIG_FILE} (the one the fleet gave your repository)`,
    );
  }
  // A fleet: its `.yo-rc.json` holds generator-flux-sops answers.
  if (readFleetFacts(disk.text(STORED_ANSWERS_FILE)) !== undefined) {
    throw new FluxSopsError(
      'usage',
      `--out is for a tenant's repository, and ${root} is a fleet (its ${STORED_ANSWERS_FILE} holds ` +
        `${STORAGE_NAME} answers): seal with flux-sops secret generic <env> <name>`,
    );
  }
  const nameValid = validateSecretName(name);
  if (nameValid !== true) {
    throw new FluxSopsError('input', `Invalid Secret name ${describeValue(name)}: ${nameValid}`);
  }
  if (namespace === undefined) {
    throw new FluxSopsError(
      'usage',
      "Missing --namespace <namespace>: in a tenant's repository, the Secret goes to the tenant's namespace",
    );
  }
  const namespaceValid = validateNamespace(namespace);
  if (namespaceValid !== true) {
    throw new FluxSopsError('input', `Invalid namespace ${describeValue(namespace)}: ${namespaceValid}`);
  }
  const relativePath = relative(root, resolve(start, out));
  if (
    relativePath === '' ||
    relativePath.startsWith('..') ||
    isAbsolute(relativePath) ||
    !/\.ya?ml$/.test(relativePath)
  ) {
    throw new FluxSopsError(
      'input',
      `Invalid --out ${describeValue(out)}: a .yaml or .yml file inside ${root}, the folder of ${SOPS_CONFIG_FILE}`,
    );
  }
  const path = relativePath.split(sep).join('/');
  const rules = readCreationRules(sopsConfig);
  const rule = rules[findCreationRule(rules, path)];
  if (rule === undefined) {
    throw new FluxSopsError(
      'fleet',
      `No creation rule in ${join(root, SOPS_CONFIG_FILE)} matches ${path}, so it has no key to be sealed for ` +
        `(sops would refuse it too); nothing was written`,
    );
  }
  return {
    root,
    path,
    name,
    namespace,
    keys: usable(masterKeysOfRule(rule)),
    selectors: selectorsOf(rule),
    existing: classifyExisting(disk.text(path)),
  };
}
