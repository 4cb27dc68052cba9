// `flux-sops check` once its command line is read: reads the files Git would commit from the
// fleet, runs the pure checks, prints a table or JSON, and returns the exit status. Reads through
// the FleetDisk port and prints through the terminal port only. Loads no YAML library, Yeoman,
// prompt or template (a test walks its import graph): bundled, it is the fleet's
// .flux-sops/check.cjs.
import { FluxSopsError } from '../errors.js';
import { SOPS_CONFIG_FILE, STORED_ANSWERS_FILE } from '../fleet/layout.js';
import type { Ports, Terminal } from '../ports.js';
import { checkFleet } from './check.js';
import { applyStrictness, exitStatusFor, finding } from './findings.js';
import { formatJson, formatTable } from './report.js';
import { checkCommittedFiles } from './repository.js';

/** What check takes from the world: the fleet on disk and stdout/stderr (the bundled checker has no keys). */
export interface CheckPorts extends Pick<Ports, 'cwd' | 'disk'> {
  readonly terminal: Pick<Terminal, 'out' | 'err' | 'columns'>;
}

export interface CheckRequest {
  /** `flux-sops check`, or `node .flux-sops/check.cjs` for the bundled copy: named in errors. */
  readonly command: string;
  /** The fleet's folder: the nearest folder at or above `start` with a .sops.yaml. */
  readonly root: string;
  /** Whether `root` was found by its stored answers (.yo-rc.json) rather than by its .sops.yaml. */
  readonly rootHoldsAnswers: boolean;
  /** The folder the check was started at, absolute, and as the user named it. */
  readonly start: string;
  readonly shownStart: string;
  readonly json: boolean;
  /** Placeholders not yet replaced count as errors instead of pending. */
  readonly strict: boolean;
  /** The bytes of the checker this version ships, when it can be read: the fleet's copy must equal it. */
  readonly shippedChecker: Uint8Array | undefined;
}

/** Checks the fleet at `request.root`, prints the findings on stdout and returns the exit status. */
export function runCheck(request: CheckRequest, ports: CheckPorts): number {
  const { root, shownStart } = request;
  const disk = ports.disk(root);
  if (!disk.isFile(SOPS_CONFIG_FILE)) {
    throw new FluxSopsError(
      'fleet',
      `no ${SOPS_CONFIG_FILE} in ${shownStart} or any folder above it: run ${request.command} inside a fleet ` +
        `(a folder with ${SOPS_CONFIG_FILE}), or pass its folder`,
    );
  }
  if (root !== request.start) {
    const by = request.rootHoldsAnswers ? `its ${STORED_ANSWERS_FILE}` : SOPS_CONFIG_FILE;
    ports.terminal.err(`Checking the fleet at ${root}, the nearest folder above ${shownStart} with ${by}\n`);
  }
  disk.exists(SOPS_CONFIG_FILE); // a .sops.yaml linking out of the fleet is refused
  const { texts, files } = disk.committed();
  const leftovers = disk
    .temporaryFiles()
    .map((file) =>
      finding(
        file,
        'leftover-temporary',
        'left by an interrupted flux-sops run (ignored by Git)',
        'run any writing flux-sops command (it removes it), or delete it',
      ),
    );
  const found = [
    ...checkFleet(texts),
    ...checkCommittedFiles({ files, shippedChecker: request.shippedChecker }),
    ...leftovers,
  ];
  const findings = applyStrictness(found, request.strict);
  ports.terminal.out(
    request.json ? formatJson(findings, files.size) : formatTable(findings, files.size, ports.terminal.columns),
  );
  return exitStatusFor(findings);
}
