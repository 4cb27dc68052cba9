// The entry point of the bundled checker (dist/check.cjs, which every fleet carries as
// .flux-sops/check.cjs): `flux-sops check` and nothing else, for plain Node with no install.
// The copy it compares the fleet's with is itself. Bundled by scripts/bundle-check.mjs, never
// compiled to dist/ on its own (it relies on CommonJS's __filename).
import { isFluxSopsError } from '../errors.js';
import { runCheckCommand } from './command.js';

runCheckCommand(process.argv.slice(2), { command: 'node .flux-sops/check.cjs', shippedCheckerFile: __filename }).then(
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
