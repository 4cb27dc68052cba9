// `flux-sops secret` end to end, against a KMS-compatible endpoint on 127.0.0.1 and real age
// keys: each sealed file is opened by a decoder this product does not contain (sops-decoder,
// which checks the MAC) and by the product's own decrypt path, built with `kubectl kustomize`,
// and after every run the fleet and the temporary folder are scanned for the plaintext values.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { decrypt as decodeIndependently } from 'sops-decoder';
import sshpk from 'sshpk';
import { parse } from 'yaml';
import helpers from 'yeoman-test';
import SecretGenerator, { SECRET_NEEDS_TERMINAL } from '../generators/secret/index.js';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import { applyStrictness } from '../src/check/findings.js';
import { runSecretCommand } from '../src/cli/secret.js';
import { processPorts } from '../src/ports.js';
import { isFluxSopsError } from '../src/errors.js';
import { pendingAuthCommentOf } from '../src/fleet/layout.js';
import { decryptDocument } from '../src/sops/index.js';
import { HTTPS_ANSWERS, SSH_ANSWERS, filesContaining, makeFleet, snapshot } from './fixtures/secret/fleet.js';
import { type LocalKms, localAwsEnv, setEnv, startLocalKms } from './helpers/local-kms.js';
import { projectRoot } from './support.js';

const STAGING_ALIAS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging';
const PRODUCTION_ALIAS = 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-production';
/** sops-decoder takes the region from a `…:key/…` ARN; the local KMS finds the key in the blob itself. */
const KEY_OF_ALIAS: Record<string, string> = {
  [STAGING_ALIAS]: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  [PRODUCTION_ALIAS]: 'arn:aws:kms:eu-west-1:123456789012:key/66666666-7777-8888-9999-000000000000',
};
const GITHUB_KNOWN_HOSTS =
  'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n';

/** Everything the runs of the current test printed, on stdout and stderr. */
const outputs: string[] = [];

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `flux-sops secret …` in this process, as main() does: stdout and stderr captured, stdin
 * replaced by `stdin` (no terminal), a FluxSopsError printed as `flux-sops: <message>`.
 */
async function runSecret(argv: readonly string[], stdin: string | Buffer = ''): Promise<Run> {
  const output = { stdout: '', stderr: '' };
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin') as PropertyDescriptor;
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: string | Uint8Array) => {
      output[stream] += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  Object.defineProperty(process, 'stdin', {
    value: Readable.from([Buffer.from(stdin)]),
    configurable: true,
    writable: true,
  });
  let status: number;
  try {
    status = await runSecretCommand(argv, processPorts());
  } catch (error) {
    if (!isFluxSopsError(error)) {
      throw error;
    }
    output.stderr += `flux-sops: ${error.message}\n`;
    status = error.code;
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    Object.defineProperty(process, 'stdin', stdinDescriptor);
  }
  outputs.push(output.stdout, output.stderr);
  return { status, ...output };
}

/** A value nobody else writes: found anywhere on disk, it leaked from this test. */
function uniqueSecret(label: string): string {
  return `${label}-${randomBytes(16).toString('hex')}`;
}

/**
 * The public key `ssh-keygen -y` reads from a private key given through a shell pipe (Node's own
 * stdio is a socket, which ssh-keygen cannot open as /dev/stdin): the key never touches disk.
 */
function publicKeyByOpenssh(identity: string): string {
  const result = spawnSync('sh', ['-c', 'printf "%s" "$IDENTITY" | ssh-keygen -y -f /dev/stdin'], {
    env: { ...process.env, IDENTITY: identity },
    encoding: 'utf8',
  });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

/** sops-decoder reads only `…:key/…` ARNs: a copy of the sealed file with the alias ARNs swapped for their keys. */
async function openIndependently(text: string): Promise<Record<string, unknown>> {
  const tree = parse(text) as { sops: { kms: { arn: string }[] } };
  for (const entry of tree.sops.kms) {
    entry.arn = KEY_OF_ALIAS[entry.arn] ?? entry.arn;
  }
  return (await decodeIndependently(tree as never)) as Record<string, unknown>;
}

describe('flux-sops secret, sealing for real (local KMS endpoint, age keys)', function () {
  this.timeout(60_000);
  let kms: LocalKms;
  let restoreEnvironment: () => void;
  let backupIdentity: string;
  let backupRecipient: string;
  /** Plaintexts of the current test, looked for after it in the fleet and the temporary folder. */
  let plaintexts: (string | Buffer)[] = [];
  /** When the current test started: the temporary folder is searched in the files changed since. */
  let started = 0;
  /** Folders holding the tests' own input files (a private key given with --private-key-file). */
  let inputFolders: string[] = [];
  const fleets: string[] = [];

  const fleet = (answers = HTTPS_ANSWERS): string => {
    const root = makeFleet({
      ...answers,
      backupAgeRecipients: [backupRecipient],
      environments: [
        { name: 'staging', oidcIssuer: 'oidc.eks.eu-west-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF' },
        'production',
      ],
    });
    fleets.push(root);
    return root;
  };
  const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
  const openWithAge = async (text: string, identity = backupIdentity) =>
    (await decryptDocument(text, { ageIdentities: [identity] })).document as Record<string, unknown>;

  before(async () => {
    kms = await startLocalKms([STAGING_ALIAS, PRODUCTION_ALIAS]);
    restoreEnvironment = setEnv({ ...localAwsEnv(kms.url), CI: undefined });
    backupIdentity = await generateIdentity();
    backupRecipient = await identityToRecipient(backupIdentity);
  });

  after(async () => {
    restoreEnvironment();
    await kms.stop();
    process.chdir(projectRoot); // yeoman-test leaves the process in the last fleet it ran in, deleted below
    for (const root of [...fleets, ...inputFolders]) {
      rmSync(root, { recursive: true, force: true });
    }
  });

  beforeEach(() => {
    plaintexts = [];
    outputs.length = 0;
    started = Date.now() - 1000;
  });

  afterEach(function () {
    kms.allow(STAGING_ALIAS);
    kms.allow(PRODUCTION_ALIAS);
    if (plaintexts.length === 0) {
      return;
    }
    const leaks = [
      ...new Set([
        ...fleets.flatMap((root) => filesContaining(root, plaintexts)),
        ...filesContaining(tmpdir(), plaintexts, started),
      ]),
    ].filter((path) => !inputFolders.some((folder) => path.startsWith(`${folder}/`)));
    assert.deepEqual(leaks, [], `${this.currentTest?.title}: plaintext found on disk`);
    const printed = plaintexts.filter((plaintext) =>
      outputs.some((output) =>
        output.includes(typeof plaintext === 'string' ? plaintext : plaintext.toString('base64')),
      ),
    );
    assert.deepEqual(printed, [], `${this.currentTest?.title}: plaintext printed on stdout or stderr`);
  });

  it('https: seals username and password from --password-stdin, replacing the placeholder and listing it', async () => {
    const root = fleet();
    const password = uniqueSecret('token');
    plaintexts.push(password);
    const before = kms.calls.length;
    const run = await runSecret(
      ['git', 'staging', '--username', 'bot', '--password-stdin', '--cwd', root],
      `${password}\n`,
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '', 'stdout carries nothing but a generated public key');
    assert.match(
      run.stderr,
      /^Sealed secrets\/staging\/apps-auth\.yaml \(replacing the placeholder\): Secret apps\/apps-auth \(username, password\) for arn:aws:kms:eu-west-1:123456789012:alias\/flux-sops-staging, 1 age recipient\.$/m,
    );
    assert.match(run.stderr, /^ {2}git add secrets\/staging\/apps-auth\.yaml secrets\/staging\/kustomization\.yaml$/m);
    assert.match(run.stderr, /flux get kustomizations/);
    assert.match(run.stderr, /flux-sops check --strict/);
    assert.deepEqual(
      kms.calls.slice(before).map(({ operation, keyId, region, status }) => ({ operation, keyId, region, status })),
      [{ operation: 'Encrypt', keyId: STAGING_ALIAS, region: 'eu-west-1', status: 200 }],
      'one KMS Encrypt, with the key of the staging rule, in the region of its ARN',
    );

    const sealed = read(root, 'secrets/staging/apps-auth.yaml');
    assert.ok(!sealed.includes(password));
    assert.doesNotMatch(sealed, /PLACEHOLDER|generator-flux-sops\/placeholder/);
    const expected = { username: 'bot', password };
    assert.deepEqual(
      (await openIndependently(sealed)).stringData,
      expected,
      'sops-decoder (MAC checked) opens it with KMS',
    );
    assert.deepEqual((await openWithAge(sealed)).stringData, expected, 'the backup age identity opens it');
    const metadata = (parse(sealed) as { sops: Record<string, unknown> }).sops;
    assert.equal(metadata.encrypted_regex, '^(data|stringData)$');
    assert.deepEqual(
      (metadata.kms as { arn: string }[]).map((entry) => entry.arn),
      [STAGING_ALIAS],
    );
    assert.deepEqual(
      (metadata.age as { recipient: string }[]).map((entry) => entry.recipient),
      [backupRecipient],
    );
    assert.match(String(metadata.lastmodified), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const kustomization = read(root, 'secrets/staging/kustomization.yaml');
    assert.match(kustomization, /^ {2}- apps-auth\.yaml$/m);
    assert.ok(!kustomization.includes(pendingAuthCommentOf('apps')));
    const built = execFileSync('kubectl', ['kustomize', join(root, 'secrets/staging')], { encoding: 'utf8' });
    const secret = built
      .split(/^---$/m)
      .map((document) => parse(document) as Record<string, unknown>)
      .find((object) => object.kind === 'Secret');
    assert.deepEqual(secret?.metadata, { name: 'apps-auth', namespace: 'apps' });
    assert.ok(!built.includes(password));

    const strictStaging = applyStrictness(checkFleet(readFleetFiles(root)), true).filter((finding) =>
      /(^|\/)staging\//.test(finding.file),
    );
    assert.deepEqual(strictStaging, [], 'flux-sops check --strict finds nothing wrong in staging');
  });

  it('ssh: seals a given private key (PEM), deriving identity.pub, with known_hosts', async () => {
    const root = fleet(SSH_ANSWERS);
    const inputs = mkdtempSync(join(tmpdir(), 'secret-inputs-'));
    inputFolders.push(inputs);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    writeFileSync(join(inputs, 'deploy-key'), privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
    writeFileSync(join(inputs, 'known_hosts'), GITHUB_KNOWN_HOSTS);
    const run = await runSecret([
      'git',
      'staging',
      '--private-key-file',
      join(inputs, 'deploy-key'),
      '--known-hosts-file',
      join(inputs, 'known_hosts'),
      '--cwd',
      root,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.doesNotMatch(run.stderr, /Warning/);
    assert.match(
      run.stderr,
      /^ {2}flux get kustomizations --watch {3}# on the staging cluster: "secrets" becomes Ready, then the tenant's GitRepository and Kustomization in apps$/m,
    );
    const sealed = read(root, 'secrets/staging/apps-auth.yaml');
    const values = (await openIndependently(sealed)).stringData as Record<string, string>;
    assert.deepEqual(Object.keys(values), ['identity', 'identity.pub', 'known_hosts']);
    assert.deepEqual((await openWithAge(sealed)).stringData, values);
    const derived = sshpk
      .parseKey(publicKey.export({ format: 'pem', type: 'spki' }), 'pem')
      .toString('ssh')
      .split(' ')
      .slice(0, 2)
      .join(' ');
    assert.equal(values['identity.pub'], `${derived}\n`);
    assert.equal(values.known_hosts, GITHUB_KNOWN_HOSTS);
    assert.match(values.identity ?? '', /^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    // OpenSSH itself reads the sealed identity (from a pipe: it never touches disk) and finds the same public key.
    const fromOpenssh = publicKeyByOpenssh(values.identity ?? '');
    assert.equal(fromOpenssh.split(' ').slice(0, 2).join(' '), derived);
    plaintexts.push(...(values.identity ?? '').split('\n').slice(1, -2));
  });

  it('ssh: --generate-ssh-key prints only the public key on stdout and seals the private half', async () => {
    const root = fleet(SSH_ANSWERS);
    const inputs = mkdtempSync(join(tmpdir(), 'secret-inputs-'));
    inputFolders.push(inputs);
    writeFileSync(join(inputs, 'known_hosts'), GITHUB_KNOWN_HOSTS);
    const run = await runSecret([
      'git',
      'staging',
      '--generate-ssh-key',
      '--known-hosts-file',
      join(inputs, 'known_hosts'),
      '--cwd',
      root,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/]+ flux-sops-staging\n$/);
    assert.match(
      run.stderr,
      /^Add this public key to ssh:\/\/git@github\.com\/acme\/apps\.git as a read-only deploy key/m,
    );
    const values = (await openIndependently(read(root, 'secrets/staging/apps-auth.yaml'))).stringData as Record<
      string,
      string
    >;
    assert.equal(values['identity.pub'], run.stdout);
    assert.equal(publicKeyByOpenssh(values.identity ?? ''), run.stdout.trim());
    assert.ok(!run.stderr.includes(values.identity?.split('\n')[1] ?? '?'), 'the private key is not printed');
    plaintexts.push(...(values.identity ?? '').split('\n').slice(1, -2));
  });

  it('ssh: refuses a known_hosts without the Git host (exit 2, nothing written), and seals it with --allow-other-hosts', async () => {
    const root = fleet(SSH_ANSWERS);
    const inputs = mkdtempSync(join(tmpdir(), 'secret-inputs-'));
    inputFolders.push(inputs);
    const otherHost = GITHUB_KNOWN_HOSTS.replace(/^github\.com /m, 'gitlab.com ');
    writeFileSync(join(inputs, 'known_hosts'), otherHost);
    const before = read(root, 'secrets/staging/apps-auth.yaml');
    const refused = await runSecret([
      'git',
      'staging',
      '--generate-ssh-key',
      '--known-hosts-file',
      join(inputs, 'known_hosts'),
      '--cwd',
      root,
    ]);
    assert.equal(refused.status, 2);
    assert.equal(refused.stdout, '');
    assert.equal(
      refused.stderr,
      `flux-sops: ${JSON.stringify(join(inputs, 'known_hosts'))} has no key for github.com, the host of ssh://git@github.com/acme/apps.git: Flux would refuse to connect ("knownhosts: key is unknown"). ` +
        'Scan that host (ssh-keyscan github.com > known_hosts), or give --allow-other-hosts if the file is right as it is; nothing was written\n',
    );
    assert.equal(read(root, 'secrets/staging/apps-auth.yaml'), before);
    const allowed = await runSecret([
      'git',
      'staging',
      '--generate-ssh-key',
      '--allow-other-hosts',
      '--known-hosts-file',
      join(inputs, 'known_hosts'),
      '--cwd',
      root,
    ]);
    assert.equal(allowed.status, 0, allowed.stderr);
    assert.match(allowed.stderr, /has no key for github\.com, .*; sealed anyway \(--allow-other-hosts\)\./);
    assert.notEqual(read(root, 'secrets/staging/apps-auth.yaml'), before);
  });

  it('generic: literals and files, unicode and multi-line as stringData, binary as data', async () => {
    const root = fleet();
    const inputs = mkdtempSync(join(tmpdir(), 'secret-inputs-'));
    inputFolders.push(inputs);
    const unicode = `${uniqueSecret('pässwörd')}-✓-🔑-日本`;
    const multiLine = `-----BEGIN CERTIFICATE-----\n${uniqueSecret('line')}\n-----END CERTIFICATE-----\n`;
    const binary = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80]), randomBytes(32)]);
    writeFileSync(join(inputs, 'ca.crt'), multiLine);
    writeFileSync(join(inputs, 'keystore.p12'), binary);
    const run = await runSecret([
      'generic',
      'production',
      'app-credentials',
      '--from-literal',
      `password=${unicode}`,
      '--from-file',
      `ca.crt=${join(inputs, 'ca.crt')}`,
      '--from-file',
      join(inputs, 'keystore.p12'),
      '--namespace',
      'apps',
      '--cwd',
      root,
    ]);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout, '');
    assert.match(
      run.stderr,
      /^Sealed secrets\/production\/app-credentials\.yaml: Secret apps\/app-credentials \(password, ca\.crt, keystore\.p12\) for arn:aws:kms:eu-west-1:123456789012:alias\/flux-sops-production, 1 age recipient\.$/m,
    );
    const sealed = read(root, 'secrets/production/app-credentials.yaml');
    const opened = await openIndependently(sealed);
    assert.deepEqual(opened.stringData, { password: unicode, 'ca.crt': multiLine });
    assert.deepEqual(opened.data, { 'keystore.p12': binary.toString('base64') });
    assert.deepEqual(opened.metadata, { name: 'app-credentials', namespace: 'apps' });
    assert.deepEqual((await openWithAge(sealed)).data, opened.data);
    assert.match(read(root, 'secrets/production/kustomization.yaml'), /^ {2}- app-credentials\.yaml$/m);
    assert.match(
      read(root, 'secrets/production/kustomization.yaml'),
      /^ {2}# - apps-auth\.yaml/m,
      'the pending apps-auth line stays',
    );
    // Next does not promise a Ready "secrets" while the environment's Git credentials are still a placeholder.
    assert.match(
      run.stderr,
      /^ {2}flux get kustomizations --watch {3}# on the production cluster: "secrets" becomes Ready only once secrets\/production\/apps-auth\.yaml is sealed too \(flux-sops secret git production --tenant apps\)$/m,
    );
    const built = execFileSync('kubectl', ['kustomize', join(root, 'secrets/production')], { encoding: 'utf8' });
    assert.match(built, /name: app-credentials\n {2}namespace: apps/);
    plaintexts.push(unicode, multiLine.split('\n')[1] ?? '', binary);
  });

  it("seals for the keys of the user's own first matching rule", async () => {
    const root = fleet();
    const userIdentity = await generateIdentity();
    const userRecipient = await identityToRecipient(userIdentity);
    const sopsConfig = read(root, '.sops.yaml').replace(
      'creation_rules:\n',
      `creation_rules:\n  # mine: the team's own age key only\n  - path_regex: ^secrets/staging/team-.*\\.yaml$\n    encrypted_regex: ^(data|stringData)$\n    age: ${userRecipient}\n`,
    );
    writeFileSync(join(root, '.sops.yaml'), sopsConfig);
    const value = uniqueSecret('team');
    plaintexts.push(value);
    const before = kms.count('Encrypt');
    const run = await runSecret(['generic', 'staging', 'team-db', '--from-literal', `url=${value}`, '--cwd', root]);
    assert.equal(run.status, 0, run.stderr);
    const sealed = read(root, 'secrets/staging/team-db.yaml');
    const metadata = (parse(sealed) as { sops: Record<string, unknown> }).sops;
    assert.equal(metadata.kms, undefined, "no KMS key: the user's rule names none");
    assert.deepEqual(
      (metadata.age as { recipient: string }[]).map((entry) => entry.recipient),
      [userRecipient],
    );
    assert.equal(kms.count('Encrypt'), before, 'no KMS key was used');
    assert.deepEqual((await openWithAge(sealed, userIdentity)).stringData, { url: value });
    await assert.rejects(
      decryptDocument(sealed, { ageIdentities: [backupIdentity] }),
      "the fleet's backup identity cannot open it",
    );
    assert.equal(read(root, '.sops.yaml'), sopsConfig, '.sops.yaml is left as the user wrote it');
  });

  it('KMS refusal: exit 1 naming the key and the AWS error, every file as it was', async () => {
    const root = fleet();
    const before = snapshot(root);
    const password = uniqueSecret('refused');
    plaintexts.push(password);
    kms.refuse(PRODUCTION_ALIAS);
    const run = await runSecret(
      ['git', 'production', '--username', 'bot', '--password-stdin', '--cwd', root],
      password,
    );
    assert.equal(run.status, 1);
    assert.match(
      run.stderr,
      /^flux-sops: AWS KMS could not encrypt the data key with arn:aws:kms:eu-west-1:123456789012:alias\/flux-sops-production: AccessDeniedException: /m,
    );
    assert.match(run.stderr, /needs kms:Encrypt on this key/);
    assert.ok(!run.stderr.includes(password));
    assert.deepEqual(snapshot(root), before, 'nothing was written');
  });

  it('overwriting a sealed Secret needs --force (exit 1 without, naming the file)', async () => {
    const root = fleet();
    const first = uniqueSecret('first');
    const second = uniqueSecret('second');
    plaintexts.push(first, second);
    assert.equal(
      (await runSecret(['git', 'staging', '--username', 'bot', '--password-stdin', '--cwd', root], first)).status,
      0,
    );
    const sealed = snapshot(root);
    const refused = await runSecret(['git', 'staging', '--username', 'bot', '--password-stdin', '--cwd', root], second);
    assert.equal(refused.status, 1);
    assert.equal(
      refused.stderr,
      'flux-sops: secrets/staging/apps-auth.yaml exists and is not the generated placeholder: nothing was written. Run again with --force to replace it (in a terminal you are asked).\n',
    );
    assert.deepEqual(snapshot(root), sealed);
    const forced = await runSecret(
      ['git', 'staging', '--username', 'bot', '--password-stdin', '--force', '--cwd', root],
      second,
    );
    assert.equal(forced.status, 0, forced.stderr);
    assert.match(forced.stderr, /^Sealed secrets\/staging\/apps-auth\.yaml \(replacing the previous Secret\): /m);
    assert.match(forced.stderr, /secrets\/staging\/kustomization\.yaml lists it already\./);
    assert.deepEqual((await openWithAge(read(root, 'secrets/staging/apps-auth.yaml'))).stringData, {
      username: 'bot',
      password: second,
    });
    assert.equal(
      read(root, 'secrets/staging/kustomization.yaml'),
      sealed.get('secrets/staging/kustomization.yaml')?.toString(),
      'listed once',
    );
  });

  it('unknown environment, uncovered path, bad input: exit 2 before any key is called', async () => {
    const root = fleet();
    const before = snapshot(root);
    const callsBefore = kms.calls.length;
    const unknown = await runSecret(['git', 'qa', '--username', 'bot', '--password-stdin', '--cwd', root], 'x');
    assert.equal(unknown.status, 2);
    assert.equal(
      unknown.stderr,
      'flux-sops: Unknown environment "qa": this fleet has staging, production (add one with flux-sops env add <name>)\n',
    );
    writeFileSync(
      join(root, '.sops.yaml'),
      read(root, '.sops.yaml').replace(/^ {2}- path_regex: "\^secrets\/production.*\n(?: {4}.*\n)*/m, ''),
    );
    const uncovered = await runSecret(['generic', 'production', 'db', '--from-literal', 'a=b', '--cwd', root]);
    assert.equal(uncovered.status, 2);
    assert.match(
      uncovered.stderr,
      /^flux-sops: No creation rule in \.sops\.yaml matches secrets\/production\/db\.yaml/,
    );
    const https = await runSecret(['git', 'staging', '--generate-ssh-key', '--cwd', root]);
    assert.equal(https.status, 2);
    assert.equal(
      https.stderr,
      'flux-sops: --generate-ssh-key is not for this fleet: its repoUrl https://github.com/acme/apps.git is https (username and password)\n',
    );
    const noPassword = await runSecret(['git', 'staging', '--username', 'bot', '--cwd', root]);
    assert.equal(
      noPassword.stderr,
      'flux-sops: Missing the password: pipe it to --password-stdin (it is never taken as an argument)\n',
    );
    const empty = await runSecret(['git', 'staging', '--username', 'bot', '--password-stdin', '--cwd', root], '\n');
    assert.equal(empty.stderr, 'flux-sops: The password from --password-stdin is empty (nothing was piped to stdin)\n');
    const reserved = await runSecret(['generic', 'staging', 'apps-auth', '--from-literal', 'a=b', '--cwd', root]);
    assert.equal(reserved.status, 2);
    assert.equal(
      reserved.stderr,
      'flux-sops: Invalid Secret name "apps-auth": is the Git credentials of a tenant: seal it with flux-sops secret git <env> --tenant <tenant>\n',
    );
    const elsewhere = await runSecret([
      'generic',
      'staging',
      'db',
      '--namespace',
      'web',
      '--from-literal',
      'a=b',
      '--cwd',
      root,
    ]);
    assert.equal(elsewhere.status, 2);
    assert.equal(
      elsewhere.stderr,
      'flux-sops: Invalid --namespace "web": is not a namespace this fleet creates in staging (flux-system, apps): a Secret for a namespace that does not exist would stall the "secrets" Kustomization\n',
    );
    const tenant = await runSecret(
      ['git', 'staging', '--tenant', 'web', '--username', 'bot', '--password-stdin', '--cwd', root],
      'x',
    );
    assert.equal(tenant.stderr, 'flux-sops: Invalid --tenant "web": is not a tenant of staging (apps)\n');
    const usage = await runSecret(['generic', 'staging', '--cwd', root]);
    assert.equal(
      usage.stderr,
      'flux-sops: flux-sops secret generic takes an environment and a Secret name, got 1 argument\nUsage: flux-sops secret generic <env> <name> [options]\n',
    );
    assert.equal(kms.calls.length, callsBefore, 'no KMS call');
    const after = snapshot(root);
    after.delete('.sops.yaml');
    before.delete('.sops.yaml');
    assert.deepEqual(after, before);
  });

  it('the flux-sops command: --password-stdin from a pipe, and --generate-ssh-key with stdout alone', async () => {
    // Asynchronous: the KMS endpoint answers from this process.
    const run = (args: string[], input: string) =>
      new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'src/cli/main.ts'), ...args], {
          env: { ...process.env, NO_COLOR: '1' },
        });
        const output = { stdout: '', stderr: '' };
        child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
        child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
        child.on('close', (status) => {
          outputs.push(output.stdout, output.stderr);
          resolve({ status, ...output });
        });
        child.stdin.end(input);
      });
    const root = fleet();
    const password = uniqueSecret('piped');
    plaintexts.push(password);
    const https = await run(
      ['secret', 'git', 'staging', '--username', 'bot', '--password-stdin', '--cwd', root],
      `${password}\n`,
    );
    assert.equal(https.status, 0, https.stderr);
    assert.equal(https.stdout, '');
    assert.deepEqual((await openIndependently(read(root, 'secrets/staging/apps-auth.yaml'))).stringData, {
      username: 'bot',
      password,
    });

    const sshRoot = fleet(SSH_ANSWERS);
    const inputs = mkdtempSync(join(tmpdir(), 'secret-inputs-'));
    inputFolders.push(inputs);
    mkdirSync(join(inputs, 'ssh'));
    writeFileSync(join(inputs, 'ssh', 'known_hosts'), GITHUB_KNOWN_HOSTS);
    const ssh = await run(
      [
        'secret',
        'git',
        'production',
        '--generate-ssh-key',
        '--known-hosts-file',
        join(inputs, 'ssh', 'known_hosts'),
        '--cwd',
        sshRoot,
      ],
      '',
    );
    assert.equal(ssh.status, 0, ssh.stderr);
    assert.match(ssh.stdout, /^ssh-ed25519 \S+ flux-sops-production\n$/);
    createPublicKey({ key: sshpk.parseKey(ssh.stdout, 'ssh').toString('pkcs8'), format: 'pem' });
    const values = (await openIndependently(read(sshRoot, 'secrets/production/apps-auth.yaml'))).stringData as Record<
      string,
      string
    >;
    assert.equal(values['identity.pub'], ssh.stdout);
    plaintexts.push(...(values.identity ?? '').split('\n').slice(1, -2));
  });

  it('yo flux-sops:secret asks environment, kind, name and values, and seals the same way', async () => {
    const root = fleet();
    const password = uniqueSecret('yo-https');
    const value = uniqueSecret('yo-generic');
    plaintexts.push(password, value);
    const runYo = (answers: Record<string, unknown>) =>
      helpers
        .run(
          SecretGenerator,
          { namespace: 'flux-sops:secret', resolved: join(projectRoot, 'generators/secret/index.ts') },
          { force: false },
        )
        .cd(root)
        .withOptions({ interactive: true, force: false } as Record<string, unknown>)
        .withAnswers(answers);
    await runYo({ environment: 'staging', kind: 'git', name: 'apps-auth', username: 'bot', password });
    assert.deepEqual((await openIndependently(read(root, 'secrets/staging/apps-auth.yaml'))).stringData, {
      username: 'bot',
      password,
    });
    assert.match(read(root, 'secrets/staging/kustomization.yaml'), /^ {2}- apps-auth\.yaml$/m);
    await runYo({
      environment: 'production',
      kind: 'generic',
      name: 'app',
      keys: 'token, note',
      value_0: value,
      value_1: 'ünïcode ✓',
    });
    assert.deepEqual((await openWithAge(read(root, 'secrets/production/app.yaml'))).stringData, {
      token: value,
      note: 'ünïcode ✓',
    });
    // Replacing a sealed Secret: answering no at the question is a choice (yo exits 0), and changes nothing.
    const before = snapshot(root);
    await runYo({
      environment: 'staging',
      kind: 'git',
      name: 'apps-auth',
      replace: false,
      username: 'x',
      password: 'y',
    });
    assert.deepEqual(snapshot(root), before);
    // Without a terminal it asks nothing and points to the command line.
    await assert.rejects(
      helpers
        .run(
          SecretGenerator,
          { namespace: 'flux-sops:secret', resolved: join(projectRoot, 'generators/secret/index.ts') },
          { force: false },
        )
        .cd(root)
        .withOptions({ interactive: false } as Record<string, unknown>),
      { message: `flux-sops: ${SECRET_NEEDS_TERMINAL}` },
    );
    assert.deepEqual(snapshot(root), before);
  });
});
