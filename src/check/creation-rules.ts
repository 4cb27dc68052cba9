// The fleet's `.sops.yaml`: reading its creation rules, and the rules about them (anchored,
// not shadowed, one for every environment). Regexes are quoted as written, not re-escaped.
import { SECRETS_FOLDER, SOPS_CONFIG_FILE, sopsPathRegexFor } from '../fleet/layout.js';
import { FluxSopsError } from '../errors.js';
import {
  compilePathRegex,
  type CreationRule,
  type CreationRuleIndex,
  isAnchored,
  literalPrefixOf,
} from '../sops/rules.js';
import type { FleetFiles } from './facts.js';
import { type CheckRule, type Finding, finding } from './findings.js';
import { describeProblem, type FleetFileParser } from './parse.js';

/** Stands in for a creation rule that is not a mapping: sops would reject it, and it matches nothing here. */
const NEVER_MATCHING_RULE: CreationRule = { path_regex: '(?!)' };

export interface CreationRules {
  /** As written: a rule may be anything, and each is judged. */
  readonly raw: readonly unknown[];
  /** The rules as sops matches them (one that is not a mapping matches nothing). */
  readonly rules: readonly CreationRule[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The creation rules of `.sops.yaml`; a file sops could not read makes the fleet uncheckable (exit 2). */
export function readCreationRules(text: string, parse: FleetFileParser): CreationRules {
  const parsed = parse(SOPS_CONFIG_FILE, text);
  if ('problem' in parsed) {
    throw new FluxSopsError(
      'fleet',
      `${SOPS_CONFIG_FILE} does not parse as YAML (${describeProblem(parsed.problem)}): correct it, then check again`,
    );
  }
  // sops reads the first document only.
  const config = parsed.documents[0];
  let raw: unknown[] = [];
  if (config !== null && config !== undefined) {
    if (!isObject(config)) {
      throw new FluxSopsError('fleet', `${SOPS_CONFIG_FILE} must be a mapping with a creation_rules list`);
    }
    if (config.creation_rules !== undefined && config.creation_rules !== null) {
      if (!Array.isArray(config.creation_rules)) {
        throw new FluxSopsError('fleet', `${SOPS_CONFIG_FILE} has a creation_rules that is not a list`);
      }
      raw = config.creation_rules;
    }
  }
  return { raw, rules: raw.map((rule) => (isObject(rule) ? (rule as CreationRule) : NEVER_MATCHING_RULE)) };
}

/** `rule 2 (^secrets/staging/.+\.ya?ml$)`: the regex as written in `.sops.yaml`. */
export function describeRule(rules: readonly CreationRule[], index: number): string {
  const pattern = rules[index]?.path_regex;
  const shown = pattern === undefined || rules[index] === NEVER_MATCHING_RULE ? '' : ` (${String(pattern)})`;
  return `rule ${index + 1}${shown}`;
}

function samplePathsIn(folder: string): string[] {
  return [`${folder}secret.yaml`, `${folder}nested/secret.yml`];
}

/** The fleet's environments, each with its files: folders under secrets/, and those of the stored answers. */
export function environmentsOf(files: FleetFiles, storedEnvironments: readonly string[]): Map<string, string[]> {
  const environments = new Map<string, string[]>();
  for (const path of files.keys()) {
    const [top, environment, ...rest] = path.split('/');
    if (top === SECRETS_FOLDER && environment && rest.length > 0) {
      const paths = environments.get(environment);
      if (paths) {
        paths.push(path);
      } else {
        environments.set(environment, [path]);
      }
    }
  }
  for (const environment of storedEnvironments) {
    if (!environments.has(environment)) {
      environments.set(environment, []);
    }
  }
  return new Map([...environments].sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

/**
 * Anchoring, shadowing and coverage of the rules. Shadowing is found on probe paths (the
 * fleet's files, sample paths in every environment's folder and in each rule's own folder):
 * each probe is matched once, against the rules its prefix allows.
 */
export function checkCreationRules(
  { raw, rules }: CreationRules,
  index: CreationRuleIndex,
  files: FleetFiles,
  storedEnvironments: readonly string[],
): Finding[] {
  const findings: Finding[] = [];
  const report = (rule: CheckRule, message: string, fix: string) =>
    findings.push(finding(SOPS_CONFIG_FILE, rule, message, fix));
  const environments = environmentsOf(files, storedEnvironments);

  // First shadowed probe per rule, with the rule that takes it.
  const shadowedAt = new Map<number, { path: string; winner: number }>();
  const probe = (path: string, only?: number): void => {
    const [winner, ...shadowed] = index.matching(path);
    for (const loser of shadowed) {
      if ((only === undefined || loser === only) && !shadowedAt.has(loser) && winner !== undefined) {
        shadowedAt.set(loser, { path, winner });
      }
    }
  };
  for (const path of files.keys()) {
    probe(path);
  }
  for (const environment of environments.keys()) {
    samplePathsIn(`${SECRETS_FOLDER}/${environment}/`).forEach((path) => probe(path));
  }

  raw.forEach((rule, position) => {
    const label = describeRule(rules, position);
    if (!isObject(rule)) {
      report(
        'invalid-rule',
        `rule ${position + 1} is not a mapping, so sops cannot read ${SOPS_CONFIG_FILE}`,
        `make rule ${position + 1} a mapping with path_regex and its keys, or delete it`,
      );
      return;
    }
    if (rule.path_regex === undefined) {
      report(
        'unanchored-rule',
        `${label} has no path_regex: it matches every file, so sops encrypts files anywhere, even where no ` +
          `decrypting Kustomization reads them`,
        `give rule ${position + 1} an anchored path_regex such as ${sopsPathRegexFor('<env>')}, or delete it`,
      );
      return;
    }
    if (typeof rule.path_regex !== 'string' || compilePathRegex(rule.path_regex) === undefined) {
      report(
        'invalid-rule',
        `${label}: path_regex is not a valid regular expression`,
        `correct the path_regex of rule ${position + 1} (RE2 syntax, as sops reads it)`,
      );
      return;
    }
    if (!isAnchored(rule.path_regex)) {
      const core = rule.path_regex.replace(/^\^/, '').replace(/\$$/, '');
      report(
        'unanchored-rule',
        `${label} is not anchored with ^…$: it also matches paths it was not written for (for example the same ` +
          `folder under another one)`,
        `anchor it: path_regex: ^${core}$`,
      );
    }
    if (!shadowedAt.has(position)) {
      samplePathsIn(literalPrefixOf(rule.path_regex)).forEach((path) => probe(path, position));
    }
    const shadowed = shadowedAt.get(position);
    if (shadowed !== undefined) {
      report(
        'shadowed-rule',
        `${label} is shadowed by ${describeRule(rules, shadowed.winner)}: sops uses the first match, so ` +
          `${shadowed.path} gets rule ${shadowed.winner + 1}'s keys`,
        `move rule ${position + 1} before rule ${shadowed.winner + 1}, or narrow rule ${shadowed.winner + 1}'s ` +
          `path_regex`,
      );
    }
  });

  for (const [environment, paths] of environments) {
    const folder = `${SECRETS_FOLDER}/${environment}/`;
    if (![...paths, ...samplePathsIn(folder)].some((path) => index.find(path) !== -1)) {
      report(
        'missing-rule',
        `no creation rule matches ${folder}: sops cannot encrypt the files of ${environment}`,
        `add a creation rule to ${SOPS_CONFIG_FILE} with path_regex: ${sopsPathRegexFor(environment)} and the KMS ` +
          `key of ${environment}`,
      );
    }
  }
  return findings;
}
