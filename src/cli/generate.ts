// `flux-sops [dir]` and `flux-sops env <name>`: validate what can be validated without Yeoman
// (options, answers file, stored answers), then run the package's generators through
// yeoman-environment, loaded only now: a bad value is answered before the framework loads.
import { existsSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { dirname, extname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asCancellation, FluxSopsError, isFluxSopsError, RUN_BY_FLUX_SOPS } from '../errors.js';
import { readAnswersFile } from '../fleet/answers-file.js';
import {
  howToGive,
  mergeAnswers,
  parseOptionAnswers,
  readAnswersObject,
  readEnvironmentOptions,
  readOptionAnswers,
  type RawAnswers,
  validateAnswers,
} from '../fleet/inputs.js';
import { findEnclosingFleet } from '../fleet/fleet-root.js';
import { NOT_A_FLEET, README_FILE, SOPS_CONFIG_FILE, STORED_ANSWERS_FILE, STORAGE_NAME } from '../fleet/layout.js';
import { planAddEnvironment, planAddTenant, refusePreTenantFleet } from '../fleet/plan.js';
import { readTenantOptions } from '../fleet/tenants.js';
import { packageRoot } from '../version.js';
import { acquireFleetLock, assertWritable } from '../disk/writer.js';
import { type ParsedValues } from './command-spec.js';

/** Prompts only with a terminal on stdin and outside CI; `--interactive`/`--no-interactive` override. */
export function isInteractive(values: ParsedValues): boolean {
  if (values['no-interactive']) {
    return false;
  }
  if (values.interactive) {
    return true;
  }
  return Boolean(process.stdin.isTTY) && !process.env.CI;
}

/** The stored answers of a fleet folder (empty when there are none); a broken `.yo-rc.json` is named. */
export function readStoredAnswers(folder: string): RawAnswers {
  const path = join(folder, STORED_ANSWERS_FILE);
  let stats;
  try {
    stats = statSync(folder, { throwIfNoEntry: false });
  } catch {
    return {}; // below a file (ENOTDIR): the write pre-flight names the file
  }
  if (stats?.isDirectory() === false) {
    throw new FluxSopsError('usage', `${folder} is a file: give the folder to write the fleet into`);
  }
  if (!existsSync(path)) {
    return {};
  }
  let stored: Record<string, unknown>;
  try {
    stored = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    throw new FluxSopsError(
      'fleet',
      `${path} is not valid JSON (${(error as Error).message}): fix it, or remove it to give the answers again`,
    );
  }
  const answers = stored?.[STORAGE_NAME];
  return answers === undefined ? {} : readAnswersObject(answers, `${STORED_ANSWERS_FILE} (${STORAGE_NAME})`);
}

/**
 * Where `flux-sops [dir]` generates. Without a folder: the fleet the current folder is in (found
 * upward by its `.yo-rc.json`), else the current folder. A folder inside an existing fleet other
 * than its root is refused: a fleet is never nested in another.
 */
export function generationDestination(cwd: string, dir: string | undefined): string {
  if (dir === undefined) {
    return findEnclosingFleet(cwd) ?? cwd;
  }
  const destination = resolve(cwd, dir);
  const enclosing = findEnclosingFleet(destination);
  if (enclosing !== undefined && enclosing !== destination) {
    throw new FluxSopsError(
      'usage',
      `${dir} is inside the fleet at ${enclosing}: a fleet cannot hold another one. To change that fleet, run flux-sops there (or anywhere inside it) without a folder; for a new fleet, give a folder outside it. Nothing was written.`,
    );
  }
  return destination;
}

/** Options as the generators take them: the parsed values without the command line's own. */
function generatorOptions(values: ParsedValues, interactive: boolean): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(values)) {
    if (!['debug', 'help', 'version', 'no-interactive', 'cwd'].includes(key)) {
      options[key] = value;
    }
  }
  options.interactive = interactive;
  return options;
}

/** Validates the main generator's inputs before Yeoman loads, when nothing will be prompted. */
export function validateFleetInputs(destination: string, values: ParsedValues, interactive: boolean): void {
  const stored = readStoredAnswers(destination);
  refusePreTenantFleet(stored, (path) => existsSync(join(destination, path)));
  const fromFile = typeof values.answers === 'string' ? readAnswersFile(values.answers) : {};
  if (!interactive) {
    validateAnswers(
      mergeAnswers(stored, fromFile, readOptionAnswers(values, mergeAnswers(stored, fromFile))),
      howToGive(false),
    );
  } else {
    parseOptionAnswers(values); // malformed options now; the rest once the prompts have given the environments
  }
}

/**
 * The stored answers of a fleet a sub-generator adds to, and a reader of its files (null when
 * missing). Not a fleet, or a fleet from before tenants: exit 2.
 */
function fleetToAddTo(fleet: string): { stored: RawAnswers; read: (file: string) => string | null } {
  const stored = readStoredAnswers(fleet);
  if (Object.keys(stored).length === 0) {
    throw new FluxSopsError('fleet', NOT_A_FLEET);
  }
  refusePreTenantFleet(stored, (path) => existsSync(join(fleet, path)));
  return { stored, read: (file) => (existsSync(join(fleet, file)) ? readFileSync(join(fleet, file), 'utf8') : null) };
}

/** Plans `env <name>` once before Yeoman loads, so every problem is reported without it. */
export function validateEnvironmentInputs(fleet: string, name: string, values: ParsedValues): void {
  const { stored, read } = fleetToAddTo(fleet);
  planAddEnvironment(
    stored,
    name,
    readEnvironmentOptions(name, values),
    read(SOPS_CONFIG_FILE),
    read(README_FILE),
    read,
  );
}

/** Plans `tenant add <name>` once before Yeoman loads, so every problem is reported without it. */
export function validateTenantInputs(fleet: string, name: string, values: ParsedValues): void {
  const { stored, read } = fleetToAddTo(fleet);
  const entry = readTenantOptions(name, values);
  // Interactive runs ask for a missing repoUrl: what can be checked without it is checked now.
  if (entry.repoUrl !== undefined || !isInteractive(values)) {
    planAddTenant(stored, entry, read);
  }
}

export async function runGenerator(
  name: 'app' | 'env' | 'tenant',
  destination: string,
  values: ParsedValues,
  positionals: string[],
): Promise<void> {
  const interactive = isInteractive(values);
  const { default: Environment } = await import('yeoman-environment');
  const environment = new Environment({ cwd: destination, skipInstall: true, force: Boolean(values.force) } as never);
  // index.js when compiled, index.ts when the sources run through tsx (the tests). Registered as
  // the imported class: yeoman-environment would require() a path first, which ESM sources refuse.
  const generatorUrl = new URL(
    `../../generators/${name}/index${extname(fileURLToPath(import.meta.url))}`,
    import.meta.url,
  );
  const { default: generator } = (await import(generatorUrl.href)) as { default: unknown };
  (environment as unknown as { registerStub: (...args: unknown[]) => unknown }).registerStub(
    generator,
    `flux-sops:${name}`,
    fileURLToPath(generatorUrl),
    packageRoot(),
  );
  // Yeoman creates the destination when it starts: a folder it cannot create is said first.
  assertWritable(destination, []);
  const firstMissing = firstMissingFolder(destination);
  // An existing fleet is read and written under its lock, as every writing command does: two
  // runs at once (an env add and a seal, two env adds) never lose each other's edits.
  const lock = existsSync(join(destination, STORED_ANSWERS_FILE)) ? acquireFleetLock(destination) : undefined;
  try {
    await environment.run([`flux-sops:${name}`, ...positionals], {
      ...generatorOptions(values, interactive),
      skipInstall: true,
      [RUN_BY_FLUX_SOPS]: true,
    } as never);
  } catch (raised) {
    const error = asCancellation(raised);
    if (firstMissing !== undefined) {
      removeEmptyFolders(destination, firstMissing);
    }
    if (isFluxSopsError(error) && error.kind === 'cancelled') {
      // The generators write nothing before every question is answered; say so only if true.
      const files = (
        environment as unknown as { sharedFs: { all(): { path: string; committed?: boolean }[] } }
      ).sharedFs.all();
      const written = files.filter((file) => file.committed).map((file) => relative(destination, file.path));
      throw new FluxSopsError(
        'cancelled',
        written.length === 0
          ? 'Cancelled: nothing was written.'
          : `Cancelled, after these files were written: ${written.join(', ')}`,
      );
    }
    // The generators check every path before writing; a system error still possible while
    // Yeoman writes (disk full, I/O error) must not leave a fleet that looks finished.
    if ((error as NodeJS.ErrnoException).syscall !== undefined) {
      throw new FluxSopsError(
        'unwritable',
        `${(error as Error).message}\nThe files in ${destination} may be incomplete: fix the cause and run the same command again (it completes them).`,
      );
    }
    throw error;
  } finally {
    lock?.release();
  }
}

/** The outermost folder of destination that does not exist yet (Yeoman creates it on start). */
function firstMissingFolder(destination: string): string | undefined {
  let missing: string | undefined;
  for (let folder = destination; !existsSync(folder); folder = dirname(folder)) {
    missing = folder;
  }
  return missing;
}

/** After a failed run, removes the folders it created, as long as they are still empty. */
function removeEmptyFolders(destination: string, outermost: string): void {
  for (let folder = destination; folder.startsWith(outermost); folder = dirname(folder)) {
    try {
      rmdirSync(folder);
    } catch {
      return; // not empty (or already gone): keep it
    }
  }
}
