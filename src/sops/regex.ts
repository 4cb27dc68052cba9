// Every regular expression a fleet file holds (`path_regex`, `encrypted_regex`,
// `unencrypted_regex`, the comment regexes, in `.sops.yaml` and in a file's `sops` metadata) is
// compiled and matched here, with RE2 as sops does (Go's regexp is RE2): the same syntax, linear
// time whatever the pattern and the text, and an unanchored search like Go's MatchString. A
// pull request can change these files: a pattern must not stall a command or mean something
// else than it means to sops.
import { RE2JS } from 're2js';
import { SopsError } from './errors.js';

/** A compiled pattern: `test` searches the text anywhere, as Go's MatchString. */
export interface Re2Pattern {
  test(text: string): boolean;
}

const compiled = new Map<string, Re2Pattern | SopsError>();

/**
 * Compiles a pattern as Go's regexp.Compile does (no flags: RE2's Perl syntax, `(?i)` and the
 * other inline flags, `(?P<name>…)`, `[[:alpha:]]`, `\A`, `\z`; no lookaround, no
 * backreferences), once per pattern. Throws SopsError('invalid-selector') when RE2 cannot compile it.
 */
export function compileRe2(pattern: string): Re2Pattern {
  let entry = compiled.get(pattern);
  if (entry === undefined) {
    try {
      const regex = RE2JS.compile(pattern);
      entry = { test: (text: string) => regex.test(text) };
    } catch (error) {
      entry = new SopsError(
        'invalid-selector',
        `the regular expression ${JSON.stringify(pattern)} is not valid RE2 (the syntax sops reads): ` +
          (error as Error).message,
      );
    }
    compiled.set(pattern, entry);
  }
  if (entry instanceof SopsError) {
    throw entry;
  }
  return entry;
}

/** Why RE2 cannot compile a pattern, or undefined when it can. */
export function re2Problem(pattern: string): string | undefined {
  try {
    compileRe2(pattern);
    return undefined;
  } catch (error) {
    return (error as SopsError).message;
  }
}
