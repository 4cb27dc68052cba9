// Runs `flux-sops` command lines for the tests, the way CI would (no terminal, no colours):
// - runCliInProcess: in this process, through the executable's own entry (runCommandLine); fast,
//   and what most tests use;
// - runCli: a whole process of the built package, for what needs one (the built package itself);
// - runBuiltCliAs: a batch of command lines in one process of the built package run as another
//   user, for file permissions while the tests run as root;
// - runCliInTerminal: the built package in a real (pseudo-)terminal, typing answers and Ctrl-C.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { pathToFileURL } from 'node:url';
import { projectRoot } from './support.js';

export const cliPath = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Default: the project's root, which exists whatever folder an earlier test left this process in. */
  cwd?: string;
  /** Run as this user (tests run as root, where file permissions do not stop writes). */
  uid?: number;
  gid?: number;
  env?: Record<string, string>;
}

export function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [cliPath, ...args],
      {
        cwd: options.cwd ?? projectRoot,
        uid: options.uid,
        gid: options.gid,
        env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const status = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
    child.stdin?.end();
  });
}

const stripColours = (output: string) => output.replace(/\x1b\[[0-9;]*m/g, '');

/**
 * The lines of an error run that are the command's own message: Yeoman's line announcing which
 * task failed is dropped, and colour codes stripped.
 */
export function errorLines(stderr: string): string[] {
  return stripColours(stderr)
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('✖ An error occured while running'));
}

/** Every non-empty line printed, colours stripped, nothing filtered out (Yeoman's own lines included). */
export function outputLines(output: string): string[] {
  return stripColours(output)
    .split('\n')
    .filter((line) => line !== '');
}

/**
 * The file statuses a generating run logged (`create`, `identical`, `update`, `skip`, `force`,
 * `conflict`…), by path, in the order logged.
 */
export function loggedStatuses(stderr: string): Record<string, string> {
  const statuses: Record<string, string> = {};
  for (const line of outputLines(stderr)) {
    const match = /^\s*(create|identical|update|skip|force|conflict|overwrite)\s+(\S.*)$/.exec(line);
    if (match) {
      statuses[match[2] as string] = match[1] as string;
    }
  }
  return statuses;
}

/** Runs tasks at most `limit` at a time, keeping their order in the results. */
export async function inBatches<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next;
      next += 1;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

type Write = typeof process.stdout.write;

/**
 * Runs a `flux-sops` command line in this process, through the same entry as the executable
 * (runCommandLine), and captures what it prints: its error and Yeoman's log (stderr), and what it
 * writes to stdout (`--help`, `--version`). Pass `--no-interactive` to generating commands: a
 * test process may have a terminal on stdin. The process's working folder is kept.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const { runCommandLine } = await import('../src/cli/run.js');
  const cwd = process.cwd();
  let stdout = '';
  let stderr = '';
  const capture = (append: (text: string) => void): Write =>
    ((chunk: string | Uint8Array, encoding?: unknown, callback?: unknown) => {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') {
        process.nextTick(done as () => void);
      }
      return true;
    }) as Write;
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  process.stdout.write = capture((text) => {
    stdout += text;
  });
  process.stderr.write = capture((text) => {
    stderr += text;
  });
  try {
    const status = await runCommandLine(args, (text) => {
      stderr += text;
    });
    return { status, stdout, stderr };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    process.chdir(cwd);
  }
}

/**
 * What runBuiltCliAs's child runs: each command line of the JSON on stdin through the built
 * package's runCommandLine (argv[1]), its output captured as runCliInProcess captures it; the
 * results go as JSON to stdout.
 */
const BATCH_SCRIPT = `
const { text } = await import('node:stream/consumers');
const { runCommandLine } = await import(process.argv[1]);
const commandLines = JSON.parse(await text(process.stdin));
const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
const results = [];
for (const args of commandLines) {
  const result = { status: 0, stdout: '', stderr: '' };
  const capture = (key) => (chunk, encoding, callback) => {
    result[key] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const done = typeof encoding === 'function' ? encoding : callback;
    if (typeof done === 'function') process.nextTick(done);
    return true;
  };
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  try {
    result.status = await runCommandLine(args, (text) => { result.stderr += text; });
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
  }
  results.push(result);
}
process.stdout.write(JSON.stringify(results));
`;

/**
 * Runs command lines one after the other in one process of the built package started as another
 * user, through the executable's entry (runCommandLine): for what file permissions must stop
 * while the tests run as root. One process for the batch, so Yeoman loads once.
 */
export async function runBuiltCliAs(
  user: { uid: number; gid: number; home: string },
  commandLines: readonly (readonly string[])[],
): Promise<CliResult[]> {
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', BATCH_SCRIPT, pathToFileURL(join(projectRoot, 'dist', 'src', 'cli', 'run.js')).href],
    {
      cwd: projectRoot,
      uid: user.uid,
      gid: user.gid,
      env: { ...process.env, HOME: user.home, NO_COLOR: '1', FORCE_COLOR: '0' },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  child.stdin.end(JSON.stringify(commandLines));
  const [stdout, stderr, status] = await Promise.all([
    text(child.stdout),
    text(child.stderr),
    new Promise((resolve) => child.on('close', resolve)),
  ]);
  if (status !== 0) {
    throw new Error(`the batch run as uid ${user.uid} failed (${String(status)}): ${stderr}`);
  }
  return JSON.parse(stdout) as CliResult[];
}

/** What a terminal run answers: when `when` first appears in the output, `send` is typed (once). */
export interface TerminalRule {
  when: string;
  send: string;
}

/** Whether `script` (util-linux) is there to give a command a real terminal. */
export function terminalAvailable(): boolean {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs the built `flux-sops` in a real terminal (a pseudo-terminal made by `script`), typing
 * each rule's keys when its text first appears. Returns the exit status and the terminal's
 * output with the control sequences and carriage returns taken out. Killed after `timeoutMs`.
 */
export function runCliInTerminal(
  args: readonly string[],
  rules: readonly TerminalRule[],
  timeoutMs = 60_000,
): Promise<{ status: number | null; output: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, cliPath, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      cwd: projectRoot,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: '' },
    });
    let output = '';
    const pending = [...rules];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (data: Buffer) => {
      output += data.toString('utf8');
      for (const rule of [...pending]) {
        if (output.includes(rule.when)) {
          pending.splice(pending.indexOf(rule), 1);
          child.stdin.write(rule.send);
        }
      }
    });
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, output: output.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '') });
    });
  });
}
