// A reader for the plain kind of YAML a fleet is made of (block mappings and sequences, plain
// and simply quoted scalars, literal block scalars, comments, `---` between documents), line by
// line with native string operations. On a cold start it is several times faster than a general
// YAML parser (parsing is most of what `flux-sops check` spends on a large fleet), and it needs
// no library, so js-yaml is loaded only for a file it declines. It declines anything else (anchors,
// aliases, tags, merge keys, flow collections, folded or indented block scalars, multi-line
// scalars, directives, tabs, duplicate keys, escapes JSON does not share, numbers other than
// plain decimals…) by returning undefined. Whatever it does read, it reads as js-yaml does with
// check's schema (YAML 1.2 core): the same values, the same scalar types
// (test/check-parsers.test.ts compares the two on generated and hostile input).

type Container = Record<string, unknown> | unknown[];

/** Gives up on this text: js-yaml reads it (one instance, recognised by identity). */
const NOT_SIMPLE = new Error('not simple YAML: left to js-yaml');
/** A plain key: letters, digits and `_ . / -`, as Kubernetes keys and annotation names are written. */
const PLAIN_KEY = /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/;
/** Characters that may not start a plain scalar, or start something this reader does not read. */
const INDICATOR = /^[-?:,[\]{}#&*!|>'"%@`]/;
/** The YAML 1.2 core schema's implicit values, as js-yaml resolves plain scalars. */
const CORE_NULL = new Set(['~', 'null', 'Null', 'NULL']);
const CORE_TRUE = new Set(['true', 'True', 'TRUE']);
const CORE_FALSE = new Set(['false', 'False', 'FALSE']);
/** Every form the core schema reads as an int or a float (`-1`, `0o14`, `0x1F`, `1.5e3`, `.inf`, `.NaN`). */
const CORE_NUMBER = new RegExp(
  String.raw`^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|` +
    String.raw`[-+]?\.[0-9]+(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`,
);
/** The numbers read here: plain decimals that stay exact (`014` is 14 in the core schema). */
const PLAIN_DECIMAL = /^[0-9]{1,15}$/;
/** Each escape of a double-quoted scalar, in order (so `\\\\.` is one escaped backslash, then a dot). */
const ESCAPE = /\\([\s\S])/g;
/** Escapes JSON and YAML double-quoted scalars read alike. */
const JSON_ESCAPED = new Set(['"', '\\', '/', 'b', 'f', 'n', 'r', 't', 'u']);
/**
 * Tabs, carriage returns, byte-order marks, line breaks of YAML 1.1 and anything YAML calls
 * non-printable (which js-yaml refuses, with a position): js-yaml reads or refuses such text.
 */
const DECLINED_CHARACTER = new RegExp(
  String.raw`[\x00-\x09\x0B-\x1F\x7F-\x9F\u2028\u2029\uFEFF\uFFFE\uFFFF]|` +
    String.raw`[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]`,
);
/** `|`, `|-`, `|+`: a literal block scalar, clipped, stripped or kept (no indentation indicator). */
const LITERAL_HEADER = /^\|([-+]?)(?: +#.*)?$/;

export class SimpleYamlReader {
  private lines: string[] = [];
  /** Leading spaces of each line, found once. */
  private indents: number[] = [];
  private index = 0;

  /** The documents of `text`, or undefined when it is not of the plain kind. */
  read(text: string): unknown[] | undefined {
    if (DECLINED_CHARACTER.test(text)) {
      return undefined;
    }
    this.lines = text.split('\n');
    this.indents = this.lines.map(indentOf);
    this.index = 0;
    try {
      return this.readDocuments();
    } catch (error) {
      if (error === NOT_SIMPLE) {
        return undefined;
      }
      throw error;
    }
  }

  private readDocuments(): unknown[] {
    const documents: unknown[] = [];
    // Content before the first `---` is a document only when there is some.
    let open = false;
    for (;;) {
      const line = this.nextContentLine();
      if (line === undefined) {
        if (open) {
          documents.push(null);
        }
        return documents;
      }
      if (line === '---') {
        if (open) {
          documents.push(null);
        }
        open = true;
        this.index += 1;
        continue;
      }
      if (line.startsWith('---') || line.startsWith('...') || line.startsWith('%')) {
        throw NOT_SIMPLE;
      }
      if (this.indent() !== 0) {
        throw NOT_SIMPLE;
      }
      documents.push(this.readCollection(0));
      open = false;
      const next = this.nextContentLine();
      if (next !== undefined && next !== '---') {
        throw NOT_SIMPLE; // something the collection did not take: not ours to judge
      }
    }
  }

  /** The next line that is neither blank nor only a comment, without consuming it. */
  private nextContentLine(): string | undefined {
    while (this.index < this.lines.length) {
      const line = this.lines[this.index] as string;
      const start = this.indent();
      if (start < line.length && line.charCodeAt(start) !== 0x23 /* # */) {
        return line;
      }
      this.index += 1;
    }
    return undefined;
  }

  /** The indentation of the current line. */
  private indent(): number {
    return this.indents[this.index] ?? 0;
  }

  /** A block mapping or sequence whose lines start at `indent` (or an empty `[]`, `{}` on a line of its own). */
  private readCollection(indent: number): Container {
    const line = this.nextContentLine() as string;
    const content = line.slice(indent);
    if (content === '[]' || content === '{}') {
      this.index += 1;
      this.assertNothingNestedUnder(indent - 1);
      return content === '[]' ? [] : {};
    }
    return isSequenceItem(line, indent) ? this.readSequence(indent) : this.readMapping(indent);
  }

  private readSequence(indent: number): unknown[] {
    const items: unknown[] = [];
    for (
      let line = this.nextContentLine();
      line !== undefined && this.indent() === indent && isSequenceItem(line, indent);
      line = this.nextContentLine()
    ) {
      let contentStart = indent + 1;
      while (line.charCodeAt(contentStart) === 0x20) {
        contentStart += 1;
      }
      const rest = line.slice(contentStart);
      if (rest === '' || rest.startsWith('#')) {
        this.index += 1;
        items.push(this.readNested(indent, false));
      } else if (keyOf(rest) !== undefined) {
        // `- key: value`: a mapping whose first line starts where its key does.
        this.lines[this.index] = ' '.repeat(contentStart) + rest;
        this.indents[this.index] = contentStart;
        items.push(this.readMapping(contentStart));
      } else {
        this.index += 1;
        items.push(this.scalar(rest));
        this.assertNothingNestedUnder(indent);
      }
    }
    return items;
  }

  private readMapping(indent: number): Record<string, unknown> {
    const mapping: Record<string, unknown> = {};
    for (
      let line = this.nextContentLine();
      line !== undefined && this.indent() === indent && line !== '---';
      line = this.nextContentLine()
    ) {
      if (isSequenceItem(line, indent)) {
        throw NOT_SIMPLE; // a sequence item among keys: an error js-yaml words
      }
      const content = line.slice(indent);
      const key = keyOf(content);
      if (key === undefined) {
        throw NOT_SIMPLE;
      }
      const name = this.keyName(key.key);
      if (Object.prototype.hasOwnProperty.call(mapping, name) || name === '__proto__') {
        throw NOT_SIMPLE; // a duplicate key is an error js-yaml words; __proto__ needs its care
      }
      this.index += 1;
      if (key.value === '' || key.value.startsWith('#')) {
        mapping[name] = this.readNested(indent, true);
      } else if (key.value.startsWith('|')) {
        mapping[name] = this.readLiteral(key.value, indent);
      } else {
        mapping[name] = this.scalar(key.value);
        this.assertNothingNestedUnder(indent);
      }
    }
    const next = this.nextContentLine();
    if (next !== undefined && next !== '---' && this.indent() > indent) {
      throw NOT_SIMPLE;
    }
    return mapping;
  }

  /**
   * What stands under `key:` or `-` with nothing after it: a more indented collection, a sequence
   * at the key's indent, or null.
   */
  private readNested(parentIndent: number, sequenceMayAlign: boolean): unknown {
    const next = this.nextContentLine();
    if (next === undefined || next === '---') {
      return null;
    }
    const indent = this.indent();
    if (indent > parentIndent) {
      return this.readCollection(indent);
    }
    if (sequenceMayAlign && indent === parentIndent && isSequenceItem(next, indent)) {
      return this.readSequence(indent);
    }
    return null;
  }

  /**
   * A literal block scalar under a key at `parentIndent`: its lines as written, less their common
   * indentation (that of its first line), with the final line breaks the header's chomping says.
   */
  private readLiteral(header: string, parentIndent: number): string {
    const chomping = LITERAL_HEADER.exec(header)?.[1];
    if (chomping === undefined) {
      throw NOT_SIMPLE;
    }
    const first = this.lines[this.index];
    const indent = this.indent();
    if (first === undefined || indent <= parentIndent || indent === first.length) {
      throw NOT_SIMPLE; // empty, or starting with blank lines: left to js-yaml
    }
    const content: string[] = [];
    let blanks = 0;
    for (; this.index < this.lines.length; this.index += 1) {
      const line = this.lines[this.index] as string;
      if (line === '') {
        blanks += 1;
        continue;
      }
      if (this.indent() < indent) {
        if (this.indent() === line.length) {
          throw NOT_SIMPLE; // a blank line of spaces: its meaning depends on where it stands
        }
        break;
      }
      for (; blanks > 0; blanks -= 1) {
        content.push('');
      }
      content.push(line.slice(indent));
    }
    if (this.index === this.lines.length && blanks === 0) {
      throw NOT_SIMPLE; // the text ends without a line break
    }
    // The blank lines just read belong to what follows, as far as js-yaml's positions go: step back over them.
    this.index -= blanks;
    const text = content.join('\n');
    return chomping === '-'
      ? text
      : chomping === '+'
        ? `${text}\n${'\n'.repeat(blanks > 0 && this.index + blanks === this.lines.length ? blanks - 1 : blanks)}`
        : `${text}\n`;
  }

  /** After a scalar, a more indented line would continue it over several lines: not ours. */
  private assertNothingNestedUnder(indent: number): void {
    const next = this.nextContentLine();
    if (next !== undefined && next !== '---' && this.indent() > indent) {
      throw NOT_SIMPLE;
    }
  }

  private keyName(key: string): string {
    if (key.charCodeAt(0) === 0x22 || key.charCodeAt(0) === 0x27) {
      return String(this.scalar(key));
    }
    return String(this.resolvePlain(key));
  }

  /** A scalar written on one line, with any comment after it. */
  private scalar(text: string): unknown {
    const first = text.charCodeAt(0);
    if (first === 0x22 /* " */) {
      const match = /^"((?:[^"\\]|\\.)*)" *(?: #.*)?$/.exec(text);
      if (
        !match ||
        [...(match[1] as string).matchAll(ESCAPE)].some((escape) => !JSON_ESCAPED.has(escape[1] as string))
      ) {
        throw NOT_SIMPLE;
      }
      try {
        return JSON.parse(`"${match[1]}"`) as string;
      } catch {
        throw NOT_SIMPLE; // a control character JSON refuses
      }
    }
    if (first === 0x27 /* ' */) {
      const match = /^'((?:[^']|'')*)' *(?: #.*)?$/.exec(text);
      if (!match) {
        throw NOT_SIMPLE;
      }
      return (match[1] as string).replaceAll("''", "'");
    }
    if (text === '[]') {
      return [];
    }
    if (text === '{}') {
      return {};
    }
    const comment = text.indexOf(' #');
    const plain = (comment === -1 ? text : text.slice(0, comment)).trimEnd();
    if (plain === '' || INDICATOR.test(plain) || plain.includes(': ') || plain.endsWith(':')) {
      throw NOT_SIMPLE;
    }
    return this.resolvePlain(plain);
  }

  /** As the core schema resolves a plain scalar: null, a boolean, a plain decimal, or the string itself. */
  private resolvePlain(plain: string): unknown {
    const first = plain.charCodeAt(0);
    if ((first >= 0x61 /* a */ && first <= 0x7a) || (first >= 0x41 /* A */ && first <= 0x5a)) {
      // A letter first: a string, unless it is one of the null and boolean words.
      return CORE_NULL.has(plain) ? null : CORE_TRUE.has(plain) ? true : CORE_FALSE.has(plain) ? false : plain;
    }
    if (CORE_NULL.has(plain)) {
      return null;
    }
    if (CORE_TRUE.has(plain) || CORE_FALSE.has(plain)) {
      return CORE_TRUE.has(plain);
    }
    if (CORE_NUMBER.test(plain)) {
      if (PLAIN_DECIMAL.test(plain)) {
        return Number(plain);
      }
      throw NOT_SIMPLE; // signs, octal, hex, floats: js-yaml's own arithmetic
    }
    return plain;
  }
}

const FIRST_NON_SPACE = /[^ ]/;

/** Leading spaces (a native search: this runs for every line of every file). */
function indentOf(line: string): number {
  const indent = line.search(FIRST_NON_SPACE);
  return indent === -1 ? line.length : indent;
}

function isSequenceItem(line: string, indent: number): boolean {
  return (
    line.charCodeAt(indent) === 0x2d /* - */ && (line.length === indent + 1 || line.charCodeAt(indent + 1) === 0x20)
  );
}

/** `key: value`, `key:`, `"key": value`: the key as written and what follows the colon. */
function keyOf(content: string): { key: string; value: string } | undefined {
  let end: number;
  const first = content.charCodeAt(0);
  if (first === 0x22 /* " */ || first === 0x27 /* ' */) {
    end = content.indexOf(first === 0x22 ? '"' : "'", 1) + 1;
    if (end === 0 || content.slice(1, end - 1).includes('\\')) {
      return undefined;
    }
  } else {
    end = content.indexOf(':');
    if (end <= 0 || !PLAIN_KEY.test(content.slice(0, end))) {
      return undefined;
    }
  }
  if (content.charCodeAt(end) !== 0x3a /* : */) {
    return undefined;
  }
  const after = content.charCodeAt(end + 1);
  if (Number.isNaN(after)) {
    return { key: content.slice(0, end), value: '' };
  }
  if (after !== 0x20) {
    return undefined;
  }
  return { key: content.slice(0, end), value: content.slice(end + 1).trimStart() };
}
