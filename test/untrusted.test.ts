// Fleet files are untrusted input (SPEC "Fleet files are untrusted input"): one table per finding
// of the probe that found them, each row reproducing the finding and asserting what the product
// does now. KMS is a local endpoint on 127.0.0.1 (or a server that accepts and never answers).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { STORAGE_NAME, STORED_ANSWERS_FILE } from '../src/fleet/layout.js';
import { isStrictBase64 } from '../src/sops/cipher.js';
import { aliasExpansionOf, nestingOf } from '../src/check/pathological.js';
import { entriesOf, readCommittedFiles, readText } from '../src/disk/reader.js';
import {
  findTemporaryFiles,
  recoverInterruptedWrites,
  writeAllOrNothing,
  type WriterFileSystem,
} from '../src/disk/writer.js';
import { cliPath, runCliInProcess } from './cli-runner.js';
import { HTTPS_ANSWERS, makeFleet, snapshot } from './fixtures/secret/fleet.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';
import { projectRoot } from './support.js';

const STAGING = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production';
const RULE_TAIL = '\n    encrypted_regex: "^(data|stringData)$"\n    kms: ';

/** A `.sops.yaml` with these rules (path_regex as YAML double-quoted text, and the key). */
function sopsConfig(rules: readonly [string, string][]): string {
  return `creation_rules:\n${rules.map(([pattern, key]) => `  - path_regex: ${JSON.stringify(pattern)}${RULE_TAIL}${key}\n`).join('')}`;
}

/** Every file of a folder, as text, for "nothing changed" assertions. */
function bytesOf(root: string): Record<string, string> {
  return Object.fromEntries([...snapshot(root)].map(([path, bytes]) => [path, bytes.toString('base64')]));
}

/** Runs a whole flux-sops process (the built package), with stdin from `input`. */
function runProcess(
  args: readonly string[],
  input?: string | Buffer,
  env: Record<string, string> = {},
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (status) => resolve({ status: status ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('fleet files are untrusted input', function () {
  this.timeout(120_000);
  let kms: LocalKms;
  let restore: () => void;
  const folders: string[] = [];
  const fleet = (): string => {
    const root = makeFleet({ ...HTTPS_ANSWERS, environments: ['staging', 'production'] }, 'untrusted-');
    folders.push(root);
    return root;
  };
  const seal = async (root: string, environment: string, name: string, ...extra: string[]) =>
    runCliInProcess([
      'secret',
      'generic',
      environment,
      name,
      '--from-literal',
      `password=${randomBytes(8).toString('hex')}`,
      '--no-interactive',
      '--cwd',
      root,
      ...extra,
    ]);

  before(async () => {
    process.chdir(projectRoot); // an earlier test file may have left the process in a folder since removed
    kms = await startLocalKms([STAGING, PRODUCTION]);
    restore = setEnv({ ...localAwsEnv(kms.url), CI: undefined, FLUX_SOPS_KMS_TIMEOUT_SECONDS: undefined });
  });
  after(async () => {
    restore();
    await kms.stop();
    folders.forEach((folder) => rmSync(folder, { recursive: true, force: true }));
  });
  afterEach(() => {
    kms.allow(STAGING);
    kms.allow(PRODUCTION);
  });

  describe('finding 1: an environment name from .yo-rc.json or a folder is validated like typed input', () => {
    const rows = [
      { command: ['rotate'], what: 'rotate' },
      { command: ['updatekeys'], what: 'updatekeys' },
      { command: ['updatekeys', '--dry-run'], what: 'updatekeys --dry-run' },
      {
        command: ['secret', 'generic', 'staging', 'app', '--from-literal', 'k=v', '--no-interactive'],
        what: 'secret generic',
      },
    ];
    for (const row of rows) {
      it(`${row.what}: "../../<outside>" in .yo-rc.json → exit 2 naming it, no byte outside the fleet changed`, async () => {
        const root = fleet();
        assert.equal((await seal(root, 'staging', 'app')).status, 0);
        const outside = join(dirname(root), `outside-${randomBytes(4).toString('hex')}`);
        folders.push(outside);
        mkdirSync(outside);
        writeFileSync(join(outside, 'db.yaml'), readFileSync(join(root, 'secrets/staging/app.yaml')));
        const name = `../../${outside.split('/').at(-1)}`;
        const answers = JSON.parse(readFileSync(join(root, STORED_ANSWERS_FILE), 'utf8')) as Record<
          string,
          { environments: unknown[] }
        >;
        answers[STORAGE_NAME]?.environments.push(name);
        writeFileSync(join(root, STORED_ANSWERS_FILE), JSON.stringify(answers));
        const before = { fleet: bytesOf(root), outside: bytesOf(outside), calls: kms.calls.length };
        const run = await runCliInProcess([...row.command, '--cwd', root]);
        assert.equal(run.status, 2, run.stderr);
        assert.equal(
          run.stderr,
          `flux-sops: .yo-rc.json: the environment name ${JSON.stringify(name)} is not allowed: it must be a DNS-1123 label: 1 to 63 characters from a-z 0-9 -, starting and ending with a letter or digit. Nothing was read or written for it; correct .yo-rc.json.\n`,
        );
        assert.deepEqual(bytesOf(outside), before.outside, 'no byte outside the fleet changed');
        assert.deepEqual(bytesOf(root), before.fleet);
        assert.equal(kms.calls.length, before.calls, 'no KMS call');
      });
    }

    it('a folder secrets/Bad_Name/ → updatekeys exit 2 naming it', async () => {
      const root = fleet();
      mkdirSync(join(root, 'secrets/Bad_Name'));
      const run = await runCliInProcess(['updatekeys', '--cwd', root]);
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /^flux-sops: secrets\/Bad_Name\/: the environment name "Bad_Name" is not allowed: it must be a DNS-1123 label/,
      );
    });
  });

  describe('finding 2: a path_regex is RE2, as in sops: valid RE2 is honoured, anything else refused everywhere', () => {
    const honoured = [
      { syntax: '(?P<name>…)', pattern: '^secrets/(?P<env>production)/.+\\.ya?ml$' },
      { syntax: '[[:alpha:]]', pattern: '^secrets/produ[[:alpha:]]+/.+\\.ya?ml$' },
      { syntax: '\\A…\\z', pattern: '\\Asecrets/production/.+\\.ya?ml\\z' },
    ];
    for (const row of honoured) {
      it(`${row.syntax}: secret seals a production Secret with the production key, and updatekeys --dry-run keeps it`, async () => {
        const root = fleet();
        // The rule after it catches every path: a rule skipped as invalid would hand production to the staging key.
        writeFileSync(
          join(root, '.sops.yaml'),
          sopsConfig([
            [row.pattern, PRODUCTION],
            ['^secrets/.+\\.ya?ml$', STAGING],
          ]),
        );
        const before = kms.calls.length;
        const run = await seal(root, 'production', 'db');
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(
          kms.calls.slice(before).map(({ operation, keyId }) => `${operation} ${keyId}`),
          [`Encrypt ${PRODUCTION}`],
        );
        const dry = await runCliInProcess(['updatekeys', 'production', '--dry-run', '--cwd', root]);
        assert.equal(dry.status, 0, dry.stderr);
        assert.match(dry.stdout, /^secrets\/production\/db\.yaml: up to date$/m);
        assert.doesNotMatch(dry.stdout, /^ {4}- /m, 'no key would be dropped');
      });
    }

    const refused = [
      {
        syntax: 'lookahead (?=…)',
        pattern: '^secrets/production/(?=x).+$',
        why: 'invalid or unsupported Perl syntax: `(?=`',
      },
      { syntax: 'backreference \\1', pattern: '^secrets/(production)/\\1$', why: 'invalid escape sequence: `\\1`' },
      {
        syntax: 'lookbehind (?<=…)',
        pattern: '^secrets/(?<=s/)production/.+$',
        why: 'invalid named capture: `(?<=s/)production/.+$`',
      },
    ];
    for (const row of refused) {
      const message = `flux-sops: .sops.yaml creation rule 1: path_regex: the regular expression ${JSON.stringify(row.pattern)} is not valid RE2 (the syntax sops reads): error parsing regexp: ${row.why} (every rule must compile, even one sops would not reach); nothing was written\n`;
      it(`${row.syntax}: secret, updatekeys and rotate exit 2 naming the rule; check reports it as an error`, async () => {
        const root = fleet();
        writeFileSync(
          join(root, '.sops.yaml'),
          sopsConfig([
            [row.pattern, PRODUCTION],
            ['^secrets/.+\\.ya?ml$', STAGING],
          ]),
        );
        const before = { files: bytesOf(root), calls: kms.calls.length };
        for (const command of [
          ['secret', 'generic', 'production', 'db', '--from-literal', 'k=v', '--no-interactive'],
          ['updatekeys'],
          ['rotate'],
        ]) {
          const run = await runCliInProcess([...command, '--cwd', root]);
          assert.equal(run.status, 2, `${command[0]}: ${run.stderr}`);
          assert.equal(run.stderr, message, command[0]);
        }
        assert.deepEqual(bytesOf(root), before.files);
        assert.equal(kms.calls.length, before.calls);
        const check = await runCliInProcess(['check', root, '--json']);
        assert.equal(check.status, 1);
        const findings = (JSON.parse(check.stdout) as { findings: { rule: string; severity: string }[] }).findings;
        assert.ok(findings.some((each) => each.rule === 'invalid-rule' && each.severity === 'error'));
      });
    }

    it('an encrypted_regex RE2 cannot compile is refused too (exit 2)', async () => {
      const root = fleet();
      writeFileSync(
        join(root, '.sops.yaml'),
        sopsConfig([['^secrets/staging/', STAGING]]).replace('^(data|stringData)$', '^(?!data)'),
      );
      const run = await seal(root, 'staging', 'db');
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /^flux-sops: \.sops\.yaml creation rule 1: encrypted_regex: the regular expression "\^\(\?!data\)" is not valid RE2/,
      );
    });
  });

  describe('finding 3: a catastrophic-backtracking path_regex costs linear time', () => {
    const pattern = '^secrets/staging/(a+)+$';
    it(`secret with a 30-character name under ${pattern}: no rule matches, told at once (exit 2)`, async () => {
      const root = fleet();
      writeFileSync(join(root, '.sops.yaml'), sopsConfig([[pattern, STAGING]]));
      const started = Date.now();
      const run = await seal(root, 'staging', 'a'.repeat(30));
      assert.equal(run.status, 2, run.stderr);
      assert.match(run.stderr, /No creation rule in \.sops\.yaml matches secrets\/staging\/a{30}\.yaml/);
      assert.ok(Date.now() - started < 5_000, `${Date.now() - started} ms`);
    });

    it('check over a folder of 34 a’s ends in seconds', async () => {
      const root = fleet();
      writeFileSync(
        join(root, '.sops.yaml'),
        sopsConfig([
          [pattern, STAGING],
          ['^secrets/production/.+\\.ya?ml$', PRODUCTION],
        ]),
      );
      mkdirSync(join(root, 'secrets/staging', 'a'.repeat(34)));
      writeFileSync(join(root, 'secrets/staging', 'a'.repeat(34), 'x.yaml'), 'a: 1\n');
      const started = Date.now();
      const run = await runCliInProcess(['check', root]);
      assert.ok(run.status === 0 || run.status === 1, run.stderr);
      assert.ok(Date.now() - started < 10_000, `${Date.now() - started} ms`);
    });
  });

  describe('finding 4: runs at once never lose an update (the fleet lock)', () => {
    it('10 sealings of different names at once (10 processes): all exit 0 and all 10 are listed', async () => {
      const root = fleet();
      const names = Array.from({ length: 10 }, (_, index) => `app-${index}`);
      const runs = await Promise.all(
        names.map((name) =>
          runProcess([
            'secret',
            'generic',
            'staging',
            name,
            '--from-literal',
            'k=v',
            '--no-interactive',
            '--cwd',
            root,
          ]),
        ),
      );
      runs.forEach((run, index) => assert.equal(run.status, 0, `${names[index]}: ${run.stderr}`));
      const kustomization = readFileSync(join(root, 'secrets/staging/kustomization.yaml'), 'utf8');
      assert.deepEqual(
        names.filter((name) => !kustomization.includes(`  - ${name}.yaml\n`)),
        [],
        'every sealed Secret listed',
      );
      assert.deepEqual(findTemporaryFiles(root), []);
      assert.equal(fs.existsSync(join(root, '.fleet.flux-sops-lock')), false, 'the lock is released');
    });

    it('two sealings of the same name at once, without --force: one succeeds, the other exits 1 and writes nothing', async () => {
      const root = fleet();
      const runs = await Promise.all(
        [1, 2].map(() =>
          runProcess([
            'secret',
            'generic',
            'staging',
            'dup',
            '--from-literal',
            'k=v',
            '--no-interactive',
            '--cwd',
            root,
          ]),
        ),
      );
      assert.deepEqual(runs.map((run) => run.status).sort(), [0, 1], runs.map((run) => run.stderr).join('\n'));
      const failed = runs.find((run) => run.status === 1);
      assert.match(
        failed?.stderr ?? '',
        /secrets\/staging\/dup\.yaml (exists and is not the generated placeholder|changed while flux-sops ran)/,
      );
    });

    it('a lock held by a live process: the run waits, then exits 1 naming the holder; a stale lock is taken over', async () => {
      const root = fleet();
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        writeFileSync(
          join(root, '.fleet.flux-sops-lock'),
          JSON.stringify({ pid: holder.pid, started: '2026-01-01T00:00:00.000Z' }),
        );
        const restoreWait = setEnv({ FLUX_SOPS_LOCK_WAIT_SECONDS: '1' });
        try {
          const run = await seal(root, 'staging', 'app');
          assert.equal(run.status, 1);
          assert.match(
            run.stderr,
            new RegExp(
              `^flux-sops: The fleet .* is locked by flux-sops process ${holder.pid} \\(since 2026-01-01T00:00:00.000Z\\): nothing was written`,
            ),
          );
        } finally {
          restoreWait();
        }
      } finally {
        holder.kill('SIGKILL');
      }
      await new Promise((resolve) => holder.on('exit', resolve));
      const run = await seal(root, 'staging', 'app');
      assert.equal(run.status, 0, `the dead holder's lock is stale: ${run.stderr}`);
    });

    it('generation in an existing fleet (env add) takes the same lock: a live holder makes it exit 1 naming the holder, writing nothing', async () => {
      const root = fleet();
      const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)']);
      try {
        writeFileSync(
          join(root, '.fleet.flux-sops-lock'),
          JSON.stringify({ pid: holder.pid, started: '2026-01-01T00:00:00.000Z' }),
        );
        const before = snapshot(root);
        const restoreWait = setEnv({ FLUX_SOPS_LOCK_WAIT_SECONDS: '1' });
        try {
          const run = await runCliInProcess(['env', 'add', 'qa', '--no-interactive', '--cwd', root]);
          assert.equal(run.status, 1, run.stderr);
          assert.match(
            run.stderr,
            new RegExp(
              `^flux-sops: The fleet .* is locked by flux-sops process ${holder.pid} \\(since 2026-01-01T00:00:00.000Z\\): nothing was written`,
            ),
          );
        } finally {
          restoreWait();
        }
        assert.deepEqual(snapshot(root), before);
      } finally {
        holder.kill('SIGKILL');
      }
      await new Promise((resolve) => holder.on('exit', resolve));
      const run = await runCliInProcess(['env', 'add', 'qa', '--no-interactive', '--cwd', root]);
      assert.equal(run.status, 0, run.stderr);
      assert.ok(fs.existsSync(join(root, 'secrets/qa/kustomization.yaml')), 'qa is added once the holder is gone');
      assert.equal(fs.existsSync(join(root, '.fleet.flux-sops-lock')), false, 'the lock is released');
    });
  });

  describe('finding 5: a KMS endpoint that accepts and never answers ends within the timeout', () => {
    let silent: Server;
    let url: string;
    const sockets: Socket[] = [];
    before(async () => {
      silent = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    });
    after(async () => {
      sockets.forEach((socket) => socket.destroy());
      await new Promise((resolve) => silent.close(resolve));
    });
    const rows = [
      {
        what: 'secret generic',
        sealed: false,
        command: ['secret', 'generic', 'staging', 'db', '--from-literal', 'k=v', '--no-interactive'],
      },
      { what: 'updatekeys', sealed: true, command: ['updatekeys'] },
      { what: 'rotate', sealed: true, command: ['rotate'] },
    ];
    for (const row of rows) {
      it(`${row.what}: exit 1 after about 2 s (FLUX_SOPS_KMS_TIMEOUT_SECONDS=2), naming the key and the endpoint, nothing written`, async () => {
        const root = fleet();
        if (row.sealed) {
          assert.equal((await seal(root, 'staging', 'app')).status, 0);
          // A file whose keys differ from its rule's: updatekeys must unwrap it.
          const path = join(root, 'secrets/staging/app.yaml');
          writeFileSync(path, readFileSync(path, 'utf8').replace(`arn: ${STAGING}`, `arn: ${STAGING}-old`));
        }
        const before = bytesOf(root);
        const back = setEnv({ AWS_ENDPOINT_URL_KMS: url, FLUX_SOPS_KMS_TIMEOUT_SECONDS: '2' });
        const started = Date.now();
        let run;
        try {
          run = await runCliInProcess([...row.command, '--cwd', root]);
        } finally {
          back();
        }
        const elapsed = Date.now() - started;
        assert.equal(run.status, 1, run.stderr);
        assert.ok(elapsed < 2_000 + 5_000, `${elapsed} ms`);
        const key = row.sealed ? `${STAGING}-old` : STAGING;
        const timeout = `TimeoutError: the endpoint ${url} gave no answer within 2 s (set FLUX_SOPS_KMS_TIMEOUT_SECONDS to wait longer; check the network, a proxy, AWS_ENDPOINT_URL_KMS)`;
        assert.ok(
          run.stderr.includes(
            row.sealed
              ? `  - kms ${key}: ${timeout}\n`
              : `AWS KMS could not encrypt the data key with ${key}: ${timeout}.\n`,
          ),
          run.stderr,
        );
        assert.deepEqual(bytesOf(root), before);
      });
    }
  });

  describe('finding 6: a sealed file that cannot be read is an error naming it, never a silent skip', () => {
    const rows: { what: string; damage: (text: string) => string; why: string }[] = [
      {
        what: 'truncated',
        damage: (text) => text.slice(0, text.indexOf('sops:') + 40),
        why: 'it looks SOPS-encrypted but has no complete sops block with a mac (truncated, or its block removed)',
      },
      {
        what: 'without its sops: block',
        damage: (text) => text.slice(0, text.indexOf('sops:')),
        why: 'it looks SOPS-encrypted but has no complete sops block with a mac (truncated, or its block removed)',
      },
      {
        what: 'an alias bomb',
        damage: () =>
          `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from(
            { length: 8 },
            (_, index) =>
              `${String.fromCharCode(98 + index)}: &${String.fromCharCode(98 + index)} [${Array(9)
                .fill(`*${String.fromCharCode(97 + index)}`)
                .join(',')}]`,
          ).join('\n')}\nsops: {mac: x}\n`,
        why: 'it expands more than 100 aliases (a file built to exhaust memory)',
      },
      { what: 'not YAML', damage: (text) => `${text}\n  : : [\n`, why: 'it is not valid YAML' },
    ];
    for (const row of rows) {
      it(`${row.what}: rotate and updatekeys exit 1 naming it, nothing written; check reports an error`, async () => {
        const root = fleet();
        assert.equal((await seal(root, 'staging', 'app')).status, 0);
        assert.equal((await seal(root, 'staging', 'other')).status, 0);
        const path = join(root, 'secrets/staging/app.yaml');
        writeFileSync(path, row.damage(readFileSync(path, 'utf8')));
        const before = { files: bytesOf(root), calls: kms.calls.length };
        for (const command of ['rotate', 'updatekeys']) {
          const run = await runCliInProcess([command, '--cwd', root]);
          assert.equal(run.status, 1, run.stderr);
          assert.equal(
            run.stderr,
            `flux-sops: Cannot read this file under secrets/, so flux-sops ${command} cannot re-seal it:\n  secrets/staging/app.yaml: ${row.why}\n` +
              'Nothing was written. Restore each from Git (git checkout -- <file>) or seal it again (flux-sops secret … --force), then run again.\n',
          );
        }
        assert.deepEqual(bytesOf(root), before.files);
        assert.equal(kms.calls.length, before.calls, 'no key called');
        const check = await runCliInProcess(['check', root, '--json']);
        assert.equal(check.status, 1);
        const errors = (JSON.parse(check.stdout) as { findings: { file: string; severity: string }[] }).findings.filter(
          (each) => each.severity === 'error',
        );
        assert.ok(
          errors.some((each) => each.file === 'secrets/staging/app.yaml'),
          JSON.stringify(errors),
        );
      });
    }
  });

  describe('finding 7: check fails closed on a Secret it cannot read and on pathological files', () => {
    const rows = [
      {
        what: 'a plaintext Secret in a flow mapping check cannot parse',
        text: 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData: {\n password: X\n}\n',
        rule: 'unparsable-secret',
      },
      {
        what: '3,000 levels of flow nesting',
        text: `a: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
        rule: 'pathological-file',
        message: 'not checked: it nests 3001 levels deep (more than 1000)',
      },
      {
        what: '1,200 levels of block nesting',
        text: Array.from({ length: 1200 }, (_, index) => `${' '.repeat(index)}k${index}:`).join('\n'),
        rule: 'pathological-file',
        message: 'not checked: it nests 1200 levels deep (more than 1000)',
      },
      {
        what: 'an alias bomb',
        text: `a: &a ["x","x","x","x","x","x","x","x","x"]\n${Array.from(
          { length: 8 },
          (_, index) =>
            `${String.fromCharCode(98 + index)}: &${String.fromCharCode(98 + index)} [${Array(9)
              .fill(`*${String.fromCharCode(97 + index)}`)
              .join(',')}]`,
        ).join('\n')}\n`,
        rule: 'pathological-file',
      },
      {
        what: 'a 5 MB file',
        text: `a: "${'x'.repeat(5 * 1024 * 1024)}"\n`,
        rule: 'pathological-file',
        message: 'not checked: it is larger than 4 MiB',
      },
    ];
    for (const row of rows) {
      it(`${row.what}: an error finding naming the file (exit 1), no crash`, async () => {
        const root = fleet();
        mkdirSync(join(root, 'apps'), { recursive: true });
        writeFileSync(join(root, 'apps/bad.yaml'), row.text);
        const run = await runCliInProcess(['check', root, '--json']);
        assert.equal(run.status, 1, run.stderr);
        const found = (
          JSON.parse(run.stdout) as { findings: { file: string; rule: string; severity: string; message: string }[] }
        ).findings.filter((each) => each.file === 'apps/bad.yaml');
        assert.equal(found.length, 1, JSON.stringify(found));
        assert.equal(found[0]?.rule, row.rule);
        assert.equal(found[0]?.severity, 'error');
        if (row.message) assert.equal(found[0]?.message, row.message);
      });
    }

    it('measures nesting and alias expansion in linear time, without recursion', () => {
      assert.equal(nestingOf('a:\n  b:\n    - c: [1, {d: 2}]\n'), 6); // a, b, the indented item, the item, [ and {
      assert.equal(nestingOf('a: "[[[["\n'), 1);
      assert.equal(aliasExpansionOf('a: &a x\nb: *a\nc: *a\n'), 2);
      assert.ok(
        aliasExpansionOf(
          `a: &a [x, x]\n${Array.from({ length: 40 }, (_, index) => `k${index + 1}: &k${index + 1} [*${index === 0 ? 'a' : `k${index}`}, *${index === 0 ? 'a' : `k${index}`}]`).join('\n')}\n`,
        ) > 1e9,
      );
      const started = Date.now();
      nestingOf(`${'- '.repeat(200_000)}x\n`);
      aliasExpansionOf('a: *a '.repeat(100_000));
      assert.ok(Date.now() - started < 2_000);
    });
  });

  describe('finding 8: sizes and --from-file', () => {
    it('a 5 MB value: exit 2 before any KMS call', async () => {
      const root = fleet();
      const before = kms.calls.length;
      const run = await runCliInProcess([
        'secret',
        'generic',
        'staging',
        'big',
        '--from-literal',
        `k=${'x'.repeat(5 * 1024 * 1024)}`,
        '--no-interactive',
        '--cwd',
        root,
      ]);
      assert.equal(run.status, 2);
      assert.equal(
        run.stderr,
        "flux-sops: The Secret's keys and values take 5242881 bytes: Kubernetes refuses a Secret over 1 MiB (1048576 bytes). Nothing was sealed; split it into several Secrets\n",
      );
      assert.equal(kms.calls.length, before);
    });

    const fifo = join(tmpdir(), `untrusted-fifo-${randomBytes(4).toString('hex')}`);
    const refused = [
      {
        what: 'a FIFO',
        path: fifo,
        message: `flux-sops: --from-file k: ${JSON.stringify(fifo)} is a named pipe (FIFO): only a regular file is read (standard input: - or /dev/stdin)\n`,
      },
      {
        what: '/dev/zero',
        path: '/dev/zero',
        message:
          'flux-sops: --from-file k: "/dev/zero" is a device: only a regular file is read (standard input: - or /dev/stdin)\n',
      },
      {
        what: 'a folder',
        path: '/tmp',
        message:
          'flux-sops: --from-file k: "/tmp" is a folder: only a regular file is read (standard input: - or /dev/stdin)\n',
      },
    ];
    for (const row of refused) {
      it(`--from-file on ${row.what}: refused at once (exit 2)`, async () => {
        if (row.path === fifo) execFileSync('mkfifo', [fifo]);
        try {
          const run = await runCliInProcess([
            'secret',
            'generic',
            'staging',
            'x',
            '--from-file',
            `k=${row.path}`,
            '--no-interactive',
            '--cwd',
            fleet(),
          ]);
          assert.equal(run.status, 2);
          assert.equal(run.stderr, row.message);
        } finally {
          rmSync(fifo, { force: true });
        }
      });
    }

    it('--from-file on a 2 MB regular file: refused (exit 2)', async () => {
      const root = fleet();
      // Outside the fleet: a file inside it that Git would commit is refused before its size is read.
      const outside = mkdtempSync(join(tmpdir(), 'big-'));
      const big = join(outside, 'big.bin');
      writeFileSync(big, Buffer.alloc(2 * 1024 * 1024));
      const run = await runCliInProcess([
        'secret',
        'generic',
        'staging',
        'x',
        '--from-file',
        `k=${big}`,
        '--no-interactive',
        '--cwd',
        root,
      ]);
      rmSync(outside, { recursive: true, force: true });
      assert.equal(run.status, 2);
      assert.equal(
        run.stderr,
        `flux-sops: --from-file k: ${JSON.stringify(big)} is larger than 1048576 bytes (1 MiB), the most a Kubernetes Secret holds\n`,
      );
    });

    for (const path of ['/dev/stdin', '-']) {
      it(`--from-file k=${path} with stdin a socket (a whole process): sealed`, async () => {
        const root = fleet();
        const run = await runProcess(
          ['secret', 'generic', 'staging', 'piped', '--from-file', `token=${path}`, '--no-interactive', '--cwd', root],
          's3cr3t-from-stdin',
        );
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stderr, /^Sealed secrets\/staging\/piped\.yaml: Secret flux-system\/piped \(token\)/m);
      });
    }

    it('the base64 check takes any size without recursion', () => {
      assert.equal(isStrictBase64('QUJD'.repeat(2 * 1024 * 1024)), true);
      assert.equal(isStrictBase64(`${'QUJD'.repeat(1024)}QQ==`), true);
      assert.equal(isStrictBase64('QUJ'), false);
      assert.equal(isStrictBase64('QU=D'), false);
      assert.equal(isStrictBase64('===='), false);
    });
  });

  describe('finding 9: interrupted runs', () => {
    it('a leftover .NAME.yaml.flux-sops-<hex> is ignored by Git, reported by check, removed by the next writing command', async () => {
      const root = fleet();
      const leftover = 'secrets/staging/.app.yaml.flux-sops-0123456789ab';
      writeFileSync(join(root, leftover), 'ciphertext only\n');
      execFileSync('git', ['init', '-q', root]);
      assert.equal(execFileSync('git', ['-C', root, 'check-ignore', leftover], { encoding: 'utf8' }), `${leftover}\n`);
      const check = await runCliInProcess(['check', root, '--json']);
      const found = (
        JSON.parse(check.stdout) as { findings: { file: string; rule: string; severity: string }[] }
      ).findings.filter((each) => each.rule === 'leftover-temporary');
      assert.deepEqual(
        found.map(({ file, severity }) => `${severity} ${file}`),
        [`warning ${leftover}`],
      );
      assert.equal((await seal(root, 'staging', 'app')).status, 0);
      assert.deepEqual(findTemporaryFiles(root), []);
    });

    it('a run killed between sealing and listing: the re-run finishes the listing and re-seals without --force', async () => {
      const root = fleet();
      // The kill: the first rename happens, then the process is gone (every later call fails).
      let renames = 0;
      let dead = false;
      const dies: WriterFileSystem = {
        ...fs,
        renameSync: ((from: fs.PathLike, to: fs.PathLike) => {
          if (dead || (String(to).endsWith('kustomization.yaml') && (renames += 1) === 1)) {
            dead = true;
            throw new Error('SIGKILL');
          }
          fs.renameSync(from, to);
        }) as typeof fs.renameSync,
        writeFileSync: ((...args: Parameters<typeof fs.writeFileSync>) => {
          if (dead) throw new Error('SIGKILL');
          fs.writeFileSync(...args);
        }) as typeof fs.writeFileSync,
        rmSync: ((...args: Parameters<typeof fs.rmSync>) => {
          if (dead) throw new Error('SIGKILL');
          fs.rmSync(...args);
        }) as typeof fs.rmSync,
      };
      const kustomization = readFileSync(join(root, 'secrets/staging/kustomization.yaml'), 'utf8');
      const listed = kustomization.replace('resources:\n', 'resources:\n  - app.yaml\n');
      assert.throws(() =>
        writeAllOrNothing(
          root,
          [
            { path: 'secrets/staging/app.yaml', contents: 'sealed: by the interrupted run\n' },
            { path: 'secrets/staging/kustomization.yaml', contents: listed },
          ],
          dies,
        ),
      );
      assert.equal(
        readFileSync(join(root, 'secrets/staging/kustomization.yaml'), 'utf8'),
        kustomization,
        'killed before the listing',
      );
      assert.notDeepEqual(findTemporaryFiles(root), []);
      const run = await seal(root, 'staging', 'app');
      assert.equal(run.status, 0, run.stderr);
      assert.match(readFileSync(join(root, 'secrets/staging/kustomization.yaml'), 'utf8'), /^ {2}- app\.yaml$/m);
      assert.match(readFileSync(join(root, 'secrets/staging/app.yaml'), 'utf8'), /^sops:/m, 'sealed again');
      assert.deepEqual(findTemporaryFiles(root), []);
    });
  });

  describe('finding 10: symbolic links and name lengths', () => {
    it('a .sops.yaml linking outside the fleet: check, secret, updatekeys and rotate refuse it (exit 2)', async () => {
      const root = fleet();
      const outside = mkdtempSync(join(tmpdir(), 'untrusted-outside-'));
      folders.push(outside);
      writeFileSync(join(outside, 'rules.yaml'), readFileSync(join(root, '.sops.yaml')));
      rmSync(join(root, '.sops.yaml'));
      symlinkSync(join(outside, 'rules.yaml'), join(root, '.sops.yaml'));
      const message = `flux-sops: .sops.yaml is a symbolic link to ${join(outside, 'rules.yaml')}, outside the fleet: refused (a pull request could point it anywhere); replace it with the file itself\n`;
      for (const command of [
        ['check', root],
        ['secret', 'generic', 'staging', 'x', '--from-literal', 'k=v', '--no-interactive', '--cwd', root],
        ['updatekeys', '--cwd', root],
        ['rotate', '--cwd', root],
      ]) {
        const run = await runCliInProcess(command);
        assert.equal(run.status, 2, `${command[0]}: ${run.stderr}`);
        assert.equal(run.stderr, message, command[0]);
      }
    });

    it('a fleet file linking outside the fleet: check refuses it (exit 2); one linking inside is read', async () => {
      const root = fleet();
      symlinkSync('../secrets/staging/kustomization.yaml', join(root, 'clusters/inside.yaml'));
      const inside = await runCliInProcess(['check', root, '--json']);
      assert.equal(inside.status, 0, inside.stderr);
      symlinkSync('/etc/hostname', join(root, 'clusters/outside.yaml'));
      const run = await runCliInProcess(['check', root]);
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /^flux-sops: clusters\/outside\.yaml is a symbolic link to \/etc\/hostname, outside the fleet: refused/,
      );
    });

    it('a 227-character name: refused before any KMS call (exit 2); 226 characters seal', async () => {
      const root = fleet();
      const name = (length: number) =>
        `${['a'.repeat(63), 'b'.repeat(63), 'c'.repeat(63)].join('.')}.${'d'.repeat(length - 192)}`;
      const before = kms.calls.length;
      const run = await seal(root, 'staging', name(227));
      assert.equal(run.status, 2);
      assert.match(
        run.stderr,
        /^flux-sops: Invalid Secret name "a{63}\.b{12}\.\.\.: at most 226 characters here \(it is a file name, secrets\/<env>\/<name>\.yaml, and file names hold 255 bytes\)\n$/,
      );
      assert.equal(kms.calls.length, before);
      assert.equal((await seal(root, 'staging', name(226))).status, 0);
    });
  });

  describe('finding 11: the all-or-nothing writer, failing midway (injected file system)', () => {
    const files = [
      { path: 'a.yaml', contents: 'new a\n' },
      { path: 'sub/b.yaml', contents: 'new b\n' },
      { path: 'c.yaml', contents: 'new c\n' },
    ];
    const prepare = () => {
      const root = mkdtempSync(join(tmpdir(), 'untrusted-writer-'));
      folders.push(root);
      mkdirSync(join(root, 'sub'));
      writeFileSync(join(root, 'a.yaml'), 'old a\n');
      writeFileSync(join(root, 'sub/b.yaml'), 'old b\n');
      return root;
    };
    const failing = (operation: 'renameSync' | 'writeFileSync', at: number, code: string): WriterFileSystem => {
      let calls = 0;
      const fail = () => Object.assign(new Error(code), { code });
      return {
        ...fs,
        [operation]: (...args: unknown[]) => {
          calls += 1;
          if (calls === at) throw fail();
          return (fs[operation] as (...rest: unknown[]) => unknown)(...args);
        },
      };
    };
    const rows = [
      {
        what: 'EIO on the second rename',
        fileSystem: () => failing('renameSync', 3, 'EIO'),
        path: 'sub/b.yaml',
        code: 'EIO',
      }, // 1: the journal, 2: a.yaml, 3: sub/b.yaml
      {
        what: 'ENOSPC on the second temporary write',
        fileSystem: () => failing('writeFileSync', 2, 'ENOSPC'),
        path: 'sub/b.yaml',
        code: 'ENOSPC',
      },
      {
        what: 'ENOSPC on the journal',
        fileSystem: () => failing('writeFileSync', 4, 'ENOSPC'),
        path: '.commit.flux-sops-journal',
        code: 'ENOSPC',
      },
    ];
    for (const row of rows) {
      it(`${row.what}: every file keeps its old content, no temporary file is left, the error names the file`, () => {
        const root = prepare();
        const before = bytesOf(root);
        assert.throws(() => writeAllOrNothing(root, files, row.fileSystem()), {
          message: `Cannot write into ${root}:\n  ${row.path}: ${row.code}\nNothing was written. Fix these and run again.`,
        });
        assert.deepEqual(bytesOf(root), before);
        assert.deepEqual(readdirSync(root).sort(), ['a.yaml', 'sub']);
      });
    }

    it('without a failure, every file is new and nothing else is left', () => {
      const root = prepare();
      writeAllOrNothing(root, files);
      assert.deepEqual(Object.keys(bytesOf(root)).sort(), ['a.yaml', 'c.yaml', 'sub/b.yaml']);
      assert.equal(readFileSync(join(root, 'sub/b.yaml'), 'utf8'), 'new b\n');
    });
  });

  describe('finding 12: error texts', () => {
    it('an alias bomb in .sops.yaml: exit 2 with the product’s message', async () => {
      const root = fleet();
      const bomb = `x: &a ["l","l","l","l","l","l","l","l","l"]\n${Array.from(
        { length: 8 },
        (_, index) =>
          `y${index}: &${String.fromCharCode(98 + index)} [${Array(9)
            .fill(`*${String.fromCharCode(97 + index)}`)
            .join(',')}]`,
      ).join('\n')}\n`;
      writeFileSync(join(root, '.sops.yaml'), `${bomb}${readFileSync(join(root, '.sops.yaml'), 'utf8')}`);
      const run = await seal(root, 'staging', 'x');
      assert.equal(run.status, 2);
      assert.equal(
        run.stderr,
        'flux-sops: .sops.yaml uses too many aliases (more than 100 expanded): a file built to exhaust memory is not read; nothing was written\n',
      );
    });

    it('a malformed KMS response: a clear error naming the key (exit 1)', async () => {
      const { createServer: createHttpServer } = await import('node:http');
      const garbage = createHttpServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        response.end('{"CiphertextBlob": 42, "KeyId":');
      });
      await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
      const back = setEnv({ AWS_ENDPOINT_URL_KMS: `http://127.0.0.1:${(garbage.address() as { port: number }).port}` });
      try {
        const run = await seal(fleet(), 'staging', 'x');
        assert.equal(run.status, 1);
        assert.match(
          run.stderr,
          new RegExp(`^flux-sops: AWS KMS could not encrypt the data key with ${STAGING.replace(/[/.]/g, '\\$&')}: `),
        );
      } finally {
        back();
        await new Promise((resolve) => garbage.close(resolve));
      }
    });

    it('a denied Decrypt in rotate and updatekeys says kms:Decrypt is needed (exit 1)', async () => {
      const root = fleet();
      assert.equal((await seal(root, 'staging', 'app')).status, 0);
      // The rule now names another key: updatekeys must unwrap the file too.
      writeFileSync(join(root, '.sops.yaml'), sopsConfig([['^secrets/staging/.+\\.ya?ml$', PRODUCTION]]));
      kms.refuse(STAGING, 'Decrypt');
      for (const command of ['rotate', 'updatekeys']) {
        const run = await runCliInProcess([command, '--cwd', root]);
        assert.equal(run.status, 1, run.stderr);
        assert.match(
          run.stderr,
          new RegExp(
            `^ {2}- kms ${STAGING.replace(/[/.]/g, '\\$&')}: AccessDeniedException: .*\\. The AWS identity in use needs kms:Decrypt on this key \\(check the key policy and IAM policies, and AWS_PROFILE\\)\\.$`,
            'm',
          ),
        );
      }
    });
  });
});

describe('a fleet link on the way, not only at the end of a path', () => {
  const made: string[] = [];
  const folder = (prefix: string) => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
  after(() => made.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it("an interrupted run's journal a pull request wrote renames nothing through a linked folder", () => {
    const fleet = folder('journal-fleet-');
    const outside = folder('journal-outside-');
    symlinkSync(outside, join(fleet, 'evil'));
    mkdirSync(join(fleet, 'src'));
    writeFileSync(join(fleet, 'src', '.authorized_keys.flux-sops-abc123'), 'ssh-ed25519 AAAA attacker\n');
    writeFileSync(join(fleet, 'evil', '.authorized_keys.flux-sops-abc124'), 'ssh-ed25519 AAAA attacker\n');
    writeFileSync(
      join(fleet, '.commit.flux-sops-journal'),
      JSON.stringify([
        { path: 'evil/authorized_keys', temporary: 'src/.authorized_keys.flux-sops-abc123' },
        { path: 'evil/authorized_keys', temporary: 'evil/.authorized_keys.flux-sops-abc124' },
      ]),
    );
    const recovery = recoverInterruptedWrites(fleet);
    assert.deepEqual(recovery.completed, []);
    assert.deepEqual(readdirSync(outside), ['.authorized_keys.flux-sops-abc124'], 'nothing renamed into the outside');
  });

  it('a journal that is a link (to /dev/zero, say) is not read', () => {
    const fleet = folder('journal-link-');
    symlinkSync('/dev/zero', join(fleet, '.commit.flux-sops-journal'));
    assert.deepEqual(recoverInterruptedWrites(fleet), { completed: [], removed: ['.commit.flux-sops-journal'] });
    assert.deepEqual(readdirSync(fleet), [], 'the link itself is removed as a leftover, its target untouched');
  });

  it('a file read through a linked folder leaving the fleet is refused, naming the path', () => {
    const fleet = folder('parent-link-');
    const outside = folder('parent-outside-');
    writeFileSync(join(outside, 'kustomization.yaml'), 'resources: []\n');
    mkdirSync(join(fleet, 'secrets'));
    symlinkSync(outside, join(fleet, 'secrets', 'prod'));
    assert.throws(
      () => readText(fleet, 'secrets/prod/kustomization.yaml'),
      /^FluxSopsError: secrets\/prod\/kustomization\.yaml is reached through a symbolic link to a folder outside the fleet/,
    );
    assert.throws(() => entriesOf(fleet, 'secrets/prod'), /secrets\/prod is a symbolic link to .+, outside the fleet/);
  });

  it('a .gitignore that is a link (to /dev/zero, say) is not read: the listing ends', () => {
    const fleet = folder('gitignore-link-');
    writeFileSync(join(fleet, 'a.yaml'), 'a: 1\n');
    symlinkSync('/dev/zero', join(fleet, '.gitignore'));
    assert.deepEqual([...readCommittedFiles(fleet).texts.keys()], ['a.yaml']);
  });
});
