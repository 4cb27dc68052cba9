// Shared test helpers: running the generators in temporary folders, reading written trees,
// and comparing them with the committed golden trees.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import helpers from 'yeoman-test';
import FleetGenerator from '../generators/app/index.js';

export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
export const goldenRoot = join(projectRoot, 'test', 'golden');
export const exampleAnswers = join(projectRoot, 'examples', 'fleet.yaml');

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
 * Compares a written tree with test/golden/<scenario> byte for byte. `UPDATE_GOLDEN=1`
 * rewrites the golden tree instead: review its diff like code before committing.
 */
export function assertMatchesGolden(scenario: string, tree: Tree): void {
  const goldenDir = join(goldenRoot, scenario);
  if (process.env.UPDATE_GOLDEN === '1') {
    // Under CI a refresh would turn every golden comparison into a test that cannot fail.
    assert.ok(!process.env.CI, 'UPDATE_GOLDEN is refused under CI: refresh golden files locally and review their diff');
    rmSync(goldenDir, { recursive: true, force: true });
    writeTree(goldenDir, tree);
    return;
  }
  assert.ok(existsSync(goldenDir), `No golden tree for ${scenario}: run the tests with UPDATE_GOLDEN=1 and review it`);
  const golden = readTree(goldenDir);
  assert.deepEqual(Object.keys(tree), Object.keys(golden), `${scenario}: the written files differ from the golden list`);
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
