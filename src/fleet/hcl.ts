// HCL values for the Terraform files: literal strings escaped so no input becomes an expression,
// object keys quoted where needed, Terraform references kept as expressions, laid out as
// `terraform fmt` lays them out.
import { escapeToAscii } from './ascii-escape.js';

/** A value the writer can render: JSON's values, with strings that may carry `hclReference` tokens. */
export type HclValue =
  string | number | boolean | null | readonly HclValue[] | { readonly [key: string]: HclValue | undefined };

// A reference travels inside ordinary strings (so one document builder serves JSON and HCL)
// as a NUL-delimited traversal. Only traversals issued by `hclReference` are honoured: one that
// was not issued is a bug or an attack, and the writer refuses it. Any other NUL is text.
const REFERENCE_MARK = '\u0000';
const TRAVERSAL_SOURCE = '[A-Za-z_][A-Za-z0-9_-]*(?:\\.[A-Za-z_][A-Za-z0-9_-]*|\\[\\d+\\])+';
const TRAVERSAL = new RegExp(`^${TRAVERSAL_SOURCE}$`);
const REFERENCE_TOKEN = new RegExp(`\u0000(${TRAVERSAL_SOURCE})\u0000`, 'g');
const issuedReferences = new Set<string>();

/**
 * A Terraform reference (`local.x`, `data.t.n.arn`: traversals only) as a string token. Put into
 * a value, it is written as that expression: bare when it is the whole string, `${…}` inside text.
 */
export function hclReference(expression: string): string {
  if (!TRAVERSAL.test(expression)) {
    throw new Error(
      `Bug: hclReference takes a Terraform traversal such as local.name, got ${JSON.stringify(expression)}`,
    );
  }
  issuedReferences.add(expression);
  return `${REFERENCE_MARK}${expression}${REFERENCE_MARK}`;
}

type Part = { readonly text: string } | { readonly reference: string };

function partsOf(value: string): Part[] {
  const parts: Part[] = [];
  let last = 0;
  for (const match of value.matchAll(REFERENCE_TOKEN)) {
    const expression = match[1] ?? '';
    if (!issuedReferences.has(expression)) {
      throw new Error(`Bug: ${JSON.stringify(value)} holds a reference token that hclReference did not issue`);
    }
    if (match.index > last) {
      parts.push({ text: value.slice(last, match.index) });
    }
    parts.push({ reference: expression });
    last = match.index + match[0].length;
  }
  if (last < value.length || parts.length === 0) {
    parts.push({ text: value.slice(last) });
  }
  return parts;
}

// Everything outside printable ASCII as an escape: the file stays ASCII, and `terraform fmt` (which
// counts bytes when it aligns) agrees with the writer on every column.
const HCL_ESCAPES: ReadonlyMap<string, string> = new Map([['\r', '\\r']]);

/** Literal text inside an HCL quoted template: `${` and `%{` would start an interpolation or a directive. */
function escapeText(text: string): string {
  const escaped = escapeToAscii(text, HCL_ESCAPES);
  // (Replacement functions: in a replacement string, `$$` would mean one `$`.)
  return escaped.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** A string as an HCL quoted template: literal text escaped, reference tokens as `${expression}`. */
export function hclString(value: string): string {
  const parts = partsOf(value);
  return `"${parts
    .map((part, index) => {
      if ('reference' in part) {
        return `\${${part.reference}}`;
      }
      // A literal `$` or `%` right before an interpolation would make `$${`, the escape of a
      // literal `${`: such trailing characters are written as an interpolated string instead.
      const trailing = index + 1 < parts.length ? (/[$%]+$/.exec(part.text)?.[0] ?? '') : '';
      const literal = escapeText(part.text.slice(0, part.text.length - trailing.length));
      return trailing === '' ? literal : `${literal}\${"${trailing}"}`;
    })
    .join('')}"`;
}

const KEYWORDS: ReadonlySet<string> = new Set(['true', 'false', 'null', 'for', 'in', 'if']);
const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * An object key: a bare identifier when HCL reads it literally, otherwise quoted (or parenthesised
 * for a whole reference).
 */
export function hclKey(key: string): string {
  const parts = partsOf(key);
  const [only] = parts;
  if (parts.length === 1 && only !== undefined && 'reference' in only) {
    return `(${only.reference})`;
  }
  return IDENTIFIER.test(key) && !KEYWORDS.has(key) ? key : hclString(key);
}

const indentOf = (depth: number): string => '  '.repeat(depth);
const isMultiLine = (text: string): boolean => text.includes('\n');
const isScalar = (value: HclValue | undefined): boolean => value === null || typeof value !== 'object';
/** `terraform fmt` measures bytes, not characters, when it aligns `=`. */
const widthOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/**
 * Lines `key = value` of one object or block body, with `=` aligned as `terraform fmt` aligns
 * it: within each run of consecutive single-line attributes, one space after the longest key.
 * An attribute whose value spans lines ends the run (fmt does not align it) and keeps one space.
 */
export function hclAttributes(entries: ReadonlyArray<readonly [key: string, value: string]>, depth: number): string[] {
  const lines: string[] = [];
  let run: Array<readonly [string, string]> = [];
  const closeRun = () => {
    const width = Math.max(0, ...run.map(([key]) => widthOf(key)));
    for (const [key, value] of run) {
      lines.push(`${indentOf(depth)}${key}${' '.repeat(width - widthOf(key))} = ${value}`);
    }
    run = [];
  };
  for (const entry of entries) {
    if (isMultiLine(entry[1])) {
      closeRun();
      lines.push(`${indentOf(depth)}${entry[0]} = ${entry[1]}`);
    } else {
      run.push(entry);
    }
  }
  closeRun();
  return lines;
}

/**
 * A value as an HCL expression whose first line continues the line it is put on and whose
 * other lines are indented for nesting `depth` (the depth of the line that holds it).
 * Objects and lists holding objects span lines; lists of scalars stay on one line.
 */
export function hclValue(value: HclValue, depth = 0): string {
  if (typeof value === 'string') {
    const parts = partsOf(value);
    const [only] = parts;
    return parts.length === 1 && only !== undefined && 'reference' in only ? only.reference : hclString(value);
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new Error(`Bug: HCL has no number ${value}`);
    }
    return String(value);
  }
  if (value === null || typeof value === 'boolean') {
    return String(value);
  }
  if (isArray(value)) {
    if (value.every(isScalar)) {
      return `[${value.map((item) => hclValue(item, depth)).join(', ')}]`;
    }
    const items = value.map((item) => `${indentOf(depth + 1)}${hclValue(item, depth + 1)},`);
    return `[\n${items.join('\n')}\n${indentOf(depth)}]`;
  }
  const entries = Object.entries(value).flatMap(([key, item]) =>
    item === undefined ? [] : [[hclKey(key), hclValue(item, depth + 1)] as const],
  );
  if (entries.length === 0) {
    return '{}';
  }
  return `{\n${hclAttributes(entries, depth + 1).join('\n')}\n${indentOf(depth)}}`;
}

function isArray(value: HclValue): value is readonly HclValue[] {
  return Array.isArray(value);
}
