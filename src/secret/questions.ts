// The questions of `yo flux-sops:secret`: environment, kind, name, then the values, each typed
// into a masked `password` prompt. Each question validates with the same functions the command
// line uses, so both paths seal exactly the same Secret.
import type { FleetDisk } from '../disk/index.js';
import { FluxSopsError, isFluxSopsError } from '../errors.js';
import type { Ask, Question } from '../yeoman/prompts.js';
import { httpsCredentials } from './git-credentials.js';
import { type GatheredValues, assertUniqueKeys, readDeployKey, readKnownHosts, sshValues } from './inputs.js';
import type { SealingPlan } from './plan.js';
import type { ValueChanges } from './change.js';
import { type SecretEntry, validateCredential, validateSecretKey, validateSecretName } from './values.js';

export type SecretKind = 'git' | 'generic';

/** What `yo flux-sops:secret` does: seal a new Secret of a kind, or change a sealed one. */
export type SecretTask = SecretKind | 'change';

const GENERATE_KEY = 'Generate a new ed25519 deploy key (its public key is shown to add to the Git host)';
const EXISTING_KEY = 'Use an existing private key file (without passphrase)';

/** A validator that runs a reader and turns its FluxSopsError into the prompt's message. */
function validatedBy(read: (value: string) => unknown): (value: string) => true | string {
  return (value) => {
    try {
      read(value);
      return true;
    } catch (error) {
      if (isFluxSopsError(error)) {
        return error.message;
      }
      throw error;
    }
  };
}

export function targetQuestions(environments: readonly string[]): Question[] {
  if (environments.length === 0) {
    throw new FluxSopsError(
      'fleet',
      'This fleet lists no environment in its stored answers (.yo-rc.json): add one with yo flux-sops:env <name>',
    );
  }
  return [
    { type: 'select', name: 'environment', message: 'Environment', choices: [...environments] },
    {
      type: 'select',
      name: 'kind',
      message: 'Seal a git or generic Secret, or change a sealed one',
      choices: ['git', 'generic', 'change'],
      default: 'git',
    },
  ];
}

/**
 * `git`: whose repository (its Secret is `<tenant>-auth`); `generic`: the name, then the namespace
 * among those the fleet creates.
 */
export function nameQuestions(kind: SecretKind, tenants: readonly string[], namespaces: readonly string[]): Question[] {
  if (kind === 'git') {
    return [
      {
        type: 'select',
        name: 'tenant',
        message: 'Tenant whose Git credentials these are (sealed as <tenant>-auth)',
        choices: [...tenants],
      },
    ];
  }
  return [
    {
      type: 'input',
      name: 'name',
      message: 'Name of the Secret (and of its file secrets/<env>/<name>.yaml)',
      validate: validateSecretName,
    },
    {
      type: 'select',
      name: 'namespace',
      message: 'Namespace of the Secret',
      choices: [...namespaces],
      default: namespaces[0],
    },
  ];
}

function splitKeys(value: string): string[] {
  return value
    .split(',')
    .map((key) => key.trim())
    .filter((key) => key !== '');
}

function validateKeyList(value: string): true | string {
  const keys = splitKeys(value);
  if (keys.length === 0) {
    return 'give at least one key';
  }
  for (const key of keys) {
    const valid = validateSecretKey(key);
    if (valid !== true) {
      return `${JSON.stringify(key)} ${valid}`;
    }
  }
  return validatedBy(() => assertUniqueKeys(keys.map((key) => ({ key, value: '' }))))(value);
}

/** One masked question per value; an empty value is refused (sops would leave it unencrypted). */
const hidden = (name: string, message: string): Question => ({
  type: 'password',
  name,
  message,
  validate: validateCredential,
});

/**
 * Asks each key's value, masked, in order; `message` words each question. One question name per
 * value (value_0, value_1, …): answers are keyed by name.
 */
async function askHiddenValues(
  ask: Ask,
  keys: readonly string[],
  message: (key: string) => string,
): Promise<SecretEntry[]> {
  const entries: SecretEntry[] = [];
  for (const [index, key] of keys.entries()) {
    const answer = await ask([hidden(`value_${index}`, message(key))]);
    entries.push({ key, value: String(answer[`value_${index}`]) });
  }
  return entries;
}

/**
 * Asks the values the plan's Secret needs: https credentials, an SSH deploy key, or keys and
 * values. The files named are read relative to `cwd`; a deploy key must stay out of the fleet's Git.
 */
export async function askSecretValues(
  ask: Ask,
  { disk, cwd }: { readonly disk: FleetDisk; readonly cwd: string },
  plan: SealingPlan,
  kind: SecretKind,
  warn: (warning: string) => void,
): Promise<GatheredValues> {
  if (kind === 'git' && plan.repoScheme === 'https') {
    const { username } = (await ask([
      { type: 'input', name: 'username', message: `Git user name for ${plan.repoUrl}`, validate: validateCredential },
    ])) as { username: string };
    const { password } = (await ask([hidden('password', 'Password or access token')])) as { password: string };
    return { entries: httpsCredentials(username, password) };
  }
  if (kind === 'git') {
    const { source } = (await ask([
      { type: 'select', name: 'source', message: 'Deploy key', choices: [GENERATE_KEY, EXISTING_KEY] },
    ])) as { source: string };
    const { privateKeyFile } = (
      source === EXISTING_KEY
        ? await ask([
            {
              type: 'input',
              name: 'privateKeyFile',
              message: 'Private key file (outside the fleet)',
              validate: validatedBy((path) => readDeployKey(disk, cwd, path)),
            },
          ])
        : {}
    ) as { privateKeyFile?: string };
    const { knownHostsFile } = (await ask([
      {
        type: 'input',
        name: 'knownHostsFile',
        message: "known_hosts file with the Git host's keys (ssh-keyscan <host> > known_hosts)",
        validate: validatedBy((path) => readKnownHosts(plan, cwd, path, false, () => undefined)),
      },
    ])) as { knownHostsFile: string };
    return sshValues(
      plan,
      readKnownHosts(plan, cwd, knownHostsFile, false, warn),
      privateKeyFile === undefined ? undefined : readDeployKey(disk, cwd, privateKeyFile),
    );
  }
  const { keys } = (await ask([
    {
      type: 'input',
      name: 'keys',
      message: 'Keys of the Secret, comma-separated (values are asked next, hidden)',
      validate: validateKeyList,
    },
  ])) as { keys: string };
  return { entries: await askHiddenValues(ask, splitKeys(keys), (key) => `Value of ${key}`) };
}

/** Which sealed Secret to change: one of the environment's, by name. */
export function sealedSecretQuestion(names: readonly string[], environment: string): Question {
  if (names.length === 0) {
    throw new FluxSopsError(
      'fleet',
      `${environment} has no sealed Secret to change (flux-sops secret list ${environment})`,
    );
  }
  return { type: 'select', name: 'name', message: 'Sealed Secret to change', choices: [...names] };
}

/** The keys to set (each value asked masked) and to remove, of a sealed Secret that has `keys`. */
export async function askValueChanges(ask: Ask, keys: readonly string[]): Promise<ValueChanges> {
  const { set } = (await ask([
    {
      type: 'input',
      name: 'set',
      message:
        `Keys to set or add, comma-separated (it has ${keys.join(', ')}; values are asked next, hidden; ` +
        `empty for none)`,
      validate: (value) => value.trim() === '' || validateKeyList(value),
    },
  ])) as { set: string };
  const entries = await askHiddenValues(ask, splitKeys(set), (key) => `New value of ${key}`);
  const setKeys = new Set(entries.map((entry) => entry.key));
  const validateUnset = (value: string): true | string => {
    const unknown = splitKeys(value).filter((key) => !keys.includes(key) || setKeys.has(key));
    return unknown.length === 0 ? true : `${unknown.join(', ')}: not a key it keeps (it has ${keys.join(', ')})`;
  };
  const { unset } = (await ask([
    {
      type: 'input',
      name: 'unset',
      message: 'Keys to remove, comma-separated (empty for none)',
      validate: validateUnset,
    },
  ])) as { unset: string };
  return { set: entries, unset: splitKeys(unset ?? '') };
}
