// The pure planning step: validated answers in, the files of the fleet out. Nothing here
// touches the destination; the generators only hand the result to Yeoman's file system.
import { readFileSync } from 'node:fs';
import ejs from 'ejs';
import { parseAllDocuments } from 'yaml';
import {
  type EnvironmentAnswers,
  type FleetAnswers,
  PLACEHOLDER_OIDC_ID,
  defaultKmsKeyArn,
} from './inputs.js';
import { type ParsedKmsArn, parseKmsArn, partitionOf } from './validators.js';
import { doubleQuoted, yamlScalar } from './yaml-scalar.js';
import { CLUSTERS_FOLDER, ENCRYPTED_REGEX, PLACEHOLDER_ANNOTATION, PLACEHOLDER_CIPHERTEXT, SECRETS_FOLDER } from './fleet-constants.js';

export interface PlannedFile {
  /** POSIX path relative to the fleet root. */
  readonly path: string;
  readonly contents: string;
}

export interface ResolvedEnvironment {
  readonly name: string;
  readonly accountId: string;
  readonly roleName: string;
  readonly roleArn: string;
  readonly kmsKeyArn: string;
  readonly kmsKey: ParsedKmsArn;
  readonly oidcIssuer: string;
  readonly oidcIssuerIsPlaceholder: boolean;
  readonly oidcProviderArn: string;
  readonly clusterPath: string;
  readonly secretsPath: string;
  readonly appsPath: string;
  readonly sopsPathRegex: string;
}

export interface SopsCreationRule {
  path_regex: string;
  encrypted_regex: string;
  kms: string;
}

export const README_ENVIRONMENTS_START = '<!-- flux-sops:environments:start -->';
export const README_ENVIRONMENTS_END = '<!-- flux-sops:environments:end -->';

const TEMPLATES = new URL('../templates/', import.meta.url);

const fleetFiles = [
  { template: 'sops.yaml.ejs', path: '.sops.yaml' },
  { template: 'gitignore.ejs', path: '.gitignore' },
  { template: 'README.md.ejs', path: 'README.md' },
] as const;

const environmentFiles = [
  { template: 'environment/gotk-components.yaml.ejs', path: 'clusters/<env>/flux-system/gotk-components.yaml' },
  { template: 'environment/gotk-sync.yaml.ejs', path: 'clusters/<env>/flux-system/gotk-sync.yaml' },
  { template: 'environment/flux-system-kustomization.yaml.ejs', path: 'clusters/<env>/flux-system/kustomization.yaml' },
  { template: 'environment/secrets-sync.yaml.ejs', path: 'clusters/<env>/secrets.yaml' },
  { template: 'environment/apps-sync.yaml.ejs', path: 'clusters/<env>/apps.yaml' },
  { template: 'environment/secrets-kustomization.yaml.ejs', path: 'secrets/<env>/kustomization.yaml' },
  { template: 'environment/git-repository.yaml.ejs', path: 'secrets/<env>/git-repository.yaml' },
  { template: 'environment/repo-auth.yaml.ejs', path: 'secrets/<env>/repo-auth.yaml' },
  { template: 'environment/trust-policy.json.ejs', path: 'iam/<env>/trust-policy.json' },
  { template: 'environment/kms-decrypt-policy.json.ejs', path: 'iam/<env>/kms-decrypt-policy.json' },
] as const;

const templateCache = new Map<string, ejs.TemplateFunction>();

function compileTemplate(name: string): ejs.TemplateFunction {
  let compiled = templateCache.get(name);
  if (!compiled) {
    const url = new URL(name, TEMPLATES);
    compiled = ejs.compile(readFileSync(url, 'utf8'), { filename: url.pathname, strict: true, localsName: 'it' });
    templateCache.set(name, compiled);
  }
  return compiled;
}

/** Escapes a literal string for use inside a Go RE2 / JS regular expression. */
function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

export function sopsPathRegexFor(environment: string): string {
  return `^${SECRETS_FOLDER}/${escapeRegex(environment)}/.+\\.ya?ml$`;
}

export function resolveEnvironment(answers: FleetAnswers, environment: EnvironmentAnswers): ResolvedEnvironment {
  const accountId = environment.accountId ?? answers.accountId;
  const roleName = environment.roleName ?? answers.roleName;
  const partition = partitionOf(answers.region);
  const kmsKeyArn = environment.kmsKeyArn ?? defaultKmsKeyArn(answers.region, accountId, environment.name);
  const kmsKey = parseKmsArn(kmsKeyArn);
  if (!kmsKey) {
    throw new Error(`Bug: unvalidated KMS ARN reached the planner: ${kmsKeyArn}`);
  }
  const oidcIssuer = environment.oidcIssuer ?? `oidc.eks.${answers.region}.amazonaws.com${partition === 'aws-cn' ? '.cn' : ''}/id/${PLACEHOLDER_OIDC_ID}`;
  return {
    name: environment.name,
    accountId,
    roleName,
    roleArn: `arn:${partition}:iam::${accountId}:role/${roleName}`,
    kmsKeyArn,
    kmsKey,
    oidcIssuer,
    oidcIssuerIsPlaceholder: environment.oidcIssuer === undefined,
    oidcProviderArn: `arn:${partition}:iam::${accountId}:oidc-provider/${oidcIssuer}`,
    clusterPath: `${CLUSTERS_FOLDER}/${environment.name}`,
    secretsPath: `${SECRETS_FOLDER}/${environment.name}`,
    appsPath: `./deploy/${environment.name}`,
    sopsPathRegex: sopsPathRegexFor(environment.name),
  };
}

export function sopsCreationRuleFor(environment: ResolvedEnvironment): SopsCreationRule {
  return { path_regex: environment.sopsPathRegex, encrypted_regex: ENCRYPTED_REGEX, kms: environment.kmsKeyArn };
}

/** What every template sees: the fleet, its environments, and the quoting helpers. */
function templateContext(answers: FleetAnswers) {
  const repoScheme = answers.repoUrl.startsWith('ssh://') ? 'ssh' : 'https';
  return {
    fleet: answers,
    environments: answers.environments.map((each) => resolveEnvironment(answers, each)),
    env: undefined as ResolvedEnvironment | undefined,
    repoScheme,
    repoAuthKeys: repoScheme === 'ssh' ? ['identity', 'identity.pub', 'known_hosts'] : ['username', 'password'],
    placeholder: { annotation: PLACEHOLDER_ANNOTATION, ciphertext: PLACEHOLDER_CIPHERTEXT, oidcId: PLACEHOLDER_OIDC_ID },
    encryptedRegex: ENCRYPTED_REGEX,
    readmeMarkers: { start: README_ENVIRONMENTS_START, end: README_ENVIRONMENTS_END },
    yaml: yamlScalar,
    quoted: doubleQuoted,
    json: (value: unknown) => JSON.stringify(value),
  };
}

type TemplateContext = ReturnType<typeof templateContext>;

/** Parses a rendered file back, so a template bug fails here and not in a cluster. */
export function assertParses(file: PlannedFile): void {
  if (file.path.endsWith('.json')) {
    try {
      JSON.parse(file.contents);
    } catch (error) {
      throw new Error(`Bug: ${file.path} is not valid JSON: ${(error as Error).message}`);
    }
  } else if (/\.ya?ml$/.test(file.path)) {
    // Syntax and duplicate keys read the same in YAML 1.1 and 1.2; the scalars that differ
    // between them are yamlScalar's job (and the tests parse every file in both).
    for (const document of parseAllDocuments(file.contents, { uniqueKeys: true, version: '1.1' })) {
      const [problem] = [...document.errors, ...document.warnings];
      if (problem) {
        throw new Error(`Bug: ${file.path} does not parse as YAML: ${problem.message}`);
      }
    }
  }
}

function render(template: string, path: string, context: TemplateContext): PlannedFile {
  const file = { path, contents: compileTemplate(template)(context) };
  assertParses(file);
  return file;
}

/** The README section that lists the environments: the `env` generator replaces only this. */
export function planReadmeEnvironmentsSection(answers: FleetAnswers): string {
  return compileTemplate('README-environments.md.ejs')(templateContext(answers));
}

function renderEnvironment(context: TemplateContext, environment: ResolvedEnvironment): PlannedFile[] {
  const environmentContext = { ...context, env: environment };
  return environmentFiles.map(({ template, path }) =>
    render(template, path.replace('<env>', environment.name), environmentContext),
  );
}

/** The files that belong to one environment (everything but the fleet-wide files). */
export function planEnvironmentFiles(answers: FleetAnswers, environmentName: string): PlannedFile[] {
  const context = templateContext(answers);
  const environment = context.environments.find((each) => each.name === environmentName);
  if (!environment) {
    throw new Error(`Bug: environment ${environmentName} is not in the answers`);
  }
  return renderEnvironment(context, environment);
}

/** The whole fleet repository, in a stable order. */
export function planFleet(answers: FleetAnswers): PlannedFile[] {
  const context = templateContext(answers);
  return [
    ...fleetFiles.map(({ template, path }) => render(template, path, context)),
    ...context.environments.flatMap((environment) => renderEnvironment(context, environment)),
  ];
}
