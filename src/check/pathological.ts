// Files built to stall or crash a reader (a pull request can add them): found from the text
// alone, before any parser runs, so the answer does not depend on which parser `check` uses.
// Each is a finding naming the file, never a crash and never a silent skip.

/** Larger than any manifest a fleet holds (Kubernetes stores an object of at most about 1.5 MB). */
export const MAX_CHECKED_BYTES = 4 * 1024 * 1024;
/** How many copies aliases may make in all: an alias bomb (aliases of aliases) makes billions from a few lines. */
export const MAX_ALIAS_EXPANSION = 10_000;
/** Deeper than any manifest; deep enough to exhaust a recursive reader's stack. */
export const MAX_NESTING = 1000;

/** An anchor (`&name`) or an alias (`*name`) where YAML allows one: at a line start, after a space, `[`, `{` or `,`. */
const ANCHOR_OR_ALIAS = /(?:^|[\s[{,])([&*])([^\s,[\]{}]+)/gm;

/**
 * How many node copies the aliases of a text make, bounded above: an anchor's content runs from
 * it to the next line indented no deeper than the anchor's line; each alias copies its anchor's
 * content with the copies its own aliases make. Linear in the text, no recursion.
 */
export function aliasExpansionOf(text: string): number {
  const lineStarts: number[] = [0];
  for (let index = text.indexOf('\n'); index !== -1; index = text.indexOf('\n', index + 1)) {
    lineStarts.push(index + 1);
  }
  const indentOf = (line: number) => {
    const start = lineStarts[line] ?? text.length;
    const end = lineStarts[line + 1] ?? text.length;
    const content = text.slice(start, end);
    return content.trim() === '' ? Infinity : content.length - content.trimStart().length;
  };
  const lineOf = (offset: number) => {
    let low = 0;
    let high = lineStarts.length - 1;
    while (low < high) {
      const middle = Math.ceil((low + high) / 2);
      if ((lineStarts[middle] ?? 0) <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  interface Anchor {
    end: number;
    copies: number;
  }
  const current = new Map<string, Anchor>();
  const open: Anchor[] = [];
  let total = 0;
  for (const match of text.matchAll(ANCHOR_OR_ALIAS)) {
    const offset = match.index ?? 0;
    while (open.length > 0 && (open.at(-1)?.end ?? 0) <= offset) {
      open.pop();
    }
    if (match[1] === '&') {
      const line = lineOf(offset);
      let next = line + 1;
      while (next < lineStarts.length && indentOf(next) > indentOf(line)) {
        next += 1;
      }
      const anchor = { end: lineStarts[next] ?? text.length, copies: 1 };
      current.set(match[2] ?? '', anchor);
      open.push(anchor);
    } else {
      const copies = current.get(match[2] ?? '')?.copies ?? 1;
      total = Math.min(total + copies, Number.MAX_SAFE_INTEGER);
      for (const anchor of open) {
        anchor.copies = Math.min(anchor.copies + copies, Number.MAX_SAFE_INTEGER);
      }
    }
  }
  return total;
}

/**
 * How deeply a text nests, counting block levels (a stack of indentations, a `- ` item being one
 * more level) and flow levels (`[` and `{` outside quotes). Linear time, no recursion.
 */
export function nestingOf(text: string): number {
  const indents: number[] = [];
  let flow = 0;
  let deepest = 0;
  for (const line of text.split('\n')) {
    const trimmed = line.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) {
      continue;
    }
    let indent = line.length - trimmed.length;
    if (flow === 0) {
      while (indents.length > 0 && (indents.at(-1) ?? 0) >= indent) {
        indents.pop();
      }
      indents.push(indent);
      for (let rest = trimmed; rest.startsWith('- '); rest = rest.slice(2).trimStart()) {
        indent += 2;
        indents.push(indent);
      }
    }
    let quote = '';
    for (const character of trimmed) {
      if (quote !== '') {
        quote = character === quote ? '' : quote;
      } else if (character === '"' || character === "'") {
        quote = character;
      } else if (character === '#') {
        break;
      } else if (character === '[' || character === '{') {
        flow += 1;
        deepest = Math.max(deepest, indents.length + flow);
      } else if ((character === ']' || character === '}') && flow > 0) {
        flow -= 1;
      }
    }
    deepest = Math.max(deepest, indents.length + flow);
  }
  return deepest;
}

/** Why a file is pathological (too large, too many aliases, too deep), or undefined. */
export function pathologyOf(text: string): string | undefined {
  if (text.length > MAX_CHECKED_BYTES) {
    return `it is larger than ${MAX_CHECKED_BYTES / 1024 / 1024} MiB`;
  }
  const expansion = aliasExpansionOf(text);
  if (expansion > MAX_ALIAS_EXPANSION) {
    const copies = expansion >= Number.MAX_SAFE_INTEGER ? 'billions of' : expansion;
    return `its aliases expand to ${copies} copies (more than ${MAX_ALIAS_EXPANSION}: an alias bomb)`;
  }
  const nesting = nestingOf(text);
  if (nesting > MAX_NESTING) {
    return `it nests ${nesting} levels deep (more than ${MAX_NESTING})`;
  }
  return undefined;
}
