// `flux-sops secret`'s run with stand-in ports: a fleet on disk through its FleetDisk, key sources
// that wrap the data key without AWS, a fixed clock, and a terminal that records what is said.
// Nothing goes to the process's own stdout or stderr, and no question is asked.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fleetDisk } from '../src/disk/index.js';
import { FluxSopsError } from '../src/errors.js';
import type { Ports, Terminal } from '../src/ports.js';
import { runSecret, type SecretRequest } from '../src/secret/run.js';
import type { KeySourceFactory, MasterKeySource } from '../src/sops/index.js';
import { HTTPS_ANSWERS, makeFleet } from './fixtures/secret/fleet.js';

/** A master key that "wraps" by tagging the key's base64 with its id: enough for the format, no AWS. */
function fakeKey(type: 'kms' | 'age', id: string): MasterKeySource {
  return {
    type,
    id,
    wrap: async (dataKey) => `wrapped:${id}:${Buffer.from(dataKey).toString('base64')}`,
    unwrap: async (enc) => {
      assert.ok(enc.startsWith(`wrapped:${id}:`), `wrapped for ${id}`);
      return new Uint8Array(Buffer.from(enc.slice(`wrapped:${id}:`.length), 'base64'));
    },
  };
}

const fakeKeySources: KeySourceFactory = {
  kms: (arn) => fakeKey('kms', arn),
  age: (recipient) => fakeKey('age', recipient),
};

function fakePorts(root: string, now: Date): Ports & { said: { out: string; err: string } } {
  const said = { out: '', err: '' };
  const unasked = async (): Promise<never> => assert.fail('no question may be asked');
  const terminal: Terminal = {
    out: (text) => {
      said.out += text;
    },
    outBytes: (bytes) => {
      said.out += Buffer.from(bytes).toString('utf8');
    },
    err: (text) => {
      said.err += text;
    },
    canPrompt: false,
    stdinIsTerminal: false,
    columns: undefined,
    askLine: unasked,
    askHidden: unasked,
    confirm: unasked,
    readStdin: unasked,
  };
  return {
    cwd: root,
    env: {},
    disk: (folder) => fleetDisk(folder),
    keySources: async () => fakeKeySources,
    clock: () => now,
    terminal,
    said,
  };
}

describe('flux-sops secret: the run, with stand-in ports', () => {
  let root: string;
  before(() => {
    root = makeFleet(HTTPS_ANSWERS);
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  /** runSecret, checking that whatever it says goes through its terminal: the process's own streams stay silent. */
  async function run(request: SecretRequest, ports: Ports): Promise<number> {
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    let written = '';
    const record = ((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    process.stdout.write = record;
    process.stderr.write = record;
    try {
      return await runSecret(request, ports);
    } finally {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
      assert.equal(written, '', 'the run wrote to the process itself');
    }
  }

  const request = <T extends SecretRequest['command']>(
    command: T,
    fields: Omit<Extract<SecretRequest, { command: T }>, 'command' | 'root'>,
  ) => ({ command, root, ...fields }) as Extract<SecretRequest, { command: T }>;

  /** `secret generic staging db --from-literal user=admin --no-interactive` in the fleet at `folder`. */
  const sealDb = (folder: string): SecretRequest => ({
    command: 'generic',
    root: folder,
    environment: 'staging',
    name: 'db',
    namespace: undefined,
    literals: ['user=admin'],
    files: [],
    force: false,
    noInteractive: true,
  });

  it('seals with the given key sources and clock, then lists, shows and changes the Secret', async () => {
    const sealing = fakePorts(root, new Date('2020-01-02T03:04:05Z'));
    assert.equal(await run(sealDb(root), sealing), 0);
    const sealed = readFileSync(join(root, 'secrets/staging/db.yaml'), 'utf8');
    assert.match(sealed, /lastmodified: "2020-01-02T03:04:05Z"/);
    assert.match(sealed, /enc: wrapped:arn:aws:kms:eu-west-1:123456789012:alias\/flux-sops-staging:/);
    assert.ok(!sealed.includes('admin'), 'the value is sealed');
    assert.match(sealing.said.err, /^Sealed secrets\/staging\/db\.yaml: Secret flux-system\/db \(user\) for /);
    assert.equal(sealing.said.out, '');

    const listing = fakePorts(root, new Date());
    assert.equal(await run(request('list', { environments: ['staging'], json: true }), listing), 0);
    const listed = JSON.parse(listing.said.out) as { secrets: { file: string; status: string }[] };
    assert.deepEqual(
      listed.secrets.map(({ file, status }) => [file, status]),
      [
        ['secrets/staging/apps-auth.yaml', 'placeholder'],
        ['secrets/staging/db.yaml', 'sealed'],
      ],
    );

    const showing = fakePorts(root, new Date());
    const show = request('show', { environment: 'staging', name: 'db', key: 'user' });
    assert.equal(await run(show, showing), 0);
    assert.equal(showing.said.out, 'admin');

    const changing = fakePorts(root, new Date('2021-05-06T07:08:09Z'));
    const set = request('set', {
      environment: 'staging',
      name: 'db',
      literals: ['user=root'],
      files: [],
      unset: [],
    });
    assert.equal(await run(set, changing), 0);
    assert.match(changing.said.err, /^Changed secrets\/staging\/db\.yaml \(Secret flux-system\/db\): changed user\./);
    assert.match(readFileSync(join(root, 'secrets/staging/db.yaml'), 'utf8'), /lastmodified: "2021-05-06T07:08:09Z"/);
    const shown = fakePorts(root, new Date());
    assert.equal(await run(show, shown), 0);
    assert.equal(shown.said.out, 'root');
  });

  it('reads a fleet whose secrets/<env> is a file as one without that folder (exit 2, not a crash)', async () => {
    const broken = makeFleet(HTTPS_ANSWERS);
    try {
      rmSync(join(broken, 'secrets/staging'), { recursive: true });
      writeFileSync(join(broken, 'secrets/staging'), 'not a folder\n');
      const error = await run(sealDb(broken), fakePorts(broken, new Date())).then(
        () => assert.fail('expected an error'),
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof FluxSopsError, String(error));
      assert.deepEqual(
        [error.code, error.message],
        [
          2,
          'Unknown environment "staging": this fleet has staging, production (but no secrets/staging/ folder) ' +
            '(add one with flux-sops env add <name>)',
        ],
      );
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
