// Reads the creation rules of `.sops.yaml` and adds an environment's rule to it, edited as a YAML
// document so the user's comments, their own rules and the order of the rules survive.
import { type Document, isMap, isSeq, parseDocument, Scalar, type YAMLMap, YAMLSeq } from 'yaml';
import { FluxSopsError } from '../errors.js';
import { yamlScalar } from './yaml-scalar.js';
import { isSopsError } from '../sops/errors.js';
import { assertRulesCompile, type CreationRule, ruleMatches } from '../sops/rules.js';

/** `.sops.yaml` cannot take the new rule as it is: nothing is written, the user fixes the file. */
function sopsConfigError(message: string): FluxSopsError {
  return new FluxSopsError('fleet', `.sops.yaml ${message}; nothing was written`);
}

/** A string node quoted the way the generated `.sops.yaml` quotes it, so added rules look generated. */
function scalar(value: string, quote: 'double' | 'as-needed'): Scalar<string> {
  const node = new Scalar(value);
  if (quote === 'double' || yamlScalar(value) !== value) {
    node.type = Scalar.QUOTE_DOUBLE;
  }
  return node;
}

function creationRuleNode(document: Document, rule: CreationRule): YAMLMap {
  // Same keys, order and quoting as templates/sops.yaml.ejs.
  const node = document.createNode({}) as YAMLMap;
  node.set('path_regex', scalar(String(rule.path_regex), 'double'));
  node.set('encrypted_regex', scalar(String(rule.encrypted_regex), 'double'));
  node.set('kms', scalar(String(rule.kms), 'as-needed'));
  if (typeof rule.age === 'string') {
    node.set('age', scalar(rule.age, 'as-needed'));
  }
  return node;
}

/**
 * Where the new rule goes: sops uses the first rule that matches a path, so the rule must come
 * before the first existing rule that would catch the new environment's files (a rule without
 * `path_regex`, or one whose regex matches them); with no such rule it is appended.
 */
export function insertionIndexFor(rules: readonly CreationRule[], secretPaths: readonly string[]): number {
  const shadowing = rules.findIndex((rule) => secretPaths.some((path) => ruleMatches(rule, path)));
  return shadowing === -1 ? rules.length : shadowing;
}

/**
 * Returns the text of `.sops.yaml` with `rule` added. `secretPaths` are sample paths of the new
 * environment's encrypted files (relative to the `.sops.yaml` folder), used to find the
 * existing rules that would shadow the new one.
 */
export function addCreationRule(sopsConfigText: string, rule: CreationRule, secretPaths: readonly string[]): string {
  const document = parseDocument(sopsConfigText);
  const [problem] = document.errors;
  if (problem) {
    const [where] = problem.linePos ?? [];
    const what = problem.message.split(' at line ')[0];
    throw sopsConfigError(`is not valid YAML (${where ? `line ${where.line}, column ${where.col}: ` : ''}${what})`);
  }
  if (document.contents === null) {
    document.contents = document.createNode({}) as never;
  }
  if (!isMap(document.contents)) {
    throw sopsConfigError('must be a mapping with a creation_rules list');
  }
  const root = document.contents as YAMLMap<unknown, unknown>;
  let rules: unknown = root.get('creation_rules', true);
  if (rules === undefined || (rules instanceof Scalar && rules.value === null)) {
    // No rules yet (`creation_rules:` left empty): start the list.
    rules = new YAMLSeq();
    root.set('creation_rules', rules);
  }
  if (!isSeq(rules)) {
    throw sopsConfigError('has a creation_rules that is not a list');
  }
  // toJS of the whole document, so anchors and aliases in the user's rules resolve.
  const existing = (contentsOf(document) as { creation_rules: unknown[] }).creation_rules;
  if (existing.some((each) => typeof each !== 'object' || each === null || Array.isArray(each))) {
    throw sopsConfigError('has a creation rule that is not a mapping');
  }
  assertCompiles(existing as CreationRule[]);
  if (rules.items.length === 0) {
    rules.flow = false; // `creation_rules: []` becomes a block list, like the generated file
  }
  rules.items.splice(insertionIndexFor(existing as CreationRule[], secretPaths), 0, creationRuleNode(document, rule));
  // lineWidth 0: a long path_regex stays on one line, as the template writes it.
  return document.toString({ lineWidth: 0 });
}

/**
 * The creation rules of a `.sops.yaml` text, as sops reads them (anchors and aliases resolved).
 * A file that does not parse, or has no creation_rules list of mappings, is a 'fleet' error.
 */
export function readCreationRules(sopsConfigText: string): CreationRule[] {
  const document = parseDocument(sopsConfigText);
  const [problem] = document.errors;
  if (problem) {
    const [where] = problem.linePos ?? [];
    throw sopsConfigError(
      `is not valid YAML ` +
        `(${where ? `line ${where.line}, column ${where.col}: ` : ''}${problem.message.split(' at line ')[0]})`,
    );
  }
  const content = contentsOf(document) as { creation_rules?: unknown } | null;
  const rules = content?.creation_rules;
  if (!Array.isArray(rules) || rules.some((rule) => typeof rule !== 'object' || rule === null || Array.isArray(rule))) {
    throw sopsConfigError('must be a mapping with a creation_rules list of rules');
  }
  assertCompiles(rules as CreationRule[]);
  return rules as CreationRule[];
}

/**
 * Returns the text of `.sops.yaml` without the rules whose `path_regex` is exactly `pathRegex`
 * (the rule an environment was given), edited as a document: comments and the other rules stay.
 * Undefined when no rule has that `path_regex` (the user changed or removed it: theirs to edit).
 */
export function removeCreationRule(sopsConfigText: string, pathRegex: string): string | undefined {
  const document = parseDocument(sopsConfigText);
  readCreationRules(sopsConfigText); // the same errors as every command for a file it cannot use
  const rules = (document.contents as YAMLMap<unknown, unknown>).get('creation_rules', true) as unknown as YAMLSeq;
  const plain = (document.toJS() as { creation_rules: CreationRule[] }).creation_rules;
  const kept = rules.items.filter((_, index) => plain[index]?.path_regex !== pathRegex);
  if (kept.length === rules.items.length) {
    return undefined;
  }
  rules.items = kept;
  return document.toString({ lineWidth: 0 });
}

/** The document as plain data; an alias bomb (aliases expanding past the yaml library's limit) is a 'fleet' error. */
function contentsOf(document: Document): unknown {
  try {
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw sopsConfigError(
        'uses too many aliases (more than 100 expanded): a file built to exhaust memory is not read',
      );
    }
    throw error;
  }
}

/** Every regex of every rule compiles with RE2, or the file is a 'fleet' error naming the rule (exit 2). */
function assertCompiles(rules: readonly CreationRule[]): void {
  try {
    assertRulesCompile(rules);
  } catch (error) {
    if (isSopsError(error) && error.code === 'invalid-selector') {
      throw sopsConfigError(`${error.message} (every rule must compile, even one sops would not reach)`);
    }
    throw error;
  }
}
