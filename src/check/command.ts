// `flux-sops check [dir]`: reads a fleet's YAML and JSON files, runs the pure checks of
// check.ts, prints a table or JSON, and sets the exit status. Loads no Yeoman, prompt or
// template library (a test walks its import graph): it runs in pre-commit hooks and CI.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyStrictness, CheckInputError, checkFleet, checkRules, exitStatusFor, type Finding, SOPS_CONFIG } from './check.js';

const USAGE = 'flux-sops check [dir] [--json] [--strict]';
/** Never descended into: dependencies and Git's own objects are not part of the fleet. */
const SKIPPED_FOLDERS = new Set(['node_modules', '.git']);
const CHECKED_FILE = /\.(ya?ml|json)$/;

export function checkHelpText(): string {
  const ruleWidth = Math.max(...Object.keys(checkRules).map((rule) => rule.length));
  return [
    `Usage: ${USAGE}`,
    '',
    'Check the fleet in dir (default: the current folder), the folder of its .sops.yaml. Reads',
    'files only: never decrypts, never prints a secret value.',
    '',
    'Options:',
    '  --json    Print {"findings": [{"file", "rule", "severity", "message"}], "summary": {…}}',
    '  --strict  Count placeholders not yet replaced as errors instead of pending',
    '  --help    Show this help',
    '',
    'Exit status: 0 no errors (pending and warnings allowed), 1 any error, 2 usage or no .sops.yaml.',
    '',
    'Rules:',
    ...Object.entries(checkRules).map(([rule, { severity, description }]) => `  ${rule.padEnd(ruleWidth)}  ${severity.padEnd(7)}  ${description}`),
    '',
  ].join('\n');
}

/** The fleet's YAML and JSON files by POSIX path relative to root, in sorted order. Symbolic links are not followed. */
export function readFleetFiles(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string, prefix: string): void => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((left, right) => (left.name < right.name ? -1 : left.name > right.name ? 1 : 0));
    for (const entry of entries) {
      const path = `${prefix}${entry.name}`;
      if (entry.isDirectory()) {
        if (!SKIPPED_FOLDERS.has(entry.name)) {
          walk(join(folder, entry.name), `${path}/`);
        }
      } else if (entry.isFile() && CHECKED_FILE.test(entry.name)) {
        files.set(path, readFileSync(join(folder, entry.name), 'utf8'));
      }
    }
  };
  walk(root, '');
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

export function formatTable(findings: readonly Finding[], filesChecked: number): string {
  const summary = `${plural(count(findings, 'error'), 'error')}, ${count(findings, 'pending')} pending, ${plural(count(findings, 'warning'), 'warning')} (${plural(filesChecked, 'file')} checked)`;
  if (findings.length === 0) {
    return `No findings: ${summary}\n`;
  }
  const header = ['SEVERITY', 'RULE', 'FILE', 'MESSAGE'] as const;
  const rows = findings.map((each) => [each.severity, each.rule, printable(each.file), printable(each.message)] as const);
  const widths = [0, 1, 2].map((column) => Math.max(header[column]?.length ?? 0, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n\n${summary}\n`;
}

export function formatJson(findings: readonly Finding[], filesChecked: number): string {
  const result = {
    findings: findings.map(({ file, rule, severity, message }) => ({ file, rule, severity, message })),
    summary: { errors: count(findings, 'error'), pending: count(findings, 'pending'), warnings: count(findings, 'warning'), filesChecked },
  };
  return `${JSON.stringify(result, null, 2)}\n`;
}

function parseCheckArguments(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, strict: { type: 'boolean' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new CheckInputError(`${(error as Error).message}\nRun flux-sops check --help for the usage.`);
  }
}

export async function runCheckCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCheckArguments(argv);
  if (values.help) {
    process.stdout.write(checkHelpText());
    return 0;
  }
  if (positionals.length > 1) {
    throw new CheckInputError(`flux-sops check takes at most one folder, got ${positionals.length}: ${positionals.join(' ')}\nRun flux-sops check --help for the usage.`);
  }
  const dir = positionals[0] ?? '.';
  const root = resolve(dir);
  const shownDir = dir === '.' ? 'the current folder' : dir;
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new CheckInputError(`${shownDir} is not a folder`);
  }
  if (!existsSync(join(root, SOPS_CONFIG))) {
    throw new CheckInputError(
      `no ${SOPS_CONFIG} in ${shownDir}: run flux-sops check in the root folder of a fleet (the one with ${SOPS_CONFIG}), or pass that folder`,
    );
  }
  const files = readFleetFiles(root);
  const findings = applyStrictness(checkFleet(files), Boolean(values.strict));
  process.stdout.write(values.json ? formatJson(findings, files.size) : formatTable(findings, files.size));
  return exitStatusFor(findings);
}
