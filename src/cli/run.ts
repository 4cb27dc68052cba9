// `flux-sops`: dispatches to its subcommands and is the one place that prints an error. Each
// subcommand loads only what it uses: `check` and bad input never load Yeoman. The executable is
// main.ts; tests run command lines in-process through runCommandLine.
import { join } from 'node:path';
import { formatError } from '../errors.js';
import { SHIPPED_CHECKER_FILE } from '../fleet/layout.js';
import { type Ports, processPorts } from '../ports.js';
import { packageRoot, packageVersion } from '../version.js';
import { debugRequested } from './command-spec.js';

/** Runs one command line; returns the exit status. Errors are thrown, and printed by runCommandLine. */
export async function main(argv: readonly string[], ports: Ports = processPorts()): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'check': {
      const { runCheckCommand } = await import('./check.js');
      return runCheckCommand(rest, ports, {
        command: 'flux-sops check',
        shippedCheckerFile: join(packageRoot(), SHIPPED_CHECKER_FILE),
      });
    }
    case 'secret': {
      const { runSecretCommand } = await import('./secret.js');
      return runSecretCommand(rest, ports);
    }
    case 'updatekeys':
    case 'rotate': {
      const { runKeysCommand } = await import('./keys.js');
      return runKeysCommand(first, rest, ports);
    }
    case 'env': {
      const { runEnvironmentCommand } = await import('./env.js');
      return runEnvironmentCommand(rest, ports);
    }
    case 'tenant': {
      const { runTenantCommand } = await import('./tenant.js');
      return runTenantCommand(rest, ports);
    }
    default: {
      const { runGenerateCommand } = await import('./generate.js');
      return runGenerateCommand(argv, ports);
    }
  }
}

/** Runs one command line and prints its error, if any, to `stderr`; returns the exit status. */
export async function runCommandLine(
  argv: readonly string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  const ports = processPorts();
  if (argv.length === 1 && argv[0] === '--version') {
    ports.terminal.out(`${packageVersion()}\n`);
    return 0;
  }
  try {
    return await main(argv, ports);
  } catch (error) {
    const { text, status } = formatError(error, debugRequested());
    stderr(text);
    return status;
  }
}
