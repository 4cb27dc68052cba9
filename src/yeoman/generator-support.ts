// Yeoman glue shared by the generators: option wiring from the input declarations, the
// all-or-nothing write of planned files, the product's log. No fleet logic lives here.
import { lstatSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Transform } from 'node:stream';
import Generator, { type BaseFeatures, type BaseOptions } from 'yeoman-generator';
import { isUneditedChecker } from '../check/repository.js';
import { asCancellation, FluxSopsError, isFluxSopsError, RUN_BY_FLUX_SOPS } from '../errors.js';
import {
  type InputDeclaration,
  optionDescription,
  perEnvironmentOptionDescription,
  runOptions,
} from '../fleet/inputs.js';
import { type RawAnswers, readAnswersObject } from '../fleet/answers.js';
import { findEnclosingFleet } from '../fleet/fleet-root.js';
import { FLEET_CHECKER_FILE, type PlannedFile, STORAGE_NAME, STORED_ANSWERS_FILE } from '../fleet/layout.js';
import { answersToAddTo } from '../fleet/plan.js';
import { type FleetDisk, fleetDisk } from '../disk/index.js';
import { promptsByDefault } from '../terminal.js';
import type { Ask } from './prompts.js';

type Options = BaseOptions & Record<string, unknown>;

/**
 * The product's generators: no package-manager step, writes held until every conflict question
 * is answered (commitAllOrNothing), options declared from the input tables, and Yeoman's
 * "An error occured while running <task>" line left out: the product prints its own message.
 */
export class FluxSopsGenerator extends Generator<Record<string, unknown>, Options> {
  constructor(args: string[] | undefined, options: BaseOptions | undefined, features: BaseFeatures | undefined) {
    super(args, options, {
      ...features,
      unique: 'namespace',
      customInstallTask: true,
      customCommitTask: () => commitAllOrNothing(this.env),
    });
    reportCancellationAsOurs(this.env?.adapter);
    // Run inside a fleet (`yo flux-sops` in one of its folders), the generators act on that fleet:
    // a fleet is never nested in another.
    const fleet = this.env && !this.options.help ? findEnclosingFleet(this.destinationRoot()) : undefined;
    if (fleet !== undefined && fleet !== this.destinationRoot()) {
      this.destinationRoot(fleet);
      this.log.writeln(`The fleet in ${fleet} (found upward by its ${STORED_ANSWERS_FILE}):`);
    }
    // `yo <generator> --help` constructs the generator without a logger.
    const log = this.log as typeof this.log | undefined;
    if (log?.error) {
      const error = log.error.bind(log);
      log.error = ((message: unknown, ...rest: unknown[]) =>
        typeof message === 'string' && message.startsWith('An error occured while running')
          ? log
          : error(message as string, ...(rest as []))) as typeof log.error;
    }
  }

  readonly #placeholders = new Map<string, string>([['answers', '<file>']]);

  /** Declares `--option` for each input (per-environment ones as repeatable ENV=VALUE), and the run options. */
  declareOptions(inputs: readonly InputDeclaration[], perEnvironment: readonly InputDeclaration[] = []): void {
    for (const input of inputs.filter((each) => !each.structured)) {
      this.option(input.option, { type: input.boolean ? Boolean : String, description: optionDescription(input) });
      if (!input.boolean) {
        this.#placeholders.set(input.option, input.placeholder);
      }
    }
    for (const input of perEnvironment) {
      this.option(input.option, { type: String, description: perEnvironmentOptionDescription(input) });
      this.#placeholders.set(input.option, `<env>=${input.placeholder}`);
    }
    for (const option of runOptions) {
      this.option(option.name, { type: Boolean, description: option.description });
    }
  }

  /**
   * `yo flux-sops --help`: the product's options with named placeholders, in two columns, without
   * Yeoman's own options that do nothing here (install, cache, ask-answered).
   */
  override optionsHelp(): string {
    const options = (
      this as unknown as { _options: Record<string, { name: string; description?: string; hide?: boolean }> }
    )._options;
    const unused = new Set(['skip-install', 'force-install', 'skip-cache', 'ask-answered']);
    const rows = Object.values(options)
      .filter((option) => !option.hide && !unused.has(option.name))
      .map((option): [string, string] => [
        `--${option.name}${this.#placeholders.has(option.name) ? ` ${this.#placeholders.get(option.name)}` : ''}`,
        option.description ?? '',
      ]);
    rows.push(['--no-interactive', 'Never prompt; a missing required input is an error']);
    const width = Math.max(...rows.map(([flag]) => flag.length));
    return rows.map(([flag, description]) => `  ${flag.padEnd(width)}  ${description}`).join('\n');
  }

  /**
   * Under `yo`, which prints an error's message as it is, a problem reads as under `flux-sops`:
   * `flux-sops: …` (flux-sops adds the prefix itself when it prints, and says it runs the generators).
   */
  override async executeTask(...args: Parameters<Generator['executeTask']>): Promise<void> {
    try {
      await super.executeTask(...args);
    } catch (raised) {
      const error = asCancellation(raised);
      if (
        this.options[RUN_BY_FLUX_SOPS] !== true &&
        isFluxSopsError(error) &&
        error.kind !== 'cancelled' &&
        !error.message.startsWith('flux-sops: ')
      ) {
        throw new FluxSopsError(error.kind, `flux-sops: ${error.message}`);
      }
      throw error;
    }
  }

  /** Yeoman's prompt, with the product's question type; Ctrl-C at a question is the product's own cancellation. */
  readonly ask: Ask = async (questions) => {
    try {
      return (await this.prompt(questions as never)) as Record<string, unknown>;
    } catch (error) {
      throw asCancellation(error);
    }
  };

  /** The fleet being written, read through the one file-system edge (Yeoman itself writes through mem-fs). */
  get disk(): FleetDisk {
    return fleetDisk(this.destinationRoot());
  }

  /**
   * The stored answers of the fleet an environment or a tenant is added to: a fleet error when the
   * folder holds none (not a fleet) or holds a fleet written before tenants.
   */
  storedFleetAnswers(): RawAnswers {
    const stored = readAnswersObject(this.config.getAll(), `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`);
    return answersToAddTo(stored, (path) => this.disk.exists(path));
  }

  /**
   * Writes what adding an environment or a tenant planned: the edited fleet files checked
   * writable first, then the new files (see writePlannedFiles) and the edits.
   */
  writeAddition(plan: { readonly files: readonly PlannedFile[]; readonly edits: readonly PlannedFile[] }): void {
    this.disk.assertWritable(plan.edits.map((edit) => edit.path));
    writePlannedFiles(this, plan.files, this.interactive);
    for (const edit of plan.edits) {
      writeEditedFile(this, edit.path, edit.contents);
    }
  }

  get interactive(): boolean {
    return isInteractive(this.options.interactive);
  }
}

/** Prompts only with a terminal on stdin and outside CI; `--interactive`/`--no-interactive` override. */
export function isInteractive(option: unknown): boolean {
  if (typeof option === 'boolean') {
    return option;
  }
  return promptsByDefault(Boolean(process.stdin.isTTY), process.env);
}

type OnDisk = 'missing' | 'identical' | 'kept' | 'generated' | 'different';

/**
 * How a planned file stands on disk: read once, for both the write pre-flight and the conflicts.
 * `generated` means the file is what the previous answers generated, or a checker of any version as
 * generated (so replacing it loses no edit of the user's). A path that cannot even be looked at (a
 * file where a folder must go) counts as missing: the pre-flight then says why it cannot be
 * written.
 */
function onDisk(root: string, file: PlannedFile, previous: ReadonlyMap<string, string>): OnDisk {
  const path = join(root, file.path);
  try {
    const stats = lstatSync(path, { throwIfNoEntry: false });
    if (!stats) {
      return 'missing';
    }
    const contents = stats.isFile() ? readFileSync(path, 'utf8') : undefined;
    if (contents === file.contents) {
      return 'identical';
    }
    if (file.createOnly) {
      return 'kept'; // filled by flux bootstrap: kept as it is, whatever it holds
    }
    if (file.path === FLEET_CHECKER_FILE && contents !== undefined && isUneditedChecker(Buffer.from(contents))) {
      return 'generated'; // the checker of another version, as generated: refreshed
    }
    return contents !== undefined && previous.get(file.path) === contents ? 'generated' : 'different';
  } catch {
    return 'missing';
  }
}

export function conflictError(files: readonly string[]): FluxSopsError {
  return new FluxSopsError(
    'conflict',
    'These files differ from what would be generated (edited by hand?):\n' +
      `${files.map((file) => `  ${file}`).join('\n')}\n` +
      'Nothing was written. Re-run in a terminal to decide file by file, or with --force to overwrite them.',
  );
}

/**
 * Hands planned files to Yeoman's file system, after checking that every one of them (and the
 * stored answers) can be written, so a run either writes the whole fleet or nothing. `previous`
 * is what the stored answers generate: a file still as they generated it is updated without a
 * question (a re-run with a new `--oidc-issuer` just updates the trust policy). A file the user
 * edited is a conflict: without a terminal the run stops before anything is written unless
 * `--force`; in a terminal Yeoman's conflicter asks file by file (see commitAllOrNothing).
 */
export function writePlannedFiles(
  generator: Generator<Record<string, unknown>, Options>,
  files: readonly PlannedFile[],
  interactive: boolean,
  previous: readonly PlannedFile[] = [],
): void {
  const root = generator.destinationRoot();
  const previousContents = new Map(previous.map((file) => [file.path, file.contents]));
  const states = files.map((file) => ({ file, state: onDisk(root, file, previousContents) }));
  // Identical files are not written again (commitAllOrNothing); the storage file may change.
  fleetDisk(root).assertWritable([
    ...states.filter(({ state }) => state !== 'identical' && state !== 'kept').map(({ file }) => file.path),
    STORED_ANSWERS_FILE,
  ]);
  if (!interactive && !generator.options.force) {
    // Files that exist with other content than generated: the user's edits, never overwritten silently.
    const conflicts = states.filter(({ state }) => state === 'different').map(({ file }) => file.path);
    if (conflicts.length > 0) {
      throw conflictError(conflicts);
    }
  }
  for (const { file, state } of states) {
    if (state === 'kept') {
      generator.log.skip(file.path);
      continue;
    }
    if (state === 'generated') {
      writeEditedFile(generator, file.path, file.contents);
    } else {
      generator.fs.write(generator.destinationPath(file.path), file.contents);
    }
  }
}

/**
 * Yeoman's terminal adapter aborts the whole run with the prompt library's own error when the
 * user presses Ctrl-C at any question (its conflict questions included), before the generator
 * can catch it; `yo` would then print "User force closed the prompt with SIGINT" and exit 1. The
 * adapter's abort reason becomes the product's cancellation instead (exit 130, under yo too).
 */
function reportCancellationAsOurs(adapter: unknown): void {
  const candidates = [adapter, (adapter as { actualAdapter?: unknown } | undefined)?.actualAdapter];
  for (const candidate of candidates) {
    const controller = (candidate as { abortController?: AbortController & { fluxSops?: boolean } } | undefined)
      ?.abortController;
    if (controller && !controller.fluxSops) {
      const abort = controller.abort.bind(controller);
      controller.abort = (reason?: unknown) => abort(asCancellation(reason));
      controller.fluxSops = true;
    }
  }
}

/** Marks a planned write as an edit of an existing fleet file (the user's content kept): it never asks. */
function writeEditedFile(generator: Generator<Record<string, unknown>, Options>, path: string, contents: string): void {
  const fullPath = generator.destinationPath(path);
  generator.fs.write(fullPath, contents);
  Object.assign(generator.fs.store.get(fullPath), { fluxSopsEdit: true });
}

interface PendingFile {
  path: string;
  contents: Buffer | null;
  conflicter?: string;
  fluxSopsEdit?: boolean;
  fluxSopsUpdate?: boolean;
}

type Logger = { write(text: string): unknown; identical(path: string): unknown };

/**
 * The commit task of the product's generators (their `customCommitTask` feature): Yeoman's
 * commit pipeline (its conflicter, then its writes), with three changes.
 * - A file identical on disk is logged `identical` and not written again, so an unchanged re-run
 *   writes nothing, not even `.yo-rc.json`.
 * - The stored answers and the fleet files a generator edited in place (writeEditedFile) are
 *   logged `update` and never asked about: the user's content in them is kept by the edit.
 * - Every write is held back until the conflicter has settled every file. Yeoman's conflicter
 *   handles files in parallel and writes each one as soon as it is settled, so Ctrl-C at a
 *   conflict question would otherwise leave the files settled before it written: a fleet neither
 *   old nor new. The stored answers are written last, so a run that fails while writing does not
 *   record answers it did not apply.
 * Unlike Yeoman's default commit, `.yo-resolve` files are not consulted: looking them up costs
 * several stat calls per file, and the decisions they would automate are made here by `--force`
 * or at the prompt.
 */
export async function commitAllOrNothing(environment: unknown): Promise<void> {
  const [{ createConflicterTransform }, { createCommitTransform }, { clearFileState, isFilePending }] =
    await Promise.all([import('@yeoman/conflicter'), import('mem-fs-editor/transform'), import('mem-fs-editor/state')]);
  const { adapter, conflicterOptions, sharedFs } = environment as {
    adapter: Parameters<typeof createConflicterTransform>[0];
    conflicterOptions?: Parameters<typeof createConflicterTransform>[1];
    sharedFs: { pipeline: (options: unknown, ...transforms: unknown[]) => Promise<void> };
  };
  const log = (adapter as unknown as { log: Logger }).log;
  const cwd = (conflicterOptions as { cwd?: string } | undefined)?.cwd ?? process.cwd();
  const settleKnownFiles = new Transform({
    objectMode: true,
    transform(file: PendingFile, _encoding, callback) {
      const onDiskContents = lstatSync(file.path, { throwIfNoEntry: false })?.isFile()
        ? readFileSync(file.path)
        : undefined;
      const shown = relative(cwd, file.path);
      if (onDiskContents !== undefined && file.contents !== null && onDiskContents.equals(file.contents)) {
        log.identical(shown);
        clearFileState(file as never);
        callback();
        return;
      }
      if (onDiskContents !== undefined && (file.fluxSopsEdit || file.path.endsWith(`/${STORED_ANSWERS_FILE}`))) {
        file.conflicter = 'update'; // settled: never asked about
        // Logged once every file is settled: after Ctrl-C at a question, nothing was updated.
        file.fluxSopsUpdate = true;
      }
      callback(null, file);
    },
  });
  try {
    await sharedFs.pipeline(
      { filter: isFilePending },
      settleKnownFiles,
      createConflicterTransform(adapter, conflicterOptions),
      holdUntilAllSettled((file) => {
        if (file.fluxSopsUpdate) {
          // Yeoman's logger has no `update` status: written in its layout (statuses right-aligned to "identical").
          log.write(`   update ${relative(cwd, file.path)}\n`);
        }
      }),
      createCommitTransform(),
    );
  } catch (error) {
    throw asCancellation(error);
  }
}

/**
 * Passes files on only once all have arrived, in their order, the stored answers last; `release`
 * sees each as it goes.
 */
function holdUntilAllSettled(release: (file: PendingFile) => void): Transform {
  const held: PendingFile[] = [];
  return new Transform({
    objectMode: true,
    transform(file: PendingFile, _encoding, callback) {
      held.push(file);
      callback();
    },
    flush(callback) {
      const isStoredAnswers = (file: PendingFile) => file.path.endsWith(`/${STORED_ANSWERS_FILE}`);
      for (const file of [...held.filter((file) => !isStoredAnswers(file)), ...held.filter(isStoredAnswers)]) {
        release(file);
        this.push(file);
      }
      callback();
    },
  });
}
