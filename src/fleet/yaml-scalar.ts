// The one way a user value reaches a YAML file: as a single-line scalar that means exactly
// that string to both YAML 1.2 (the `yaml` library, SOPS) and YAML 1.1 (kubectl, Flux's
// go-yaml), so no input can add a key, a document or a line, nor turn into a boolean.
import { parse } from 'yaml';
import { escapeToAscii } from './ascii-escape.js';

// Plain scalars are kept for values that read naturally unquoted (names, paths, ARNs).
const PLAIN_CANDIDATE = /^[A-Za-z0-9][A-Za-z0-9._/@+=-]*(?::[A-Za-z0-9._/@+=-]+)*$/;

function readsBackAs(text: string, version: '1.1' | '1.2'): unknown {
  try {
    return parse(text, { version });
  } catch {
    return undefined;
  }
}

/** Everything outside printable ASCII is escaped: YAML 1.1 reads U+2028/U+0085 as line breaks. */
export function doubleQuoted(value: string): string {
  return `"${escapeToAscii(value)}"`;
}

/** Renders a string as a YAML scalar that reads back as that same string. */
export function yamlScalar(value: string): string {
  if (typeof value !== 'string') {
    throw new TypeError(`yamlScalar expects a string, got ${typeof value}`);
  }
  if (PLAIN_CANDIDATE.test(value) && readsBackAs(value, '1.2') === value && readsBackAs(value, '1.1') === value) {
    return value;
  }
  return doubleQuoted(value);
}
