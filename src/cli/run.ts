// `flux-sops`: dispatches to its subcommands and is the one place that prints an error. Each
// subcommand loads only what it uses: `check` and bad input never load Yeoman. The executable is
// main.ts; tests run command lines in-process through runCommandLine.
import { join } from 'node:path';
import { isFluxSopsError } from '../errors.js';
import { SHIPPED_CHECKER_FILE } from '../fleet/layout.js';
import { processPorts } from '../ports.js';
import { packageRoot, packageVersion } from '../version.js';
import { debugRequested } from './command-spec.js';

/** Runs one command line; returns the exit status. Errors are thrown, and printed by run(). */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'check': {
      const { runCheckCommand } = await import('./check.js');
      return runCheckCommand(rest, processPorts(), {
        command: 'flux-sops check',
        shippedCheckerFile: join(packageRoot(), SHIPPED_CHECKER_FILE),
      });
    }
    case 'secret': {
      const { runSecretCommand } = await import('./secret.js');
      return runSecretCommand(rest, processPorts());
    }
    case 'updatekeys':
    case 'rotate': {
      const { runKeysCommand } = await import('./keys.js');
      return runKeysCommand(first, rest, processPorts());
    }
    case 'env': {
      const { runEnvironmentCommand } = await import('./env.js');
      return runEnvironmentCommand(rest, processPorts());
    }
    case 'tenant': {
      const { runTenantCommand } = await import('./tenant.js');
      return runTenantCommand(rest, processPorts());
    }
    default: {
      const { runGenerateCommand } = await import('./generate.js');
      return runGenerateCommand(argv, processPorts());
    }
  }
}

/** An error as the product's own lines: the message, and a stack only for a bug under --debug. */
export function formatError(error: unknown, debug: boolean): { text: string; status: number } {
  if (isFluxSopsError(error)) {
    return {
      text:
        error.kind === 'cancelled' || error.kind === 'declined'
          ? `${error.message}\n`
          : `flux-sops: ${error.message}\n`,
      status: error.code,
    };
  }
  const { message, stack } = error as Error;
  return {
    text:
      debug && stack
        ? `${stack}\n`
        : `flux-sops: ${message}\n(an unexpected error: run again with --debug for its stack trace)\n`,
    status: 1,
  };
}

/** Runs one command line and prints its error, if any, to `stderr`; returns the exit status. */
export async function runCommandLine(
  argv: readonly string[],
  stderr: (text: string) => void = (text) => process.stderr.write(text),
): Promise<number> {
  if (argv.length === 1 && argv[0] === '--version') {
    process.stdout.write(`${packageVersion()}\n`);
    return 0;
  }
  try {
    return await main(argv);
  } catch (error) {
    const { text, status } = formatError(error, debugRequested());
    stderr(text);
    return status;
  }
}
