// `flux-sops updatekeys [env…]` and `flux-sops rotate [env…]`: the command lines and their
// --help. The work is in src/keys/run.ts; the SOPS module (and the AWS SDK) loads after --help.
import { FluxSopsError } from '../errors.js';
import type { KeysCommand } from '../keys/plan.js';
import type { Ports } from '../ports.js';
import {
  type CommandSpec,
  commonOptions,
  cwdOption,
  type OptionSpec,
  parseOrHelp,
  fleetRootOf,
} from './command-spec.js';

const KEY_SOURCES = [
  'The data key is unwrapped with any available master key: AWS KMS through the AWS SDK (profiles,',
  'SSO, environment, instance roles; AWS_PROFILE and AWS_ENDPOINT_URL_KMS honoured), or an age',
  'identity from SOPS_AGE_KEY_FILE or SOPS_AGE_KEY. All or nothing: when any file cannot be',
  'opened or wrapped, no file is written. The generated <tenant>-auth placeholders are skipped.',
];

function dryRunOption(what: string): OptionSpec {
  return { name: 'dry-run', type: 'boolean', description: `Only report ${what}: no key is called, nothing is written` };
}

export const keysCommands: Readonly<Record<KeysCommand, CommandSpec>> = {
  updatekeys: {
    usage: 'flux-sops updatekeys [<env>…] [options]',
    summary: [
      'Re-wrap the data key of every SOPS-encrypted file under secrets/<env>/ (every environment when',
      'none is given) for exactly the master keys (AWS KMS keys, age recipients) its .sops.yaml rule',
      'names now, as sops updatekeys does; values and MAC are kept.',
      ...KEY_SOURCES,
    ].join('\n'),
    options: [dryRunOption('which files would gain or lose which keys'), cwdOption, ...commonOptions],
  },
  rotate: {
    usage: 'flux-sops rotate [<env>…] [options]',
    summary: [
      'Give every SOPS-encrypted file under secrets/<env>/ (every environment when none is given) a',
      'new data key, re-encrypt every value under it, and wrap it for the master keys its .sops.yaml',
      'rule names. Git history keeps the old ciphertexts: after someone leaves, also revoke the',
      'credentials themselves and re-seal them (flux-sops secret git|generic <env> … --force).',
      ...KEY_SOURCES,
    ].join('\n'),
    options: [dryRunOption('which files would be rotated'), cwdOption, ...commonOptions],
  },
};

export async function runKeysCommand(command: KeysCommand, argv: readonly string[], ports: Ports): Promise<number> {
  const spec = keysCommands[command];
  const line = parseOrHelp(spec, argv, ports.terminal.out);
  if (line === undefined) {
    return 0;
  }
  const { values, positionals } = line;
  const root = fleetRootOf(values, ports.cwd);
  if (!ports.disk(root).isFolder('.')) {
    throw new FluxSopsError('usage', `--cwd ${root} is not a folder`); // --cwd pointing elsewhere is worth naming
  }
  // Loaded only now: it brings in the AWS SDK, which --help and a bad option do not need.
  const { runKeys } = await import('../keys/run.js');
  await runKeys({ command, root, environments: positionals, dryRun: values['dry-run'] === true }, ports);
  return 0;
}
