#!/usr/bin/env node
// `node scripts/make-large-fleet.mjs <dir> [environments=100]`: writes a fleet of N environments
// for measuring `flux-sops check`, without the generator: the committed golden example's
// `staging` environment (every file under clusters/, tenants/, secrets/, iam/ and terraform/ that names it)
// copied N times as env-001, env-002, …, with one .sops.yaml rule and one stored environment
// each. It does not depend on the planner, so the measurement works while the planner changes.
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const golden = join(root, 'test', 'golden', 'example');
const TEMPLATE_ENVIRONMENT = 'staging';

function filesUnder(folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** The fleet's files by POSIX path (every file, not only those `check` reads). */
export function largeFleetFiles(count = 100) {
  const environments = Array.from({ length: count }, (_, index) => `env-${String(index + 1).padStart(3, '0')}`);
  const templates = ['clusters', 'tenants', 'secrets', 'iam', 'terraform']
    .map((folder) => join(golden, folder, TEMPLATE_ENVIRONMENT))
    .filter((folder) => statSync(folder, { throwIfNoEntry: false })?.isDirectory())
    .flatMap(filesUnder)
    .map((path) => ({ path: relative(golden, path).split('\\').join('/'), contents: readFileSync(path, 'utf8') }));
  const written = new Map();
  const rename = (text, environment) => text.replaceAll(TEMPLATE_ENVIRONMENT, environment);
  for (const environment of environments) {
    for (const { path, contents } of templates) {
      written.set(rename(path, environment), rename(contents, environment));
    }
  }
  const sopsConfig = readFileSync(join(golden, '.sops.yaml'), 'utf8');
  const [header, rules] = sopsConfig.split('creation_rules:\n');
  const stagingRule = rules.split(/\n(?=  - )/)[0].trimEnd();
  written.set(
    '.sops.yaml',
    `${header}creation_rules:\n${environments.map((environment) => rename(stagingRule, environment)).join('\n')}\n`,
  );
  const stored = JSON.parse(readFileSync(join(golden, '.yo-rc.json'), 'utf8'));
  stored['generator-flux-sops'].environments = environments;
  written.set('.yo-rc.json', `${JSON.stringify(stored, null, 2)}\n`);
  for (const name of ['README.md', '.gitignore']) {
    written.set(name, readFileSync(join(golden, name), 'utf8'));
  }
  return written;
}

/** Writes the fleet into `destination`; returns the number of files written. */
export function makeLargeFleet(destination, count = 100) {
  const files = largeFleetFiles(count);
  for (const [path, contents] of files) {
    mkdirSync(dirname(join(destination, path)), { recursive: true });
    writeFileSync(join(destination, path), contents);
  }
  return files.size;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [destination, count = '100'] = process.argv.slice(2);
  if (!destination) {
    process.stderr.write('Usage: node scripts/make-large-fleet.mjs <dir> [environments=100]\n');
    process.exit(2);
  }
  process.stdout.write(`${makeLargeFleet(destination, Number(count))} files written to ${destination}\n`);
}
