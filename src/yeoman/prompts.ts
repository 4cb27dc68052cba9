// Questions derived from the input declarations, for the generators' prompting phase: one
// question per missing input, validated by the input's own validator, with its default.
import { type RawAnswers, kmsRegionWarning, oidcIssuerRegionWarning, splitList } from '../fleet/answers.js';
import { type InputDeclaration, defaultKmsKeyArn, defaultOf, environmentInputs } from '../fleet/inputs.js';
import { DEFAULT_TENANT } from '../fleet/layout.js';
import { tenantInputs } from '../fleet/tenants.js';
import { validateAccountId, validateRegion, validateTenantName } from '../fleet/validators.js';

export interface Question {
  type: 'input' | 'select' | 'confirm' | 'password';
  name: string;
  message: string;
  default?: string | boolean;
  choices?: string[];
  validate?: (value: string) => true | string;
}

/**
 * The question of one input; lists are answered comma-separated, choices picked from a list.
 * `overrides.default` replaces the declared default, also with undefined (no default).
 */
export function questionFor(input: InputDeclaration, overrides: { message?: string; default?: string } = {}): Question {
  // `--help` says "(default: none)"; at the prompt, where no default is shown, Enter is said to mean none.
  const message =
    overrides.message ??
    (input.list && input.defaultText === 'none' ? `${input.message} (empty: none)` : input.message);
  const defaultValue = 'default' in overrides ? overrides.default : input.defaultText;
  if (input.boolean) {
    return { type: 'confirm', name: input.name, message, default: false };
  }
  if (input.choices) {
    return {
      type: 'select',
      name: input.name,
      message,
      choices: [...input.choices],
      ...(defaultValue ? { default: defaultValue } : {}),
    };
  }
  return {
    type: 'input',
    name: input.name,
    message,
    ...(defaultValue !== undefined && defaultValue !== 'none' ? { default: defaultValue } : {}),
    validate: (value: string) =>
      (input.list
        ? (value.trim() === '' && input.name !== 'environments') || input.validate(splitList(value))
        : input.validate(value)) as true | string,
  };
}

/** Asks questions and returns the answers by name (the generator's prompt). */
export type Ask = (questions: Question[]) => Promise<Record<string, unknown>>;

/**
 * Asks one prompted environment's settings that no other source gave: its KMS key, cluster,
 * identity (the fleet's by default) and (IRSA) OIDC issuer. A key or issuer in another region than
 * the fleet's is pointed out at once and asked again unless kept, while it can still be corrected.
 */
export async function environmentQuestions(
  ask: Ask,
  raw: RawAnswers,
  entry: unknown,
  warn: (warning: string) => void,
): Promise<unknown> {
  const environment: Record<string, unknown> = typeof entry === 'string' ? { name: entry } : { ...(entry as object) };
  const region = String(raw.region ?? defaultOf('region'));
  const accountId = String(environment.accountId ?? raw.accountId);
  if (
    typeof environment.name !== 'string' ||
    validateRegion(region) !== true ||
    validateAccountId(accountId) !== true
  ) {
    return entry; // validation reports it
  }
  const name = environment.name;
  const input = (inputName: string) => environmentInputs.find((each) => each.name === inputName) as InputDeclaration;
  if (environment.kmsKeyArn === undefined) {
    environment.kmsKeyArn = await askUntilKept(
      ask,
      questionFor(input('kmsKeyArn'), {
        message: `${name}: KMS key ARN or alias ARN`,
        default: defaultKmsKeyArn(region, accountId, name),
      }),
      (kmsKeyArn) => kmsRegionWarning(name, kmsKeyArn, region),
      warn,
    );
  }
  if (environment.clusterName === undefined) {
    const { clusterName } = (await ask([
      questionFor(input('clusterName'), { message: `${name}: EKS cluster name`, default: name }),
    ])) as { clusterName: string };
    if (clusterName !== name) {
      environment.clusterName = clusterName;
    }
  }
  const fleetIdentity = String(raw.identity ?? defaultOf('identity'));
  if (environment.identity === undefined) {
    const { identity } = (await ask([
      questionFor(input('identity'), {
        message: `${name}: how kustomize-controller gets AWS credentials (irsa; pod-identity: not on Fargate)`,
        default: fleetIdentity,
      }),
    ])) as { identity: string };
    if (identity !== fleetIdentity) {
      environment.identity = identity;
    }
  }
  if ((environment.identity ?? fleetIdentity) === 'irsa' && environment.oidcIssuer === undefined) {
    const oidcIssuer = await askUntilKept(
      ask,
      {
        ...questionFor(input('oidcIssuer'), {
          message: `${name}: EKS OIDC issuer of the cluster (empty: a placeholder to set later with --oidc-issuer)`,
          default: undefined,
        }),
        validate: (value: string) => value === '' || (input('oidcIssuer').validate(value) as true | string),
      },
      (value) => (value === '' ? undefined : oidcIssuerRegionWarning(name, value, region)),
      warn,
    );
    if (oidcIssuer !== '') {
      environment.oidcIssuer = oidcIssuer;
    }
  }
  return environment;
}

/**
 * Asks `question` until the answer draws no warning, or the user keeps it anyway: a value that
 * looks wrong is pointed out at once, while it can still be corrected.
 */
async function askUntilKept(
  ask: Ask,
  question: Question,
  warningOf: (answer: string) => string | undefined,
  warn: (warning: string) => void,
): Promise<string> {
  for (;;) {
    const answer = String((await ask([question]))[question.name]);
    const warning = warningOf(answer);
    if (warning === undefined) {
      return answer;
    }
    warn(warning);
    const { keep } = await ask([{ type: 'confirm', name: 'keep', message: `Keep ${answer}?`, default: false }]);
    if (keep) {
      return answer;
    }
  }
}

/** Tenant names at the prompt: each a valid name, none twice. */
function validateTenantNames(value: string): true | string {
  const names = splitList(value);
  if (names.length === 0) {
    return 'give at least one tenant';
  }
  for (const name of names) {
    const valid = validateTenantName(name);
    if (valid !== true) {
      return `${JSON.stringify(name)} ${valid}`;
    }
  }
  return new Set(names).size === names.length ? true : 'each tenant must be unique';
}

/**
 * Asks the tenants as a list of names, then each one's Git repository: the one tenant "apps" is
 * stored as the repoUrl shorthand. Namespaces, branches, paths and environments keep their
 * defaults here (an answers file or `flux-sops tenant add` sets them).
 */
export async function askTenants(ask: Ask): Promise<RawAnswers> {
  const { names } = (await ask([
    {
      type: 'input',
      name: 'names',
      message:
        "Tenants: the application teams' repositories Flux syncs, each in its own namespace (comma-separated names)",
      default: DEFAULT_TENANT,
      validate: validateTenantNames,
    },
  ])) as { names: string };
  const repoUrl = tenantInputs.find((input) => input.name === 'repoUrl') as InputDeclaration;
  const tenants = [];
  for (const name of splitList(names)) {
    const reply = (await ask([questionFor(repoUrl, { message: `${name}: ${repoUrl.message}` })])) as {
      repoUrl: string;
    };
    tenants.push({ name, repoUrl: reply.repoUrl });
  }
  const [only] = tenants;
  return tenants.length === 1 && only?.name === DEFAULT_TENANT ? { repoUrl: only.repoUrl } : { tenants };
}
