// No injection: every string a validator accepts reaches the written files as exactly that
// string (for the YAML 1.1 readers in the cluster and the YAML 1.2 readers such as sops), and
// adds no key, document or line; every string a validator rejects stops validateAnswers
// before anything is planned.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseAllDocuments } from 'yaml';
import { InputError, type RawAnswers, validateAnswers } from '../src/inputs.js';
import { type PlannedFile, planFleet } from '../src/plan.js';
import {
  type Validation,
  normalizeOidcIssuer,
  validateAccountId,
  validateBranch,
  validateEnvironmentName,
  validateKmsKeyArn,
  validateOidcIssuer,
  validateRegion,
  validateRepoUrl,
  validateRoleName,
} from '../src/validators.js';

/** Runs per input; each input gets both fully random strings and valid-looking ones with hostile parts. */
const RUNS_PER_INPUT = 400;
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
const YAML_WORDS = ['yes', 'no', 'on', 'off', 'y', 'n', 'true', 'null', '~', '012', '0o17', '0x1f', '1e3', '1_000', '.inf', '.nan', '<<', '=', '-', '---', '...', '2001-12-14'];

const hostile = fc.string({ unit: fc.constantFrom(...HOSTILE_UNITS), maxLength: 20 });
const hostileOrYamlWord = fc.oneof(hostile, fc.constantFrom(...YAML_WORDS), fc.tuple(fc.constantFrom(...YAML_WORDS), hostile).map(([word, rest]) => word + rest));

/** A valid value with hostile text put before, inside or after it. */
function withHostileParts(valid: string): fc.Arbitrary<string> {
  return fc
    .tuple(hostileOrYamlWord, fc.nat({ max: valid.length }), fc.constantFrom('prefix', 'insert', 'suffix'))
    .map(([text, at, where]) => (where === 'prefix' ? text + valid : where === 'suffix' ? valid + text : valid.slice(0, at) + text + valid.slice(at)));
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

type Documents = unknown[];
interface ParsedFleet {
  /** Per file path, the documents of a YAML file as YAML 1.1 and 1.2 read them, or the JSON value. */
  files: Map<string, { v11: Documents; v12: Documents } | { json: unknown }>;
}

/** Parses every planned YAML and JSON file; a parse error, warning or duplicate key fails. */
function parseFleet(files: readonly PlannedFile[]): ParsedFleet {
  const parsed: ParsedFleet['files'] = new Map();
  for (const file of files) {
    if (file.path.endsWith('.json')) {
      parsed.set(file.path, { json: JSON.parse(file.contents) });
    } else if (/\.ya?ml$/.test(file.path)) {
      const read = (version: '1.1' | '1.2') =>
        parseAllDocuments(file.contents, { uniqueKeys: true, version }).map((document) => {
          assert.deepEqual([...document.errors, ...document.warnings].map((problem) => problem.message), [], `${file.path} as YAML ${version}`);
          return document.toJS();
        });
      parsed.set(file.path, { v11: read('1.1'), v12: read('1.2') });
    }
  }
  return { files: parsed };
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
    return Object.fromEntries(Object.entries(value).map(([key, each]) => [key.replace(/^oidc\.eks\.[^:]+:/, '<issuer>:'), shapeOf(each)]));
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
  fc.tuple(fc.constantFrom('https://github.com/', 'ssh://git@gitlab.example.com/'), hostile).map(([start, path]) => start + path),
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
      assert.equal(yamlObject(fleet, 'secrets/staging/git-repository.yaml').spec.ref.branch, branch);
    },
  },
  {
    name: 'repoUrl',
    validate: validateRepoUrl,
    arbitrary: repoUrlShapes,
    answersWith: (repoUrl) => ({ ...BASE, repoUrl }),
    baselineFor: (repoUrl) => ({ ...BASE, repoUrl: repoUrl.startsWith('ssh://') ? 'ssh://git@github.com/acme/apps.git' : 'https://github.com/acme/apps.git' }),
    environmentOf: () => 'staging',
    assertCarries: (repoUrl, fleet) => {
      assert.equal(yamlObject(fleet, 'secrets/staging/git-repository.yaml').spec.url, repoUrl);
    },
  },
  {
    name: 'roleName',
    validate: validateRoleName,
    arbitrary: fc.oneof(hostileOrYamlWord, withHostileParts('flux-kms-decryptor'), fc.string({ unit: fc.constantFrom(...'+=,.@_-aZ09'), minLength: 1, maxLength: 64 })),
    answersWith: (roleName) => ({ ...BASE, roleName }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (roleName, fleet) => {
      const kustomization = yamlObject(fleet, 'clusters/staging/flux-system/kustomization.yaml');
      assert.equal(kustomization.patches.length, 1);
      // The patch is itself YAML inside a block scalar: it must read back the same in both versions.
      const patches = [1.1, 1.2].map((version) =>
        parseAllDocuments(kustomization.patches[0].patch, { uniqueKeys: true, version: String(version) as '1.1' | '1.2' }).map((document) => {
          assert.deepEqual(document.errors, []);
          return document.toJS();
        }),
      );
      assert.deepEqual(patches[0], patches[1]);
      assert.equal(patches[1]?.length, 1);
      assert.deepEqual(patches[1]?.[0], {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'kustomize-controller', annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::123456789012:role/${roleName}` } },
      });
    },
  },
  {
    name: 'environments[].kmsKeyArn',
    validate: validateKmsKeyArn,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging'),
      withHostileParts('arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
      fc.string({ unit: fc.constantFrom(...'/_-aZ09', ...YAML_WORDS), minLength: 1, maxLength: 12 }).map((name) => `arn:aws:kms:eu-west-1:123456789012:alias/${name}`),
    ),
    answersWith: (kmsKeyArn) => ({ ...BASE, environments: [{ name: 'staging', kmsKeyArn }] }),
    baselineFor: (kmsKeyArn) => ({
      ...BASE,
      environments: [{ name: 'staging', kmsKeyArn: kmsKeyArn.includes(':key/') ? 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab' : 'arn:aws:kms:eu-west-1:123456789012:alias/x' }],
    }),
    environmentOf: () => 'staging',
    assertCarries: (kmsKeyArn, fleet) => {
      assert.deepEqual(yamlObject(fleet, '.sops.yaml').creation_rules.map((rule: { kms: string }) => rule.kms), [kmsKeyArn]);
      assert.equal(yamlObject(fleet, 'secrets/staging/repo-auth.yaml').sops.kms[0].arn, kmsKeyArn);
    },
  },
  {
    name: 'environments[].name',
    validate: validateEnvironmentName,
    arbitrary: fc.oneof(hostileOrYamlWord, withHostileParts('staging'), fc.string({ unit: fc.constantFrom(...'-az09', ...YAML_WORDS), minLength: 1, maxLength: 10 })),
    answersWith: (name) => ({ ...BASE, environments: [name] }),
    baselineFor: () => BASE,
    environmentOf: (name) => name,
    assertCarries: (name, fleet) => {
      assert.equal(yamlObject(fleet, `clusters/${name}/secrets.yaml`).spec.path, `./secrets/${name}`);
      assert.equal(yamlObject(fleet, `clusters/${name}/apps.yaml`).spec.path, `./deploy/${name}`);
      const [rule] = yamlObject(fleet, '.sops.yaml').creation_rules;
      assert.match(`secrets/${name}/repo-auth.yaml`, new RegExp(rule.path_regex));
      assert.doesNotMatch(`secrets/${name}x/repo-auth.yaml`, new RegExp(rule.path_regex));
    },
  },
  {
    name: 'environments[].oidcIssuer',
    validate: validateOidcIssuer,
    arbitrary: fc.oneof(
      hostileOrYamlWord,
      withHostileParts('https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE'),
      fc
        .tuple(fc.constantFrom('', 'https://'), fc.string({ unit: fc.constantFrom(...'AZaz09', 'yes', 'no', 'null', 'true', '012', '1e3', '0x1f'), minLength: 1, maxLength: 12 }))
        .map(([scheme, id]) => `${scheme}oidc.eks.eu-west-1.amazonaws.com/id/${id}`),
    ),
    answersWith: (oidcIssuer) => ({ ...BASE, environments: [{ name: 'staging', oidcIssuer }] }),
    baselineFor: () => ({ ...BASE, environments: [{ name: 'staging', oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/A' }] }),
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
      assert.deepEqual(yamlObject(fleet, '.sops.yaml').creation_rules[0].kms, `arn:aws:kms:eu-west-1:${accountId}:alias/flux-sops-staging`);
    },
  },
  {
    name: 'region',
    validate: validateRegion,
    arbitrary: fc.oneof(hostileOrYamlWord, withHostileParts('eu-west-1'), fc.constantFrom('us-east-1', 'ap-southeast-2', 'il-central-1', 'us-gov-west-1', 'cn-north-1')),
    answersWith: (region) => ({ ...BASE, region }),
    baselineFor: () => BASE,
    environmentOf: () => 'staging',
    assertCarries: (region, fleet) => {
      const partition = region.startsWith('cn-') ? 'aws-cn' : region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
      assert.equal(yamlObject(fleet, '.sops.yaml').creation_rules[0].kms, `arn:${partition}:kms:${region}:123456789012:alias/flux-sops-staging`);
    },
  },
];

describe('no injection: hostile strings through the validators and the planner', () => {
  for (const input of inputs) {
    it(`${input.name}: an accepted string is written exactly as given, a rejected one stops before planning (${RUNS_PER_INPUT} strings)`, () => {
      let accepted = 0;
      let rejected = 0;
      const baselineShapes = new Map<string, Record<string, unknown>>();
      fc.assert(
        fc.property(input.arbitrary, (value) => {
          if (input.validate(value) !== true) {
            rejected += 1;
            assert.throws(() => validateAnswers(input.answersWith(value), howToGive), InputError);
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
          assert.deepEqual(fleetShape(fleet, input.environmentOf(value)), baseline, 'the same files, documents, keys and value types as a benign fleet');
        }),
        { numRuns: RUNS_PER_INPUT, seed: SEED },
      );
      // Both sides of the property must have been exercised, or it proves nothing.
      assert.ok(accepted >= RUNS_PER_INPUT / 20, `only ${accepted} of ${RUNS_PER_INPUT} strings were accepted`);
      assert.ok(rejected >= RUNS_PER_INPUT / 20, `only ${rejected} of ${RUNS_PER_INPUT} strings were rejected`);
      console.log(`      ${input.name}: ${accepted} accepted, ${rejected} rejected (seed ${SEED})`);
    });
  }
});
