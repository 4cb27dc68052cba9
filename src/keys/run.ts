// `updatekeys` and `rotate` once their command line is read: read the fleet, plan, compute every
// new file text in memory (the only step that calls keys), and only when all of them succeeded
// write them all; then print the report. Reads and writes through the FleetDisk port, keys
// through the key sources of the ports, prints through the terminal port.
import { FluxSopsError } from '../errors.js';
import type { Ports } from '../ports.js';
import type { MasterKeys } from '../sops/master-keys.js';
import { commitRewrites, type FileRewrite } from './commit.js';
import { selectEnvironments } from '../fleet/environments.js';
import { readFleetRules, readSecretFiles } from './fleet-files.js';
import { sopsKeyOperations } from './operations.js';
import { type FilePlan, type KeysCommand, type MasterKeysOfRule, planKeyChanges } from './plan.js';
import { formatReport, ROTATE_REMINDER } from './report.js';

/** What the run needs from the SOPS module; tests can stand in for it. */
export interface KeyOperations {
  /** The rule's master keys; throws FluxSopsError('fleet') for a key this product cannot use. */
  readonly masterKeysOfRule: MasterKeysOfRule;
  /** Unwraps the data key with any available master key and wraps it for exactly `target`; values and MAC unchanged. */
  updateKeys(text: string, target: MasterKeys): Promise<string>;
  /** A new data key for `target`, every value re-encrypted under it. */
  rotateDataKey(text: string, target: MasterKeys): Promise<string>;
}

export interface KeysRequest {
  readonly command: KeysCommand;
  /** The fleet's folder. */
  readonly root: string;
  /** The environments named on the command line; none means every environment. */
  readonly environments: readonly string[];
  /** Plan and report only: no key is called, nothing is written. */
  readonly dryRun: boolean;
  /** How many files are opened at once (each costs a KMS round trip or two). */
  readonly concurrency?: number;
}

export interface KeysRunResult {
  readonly environments: readonly string[];
  readonly plans: readonly FilePlan[];
  /** Whether files were written (false for a dry run, and when nothing needed rewriting). */
  readonly written: boolean;
}

const DEFAULT_CONCURRENCY = 8;

/**
 * The error of a file, with the file named first (the SOPS module names the keys it tried), and
 * that nothing was written.
 */
function namingFile(path: string, error: unknown): Error {
  if (error instanceof FluxSopsError) {
    return new FluxSopsError(
      error.kind,
      `${error.message.startsWith(path) ? '' : `${path}: `}${error.message}\nNo file was written.`,
    );
  }
  return new Error(`${path}: ${(error as Error).message}`, { cause: error });
}

/**
 * Runs `compute` over the items, at most `limit` at a time; after the first failure no new item
 * is started, and the failure of the earliest item (in the items' order) is thrown.
 */
async function computeAll<T, R>(items: readonly T[], limit: number, compute: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  const failures = new Map<number, unknown>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && failures.size === 0) {
      const index = next;
      next += 1;
      try {
        results[index] = await compute(items[index] as T);
      } catch (error) {
        failures.set(index, error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failures.size > 0) {
    throw failures.get(Math.min(...failures.keys()));
  }
  return results;
}

/**
 * Plans the run over the fleet at `request.root` and, unless it is a dry run, rewrites every
 * planned file: all new texts are computed first, and a failure of any file (no available key can
 * unwrap it, a KMS error while wrapping) leaves every file as it was. Prints the report (and,
 * after a rotation, its reminder). `operations` stands in for the SOPS module in tests.
 */
export async function runKeys(request: KeysRequest, ports: Ports, operations?: KeyOperations): Promise<KeysRunResult> {
  const result = await rewriteKeys(request, ports, operations);
  ports.terminal.out(formatReport(request.command, result, request.dryRun));
  if (request.command === 'rotate' && result.written) {
    ports.terminal.err(ROTATE_REMINDER);
  }
  return result;
}

async function rewriteKeys(
  { command, root, environments: requested, dryRun, concurrency }: KeysRequest,
  ports: Ports,
  standIn: KeyOperations | undefined,
): Promise<KeysRunResult> {
  const disk = ports.disk(root);
  const operations = standIn ?? sopsKeyOperations({ env: ports.env, keySources: await ports.keySources() });
  const rules = readFleetRules(disk);
  if (!dryRun) {
    disk.withLock(() => undefined); // an interrupted run's writes finished or cleaned before reading
  }
  const environments = selectEnvironments(disk, requested);
  const files = readSecretFiles(disk, environments);
  const plans = planKeyChanges(command, files, rules, operations.masterKeysOfRule);
  const rewrites = plans.filter((plan): plan is Extract<FilePlan, { kind: 'rewrite' }> => plan.kind === 'rewrite');
  if (dryRun || rewrites.length === 0) {
    return { environments, plans, written: false };
  }
  // Fails before any key is called when a file cannot be replaced (a symbolic link, no write permission).
  disk.assertWritable(rewrites.map(({ path }) => path));
  const textOf = new Map(files.map(({ path, text }) => [path, text]));
  const rewritten = await computeAll(
    rewrites,
    concurrency ?? DEFAULT_CONCURRENCY,
    async ({ path, target }): Promise<FileRewrite> => {
      const before = textOf.get(path) ?? '';
      try {
        const after =
          command === 'rotate'
            ? await operations.rotateDataKey(before, target)
            : await operations.updateKeys(before, target);
        return { path, before, after };
      } catch (error) {
        throw namingFile(path, error);
      }
    },
  );
  disk.withLock(() => commitRewrites(disk, rewritten));
  return { environments, plans, written: true };
}
