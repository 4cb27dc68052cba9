// The Terraform module of an environment and the HCL writer under it: every file parsed (HCL2 parser), facts read from the parsed files, the Terraform policies equivalent to iam.ts's, and `terraform fmt` layout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import fc from 'fast-check';
import { type HclValue, hclAttributes, hclKey, hclReference, hclString, hclValue } from '../src/fleet/hcl.js';
import { kmsDecryptPolicyOf, kmsKeyPolicyOf, trustPolicyOf } from '../src/fleet/iam.js';
import type { PlannedFile } from '../src/fleet/layout.js';
import { tenantIdentityOf, tenantTrustPolicyOf } from '../src/fleet/tenant-identity.js';
import {
  AWS_PROVIDER_VERSION,
  TERRAFORM_VERSION,
  planTenantTerraformFile,
  planTerraformFiles,
} from '../src/fleet/terraform.js';
import { environmentOf } from './environments.js';

// A fixed seed keeps the suite deterministic; set FAST_CHECK_SEED to explore other values.
const SEED = Number(process.env.FAST_CHECK_SEED ?? 20261129);
const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
/** Stands for the key's own ARN where Terraform resolves it (a created key, or an alias given). */
const RESOLVED_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/0000aaaa-00aa-00aa-00aa-000000aaaaaa';

/** (a) The default key (Terraform creates key and alias), IRSA, the cluster's issuer not known yet. */
const aliasKeyIrsa = environmentOf({ name: 'staging' });
/** (b) A key given by its ARN in the environment's own account (another than the fleet's), Pod Identity. */
const existingKeyPodIdentity = environmentOf({
  name: 'production',
  accountId: '210987654321',
  roleName: 'flux-production-decryptor',
  clusterName: 'prod-eks',
  identity: 'pod-identity',
  kmsKeyArn: `arn:aws:kms:eu-west-1:210987654321:key/${KEY_ID}`,
});

/** Shapes of environment checked below: parsed, facts read back, policies equivalent, fmt layout. */
const scenarios = [
  { scenario: 'alias-key-irsa-placeholder', env: aliasKeyIrsa },
  { scenario: 'existing-key-pod-identity', env: existingKeyPodIdentity },
  {
    scenario: 'given-alias-in-another-account-and-region-irsa',
    env: environmentOf({
      name: 'qa',
      oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      kmsKeyArn: 'arn:aws:kms:us-east-1:999988887777:alias/shared/flux-qa',
    }),
  },
  {
    scenario: 'default-key-pod-identity',
    env: environmentOf({ name: 'dev', identity: 'pod-identity', clusterName: 'dev-cluster_1' }),
  },
  {
    scenario: 'aws-cn-irsa',
    env: environmentOf({
      name: 'cn',
      region: 'cn-northwest-1',
      oidcIssuer: 'oidc.eks.cn-northwest-1.amazonaws.com.cn/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
    }),
  },
];

type Parsed = Record<string, unknown>;

/** Follows keys and indexes through parsed HCL (hcl2json gives every block as a list). */
function at(value: unknown, ...path: Array<string | number>): unknown {
  let current = value;
  for (const key of path) {
    if (current === null || typeof current !== 'object') {
      return undefined;
    }
    current = (current as Record<string | number, unknown>)[key];
  }
  return current;
}

/** The value with every string in it, keys included, passed through `change`. */
function mapStrings(value: unknown, change: (text: string) => string): unknown {
  if (typeof value === 'string') {
    return change(value);
  }
  if (Array.isArray(value)) {
    return value.map((item: unknown) => mapStrings(item, change));
  }
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [change(key), mapStrings(item, change)]));
  }
  return value;
}

/** hcl2json keeps literal `${` and `%{` escaped as in Terraform JSON: undo that in every string. */
function unescapeTemplates(value: unknown): unknown {
  return mapStrings(value, (text) => text.replace(/\$\$\{/g, () => '${').replace(/%%\{/g, () => '%{'));
}

const parsedModules = new Map<string, Promise<Record<string, Parsed>>>();

/** Every file of a scenario's module, parsed once: by file name (versions.tf, main.tf, …). */
function parsedModuleOf(scenario: string, files: readonly PlannedFile[]): Promise<Record<string, Parsed>> {
  let parsed = parsedModules.get(scenario);
  if (!parsed) {
    parsed = (async () => {
      const byName: Record<string, Parsed> = {};
      for (const file of files) {
        byName[file.path.split('/').pop() ?? file.path] = await parse(file.path, file.contents);
      }
      return byName;
    })();
    parsedModules.set(scenario, parsed);
  }
  return parsed;
}

/** The object inside `jsonencode(…)` of an attribute, with Terraform's references replaced by the values they stand for. */
async function jsonencodedDocument(expression: unknown, values: Record<string, string>): Promise<unknown> {
  assert.equal(typeof expression, 'string');
  const match = /^\$\{jsonencode\(([^]*)\)\}$/.exec(expression as string);
  assert.ok(match?.[1], `not a jsonencode(…) expression: ${String(expression)}`);
  let text = match[1];
  for (const [reference, value] of Object.entries(values)) {
    const escaped = reference.replace(/[.[\]]/g, '\\$&');
    text = text.replace(new RegExp(`(?<![\\w.])${escaped}(?![\\w.[])`, 'g'), JSON.stringify(value));
  }
  const document = at(await parse('document.tf', `locals {\n  document = ${text}\n}\n`), 'locals', 0, 'document');
  assert.doesNotMatch(JSON.stringify(document), /(?<!\$)\$\{/, 'a reference was left unsubstituted');
  return unescapeTemplates(document);
}

// ---------------------------------------------------------------------------------------------
// The layout `terraform fmt` writes, checked line by line: indentation from bracket nesting
// (hclwrite's formatIndent), and `=` aligned within runs of single-line attributes
// (formatCells). Quoted strings, with their interpolations, are skipped by a small scanner.

interface ScannedLine {
  readonly text: string;
  /** Net bracket change of the whole line, and of the part from its first top-level `=` on. */
  readonly net: number;
  readonly equals: number | undefined;
  readonly netFromEquals: number;
}

function scanLine(text: string): ScannedLine {
  let net = 0;
  let equals: number | undefined;
  let netAtEquals = 0;
  // Modes: 'e' expression, 's' quoted string, 'i' interpolation (counts its own braces).
  const stack: Array<{ mode: 'e' | 's' | 'i'; braces: number }> = [{ mode: 'e', braces: 0 }];
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index] ?? '';
    const top = stack[stack.length - 1] ?? { mode: 'e', braces: 0 };
    if (top.mode === 's') {
      if (character === '\\') {
        index += 1;
      } else if ((character === '$' || character === '%') && text[index + 1] === character && text[index + 2] === '{') {
        index += 2;
      } else if ((character === '$' || character === '%') && text[index + 1] === '{') {
        stack.push({ mode: 'i', braces: 0 });
        index += 1;
      } else if (character === '"') {
        stack.pop();
      }
      continue;
    }
    if (character === '#' && top.mode === 'e') {
      break;
    }
    if (character === '"') {
      stack.push({ mode: 's', braces: 0 });
    } else if ('{[('.includes(character)) {
      top.braces += 1;
      if (top.mode === 'e') {
        net += 1;
      }
    } else if ('}])'.includes(character)) {
      if (top.mode === 'i' && top.braces === 0) {
        stack.pop();
      } else {
        top.braces -= 1;
        if (top.mode === 'e') {
          net -= 1;
        }
      }
    } else if (character === '=' && top.mode === 'e' && stack.length === 1 && equals === undefined) {
      const previous = text[index - 1] ?? '';
      const next = text[index + 1] ?? '';
      if (!'=!<>'.includes(previous) && next !== '=' && next !== '>' && text.slice(0, index).trim() !== '') {
        equals = index;
        netAtEquals = net;
      }
    }
  }
  return { text, net, equals, netFromEquals: net - netAtEquals };
}

/** What `terraform fmt` would change in a file's layout, as messages naming the line. */
function formatProblems(contents: string): string[] {
  const problems: string[] = [];
  if (!contents.endsWith('\n') || contents.endsWith('\n\n')) {
    problems.push('the file must end with exactly one newline');
  }
  if (/\t|\r| \n/.test(contents)) {
    problems.push('tabs, carriage returns or trailing spaces');
  }
  const lines = contents.replace(/\n$/, '').split('\n').map(scanLine);
  const indents: number[] = [];
  let run: ScannedLine[] = [];
  const closeRun = () => {
    const width = Math.max(...run.map((line) => line.text.slice(0, line.equals).trimEnd().length));
    for (const line of run) {
      if (line.equals !== width + 1) {
        problems.push(`"=" not aligned (column ${line.equals}, expected ${width + 1}): ${line.text}`);
      }
    }
    run = [];
  };
  lines.forEach((line, number) => {
    const content = line.text.trim();
    if (content === '') {
      closeRun();
      return;
    }
    // hclwrite's formatIndent: a line that opens brackets is indented at the current level and
    // pushes them as one level; a line that closes them is indented at the level it returns to.
    if (line.net < 0) {
      let closed = -line.net;
      while (closed > 0 && indents.length > 0) {
        const last = indents.pop() ?? 0;
        if (closed < last) {
          indents.push(last - closed);
          closed = 0;
        } else {
          closed -= last;
        }
      }
    }
    const expected = 2 * indents.length;
    const actual = line.text.length - line.text.trimStart().length;
    if (actual !== expected) {
      problems.push(`line ${number + 1}: indented ${actual} spaces, expected ${expected}: ${line.text}`);
    }
    if (line.net > 0) {
      indents.push(line.net);
    }
    if (line.equals !== undefined && !/^ = \S/.test(line.text.slice(line.equals - 1))) {
      problems.push(`line ${number + 1}: "=" needs one space after it and one before the value: ${line.text}`);
    }
    if (line.equals !== undefined && line.netFromEquals === 0) {
      run.push(line);
    } else {
      closeRun();
      if (line.equals !== undefined && line.text[line.equals - 2] === ' ') {
        problems.push(`line ${number + 1}: "=" opening a multi-line value takes one space before it: ${line.text}`);
      }
    }
  });
  closeRun();
  return problems;
}

/** `terraform` or `tofu`, whichever is installed, for the checks only they can make. */
const terraformBinary: string | undefined = ['terraform', 'tofu'].find(
  (binary) => spawnSync(binary, ['version'], { stdio: 'ignore' }).error === undefined,
);
const terraformEnvironment = {
  ...process.env,
  CHECKPOINT_DISABLE: '1',
  TF_IN_AUTOMATION: '1',
  TF_CLI_CONFIG_FILE: '/dev/null',
};

function runTerraform(args: string[], cwd: string) {
  assert.ok(terraformBinary);
  return spawnSync(terraformBinary, args, { cwd, encoding: 'utf8', env: terraformEnvironment });
}

/** Writes files under a fresh temporary folder, runs `body` on it, and removes it. */
function withFiles<T>(files: readonly PlannedFile[], body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'flux-sops-terraform-'));
  try {
    for (const file of files) {
      mkdirSync(dirname(join(dir, file.path)), { recursive: true });
      writeFileSync(join(dir, file.path), file.contents);
    }
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `terraform fmt -check` over the files: the names of the files it would rewrite. */
function filesTerraformFmtWouldChange(files: readonly PlannedFile[]): string[] {
  return withFiles(files, (dir) => {
    const result = runTerraform(['fmt', '-check', '-recursive', '-list=true'], dir);
    assert.ok(result.status === 0 || result.status === 3, `${terraformBinary} fmt failed: ${result.stderr}`);
    return result.stdout.split('\n').filter((line) => line !== '');
  });
}

/** Evaluates `value` with the real Terraform (a module with locals and one output, no provider). */
function evaluatedByTerraform(value: string, locals: Record<string, string> = {}): unknown {
  const body = [
    ...Object.entries(locals).map(([name, text]) => `  ${name} = ${hclString(text)}`),
    `  value = ${value}`,
  ];
  const main = `locals {\n${body.join('\n')}\n}\n\noutput "value" {\n  value = local.value\n}\n`;
  return withFiles([{ path: 'main.tf', contents: main }], (dir) => {
    for (const args of [
      ['init', '-input=false', '-backend=false'],
      ['apply', '-auto-approve', '-input=false', '-lock=false'],
    ]) {
      const result = runTerraform(args, dir);
      assert.equal(result.status, 0, `${terraformBinary} ${args[0]} failed: ${result.stderr}`);
    }
    const output = runTerraform(['output', '-json', 'value'], dir);
    assert.equal(output.status, 0, output.stderr);
    return JSON.parse(output.stdout) as unknown;
  });
}

describe('Terraform module of an environment', () => {
  // Golden trees of the whole module: test/golden/mixed-terraform/terraform/ (app.test.ts), written
  // through the generator, an alias-key IRSA environment and an existing-key Pod Identity one.
  it('plans versions.tf, main.tf, variables.tf and outputs.tf under terraform/<env>/, in that order', () => {
    assert.deepStrictEqual(
      planTerraformFiles(aliasKeyIrsa).map((file) => file.path),
      ['versions.tf', 'main.tf', 'variables.tf', 'outputs.tf'].map((file) => `terraform/staging/${file}`),
    );
  });

  it('is deterministic: the same environment plans the same text', () => {
    for (const { env } of scenarios) {
      assert.deepStrictEqual(planTerraformFiles(env), planTerraformFiles(env));
    }
  });

  for (const { scenario, env } of scenarios) {
    describe(scenario, () => {
      const files = planTerraformFiles(env);

      it('every file parses as HCL', async () => {
        const parsed = await parsedModuleOf(scenario, files);
        assert.deepStrictEqual(Object.keys(parsed), ['versions.tf', 'main.tf', 'variables.tf', 'outputs.tf']);
      });

      it('pins the provider: hashicorp/aws with a version constraint, the fleet region, only the environment account, no backend', async () => {
        const { 'versions.tf': versions, 'main.tf': main } = await parsedModuleOf(scenario, files);
        assert.equal(at(versions, 'terraform', 0, 'required_version'), TERRAFORM_VERSION);
        // 5.30.0 is the first hashicorp/aws whose Pod Identity association retries IAM's eventual consistency errors (its CHANGELOG).
        assert.equal(AWS_PROVIDER_VERSION, '>= 5.30, < 7.0');
        assert.deepStrictEqual(at(versions, 'terraform', 0, 'required_providers', 0, 'aws'), {
          source: 'hashicorp/aws',
          version: AWS_PROVIDER_VERSION,
        });
        assert.equal(at(versions, 'terraform', 0, 'backend'), undefined);
        assert.equal(at(main, 'terraform'), undefined);
        const providers = at(main, 'provider', 'aws') as Parsed[];
        assert.deepStrictEqual(at(providers, 0), { region: env.region, allowed_account_ids: [env.accountId] });
        for (const provider of providers) {
          assert.deepStrictEqual(at(provider, 'allowed_account_ids'), [env.accountId]);
        }
      });

      it('names the role exactly, with the decrypt policy attached', async () => {
        const { 'main.tf': main } = await parsedModuleOf(scenario, files);
        assert.equal(at(main, 'resource', 'aws_iam_role', 'kustomize_controller', 0, 'name'), env.roleName);
        assert.equal(
          at(main, 'resource', 'aws_iam_role_policy', 'kms_decrypt', 0, 'role'),
          '${aws_iam_role.kustomize_controller.id}',
        );
      });

      it('creates the key (rotated) and its alias only when none was given, and looks a given one up', async () => {
        const { 'main.tf': main } = await parsedModuleOf(scenario, files);
        if (env.kmsKeyGiven) {
          assert.equal(at(main, 'resource', 'aws_kms_key'), undefined);
          assert.equal(at(main, 'resource', 'aws_kms_alias'), undefined);
          assert.equal(at(main, 'data', 'aws_kms_key', 'sops', 0, 'key_id'), env.kmsKeyArn);
          assert.equal(at(main, 'locals', 0, 'kms_key_arn'), '${data.aws_kms_key.sops.arn}');
        } else {
          const key = at(main, 'resource', 'aws_kms_key', 'sops', 0);
          assert.equal(at(key, 'enable_key_rotation'), true);
          assert.equal(at(key, 'deletion_window_in_days'), 30);
          // terraform destroy (or a replacement) stops instead of scheduling the key's deletion.
          assert.deepStrictEqual(at(key, 'lifecycle'), [{ prevent_destroy: true }]);
          assert.equal(at(main, 'resource', 'aws_kms_alias', 'sops', 0, 'name'), `alias/flux-sops-${env.name}`);
          assert.equal(at(main, 'resource', 'aws_kms_alias', 'sops', 0, 'target_key_id'), '${aws_kms_key.sops.key_id}');
          assert.equal(at(main, 'data', 'aws_kms_key'), undefined);
          assert.equal(at(main, 'locals', 0, 'kms_key_arn'), '${aws_kms_key.sops.arn}');
        }
      });

      it('binds the identity: the OIDC provider lookup (IRSA) or the Pod Identity association', async () => {
        const { 'main.tf': main, 'variables.tf': variables } = await parsedModuleOf(scenario, files);
        if (env.identity === 'irsa') {
          assert.equal(at(main, 'resource', 'aws_eks_pod_identity_association'), undefined);
          assert.equal(
            at(main, 'data', 'aws_iam_openid_connect_provider', 'cluster', 0, 'url'),
            'https://${local.oidc_issuer}',
          );
          if (env.oidcIssuerIsPlaceholder) {
            const variable = at(variables, 'variable', 'oidc_issuer', 0) as Parsed;
            assert.equal(variable.default, undefined, 'the issuer variable is required');
            assert.equal(variable.type, '${string}');
            assert.ok(at(variable, 'validation', 0, 'condition'));
            assert.equal(at(main, 'locals', 0, 'oidc_issuer'), '${trimprefix(var.oidc_issuer, "https://")}');
          } else {
            assert.equal(at(variables, 'variable'), undefined);
            assert.equal(at(main, 'locals', 0, 'oidc_issuer'), env.oidcIssuer);
          }
        } else {
          assert.equal(at(main, 'data', 'aws_iam_openid_connect_provider'), undefined);
          assert.doesNotMatch(files.map((file) => file.contents).join('\n'), /oidc/i);
          assert.deepStrictEqual(at(main, 'resource', 'aws_eks_pod_identity_association', 'kustomize_controller', 0), {
            cluster_name: '${local.cluster_name}',
            namespace: 'flux-system',
            service_account: 'kustomize-controller',
            role_arn: '${aws_iam_role.kustomize_controller.arn}',
          });
          assert.equal(at(main, 'locals', 0, 'cluster_name'), env.clusterName);
          // The trust condition's ARN, built from the cluster name local: what IAM's session tag eks-cluster-arn carries.
          assert.equal(
            at(main, 'locals', 0, 'cluster_arn'),
            `arn:${env.partition}:eks:${env.region}:${env.accountId}:cluster/\${local.cluster_name}`,
          );
        }
      });

      it('outputs the role ARN and the key ARN itself', async () => {
        const { 'outputs.tf': outputs } = await parsedModuleOf(scenario, files);
        assert.equal(at(outputs, 'output', 'role_arn', 0, 'value'), '${aws_iam_role.kustomize_controller.arn}');
        assert.equal(at(outputs, 'output', 'kms_key_arn', 0, 'value'), '${local.kms_key_arn}');
      });

      it('refers only to what the module declares', async () => {
        const parsed = await parsedModuleOf(scenario, files);
        const declared = new Set<string>();
        for (const module of Object.values(parsed)) {
          for (const name of Object.keys((at(module, 'locals', 0) as Parsed | undefined) ?? {})) {
            declared.add(`local.${name}`);
          }
          for (const name of Object.keys((at(module, 'variable') as Parsed | undefined) ?? {})) {
            declared.add(`var.${name}`);
          }
          for (const [kind, prefix] of [
            ['resource', ''],
            ['data', 'data.'],
          ] as const) {
            for (const [type, blocks] of Object.entries((at(module, kind) as Parsed | undefined) ?? {})) {
              for (const name of Object.keys(blocks as Parsed)) {
                declared.add(`${prefix}${type}.${name}`);
              }
            }
          }
        }
        const code = files
          .map((file) => file.contents)
          .join('\n')
          .split('\n')
          .filter((line) => !line.trimStart().startsWith('#'))
          .join('\n');
        const referenced = [
          ...code.matchAll(/(?<![\w."/-])(local|var|data\.[a-z0-9_]+|aws_[a-z0-9_]+)\.([a-z0-9_]+)/g),
        ].map((match) => `${match[1]}.${match[2]}`);
        assert.ok(referenced.length > 0);
        for (const reference of referenced) {
          assert.ok(declared.has(reference), `${reference} is not declared (declared: ${[...declared].join(', ')})`);
        }
        const providerAliases = (at(parsed['main.tf'], 'provider', 'aws') as Parsed[])
          .map((provider) => provider.alias)
          .filter(Boolean);
        for (const match of code.matchAll(/provider\s*=\s*aws\.(\w+)/g)) {
          assert.ok(providerAliases.includes(match[1]), `provider aws.${match[1]} is not declared`);
        }
      });

      it('has a trust policy equivalent to trustPolicyOf (iam/<env>/trust-policy.json) once references are substituted back', async () => {
        const { 'main.tf': main } = await parsedModuleOf(scenario, files);
        // What each reference is: the local issuer is the environment's issuer (or, as a variable,
        // what replaces the placeholder on both sides); the OIDC provider looked up by its URL in
        // the environment's account has the ARN IAM gives it; the cluster local is checked above.
        const document = await jsonencodedDocument(
          at(main, 'resource', 'aws_iam_role', 'kustomize_controller', 0, 'assume_role_policy'),
          {
            'local.oidc_issuer': env.oidcIssuer,
            'data.aws_iam_openid_connect_provider.cluster.arn': env.oidcProviderArn,
            'local.cluster_arn': env.clusterArn,
          },
        );
        assert.deepStrictEqual(document, trustPolicyOf(env));
      });

      it('grants decryption on the key itself, and (for a created key) has the key policy of kmsKeyPolicyOf', async () => {
        const { 'main.tf': main } = await parsedModuleOf(scenario, files);
        const keyArn = env.kmsKeyGiven && env.kmsKey.resource === 'key' ? env.kmsKeyArn : RESOLVED_KEY_ARN;
        const decrypt = await jsonencodedDocument(
          at(main, 'resource', 'aws_iam_role_policy', 'kms_decrypt', 0, 'policy'),
          { 'local.kms_key_arn': keyArn },
        );
        assert.deepStrictEqual(decrypt, kmsDecryptPolicyOf(env, { kmsKeyArn: keyArn }));
        if (env.kmsKeyGiven && env.kmsKey.resource === 'key') {
          assert.deepStrictEqual(
            decrypt,
            kmsDecryptPolicyOf(env),
            'a key given by ARN: the very document of iam/<env>/',
          );
        }
        if (!env.kmsKeyGiven) {
          const keyPolicy = await jsonencodedDocument(at(main, 'resource', 'aws_kms_key', 'sops', 0, 'policy'), {
            'aws_iam_role.kustomize_controller.arn': env.roleArn,
          });
          assert.deepStrictEqual(keyPolicy, kmsKeyPolicyOf(env));
        }
      });

      it('is laid out as terraform fmt writes it', () => {
        for (const file of files) {
          assert.deepStrictEqual(formatProblems(file.contents), [], file.path);
        }
      });
    });
  }

  it('terraform fmt -check finds nothing to change (when terraform or tofu is installed)', function () {
    if (!terraformBinary) {
      this.skip();
    }
    assert.deepStrictEqual(filesTerraformFmtWouldChange(scenarios.flatMap(({ env }) => planTerraformFiles(env))), []);
  });

  it('looks a given key in another region up through a provider of that region', async () => {
    const { scenario, env } = scenarios[2] ?? assert.fail();
    const { 'main.tf': main } = await parsedModuleOf(scenario, planTerraformFiles(env));
    assert.deepStrictEqual(at(main, 'provider', 'aws', 1), {
      alias: 'kms',
      region: 'us-east-1',
      allowed_account_ids: [env.accountId],
    });
    assert.equal(at(main, 'data', 'aws_kms_key', 'sops', 0, 'provider'), '${aws.kms}');
    assert.match(
      planTerraformFiles(env)[1]?.contents ?? '',
      /# It belongs to account 999988887777: its key policy there must allow this role/,
    );
  });
});

describe('the layout checker of these tests', () => {
  it('accepts what terraform fmt writes and reports what it would change', () => {
    const good =
      'resource "x" "y" {\n  name        = "a"\n  description = "b"\n  policy = jsonencode({\n    A = 1\n  })\n}\n';
    assert.deepStrictEqual(formatProblems(good), []);
    assert.equal(formatProblems(good.replace('name        =', 'name =')).length, 1);
    assert.equal(formatProblems(good.replace('    A = 1', '   A = 1')).length, 1);
    assert.equal(formatProblems(good.replace('policy =', 'policy  =')).length, 1);
    assert.equal(formatProblems(good.replace('"b"', '"b" ')).length, 1);
    assert.equal(formatProblems('a = {\n  "x = {" = 1\n  yy      = "${"}"}"\n}\n').length, 0);
  });
});

describe('HCL writer', () => {
  it('quotes and escapes strings so no text becomes an interpolation, a directive or a new line', () => {
    const cases: Array<[string, string]> = [
      ['plain', '"plain"'],
      ['${var.x}', '"$${var.x}"'],
      ['%{ if true }', '"%%{ if true }"'],
      ['$${already}', '"$$${already}"'],
      ['$ and % alone, {braces}', '"$ and % alone, {braces}"'],
      ['say "hi"\\', '"say \\"hi\\"\\\\"'],
      ['line\nnext\r\ttab', '"line\\nnext\\r\\ttab"'],
      ['é\u2028😀\u0000', '"\\u00e9\\u2028\\U0001f600\\u0000"'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(hclString(value), expected, JSON.stringify(value));
    }
  });

  it('writes references as expressions: bare alone, interpolated in text, kept apart from a literal $ or %', () => {
    const issuer = hclReference('local.oidc_issuer');
    assert.equal(hclValue(issuer), 'local.oidc_issuer');
    assert.equal(hclString(issuer), '"${local.oidc_issuer}"');
    assert.equal(hclValue(`${issuer}:aud`), '"${local.oidc_issuer}:aud"');
    assert.equal(
      hclValue(`cost $${issuer} or 5%${issuer}!`),
      '"cost ${"$"}${local.oidc_issuer} or 5${"%"}${local.oidc_issuer}!"',
    );
    assert.equal(hclKey(`${issuer}:sub`), '"${local.oidc_issuer}:sub"');
    assert.equal(hclKey(issuer), '(local.oidc_issuer)');
  });

  it('refuses references it did not issue, and expressions that are not traversals', () => {
    assert.throws(() => hclString('\u0000local.forged\u0000'), /did not issue/);
    assert.throws(() => hclReference('file("/etc/passwd")'), /traversal/);
    assert.equal(hclString('a\u0000b'), '"a\\u0000b"');
  });

  it('writes keys bare only where HCL reads them literally', () => {
    const cases: Array<[string, string]> = [
      ['Version', 'Version'],
      ['kms-key_1', 'kms-key_1'],
      ['kms:ResourceAliases', '"kms:ResourceAliases"'],
      ['aws:RequestTag/eks-cluster-name', '"aws:RequestTag/eks-cluster-name"'],
      ['1st', '"1st"'],
      ['for', '"for"'],
      ['null', '"null"'],
      ['', '""'],
    ];
    for (const [key, expected] of cases) {
      assert.equal(hclKey(key), expected);
    }
  });

  it('lays objects out as terraform fmt does: aligned runs, broken by multi-line values', () => {
    const value: HclValue = {
      Sid: 'S',
      Effect: 'Allow',
      Principal: { AWS: 'x' },
      Action: ['a', 'b'],
      'kms:Resource': '*',
      Empty: {},
      List: [],
    };
    assert.equal(
      `policy = ${hclValue(value)}\n`,
      [
        'policy = {',
        '  Sid    = "S"',
        '  Effect = "Allow"',
        '  Principal = {',
        '    AWS = "x"',
        '  }',
        '  Action         = ["a", "b"]',
        '  "kms:Resource" = "*"',
        '  Empty          = {}',
        '  List           = []',
        '}',
        '',
      ].join('\n'),
    );
    assert.deepStrictEqual(
      hclAttributes(
        [
          ['a', '1'],
          ['bbb', '2'],
        ],
        1,
      ),
      ['  a   = 1', '  bbb = 2'],
    );
  });

  // Arbitrary strings, keys and nesting: read back by the HCL parser (and by Terraform itself
  // when installed) as the same values, and laid out as terraform fmt lays them out.
  const hostile = fc.constantFrom(
    '${',
    '%{',
    '$${',
    '%%{',
    '$',
    '%',
    '{',
    '}',
    '"',
    '\\',
    '\n',
    '\r',
    '\t',
    '=',
    '#',
    '//',
    '/*',
    ' ',
    '\u0000',
    'é',
    '😀',
    '\u2028',
    'for',
    'null',
  );
  // Terraform and HCL read every string in Unicode NFC: the generated ones are NFC already.
  const text = fc
    .array(fc.oneof(fc.string({ unit: 'binary', maxLength: 8 }), hostile), { maxLength: 6 })
    .map((parts) => parts.join('').normalize('NFC'));
  const { value: values } = fc.letrec<{ value: HclValue }>((tie) => ({
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      text,
      fc.boolean(),
      fc.constant(null),
      fc.nat(1_000_000),
      fc.array(tie('value'), { maxLength: 4 }),
      fc.dictionary(fc.oneof(text, fc.constantFrom('Version', 'Sid', 'a_b-c', 'kms:Decrypt')), tie('value'), {
        maxKeys: 5,
        noNullPrototype: true,
      }),
    ),
  }));
  const samples = fc.sample(fc.array(values, { minLength: 1, maxLength: 40 }), { numRuns: 5, seed: SEED }).flat();

  it(`reads back ${samples.length} generated values unchanged (hcl2json)`, async () => {
    const file = `locals {\n  values = ${hclValue(samples, 1)}\n}\n`;
    const parsed = at(await parse('values.tf', file), 'locals', 0, 'values');
    assert.deepStrictEqual(unescapeTemplates(parsed), samples);
    assert.deepStrictEqual(formatProblems(file), []);
  });

  it('reads back the same values in Terraform itself, and terraform fmt keeps their layout (when installed)', function () {
    if (!terraformBinary) {
      this.skip();
    }
    const reference = hclReference('local.reference');
    const withReferences = [...samples, `a$${reference}`, { [`${reference}%`]: `%${reference}$${reference}` }];
    const evaluated = evaluatedByTerraform(hclValue(withReferences, 1), { reference: 'R${x}' });
    assert.deepStrictEqual(
      evaluated,
      mapStrings(withReferences, (string) => string.replaceAll(reference, 'R${x}')),
    );
    assert.deepStrictEqual(
      filesTerraformFmtWouldChange([
        { path: 'values.tf', contents: `locals {\n  values = ${hclValue(samples, 1)}\n}\n` },
      ]),
      [],
    );
  });
});

describe('Terraform file of a decrypting tenant (terraform/<env>/tenant-<tenant>.tf)', () => {
  const tenant = { name: 'shop', repoUrl: 'https://github.com/acme/shop.git', decryption: true } as const;
  const cases = [
    {
      scenario: 'irsa, key created',
      env: environmentOf({
        name: 'staging',
        oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE',
      }),
      given: undefined,
    },
    {
      scenario: 'pod identity, key given',
      env: environmentOf({ name: 'production', identity: 'pod-identity', clusterName: 'prod-eks' }),
      given: `arn:aws:kms:eu-west-1:123456789012:key/${KEY_ID}`,
    },
    {
      scenario: 'irsa, key given in another region',
      env: environmentOf({ name: 'qa' }),
      given: `arn:aws:kms:us-east-1:123456789012:key/${KEY_ID}`,
    },
  ];
  for (const { scenario, env, given } of cases) {
    describe(scenario, () => {
      const identity = tenantIdentityOf(
        env,
        { ...tenant, ...(given === undefined ? {} : { kmsKeyArns: { [env.name]: given } }) },
        'shop',
        `./deploy/${env.name}`,
      );
      const file = planTenantTerraformFile(env, 'shop', identity);
      const module = [...planTerraformFiles(env), file];

      it('is one file of the environment module, laid out as terraform fmt writes it', () => {
        assert.equal(file.path, `terraform/${env.name}/tenant-shop.tf`);
        assert.deepStrictEqual(formatProblems(file.contents), []);
        if (terraformBinary) {
          assert.deepStrictEqual(filesTerraformFmtWouldChange([file]), []);
        }
      });

      it('refers only to what the module declares (the environment module and this file)', async () => {
        const declared = new Set<string>();
        for (const each of module) {
          const parsed = await parse(each.path, each.contents);
          for (const locals of (at(parsed, 'locals') as Parsed[] | undefined) ?? []) {
            for (const name of Object.keys(locals)) declared.add(`local.${name}`);
          }
          for (const name of Object.keys((at(parsed, 'variable') as Parsed | undefined) ?? {}))
            declared.add(`var.${name}`);
          for (const [kind, prefix] of [
            ['resource', ''],
            ['data', 'data.'],
          ] as const) {
            for (const [type, blocks] of Object.entries((at(parsed, kind) as Parsed | undefined) ?? {})) {
              for (const name of Object.keys(blocks as Parsed)) declared.add(`${prefix}${type}.${name}`);
            }
          }
        }
        const code = file.contents
          .split('\n')
          .filter((line) => !line.trimStart().startsWith('#'))
          .join('\n');
        const referenced = [
          ...code.matchAll(/(?<![\w."/-])(local|var|data\.[a-z0-9_]+|aws_[a-z0-9_]+)\.([a-z0-9_-]+)/g),
        ].map((match) => `${match[1]}.${match[2]}`);
        assert.ok(referenced.length > 0);
        for (const reference of referenced) {
          assert.ok(declared.has(reference), `${reference} is not declared`);
        }
      });

      it('has the trust and decrypt policies of iam/<env>/tenant-shop/ once references are substituted back, and keeps its key', async () => {
        const parsed = await parse(file.path, file.contents);
        const issuerLocal = env.identity === 'irsa' ? 'local.oidc_issuer' : 'local.tenant_shop_oidc_issuer';
        const provider =
          env.identity === 'irsa'
            ? 'data.aws_iam_openid_connect_provider.cluster.arn'
            : 'data.aws_iam_openid_connect_provider.tenant_shop.arn';
        const trust = await jsonencodedDocument(
          at(parsed, 'resource', 'aws_iam_role', 'tenant_shop', 0, 'assume_role_policy'),
          { [issuerLocal]: env.oidcIssuer, [provider]: env.oidcProviderArn },
        );
        assert.deepStrictEqual(trust, tenantTrustPolicyOf(identity));
        const keyArn = given ?? RESOLVED_KEY_ARN;
        const keySource = given === undefined ? 'aws_kms_key.tenant_shop.arn' : 'data.aws_kms_key.tenant_shop.arn';
        const decrypt = await jsonencodedDocument(
          at(parsed, 'resource', 'aws_iam_role_policy', 'tenant_shop_decrypt', 0, 'policy'),
          { [keySource]: keyArn },
        );
        assert.deepStrictEqual(decrypt, kmsDecryptPolicyOf(identity.iam, { kmsKeyArn: keyArn }));
        assert.equal(
          at(parsed, 'resource', 'aws_iam_role', 'tenant_shop', 0, 'name'),
          `flux-kms-decryptor-${env.name}-shop`,
        );
        if (given === undefined) {
          assert.deepStrictEqual(at(parsed, 'resource', 'aws_kms_key', 'tenant_shop', 0, 'lifecycle'), [
            { prevent_destroy: true },
          ]);
          assert.equal(at(parsed, 'resource', 'aws_kms_key', 'tenant_shop', 0, 'enable_key_rotation'), true);
          assert.equal(
            at(parsed, 'resource', 'aws_kms_alias', 'tenant_shop', 0, 'name'),
            `alias/flux-sops/${env.name}/shop`,
          );
        } else {
          assert.equal(at(parsed, 'resource', 'aws_kms_key'), undefined, 'a given key is looked up, never created');
          assert.equal(at(parsed, 'data', 'aws_kms_key', 'tenant_shop', 0, 'key_id'), given);
          // Outside the fleet's region, through a provider of the key's region that this file declares.
          const region = given.split(':')[3];
          const providers = ((at(parsed, 'provider', 'aws') as Parsed[] | undefined) ?? []).map((provider) => [
            provider.alias,
            provider.region,
          ]);
          assert.deepStrictEqual(providers, region === env.region ? [] : [['tenant_shop_kms', region]]);
          assert.equal(
            at(parsed, 'data', 'aws_kms_key', 'tenant_shop', 0, 'provider'),
            region === env.region ? undefined : '${aws.tenant_shop_kms}',
          );
        }
        // Pod Identity: the file looks the cluster's OIDC provider up itself (the module has none).
        assert.equal(
          at(parsed, 'data', 'aws_eks_cluster', 'tenant_shop', 0, 'name'),
          env.identity === 'irsa' ? undefined : env.clusterName,
        );
      });
    });
  }
});
