// How the sops CLI picks a creation rule, so the generator, the
// sealing commands and the checker reason about `.sops.yaml` the way sops does: the path
// relative to the `.sops.yaml` folder is matched against each rule's `path_regex` (unanchored,
// like Go's MatchString, with RE2: src/sops/regex.ts), first match wins, and a rule without
// `path_regex` matches every file.

import { SopsError } from './errors.js';
import { compileRe2, type Re2Pattern, re2Problem } from './regex.js';

export interface CreationRule {
  readonly path_regex?: string;
  readonly kms?: string;
  readonly encrypted_regex?: string;
  readonly [key: string]: unknown;
}

/** The rule's path_regex compiled with RE2 (as sops), or undefined when RE2 cannot compile it. */
export function compilePathRegex(pattern: string): Re2Pattern | undefined {
  return re2Problem(pattern) === undefined ? compileRe2(pattern) : undefined;
}

/**
 * Every regular expression of the rules (path_regex and the selectors), compiled with RE2: the
 * first one RE2 cannot compile is thrown as a SopsError('invalid-selector') naming the rule. Stricter than sops,
 * which compiles a path_regex only when it reaches that rule: a broken rule never hands a file
 * to the next rule's keys.
 */
export function assertRulesCompile(rules: readonly CreationRule[]): void {
  rules.forEach((rule, index) => {
    for (const field of RULE_REGEX_FIELDS) {
      const pattern = rule[field];
      if (pattern === undefined || pattern === null) {
        continue;
      }
      const problem = typeof pattern === 'string' ? re2Problem(pattern) : `${field} must be a string`;
      if (problem !== undefined) {
        throw new SopsError('invalid-selector', `creation rule ${index + 1}: ${field}: ${problem}`);
      }
    }
  });
}

/** The fields of a creation rule that hold a regular expression. */
const RULE_REGEX_FIELDS = [
  'path_regex',
  'encrypted_regex',
  'unencrypted_regex',
  'encrypted_comment_regex',
  'unencrypted_comment_regex',
] as const;

export function ruleMatches(rule: CreationRule, relativePath: string): boolean {
  if (rule.path_regex === undefined) {
    return true;
  }
  // A rule RE2 cannot compile matches nothing here; reading `.sops.yaml` refuses it (assertRulesCompile).
  return compilePathRegex(String(rule.path_regex))?.test(relativePath) ?? false;
}

/** The index of the rule sops would use for a path relative to the `.sops.yaml` folder, or -1. */
export function findCreationRule(rules: readonly CreationRule[], relativePath: string): number {
  return rules.findIndex((rule) => ruleMatches(rule, relativePath));
}

/** Whether a pattern is anchored at both ends, so it cannot match a path it was not written for. */
export function isAnchored(pattern: string): boolean {
  return pattern.startsWith('^') && pattern.endsWith('$') && !pattern.endsWith('\\$');
}

const LITERAL_CHARACTER = /[A-Za-z0-9/_-]/;
const ESCAPED_PUNCTUATION = /[^A-Za-z0-9]/;
const QUANTIFIER = /[?*{]/;

/**
 * The text every path a pattern matches starts with: `^secrets/staging/.+` → `secrets/staging/`.
 * '' when that cannot be told simply (not anchored with `^`, an alternation, a group first),
 * which is always safe: '' is a prefix of every path. A character a quantifier makes optional
 * (`x?`, `x*`, `x{0,1}`) ends the prefix before it.
 */
export function literalPrefixOf(pattern: string): string {
  return splitLiteralPrefix(pattern).prefix;
}

/** The literal prefix, and the rest of the pattern after it (after `^` and the prefix as written). */
function splitLiteralPrefix(pattern: string): { prefix: string; rest: string } {
  if (!pattern.startsWith('^') || hasAlternation(pattern)) {
    return { prefix: '', rest: pattern };
  }
  let prefix = '';
  let index = 1;
  while (index < pattern.length) {
    const character = pattern[index] ?? '';
    let literal: string;
    let width: number;
    if (LITERAL_CHARACTER.test(character)) {
      literal = character;
      width = 1;
    } else if (character === '\\' && ESCAPED_PUNCTUATION.test(pattern[index + 1] ?? 'a')) {
      literal = pattern[index + 1] ?? '';
      width = 2;
    } else {
      break;
    }
    if (QUANTIFIER.test(pattern[index + width] ?? '')) {
      break;
    }
    prefix += literal;
    index += width;
  }
  return { prefix, rest: pattern.slice(index) };
}

/**
 * What the rest of a pattern may not hold for it to be matched on its own, after the prefix:
 * a lookbehind or a word boundary would look back into the prefix, and `^` would match where
 * the rest starts.
 */
const LOOKS_BACK = /\(\?<|\\[bBA]|\^/;

/** The rest patterns, compiled once each: a fleet's rules usually share one (`.+\.ya?ml$`). */
const compiledRests = new Map<string, Re2Pattern | undefined>();

/**
 * A test for one rule's path_regex: a literal prefix compared as text, and the rest (which the
 * rules of a fleet share) matched by one regex compiled once, instead of one regex per rule.
 */
function pathTestOf(pattern: string): (path: string) => boolean {
  const whole = compilePathRegex(pattern);
  if (whole === undefined) {
    return () => false;
  }
  const { prefix, rest } = splitLiteralPrefix(pattern);
  if (prefix === '' || LOOKS_BACK.test(rest)) {
    return (path) => whole.test(path);
  }
  if (!compiledRests.has(rest)) {
    // undefined when the rest cannot stand alone: the whole pattern is tested instead.
    compiledRests.set(rest, re2Problem(`^(?:${rest})`) === undefined ? compileRe2(`^(?:${rest})`) : undefined);
  }
  const restRegex = compiledRests.get(rest);
  if (restRegex === undefined) {
    return (path) => whole.test(path);
  }
  return (path) => path.startsWith(prefix) && restRegex.test(path.slice(prefix.length));
}

/** An unescaped `|` anywhere (also inside a class, to stay simple and safe). */
function hasAlternation(pattern: string): boolean {
  for (let index = 0; index < pattern.length; index += 1) {
    if (pattern[index] === '\\') {
      index += 1;
    } else if (pattern[index] === '|') {
      return true;
    }
  }
  return false;
}

/** First-match lookups over many paths, each path compared with the few rules that can match it. */
export interface CreationRuleIndex {
  /** Same answer as `findCreationRule(rules, path)`. */
  find(relativePath: string): number;
  /** Every rule matching the path, in order: more than one means the later ones are shadowed there. */
  matching(relativePath: string): number[];
}

/**
 * Indexes rules by the literal prefix of their `path_regex`: a path is tested only against the
 * rules whose prefix it starts with (those without one are tested against every path), so a
 * fleet of N environments costs about one regex test per path, not N.
 */
export function indexCreationRules(rules: readonly CreationRule[]): CreationRuleIndex {
  const byPrefix = new Map<string, number[]>();
  const tests: ((path: string) => boolean)[] = [];
  rules.forEach((rule, index) => {
    const pattern = rule.path_regex;
    if (pattern !== undefined && compilePathRegex(String(pattern)) === undefined) {
      tests.push(() => false);
      return; // matches nothing
    }
    tests.push(pattern === undefined ? () => true : pathTestOf(String(pattern)));
    const prefix = pattern === undefined ? '' : literalPrefixOf(String(pattern));
    const sharing = byPrefix.get(prefix);
    if (sharing) {
      sharing.push(index);
    } else {
      byPrefix.set(prefix, [index]);
    }
  });
  const prefixLengths = [...new Set([...byPrefix.keys()].map((prefix) => prefix.length))].sort(
    (left, right) => left - right,
  );
  const candidatesOf = (path: string): number[] => {
    const candidates: number[] = [];
    for (const length of prefixLengths) {
      if (length > path.length) {
        break;
      }
      candidates.push(...(byPrefix.get(path.slice(0, length)) ?? []));
    }
    return candidates.sort((left, right) => left - right);
  };
  const matches = (index: number, path: string) => tests[index]?.(path) ?? false;
  return {
    find: (path) => candidatesOf(path).find((index) => matches(index, path)) ?? -1,
    matching: (path) => candidatesOf(path).filter((index) => matches(index, path)),
  };
}
