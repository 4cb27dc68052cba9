// How `flux-sops check` scales: first-match lookups through the rule index give sops' answer
// (property-tested against the plain scan), each file is parsed once, and a 100-environment
// fleet costs about one path_regex test per path, not one per path and rule.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkFleet } from '../src/check/check.js';
import { type FleetFileParser, parseFleetFile } from '../src/check/parse.js';
import { RE2JS } from 're2js';
import {
  compilePathRegex,
  type CreationRule,
  findCreationRule,
  indexCreationRules,
  literalPrefixOf,
  ruleMatches,
} from '../src/sops/rules.js';

async function largeFleet(environments: number): Promise<Map<string, string>> {
  const script = '../scripts/make-large-fleet.mjs';
  const { largeFleetFiles } = (await import(script)) as { largeFleetFiles: (count: number) => Map<string, string> };
  return new Map([...largeFleetFiles(environments)].filter(([path]) => /\.(ya?ml|json)$/.test(path)));
}

const segments = [
  'secrets',
  'staging',
  'prod',
  'prod-eu',
  'a',
  'nested',
  '.git',
  'x.yaml',
  'y.yml',
  'apps-auth.yaml',
  'kustomization.yaml',
];
const paths = fc.array(fc.constantFrom(...segments), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('/'));
const patternPieces = fc.constantFrom(
  'secrets',
  'secrets/',
  'staging/',
  'prod',
  'prod-eu/',
  'a/',
  '.+',
  '.*',
  '[a-z]+',
  '(staging|prod)/',
  'x?',
  's*',
  'd{0,2}',
  '\\.',
  '\\.ya?ml',
  '(?:nested/)?',
  '[/]',
  '|',
  '\\/',
  '\\-',
  '\\b',
  '(?<=s/)',
  '(?<name>a)',
  '^',
  '(?=x)',
  '$',
);
const patterns = fc
  .tuple(fc.boolean(), fc.array(patternPieces, { minLength: 0, maxLength: 5 }), fc.boolean())
  .map(([start, pieces, end]) => `${start ? '^' : ''}${pieces.join('')}${end ? '$' : ''}`);
const rules = fc.array(
  fc.oneof(
    { weight: 8, arbitrary: patterns.map((pattern): CreationRule => ({ path_regex: pattern })) },
    { weight: 1, arbitrary: fc.constant<CreationRule>({}) },
    { weight: 1, arbitrary: fc.constant<CreationRule>({ path_regex: '(' }) },
  ),
  { maxLength: 8 },
);

describe('check at scale', () => {
  it('finds the literal prefix of every path a pattern matches', () => {
    fc.assert(
      fc.property(patterns, paths, (pattern, path) => {
        const regex = compilePathRegex(pattern);
        if (regex?.test(path)) {
          assert.ok(
            path.startsWith(literalPrefixOf(pattern)),
            `${pattern} matches ${path} but its prefix is ${literalPrefixOf(pattern)}`,
          );
        }
      }),
      { numRuns: 2000 },
    );
    assert.equal(literalPrefixOf('^secrets/staging/.+\\.ya?ml$'), 'secrets/staging/');
    assert.equal(literalPrefixOf('^secrets/prod-eu\\.x?'), 'secrets/prod-eu.');
    assert.equal(literalPrefixOf('^(secrets|other)/'), '');
    assert.equal(literalPrefixOf('^secrets/a|^b/'), '');
    assert.equal(literalPrefixOf('secrets/'), '');
  });

  it('answers first-match lookups through the index exactly as the plain scan does', () => {
    fc.assert(
      fc.property(rules, fc.array(paths, { maxLength: 10 }), (ruleList, pathList) => {
        const index = indexCreationRules(ruleList);
        for (const path of pathList) {
          assert.equal(index.find(path), findCreationRule(ruleList, path), path);
          assert.deepEqual(
            index.matching(path),
            ruleList.flatMap((rule, position) => (ruleMatches(rule, path) ? [position] : [])),
            path,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('parses each file once', async () => {
    const files = await largeFleet(10);
    const parsed = new Map<string, number>();
    const counting: FleetFileParser = (path, text) => {
      parsed.set(path, (parsed.get(path) ?? 0) + 1);
      return parseFleetFile(path, text);
    };
    checkFleet(files, counting);
    assert.deepEqual([...parsed.keys()].sort(), [...files.keys()].sort());
    assert.deepEqual(new Set(parsed.values()), new Set([1]));
  });

  it('tests about one path_regex per path on a 100-environment fleet, not one per path and rule', async () => {
    const files = await largeFleet(100);
    const rulePatterns = new Set(
      [...(files.get('.sops.yaml') ?? '').matchAll(/path_regex: "(.+)"/g)].map(
        (match) => JSON.parse(`"${match[1]}"`) as string,
      ),
    );
    assert.equal(rulePatterns.size, 100);
    // A rule's regex, or the shared rest of the rules after their literal prefixes.
    const restPatterns = new Set(
      [...rulePatterns].map((pattern) => `^(?:${pattern.replace(/^\^secrets\/env-\d+\//, '')})`),
    );
    assert.equal(restPatterns.size, 1);
    let tests = 0;
    // Every fleet regex is matched with RE2 (re2js), as sops does: its searches are counted.
    const { test } = RE2JS.prototype;
    RE2JS.prototype.test = function countedTest(this: RE2JS, text: string): boolean {
      if (rulePatterns.has(this.pattern()) || restPatterns.has(this.pattern())) {
        tests += 1;
      }
      return test.call(this, text);
    };
    let findings: unknown[];
    try {
      findings = checkFleet(files);
    } finally {
      RE2JS.prototype.test = test;
    }
    assert.equal(findings.length, 200); // the pending placeholders: apps-auth and the OIDC ID of each environment
    // Probes: every file, two sample paths per environment, and each rule's own two when it is not shadowed.
    const probes = files.size + 2 * 100 + 2 * 100;
    assert.ok(tests > 0 && tests <= 2 * probes, `${tests} path_regex tests for ${probes} probe paths`);
  });
});
