// `flux-sops check [dir]`: finds the fleet (the nearest folder holding .sops.yaml, upward from
// dir, as git and sops look), reads its YAML and JSON files, runs the pure checks, prints a
// table or JSON, and sets the exit status. Loads no Yeoman, prompt, template or `yaml` library
// (a test walks its import graph): it runs in pre-commit hooks and CI.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot } from '../fleet/fleet-root.js';
import { SKIPPED_FOLDERS, SOPS_CONFIG_FILE } from '../fleet/layout.js';
import { checkFleet } from './check.js';
import { findTemporaryFiles, resolveInsideFleet } from '../writable.js';
import { applyStrictness, checkRules, exitStatusFor, type Finding, finding } from './findings.js';

const USAGE = 'flux-sops check [dir] [--cwd DIR] [--json] [--strict]';
const HELP_HINT = 'Run flux-sops check --help for the usage.';
/** Kubernetes manifests and their kin; Terraform's own JSON files (`*.tf.json`) are not. */
const CHECKED_FILE = /\.(ya?ml|json)$/;
const TERRAFORM_JSON = /\.tf\.json$/;

const OPTIONS = {
  json: { type: 'boolean' },
  strict: { type: 'boolean' },
  cwd: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export function checkHelpText(): string {
  const ruleWidth = Math.max(...Object.keys(checkRules).map((rule) => rule.length));
  return [
    `Usage: ${USAGE}`,
    '',
    'Check the fleet that holds dir (default: the current folder): the nearest folder at or above',
    'it with a .sops.yaml, as git and sops find theirs. Reads files only: never decrypts, never',
    'prints a secret value. Skips node_modules, .git, .terraform and Terraform files.',
    '',
    'Options:',
    '  --cwd DIR  Run as if started in DIR (dir is then relative to it)',
    '  --json     Print {"findings": [{"file", "rule", "severity", "message", "fix"}], "summary": {…}}',
    '  --strict   Count placeholders not yet replaced as errors instead of pending',
    '  --help     Show this help',
    '',
    'Exit status: 0 no errors (pending and warnings allowed), 1 any error, 2 usage error or no',
    'usable .sops.yaml.',
    '',
    'Rules:',
    ...Object.entries(checkRules).map(([rule, { severity, description }]) => `  ${rule.padEnd(ruleWidth)}  ${severity.padEnd(7)}  ${description}`),
    '',
  ].join('\n');
}

function byName(left: { name: string }, right: { name: string }): number {
  return left.name < right.name ? -1 : left.name > right.name ? 1 : 0;
}

/**
 * The fleet's YAML and JSON files by POSIX path relative to root, in sorted order. Symbolic
 * links are not followed; node_modules, .git and .terraform are not entered.
 */
export function readFleetFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  // Paths are joined by hand: path.join normalizes, and this runs for every file of the fleet.
  const walk = (folder: string, prefix: string): void => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort(byName)) {
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) {
          walk(`${folder}${sep}${entry.name}`, `${prefix}${entry.name}/`);
        }
      } else if (entry.isFile() && CHECKED_FILE.test(entry.name) && !TERRAFORM_JSON.test(entry.name)) {
        files.set(`${prefix}${entry.name}`, readFileSync(`${folder}${sep}${entry.name}`, 'utf8'));
      } else if (entry.isSymbolicLink() && CHECKED_FILE.test(entry.name)) {
        // The one link policy: read when it stays inside the fleet, refused (exit 2) when it leaves.
        const target = resolveInsideFleet(fleet, `${prefix}${entry.name}`);
        if (target !== undefined && statSync(target).isFile()) {
          files.set(`${prefix}${entry.name}`, readFileSync(target, 'utf8'));
        }
      }
    }
  };
  const fleet = resolve(root);
  walk(fleet, '');
  return files;
}

/** Keeps a file name or object name from moving the cursor or faking lines in a terminal. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function count(findings: readonly Finding[], severity: Finding['severity']): number {
  return findings.filter((each) => each.severity === severity).length;
}

function plural(amount: number, noun: string): string {
  return `${amount} ${noun}${amount === 1 ? '' : 's'}`;
}

/** One row per finding, its fix on the line below the message. */
export function formatTable(findings: readonly Finding[], filesChecked: number): string {
  const summary = `${plural(count(findings, 'error'), 'error')}, ${count(findings, 'pending')} pending, ${plural(count(findings, 'warning'), 'warning')} (${plural(filesChecked, 'file')} checked)`;
  if (findings.length === 0) {
    return `No findings: ${summary}\n`;
  }
  const header = ['SEVERITY', 'RULE', 'FILE', 'MESSAGE'] as const;
  const rows = findings.map((each) => [each.severity, each.rule, printable(each.file), printable(each.message), printable(each.fix)] as const);
  const widths = [0, 1, 2].map((column) => Math.max(header[column]?.length ?? 0, ...rows.map((row) => row[column]?.length ?? 0)));
  const indent = ' '.repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.flatMap((row) => [line(row.slice(0, 4)), `${indent}fix: ${row[4]}`])];
  return `${lines.join('\n')}\n\n${summary}\n`;
}

export function formatJson(findings: readonly Finding[], filesChecked: number): string {
  const result = {
    findings: findings.map(({ file, rule, severity, message, fix }) => ({ file, rule, severity, message, fix })),
    summary: { errors: count(findings, 'error'), pending: count(findings, 'pending'), warnings: count(findings, 'warning'), filesChecked },
  };
  return `${JSON.stringify(result, null, 2)}\n`;
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

function parseCheckArguments(argv: string[]) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FluxSopsError('usage', `${describeArgumentError(error as Error)}\n${HELP_HINT}`);
  }
}

/** `flux-sops check …`: prints the findings on stdout and returns the exit status. */
export async function runCheckCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCheckArguments(argv);
  if (values.help) {
    process.stdout.write(checkHelpText());
    return 0;
  }
  if (positionals.length > 1) {
    throw new FluxSopsError('usage', `flux-sops check takes at most one folder, got ${positionals.length}: ${positionals.join(' ')}\n${HELP_HINT}`);
  }
  const base = resolve(values.cwd ?? '.');
  if (values.cwd !== undefined && !statSync(base, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FluxSopsError('usage', `--cwd ${values.cwd} is not a folder`);
  }
  const dir = positionals[0];
  const start = resolve(base, dir ?? '.');
  const shownStart = dir ?? (values.cwd ?? 'the current folder');
  if (!statSync(start, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FluxSopsError('usage', `${shownStart} is not a folder`);
  }
  const root = findFleetRoot(start);
  if (!statSync(join(root, SOPS_CONFIG_FILE), { throwIfNoEntry: false })?.isFile()) {
    throw new FluxSopsError(
      'fleet',
      `no ${SOPS_CONFIG_FILE} in ${shownStart} or any folder above it: run flux-sops check inside a fleet (a folder with ${SOPS_CONFIG_FILE}), or pass its folder`,
    );
  }
  if (root !== start) {
    process.stderr.write(`Checking the fleet at ${root}, the nearest folder above ${shownStart} with ${SOPS_CONFIG_FILE}\n`);
  }
  resolveInsideFleet(root, SOPS_CONFIG_FILE); // a .sops.yaml linking out of the fleet is refused
  const files = readFleetFiles(root);
  const leftovers = findTemporaryFiles(root).map((file) =>
    finding(file, 'leftover-temporary', 'left by an interrupted flux-sops run (ignored by Git)', 'run any writing flux-sops command (it removes it), or delete it'),
  );
  const findings = applyStrictness([...checkFleet(files), ...leftovers], Boolean(values.strict));
  process.stdout.write(values.json ? formatJson(findings, files.size) : formatTable(findings, files.size));
  return exitStatusFor(findings);
}
