// `flux-sops check [dir]`: finds the fleet (the nearest folder holding .sops.yaml, upward from
// dir, as git and sops look), reads the files Git would commit, runs the pure checks, prints a
// table or JSON, and sets the exit status. Loads no Yeoman, prompt, template or `yaml` library
// (a test walks its import graph), reads no package.json: bundled into one file, it is the
// fleet's own .flux-sops/check.cjs, run by its CI and pre-commit hook.
import { readFileSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { FluxSopsError } from '../errors.js';
import { findFleetRoot, isFleetRoot } from '../fleet/fleet-root.js';
import { SKIPPED_FOLDERS, SOPS_CONFIG_FILE, STORED_ANSWERS_FILE } from '../fleet/layout.js';
import { checkFleet } from './check.js';
import { findTemporaryFiles, resolveInsideFleet } from '../disk/writer.js';
import { applyStrictness, checkRules, exitStatusFor, type Finding, finding } from './findings.js';
import { GitIgnoreRules } from '../disk/git-ignored.js';
import { checkCommittedFiles } from './repository.js';
/** Kubernetes manifests and their kin; Terraform's own JSON files (`*.tf.json`) are not. */
const CHECKED_FILE = /\.(ya?ml|json)$/;
const TERRAFORM_JSON = /\.tf\.json$/;

const OPTIONS = {
  json: { type: 'boolean' },
  strict: { type: 'boolean' },
  cwd: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** How the check was started, and what it compares the fleet's copy of the checker with. */
export interface CheckContext {
  /** `flux-sops check`, or `node .flux-sops/check.cjs` for the bundled copy: named in --help and in errors. */
  readonly command: string;
  /** The checker this version ships: dist/check.cjs of the package, or the bundled copy itself. */
  readonly shippedCheckerFile: string;
}

function helpHint(context: CheckContext): string {
  return `Run ${context.command} --help for the usage.`;
}

export function checkHelpText(context: CheckContext): string {
  const ruleWidth = Math.max(...Object.keys(checkRules).map((rule) => rule.length));
  return [
    `Usage: ${context.command} [dir] [--cwd DIR] [--json] [--strict]`,
    '',
    'Check the fleet that holds dir (default: the current folder): the nearest folder at or above',
    'it with a .sops.yaml, as git and sops find theirs. Reads files only: never decrypts, never',
    'prints a secret value. Reads the files Git would commit (by the .gitignore files and',
    '.git/info/exclude): every one for private keys, the YAML and JSON (not *.tf.json) for the',
    'rest. Skips node_modules, .git and .terraform.',
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
    ...Object.entries(checkRules).map(
      ([rule, { severity, description }]) => `  ${rule.padEnd(ruleWidth)}  ${severity.padEnd(7)}  ${description}`,
    ),
    '',
  ].join('\n');
}

export interface FleetContents {
  /** The YAML and JSON files (not Terraform's *.tf.json) as text, by POSIX path relative to the root. */
  readonly texts: Map<string, string>;
  /** Every file Git would commit, with its bytes. */
  readonly files: Map<string, Buffer>;
}

/**
 * The files of the fleet that Git would commit, read once each. Symbolic links are not
 * followed; node_modules, .git and .terraform are not entered.
 */
export function readFleet(root: string): FleetContents {
  const base = resolve(root);
  const texts = new Map<string, string>();
  const files = new Map<string, Buffer>();
  for (const { path, symbolicLink } of new GitIgnoreRules(base).listCommittedFiles(SKIPPED_FOLDERS)) {
    const checked = CHECKED_FILE.test(path) && !TERRAFORM_JSON.test(path);
    if (symbolicLink) {
      // The one link policy: read when it stays inside the fleet, refused (exit 2) when it leaves.
      // Git commits the link, not its target: the target is scanned for keys as a file of its own.
      const target = checked ? resolveInsideFleet(base, path) : undefined;
      if (target !== undefined && statSync(target).isFile()) {
        texts.set(path, readFileSync(target, 'utf8'));
      }
      continue;
    }
    const bytes = readFileSync(`${base}${sep}${path.split('/').join(sep)}`);
    files.set(path, bytes);
    if (checked) {
      texts.set(path, bytes.toString('utf8'));
    }
  }
  return { texts, files };
}

/** The fleet's YAML and JSON files that Git would commit, by POSIX path relative to root. */
export function readFleetFiles(root: string): Map<string, string> {
  return readFleet(root).texts;
}

function readShippedChecker(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined; // a package built without it (tests from the sources): nothing to compare with
  }
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

/**
 * Breaks `text` at spaces into lines of at most `width` columns after `indent` (a word longer
 * than that keeps its own line): what a terminal would wrap at column 0, kept under its column.
 */
function wrapIndented(text: string, indent: string, width: number | undefined): string {
  if (width === undefined || indent.length + text.length <= width) {
    return text;
  }
  const room = Math.max(20, width - indent.length);
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > room) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  lines.push(current);
  return lines.join(`\n${indent}`);
}

/** One row per finding, its fix on the line below the message; with `width` (a terminal's), the fix wraps under itself. */
export function formatTable(findings: readonly Finding[], filesChecked: number, width?: number): string {
  const summary = `${plural(count(findings, 'error'), 'error')}, ${count(findings, 'pending')} pending, ${plural(count(findings, 'warning'), 'warning')} (${plural(filesChecked, 'file')} checked)`;
  if (findings.length === 0) {
    return `No findings: ${summary}\n`;
  }
  const header = ['SEVERITY', 'RULE', 'FILE', 'MESSAGE'] as const;
  const rows = findings.map(
    (each) => [each.severity, each.rule, printable(each.file), printable(each.message), printable(each.fix)] as const,
  );
  const widths = [0, 1, 2].map((column) =>
    Math.max(header[column]?.length ?? 0, ...rows.map((row) => row[column]?.length ?? 0)),
  );
  const indent = ' '.repeat(widths.reduce((sum, width) => sum + width + 2, 0));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (column < 3 ? cell.padEnd(widths[column] ?? 0) : cell))
      .join('  ')
      .trimEnd();
  const lines = [
    line(header),
    ...rows.flatMap((row) => [line(row.slice(0, 4)), `${indent}fix: ${wrapIndented(row[4], `${indent}     `, width)}`]),
  ];
  return `${lines.join('\n')}\n\n${summary}\n`;
}

export function formatJson(findings: readonly Finding[], filesChecked: number): string {
  const result = {
    findings: findings.map(({ file, rule, severity, message, fix }) => ({ file, rule, severity, message, fix })),
    summary: {
      errors: count(findings, 'error'),
      pending: count(findings, 'pending'),
      warnings: count(findings, 'warning'),
      filesChecked,
    },
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

function parseCheckArguments(argv: string[], context: CheckContext) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new FluxSopsError('usage', `${describeArgumentError(error as Error)}\n${helpHint(context)}`);
  }
}

/** `flux-sops check …`: prints the findings on stdout and returns the exit status. */
export async function runCheckCommand(argv: string[], context: CheckContext): Promise<number> {
  const { values, positionals } = parseCheckArguments(argv, context);
  if (values.help) {
    process.stdout.write(checkHelpText(context));
    return 0;
  }
  if (positionals.length > 1) {
    throw new FluxSopsError(
      'usage',
      `${context.command} takes at most one folder, got ${positionals.length}: ${positionals.join(' ')}\n${helpHint(context)}`,
    );
  }
  const base = resolve(values.cwd ?? '.');
  if (values.cwd !== undefined && !statSync(base, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FluxSopsError('usage', `--cwd ${values.cwd} is not a folder`);
  }
  const dir = positionals[0];
  const start = resolve(base, dir ?? '.');
  const shownStart = dir ?? values.cwd ?? 'the current folder';
  if (!statSync(start, { throwIfNoEntry: false })?.isDirectory()) {
    throw new FluxSopsError('usage', `${shownStart} is not a folder`);
  }
  const root = findFleetRoot(start);
  if (!statSync(join(root, SOPS_CONFIG_FILE), { throwIfNoEntry: false })?.isFile()) {
    throw new FluxSopsError(
      'fleet',
      `no ${SOPS_CONFIG_FILE} in ${shownStart} or any folder above it: run ${context.command} inside a fleet (a folder with ${SOPS_CONFIG_FILE}), or pass its folder`,
    );
  }
  if (root !== start) {
    const by = isFleetRoot(root) ? `its ${STORED_ANSWERS_FILE}` : SOPS_CONFIG_FILE;
    process.stderr.write(`Checking the fleet at ${root}, the nearest folder above ${shownStart} with ${by}\n`);
  }
  resolveInsideFleet(root, SOPS_CONFIG_FILE); // a .sops.yaml linking out of the fleet is refused
  const { texts, files } = readFleet(root);
  const leftovers = findTemporaryFiles(root).map((file) =>
    finding(
      file,
      'leftover-temporary',
      'left by an interrupted flux-sops run (ignored by Git)',
      'run any writing flux-sops command (it removes it), or delete it',
    ),
  );
  const found = [
    ...checkFleet(texts),
    ...checkCommittedFiles({ files, shippedChecker: readShippedChecker(context.shippedCheckerFile) }),
    ...leftovers,
  ];
  const findings = applyStrictness(found, Boolean(values.strict));
  process.stdout.write(
    values.json
      ? formatJson(findings, files.size)
      : formatTable(findings, files.size, process.stdout.isTTY ? process.stdout.columns : undefined),
  );
  return exitStatusFor(findings);
}
