// The fleet's layout, declared once: folder and file names, path builders, sample paths, README
// markers and the stored-answers key. The planner writes these paths, the generators and the
// CLI find files by them, and `flux-sops check` reads them back. Node built-ins only: the
// checker loads it without the template engine.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A file of the fleet as planned: POSIX path relative to the fleet root, and its text. */
export interface PlannedFile {
  readonly path: string;
  readonly contents: string;
}

/** The one `.sops.yaml`, at the fleet root (sops looks for it from the working folder upward). */
export const SOPS_CONFIG_FILE = '.sops.yaml';
export const README_FILE = 'README.md';
export const GITIGNORE_FILE = '.gitignore';
/** Yeoman's storage file, and the key under which the answers are stored in it. */
export const STORED_ANSWERS_FILE = '.yo-rc.json';
export const STORAGE_NAME = 'generator-flux-sops';

/** Where `flux bootstrap --path=clusters/<env>` points: applied by the bootstrap Kustomization, without decryption. */
export const CLUSTERS_FOLDER = 'clusters';
/** The only place for encrypted files: `secrets/<env>/`, applied by the decrypting "secrets" Kustomization. */
export const SECRETS_FOLDER = 'secrets';
export const IAM_FOLDER = 'iam';
export const TERRAFORM_FOLDER = 'terraform';
/** The application repository's path per environment, synced by the "apps" Kustomization. */
export const DEPLOY_FOLDER = 'deploy';
/** Folders `check` never descends into: dependencies, Git's objects, Terraform's provider cache. */
export const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules', '.git', '.terraform']);

/** The kustomize list of what the "secrets" Kustomization applies, and the sealed Git credentials. */
export const SECRETS_KUSTOMIZATION = 'kustomization.yaml';
export const GIT_REPOSITORY_FILE = 'git-repository.yaml';
export const REPO_AUTH_NAME = 'repo-auth';
/** Names of `secrets/<env>/` files the fleet owns: a sealed Secret may not take them. */
export const RESERVED_SECRET_NAMES: readonly string[] = ['kustomization', 'git-repository'];

/** SOPS encrypts only the values of these keys: metadata stays readable for kustomize and reviews. */
export const ENCRYPTED_REGEX = '^(data|stringData)$';
/** Marks the generated repo-auth Secret until `flux-sops secret git <env>` replaces it. */
export const PLACEHOLDER_ANNOTATION = 'generator-flux-sops/placeholder';
export const PLACEHOLDER_CIPHERTEXT = 'ENC[AES256_GCM,data:PLACEHOLDER,iv:PLACEHOLDER,tag:PLACEHOLDER,type:str]';
/** Stands for the cluster's OIDC ID in an IRSA trust policy until `--oidc-issuer` gives it. */
export const PLACEHOLDER_OIDC_ID = 'REPLACE-WITH-CLUSTER-OIDC-ID';
/** The line of `secrets/<env>/kustomization.yaml` that stands for repo-auth until it is sealed. */
export const REPO_AUTH_PENDING_COMMENT = '# - repo-auth.yaml  (listed by flux-sops secret git once sealed)';

/** The README section that lists the environments: the `env` generator replaces only this. */
export const README_ENVIRONMENTS_START = '<!-- flux-sops:environments:start -->';
export const README_ENVIRONMENTS_END = '<!-- flux-sops:environments:end -->';

export const clusterPathOf = (environment: string): string => `${CLUSTERS_FOLDER}/${environment}`;
export const secretsPathOf = (environment: string): string => `${SECRETS_FOLDER}/${environment}`;
export const iamPathOf = (environment: string): string => `${IAM_FOLDER}/${environment}`;
export const terraformPathOf = (environment: string): string => `${TERRAFORM_FOLDER}/${environment}`;
export const appsPathOf = (environment: string): string => `./${DEPLOY_FOLDER}/${environment}`;
export const sealedSecretPathOf = (environment: string, name: string): string => `${secretsPathOf(environment)}/${name}.yaml`;

/** Sample paths of an environment's encrypted files (.yaml and .yml, at any depth), for reasoning about rule shadowing. */
export function sampleSecretPathsOf(environment: string): string[] {
  return [`${secretsPathOf(environment)}/${REPO_AUTH_NAME}.yaml`, `${secretsPathOf(environment)}/any/secret.yml`];
}

/** The environment a `secrets/<env>/…` or `clusters/<env>/…` path belongs to, if any. */
export function environmentOfPath(path: string): { folder: string; environment: string } | undefined {
  const [folder, environment, ...rest] = path.split('/');
  return folder !== undefined && environment !== undefined && rest.length > 0 ? { folder, environment } : undefined;
}

/**
 * The package's root folder (the one with package.json and templates/), found upward from this
 * module, so the same code works from the TypeScript sources and from the compiled dist/.
 */
export const PACKAGE_ROOT: string = (() => {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json')) && dirname(folder) !== folder) {
    folder = dirname(folder);
  }
  return folder;
})();
export const TEMPLATES_FOLDER = join(PACKAGE_ROOT, 'templates');

/**
 * The fleet a command works on: `--cwd` when given, else the nearest folder from `start` upward
 * that holds `.sops.yaml` (as sops and git look upward), else `start` itself.
 */
export function findFleetRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, SOPS_CONFIG_FILE))) {
      return folder;
    }
    if (dirname(folder) === folder) {
      return start;
    }
  }
}
