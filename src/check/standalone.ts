// The entry point of the bundled checker (dist/check.cjs, which every fleet carries as
// .flux-sops/check.cjs): `flux-sops check` and nothing else, for plain Node with no install.
// The copy it compares the fleet's with is itself. Its ports are the disk and stdout/stderr
// only (processPorts would bring in the key sources, and with them the AWS SDK). Bundled by
// scripts/bundle-check.mjs, never compiled to dist/ on its own (it relies on CommonJS's __filename).
import { runCheckCommand } from '../cli/check.js';
import { fleetDisk } from '../disk/index.js';
import { formatError } from '../errors.js';
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
    // As flux-sops prints it, with the stack of a bug (the bundled checker has no --debug).
    const { text, status } = formatError(error, true);
    process.stderr.write(text);
    process.exitCode = status;
  },
);
