// `flux-sops check` reads YAML with js-yaml (fast), the generators with `yaml`. These tests hold
// the two to the same conclusions: on every file the generator writes, and on hostile YAML
// (anchors, aliases, merge keys, multi-documents, YAML 1.1 scalars and directives, duplicate
// keys, unknown tags), each decision of src/check/parse.ts stated and checked on both.
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { Document, isCollection, isMap, isScalar, Pair, parseAllDocuments, Scalar, visit, YAMLMap } from 'yaml';
import { checkFleet } from '../src/check/check.js';
import { readFleetFiles } from './support.js';
import type { Finding } from '../src/check/findings.js';
import { type FleetFileParser, type ParsedFile, parseFleetFile, parseWithJsYaml } from '../src/check/parse.js';
import { SimpleYamlReader } from '../src/check/simple-yaml.js';
import { PLACEHOLDER_CIPHERTEXT } from '../src/fleet/layout.js';

const projectRoot = fileURLToPath(new URL('..', import.meta.url));
const goldenRoot = join(projectRoot, 'test', 'golden');
const exampleFiles: ReadonlyMap<string, string> = readFleetFiles(join(goldenRoot, 'example'));
const CIPHERTEXT =
  'ENC[AES256_GCM,data:bm90IGEgc2VjcmV0,iv:MTIzNDU2Nzg5MDEyMzQ1Ng==,tag:dGFndGFndGFndGFndGFnZw==,type:str]';

/**
 * The reference reader: `yaml`, told the same decisions as parse.ts (YAML 1.2 core schema
 * whatever the `%YAML` directive, merge keys, JSON first for .json files, unknown tags keep
 * their value; a duplicate key, a collection as key or a null byte makes the file unreadable).
 */
const parseWithYamlLibrary: FleetFileParser = (path, text): ParsedFile => {
  if (path.endsWith('.json')) {
    try {
      return { documents: [JSON.parse(text) as unknown] };
    } catch {
      // read as YAML below
    }
  }
  if (text.includes('\0')) {
    return { problem: {} };
  }
  const documents: unknown[] = [];
  for (const document of parseAllDocuments(text, { schema: 'core', merge: true })) {
    const [error] = document.errors;
    if (error) {
      return { problem: { line: error.linePos?.[0].line, column: error.linePos?.[0].col } };
    }
    let complexKey = false;
    let tooDeep = false;
    visit(document, {
      Pair: (_, pair) => {
        complexKey ||= isCollection(pair.key);
      },
      // The product's limit (js-yaml's maxDepth 1000), stated here rather than left to the stack
      // size, which differs between Node versions.
      Node: (_, node, path) => {
        tooDeep ||= isCollection(node) && path.filter(isCollection).length >= 1000;
      },
    });
    if (complexKey || tooDeep) {
      return { problem: {} };
    }
    try {
      documents.push(document.toJS({ maxAliasCount: -1 }));
    } catch {
      return { problem: {} };
    }
  }
  return { documents };
};

/** Where the two readers may word a parse error differently, only that it is one counts. */
function conclusions(files: ReadonlyMap<string, string>, parse: FleetFileParser): unknown {
  try {
    return checkFleet(files, parse).map((each: Finding) =>
      each.rule === 'unparsable-file' || each.rule === 'unparsable-secret'
        ? { ...each, message: 'unparsable', fix: '' }
        : each,
    );
  } catch (error) {
    return { error: (error as { kind?: string }).kind };
  }
}

/** Values as both readers agree to give them: binary as bytes, sets and dates compared by content. */
function comparable(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (value instanceof Uint8Array) {
    return { bytes: [...value] };
  }
  if (value instanceof Date) {
    return { date: value.toISOString() };
  }
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  if (seen.has(value)) {
    return seen.get(value); // an alias (even a recursive one) compares as the same node
  }
  if (value instanceof Set) {
    return { set: [...value].map((each) => comparable(each, seen)) };
  }
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [] : {};
  seen.set(value, copy);
  for (const [key, each] of Object.entries(value)) {
    (copy as Record<string, unknown>)[key] = comparable(each, seen);
  }
  return copy;
}

function assertSameReading(path: string, text: string): void {
  const fast = parseFleetFile(path, text);
  const reference = parseWithYamlLibrary(path, text);
  assert.equal(
    'problem' in fast,
    'problem' in reference,
    `${path}: both readers ${'problem' in fast ? 'fail' : 'read'} it\n${text}`,
  );
  if ('documents' in fast && 'documents' in reference) {
    assert.deepEqual(comparable(fast.documents), comparable(reference.documents), `${path}\n${text}`);
  }
}

function findingsWithBoth(files: ReadonlyMap<string, string>): unknown {
  const fast = conclusions(files, parseFleetFile);
  assert.deepEqual(fast, conclusions(files, parseWithYamlLibrary));
  return fast;
}

function withFile(path: string, text: string): Map<string, string> {
  return new Map([...exampleFiles, [path, text]]);
}

/** The findings a planted file adds to the example fleet, the same with either reader. */
function plantedFindings(path: string, text: string): string[] {
  const baseline = JSON.stringify(findingsWithBoth(exampleFiles));
  const files = withFile(path, text);
  findingsWithBoth(files);
  return checkFleet(files)
    .filter((each) => !baseline.includes(JSON.stringify(each)))
    .map((each) => `${each.rule}: ${each.message}`);
}

describe('check reads YAML as Kubernetes and sops do, whichever library parses it', () => {
  describe('the files the generator writes', () => {
    const scenarios = readdirSync(goldenRoot).sort();

    it('are read alike by js-yaml and yaml, file by file and finding by finding, in every golden tree', () => {
      assert.ok(scenarios.length > 0);
      for (const scenario of scenarios) {
        const files = readFleetFiles(join(goldenRoot, scenario));
        for (const [path, text] of files) {
          assertSameReading(`${scenario}/${path}`, text);
        }
        findingsWithBoth(files);
      }
    });

    it('are read alike in a 100-environment fleet', async () => {
      const script = '../scripts/make-large-fleet.mjs';
      const { largeFleetFiles } = (await import(script)) as { largeFleetFiles: (count: number) => Map<string, string> };
      const files = new Map([...largeFleetFiles(100)].filter(([path]) => /\.(ya?ml|json)$/.test(path)));
      for (const [path, text] of files) {
        assertSameReading(path, text);
      }
      findingsWithBoth(files);
    });
  });

  describe('hostile YAML: each decision, the same with both readers', () => {
    const secretHead = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n';

    it('resolves aliases: a plaintext value reached through an alias is found', () => {
      assert.deepEqual(
        plantedFindings('backup/db.yaml', `${secretHead}stringData:\n  username: &user admin\n  password: *user\n`),
        ['unencrypted-secret: Secret db is not SOPS-encrypted: stringData.username, stringData.password are plaintext'],
      );
    });

    it('merges `<<` keys, as Kubernetes and sops do: merged plaintext is found, a quoted "<<" is an ordinary key', () => {
      const merged = `base: &base\n  password: hunter2\n${secretHead}stringData:\n  <<: *base\n  token: ${CIPHERTEXT}\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', merged), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.password is plaintext',
      ]);
      const list = `base: &a {password: hunter2}\nmore: &b {token: x}\n${secretHead}stringData:\n  <<: [*a, *b]\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', list), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.password, stringData.token are plaintext',
      ]);
      const quoted = `${secretHead}stringData:\n  "<<": hunter2\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', quoted), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.<< is plaintext',
      ]);
      assert.deepEqual(plantedFindings('backup/db.yaml', `${secretHead}stringData:\n  <<: hunter2\n`), [
        'unparsable-secret: not checked: it does not parse as YAML (cannot merge mappings; the provided source object is unacceptable at line 6, column 3): a kind: Secret that cannot be read may be plaintext (kubectl kustomize may still build it)',
      ]);
    });

    it('checks every document of a multi-document file, empty documents and `...` included', () => {
      const text = `---\n# nothing\n---\n${secretHead}stringData:\n  password: hunter2\n...\n---\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', text), [
        'unencrypted-secret: document 2: Secret db is not SOPS-encrypted: stringData.password is plaintext',
      ]);
    });

    it('keeps YAML 1.2 core scalars, as sops reads them, even under a %YAML 1.1 directive', () => {
      const text = `%YAML 1.1\n---\n${secretHead}stringData:\n  on: yes\n  0o14: 1_000\n`;
      assert.deepEqual(parseFleetFile('backup/db.yaml', text), {
        documents: [
          { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { on: 'yes', '12': '1_000' } },
        ],
      });
      assert.deepEqual(plantedFindings('backup/db.yaml', text), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.12, stringData.on are plaintext',
      ]);
    });

    it('reads a file with a duplicate key as unreadable, as kubectl, kustomize and sops do', () => {
      const text = `${secretHead}stringData:\n  password: ${CIPHERTEXT}\nstringData:\n  password: hunter2\n`;
      assert.deepEqual(parseFleetFile('backup/db.yaml', text), {
        problem: { reason: 'duplicated mapping key', line: 7, column: 1 },
      });
      assert.deepEqual(plantedFindings('backup/db.yaml', text), [
        'unparsable-secret: not checked: it does not parse as YAML (duplicated mapping key at line 7, column 1): a kind: Secret that cannot be read may be plaintext (kubectl kustomize may still build it)',
      ]);
    });

    it('counts the comment lines it skips before the first content in the position it gives', () => {
      const text = `# header\n  # indented\n\n${secretHead}stringData:\n  password: x\n  password: y\n`;
      assert.deepEqual(parseFleetFile('backup/db.yaml', text), {
        problem: { reason: 'duplicated mapping key', line: 10, column: 3 },
      });
      assert.deepEqual(parseFleetFile('backup/only-comments.yaml', '# a\n# b\n'), { documents: [] });
      assert.deepEqual(parseFleetFile('backup/a.yaml', '# a\n%YAML 1.2\n---\na: 1\n'), { documents: [{ a: 1 }] });
    });

    it('reads a collection used as a key, a null byte and nesting deeper than 1,000 as unreadable', () => {
      for (const text of [
        `${secretHead}? [a, b]\n: c\n`,
        `${secretHead}stringData:\n  password: "a\0b"\n`,
        `a: ${'['.repeat(1001)}${']'.repeat(1001)}\n`,
      ]) {
        assert.ok('problem' in parseFleetFile('backup/x.yaml', text), text);
        assert.ok('problem' in parseWithYamlLibrary('backup/x.yaml', text), text);
      }
      assert.ok('documents' in parseFleetFile('backup/x.yaml', `a: ${'['.repeat(999)}${']'.repeat(999)}\n`));
    });

    it('keeps the value under a tag it does not know, so a tag cannot hide a Secret', () => {
      const text = `apiVersion: v1\nkind: !Ref Secret\nmetadata: !Meta {name: db}\nstringData:\n  password: !Sub hunter2\n  token: !!str 123\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', text), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.password, stringData.token are plaintext',
      ]);
    });

    it('sees escapes, a byte-order mark and CRLF line ends as Kubernetes does', () => {
      const text = `\uFEFFapiVersion: v1\r\nkind: "\\u0053ecret"\r\nmetadata: {name: db}\r\nstringData:\r\n  password: 'hunter2'\r\n`;
      assert.deepEqual(plantedFindings('backup/db.yaml', text), [
        'unencrypted-secret: Secret db is not SOPS-encrypted: stringData.password is plaintext',
      ]);
    });

    it('gives no anchor from one document to the next', () => {
      const text = `a: &pw hunter2\n---\n${secretHead}stringData:\n  password: *pw\n`;
      assert.deepEqual(
        plantedFindings('backup/db.yaml', text).map((each) => each.replace(/\(.*\)/, '(…)')),
        ['unparsable-secret: not checked: it does not parse as YAML (…)'],
      );
    });
  });

  describe('generated hostile fleets', () => {
    const scalars = fc.oneof(
      fc.constantFrom(
        'Secret',
        'List',
        'Kustomization',
        'GitRepository',
        'v1',
        'kustomize.toolkit.fluxcd.io/v1',
        'source.toolkit.fluxcd.io/v1',
        'kustomize.config.k8s.io/v1beta1',
        'flux-system',
        'sops',
        './secrets/staging',
        'secrets/staging',
        'db.yaml',
        'apps-auth.yaml',
        CIPHERTEXT,
        PLACEHOLDER_CIPHERTEXT,
        'hunter2',
        '',
        'true',
        'yes',
        'no',
        'on',
        'off',
        'y',
        '~',
        'null',
        '0o14',
        '014',
        '0x1F',
        '1_000',
        '1e3',
        '.inf',
        '2001-12-14',
        '<<',
        'a: b',
        '- x',
        '#x',
        "it's",
        'say "hi"',
        ' lead',
        'multi\nline',
      ),
      fc.integer({ min: -1000, max: 1000 }),
      fc.boolean(),
      fc.constant(null),
    );
    const keys = fc.constantFrom(
      'apiVersion',
      'kind',
      'metadata',
      'name',
      'namespace',
      'annotations',
      'generator-flux-sops/placeholder',
      'data',
      'stringData',
      'sops',
      'mac',
      'kms',
      'arn',
      'age',
      'recipient',
      'key_groups',
      'spec',
      'path',
      'decryption',
      'provider',
      'sourceRef',
      'resources',
      'items',
      'secretGenerator',
      'literals',
      'yes',
      'on',
      'true',
      '1',
      'null',
    );
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        scalars,
        fc.array(tie('value'), { maxLength: 3 }),
        fc.dictionary(keys, tie('value'), { maxKeys: 4 }),
      ),
    }));
    /** Kubernetes-shaped objects the rules look at, with random extra keys. */
    const objects = fc.oneof(
      fc.record({
        apiVersion: fc.constant('v1'),
        kind: fc.constant('Secret'),
        metadata: fc.record({ name: fc.constantFrom('db', 'apps-auth') }),
        stringData: fc.dictionary(
          fc.constantFrom('password', 'token', 'on', '1'),
          fc.constantFrom(CIPHERTEXT, 'hunter2', '', PLACEHOLDER_CIPHERTEXT),
        ),
        sops: fc.option(
          fc.record({
            mac: fc.constantFrom(CIPHERTEXT, PLACEHOLDER_CIPHERTEXT),
            kms: fc.constant([{ arn: 'arn:aws:kms:eu-west-1:123456789012:alias/flux-sops-staging' }]),
          }),
        ),
      }),
      fc.record({
        apiVersion: fc.constant('kustomize.toolkit.fluxcd.io/v1'),
        kind: fc.constant('Kustomization'),
        metadata: fc.record({ name: fc.constantFrom('secrets', 'flux-system') }),
        spec: fc.record({
          path: fc.constantFrom('./secrets/staging', './clusters/staging', './'),
          sourceRef: fc.record({ kind: fc.constant('GitRepository'), name: fc.constant('flux-system') }),
          decryption: fc.option(fc.record({ provider: fc.constantFrom('sops', 'yes') })),
        }),
      }),
      fc.record({
        apiVersion: fc.constant('kustomize.config.k8s.io/v1beta1'),
        kind: fc.constant('Kustomization'),
        resources: fc.array(fc.constantFrom('db.yaml', 'apps-auth.yaml', 'git-repository.yaml', '../x'), {
          maxLength: 3,
        }),
      }),
      fc.record({
        apiVersion: fc.constant('v1'),
        kind: fc.constant('List'),
        items: fc.array(
          fc.record({ kind: fc.constant('Secret'), data: fc.dictionary(keys, scalars, { maxKeys: 2 }) }),
          { maxLength: 2 },
        ),
      }),
      fc.dictionary(keys, value, { maxKeys: 5 }),
    );
    /** How a document is written: which nodes flow, how scalars are quoted, which get tags, anchors and merges. */
    const styles = fc.record({
      flow: fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }),
      quoting: fc.array(
        fc.constantFrom(
          Scalar.PLAIN,
          Scalar.QUOTE_DOUBLE,
          Scalar.QUOTE_SINGLE,
          Scalar.BLOCK_LITERAL,
          Scalar.BLOCK_FOLDED,
        ),
        { minLength: 1, maxLength: 8 },
      ),
      tags: fc.array(fc.constantFrom(undefined, undefined, undefined, '!Ref', '!!str'), { minLength: 1, maxLength: 8 }),
      shareSubtree: fc.boolean(),
      mergeFirstPairs: fc.nat({ max: 2 }),
      overrideMerged: fc.boolean(),
      directive: fc.constantFrom('', '', '%YAML 1.1\n---\n', '%YAML 1.2\n---\n'),
      duplicateKey: fc.constantFrom(undefined, undefined, undefined, 'kind', 'stringData'),
      comment: fc.boolean(),
      blockKeys: fc.constant<boolean>(true),
    });

    function render(object: unknown, style: typeof styles extends fc.Arbitrary<infer T> ? T : never): string {
      const source =
        style.shareSubtree && typeof object === 'object' && object !== null && !Array.isArray(object)
          ? {
              ...object,
              shared: (object as Record<string, unknown>).metadata ?? 'x',
              again: (object as Record<string, unknown>).metadata ?? 'x',
            }
          : object;
      const document = new Document(source);
      let counter = 0;
      const pick = <T>(list: readonly T[]): T => list[counter++ % list.length] as T;
      visit(document, {
        Map: (_, node) => {
          node.flow = pick(style.flow);
        },
        Seq: (_, node) => {
          node.flow = pick(style.flow);
        },
        Scalar: (key, node) => {
          if (typeof node.value === 'string') {
            const quoting = pick(style.quoting);
            // A block scalar as a key makes an explicit `? key`; blockKeys: false keeps keys on one line.
            node.type =
              key === 'key' && !style.blockKeys && (quoting === Scalar.BLOCK_LITERAL || quoting === Scalar.BLOCK_FOLDED)
                ? Scalar.PLAIN
                : quoting;
            const tag = pick(style.tags);
            if (tag !== undefined) {
              node.tag = tag;
            }
          }
        },
      });
      // A merge: the first pairs of the first nested mapping move into an anchored base the mapping merges.
      const root = document.contents;
      if (style.mergeFirstPairs > 0 && isMap(root)) {
        const target = root.items
          .map((pair) => pair.value)
          .find((node): node is YAMLMap => isMap(node) && node.items.length > 0);
        if (target) {
          const moved = target.items.splice(0, style.mergeFirstPairs);
          const base = new YAMLMap();
          base.items = moved;
          base.anchor = 'base';
          if (style.overrideMerged && moved[0]) {
            target.items.push(new Pair(moved[0].key, document.createNode('override')));
          }
          target.items.unshift(new Pair(new Scalar('<<'), document.createAlias(base)));
          root.items.unshift(new Pair(new Scalar('.base'), base));
        }
      }
      if (style.comment) {
        document.commentBefore = ' a comment';
      }
      let text = document.toString();
      if (
        style.duplicateKey !== undefined &&
        isMap(root) &&
        !root.flow &&
        root.items.some((pair) => isScalar(pair.key) && pair.key.value === style.duplicateKey)
      ) {
        text += `${style.duplicateKey}: Secret\n`;
      }
      return text;
    }

    /** Documents one after the other; a directive needs the previous document ended with `...`. */
    function renderAll(
      documents: readonly (readonly [unknown, typeof styles extends fc.Arbitrary<infer T> ? T : never])[],
    ): string {
      return documents
        .map(
          ([object, style], index) =>
            `${index === 0 ? '' : style.directive === '' ? '---\n' : '...\n'}${style.directive}${render(object, style)}`,
        )
        .join('');
    }

    const files = fc.array(
      fc.record({
        path: fc.constantFrom(
          'secrets/staging/x.yaml',
          'secrets/staging/kustomization.yaml',
          'clusters/staging/secrets.yaml',
          'clusters/staging/x.yaml',
          'backup/x.yaml',
          'backup/x.json',
          'iam/staging/x.json',
        ),
        documents: fc.array(fc.tuple(objects, styles), { minLength: 1, maxLength: 3 }),
        json: fc.boolean(),
      }),
      { minLength: 1, maxLength: 3 },
    );

    it('give the same findings and the same values with js-yaml and with yaml', () => {
      fc.assert(
        fc.property(files, (planted) => {
          const fleet = new Map(exampleFiles);
          for (const { path, documents, json } of planted) {
            const text = json && path.endsWith('.json') ? JSON.stringify(documents[0]?.[0]) : renderAll(documents);
            fleet.set(path, text);
            assertSameReading(path, text);
          }
          findingsWithBoth(fleet);
        }),
        // Each run checks a whole fleet twice; CHECK_PARSER_RUNS=3000 for a deeper search.
        { numRuns: Number(process.env.CHECK_PARSER_RUNS ?? 100) },
      );
    });

    /** What the line reader reads, js-yaml reads the same; what js-yaml refuses, the line reader declines. */
    function assertLineReaderAgrees(text: string): boolean {
      const simple = new SimpleYamlReader().read(text);
      if (simple === undefined) {
        return false;
      }
      const reference = parseWithJsYaml(text);
      assert.ok('documents' in reference, `the line reader read what js-yaml refuses:\n${text}`);
      assert.deepEqual(comparable(simple), comparable(reference.documents), text);
      return true;
    }

    it('are read by the line reader as js-yaml reads them, whenever it reads them at all', () => {
      let read = 0;
      let runs = 0;
      const blockStyles = styles.map((style) => ({
        ...style,
        flow: [false],
        quoting: style.quoting.map((quoting) => (quoting === Scalar.BLOCK_FOLDED ? Scalar.PLAIN : quoting)),
        tags: [undefined],
        mergeFirstPairs: 0,
        directive: '' as const,
        shareSubtree: false,
        blockKeys: false,
      }));
      fc.assert(
        fc.property(fc.array(fc.tuple(objects, blockStyles), { minLength: 1, maxLength: 3 }), (documents) => {
          runs += 1;
          if (assertLineReaderAgrees(renderAll(documents))) {
            read += 1;
          }
        }),
        // A fixed seed (CHECK_PARSER_SEED to vary it): the share the line reader reads depends on the
        // draw, and a threshold on a random draw fails now and then (95 of 300 seen once).
        {
          numRuns: Number(process.env.CHECK_PARSER_RUNS ?? 300),
          seed: Number(process.env.CHECK_PARSER_SEED ?? 20261207),
        },
      );
      assert.ok(read >= runs / 3, `the line reader read only ${read} of ${runs} block-style files`);
    });

    it('are read by the line reader as js-yaml reads them when put together line by line from YAML fragments', () => {
      const fragments = fc.constantFrom(
        'kind: Secret',
        'stringData:',
        'data: {}',
        'items: []',
        '  password: hunter2',
        '  password: "hunter2"',
        "  password: 'it''s'",
        '  token: |',
        '  token: |-',
        '  token: |+',
        '    line one',
        '      deeper',
        '    # not a comment here',
        '',
        '  ',
        '# comment',
        '  # comment',
        '---',
        '...',
        '- a',
        '- name: x',
        '  value: y',
        '  - nested',
        '-',
        'key: value # comment',
        'key: value#not',
        'url: https://example.com/a:b',
        'n: 014',
        'n: -1',
        'n: 1.5',
        'n: 0x1F',
        'b: True',
        'z: ~',
        'q: "a\\.b"',
        'q: "tab\there"',
        'q: "\x41"',
        'k: v: w',
        'k:v',
        '"quoted": 1',
        "'single': 2",
        '1: one',
        'true: yes',
        'a:',
        '  b:',
        '    c: 3',
        "q: 'x'#c",
        'q: "x"#c',
        'q: "x" #c',
        'q: x\u0001y',
        'q: "x\u0085y"',
        'q: x\u2028y',
        '\uFEFFk: v',
        'k: \uD800',
        '- |',
        '  - x',
        'k: [a]',
        'k: {a: 1}',
        '  []',
      );
      fc.assert(
        fc.property(fc.array(fragments, { minLength: 1, maxLength: 12 }), fc.boolean(), (lines, finalBreak) => {
          assertLineReaderAgrees(`${lines.join('\n')}${finalBreak ? '\n' : ''}`);
        }),
        { numRuns: Number(process.env.CHECK_PARSER_RUNS ?? 300) * 10 },
      );
    });

    it('resolve plain scalars as the core schema does, in the line reader too', () => {
      const plain = fc.string({
        unit: fc.constantFrom(...'0123456789+-.eExXoObBafinINFaN_~ntrueTRUEfalsFALSul:/#'.split('')),
        minLength: 1,
        maxLength: 8,
      });
      fc.assert(
        fc.property(plain, (scalar) => {
          assertLineReaderAgrees(`k: ${scalar}\n${scalar}: k\n`);
          assertLineReaderAgrees(`- ${scalar}\n`);
        }),
        { numRuns: Number(process.env.CHECK_PARSER_RUNS ?? 300) * 10 },
      );
    });
  });
});
