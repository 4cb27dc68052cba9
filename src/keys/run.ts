// `updatekeys` and `rotate` as one run: read the fleet, plan, compute every new file text in
// memory (the only step that calls keys), and only when all of them succeeded write them all.
import { FluxSopsError } from '../errors.js';
import type { MasterKeys } from '../sops/master-keys.js';
import { withFleetLock } from '../disk/writer.js';
import { assertReplaceable, commitRewrites, type FileRewrite } from './commit.js';
import { readFleetRules, readSecretFiles, selectEnvironments } from './fleet-files.js';
import { type FilePlan, type KeysCommand, type MasterKeysOfRule, planKeyChanges } from './plan.js';

/** What the run needs from the SOPS module; tests can stand in for it. */
export interface KeyOperations {
  /** The rule's master keys; throws FluxSopsError('fleet') for a key this product cannot use. */
  readonly masterKeysOfRule: MasterKeysOfRule;
  /** Unwraps the data key with any available master key and wraps it for exactly `target`; values and MAC unchanged. */
  updateKeys(text: string, target: MasterKeys): Promise<string>;
  /** A new data key for `target`, every value re-encrypted under it. */
  rotateDataKey(text: string, target: MasterKeys): Promise<string>;
}

export interface KeysRunOptions {
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

/** The error of a file, with the file named first (the SOPS module names the keys it tried), and that nothing was written. */
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
 * Plans the run over the fleet at `root` and, unless it is a dry run, rewrites every planned
 * file: all new texts are computed first, and a failure of any file (no available key can
 * unwrap it, a KMS error while wrapping) leaves every file as it was.
 */
export async function runKeys(
  command: KeysCommand,
  root: string,
  options: KeysRunOptions,
  operations: KeyOperations,
): Promise<KeysRunResult> {
  const rules = readFleetRules(root);
  if (!options.dryRun) {
    withFleetLock(root, () => undefined); // an interrupted run's writes finished or cleaned before reading
  }
  const environments = selectEnvironments(root, options.environments);
  const files = readSecretFiles(root, environments);
  const plans = planKeyChanges(command, files, rules, operations.masterKeysOfRule);
  const rewrites = plans.filter((plan): plan is Extract<FilePlan, { kind: 'rewrite' }> => plan.kind === 'rewrite');
  if (options.dryRun || rewrites.length === 0) {
    return { environments, plans, written: false };
  }
  assertReplaceable(
    root,
    rewrites.map(({ path }) => path),
  );
  const textOf = new Map(files.map(({ path, text }) => [path, text]));
  const rewritten = await computeAll(
    rewrites,
    options.concurrency ?? DEFAULT_CONCURRENCY,
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
  withFleetLock(root, () => commitRewrites(root, rewritten));
  return { environments, plans, written: true };
}
