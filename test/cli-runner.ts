// Runs the built `flux-sops` command the way CI would: no terminal, stdin closed, no colours.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './support.js';

export const cliPath = join(projectRoot, 'dist', 'src', 'cli', 'main.js');

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
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
        cwd: options.cwd,
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

/**
 * The lines of an error run that are the command's own message: Yeoman's line announcing which
 * task failed is dropped, and colour codes stripped.
 */
export function errorLines(stderr: string): string[] {
  return stderr
    .replace(/\x1b\[[0-9;]*m/g, '')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('✖ An error occured while running'));
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

/**
 * Runs a `flux-sops` command line in this process, through the same entry as the executable
 * (runCommandLine), capturing what it prints as its error. For the paths that fail before
 * writing; stdout stays the process's own.
 */
export async function runCliInProcess(args: readonly string[]): Promise<CliResult> {
  const { runCommandLine } = await import('../src/cli/run.js');
  let stderr = '';
  const status = await runCommandLine(args, (text) => {
    stderr += text;
  });
  return { status, stdout: '', stderr };
}
