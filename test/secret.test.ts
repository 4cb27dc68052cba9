// `flux-sops secret`, the pure parts: names and keys, text vs binary values, the Secret built in
// memory, SSH keys, known_hosts, the kustomization edit, and the plan (environment, rule,
// master keys, placeholder vs sealed). No KMS, no disk beyond a fleet written to a temporary folder.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import fs, { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sshpk from 'sshpk';
import { FluxSopsError } from '../src/errors.js';
import { pendingAuthCommentOf } from '../src/fleet/layout.js';
import { fleetDisk } from '../src/disk/index.js';
import { readFleetTexts, readStoredFleetFacts } from '../src/secret/fleet-files.js';
import { writeAllOrNothing } from '../src/disk/writer.js';
import { generateDeployKey, readPrivateKey, validateKnownHosts } from '../src/secret/git-credentials.js';
import { genericValues, type UserFiles } from '../src/secret/inputs.js';
import { knownHostsCovers, knownHostsNameOf } from '../src/secret/known-hosts.js';
import { listResource } from '../src/fleet/kustomization.js';
import { buildSecretManifest, secretObject } from '../src/secret/manifest.js';
import { type FleetTexts, classifyExisting, planSealing, sealingTargetOf } from '../src/secret/plan.js';
import { assertMayReplace, sealSecret } from '../src/secret/seal.js';
import {
  passwordFromStdin,
  placeValue,
  splitKeyValue,
  textOf,
  validateSecretKey,
  validateSecretName,
} from '../src/secret/values.js';
import { HTTPS_ANSWERS, SSH_ANSWERS, filesContaining, makeFleet, snapshot } from './fixtures/secret/fleet.js';

/** Runs fn and returns the FluxSopsError it throws (fails the test otherwise). */
function errorOf(fn: () => unknown): FluxSopsError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FluxSopsError, `expected a FluxSopsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

async function rejectionOf(promise: Promise<unknown>): Promise<FluxSopsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof FluxSopsError, `expected a FluxSopsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('the plaintext scan the sealing tests rely on', () => {
  it('finds a planted value in a nested file, as text and as bytes, and skips files older than `since`', () => {
    const root = makeFleet(HTTPS_ANSWERS, 'scan-');
    try {
      writeFileSync(join(root, 'secrets', 'staging', 'leak.txt'), 'x planted-value-4711 y');
      assert.deepEqual(filesContaining(root, ['planted-value-4711']), [join(root, 'secrets', 'staging', 'leak.txt')]);
      assert.deepEqual(filesContaining(root, [Buffer.from('planted-value-4711')]), [
        join(root, 'secrets', 'staging', 'leak.txt'),
      ]);
      assert.deepEqual(filesContaining(root, ['planted-value-4711'], Date.now() + 60_000), []);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('secret: names, keys and values', () => {
  it("accepts DNS-1123 subdomains as Secret names, except the fleet's own files", () => {
    for (const name of ['apps-auth', 'db', 'a.b-c', '0x']) {
      assert.equal(validateSecretName(name), true, name);
    }
    for (const name of ['', 'Repo', 'a_b', '-a', 'a-', 'a..b', '.a', 'a/b', 'x'.repeat(254)]) {
      assert.match(String(validateSecretName(name)), /^must be a DNS-1123 subdomain/, name);
    }
    assert.equal(
      validateSecretName('kustomization'),
      'is a file of the fleet itself (secrets/<env>/kustomization.yaml); choose another name (not kustomization)',
    );
  });

  it('accepts Kubernetes Secret keys', () => {
    for (const key of ['password', 'identity.pub', 'known_hosts', 'A-1', '.dotfile']) {
      assert.equal(validateSecretKey(key), true, key);
    }
    assert.equal(
      validateSecretKey('a/b'),
      'must be 1 to 253 characters from A-Z a-z 0-9 - . _ (a Kubernetes Secret key)',
    );
    assert.match(String(validateSecretKey('..x')), /must not be "\." or "\.\."/);
    assert.match(String(validateSecretKey('')), /^must be 1 to 253/);
  });

  it('puts text in stringData and anything else base64 in data', () => {
    assert.deepEqual(placeValue({ key: 'a', value: 'héllo ✓ 🔑\nline 2\n' }), {
      field: 'stringData',
      key: 'a',
      value: 'héllo ✓ 🔑\nline 2\n',
    });
    assert.deepEqual(placeValue({ key: 'b', value: Buffer.from('multi\r\nline\ttext') }), {
      field: 'stringData',
      key: 'b',
      value: 'multi\r\nline\ttext',
    });
    const binary = Buffer.from([0x00, 0xff, 0xfe, 0x10, 0x80]);
    assert.deepEqual(placeValue({ key: 'c', value: binary }), {
      field: 'data',
      key: 'c',
      value: binary.toString('base64'),
    });
    // Valid UTF-8 that YAML cannot carry as text (NUL, escape): data too.
    assert.equal(placeValue({ key: 'd', value: Buffer.from('a\u0000b') }).field, 'data');
    assert.equal(placeValue({ key: 'e', value: 'bell \u0007' }).field, 'data');
    assert.equal(textOf(Buffer.from([0xc3, 0x28])), undefined, 'invalid UTF-8');
  });

  it('splits KEY=VALUE at the first "=" and never quotes the value in an error', () => {
    assert.deepEqual(splitKeyValue('token=a=b', 'from-literal'), { key: 'token', value: 'a=b' });
    assert.deepEqual(splitKeyValue('/etc/ssl/ca.pem', 'from-file'), { key: 'ca.pem', value: '/etc/ssl/ca.pem' });
    assert.equal(splitKeyValue('s3cr3t', 'from-literal'), '--from-literal takes KEY=VALUE, got an item without "="');
  });

  /** The user's files as a command started in `folder` (the fleet) reads them; stdin holds `stdin`. */
  const filesIn = (folder: string, stdin = Buffer.alloc(0)): UserFiles => ({
    cwd: folder,
    disk: fleetDisk(folder),
    readStdin: async () => stdin,
  });

  it('reads generic values from literals and files, in order, refusing duplicate keys', async () => {
    const folder = makeFleet(HTTPS_ANSWERS);
    const outside = mkdtempSync(join(tmpdir(), 'values-'));
    try {
      writeFileSync(join(outside, 'cert.bin'), Buffer.from([1, 2, 255]));
      const entries = await genericValues(['user=admin'], [`cert=${join(outside, 'cert.bin')}`], filesIn(folder));
      assert.deepEqual(
        entries.map((entry) => entry.key),
        ['user', 'cert'],
      );
      assert.deepEqual(Buffer.from(entries[1]?.value as Uint8Array), Buffer.from([1, 2, 255]));
      assert.equal(
        (await rejectionOf(genericValues(['a=1', 'a=2'], [], filesIn(folder)))).message,
        'Key given more than once: a (each key of a Secret holds one value)',
      );
      assert.equal(
        (await rejectionOf(genericValues(['bad key=v'], [], filesIn(folder)))).message,
        'Invalid key "bad key" in --from-literal: must be 1 to 253 characters from A-Z a-z 0-9 - . _ (a Kubernetes Secret key)',
      );
      const missing = await rejectionOf(genericValues([], ['x=/no/such/file'], filesIn(folder)));
      assert.equal(missing.message, '--from-file x: "/no/such/file" cannot be read (ENOENT)');
      assert.equal(missing.code, 2);
      assert.equal((await rejectionOf(genericValues([], [], filesIn(folder)))).kind, 'usage');
      // Standard input (`-`) is read through the terminal port, at most 1 MiB.
      const piped = await genericValues([], ['p=-'], filesIn(folder, Buffer.from('from stdin')));
      assert.equal(Buffer.from(piped[0]?.value as Uint8Array).toString(), 'from stdin');
      const big = await rejectionOf(genericValues([], ['big=-'], filesIn(folder, Buffer.alloc(1024 * 1024 + 1))));
      assert.equal(
        big.message,
        '--from-file big: "standard input" is larger than 1048576 bytes (1 MiB), the most a Kubernetes Secret holds',
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a file of values inside the fleet that Git would commit, and takes one it ignores', async () => {
    const folder = makeFleet(HTTPS_ANSWERS);
    try {
      writeFileSync(join(folder, '.gitignore'), 'deploy_key*\n');
      mkdirSync(join(folder, 'keys'));
      writeFileSync(join(folder, 'keys', 'token.txt'), 'abc');
      writeFileSync(join(folder, 'keys', 'deploy_key'), 'abc');
      const refused = await rejectionOf(
        genericValues([], [`token=${join(folder, 'keys', 'token.txt')}`], filesIn(folder)),
      );
      assert.equal(
        refused.message,
        `--from-file token: ${JSON.stringify(join(folder, 'keys', 'token.txt'))} lies inside the fleet, where Git would commit it: the secret would be one git add away from the repository. ` +
          "Keep the file outside the fleet (or give it a name the fleet's .gitignore covers, such as deploy_key*, *.pem or identity)",
      );
      assert.equal(refused.code, 2);
      assert.deepEqual(
        (await genericValues([], [`key=${join(folder, 'keys', 'deploy_key')}`], filesIn(folder))).map(
          (entry) => entry.key,
        ),
        ['key'],
      );
      // A relative path is the command's folder's (its cwd), not this process's.
      const relative = await rejectionOf(genericValues([], ['token=keys/token.txt'], filesIn(folder)));
      assert.match(relative.message, /^--from-file token: "keys\/token\.txt" lies inside the fleet, where Git would/);
      assert.deepEqual(
        (await genericValues([], ['key=keys/deploy_key'], filesIn(folder))).map((entry) =>
          Buffer.from(entry.value as Uint8Array).toString(),
        ),
        ['abc'],
      );
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });

  it('reads --password-stdin as one line without its line ending', () => {
    assert.equal(passwordFromStdin(Buffer.from('tok€n\n')), 'tok€n');
    assert.equal(passwordFromStdin(Buffer.from('token\r\n')), 'token');
    assert.deepEqual(passwordFromStdin(Buffer.from('')), { problem: 'is empty (nothing was piped to stdin)' });
    assert.deepEqual(passwordFromStdin(Buffer.from('\n')), { problem: 'is empty (nothing was piped to stdin)' });
    assert.deepEqual(passwordFromStdin(Buffer.from('two\nlines\n')), {
      problem: 'has a line break or another control character (a Git credential is one line)',
    });
    assert.deepEqual(passwordFromStdin(Buffer.from([0xff, 0xfe])), { problem: 'is not UTF-8 text' });
  });

  it('builds the Secret in the order given, integer-like keys included', () => {
    const manifest = buildSecretManifest('app', 'apps', [
      { key: 'z', value: 'last\n' },
      { key: '1', value: 'one' },
      { key: 'bin', value: Buffer.from([0, 1]) },
      { key: 'yes', value: 'no' },
    ]);
    const object = secretObject(manifest);
    assert.deepEqual([...object.keys()], ['apiVersion', 'kind', 'metadata', 'type', 'stringData', 'data']);
    assert.deepEqual(
      [...(object.get('stringData') as Map<string, string>)],
      [
        ['z', 'last\n'],
        ['1', 'one'],
        ['yes', 'no'],
      ],
    );
    assert.deepEqual([...(object.get('data') as Map<string, string>)], [['bin', 'AAE=']]);
    assert.deepEqual(
      object.get('metadata'),
      new Map([
        ['name', 'app'],
        ['namespace', 'apps'],
      ]),
    );
    assert.equal(object.get('type'), 'Opaque');
    assert.ok(
      !secretObject(buildSecretManifest('a', 'b', [{ key: 'k', value: 'v' }])).has('data'),
      'no empty data map',
    );
  });
});

describe('secret: SSH keys and known_hosts', () => {
  it('generates an ed25519 deploy key in OpenSSH format with its public half', () => {
    const pair = generateDeployKey('flux-sops-staging');
    assert.match(
      pair.privateKey,
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[\s\S]+\n-----END OPENSSH PRIVATE KEY-----\n$/,
    );
    assert.match(pair.publicKey, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[A-Za-z0-9+/=]+ flux-sops-staging\n$/);
    const parsed = sshpk.parsePrivateKey(pair.privateKey, 'openssh');
    assert.equal(parsed.type, 'ed25519');
    assert.equal(parsed.toPublic().toString('ssh').split(' ')[1], pair.publicKey.split(' ')[1]);
    assert.notEqual(generateDeployKey('x').privateKey, pair.privateKey, 'a new key each time');
  });

  it('reads OpenSSH and PEM private keys and derives identity.pub', () => {
    const ed = generateKeyPairSync('ed25519');
    const fromPkcs8 = readPrivateKey(Buffer.from(ed.privateKey.export({ format: 'pem', type: 'pkcs8' })), 'key');
    const expected = sshpk
      .parseKey(ed.publicKey.export({ format: 'pem', type: 'spki' }), 'pem')
      .toString('ssh')
      .split(' ')
      .slice(0, 2)
      .join(' ');
    assert.equal(fromPkcs8.publicKey, `${expected}\n`, 'no comment: the PEM key had none');
    assert.match(fromPkcs8.privateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const fromOpenssh = readPrivateKey(Buffer.from(fromPkcs8.privateKey), 'key');
    assert.equal(fromOpenssh.publicKey.split(' ')[1], fromPkcs8.publicKey.split(' ')[1]);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const fromPkcs1 = readPrivateKey(Buffer.from(rsa.privateKey.export({ format: 'pem', type: 'pkcs1' })), 'key');
    assert.match(fromPkcs1.publicKey, /^ssh-rsa AAAA/);
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    assert.match(
      readPrivateKey(Buffer.from(ec.privateKey.export({ format: 'pem', type: 'sec1' })), 'key').publicKey,
      /^ecdsa-sha2-nistp256 /,
    );
  });

  it('refuses a passphrase-protected key, a DSA key and a non-key, naming only the file', () => {
    const pem = generateKeyPairSync('ed25519').privateKey.export({
      format: 'pem',
      type: 'pkcs8',
      cipher: 'aes-256-cbc',
      passphrase: 'pw',
    });
    const encrypted = errorOf(() => readPrivateKey(Buffer.from(pem), '--private-key-file "id"'));
    assert.equal(
      encrypted.message,
      '--private-key-file "id" is protected by a passphrase, which Flux cannot use: give a key without one (ssh-keygen -t ed25519 -N \'\' makes one; or use --generate-ssh-key)',
    );
    assert.equal(encrypted.code, 2);
    const openssh = sshpk
      .parsePrivateKey(generateDeployKey('x').privateKey, 'openssh')
      .toString('openssh', { passphrase: 'pw' } as never);
    assert.match(errorOf(() => readPrivateKey(Buffer.from(openssh), 'id')).message, /is protected by a passphrase/);
    const dsa = generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    assert.match(errorOf(() => readPrivateKey(Buffer.from(dsa), 'id')).message, /^id is a DSA key/);
    const notAKey = errorOf(() => readPrivateKey(Buffer.from('hunter2 is not a key'), 'id'));
    assert.equal(notAKey.message, 'id is not a private key in OpenSSH or PEM format (it could not be read as one)');
  });

  it('checks known_hosts and whether it names the Git host', () => {
    const line = 'github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
    assert.equal(validateKnownHosts(`# github\n${line}`, 'kh'), `# github\n${line}\n`);
    assert.equal(
      errorOf(() => validateKnownHosts('\n# only comments\n', 'kh')).message.startsWith('kh has no host keys'),
      true,
    );
    assert.equal(
      errorOf(() => validateKnownHosts(`${line}\nnot a line`, 'kh')).message,
      'kh line 2 is not a known_hosts entry ("host keytype key"), as ssh-keyscan writes them',
    );
    assert.equal(knownHostsNameOf('ssh://git@github.com/acme/apps.git'), 'github.com');
    assert.equal(knownHostsNameOf('ssh://git@git.example.com:2222/acme/apps.git'), '[git.example.com]:2222');
    assert.ok(knownHostsCovers(line, 'github.com'));
    assert.ok(!knownHostsCovers(line, 'gitlab.com'));
    assert.ok(
      knownHostsCovers(`*.example.com,!bad.example.com ${line.split(' ').slice(1).join(' ')}`, 'git.example.com'),
    );
    assert.ok(
      !knownHostsCovers(`*.example.com,!bad.example.com ${line.split(' ').slice(1).join(' ')}`, 'bad.example.com'),
    );
    // Hashed entries, as `ssh-keygen -H` wrote them for github.com and [git.example.com]:2222.
    const hashed = [
      '|1|hvjdHM7Jz47Ba82ulX/t98zeJTM=|vBcZqd+ke3RG7F7MEhTAAHB7/EM= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
      '|1|vX5CkZOYuT8c/En1/a6xGW5TOxw=|ea/yMhvHLVj4RrS7+ceqSuCTudo= ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl',
    ];
    assert.ok(knownHostsCovers(hashed[0] ?? '', 'github.com'));
    assert.ok(knownHostsCovers(hashed[1] ?? '', '[git.example.com]:2222'));
    assert.ok(!knownHostsCovers(hashed.join('\n'), 'git.example.com'));
    assert.equal(validateKnownHosts(hashed.join('\n'), 'kh'), `${hashed.join('\n')}\n`);
    // A certificate authority for the host's domain covers the host (OpenSSH matches its patterns alike); a revoked key does not.
    const key = line.split(' ').slice(1).join(' ');
    assert.ok(knownHostsCovers(`@cert-authority *.example.com ${key}`, 'git.example.com'));
    assert.ok(knownHostsCovers(`@cert-authority [git.example.com]:2222 ${key}`, '[git.example.com]:2222'));
    assert.ok(!knownHostsCovers(`@revoked git.example.com ${key}`, 'git.example.com'));
  });
});

describe('secret: listing in secrets/<env>/kustomization.yaml', () => {
  const generated = [
    '# What the "secrets" Flux Kustomization applies.',
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    '  - git-repository.yaml',
    `  ${pendingAuthCommentOf('apps')}`,
    '',
  ].join('\n');

  it('turns the pending apps-auth comment into the entry', () => {
    assert.equal(
      listResource(generated, 'apps-auth.yaml', 'k.yaml'),
      generated.replace(`  ${pendingAuthCommentOf('apps')}`, '  - apps-auth.yaml'),
    );
    assert.equal(
      listResource(generated.replace(/\n/g, '\r\n'), 'apps-auth.yaml', 'k.yaml'),
      generated.replace(`  ${pendingAuthCommentOf('apps')}`, '  - apps-auth.yaml').replace(/\n/g, '\r\n'),
    );
  });

  it('adds another Secret to resources as a document edit, keeping comments', () => {
    const edited = listResource(generated, 'db.yaml', 'k.yaml');
    // The pending comment stays last in the list.
    assert.equal(
      edited,
      generated.replace(`  ${pendingAuthCommentOf('apps')}\n`, `  - db.yaml\n  ${pendingAuthCommentOf('apps')}\n`),
    );
    const userList = 'resources: # mine\n  - ./a.yaml # first\n';
    // The yaml library keeps the comment on the key, on a line of its own.
    assert.equal(
      listResource(userList, 'b.yaml', 'k.yaml'),
      'resources:\n  # mine\n  - ./a.yaml # first\n  - b.yaml\n',
    );
    assert.equal(
      listResource('apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n', 'b.yaml', 'k.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - b.yaml\n',
    );
  });

  it('changes nothing when the file is listed already', () => {
    assert.equal(listResource('resources:\n  - ./db.yaml\n', 'db.yaml', 'k.yaml'), undefined);
    assert.equal(
      listResource(`resources:\n  - apps-auth.yaml\n  ${pendingAuthCommentOf('apps')}\n`, 'apps-auth.yaml', 'k.yaml'),
      undefined,
    );
  });

  it('refuses a kustomization that is not YAML or has no resources list', () => {
    const broken = errorOf(() => listResource('resources: [a\n', 'b.yaml', 'secrets/x/kustomization.yaml'));
    assert.match(
      broken.message,
      /^secrets\/x\/kustomization\.yaml is not valid YAML \(line \d+, column \d+: .+\); nothing was written$/,
    );
    assert.equal(broken.code, 2);
    assert.equal(
      errorOf(() => listResource('resources: a.yaml\n', 'b.yaml', 'k.yaml')).message,
      'k.yaml has a resources that is not a list; nothing was written',
    );
  });
});

describe('secret: the plan', () => {
  let root: string;
  let sshRoot: string;
  before(() => {
    root = makeFleet({
      ...HTTPS_ANSWERS,
      backupAgeRecipients: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
    });
    sshRoot = makeFleet(SSH_ANSWERS);
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(sshRoot, { recursive: true, force: true });
  });
  // A git Secret goes where the fleet's stored tenants say (the one tenant apps here).
  const request = (environment: string, name = 'apps-auth', kind: 'git' | 'generic' = 'git', folder = root) =>
    kind === 'git'
      ? { environment, ...sealingTargetOf(readStoredFleetFacts(fleetDisk(folder)), { environment, kind }), kind }
      : { environment, name, namespace: 'flux-system', kind };
  const plan = (
    folder: string,
    environment: string,
    name?: string,
    kind?: 'git' | 'generic',
    edit: Partial<FleetTexts> = {},
  ) =>
    planSealing(
      { ...readFleetTexts(fleetDisk(folder), environment, name ?? 'apps-auth'), ...edit },
      request(environment, name, kind, folder),
    );

  it('finds the rule, the keys, the placeholder and the kustomization edit of apps-auth', () => {
    const sealing = plan(root, 'staging');
    assert.equal(sealing.path, 'secrets/staging/apps-auth.yaml');
    assert.deepEqual(sealing.keys, {
      kms: ['arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging'],
      age: ['age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p'],
    });
    assert.deepEqual(sealing.selectors, { encryptedRegex: '^(data|stringData)$' });
    assert.equal(sealing.existing, 'placeholder');
    assert.equal(sealing.repoScheme, 'https');
    assert.match(sealing.kustomization ?? '', /^ {2}- apps-auth\.yaml$/m);
    assert.doesNotMatch(sealing.kustomization ?? '', /# - apps-auth/);
    assert.equal(plan(sshRoot, 'production').repoScheme, 'ssh');
    const db = plan(root, 'production', 'db', 'generic');
    assert.equal(db.existing, 'missing');
    assert.match(
      db.kustomization ?? '',
      /\n {2}- db\.yaml\n {2}# - apps-auth\.yaml .*\)\n$/,
      'listed before the pending comment, final line break kept',
    );
  });

  it("uses the first rule matching the path, as sops does: the user's own rule decides", () => {
    const userRule =
      '  - path_regex: ^secrets/staging/special\\.yaml$\n    age: age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg\n';
    const sopsConfig = readFileSync(join(root, '.sops.yaml'), 'utf8').replace(
      'creation_rules:\n',
      `creation_rules:\n${userRule}`,
    );
    const special = plan(root, 'staging', 'special', 'generic', { sopsConfig });
    assert.equal(special.ruleIndex, 0);
    assert.deepEqual(special.keys, {
      kms: [],
      age: ['age1lggyhqrw2nlhcxprm67z43rta597azn8gknawjehu9d9dl0jq3yqqvfafg'],
    });
    assert.deepEqual(special.selectors, {}, "no encrypted_regex in the user's rule: sops' default applies");
    assert.equal(plan(root, 'staging', 'other', 'generic', { sopsConfig }).ruleIndex, 1);
  });

  it('refuses an unknown environment and a path no rule covers (exit 2)', () => {
    const unknown = errorOf(() => plan(root, 'qa'));
    assert.equal(
      unknown.message,
      'Unknown environment "qa": this fleet has staging, production (add one with flux-sops env add <name>)',
    );
    assert.equal(unknown.code, 2);
    assert.equal(errorOf(() => plan(root, '../x')).code, 2);
    const sopsConfig = readFileSync(join(root, '.sops.yaml'), 'utf8').replace(
      /^ {2}- path_regex: "\^secrets\/staging.*\n(?: {4}.*\n)*/m,
      '',
    );
    const uncovered = errorOf(() => plan(root, 'staging', 'apps-auth', 'git', { sopsConfig }));
    assert.equal(
      uncovered.message,
      'No creation rule in .sops.yaml matches secrets/staging/apps-auth.yaml, so it has no key to be sealed for (sops would refuse it too): add a rule for secrets/staging/ (flux-sops env adds one per environment); nothing was written',
    );
    assert.equal(uncovered.code, 2);
  });

  it('refuses master keys this product cannot use, naming them (exit 2)', () => {
    const sopsConfig =
      'creation_rules:\n  - path_regex: ^secrets/\n    pgp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4\n    kms: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab+arn:aws:iam::123456789012:role/x\n';
    const error = errorOf(() => plan(root, 'staging', 'apps-auth', 'git', { sopsConfig }));
    assert.match(
      error.message,
      /^The \.sops\.yaml creation rule \(path_regex "\^secrets\/"\) names master keys this tool cannot use: .*pgp keys/,
    );
    assert.match(
      error.message,
      /kms key arn:aws:kms:eu-west-1:123456789012:key\/1234abcd-12ab-34cd-56ef-1234567890ab with a role to assume/,
    );
    assert.equal(error.code, 2);
    const groups =
      'creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - gcp_kms: [{resource_id: x}]\n      - hc_vault: [x]\n';
    assert.match(
      errorOf(() => plan(root, 'staging', 'apps-auth', 'git', { sopsConfig: groups })).message,
      /shamir_threshold 2 .*2 key_groups.*gcp_kms keys.*hc_vault keys/,
    );
    assert.match(
      errorOf(() => plan(root, 'staging', 'x', 'generic', { sopsConfig: 'creation_rules:\n  - encrypted_regex: x\n' }))
        .message,
      /names no master key/,
    );
  });

  it('refuses bad names and namespaces (exit 2)', () => {
    assert.equal(
      errorOf(() => plan(root, 'staging', 'kustomization', 'generic')).message,
      'Invalid Secret name "kustomization": is a file of the fleet itself (secrets/<env>/kustomization.yaml); choose another name (not kustomization)',
    );
    const namespace = errorOf(() =>
      planSealing(readFleetTexts(fleetDisk(root), 'staging', 'x'), {
        ...request('staging', 'x', 'generic'),
        namespace: 'Flux',
      }),
    );
    assert.match(namespace.message, /^Invalid namespace "Flux": must be a DNS-1123 label/);
  });

  it('tells the placeholder from a sealed Secret', () => {
    assert.equal(classifyExisting(null), 'missing');
    assert.equal(classifyExisting(readFileSync(join(root, 'secrets/staging/apps-auth.yaml'), 'utf8')), 'placeholder');
    assert.equal(
      classifyExisting('apiVersion: v1\nkind: Secret\nsops:\n  mac: ENC[AES256_GCM,data:abc,iv:x,tag:y,type:str]\n'),
      'sealed',
    );
    assert.equal(classifyExisting(': not yaml ['), 'sealed');
  });

  it('replaces the placeholder without asking; a sealed Secret needs --force or a yes', async () => {
    const placeholder = plan(root, 'staging');
    await assertMayReplace(placeholder, false);
    const sealed = { ...placeholder, existing: 'sealed' as const };
    const conflict = await rejectionOf(assertMayReplace(sealed, false));
    assert.equal(
      conflict.message,
      'secrets/staging/apps-auth.yaml exists and is not the generated placeholder: nothing was written. Run again with --force to replace it (in a terminal you are asked).',
    );
    assert.equal(conflict.code, 1);
    await assertMayReplace(sealed, true);
    await assertMayReplace(sealed, false, async () => true);
    // No in a terminal is a choice: exit 0, nothing written, and said so.
    const declined = await rejectionOf(assertMayReplace(sealed, false, async () => false));
    assert.deepEqual(
      [declined.kind, declined.code, declined.message],
      ['declined', 0, 'secrets/staging/apps-auth.yaml kept as it is: nothing was written.'],
    );
  });

  it('writes nothing when the encryption fails', async () => {
    const before = snapshot(root);
    const sealing = plan(root, 'staging');
    const failing = async () => {
      throw new FluxSopsError('key', 'KMS refused');
    };
    const error = await rejectionOf(
      sealSecret(
        fleetDisk(root),
        sealing,
        buildSecretManifest('apps-auth', 'flux-system', [{ key: 'password', value: 'p' }]),
        failing,
      ),
    );
    assert.equal(error.message, 'KMS refused');
    assert.deepEqual(snapshot(root), before);
  });

  it('writes both files, or neither when one cannot be written', () => {
    const folder = makeFleet(HTTPS_ANSWERS);
    try {
      writeAllOrNothing(folder, [
        { path: 'secrets/staging/a.yaml', contents: 'a: 1\n' },
        { path: 'secrets/staging/kustomization.yaml', contents: 'resources: []\n' },
      ]);
      assert.equal(readFileSync(join(folder, 'secrets/staging/a.yaml'), 'utf8'), 'a: 1\n');
      const before = snapshot(folder);
      // The pre-flight refuses a folder where a file must go, before anything is written.
      const refused = errorOf(() =>
        writeAllOrNothing(folder, [
          { path: 'secrets/staging/a.yaml', contents: 'a: 2\n' },
          { path: 'secrets/staging', contents: 'x' },
        ]),
      );
      assert.equal(refused.kind, 'unwritable');
      assert.match(refused.message, /secrets\/staging: is a folder where a file must go/);
      assert.deepEqual(snapshot(folder), before);
      // Past the pre-flight: the second rename fails after the first replaced a.yaml and created
      // b.yaml; both are rolled back and no temporary file stays.
      const rename = fs.renameSync;
      let renames = 0;
      fs.renameSync = (from, to) => {
        renames += 1;
        if (renames === 4) {
          // 1: the commit's journal, 2: a.yaml, 3: b.yaml, 4: kustomization.yaml
          throw Object.assign(new Error('rename failed'), { code: 'EIO' });
        }
        rename(from, to);
      };
      syncBuiltinESMExports();
      let failed: FluxSopsError;
      try {
        failed = errorOf(() =>
          writeAllOrNothing(folder, [
            { path: 'secrets/staging/a.yaml', contents: 'a: 2\n' },
            { path: 'secrets/staging/b.yaml', contents: 'b: 2\n' },
            { path: 'secrets/staging/kustomization.yaml', contents: 'resources: [a.yaml, b.yaml]\n' },
          ]),
        );
      } finally {
        fs.renameSync = rename;
        syncBuiltinESMExports();
      }
      assert.equal(renames, 4, 'the rename of the third file was the one that failed');
      assert.equal(failed.kind, 'unwritable');
      assert.match(failed.message, /secrets\/staging\/kustomization\.yaml: EIO/);
      assert.deepEqual(snapshot(folder), before);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
