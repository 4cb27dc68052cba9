// Hostile input through the command line: every case runs `flux-sops … --no-interactive` in this
// process (runCommandLine, the executable's own entry) into a temporary folder and must exit
// with status 2, print exactly the expected message (naming the field, what was given and what
// is allowed), and leave the folder exactly as it was: empty, missing, or holding a finished
// fleet. One case also runs as a whole process, to show both paths agree.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliResult, errorLines, runCli, runCliInProcess } from './cli-runner.js';
import { findAnswerWarnings, validateAnswers } from '../src/fleet/answers.js';
import { validateBranch } from '../src/fleet/validators.js';
import { exampleAnswers, hashTree } from './support.js';

// The "allowed" parts of the messages, written out here (not imported) so a changed message fails.
const ACCOUNT_ALLOWED = 'must be exactly 12 digits (an AWS account ID), e.g. "123456789012"';
const ROLE_ALLOWED = 'must be an IAM role name: 1 to 64 characters from A-Z a-z 0-9 + = , . @ _ -';
const REGION_ALLOWED = 'must be an AWS region code such as us-east-1 or eu-west-1';
const LABEL_ALLOWED =
  'must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit';
const URL_CHARACTERS_ALLOWED =
  'must be an https://… or ssh://user@host/path Git URL of plain characters (A-Z a-z 0-9 . _ ~ : / @ % + = , -): no whitespace, quotes, query or fragment';
const URL_SCHEME_ALLOWED =
  'must start with https:// or ssh:// in lower case, then the host (the schemes Flux authenticates with a <tenant>-auth Secret)';
const NO_CREDENTIALS = 'must not embed credentials: they belong in the encrypted <tenant>-auth Secret, never in a URL';
const BRANCH_NAME = 'must be a Git branch name';
const BRANCH_LENGTH = 'must be a Git branch name of 1 to 255 characters';
const KMS_ALLOWED =
  'must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key-id>) or alias ARN (arn:aws:kms:<region>:<account>:alias/<name>)';
const OIDC_ALLOWED = 'must be an EKS OIDC issuer: oidc.eks.<region>.amazonaws.com/id/<ID> (with or without https://)';
const IDENTITY_ALLOWED = 'must be irsa (IAM Roles for Service Accounts) or pod-identity (EKS Pod Identity)';
const AGE_ALLOWED =
  'must be an age public key: age1 followed by 58 lower-case characters (age-keygen -y prints it); never the AGE-SECRET-KEY line';
const CLUSTER_ALLOWED =
  'must be an EKS cluster name: 1 to 100 characters from A-Z a-z 0-9 _ -, starting with a letter or digit';
const ALLOWED_KEYS =
  '(allowed: accountId, roleName, identity, region, environments, repoUrl, branch, tenants, backupAgeRecipients, iac, codeOwners)';
const NOT_PROMPTED = '(nothing is prompted without a terminal)';

const ACCOUNT = '123456789012';
const REPO = 'https://github.com/acme/apps.git';
const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

interface HostileCase {
  /** The SPEC input under attack (or "answers file", "command line"). */
  input: string;
  what: string;
  /** Options given as --name=value, on top of a valid account ID and repository URL unless replaced. */
  options?: Record<string, string | undefined>;
  /** Extra raw arguments after the options. */
  args?: string[];
  /** Runs `flux-sops env <these arguments> --no-interactive --cwd <target>` instead. */
  env?: string[];
  /** An answers file with this text, passed as --answers (instead of the default options). */
  answers?: string;
  /** Where the run happens: an empty folder (default), a folder that does not exist, or a finished fleet. */
  target?: 'empty' | 'missing' | 'fleet';
  prepare?: (target: string) => void;
  /** The exact stderr lines; `<answers>` and `<target>` stand for the temporary paths. */
  expected: string[];
  /** A secret that must not appear anywhere in the output. */
  secret?: string;
  /** A branch name to check against `git check-ref-format --branch`. */
  gitRejectsBranch?: string;
}

const base = (options: Record<string, string | undefined> = {}) => ({
  'account-id': ACCOUNT,
  'repo-url': REPO,
  ...options,
});
const answersWith = (lines: string) => `accountId: "${ACCOUNT}"\nrepoUrl: ${REPO}\n${lines}`;

/** The one rule (or two) of git check-ref-format the name breaks, as the message names it. */
function branchCase(branch: string, what: string, rule: string): HostileCase {
  return {
    input: 'branch',
    what,
    options: base({ branch }),
    expected: [`Invalid branch ${JSON.stringify(branch)}: ${BRANCH_NAME}: ${rule}`],
    gitRejectsBranch: branch,
  };
}

function environmentsCase(value: string, what: string, names: string[], problem: string): HostileCase {
  return {
    input: 'environments',
    what,
    options: base({ environments: value }),
    expected: [`Invalid environments ${JSON.stringify(names)}: ${problem}`],
  };
}

const cases: HostileCase[] = [
  // accountId
  {
    input: 'accountId',
    what: 'too short (11 digits)',
    options: base({ 'account-id': '12345678901' }),
    expected: [`Invalid accountId "12345678901": ${ACCOUNT_ALLOWED}`],
  },
  {
    input: 'accountId',
    what: 'too long (13 digits)',
    options: base({ 'account-id': '1234567890123' }),
    expected: [`Invalid accountId "1234567890123": ${ACCOUNT_ALLOWED}`],
  },
  {
    input: 'accountId',
    what: 'a letter O for a zero',
    options: base({ 'account-id': '12345678901O' }),
    expected: [`Invalid accountId "12345678901O": ${ACCOUNT_ALLOWED}`],
  },
  {
    input: 'accountId',
    what: 'an unquoted YAML number that lost its leading zero',
    answers: `accountId: 012345678901\nrepoUrl: ${REPO}\n`,
    expected: [
      'Invalid accountId 12345678901: must be a quoted string of exactly 12 digits: a number loses leading zeros (write "012345678901" in quotes if that is the account)',
    ],
  },
  {
    input: 'accountId',
    what: 'a JSON number',
    answers: `{"accountId": 123456789012, "repoUrl": "${REPO}"}`,
    expected: [
      'Invalid accountId 123456789012: must be a quoted string of exactly 12 digits: a number loses leading zeros (write "123456789012" in quotes if that is the account)',
    ],
  },
  {
    input: 'accountId',
    what: 'a trailing newline',
    answers: `{"accountId": "123456789012\\n", "repoUrl": "${REPO}"}`,
    expected: [`Invalid accountId "123456789012\\n": ${ACCOUNT_ALLOWED}`],
  },
  {
    input: 'accountId',
    what: 'missing',
    options: { 'repo-url': REPO },
    expected: [
      `Missing accountId: AWS account ID (12 digits) of the IAM roles and KMS keys; give --account-id or accountId in the answers file ${NOT_PROMPTED}`,
    ],
  },
  {
    input: 'environments[].accountId',
    what: 'letters in a per-environment override',
    answers: answersWith('environments:\n  - name: production\n    accountId: "prod-account"\n'),
    expected: [`Invalid environments.production.accountId "prod-account": ${ACCOUNT_ALLOWED}`],
  },
  // roleName
  {
    input: 'roleName',
    what: 'a slash',
    options: base({ 'role-name': 'flux/kms' }),
    expected: [`Invalid roleName "flux/kms": ${ROLE_ALLOWED}`],
  },
  {
    input: 'roleName',
    what: 'a space and a colon',
    options: base({ 'role-name': 'flux: kms' }),
    expected: [`Invalid roleName "flux: kms": ${ROLE_ALLOWED}`],
  },
  {
    input: 'roleName',
    what: 'non-ASCII',
    options: base({ 'role-name': 'flux-rôle' }),
    expected: [`Invalid roleName "flux-rôle": ${ROLE_ALLOWED}`],
  },
  {
    input: 'roleName',
    what: '65 characters',
    options: base({ 'role-name': 'r'.repeat(65) }),
    expected: [`Invalid roleName "${'r'.repeat(65)}": ${ROLE_ALLOWED}`],
  },
  {
    input: 'roleName',
    what: 'given empty (an unset variable), not silently the default',
    options: base({ 'role-name': '' }),
    expected: [`Invalid roleName "": ${ROLE_ALLOWED}`],
  },
  {
    input: 'environments[].roleName',
    what: 'a wildcard in a per-environment override',
    answers: answersWith('environments:\n  - name: production\n    roleName: "flux-*"\n'),
    expected: [`Invalid environments.production.roleName "flux-*": ${ROLE_ALLOWED}`],
  },
  {
    input: 'roleName',
    what: 'a stem too long once -<env> is added',
    options: base({ 'role-name': 'r'.repeat(60) }),
    expected: [
      `Invalid role name of staging "${'r'.repeat(60)}-staging": ${ROLE_ALLOWED} (roleName "${'r'.repeat(60)}" plus -staging; give a shorter roleName or the environment's own roleName)`,
      `Invalid role name of production "${'r'.repeat(60)}-production": ${ROLE_ALLOWED} (roleName "${'r'.repeat(60)}" plus -production; give a shorter roleName or the environment's own roleName)`,
    ],
  },
  {
    input: 'one role per environment',
    what: 'two environments of one account resolving to the same role, compared case-insensitively as IAM does',
    answers: answersWith(
      'environments:\n  - name: staging\n    roleName: Flux-Shared\n  - name: production\n    roleName: flux-shared\n',
    ),
    expected: [
      'Environments staging and production would share the IAM role flux-shared in account 123456789012: each environment needs its own role, so that each cluster can decrypt only its own key; give one of them another roleName',
    ],
  },
  {
    input: 'one role per environment',
    what: "an environment's exact role name equal to another's composed one",
    answers: answersWith(
      'environments:\n  - staging\n  - name: production\n    roleName: flux-kms-decryptor-staging\n',
    ),
    expected: [
      'Environments staging and production would share the IAM role flux-kms-decryptor-staging in account 123456789012: each environment needs its own role, so that each cluster can decrypt only its own key; give one of them another roleName',
    ],
  },
  // identity, iac, backupAgeRecipients, clusterName
  {
    input: 'identity',
    what: 'an unknown identity',
    options: base({ identity: 'kiam' }),
    expected: [`Invalid identity "kiam": ${IDENTITY_ALLOWED}`],
  },
  {
    input: 'environments[].identity',
    what: 'an unknown per-environment identity',
    options: base({ identity: 'production=pod_identity' }),
    expected: [`Invalid environments.production.identity "pod_identity": ${IDENTITY_ALLOWED}`],
  },
  {
    input: 'iac',
    what: 'an unknown tool',
    options: base({ iac: 'pulumi' }),
    expected: ['Invalid iac "pulumi": must be none or terraform'],
  },
  {
    input: 'backupAgeRecipients',
    what: 'an age secret key instead of the public key (not echoed)',
    options: base({
      'backup-age-recipients': 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
    }),
    expected: [
      `Invalid backupAgeRecipients ["AGE-SECRET-KEY-…"]: "AGE-SECRET-KEY-…" is not allowed: each ${AGE_ALLOWED}`,
    ],
    secret: 'QQQQQQQQQQ',
  },
  {
    input: 'environments[].backupAgeRecipients',
    what: "an ssh key in an environment's list",
    answers: answersWith('environments:\n  - name: staging\n    backupAgeRecipients:\n      - ssh-ed25519 AAAAC3Nza\n'),
    expected: [
      `Invalid environments.staging.backupAgeRecipients ["ssh-ed25519 AAAAC3Nza"]: "ssh-ed25519 AAAAC3Nza" is not allowed: each ${AGE_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].clusterName',
    what: 'a space',
    options: base({ 'cluster-name': 'staging=eks staging' }),
    expected: [`Invalid environments.staging.clusterName "eks staging": ${CLUSTER_ALLOWED}`],
  },
  {
    input: 'env: clusterName',
    what: 'a dot',
    target: 'fleet',
    env: ['qa', '--cluster-name', 'eks.qa'],
    expected: [`Invalid --cluster-name "eks.qa": ${CLUSTER_ALLOWED}`],
  },
  {
    input: 'env: identity',
    what: 'an unknown identity',
    target: 'fleet',
    env: ['qa', '--identity', 'irsa2'],
    expected: [`Invalid --identity "irsa2": ${IDENTITY_ALLOWED}`],
  },
  {
    input: 'region',
    what: 'a region of a partition the generator does not write ARNs for',
    options: base({ region: 'us-iso-east-1' }),
    expected: [
      'Invalid region "us-iso-east-1": is in the aws-iso partition, which this generator does not write ARNs for (supported: aws, aws-cn, aws-us-gov)',
    ],
  },
  // region
  {
    input: 'region',
    what: 'no number',
    options: base({ region: 'eu-west' }),
    expected: [`Invalid region "eu-west": ${REGION_ALLOWED}`],
  },
  {
    input: 'region',
    what: 'upper case',
    options: base({ region: 'EU-WEST-1' }),
    expected: [`Invalid region "EU-WEST-1": ${REGION_ALLOWED}`],
  },
  // environments
  environmentsCase(
    'Staging, Production',
    'two bad names: both named',
    ['Staging', 'Production'],
    `"Staging", "Production" are not allowed: each name ${LABEL_ALLOWED}`,
  ),
  environmentsCase('Staging', 'upper case', ['Staging'], `"Staging" is not allowed: each name ${LABEL_ALLOWED}`),
  environmentsCase('prod_eu', 'an underscore', ['prod_eu'], `"prod_eu" is not allowed: each name ${LABEL_ALLOWED}`),
  environmentsCase('prod/eu', 'a slash', ['prod/eu'], `"prod/eu" is not allowed: each name ${LABEL_ALLOWED}`),
  environmentsCase(
    'staging,..',
    'a path climbing out',
    ['staging', '..'],
    `".." is not allowed: each name ${LABEL_ALLOWED}`,
  ),
  environmentsCase('-prod', 'a leading -', ['-prod'], `"-prod" is not allowed: each name ${LABEL_ALLOWED}`),
  environmentsCase('prod-', 'a trailing -', ['prod-'], `"prod-" is not allowed: each name ${LABEL_ALLOWED}`),
  environmentsCase(
    'e'.repeat(64),
    '64 characters',
    ['e'.repeat(64)],
    `"${'e'.repeat(64)}" is not allowed: each name ${LABEL_ALLOWED}`,
  ),
  environmentsCase(
    '\u0455taging',
    'a Cyrillic look-alike of s',
    ['\u0455taging'],
    `"\u0455taging" is not allowed: each name ${LABEL_ALLOWED}`,
  ),
  environmentsCase(
    'staging,production,staging',
    'a repeated name',
    ['staging', 'production', 'staging'],
    '"staging" is listed twice: each environment must be unique',
  ),
  environmentsCase(
    '',
    'given empty (an unset variable), not silently the defaults',
    [],
    'must list at least one environment',
  ),
  environmentsCase(' , ', 'only separators', [], 'must list at least one environment'),
  {
    input: 'environments',
    what: 'an empty name in an answers-file list',
    answers: answersWith('environments: ["", production]\n'),
    expected: [`Invalid environments ["","production"]: "" is not allowed: each name ${LABEL_ALLOWED}`],
  },
  {
    input: 'environments',
    what: 'a mapping instead of a list',
    answers: answersWith('environments:\n  staging: {}\n'),
    expected: ['Invalid environments {"staging":{}}: must be a list of environment names'],
  },
  {
    input: 'environments',
    what: 'a mis-cased key in an environment (a typo is not a default)',
    answers: answersWith(`environments:\n  - name: production\n    kmsKeyARN: ${KEY}\n`),
    expected: [
      'Unknown key in environments[0]: "kmsKeyARN" (allowed: name, kmsKeyArn, accountId, roleName, identity, clusterName, oidcIssuer, backupAgeRecipients)',
    ],
  },
  {
    input: 'environments',
    what: 'an environment without its name',
    answers: answersWith(`environments:\n  - kmsKeyArn: ${KEY}\n`),
    expected: ['Missing environments[0].name: each environment given as a mapping needs its name'],
  },
  // repoUrl
  {
    input: 'repoUrl',
    what: 'the scp form (hint: the ssh:// form)',
    options: base({ 'repo-url': 'git@github.com:acme/apps.git' }),
    expected: [
      'Invalid repoUrl "git@github.com:acme/apps.git": must be a URL: Flux does not accept the scp form; write ssh://git@github.com/acme/apps.git',
    ],
  },
  {
    input: 'repoUrl',
    what: 'the scp form after ssh:// (hint: / after the host)',
    options: base({ 'repo-url': 'ssh://git@github.com:acme/apps.git' }),
    expected: [
      'Invalid repoUrl "ssh://git@github.com:acme/apps.git": must be an ssh:// URL with "/" after the host (":" starts a port number); write ssh://git@github.com/acme/apps.git',
    ],
  },
  {
    input: 'repoUrl',
    what: 'a user and token (the token is not echoed)',
    options: base({ 'repo-url': 'https://deploy:ghp_R3alLooking0Token0123456789abcdefABCD@github.com/acme/apps.git' }),
    expected: [`Invalid repoUrl "https://***@github.com/acme/apps.git": ${NO_CREDENTIALS}`],
    secret: 'ghp_R3alLooking0Token0123456789abcdefABCD',
  },
  {
    input: 'repoUrl',
    what: 'a token as the user name (not echoed)',
    options: base({ 'repo-url': 'https://glpat-s3cr3tT0ken@gitlab.com/acme/apps.git' }),
    expected: [`Invalid repoUrl "https://***@gitlab.com/acme/apps.git": ${NO_CREDENTIALS}`],
    secret: 'glpat-s3cr3tT0ken',
  },
  {
    input: 'repoUrl',
    what: 'an ssh password (not echoed)',
    answers: `accountId: "${ACCOUNT}"\nrepoUrl: ssh://git:hunter2@github.com/acme/apps.git\n`,
    expected: [`Invalid repoUrl "ssh://***@github.com/acme/apps.git": ${NO_CREDENTIALS}`],
    secret: 'hunter2',
  },
  {
    input: 'repoUrl',
    what: 'plain http',
    options: base({ 'repo-url': 'http://github.com/acme/apps.git' }),
    expected: [`Invalid repoUrl "http://github.com/acme/apps.git": ${URL_SCHEME_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'the git:// protocol',
    options: base({ 'repo-url': 'git://github.com/acme/apps.git' }),
    expected: [`Invalid repoUrl "git://github.com/acme/apps.git": ${URL_SCHEME_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'a local file URL',
    options: base({ 'repo-url': 'file:///srv/git/apps.git' }),
    expected: [`Invalid repoUrl "file:///srv/git/apps.git": ${URL_SCHEME_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'an upper-case scheme Flux rejects',
    options: base({ 'repo-url': 'HTTPS://github.com/acme/apps.git' }),
    expected: [`Invalid repoUrl "HTTPS://github.com/acme/apps.git": ${URL_SCHEME_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'a space',
    options: base({ 'repo-url': 'https://github.com/acme/my apps.git' }),
    expected: [`Invalid repoUrl "https://github.com/acme/my apps.git": ${URL_CHARACTERS_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'a newline followed by a YAML key',
    options: base({ 'repo-url': 'https://github.com/acme/apps.git\n  secretRef: {name: stolen}' }),
    expected: [
      `Invalid repoUrl "https://github.com/acme/apps.git\\n  secretRef: {name: stolen}": ${URL_CHARACTERS_ALLOWED}`,
    ],
  },
  {
    input: 'repoUrl',
    what: 'a trailing tab',
    options: base({ 'repo-url': 'https://github.com/acme/apps.git\t' }),
    expected: [`Invalid repoUrl "https://github.com/acme/apps.git\\t": ${URL_CHARACTERS_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'a query string',
    options: base({ 'repo-url': 'https://github.com/acme/apps.git?ref=x' }),
    expected: [`Invalid repoUrl "https://github.com/acme/apps.git?ref=x": ${URL_CHARACTERS_ALLOWED}`],
  },
  {
    input: 'repoUrl',
    what: 'ssh without a user',
    options: base({ 'repo-url': 'ssh://github.com/acme/apps.git' }),
    expected: [
      'Invalid repoUrl "ssh://github.com/acme/apps.git": must name the SSH user (A-Z a-z 0-9 . _ -, not starting with -), e.g. ssh://git@github.com/org/repo.git',
    ],
  },
  {
    input: 'repoUrl',
    what: 'an ssh user that reads as an ssh option',
    options: base({ 'repo-url': 'ssh://-oProxyCommand=x@github.com/acme/apps.git' }),
    expected: [
      'Invalid repoUrl "ssh://-oProxyCommand=x@github.com/acme/apps.git": must name the SSH user (A-Z a-z 0-9 . _ -, not starting with -), e.g. ssh://git@github.com/org/repo.git',
    ],
  },
  {
    input: 'repoUrl',
    what: 'a host starting with -',
    options: base({ 'repo-url': 'https://-github.com/acme/apps.git' }),
    expected: [
      'Invalid repoUrl "https://-github.com/acme/apps.git": must name a valid host: dot-separated labels of a-z 0-9 -, none starting or ending with -',
    ],
  },
  {
    input: 'repoUrl',
    what: 'no repository path',
    options: base({ 'repo-url': 'https://github.com' }),
    expected: [
      'Invalid repoUrl "https://github.com": must name a host and a repository path, e.g. https://github.com/org/repo.git',
    ],
  },
  {
    input: 'repoUrl',
    what: 'missing',
    options: { 'account-id': ACCOUNT },
    expected: [
      `Missing repoUrl: the Git repository of the one tenant "apps" (or tenants in the answers file); give --repo-url or repoUrl in the answers file ${NOT_PROMPTED}`,
    ],
  },
  // branch: each one also checked against `git check-ref-format --branch` below
  branchCase('feature..x', 'two dots', 'no ".."'),
  branchCase('-main', 'a leading -', 'no leading "-"'),
  branchCase('main.lock', 'ending in .lock', 'no component ending in ".lock"'),
  branchCase('feature/.hidden', 'a component starting with .', 'no component starting with "."'),
  branchCase('main/', 'a trailing /', 'no leading or trailing "/"'),
  branchCase('main.', 'a trailing .', 'not ending in "."'),
  branchCase('my branch', 'a space', 'no spaces or control characters'),
  branchCase('main~1', 'a ~', 'none of ~ ^ : ? * [ \\'),
  branchCase('a:b', 'a colon', 'none of ~ ^ : ? * [ \\'),
  branchCase('feat*', 'a *', 'none of ~ ^ : ? * [ \\'),
  branchCase('feat[1]', 'a [', 'none of ~ ^ : ? * [ \\'),
  branchCase('a\\b', 'a backslash', 'none of ~ ^ : ? * [ \\'),
  branchCase('a@{1}', '@{', 'no "@{"'),
  branchCase('a//b', 'two slashes', 'no "//"'),
  branchCase('/main', 'a leading /', 'no leading or trailing "/"'),
  branchCase('HEAD', 'HEAD', 'not HEAD'),
  branchCase(
    'main\nkind: Secret',
    'a newline followed by a YAML key',
    'no spaces or control characters; none of ~ ^ : ? * [ \\',
  ),
  branchCase('ma\u007fin', 'a DEL character', 'no spaces or control characters'),
  // per-environment kmsKeyArn and oidcIssuer
  {
    input: 'environments[].kmsKeyArn',
    what: 'a malformed key ID',
    options: base({ 'kms-key-arn': 'staging=arn:aws:kms:us-east-1:123456789012:key/not-a-key-id' }),
    expected: [
      `Invalid environments.staging.kmsKeyArn "arn:aws:kms:us-east-1:123456789012:key/not-a-key-id": ${KMS_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'the ARN of an S3 bucket',
    options: base({ 'kms-key-arn': 'staging=arn:aws:s3:::fleet-secrets' }),
    expected: [`Invalid environments.staging.kmsKeyArn "arn:aws:s3:::fleet-secrets": ${KMS_ALLOWED}`],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'the ARN of an IAM role',
    answers: answersWith('environments:\n  - name: production\n    kmsKeyArn: arn:aws:iam::123456789012:role/flux\n'),
    expected: [`Invalid environments.production.kmsKeyArn "arn:aws:iam::123456789012:role/flux": ${KMS_ALLOWED}`],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'an AWS managed key alias',
    options: base({ 'kms-key-arn': 'staging=arn:aws:kms:us-east-1:123456789012:alias/aws/ebs' }),
    expected: [
      `Invalid environments.staging.kmsKeyArn "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs": ${KMS_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'a bare key ID',
    options: base({ 'kms-key-arn': 'staging=1234abcd-12ab-34cd-56ef-1234567890ab' }),
    expected: [`Invalid environments.staging.kmsKeyArn "1234abcd-12ab-34cd-56ef-1234567890ab": ${KMS_ALLOWED}`],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'the China partition with a commercial region',
    options: base({ 'kms-key-arn': 'staging=arn:aws-cn:kms:us-east-1:123456789012:alias/flux' }),
    expected: [
      `Invalid environments.staging.kmsKeyArn "arn:aws-cn:kms:us-east-1:123456789012:alias/flux": ${KMS_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'a newline and a second rule',
    answers: answersWith(
      'environments:\n  - name: production\n    kmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/x\\n  - path_regex: .*"\n',
    ),
    expected: [
      `Invalid environments.production.kmsKeyArn "arn:aws:kms:us-east-1:123456789012:alias/x\\n  - path_regex: .*": ${KMS_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'for an environment that is not in the fleet',
    options: base({ 'kms-key-arn': `qa=${KEY}` }),
    expected: ['Invalid environment in a per-environment option "qa": is not one of the environments'],
  },
  {
    input: 'environments[].kmsKeyArn',
    what: 'without ENV=',
    options: base({ 'kms-key-arn': KEY }),
    expected: [`Invalid --kms-key-arn "${KEY}": must be ENV=VALUE, e.g. production=…`],
  },
  {
    input: 'environments[].oidcIssuer',
    what: 'another OIDC provider',
    options: base({ 'oidc-issuer': 'staging=https://token.actions.githubusercontent.com' }),
    expected: [
      `Invalid environments.staging.oidcIssuer "https://token.actions.githubusercontent.com": ${OIDC_ALLOWED}`,
    ],
  },
  {
    input: 'environments[].oidcIssuer',
    what: 'no cluster ID',
    options: base({ 'oidc-issuer': 'staging=oidc.eks.us-east-1.amazonaws.com/id/' }),
    expected: [`Invalid environments.staging.oidcIssuer "oidc.eks.us-east-1.amazonaws.com/id/": ${OIDC_ALLOWED}`],
  },
  // answers file
  {
    input: 'answers file',
    what: 'not YAML',
    answers: 'accountId: [unclosed\n',
    expected: [
      'The answers file "<answers>" is not valid YAML or JSON: Flow sequence in block collection must be sufficiently indented and end with a ] at line 2, column 1',
    ],
  },
  {
    input: 'answers file',
    what: 'truncated JSON',
    answers: `{"accountId": "${ACCOUNT}"`,
    expected: [
      'The answers file "<answers>" is not valid YAML or JSON: Flow map must end with a } at line 1, column 29',
    ],
  },
  {
    input: 'answers file',
    what: 'empty',
    answers: '',
    expected: [
      'The answers file "<answers>" is empty: it must be a mapping of inputs such as accountId, repoUrl, environments',
    ],
  },
  {
    input: 'answers file',
    what: 'only comments',
    answers: '# accountId: "123456789012"\n',
    expected: [
      'The answers file "<answers>" is empty: it must be a mapping of inputs such as accountId, repoUrl, environments',
    ],
  },
  {
    input: 'answers file',
    what: 'a list instead of a mapping',
    answers: `- accountId: "${ACCOUNT}"\n`,
    expected: [
      `the answers file "<answers>" must be a mapping of inputs (accountId, roleName, identity, region, environments, repoUrl, branch, tenants, backupAgeRecipients, iac, codeOwners), got [{"accountId":"${ACCOUNT}"}]`,
    ],
  },
  {
    input: 'answers file',
    what: 'a typo in a key (never a silent default)',
    answers: `accountId: "${ACCOUNT}"\nrepoURL: ${REPO}\n`,
    expected: [`Unknown key in the answers file "<answers>": "repoURL" ${ALLOWED_KEYS}`],
  },
  {
    input: 'answers file',
    what: 'keys for secrets (named, values not echoed)',
    answers: answersWith('password: hunter2\ntoken: ghp_R3alLooking0Token0123456789abcdefABCD\n'),
    expected: [`Unknown keys in the answers file "<answers>": "password", "token" ${ALLOWED_KEYS}`],
    secret: 'hunter2',
  },
  {
    input: 'answers file',
    what: '__proto__ as a key',
    answers: answersWith('__proto__: {branch: evil}\n'),
    expected: [`Unknown key in the answers file "<answers>": "__proto__" ${ALLOWED_KEYS}`],
  },
  {
    input: 'answers file',
    what: 'a key given twice',
    answers: answersWith('branch: main\nbranch: prod\n'),
    expected: ['The answers file "<answers>" is not valid YAML or JSON: Map keys must be unique at line 4, column 1'],
  },
  {
    input: 'answers file',
    what: 'two YAML documents',
    answers: `accountId: "${ACCOUNT}"\n---\nrepoUrl: ${REPO}\n`,
    expected: [
      'The answers file "<answers>" holds 2 YAML documents (separated by ---): it must hold one mapping of inputs',
    ],
  },
  {
    input: 'answers file',
    what: 'an alias bomb',
    answers: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    expected: [
      'The answers file "<answers>" is not valid YAML or JSON: Excessive alias count indicates a resource exhaustion attack',
    ],
  },
  {
    input: 'answers file',
    what: 'wrong types, all reported in one run',
    answers: answersWith('roleName: [flux]\nregion: 1\nbranch: true\n'),
    expected: [
      `Invalid roleName ["flux"]: ${ROLE_ALLOWED}`,
      `Invalid region 1: ${REGION_ALLOWED}`,
      `Invalid branch true: ${BRANCH_LENGTH}`,
    ],
  },
  {
    input: 'answers file',
    what: 'a folder',
    args: ['--answers', '<target>'],
    options: {},
    expected: ['Cannot read the answers file "<target>": EISDIR'],
  },
  // the command line and the target folder
  {
    input: 'command line',
    what: 'a misspelt option',
    args: ['--acount-id', ACCOUNT],
    options: {},
    expected: ['Unknown option --acount-id', 'Run flux-sops [dir] --help for the options.'],
  },
  {
    input: 'command line',
    what: 'several problems at once',
    options: { 'account-id': '12', 'repo-url': 'git@github.com:acme/apps.git', branch: 'a b' },
    expected: [
      `Invalid accountId "12": ${ACCOUNT_ALLOWED}`,
      'Invalid repoUrl "git@github.com:acme/apps.git": must be a URL: Flux does not accept the scp form; write ssh://git@github.com/acme/apps.git',
      `Invalid branch "a b": ${BRANCH_NAME}: no spaces or control characters`,
    ],
  },
  {
    input: 'target folder',
    what: 'a folder that does not exist yet (not created)',
    target: 'missing',
    options: base({ 'account-id': '1' }),
    expected: [`Invalid accountId "1": ${ACCOUNT_ALLOWED}`],
  },
  // a folder holding a finished fleet: nothing in it may change
  {
    input: 'branch',
    what: 'in an existing fleet',
    target: 'fleet',
    options: { branch: 'feature..x' },
    expected: [`Invalid branch "feature..x": ${BRANCH_NAME}: no ".."`],
  },
  {
    input: 'environments',
    what: 'in an existing fleet, given empty',
    target: 'fleet',
    options: { environments: '' },
    expected: ['Invalid environments []: must list at least one environment'],
  },
  // `flux-sops env <name>` in a finished fleet
  {
    input: 'env: name',
    what: 'upper case and _',
    target: 'fleet',
    env: ['QA_1'],
    expected: [`Invalid environment name "QA_1": ${LABEL_ALLOWED}`],
  },
  {
    input: 'env: name',
    what: 'a path climbing out',
    target: 'fleet',
    env: ['..'],
    expected: [`Invalid environment name "..": ${LABEL_ALLOWED}`],
  },
  {
    input: 'env: name',
    what: 'a Cyrillic look-alike of an existing name',
    target: 'fleet',
    env: ['\u0455taging'],
    expected: [`Invalid environment name "\u0455taging": ${LABEL_ALLOWED}`],
  },
  {
    input: 'env: name',
    what: 'empty',
    target: 'fleet',
    env: [''],
    expected: [`Invalid environment name "": ${LABEL_ALLOWED}`],
  },
  {
    input: 'env: name',
    what: 'an environment the fleet already has',
    target: 'fleet',
    env: ['staging'],
    expected: [
      'Invalid environment name "staging": is already an environment of this fleet (staging, production): choose another name',
    ],
  },
  {
    input: 'env: kmsKeyArn',
    what: 'the ARN of an S3 bucket',
    target: 'fleet',
    env: ['qa', '--kms-key-arn', 'arn:aws:s3:::fleet-secrets'],
    expected: [`Invalid --kms-key-arn "arn:aws:s3:::fleet-secrets": ${KMS_ALLOWED}`],
  },
  {
    input: 'env: kmsKeyArn',
    what: 'a newline and a second rule',
    target: 'fleet',
    env: ['qa', '--kms-key-arn', 'arn:aws:kms:eu-west-1:123456789012:alias/x\n  - path_regex: .*'],
    expected: [
      `Invalid --kms-key-arn "arn:aws:kms:eu-west-1:123456789012:alias/x\\n  - path_regex: .*": ${KMS_ALLOWED}`,
    ],
  },
  {
    input: 'env: accountId',
    what: 'too short',
    target: 'fleet',
    env: ['qa', '--account-id', '12'],
    expected: [`Invalid --account-id "12": ${ACCOUNT_ALLOWED}`],
  },
  {
    input: 'env: roleName',
    what: 'a space',
    target: 'fleet',
    env: ['qa', '--role-name', 'flux kms'],
    expected: [`Invalid --role-name "flux kms": ${ROLE_ALLOWED}`],
  },
  {
    input: 'env: oidcIssuer',
    what: 'not an EKS issuer',
    target: 'fleet',
    env: ['qa', '--oidc-issuer', 'https://accounts.google.com'],
    expected: [`Invalid --oidc-issuer "https://accounts.google.com": ${OIDC_ALLOWED}`],
  },
  {
    input: 'env: fleet',
    what: 'outside a fleet',
    env: ['qa'],
    expected: [
      'This folder is not a fleet generated by generator-flux-sops (no generator-flux-sops answers in .yo-rc.json): run yo flux-sops first',
    ],
  },
  {
    input: 'stored answers',
    what: 'a hand-edited .yo-rc.json with a typo',
    target: 'fleet',
    options: {},
    prepare: (target) =>
      writeFileSync(
        join(target, '.yo-rc.json'),
        JSON.stringify({ 'generator-flux-sops': { accountId: ACCOUNT, repoUrl: REPO, regoin: 'eu-west-1' } }, null, 2),
      ),
    expected: [`Unknown key in .yo-rc.json (generator-flux-sops): "regoin" ${ALLOWED_KEYS}`],
  },
  {
    input: 'stored answers',
    what: 'a .yo-rc.json that is not JSON',
    target: 'fleet',
    options: {},
    prepare: (target) => writeFileSync(join(target, '.yo-rc.json'), '{ "generator-flux-sops": '),
    expected: [
      '<target>/.yo-rc.json is not valid JSON (Unexpected end of JSON input): fix it, or remove it to give the answers again',
    ],
  },
];

interface Outcome {
  result: CliResult;
  target: string;
  answersPath: string;
  before: string;
  after: string;
}

function argumentsOf(testCase: HostileCase, answersPath: string, target: string): string[] {
  if (testCase.env) {
    return ['env', ...testCase.env, '--no-interactive', '--cwd', target];
  }
  const options = testCase.options ?? (testCase.answers === undefined ? base() : {});
  return [
    '--no-interactive',
    ...Object.entries(options).map(([name, value]) => `--${name}=${value}`),
    ...(testCase.answers === undefined ? [] : ['--answers', answersPath]),
    ...(testCase.args ?? []).map((argument) => argument.replaceAll('<target>', target)),
    target,
  ];
}

describe(`hostile input: ${cases.length} cases through flux-sops --no-interactive`, () => {
  const outcomes = new Map<HostileCase, Outcome>();
  let workDir: string;

  before(async function () {
    this.timeout(300_000);
    workDir = mkdtempSync(join(tmpdir(), 'hostile-'));
    const fleet = join(workDir, 'fleet');
    const generated = await runCli(['--no-interactive', '--answers', exampleAnswers, fleet]);
    assert.equal(generated.status, 0, generated.stderr);
    const results = [];
    for (const [index, testCase] of cases.entries()) {
      results.push(
        await (async () => {
          const caseDir = join(workDir, `case-${index}`);
          mkdirSync(caseDir);
          const target = join(caseDir, 'target');
          if (testCase.target === 'fleet') {
            cpSync(fleet, target, { recursive: true });
          } else if (testCase.target !== 'missing') {
            mkdirSync(target);
          }
          testCase.prepare?.(target);
          const answersPath = join(caseDir, 'answers.yaml');
          if (testCase.answers !== undefined) {
            writeFileSync(answersPath, testCase.answers);
          }
          const before = hashTree(target);
          const result = await runCliInProcess(argumentsOf(testCase, answersPath, target));
          return { testCase, outcome: { result, target, answersPath, before, after: hashTree(target) } };
        })(),
      );
    }
    for (const { testCase, outcome } of results) {
      outcomes.set(testCase, outcome);
    }
  });

  after(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  it('covers every input of the SPEC', () => {
    const covered = new Set(cases.map((testCase) => testCase.input));
    for (const input of [
      'accountId',
      'roleName',
      'region',
      'environments',
      'repoUrl',
      'branch',
      'environments[].kmsKeyArn',
      'environments[].accountId',
      'environments[].roleName',
      'environments[].oidcIssuer',
      'environments[].identity',
      'environments[].clusterName',
      'environments[].backupAgeRecipients',
      'identity',
      'iac',
      'backupAgeRecipients',
      'one role per environment',
      'answers file',
      'env: name',
      'env: kmsKeyArn',
      'env: accountId',
      'env: roleName',
      'env: oidcIssuer',
      'env: clusterName',
      'env: identity',
    ]) {
      assert.ok(covered.has(input), `no hostile case for ${input}`);
    }
    assert.ok(cases.length >= 40);
  });

  for (const testCase of cases) {
    it(`${testCase.input}: ${testCase.what} → exit 2, the message, nothing changed${testCase.target === 'fleet' ? ' in the fleet' : ''}`, () => {
      const outcome = outcomes.get(testCase);
      assert.ok(outcome, 'the case did not run');
      const { result, target, answersPath, before, after } = outcome;
      const expected = testCase.expected.map((line) =>
        line.replaceAll('<answers>', answersPath).replaceAll('<target>', target),
      );
      expected[0] = `flux-sops: ${expected[0]}`;
      assert.deepEqual(errorLines(result.stderr), expected);
      assert.equal(result.status, 2, result.stderr);
      assert.equal(result.stdout, '');
      assert.equal(after, before, 'the target folder changed');
      if (testCase.secret) {
        assert.ok(
          !result.stderr.includes(testCase.secret) && !result.stdout.includes(testCase.secret),
          'the secret was echoed',
        );
      }
    });
  }

  it('gives the same status and message as a whole flux-sops process (two cases)', async function () {
    for (const testCase of [cases[0], cases.find((each) => each.env !== undefined)] as HostileCase[]) {
      const outcome = outcomes.get(testCase) as Outcome;
      const target = mkdtempSync(join(tmpdir(), 'hostile-process-'));
      try {
        if (testCase.target === 'fleet') {
          cpSync(join(workDir, 'fleet'), target, { recursive: true, force: true });
        }
        testCase.prepare?.(target);
        const spawned = await runCli(argumentsOf(testCase, outcome.answersPath, target));
        assert.equal(spawned.status, outcome.result.status);
        assert.deepEqual(
          errorLines(spawned.stderr.replaceAll(target, '<target>')),
          errorLines(outcome.result.stderr.replaceAll(outcome.target, '<target>')),
        );
      } finally {
        rmSync(target, { recursive: true, force: true });
      }
    }
  });

  it('agrees with git on every branch name in the table, and on names both accept', function () {
    try {
      execFileSync('git', ['--version'], { stdio: 'ignore' });
    } catch {
      if (process.env.CI) {
        assert.fail('git is required in CI to ground the branch rules');
      }
      this.skip();
    }
    const gitAccepts = (branch: string) => {
      try {
        execFileSync('git', ['check-ref-format', '--branch', branch], { stdio: 'ignore', cwd: tmpdir() });
        return true;
      } catch {
        return false;
      }
    };
    const rejected = cases.flatMap((testCase) =>
      testCase.gitRejectsBranch === undefined ? [] : [testCase.gitRejectsBranch],
    );
    assert.ok(rejected.length >= 15);
    for (const branch of rejected) {
      assert.equal(gitAccepts(branch), false, `git accepts ${JSON.stringify(branch)}, the table says it is rejected`);
      assert.notEqual(validateBranch(branch), true, `the validator accepts ${JSON.stringify(branch)}`);
    }
    // Accepted by both: the validator is not simply stricter than git.
    for (const branch of [
      'main',
      'release/2026',
      'fëature',
      'a@b',
      '@',
      'x.lock.y',
      'a#b',
      "it's",
      'a{b}',
      'refs/heads/x',
    ]) {
      assert.equal(gitAccepts(branch), true, `git rejects ${JSON.stringify(branch)}`);
      assert.equal(validateBranch(branch), true, `the validator rejects ${JSON.stringify(branch)}`);
    }
  });
});

describe('a KMS key in another region than `region`: accepted, with a warning', () => {
  const otherRegionKey = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const warning =
    "Warning: environments.production.kmsKeyArn is in region eu-central-1, not in the fleet's region eu-west-1: keys in other regions work; check that eu-central-1 is where that key is";

  it('writes the fleet with that key and prints a warning naming both regions', async () => {
    const target = mkdtempSync(join(tmpdir(), 'other-region-'));
    try {
      const args = [
        '--no-interactive',
        `--account-id=${ACCOUNT}`,
        `--repo-url=${REPO}`,
        '--region=eu-west-1',
        `--kms-key-arn=production=${otherRegionKey}`,
        target,
      ];
      const result = await runCli(args);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(
        errorLines(result.stderr)
          .filter((line) => line.startsWith('Warning:'))
          .join('\n'),
        warning,
      );
      assert.match(readFileSync(join(target, '.sops.yaml'), 'utf8'), new RegExp(`kms: ${otherRegionKey}\\n`));
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  });

  it('warns about nothing for keys in the fleet’s region and for the default keys', () => {
    const answers = validateAnswers(
      {
        accountId: ACCOUNT,
        repoUrl: REPO,
        region: 'eu-west-1',
        environments: ['staging', { name: 'production', kmsKeyArn: 'arn:aws:kms:eu-west-1:123456789012:alias/prod' }],
      },
      () => '',
    );
    assert.deepEqual(findAnswerWarnings(answers, answers.environments), []);
    assert.deepEqual(findAnswerWarnings(answers, [{ name: 'production', kmsKeyArn: otherRegionKey }]), [
      warning.replace('Warning: ', ''),
    ]);
  });
});
