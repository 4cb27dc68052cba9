// No injection: every string a validator accepts reaches the written files as exactly that
// string (for the YAML 1.1 readers in the cluster and the YAML 1.2 readers such as sops), and
// adds no key, document or line; every string a validator rejects stops validateAnswers
// before anything is planned. The one quoting helper all user values go through, yamlScalar,
// is also checked directly, on any string at all.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse, parseAllDocuments } from 'yaml';
import { FluxSopsError } from '../src/errors.js';
import { type RawAnswers, validateAnswers } from '../src/fleet/answers.js';
import { environmentInputs, fleetInputs } from '../src/fleet/inputs.js';
import type { PlannedFile } from '../src/fleet/layout.js';
import { planFleet } from '../src/fleet/plan.js';
import { validateTenantPath } from '../src/fleet/validators.js';
import {
  type Validation,
  normalizeOidcIssuer,
  validateAccountId,
  validateAgeRecipients,
  validateBranch,
  validateClusterName,
  validateCodeOwners,
  validateEnvironmentName,
  validateIac,
  validateIdentity,
  validateKmsKeyArn,
  validateOidcIssuer,
  validateRegion,
  validateRepoUrl,
  validateRoleName,
} from '../src/fleet/validators.js';
import { doubleQuoted, yamlScalar } from '../src/fleet/yaml-scalar.js';

/**
 * Runs per input; each input gets both fully random strings and valid-looking ones with hostile
 * parts. An accepted string plans and parses a whole fleet, so this is the test's cost: set
 * FAST_CHECK_RUNS to search longer.
 */
const RUNS_PER_INPUT = Number(process.env.FAST_CHECK_RUNS ?? 150);
/** Inputs with fixed choices: a hostile string is rejected outright, and few strings are accepted. */
const RUNS_PER_CHOICE_INPUT = Math.ceil(RUNS_PER_INPUT / 3);
// A fixed seed keeps the suite deterministic; set FAST_CHECK_SEED to explore other strings.
const SEED = Number(process.env.FAST_CHECK_SEED ?? 20261129);

const HOSTILE_UNITS = [
  ...`"':#-{}[]&*!%@\`|>?,\\/.=+~^$()<; `,
  '\n',
  '\r',
  '\t',
  '\u0000',
  '\u007f',
  '\u0085', // NEL: a line break to YAML 1.1
  '\u00a0',
  '\u2028', // LINE SEPARATOR: a line break to YAML 1.1
  '\ufeff',
  'é',
  'ѕ', // Cyrillic look-alike of s
  '😀',
  ...'aeilnorsuyAZ019_',
];

/** Words YAML reads as something other than a string, in one version or the other. */
const YAML_WORDS = [
  'yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  'true',
  'null',
  '~',
  '012',
  '0o17',
  '0x1f',
  '1e3',
  '1_000',
  '.inf',
  '.nan',
  '<<',
  '=',
  '-',
  '---',
  '...',
  '2001-12-14',
];

const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS), maxLength: 20 });
const hostileOrYamlWord = fc.oneof(
  hostile,
  fc.constantFrom(...YAML_WORDS),
  fc.tuple(fc.constantFrom(...YAML_WORDS), hostile).map(([word, rest]) => word + rest),
);

/** A valid value with hostile text put before, inside or after it. */
function withHostileParts(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(hostileOrYamlWord, fc.nat({ max: valid.length }), fc.constantFrom('prefix', 'insert', 'suffix'))
    .map(([text, at, where]) =>
      where === 'prefix'
        ? text + valid
        : where === 'suffix'
          ? valid + text
          : valid.slice(0, at) + text + valid.slice(at),
    );
}

const BASE: RawAnswers = {
  accountId: '123456789012',
  roleName: 'flux-kms-decryptor',
  region: 'eu-west-1',
  repoUrl: 'https://github.com/acme/apps.git',
  branch: 'main',
  environments: ['staging'],
};

const howToGive = (name: string) => `give ${name}`;
// A break-glass recipient: the public key of an identity made for these tests (age-keygen -y).
const BACKUP = 'age1q3uh32wvcqqk96yskj4x05w7ymapfx2vykz9j85augt5wktyne8qz533tq';
const BECH32 = [...'qpzry9x8gf2tvdw0s3jn54khce6mua7l'];

type Documents = unknown[];
interface ParsedFleet {
  /** Per file path, the documents of a YAML file as YAML 1.1 and 1.2 read them, or the JSON value. */
  files: Map<string, { v11: Documents; v12: Documents } | { json: unknown }>;
  /** Every planned path, parsed or not. */
  paths: string[];
  /** The text of every planned file, for the files that are neither YAML nor JSON (CODEOWNERS). */
  texts: Map<string, string>;
}

/**
 * Parsed YAML by text: most files of a fleet do not depend on the input under test, and the same
 * text parses the same, so each distinct text is parsed once (the results are only read).
 */
const parsedYaml = new Map<string, { v11: Documents; v12: Documents }>();

/** Parses every planned YAML and JSON file; a parse error, warning or duplicate key fails. */
function parseFleet(files: readonly PlannedFile[]): ParsedFleet {
  const parsed: ParsedFleet['files'] = new Map();
  for (const file of files) {
    if (file.path.endsWith('.json')) {
      parsed.set(file.path, { json: JSON.parse(file.contents) });
    } else if (/\.ya?ml$/.test(file.path)) {
      const read = (version: '1.1' | '1.2') =>
        parseAllDocuments(file.contents, { uniqueKeys: true, version }).map((document) => {
          assert.deepEqual(
            [...document.errors, ...document.warnings].map((problem) => problem.message),
            [],
            `${file.path} as YAML ${version}`,
          );
          return document.toJS();
        });
      let documents = parsedYaml.get(file.contents);
      if (!documents) {
        documents = { v11: read('1.1'), v12: read('1.2') };
        if (parsedYaml.size > 500) {
          parsedYaml.clear();
        }
        parsedYaml.set(file.contents, documents);
      }
      parsed.set(file.path, documents);
    }
  }
  return {
    files: parsed,
    paths: files.map((file) => file.path),
    texts: new Map(files.map((file) => [file.path, file.contents])),
  };
}

/** Each document in both YAML versions; the two versions must agree on everything. */
function documentsOf(fleet: ParsedFleet, path: string): Documents {
  const file = fleet.files.get(path);
  assert.ok(file && 'v11' in file, `${path} is not a planned YAML file`);
  assert.deepEqual(file.v11, file.v12, `${path}: YAML 1.1 and 1.2 read it differently`);
  return file.v12;
}

function jsonOf(fleet: ParsedFleet, path: string): any {
  const file = fleet.files.get(path);
  assert.ok(file && 'json' in file, `${path} is not a planned JSON file`);
  return file.json;
}

function yamlObject(fleet: ParsedFleet, path: string): any {
  const documents = documentsOf(fleet, path);
  assert.equal(documents.length, 1, `${path} must hold one document`);
  return documents[0];
}

/**
 * The structure of parsed content: keys, list lengths and value types, with strings blanked out.
 * The only keys made from input are the IAM condition keys `<issuer>:aud` and `<issuer>:sub`.
 */
function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) {
    return value.map(shapeOf);
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, each]) => [key.replace(/^oidc\.eks\.[^:]+:/, '<issuer>:'), shapeOf(each)]),
    );
  }
  return typeof value === 'string' ? '<string>' : value;
}

/** File path → shape, with the environment's name in paths replaced so fleets of other names compare. */
function fleetShape(fleet: ParsedFleet, environment: string): Record<string, unknown> {
  const shape: Record<string, unknown> = {};
  for (const [path, file] of fleet.files) {
    const key = path.replace(`/${environment}/`, '/<env>/');
    shape[key] = 'json' in file ? shapeOf(file.json) : { v11: file.v11.map(shapeOf), v12: file.v12.map(shapeOf) };
  }
  return shape;
}

interface InputUnderTest {
  name: string;
  /** Default: RUNS_PER_INPUT. */
  runs?: number;
  validate: (value: string) => Validation;
  arbitrary: fc.Arbitrary<string>;
  answersWith: (value: string) => RawAnswers;
  /** Benign answers whose fleet has the same shape the hostile one must keep. */
  baselineFor: (value: string) => RawAnswers;
  environmentOf: (value: string) => string;
  /** Asserts that the parsed fleet carries the value exactly where it belongs. */
  assertCarries: (value: string, fleet: ParsedFleet) => void;
}

const repoUrlShapes = fc.oneof(
  hostileOrYamlWord,
  withHostileParts('https://github.com/acme/apps.git'),
  withHostileParts('ssh://git@github.com:2222/acme/apps.git'),
  fc
    .tuple(fc.constantFrom('https://github.com/', 'ssh://git@gitlab.example.com/'), hostile)
    .map(([start, path]) => start + path),
);

const inputs: InputUnderTest[] = [
  {
    name: 'branch',
    validate: validateBranch,
    arbitrary: fc.oneof(hostileOrYamlWord, withHostileParts('release/2026')),
    answersWith: (branch) => ({ ...BASE, branch }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (branch, fleet) => {
      assert.equal((documentsOf(fleet, 'tenants/staging/apps/sync.yaml')[0] as any).spec.ref.branch, branch);
    },
  },
  {
    name: 'repoUrl',
    validate: validateRepoUrl,
    arbitrary: repoUrlShapes,
    answersWith: (repoUrl) => ({ ...BASE, repoUrl }),
    baselineFor: (repoUrl) => ({
      ...BASE,
      repoUrl: repoUrl.startsWith('ssh://') ? 'ssh://git@github.com/acme/apps.git' : 'https://github.com/acme/apps.git',
    }),
    environmentOf: () => 'staging',
    assertCarries: (repoUrl, fleet) => {
      assert.equal((documentsOf(fleet, 'tenants/staging/apps/sync.yaml')[0] as any).spec.url, repoUrl);
    },
  },
  {
    // A stem: the environment's role is <roleName>-staging, which must be a role name too.
    name: 'roleName',
    validate: (roleName) =>
      validateRoleName(roleName) === true ? validateRoleName(`${roleName}-staging`) : validateRoleName(roleName),
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('flux-kms-decryptor'),
      fc.string({ unit: fc.constantFrom(...'+=,.@_-aZ09'), minLength: 1, maxLength: 64 }),
    ),
    answersWith: (roleName) => ({ ...BASE, roleName }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (roleName, fleet) => assertRoleArn(fleet, `arn:aws:iam::123456789012:role/${roleName}-staging`),
  },
  {
    // An environment's own role name is exact.
    name: 'environments[].roleName',
    validate: validateRoleName,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('flux-kms-decryptor'),
      fc.string({ unit: fc.constantFrom(...'+=,.@_-aZ09'), minLength: 1, maxLength: 70 }),
    ),
    answersWith: (roleName) => ({ ...BASE, environments: [{ name: 'staging', roleName }] }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (roleName, fleet) => assertRoleArn(fleet, `arn:aws:iam::123456789012:role/${roleName}`),
  },
  {
    name: 'environments[].kmsKeyArn',
    validate: validateKmsKeyArn,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging'),
      withHostileParts('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      fc
        .string({ unit: fc.constantFrom(...'/_-aZ09', ...YAML_WORDS), minLength: 1, maxLength: 12 })
        .map((name) => `arn:aws:kms:eu-west-1:123456789012:alias/${name}`),
    ),
    answersWith: (kmsKeyArn) => ({ ...BASE, environments: [{ name: 'staging', kmsKeyArn }] }),
    baselineFor: (kmsKeyArn) => ({
      ...BASE,
      environments: [
        {
          name: 'staging',
          kmsKeyArn: kmsKeyArn.includes(':key/')
            ? 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'
            : 'arn:aws:kms:eu-west-1:123456789012:alias/x',
        },
      ],
    }),
    environmentOf: () => 'staging',
    assertCarries: (kmsKeyArn, fleet) => {
      assert.deepEqual(
        yamlObject(fleet, '.sops.yaml').creation_rules.map((rule: { kms: string }) => rule.kms),
        [kmsKeyArn],
      );
      assert.equal(yamlObject(fleet, 'secrets/staging/apps-auth.yaml').sops.kms[0].arn, kmsKeyArn);
    },
  },
  {
    name: 'environments[].name',
    validate: validateEnvironmentName,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('staging'),
      fc.string({ unit: fc.constantFrom(...'-az09', ...YAML_WORDS), minLength: 1, maxLength: 10 }),
    ),
    answersWith: (name) => ({ ...BASE, environments: [name] }),
    baselineFor: () => BASE,
    environmentOf: (name) => name,
    assertCarries: (name, fleet) => {
      assert.equal(yamlObject(fleet, `clusters/${name}/secrets.yaml`).spec.path, `./secrets/${name}`);
      assert.equal((documentsOf(fleet, `tenants/${name}/apps/sync.yaml`)[1] as any).spec.path, `./deploy/${name}`);
      const [rule] = yamlObject(fleet, '.sops.yaml').creation_rules;
      assert.match(`secrets/${name}/apps-auth.yaml`, new RegExp(rule.path_regex));
      assert.doesNotMatch(`secrets/${name}x/apps-auth.yaml`, new RegExp(rule.path_regex));
    },
  },
  {
    // A tenant's path, <env> replaced by the environment's name.
    name: 'tenants',
    validate: validateTenantPath,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('./deploy/<env>'),
      fc.string({ unit: fc.constantFrom(...'./<>env-_aZ09', ...YAML_WORDS), minLength: 1, maxLength: 16 }),
    ),
    answersWith: (path) => ({
      ...BASE,
      repoUrl: undefined,
      tenants: [{ name: 'shop', repoUrl: 'https://github.com/acme/shop.git', path }],
    }),
    baselineFor: () => ({
      ...BASE,
      repoUrl: undefined,
      tenants: [{ name: 'shop', repoUrl: 'https://github.com/acme/shop.git' }],
    }),
    environmentOf: () => 'staging',
    assertCarries: (path, fleet) => {
      assert.equal(
        (documentsOf(fleet, 'tenants/staging/shop/sync.yaml')[1] as any).spec.path,
        path.replaceAll('<env>', 'staging'),
      );
    },
  },
  {
    name: 'environments[].oidcIssuer',
    validate: validateOidcIssuer,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'),
      fc
        .tuple(
          fc.constantFrom('', 'https://'),
          fc.string({
            unit: fc.constantFrom(...'AZaz09', 'yes', 'no', 'null', 'true', '012', '1e3', '0x1f'),
            minLength: 1,
            maxLength: 12,
          }),
        )
        .map(([scheme, id]) => `${scheme}oidc.eks.eu-west-1.amazonaws.com/id/${id}`),
    ),
    answersWith: (oidcIssuer) => ({ ...BASE, environments: [{ name: 'staging', oidcIssuer }] }),
    baselineFor: () => ({
      ...BASE,
      environments: [{ name: 'staging', oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/A' }],
    }),
    environmentOf: () => 'staging',
    assertCarries: (oidcIssuer, fleet) => {
      const issuer = normalizeOidcIssuer(oidcIssuer);
      const [statement] = jsonOf(fleet, 'iam/staging/trust-policy.json').Statement;
      assert.equal(statement.Principal.Federated, `arn:aws:iam::123456789012:oidc-provider/${issuer}`);
      assert.deepEqual(Object.keys(statement.Condition.StringEquals), [`${issuer}:aud`, `${issuer}:sub`]);
    },
  },
  {
    name: 'accountId',
    validate: validateAccountId,
    arbitrary: fc.oneof(hostileOrYamlWord, withHostileParts('012345678901'), fc.stringMatching(/^\d{12}$/)),
    answersWith: (accountId) => ({ ...BASE, accountId }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (accountId, fleet) => {
      assert.deepEqual(
        yamlObject(fleet, '.sops.yaml').creation_rules[0].kms,
        `arn:aws:kms:eu-west-1:${accountId}:alias/flux-sops-staging`,
      );
    },
  },
  {
    name: 'region',
    validate: validateRegion,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('eu-west-1'),
      fc.constantFrom('us-east-1', 'ap-southeast-2', 'il-central-1', 'us-gov-west-1', 'cn-north-1'),
    ),
    answersWith: (region) => ({ ...BASE, region }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (region, fleet) => {
      const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
      assert.equal(
        yamlObject(fleet, '.sops.yaml').creation_rules[0].kms,
        `arn:${partition}:kms:${region}:123456789012:alias/flux-sops-staging`,
      );
    },
  },
  {
    name: 'environments[].clusterName',
    validate: validateClusterName,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('eks-staging'),
      fc.string({ unit: fc.constantFrom(...'_-aZ09', ...YAML_WORDS), minLength: 1, maxLength: 12 }),
    ),
    // Pod Identity: the cluster name is in the trust policy's condition.
    answersWith: (clusterName) => ({
      ...BASE,
      identity: 'pod-identity',
      environments: [{ name: 'staging', clusterName }],
    }),
    baselineFor: () => ({ ...BASE, identity: 'pod-identity', environments: [{ name: 'staging', clusterName: 'x' }] }),
    environmentOf: () => 'staging',
    assertCarries: (clusterName, fleet) => {
      const [statement] = jsonOf(fleet, 'iam/staging/trust-policy.json').Statement;
      assert.equal(
        statement.Condition.StringEquals['aws:RequestTag/eks-cluster-arn'].split(':cluster/')[1],
        clusterName,
      );
    },
  },
  {
    name: 'backupAgeRecipients',
    validate: (recipient) => validateAgeRecipients([recipient]),
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts(BACKUP),
      fc.string({ unit: fc.constantFrom(...BECH32), minLength: 58, maxLength: 58 }).map((data) => `age1${data}`),
    ),
    answersWith: (recipient) => ({ ...BASE, backupAgeRecipients: [recipient] }),
    baselineFor: () => ({ ...BASE, backupAgeRecipients: [BACKUP] }),
    environmentOf: () => 'staging',
    assertCarries: (recipient, fleet) => {
      assert.equal(yamlObject(fleet, '.sops.yaml').creation_rules[0].age, recipient);
      assert.deepEqual(yamlObject(fleet, 'secrets/staging/apps-auth.yaml').sops.age, [
        { recipient, enc: 'PLACEHOLDER' },
      ]);
    },
  },
  {
    name: 'codeOwners',
    validate: (owner) => validateCodeOwners([owner]),
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('@acme/platform'),
      fc.string({ unit: fc.constantFrom(...'abcxyz019-'), minLength: 1, maxLength: 20 }).map((name) => `@a${name}`),
    ),
    answersWith: (owner) => ({ ...BASE, codeOwners: [owner] }),
    baselineFor: () => ({ ...BASE, codeOwners: ['@acme/platform'] }),
    environmentOf: () => 'staging',
    assertCarries: (owner, fleet) => {
      const rules = (fleet.texts.get('.github/CODEOWNERS') ?? '')
        .split('\n')
        .filter((line) => line !== '' && !line.startsWith('#'));
      assert.deepEqual(rules, [`/.flux-sops/ ${owner}`, `/.github/ ${owner}`, `/.sops.yaml ${owner}`]);
    },
  },
  {
    name: 'identity',
    runs: RUNS_PER_CHOICE_INPUT,
    validate: validateIdentity,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      fc.constantFrom('irsa', 'pod-identity'),
      withHostileParts('irsa'),
      withHostileParts('pod-identity'),
    ),
    answersWith: (identity) => ({ ...BASE, identity }),
    baselineFor: (identity) => ({ ...BASE, identity }),
    environmentOf: () => 'staging',
    assertCarries: (identity, fleet) => {
      const [statement] = jsonOf(fleet, 'iam/staging/trust-policy.json').Statement;
      assert.deepEqual(
        statement.Principal,
        identity === 'irsa' ? { Federated: statement.Principal.Federated } : { Service: 'pods.eks.amazonaws.com' },
      );
    },
  },
  {
    name: 'iac',
    runs: RUNS_PER_CHOICE_INPUT,
    validate: validateIac,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      fc.constantFrom('none', 'terraform'),
      withHostileParts('none'),
      withHostileParts('terraform'),
    ),
    answersWith: (iac) => ({ ...BASE, iac }),
    baselineFor: (iac) => ({ ...BASE, iac }),
    environmentOf: () => 'staging',
    assertCarries: (iac, fleet) => {
      assert.equal(
        fleet.paths.some((path) => path.endsWith('.tf')),
        iac === 'terraform',
      );
    },
  },
];

/** The role kustomize-controller is annotated with: in a YAML patch inside a block scalar, read back the same in both versions. */
function assertRoleArn(fleet: ParsedFleet, roleArn: string): void {
  const kustomization = yamlObject(fleet, 'clusters/staging/flux-system/kustomization.yaml');
  const accounts = kustomization.patches.filter(
    (patch: { target: { kind: string } }) => patch.target.kind === 'ServiceAccount',
  );
  assert.equal(accounts.length, 1);
  const patches = (['1.1', '1.2'] as const).map((version) =>
    parseAllDocuments(accounts[0].patch, { uniqueKeys: true, version }).map((document) => {
      assert.deepEqual(document.errors, []);
      return document.toJS();
    }),
  );
  assert.deepEqual(patches[0], patches[1]);
  assert.equal(patches[1]?.length, 1);
  assert.deepEqual(patches[1]?.[0], {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'kustomize-controller', annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
  });
}

describe('no injection: hostile strings through the validators and the planner', () => {
  it('covers every input: each fleet input, and each environment input as environments[].<name> or through the fleet input it shares', () => {
    const covered = new Set(inputs.map((input) => input.name));
    for (const input of fleetInputs) {
      assert.ok(
        covered.has(input.name === 'environments' ? 'environments[].name' : input.name),
        `no property for ${input.name}`,
      );
    }
    for (const input of environmentInputs) {
      assert.ok(
        covered.has(`environments[].${input.name}`) || covered.has(input.name),
        `no property for environments[].${input.name}`,
      );
    }
  });

  for (const input of inputs) {
    const runs = input.runs ?? RUNS_PER_INPUT;
    it(`${input.name}: an accepted string is written exactly as given, a rejected one stops before planning (${runs} strings)`, () => {
      let accepted = 0;
      let rejected = 0;
      const baselineShapes = new Map<string, Record<string, unknown>>();
      fc.assert(
        fc.property(input.arbitrary, (value) => {
          if (input.validate(value) !== true) {
            rejected += 1;
            assert.throws(
              () => validateAnswers(input.answersWith(value), howToGive),
              (error: unknown) => error instanceof FluxSopsError && error.kind === 'input' && error.code === 2,
            );
            return;
          }
          accepted += 1;
          const fleet = parseFleet(planFleet(validateAnswers(input.answersWith(value), howToGive)));
          input.assertCarries(value, fleet);
          const baselineAnswers = input.baselineFor(value);
          const baselineKey = JSON.stringify(baselineAnswers);
          let baseline = baselineShapes.get(baselineKey);
          if (!baseline) {
            baseline = fleetShape(parseFleet(planFleet(validateAnswers(baselineAnswers, howToGive))), 'staging');
            baselineShapes.set(baselineKey, baseline);
          }
          assert.deepEqual(
            fleetShape(fleet, input.environmentOf(value)),
            baseline,
            'the same files, documents, keys and value types as a benign fleet',
          );
        }),
        { numRuns: runs, seed: SEED },
      );
      // Both sides of the property must have been exercised, or it proves nothing.
      assert.ok(accepted >= runs / 20, `only ${accepted} of ${runs} strings were accepted`);
      assert.ok(rejected >= runs / 20, `only ${rejected} of ${runs} strings were rejected`);
      console.log(`      ${input.name}: ${accepted} accepted, ${rejected} rejected (seed ${SEED})`);
    });
  }
});

describe('yamlScalar, the quoting of every user value in YAML: any string at all', () => {
  /** Texts that mean something else to YAML at the start, inside or at the end of a scalar. */
  const YAML_SYNTAX = [
    '',
    ' ',
    '- a',
    'a: b',
    'a:b',
    ':x',
    'x:',
    '? x',
    '!!str x',
    '!x',
    '&a x',
    '*a',
    '# c',
    'a #c',
    '%YAML 1.1',
    '--- x',
    '... x',
    '"',
    "'",
    '\\',
    '\\n',
    '|',
    '>',
    '@x',
    '`x',
    '{a: 1}',
    '[a]',
    ',',
    '0b101',
    '+12',
    '1:30',
    '0x_1',
    '.5',
    '-.inf',
    'Yes',
    'NO',
    'Off',
    'NULL',
    'True',
    '~',
  ];
  const anyString = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS, ...YAML_SYNTAX), maxLength: 12 }),
    hostileOrYamlWord,
    fc.constantFrom(...YAML_WORDS, ...YAML_SYNTAX),
    fc.string({ unit: fc.constantFrom(...'abz09-_./:@+='), minLength: 1, maxLength: 30 }),
  );

  it('reads back as the same string in YAML 1.1 and 1.2 (alone, as a value between keys, as a list item), on one line, adding no key, item or document', () => {
    let plain = 0;
    let quoted = 0;
    fc.assert(
      fc.property(anyString, (value) => {
        const scalar = yamlScalar(value);
        assert.doesNotMatch(scalar, /[\n\r\u0085\u2028\u2029]/, 'the scalar is one line');
        if (scalar === value) {
          plain += 1;
        } else {
          quoted += 1;
          assert.equal(scalar, doubleQuoted(value), 'a scalar is either the value itself or the value double-quoted');
        }
        for (const version of ['1.1', '1.2'] as const) {
          assert.equal(parse(scalar, { version }), value, `alone, YAML ${version}`);
          for (const [text, expected] of [
            [`before: 1\nkey: ${scalar}\nafter: 2\n`, { before: 1, key: value, after: 2 }],
            [`- ${scalar}\n- end\n`, [value, 'end']],
            [`outer:\n  key: ${scalar}\n  next: x\n`, { outer: { key: value, next: 'x' } }],
          ] as const) {
            const documents = parseAllDocuments(text, { version, uniqueKeys: true });
            assert.equal(documents.length, 1, `one document, YAML ${version}: ${text}`);
            const [document] = documents as [(typeof documents)[number]];
            assert.deepEqual(
              [...document.errors, ...document.warnings].map((problem) => problem.message),
              [],
              `YAML ${version}: ${text}`,
            );
            assert.deepEqual(document.toJS(), expected, `YAML ${version}: ${text}`);
          }
        }
      }),
      { numRuns: 1000, seed: SEED },
    );
    // Both forms must have been exercised.
    assert.ok(plain >= 50 && quoted >= 50, `${plain} plain, ${quoted} quoted`);
    console.log(`      ${plain} written plain, ${quoted} double-quoted (seed ${SEED})`);
  });

  it('refuses anything but a string', () => {
    for (const value of [1, true, null, undefined, ['a'], { a: 1 }]) {
      assert.throws(() => yamlScalar(value as unknown as string), TypeError);
    }
  });
});
