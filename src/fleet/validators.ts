// Pure validators: each returns `true` or a message naming what is allowed.
// The message never repeats the field name or the value: `describeInvalid` adds both,
// so prompts (which show the field already) and batch errors share the same text.

export type Validation = true | string;

const ACCOUNT_ID = /^\d{12}$/;
const ROLE_NAME = /^[A-Za-z0-9+=,.@_-]{1,64}$/;
const REGION = /^(?:us-gov|us-iso|us-isob|[a-z]{2})-[a-z]+-\d{1,2}$/;
const DNS_1123_LABEL = /^[a-z0-9](?:[-a-z0-9]*[a-z0-9])?$/;
const SCP_LIKE = /^[^\s/:@]+@[^\s/:]+:(?!\/\/)/;
const URL_CHARACTERS = /^[A-Za-z0-9._~:/@%+=,-]+$/;
const URL_START = /^(?:https|ssh):\/\/[^/]/;
const HOST_NAME = /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const SSH_USER = /^[A-Za-z0-9._][A-Za-z0-9._-]*$/;
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ALIAS_NAME = /^[A-Za-z0-9/_-]{1,250}$/;
const OIDC_ISSUER = /^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/id\/[A-Za-z0-9]{1,64}$/;

export function validateAccountId(value: unknown): Validation {
  if (typeof value === 'number') {
    return (
      'must be a quoted string of exactly 12 digits: a number loses leading zeros (write "' +
      String(value).padStart(12, '0') +
      '" in quotes if that is the account)'
    );
  }
  if (typeof value !== 'string' || !ACCOUNT_ID.test(value)) {
    return 'must be exactly 12 digits (an AWS account ID), e.g. "123456789012"';
  }
  return true;
}

export function validateRoleName(value: unknown): Validation {
  if (typeof value !== 'string' || !ROLE_NAME.test(value)) {
    return 'must be an IAM role name: 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ -';
  }
  return true;
}

/** Region prefixes of AWS partitions this generator does not write ARNs for. */
const UNSUPPORTED_PARTITIONS: readonly [RegExp, string][] = [
  [/^us-isob-/, 'aws-iso-b'],
  [/^us-isof-/, 'aws-iso-f'],
  [/^us-iso-/, 'aws-iso'],
  [/^eu-isoe-/, 'aws-iso-e'],
  [/^eusc-/, 'aws-eusc'],
];

export function validateRegion(value: unknown): Validation {
  const unsupported =
    typeof value === 'string' ? UNSUPPORTED_PARTITIONS.find(([prefix]) => prefix.test(value)) : undefined;
  if (unsupported) {
    return (
      `is in the ${unsupported[1]} partition, which this generator does not write ARNs for (supported: aws, ` +
      `aws-cn, aws-us-gov)`
    );
  }
  if (typeof value !== 'string' || !REGION.test(value)) {
    return 'must be an AWS region code such as us-east-1 or eu-west-1';
  }
  return true;
}

export const IDENTITIES = ['irsa', 'pod-identity'] as const;
export type Identity = (typeof IDENTITIES)[number];
export const IAC_CHOICES = ['none', 'terraform'] as const;
export type Iac = (typeof IAC_CHOICES)[number];

export function validateIdentity(value: unknown): Validation {
  return IDENTITIES.includes(value as Identity)
    ? true
    : 'must be irsa (IAM Roles for Service Accounts) or pod-identity (EKS Pod Identity)';
}

export function validateIac(value: unknown): Validation {
  return IAC_CHOICES.includes(value as Iac) ? true : 'must be none or terraform';
}

const CLUSTER_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/;

export function validateClusterName(value: unknown): Validation {
  if (typeof value !== 'string' || !CLUSTER_NAME.test(value)) {
    return 'must be an EKS cluster name: 1 to 100 characters from A-Z a-z 0-9 _ -, starting with a letter or digit';
  }
  return true;
}

/** An age X25519 public key: `age1` and 58 lower-case Bech32 characters. */
const AGE_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;

export function validateAgeRecipient(value: unknown): Validation {
  if (typeof value !== 'string' || !AGE_RECIPIENT.test(value)) {
    return (
      'must be an age public key: age1 followed by 58 lower-case characters (age-keygen -y prints it); never ' +
      'the AGE-SECRET-KEY line'
    );
  }
  return true;
}

export function validateAgeRecipients(values: unknown): Validation {
  if (!Array.isArray(values)) {
    return 'must be a list of age public keys (age1…)';
  }
  for (const value of values) {
    const valid = validateAgeRecipient(value);
    if (valid !== true) {
      const shown = typeof value === 'string' && value.startsWith('AGE-SECRET-KEY') ? 'AGE-SECRET-KEY-…' : value;
      return `${JSON.stringify(shown)} is not allowed: each ${valid}`;
    }
  }
  return true;
}

/** Subcommands of `flux-sops env` and `flux-sops secret`: no environment (or tenant) may be named so. */
export const RESERVED_NAMES: readonly string[] = ['add', 'remove', 'list'];

/** A CODEOWNERS owner as GitHub takes it: `@user`, `@org/team`, or an e-mail address. */
const GITHUB_OWNER = /@[A-Za-z0-9][A-Za-z0-9-]{0,38}(?:\/[A-Za-z0-9][A-Za-z0-9_.-]{0,99})?/;
const EMAIL_OWNER = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/;
const CODE_OWNER = new RegExp(`^(?:${GITHUB_OWNER.source}|${EMAIL_OWNER.source})$`);

export function validateCodeOwners(values: unknown): Validation {
  if (!Array.isArray(values)) {
    return 'must be a list of GitHub users or teams (@user, @org/team)';
  }
  for (const value of values) {
    if (typeof value !== 'string' || !CODE_OWNER.test(value)) {
      return (
        `${JSON.stringify(value)} is not allowed: each must be a GitHub user (@user), a team (@org/team) or an ` +
        `e-mail address`
      );
    }
  }
  return true;
}

function validateLabel(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0 || value.length > 63 || !DNS_1123_LABEL.test(value)) {
    return 'must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit';
  }
  return true;
}

export function validateEnvironmentName(value: unknown): Validation {
  const label = validateLabel(value);
  if (label !== true) {
    return label;
  }
  if (RESERVED_NAMES.includes(value as string)) {
    return (
      `is a word of the flux-sops commands (${RESERVED_NAMES.join(', ')}: flux-sops env add|remove <name>): ` +
      `choose another name`
    );
  }
  return true;
}

/** A namespace the fleet or the cluster owns: `flux-system`, `default`, `kube-*`. */
export function isReservedNamespace(value: string): boolean {
  return value === 'flux-system' || value === 'default' || value.startsWith('kube-');
}

/** A tenant's name: a DNS-1123 label, not a word of the commands, not a namespace of the fleet or the cluster. */
export function validateTenantName(value: unknown): Validation {
  const name = validateEnvironmentName(value);
  if (name !== true) {
    return name;
  }
  return isReservedNamespace(value as string)
    ? 'is reserved (flux-system, default, kube-*): choose another name'
    : true;
}

/** A tenant's namespace: a DNS-1123 label the fleet and the cluster do not own. */
export function validateTenantNamespace(value: unknown): Validation {
  const label = validateLabel(value);
  if (label !== true) {
    return label;
  }
  return isReservedNamespace(value as string)
    ? 'is a namespace of the fleet or the cluster (flux-system, default, kube-*): a tenant needs its own'
    : true;
}

const TENANT_PATH = /^(?:\.\/)?(?:[A-Za-z0-9._<>-]+\/)*[A-Za-z0-9._<>-]*$/;

/** A path in a tenant's repository: relative, plain characters, no `..`; `<env>` stands for the environment. */
export function validateTenantPath(value: unknown): Validation {
  if (
    typeof value !== 'string' ||
    value === '' ||
    !TENANT_PATH.test(value) ||
    value.replaceAll('<env>', 'x').includes('<') ||
    value.replaceAll('<env>', 'x').includes('>')
  ) {
    return (
      "must be a relative path in the tenant's repository of A-Z a-z 0-9 . _ - / (like ./deploy/<env>, where " +
      '<env> stands for the environment)'
    );
  }
  if (value.split('/').includes('..')) {
    return "must stay inside the tenant's repository (no ..)";
  }
  return true;
}

export function validateEnvironmentNames(names: readonly unknown[]): Validation {
  if (names.length === 0) {
    return 'must list at least one environment';
  }
  const bad = names.filter((name) => validateEnvironmentName(name) !== true);
  if (bad.length > 0) {
    const listed = bad.map((name) => JSON.stringify(name)).join(', ');
    return (
      `${listed} ${bad.length === 1 ? 'is' : 'are'} not allowed: each ` +
      `name ${validateEnvironmentName(bad[0]) as string}`
    );
  }
  const seen = new Set<unknown>();
  for (const name of names) {
    if (seen.has(name)) {
      return `${JSON.stringify(name)} is listed twice: each environment must be unique`;
    }
    seen.add(name);
  }
  return true;
}

export function validateRepoUrl(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0) {
    return 'must be an https://… or ssh://user@host/path Git URL';
  }
  if (!URL_CHARACTERS.test(value)) {
    return (
      'must be an https://… or ssh://user@host/path Git URL of plain characters (A-Z a-z 0-9 . _ ~ : / @ % + = ' +
      ', -): no whitespace, quotes, query or fragment'
    );
  }
  if (SCP_LIKE.test(value)) {
    const [userAndHost = '', path = ''] = value.split(/:(.*)/s);
    return `must be a URL: Flux does not accept the scp form; write ssh://${userAndHost}/${path.replace(/^\/+/, '')}`;
  }
  // Flux's GitRepository schema matches ^(http|https|ssh):// case-sensitively, and Go reads
  // "https:host" or "https:///host" differently from the WHATWG URL parser: require the plain form.
  if (!URL_START.test(value)) {
    return (
      'must start with https:// or ssh:// in lower case, then the host (the schemes Flux authenticates with a ' +
      '<tenant>-auth Secret)'
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    const scpAfterScheme = /^ssh:\/\/([^/]+):([^\d/][^]*)$/.exec(value);
    if (scpAfterScheme) {
      return (
        `must be an ssh:// URL with "/" after the host (":" starts a port number); write ` +
        `ssh://${scpAfterScheme[1]}/${scpAfterScheme[2]}`
      );
    }
    return 'must be an https://… or ssh://user@host/path Git URL';
  }
  if (url.hostname === '' || url.pathname.length <= 1) {
    return 'must name a host and a repository path, e.g. https://github.com/org/repo.git';
  }
  const authority = value.slice(value.indexOf('//') + 2).split('/')[0] ?? '';
  if (url.password !== '' || (url.protocol === 'https:' && authority.includes('@'))) {
    return 'must not embed credentials: they belong in the encrypted <tenant>-auth Secret, never in a URL';
  }
  if (!HOST_NAME.test(url.hostname)) {
    return 'must name a valid host: dot-separated labels of a-z 0-9 -, none starting or ending with -';
  }
  if (url.protocol === 'ssh:' && !SSH_USER.test(url.username)) {
    return 'must name the SSH user (A-Z a-z 0-9 . _ -, not starting with -), e.g. ssh://git@github.com/org/repo.git';
  }
  return true;
}

// The rules of `git check-ref-format --branch`, for a branch name given without refs/heads/,
// each with the message naming it: a user fixes the one rule their name breaks.
const BRANCH_RULES: readonly [(value: string) => boolean, string][] = [
  [(value) => /[\x00-\x20\x7f]/.test(value), 'no spaces or control characters'],
  [(value) => /[~^:?*[\\]/.test(value), 'none of ~ ^ : ? * [ \\'],
  [(value) => value.includes('..'), 'no ".."'],
  [(value) => value.includes('@{'), 'no "@{"'],
  [(value) => value.includes('//'), 'no "//"'],
  [(value) => value === 'HEAD', 'not HEAD'],
  [(value) => value.startsWith('-'), 'no leading "-"'],
  [(value) => value.startsWith('/') || value.endsWith('/'), 'no leading or trailing "/"'],
  [(value) => value.endsWith('.'), 'not ending in "."'],
  [(value) => value.split('/').some((part) => part.startsWith('.')), 'no component starting with "."'],
  [(value) => value.split('/').some((part) => part.endsWith('.lock')), 'no component ending in ".lock"'],
];

export function validateBranch(value: unknown): Validation {
  if (typeof value !== 'string' || value.length === 0 || value.length > 255) {
    return 'must be a Git branch name of 1 to 255 characters';
  }
  const broken = BRANCH_RULES.filter(([breaks]) => breaks(value)).map(([, rule]) => rule);
  return broken.length === 0 ? true : `must be a Git branch name: ${broken.join('; ')}`;
}

export interface ParsedKmsArn {
  partition: string;
  region: string;
  accountId: string;
  resource: 'key' | 'alias';
  /** The key ID or the alias name including its `alias/` prefix. */
  id: string;
}

export function parseKmsArn(value: string): ParsedKmsArn | undefined {
  const match = /^arn:(aws|aws-cn|aws-us-gov):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/.exec(value);
  if (!match) {
    return undefined;
  }
  const [, partition = '', region = '', accountId = '', resource, name = ''] = match;
  // arn:aws-cn:kms:eu-west-1:… names no key anywhere: the partition follows from the region.
  if (validateRegion(region) !== true || partitionOf(region) !== partition) {
    return undefined;
  }
  if (resource === 'key') {
    return KEY_ID.test(name) ? { partition, region, accountId, resource, id: name } : undefined;
  }
  if (!ALIAS_NAME.test(name) || name.startsWith('aws/')) {
    return undefined;
  }
  return { partition, region, accountId, resource: 'alias', id: `alias/${name}` };
}

export function validateKmsKeyArn(value: unknown): Validation {
  if (typeof value !== 'string' || parseKmsArn(value) === undefined) {
    return (
      'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) or alias ARN ' +
      '(arn:aws:kms:<region>:<account>:alias/<name>)'
    );
  }
  return true;
}

export function validateOidcIssuer(value: unknown): Validation {
  if (typeof value !== 'string' || !OIDC_ISSUER.test(normalizeOidcIssuer(value))) {
    return 'must be an EKS OIDC issuer: oidc.eks.<region>.amazonaws.com/id/<ID> (with or without https://)';
  }
  return true;
}

/** `aws eks describe-cluster` prints the issuer with https://; IAM wants it without. */
export function normalizeOidcIssuer(value: string): string {
  return value.replace(/^https:\/\//, '');
}

/** The AWS partition of a (validated) region: ARNs in China and GovCloud do not start with arn:aws:. */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) {
    return 'aws-cn';
  }
  if (region.startsWith('us-gov-')) {
    return 'aws-us-gov';
  }
  return 'aws';
}
