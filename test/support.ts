// Shared test helpers: running the generators in temporary folders, reading written trees,
// and comparing them with the committed golden trees.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import helpers from 'yeoman-test';
import FleetGenerator from '../generators/app/index.js';
import { fleetDisk } from '../src/disk/index.js';
import { FluxSopsError } from '../src/errors.js';
import { FLEET_CHECKER_FILE, SHIPPED_CHECKER_FILE } from '../src/fleet/layout.js';
import { type RawAnswers, validateAnswers } from '../src/fleet/answers.js';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
/**
 * The checker the package ships, which every generated fleet carries: bundled from the current
 * sources once per test run (when this module is first loaded), as `npm run build` bundles it.
 */
export const shippedCheckerFile = join(projectRoot, SHIPPED_CHECKER_FILE);
execFileSync(process.execPath, [join(projectRoot, 'scripts', 'bundle-check.mjs')], { stdio: 'inherit' });
export const goldenRoot = join(projectRoot, 'test', 'golden');
export const exampleAnswers = join(projectRoot, 'examples', 'fleet.yaml');

/** The fleet's YAML and JSON files that Git would commit (what flux-sops check reads), by POSIX path. */
export function readFleetFiles(root: string): Map<string, string> {
  return fleetDisk(root).committed().texts;
}

export type Tree = Record<string, string>;

/** Every file under dir, by POSIX path relative to it, in sorted order. */
export function readTree(dir: string): Tree {
  const tree: Tree = {};
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder).sort()) {
      const path = join(folder, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
      } else {
        tree[relative(dir, path).split('\\').join('/')] = readFileSync(path, 'utf8');
      }
    }
  };
  walk(dir);
  return tree;
}

/** One hash over paths and contents: equal hashes mean nothing was created, changed or removed. */
export function hashTree(dir: string): string {
  const hash = createHash('sha256');
  if (!existsSync(dir)) {
    return hash.update('(missing)').digest('hex');
  }
  for (const [path, contents] of Object.entries(readTree(dir))) {
    hash.update(`${path}\0${contents}\0`);
  }
  return hash.digest('hex');
}

export function writeTree(dir: string, tree: Tree): void {
  for (const [path, contents] of Object.entries(tree)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), contents);
  }
}

/**
 * A written tree as golden trees hold it: the fleet's checker (about 200 KB, changed by every
 * change to check's sources) as its SHA-256 in `.flux-sops/check.cjs.sha256`, once it is shown
 * to be byte for byte the checker the package ships.
 */
function goldenView(tree: Tree): Tree {
  const view: Tree = {};
  for (const [path, contents] of Object.entries(tree)) {
    if (path === FLEET_CHECKER_FILE) {
      assert.equal(contents, readFileSync(shippedCheckerFile, 'utf8'), `${path} is not the checker the package ships`);
      view[`${path}.sha256`] = `${createHash('sha256').update(contents).digest('hex')}  check.cjs\n`;
    } else {
      view[path] = contents;
    }
  }
  return view;
}

/**
 * Compares a written tree with test/golden/<scenario> byte for byte. `UPDATE_GOLDEN=1`
 * rewrites the golden tree instead: review its diff like code before committing.
 */
export function assertMatchesGolden(scenario: string, written: Tree): void {
  const goldenDir = join(goldenRoot, scenario);
  const tree = goldenView(written);
  if (process.env.UPDATE_GOLDEN === '1') {
    // Under CI a refresh would turn every golden comparison into a test that cannot fail.
    assert.ok(!process.env.CI, 'UPDATE_GOLDEN is refused under CI: refresh golden files locally and review their diff');
    rmSync(goldenDir, { recursive: true, force: true });
    writeTree(goldenDir, tree);
    return;
  }
  assert.ok(existsSync(goldenDir), `No golden tree for ${scenario}: run the tests with UPDATE_GOLDEN=1 and review it`);
  const golden = readTree(goldenDir);
  assert.deepEqual(
    Object.keys(tree),
    Object.keys(golden),
    `${scenario}: the written files differ from the golden list`,
  );
  for (const [path, contents] of Object.entries(golden)) {
    assert.equal(tree[path], contents, `${scenario}: ${path} differs from its golden copy`);
  }
}

/** The source file of a generator, given to yeoman-test as `yo` would resolve it. */
export function generatorFile(name: 'app' | 'env'): string {
  return join(projectRoot, 'generators', name, 'index.ts');
}

/**
 * Runs `yo flux-sops` without a terminal, in a fresh temporary folder. Resolved from its file,
 * as `yo` does, so the answers are stored under the package's name; and without the force
 * yeoman-test applies by default, as a user runs it.
 */
export function runFleetGenerator(options: Record<string, unknown>) {
  return helpers
    .run(FleetGenerator, { namespace: 'flux-sops:app', resolved: generatorFile('app') }, { force: false })
    .withOptions({ interactive: false, ...options } as Record<string, unknown>);
}

/** Writes answers to a JSON answers file in a fresh temporary folder, for `--answers`. */
export function writeAnswersFile(answers: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'answers-')), 'fleet.json');
  writeFileSync(path, JSON.stringify(answers));
  return path;
}

/** Two tenants in two environments, one of them in production only; ssh and https; an IRSA and a Pod Identity environment. */
export const TENANTS_ANSWERS = {
  accountId: '123456789012',
  region: 'eu-west-1',
  environments: ['staging', { name: 'production', identity: 'pod-identity', clusterName: 'prod-eu' }],
  tenants: [
    { name: 'shop', repoUrl: 'ssh://git@github.com/acme/shop.git' },
    {
      name: 'billing',
      namespace: 'payments',
      repoUrl: 'https://gitlab.example.com/acme/billing.git',
      branch: 'stable',
      path: './clusters/<env>/billing',
      environments: ['production'],
    },
  ],
};

/** The FluxSopsError a call throws (the test fails when it throws nothing, or something else). */
export function errorOf(run: () => unknown): FluxSopsError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof FluxSopsError, String(error));
    return error;
  }
  assert.fail('expected an error');
}

/** The error validating these raw answers throws; a missing input is told as `give <input>`. */
export const answersError = (raw: RawAnswers): FluxSopsError =>
  errorOf(() => validateAnswers(raw, (input) => `give ${input}`));
