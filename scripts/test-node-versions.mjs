// Runs the test suite (build + mocha, as `npm test` does) under every supported Node.js line:
// the machine's own Node, then Node 22, 24 and 26 installed from the npm registry's `node`
// package (its `bin/node` is the official binary). Each Node is put first on the PATH, so npm,
// tsc, mocha and the tests' child processes all run on it. Prints one summary line per version.
//
//   npm run test:node-versions                 the machine's Node, then 22, 24 and 26
//   npm run test:node-versions -- 24 26.10.0   only those (a major or an exact version; the machine's Node always runs)
//
// The Node installs are kept in .tmp/node-versions/ and updated to the newest release in range.
// The suites run on a snapshot of the working tree (its files as Git sees them, node_modules
// linked), taken once at the start: the runs take minutes, and editing or rebuilding dist/
// meanwhile must not change what they test.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const cacheRoot = join(projectRoot, '.tmp', 'node-versions');
const snapshotRoot = join(cacheRoot, 'project');

/**
 * The newest release of each line, except releases known to break the test harness (not the
 * generator). Node 26.10.0 makes `Duplex.from(async () => {})` emit an unhandled AbortError as
 * soon as the function returns (`node -e "require('stream').Duplex.from(async () => {})"`
 * crashes); @yeoman/adapter's TestAdapter, which yeoman-test uses, creates exactly that stream,
 * so every yeoman-test run fails there. The installed package itself runs on 26.10.0
 * (`npm run test:package` passes on it). Ask for it explicitly to see the failure.
 */
const defaultRanges = {
  22: '22',
  24: '24',
  26: '>=26.0.0 <26.10.0 || >26.10.0 <27.0.0',
};

/** Copies the tracked and not-ignored files of the working tree into snapshotRoot. */
function snapshotWorkingTree() {
  rmSync(snapshotRoot, { recursive: true, force: true });
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: projectRoot,
    encoding: 'utf8',
  });
  for (const path of listed.split('\0').filter((entry) => entry !== '')) {
    // Deleted but not yet staged files are still listed as tracked.
    if (existsSync(join(projectRoot, path))) {
      mkdirSync(dirname(join(snapshotRoot, path)), { recursive: true });
      copyFileSync(join(projectRoot, path), join(snapshotRoot, path));
    }
  }
  symlinkSync(join(projectRoot, 'node_modules'), join(snapshotRoot, 'node_modules'), 'dir');
}

/** The environment of a child that must run on `nodeBinary`: npm's own variables would point back at this Node. */
function environmentFor(nodeBinary) {
  const environment = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
  );
  environment.PATH = [dirname(nodeBinary), process.env.PATH].join(delimiter);
  environment.npm_config_update_notifier = 'false';
  return environment;
}

function versionOf(nodeBinary) {
  const result = spawnSync(nodeBinary, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/**
 * Installs `node@<range>` into .tmp/node-versions/node-<major> (npm keeps it when up to date) and
 * returns its binary.
 */
function installNode(major, range) {
  const prefix = join(cacheRoot, `node-${major}`);
  const nodeBinary = join(prefix, 'node_modules', 'node', 'bin', 'node');
  mkdirSync(prefix, { recursive: true });
  console.log(`npm install node@"${range}" into ${prefix}`);
  // The package's preinstall script fetches the platform's binary package: scripts must run.
  const install = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', `node@${range}`],
    {
      stdio: 'inherit',
      env: environmentFor(process.execPath),
    },
  );
  const version = versionOf(nodeBinary);
  if (install.status !== 0 || !version?.startsWith(`v${major}.`)) {
    throw new Error(
      `node@${range} did not install a Node ${major} binary at ${nodeBinary} ` +
        `(npm exit status ${install.status}, found ${version ?? 'nothing'})`,
    );
  }
  return nodeBinary;
}

/** Runs `npm test` in the snapshot with nodeBinary first on the PATH, teeing its output to a log file. */
function runTests(nodeBinary, logFile) {
  const started = process.hrtime.bigint();
  const environment = environmentFor(nodeBinary);
  // The npm on the PATH starts through `#!/usr/bin/env node`: check that it really gets this Node.
  const seen = spawnSync('node', ['--version'], { encoding: 'utf8', env: environment }).stdout.trim();
  if (seen !== versionOf(nodeBinary)) {
    throw new Error(`PATH resolves node to ${seen}, expected ${versionOf(nodeBinary)}`);
  }
  return new Promise((resolvePromise, reject) => {
    const log = createWriteStream(logFile);
    const child = spawn('npm', ['test'], { cwd: snapshotRoot, env: environment, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk;
        log.write(chunk);
      });
    }
    child.on('error', reject);
    child.on('close', (status) => {
      log.end();
      // Mocha's spec reporter ends with "N passing", "N pending", "N failing": take the last ones.
      const count = (word) => Number([...output.matchAll(new RegExp(`^ {2}(\\d+) ${word}\\b`, 'gm'))].at(-1)?.[1] ?? 0);
      resolvePromise({
        status,
        passed: count('passing'),
        failed: count('failing'),
        pending: count('pending'),
        seconds: Number(process.hrtime.bigint() - started) / 1e9,
        output,
      });
    });
  });
}

const requested = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(defaultRanges);
const targets = [{ label: 'this machine', nodeBinary: process.execPath }];
for (const version of requested) {
  const major = /^(\d+)(?:\.\d+\.\d+)?$/.exec(version)?.[1];
  if (!major) {
    console.error(
      `test-node-versions: "${version}" is neither a Node major version (26) nor an exact version (26.9.0)`,
    );
    process.exit(2);
  }
  const range = version === major ? (defaultRanges[major] ?? major) : version;
  targets.push({ label: `node@${range}`, nodeBinary: installNode(major, range) });
}

snapshotWorkingTree();
const summaries = [];
let allPassed = true;
for (const { label, nodeBinary } of targets) {
  const version = versionOf(nodeBinary);
  const logFile = join(cacheRoot, `test-${version}.log`);
  console.log(`\nnpm test on Node ${version} (${label}); output in ${logFile}`);
  const result = await runTests(nodeBinary, logFile);
  // A suite that exits 0 without a single passing test did not really run.
  const passed = result.status === 0 && result.failed === 0 && result.passed > 0;
  allPassed &&= passed;
  if (!passed) {
    process.stdout.write(result.output.slice(-6000));
  }
  summaries.push(
    `Node ${version.padEnd(9)} ${passed ? 'ok    ' : 'FAILED'} ${String(result.passed).padStart(3)} passed, ` +
      `${result.failed} failed, ${result.pending} pending, ${result.seconds.toFixed(1)} s (${label})`,
  );
}

console.log(`\n${summaries.join('\n')}`);
if (!allPassed) {
  process.exitCode = 1;
}
