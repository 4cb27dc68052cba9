// `flux-sops check [dir]`: its command line and --help, then the check itself (src/check/run.ts,
// loaded after --help). Finds the fleet as git and sops look: the nearest folder with .sops.yaml,
// upward from dir. Loads no Yeoman, prompt, template or `yaml` library and reads no
// package.json: bundled into one file (src/check/standalone.ts), it is the fleet's own
// .flux-sops/check.cjs, run by its CI and pre-commit hook.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { checkRules } from '../check/findings.js';
import type { CheckPorts } from '../check/run.js';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot, isFleetRoot } from '../fleet/fleet-root.js';
import { type CommandSpec, helpText } from './command-spec.js';

/** How the check was started, and what it compares the fleet's copy of the checker with. */
export interface CheckContext {
  /** `flux-sops check`, or `node .flux-sops/check.cjs` for the bundled copy: named in --help and in errors. */
  readonly command: string;
  /** The checker this version ships: dist/check.cjs of the package, or the bundled copy itself. */
  readonly shippedCheckerFile: string;
}

function rulesTable(): string[] {
  const ruleWidth = Math.max(...Object.keys(checkRules).map((rule) => rule.length));
  return Object.entries(checkRules).map(
    ([rule, { severity, description }]) => `  ${rule.padEnd(ruleWidth)}  ${severity.padEnd(7)}  ${description}`,
  );
}

function checkCommand(context: CheckContext): CommandSpec {
  return {
    usage: `${context.command} [dir] [--cwd DIR] [--json] [--strict]`,
    summary: [
      'Check the fleet that holds dir (default: the current folder): the nearest folder at or above',
      'it with a .sops.yaml, as git and sops find theirs. Reads files only: never decrypts, never',
      'prints a secret value. Reads the files Git would commit (by the .gitignore files and',
      '.git/info/exclude): every one for private keys, the YAML and JSON (not *.tf.json) for the',
      'rest. Skips node_modules, .git and .terraform.',
    ].join('\n'),
    options: [
      {
        name: 'cwd',
        type: 'string',
        placeholder: 'DIR',
        description: 'Run as if started in DIR (dir is then relative to it)',
      },
      {
        name: 'json',
        type: 'boolean',
        description: 'Print {"findings": [{"file", "rule", "severity", "message", "fix"}], "summary": {…}}',
      },
      {
        name: 'strict',
        type: 'boolean',
        description: 'Count placeholders not yet replaced as errors instead of pending',
      },
      { name: 'help', type: 'boolean', description: 'Show this help' },
    ],
    footer: [
      'Exit status: 0 no errors (pending and warnings allowed), 1 any error, 2 usage error or no',
      'usable .sops.yaml.',
      '',
      'Rules:',
      ...rulesTable(),
    ].join('\n'),
  };
}

function helpHint(context: CheckContext): string {
  return `Run ${context.command} --help for the usage.`;
}

/** parseArgs' own messages quote unevenly and suggest `--` tricks: say what was wrong instead. */
function describeArgumentError(error: Error & { code?: string }): string {
  const option = /'(-[^' ]*)/.exec(error.message)?.[1] ?? 'an option';
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${option}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return option === '--cwd' ? '--cwd needs a folder: --cwd DIR' : `${option} takes no value`;
    default:
      return error.message;
  }
}

/** check's own parse of its CommandSpec: its messages (pinned by the fleets' CI logs and tests) and -h. */
function parseCheckArguments(argv: readonly string[], context: CheckContext) {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const option of checkCommand(context).options) {
    options[option.name] = { type: option.type, ...(option.name === 'help' ? { short: 'h' } : {}) };
  }
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FluxSopsError('usage', `${describeArgumentError(error as Error)}\n${helpHint(context)}`);
  }
}

function readShippedChecker(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined; // a package built without it (tests from the sources): nothing to compare with
  }
}

/** `flux-sops check …`: prints the findings on stdout and returns the exit status. */
export async function runCheckCommand(argv: readonly string[], ports: CheckPorts, context: CheckContext) {
  const { values, positionals } = parseCheckArguments(argv, context);
  if (values.help) {
    ports.terminal.out(helpText(checkCommand(context)));
    return 0;
  }
  if (positionals.length > 1) {
    throw new FluxSopsError(
      'usage',
      `${context.command} takes at most one folder, got ${positionals.length}: ${positionals.join(' ')}\n` +
        helpHint(context),
    );
  }
  const cwd = typeof values.cwd === 'string' ? values.cwd : undefined;
  const base = resolve(ports.cwd, cwd ?? '.');
  if (cwd !== undefined && !ports.disk(base).isFolder('.')) {
    throw new FluxSopsError('usage', `--cwd ${cwd} is not a folder`);
  }
  const dir = positionals[0];
  const start = resolve(base, dir ?? '.');
  const shownStart = dir ?? cwd ?? 'the current folder';
  if (!ports.disk(start).isFolder('.')) {
    throw new FluxSopsError('usage', `${shownStart} is not a folder`);
  }
  const root = findFleetRoot(start);
  const { runCheck } = await import('../check/run.js');
  return runCheck(
    {
      command: context.command,
      root,
      rootHoldsAnswers: isFleetRoot(root),
      start,
      shownStart,
      json: values.json === true,
      strict: values.strict === true,
      shippedChecker: readShippedChecker(context.shippedCheckerFile),
    },
    ports,
  );
}
