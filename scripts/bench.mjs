// `npm run bench`: what people wait for (generation and how it grows, check and the fleet's
// bundled copy of it, an invalid input, --help, --version; BENCH_TESTS=1 adds the test suite).
// Prints figures, never fails on a slow machine. Whole-process timings are compared with
// baselines measured in the same run (an empty generator on the same yeoman-environment, and
// `node -e 0`), so the ratios hold on a noisy shared machine where the absolute numbers do not.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const baseline = join(root, 'scripts', 'bench-empty-generator.mjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const scratch = mkdtempSync(join(tmpdir(), 'flux-sops-bench-'));

function answersFor(count) {
  const path = join(scratch, `answers-${count}.json`);
  const environments = Array.from({ length: count }, (_, index) => `env-${index + 1}`);
  writeFileSync(
    path,
    JSON.stringify({ accountId: '123456789012', repoUrl: 'https://github.com/acme/apps.git', environments }),
  );
  return path;
}

function runOnce({ args, freshFolder = false, allowFailure = false }) {
  const finalArgs = freshFolder ? [...args, mkdtempSync(join(scratch, 'fleet-'))] : args;
  const start = process.hrtime.bigint();
  try {
    execFileSync(process.execPath, finalArgs, { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
  } catch (error) {
    if (!allowFailure) {
      throw error;
    }
  }
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/**
 * Runs every command once per round, round after round, so that a burst of load on the
 * machine hits all of them alike instead of skewing whichever ran at that moment.
 */
function timeProcessesInterleaved(commands) {
  const samples = commands.map(() => []);
  for (let round = 0; round < RUNS; round += 1) {
    commands.forEach((command, index) => samples[index].push(runOnce(command)));
  }
  return samples.map(summarize);
}

function timeInProcess(action, runs = RUNS) {
  const samples = [];
  for (let run = 0; run < runs; run += 1) {
    const start = process.hrtime.bigint();
    action();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return summarize(samples);
}

function summarize(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1) };
}

const format = (ms) => `${ms.toFixed(1).padStart(8)} ms`;
const rows = [];
const record = (label, stats) => {
  rows.push([label, stats]);
  console.log(
    `${label.padEnd(44)} median ${format(stats.median)}   min ${format(stats.min)}   max ${format(stats.max)}`,
  );
  return stats;
};

console.log(`flux-sops bench: ${RUNS} interleaved runs each, Node ${process.version}\n`);
const sizes = [1, 3, 10, 100];
// check reads a 100-environment fleet (about 1,000 files): the golden example's staging copied
// 100 times, so the measurement does not depend on the generator.
const { makeLargeFleet } = await import('./make-large-fleet.mjs');
const checkedFleet = mkdtempSync(join(scratch, 'checked-'));
makeLargeFleet(checkedFleet, 100);
// The fleet's own copy of the checker, as the generator writes it: CI and pre-commit run it.
const bundledChecker = join(checkedFleet, '.flux-sops', 'check.cjs');
mkdirSync(join(checkedFleet, '.flux-sops'));
copyFileSync(join(root, 'dist', 'check.cjs'), bundledChecker);
const commands = [
  { label: 'node -e 0', args: ['-e', '0'] },
  { label: 'empty generator (yeoman-environment)', args: [baseline], freshFolder: true },
  ...sizes.map((count) => ({
    label: `flux-sops --answers (${count} env)`,
    args: [cli, '--answers', answersFor(count), '--no-interactive'],
    freshFolder: true,
  })),
  // check exits 0 (clean but for pending placeholders) or 1; either way it read the whole fleet.
  { label: 'flux-sops check (100 env)', args: [cli, 'check', checkedFleet], allowFailure: true },
  { label: 'node .flux-sops/check.cjs (100 env)', args: [bundledChecker, checkedFleet], allowFailure: true },
  // Answered before the framework loads: an invalid input (exit 2), --help, --version.
  {
    label: 'flux-sops with an invalid account ID',
    args: [cli, '--account-id', '12345', '--repo-url', 'https://github.com/acme/apps.git', '--no-interactive'],
    freshFolder: true,
    allowFailure: true,
  },
  { label: 'flux-sops --help', args: [cli, '--help'] },
  { label: 'flux-sops --version', args: [cli, '--version'] },
];
const [nodeBaseline, emptyGenerator, ...rest] = timeProcessesInterleaved(commands).map((stats, index) =>
  record(commands[index].label, stats),
);
const generation = Object.fromEntries(sizes.map((count, index) => [count, rest[index]]));
const [check, bundledCheck, fastFail, help, version] = rest.slice(sizes.length);

/**
 * Reading the 100-environment fleet's YAML and JSON in a fresh process (the cost check pays cold):
 * the library's import and the parse of every file, timed inside the process, files read first.
 */
function parseTimeScript(reader) {
  const parse = {
    yaml:
      "const { parseAllDocuments } = await import('yaml'); for (const [path, text] of files) { " +
      "if (path.endsWith('.json')) JSON.parse(text); " +
      'else for (const document of parseAllDocuments(text)) document.toJS(); }',
    'js-yaml':
      "const { loadAll } = await import('js-yaml'); for (const [path, text] of files) { " +
      "if (path.endsWith('.json')) JSON.parse(text); else loadAll(text); }",
    check:
      `const { parseFleetFile } = await import(${JSON.stringify(join(root, 'dist', 'src', 'check', 'parse.js'))}); ` +
      'for (const [path, text] of files) parseFleetFile(path, text);',
  }[reader];
  return [
    `import { readdirSync, readFileSync } from 'node:fs';`,
    `const files = [];`,
    'const walk = (folder, prefix) => { for (const entry of readdirSync(folder, { withFileTypes: true })) { ' +
      "if (entry.isDirectory()) walk(folder + '/' + entry.name, prefix + entry.name + '/'); " +
      'else if (/\\.(ya?ml|json)$/.test(entry.name)) ' +
      "files.push([prefix + entry.name, readFileSync(folder + '/' + entry.name, 'utf8')]); } };",
    `walk(${JSON.stringify(checkedFleet)}, '');`,
    `const start = performance.now();`,
    parse,
    `process.stdout.write(String(performance.now() - start));`,
  ].join('\n');
}
const readers = ['yaml', 'js-yaml', 'check'];
const parseSamples = readers.map(() => []);
for (let round = 0; round < RUNS; round += 1) {
  readers.forEach((reader, index) => {
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', parseTimeScript(reader)], {
      cwd: root,
      encoding: 'utf8',
    });
    parseSamples[index].push(Number(output));
  });
}
const [parseYaml, parseJsYaml, parseCheck] = readers.map((reader, index) =>
  record(
    `parse the 100-env fleet, cold: ${reader === 'check' ? "check's reader" : reader}`,
    summarize(parseSamples[index]),
  ),
);

const { planFleet } = await import(join(root, 'dist', 'src', 'fleet', 'plan.js'));
const { validateAnswers, readAnswersObject } = await import(join(root, 'dist', 'src', 'fleet', 'answers.js'));
const answersOf = (count) =>
  validateAnswers(
    readAnswersObject(
      {
        accountId: '123456789012',
        repoUrl: 'https://github.com/acme/apps.git',
        environments: Array.from({ length: count }, (_, i) => `env-${i + 1}`),
      },
      'bench',
    ),
    () => '',
  );
planFleet(answersOf(1)); // compile the templates once, as a real run does
const plan100 = record(
  'planFleet in process (100 env)',
  timeInProcess(() => planFleet(answersOf(100))),
);
const plan1000 = record(
  'planFleet in process (1,000 env)',
  timeInProcess(() => planFleet(answersOf(1000)), Math.min(RUNS, 5)),
);

// The test suite, once (it takes minutes): BENCH_TESTS=1 npm run bench.
let suite;
if (process.env.BENCH_TESTS === '1') {
  const start = process.hrtime.bigint();
  execFileSync(process.execPath, [join(root, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--reporter', 'dot'], {
    cwd: root,
    stdio: 'ignore',
  });
  suite = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(`${'mocha (the npm test suite, after the build)'.padEnd(44)} ${format(suite)} (one run)`);
}

const ratio = (a, b) => `${(a / b).toFixed(2)}x`;
console.log('\nRatios (medians; targets in brackets):');
console.log(`  3 env / empty generator            ${ratio(generation[3].median, emptyGenerator.median)}   [<= 1.10x]`);
console.log(`  100 env / 3 env                    ${ratio(generation[100].median, generation[3].median)}   [<= 1.50x]`);
console.log(
  `  per-environment cost (1 -> 100)    ${((generation[100].median - generation[1].median) / 99).toFixed(2)} ms`,
);
console.log(`  check 100 env / node -e 0          ${ratio(check.median, nodeBaseline.median)}   [<= 3.00x]`);
console.log(`  bundled check / flux-sops check    ${ratio(bundledCheck.median, check.median)}   [<= 1.00x]`);
console.log(`  invalid input / node -e 0          ${ratio(fastFail.median, nodeBaseline.median)}   [<= 3.00x]`);
console.log(`  --help / node -e 0                 ${ratio(help.median, nodeBaseline.median)}   [<= 3.00x]`);
console.log(`  --version / node -e 0              ${ratio(version.median, nodeBaseline.median)}   [<= 3.00x]`);
console.log(`  cold parse: yaml / js-yaml          ${ratio(parseYaml.median, parseJsYaml.median)}`);
console.log(`  cold parse: yaml / check's reader   ${ratio(parseYaml.median, parseCheck.median)}`);
console.log(`  planFleet 1,000 env / 100 env      ${ratio(plan1000.median, plan100.median)}   [~10x is linear]`);
if (suite !== undefined) {
  console.log(`  test suite                         ${(suite / 1000).toFixed(1)} s   [<= 120 s]`);
}

rmSync(scratch, { recursive: true, force: true });
