// How the sops CLI picks a creation rule, so the generator and the checker reason about
// `.sops.yaml` the way sops does: the path relative to the `.sops.yaml` folder is matched
// against each rule's `path_regex` (unanchored, like Go's MatchString), first match wins,
// and a rule without `path_regex` matches every file.

export interface CreationRule {
  readonly path_regex?: string;
  readonly kms?: string;
  readonly encrypted_regex?: string;
  readonly [key: string]: unknown;
}

/** Compiled once per pattern: the checker matches every rule against hundreds of paths. */
const compiledPathRegexes = new Map<string, RegExp | undefined>();

/** Go RE2 and JavaScript agree on the syntax these rules use; an invalid pattern matches nothing. */
export function compilePathRegex(pattern: string): RegExp | undefined {
  if (!compiledPathRegexes.has(pattern)) {
    let compiled: RegExp | undefined;
    try {
      compiled = new RegExp(pattern);
    } catch {
      compiled = undefined;
    }
    compiledPathRegexes.set(pattern, compiled);
  }
  return compiledPathRegexes.get(pattern);
}

export function ruleMatches(rule: CreationRule, relativePath: string): boolean {
  if (rule.path_regex === undefined) {
    return true;
  }
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

/** The ARNs of a list of sops KMS key entries (`[{ arn: … }]`, in key_groups and in a file's metadata). */
export function arnsOfKmsEntries(entries: unknown): string[] {
  return (Array.isArray(entries) ? entries : [])
    .map((entry: unknown) => (entry as { arn?: unknown } | null)?.arn)
    .filter((arn): arn is string => typeof arn === 'string');
}

/**
 * The KMS ARNs of a rule: its `kms` (sops accepts a comma-separated list) and the `kms`
 * entries of its `key_groups`, in order.
 */
export function kmsArnsOf(rule: CreationRule): string[] {
  const listed =
    typeof rule.kms === 'string'
      ? rule.kms
          .split(',')
          .map((arn) => arn.trim())
          .filter((arn) => arn !== '')
      : [];
  const grouped = (Array.isArray(rule.key_groups) ? rule.key_groups : []).flatMap((group: unknown) =>
    arnsOfKmsEntries((group as { kms?: unknown } | null)?.kms),
  );
  return [...listed, ...grouped];
}
