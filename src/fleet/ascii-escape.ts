// The escaping YAML's double-quoted scalars and HCL's quoted strings share: printable ASCII as it
// is, `\"`, `\\`, `\n`, `\t` and the format's own named escapes, every other code point as
// `\uXXXX` or `\UXXXXXXXX`, so the text written stays one line of ASCII.

const NAMED: ReadonlyMap<string, string> = new Map([
  ['"', '\\"'],
  ['\\', '\\\\'],
  ['\n', '\\n'],
  ['\t', '\\t'],
]);

/** `text` escaped for a double-quoted string; `named` adds escapes of the format's own. */
export function escapeToAscii(text: string, named: ReadonlyMap<string, string> = new Map()): string {
  let escaped = '';
  for (const character of text) {
    const codePoint = character.codePointAt(0) ?? 0;
    escaped +=
      named.get(character) ??
      NAMED.get(character) ??
      (codePoint >= 0x20 && codePoint < 0x7f
        ? character
        : codePoint > 0xffff
          ? `\\U${codePoint.toString(16).padStart(8, '0')}`
          : `\\u${codePoint.toString(16).padStart(4, '0')}`);
  }
  return escaped;
}
