// The entry point of the bundled checker (dist/check.cjs, which every fleet carries as
// .flux-sops/check.cjs): `flux-sops check` and nothing else, for plain Node with no install.
// The copy it compares the fleet's with is itself. Its ports are the disk and stdout/stderr
// only (processPorts would bring in the key sources, and with them the AWS SDK). Bundled by
// scripts/bundle-check.mjs, never compiled to dist/ on its own (it relies on CommonJS's __filename).
import { runCheckCommand } from '../cli/check.js';
import { fleetDisk } from '../disk/index.js';
import { isFluxSopsError } from '../errors.js';
import type { CheckPorts } from './run.js';

const ports: CheckPorts = {
  cwd: process.cwd(),
  disk: (root) => fleetDisk(root),
  terminal: {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    columns: process.stdout.isTTY ? process.stdout.columns : undefined,
  },
};

runCheckCommand(process.argv.slice(2), ports, {
  command: 'node .flux-sops/check.cjs',
  shippedCheckerFile: __filename,
}).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    // As flux-sops prints it: the message of a problem the user can fix, the stack of a bug.
    process.stderr.write(
      isFluxSopsError(error)
        ? `flux-sops: ${error.message}\n`
        : `flux-sops: ${(error as Error).stack ?? String(error)}\n`,
    );
    process.exitCode = isFluxSopsError(error) ? error.code : 1;
  },
);
