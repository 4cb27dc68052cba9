// Owns YAML text ⇄ sops tree (sops' stores/yaml/store.go): values read as yaml.v3 reads them,
// comments kept as tree items where yaml.v3 puts them, and the tree written back as sops writes it
// (4-space indentation).

import {
  type CST,
  Composer,
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node as YamlNode,
  Parser,
} from 'yaml';

type CstToken = CST.Token;
import { SopsError, isSopsError } from '../errors.js';
import {
  Comment,
  GoFloat,
  GoTime,
  INT64_MAX,
  INT64_MIN,
  type Scalar,
  TreeBranch,
  type TreeValue,
  formatFloatYaml,
} from '../tree.js';
import { ScalarStyle, type YNode, emitDocuments, encodedScalarStyle } from './emitter.js';
import { canUsePlain, resolveScalar } from './resolve.js';

/** sops' default YAML indentation. */
export const YAML_INDENT = 4;

/** A YAML text that sops could not read either; the message names a line and column, never a value. */
function storeError(message: string): SopsError {
  return new SopsError('unreadable-file', message);
}

// ---------------------------------------------------------------- reading

interface PlacedComment {
  /** Line used to order the comment among the items of its collection. */
  sortLine: number;
  comment: Comment;
}

interface PosItem {
  line: number;
  /** Column of the key, or of the `-` of a sequence item. */
  column: number;
  endLine: number;
  key: string | null;
  node: PosNode;
}

type PosNode =
  | { kind: 'map' | 'seq'; block: boolean; indent: number; items: PosItem[]; comments: PlacedComment[] }
  | { kind: 'scalar'; value: Scalar }
  | { kind: 'alias'; target: PosNode };

type Collection = Extract<PosNode, { kind: 'map' | 'seq' }>;

interface RawComment {
  offset: number;
  line: number;
  column: number;
  /** Whether something other than blanks stands before it on its line. */
  inline: boolean;
  text: string;
}

class LineIndex {
  readonly starts: number[] = [0];
  constructor(private text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  column(offset: number): number {
    return offset - this.starts[this.line(offset)]!;
  }
  inline(offset: number): boolean {
    const start = this.starts[this.line(offset)]!;
    return /[^ \t]/.test(this.text.slice(start, offset));
  }
}

/** Every comment token of the CST, and the offset of each document. */
function collectComments(
  tokens: readonly CstToken[],
  lines: LineIndex,
): { docOffsets: number[]; comments: RawComment[] } {
  const docOffsets: number[] = [];
  const comments: RawComment[] = [];
  const sources = (list: readonly { type?: string; offset?: number; source?: string }[] | undefined): void => {
    if (!list) return;
    for (const t of list) {
      if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
        comments.push({
          offset: t.offset,
          line: lines.line(t.offset),
          column: lines.column(t.offset),
          inline: lines.inline(t.offset),
          text: t.source,
        });
      }
    }
  };
  // Comments only ever stand in these arrays of a CST token: start, sep, end and props.
  const visit = (token: unknown): void => {
    if (!token || typeof token !== 'object') return;
    const t = token as Record<string, unknown> & { type?: string; offset?: number; source?: string };
    if (t.type === 'comment') {
      sources([t]);
      return;
    }
    for (const field of ['start', 'sep', 'end', 'props'] as const) {
      const list = t[field];
      if (Array.isArray(list)) sources(list as { type?: string }[]);
    }
    if (t.key) visit(t.key);
    if (t.value) visit(t.value);
    if (Array.isArray(t.items)) {
      for (const item of t.items as Record<string, unknown>[]) {
        for (const field of ['start', 'sep'] as const)
          if (Array.isArray(item[field])) sources(item[field] as { type?: string }[]);
        if (item.key) visit(item.key);
        if (item.value) visit(item.value);
      }
    }
  };
  for (const token of tokens) {
    if (token.type === 'document') docOffsets.push(token.offset);
    visit(token);
  }
  comments.sort((a, b) => a.offset - b.offset);
  return { docOffsets, comments };
}

function shortTag(tag: string | undefined): string {
  if (!tag) return '';
  const prefix = 'tag:yaml.org,2002:';
  return tag.startsWith(prefix) ? `!!${tag.slice(prefix.length)}` : tag;
}

function where(lines: LineIndex, offset: number): string {
  return `line ${lines.line(offset) + 1}, column ${lines.column(offset) + 1}`;
}

function scalarValue(node: YamlNode, lines: LineIndex): Scalar {
  if (!isScalar(node)) throw new SopsError('internal', 'not a scalar');
  const text = node.value === null || node.value === undefined ? '' : String(node.value);
  const tag = shortTag(node.tag);
  const plain = node.type === 'PLAIN' || node.type === undefined;
  const offset = node.range?.[0] ?? 0;
  if (tag === '!!binary') {
    const compact = text.replace(/[\s]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw storeError(`!!binary value contains invalid base64 data at ${where(lines, offset)}`);
    }
    return Buffer.from(compact, 'base64').toString('utf8');
  }
  // yaml.v3's indicatedString: a quoted or block scalar without a tag (or with `!`) is a string.
  if (!plain && (tag === '' || tag === '!' || tag === '!!str')) return text;
  if (tag === '!') return text;
  let resolved: Scalar;
  try {
    resolved = resolveScalar(tag, text).value;
  } catch (error) {
    if (isSopsError(error)) throw storeError(`${error.message} at ${where(lines, offset)}`);
    throw error;
  }
  if (typeof resolved === 'bigint' && (resolved < INT64_MIN || resolved > INT64_MAX)) {
    throw storeError(`an integer beyond the 64-bit range (at ${where(lines, offset)}) cannot be used by sops`);
  }
  return resolved;
}

function buildNode(
  node: YamlNode | null | undefined,
  doc: Document,
  lines: LineIndex,
  seen: Map<YamlNode, PosNode>,
): PosNode {
  if (node === null || node === undefined) return { kind: 'scalar', value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const built = target ? seen.get(target as YamlNode) : undefined;
    if (!built) throw storeError(`unknown anchor ${node.source} at ${where(lines, node.range?.[0] ?? 0)}`);
    return { kind: 'alias', target: built };
  }
  if (isScalar(node)) {
    const built: PosNode = { kind: 'scalar', value: scalarValue(node, lines) };
    seen.set(node, built);
    return built;
  }
  if (isMap(node)) {
    const src = node.srcToken as { type?: string } | undefined;
    const block = src?.type === 'block-map';
    const items: PosItem[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as YamlNode | null;
      const keyOffset = keyNode?.range?.[0] ?? node.range?.[0] ?? 0;
      let key: string;
      if (keyNode && isScalar(keyNode)) {
        const k = scalarValue(keyNode, lines);
        if (typeof k !== 'string') {
          throw storeError(
            `a mapping key at ${where(lines, keyOffset)} is not a string; sops only supports string keys`,
          );
        }
        key = k;
      } else if (keyNode && isAlias(keyNode)) {
        const target = buildNode(keyNode, doc, lines, seen);
        const k = target.kind === 'alias' && target.target.kind === 'scalar' ? target.target.value : undefined;
        if (typeof k !== 'string') throw storeError(`a mapping key at ${where(lines, keyOffset)} is not a string`);
        key = k;
      } else {
        throw storeError(`a mapping key at ${where(lines, keyOffset)} is not a string; sops only supports string keys`);
      }
      const valueNode = pair.value as YamlNode | null;
      const built = buildNode(valueNode, doc, lines, seen);
      if (
        keyNode &&
        isScalar(keyNode) &&
        keyNode.type === 'PLAIN' &&
        key === '<<' &&
        (!keyNode.tag || shortTag(keyNode.tag) === '!!merge')
      ) {
        // yaml.v3 applies the merge while checking key uniqueness, and refuses what it cannot merge.
        const target = (n: PosNode): PosNode => (n.kind === 'alias' ? target(n.target) : n);
        const v = target(built);
        const ok = v.kind === 'map' || (v.kind === 'seq' && v.items.every((i) => target(i.node).kind === 'map'));
        if (!ok)
          throw storeError(`map merge requires map or sequence of maps as the value (at ${where(lines, keyOffset)})`);
      }
      const end = valueNode?.range?.[1] ?? keyNode?.range?.[1] ?? keyOffset;
      items.push({
        line: lines.line(keyOffset),
        column: lines.column(keyOffset),
        endLine: lines.line(Math.max(keyOffset, end - 1)),
        key,
        node: built,
      });
    }
    const first = items[0];
    const indent = first ? lines.column((node.items[0] as { key?: YamlNode }).key?.range?.[0] ?? 0) : 0;
    const built: PosNode = { kind: 'map', block, indent, items, comments: [] };
    seen.set(node, built);
    return built;
  }
  if (isSeq(node)) {
    const src = node.srcToken as
      { type?: string; offset?: number; items?: { start?: { type?: string; offset?: number }[] }[] } | undefined;
    const block = src?.type === 'block-seq';
    const items: PosItem[] = [];
    node.items.forEach((child, index) => {
      const c = child as YamlNode | null;
      const dash = src?.items?.[index]?.start?.find((t) => t.type === 'seq-item-ind')?.offset;
      const start = dash ?? c?.range?.[0] ?? node.range?.[0] ?? 0;
      const end = c?.range?.[1] ?? start;
      items.push({
        line: lines.line(start),
        column: lines.column(start),
        endLine: lines.line(Math.max(start, end - 1)),
        key: null,
        node: buildNode(c, doc, lines, seen),
      });
    });
    const indent = block && typeof src?.offset === 'number' ? lines.column(src.offset) : 0;
    const built: PosNode = { kind: 'seq', block, indent, items, comments: [] };
    seen.set(node, built);
    return built;
  }
  throw new SopsError('internal', 'unsupported YAML node');
}

const isBlockCollection = (n: PosNode): n is Collection => (n.kind === 'map' || n.kind === 'seq') && n.block;

/** Every item of a document with the collection holding it and its depth, in document order. */
interface Located {
  item: PosItem;
  parent: Collection;
  depth: number;
}

function locate(root: Collection): Located[] {
  const out: Located[] = [];
  const visit = (x: Collection, depth: number): void => {
    for (const item of x.items) {
      out.push({ item, parent: x, depth });
      if (item.node.kind === 'map' || item.node.kind === 'seq') visit(item.node, depth + 1);
    }
  };
  visit(root, 0);
  return out;
}

/** Puts a full-line comment in the innermost block collection it is indented into. */
function placeByColumn(x: Collection, c: RawComment): void {
  let prev: PosItem | undefined;
  for (const item of x.items) if (item.line < c.line) prev = item;
  if (prev && isBlockCollection(prev.node) && c.column >= prev.node.indent) {
    placeByColumn(prev.node, c);
    return;
  }
  x.comments.push({ sortLine: c.line, comment: new Comment(c.text.slice(1), false) });
}

/** What stands on each line: nothing, a comment only, or content starting at a column. */
type LineKind = { kind: 'blank' } | { kind: 'comment' } | { kind: 'content'; column: number; marker: boolean };

function classifyLines(text: string, commentStarts: Set<number>, lineStarts: number[]): LineKind[] {
  return lineStarts.map((start, index) => {
    const end = index + 1 < lineStarts.length ? lineStarts[index + 1]! - 1 : text.length;
    const line = text.slice(start, end).replace(/\r$/, '');
    const m = /[^ \t]/.exec(line);
    if (!m) return { kind: 'blank' };
    if (commentStarts.has(start + m.index)) return { kind: 'comment' };
    return {
      kind: 'content',
      column: m.index,
      marker: /^(---|\.\.\.)(\s|$)/.test(line.slice(m.index)) || line.slice(m.index).startsWith('%'),
    };
  });
}

/**
 * Places runs of full-line comments as yaml.v3's scanner (yaml_parser_scan_comments) splits them
 * into foot comments of the content before them and head comments of the content after them:
 *
 * - a run followed by a comment line that dedents below the current block (at another column),
 *   or by content that does, is a foot of the previous content (it stays in that content's
 *   collection);
 * - a run right below the previous content and ended by a blank line (or the end) is a foot too,
 *   placed by its column when it is dedented;
 * - anything else is a head comment of the next item (or, at the end, placed by its column).
 */
function placeLineComments(
  root: Collection,
  located: Located[],
  kinds: LineKind[],
  comments: RawComment[],
  firstLine: number,
  lastLine: number,
): void {
  const blockItems = located.filter((l) => l.parent.block);
  const deepestAt = (line: number): Located | undefined => {
    let best: Located | undefined;
    for (const l of blockItems)
      if (l.item.line <= line && line <= l.item.endLine && (!best || l.depth >= best.depth)) best = l;
    return best;
  };
  const contentBefore = (line: number): number => {
    for (let l = line - 1; l >= firstLine; l--) if (kinds[l]!.kind === 'content') return l;
    return -1;
  };
  const nextContent = (line: number): { line: number; column: number } | undefined => {
    for (let l = line + 1; l <= lastLine && l < kinds.length; l++) {
      const k = kinds[l]!;
      if (k.kind === 'content') return k.marker ? undefined : { line: l, column: k.column };
    }
    return undefined;
  };
  const byLine = new Map(comments.map((c) => [c.line, c]));
  const done = new Set<number>();
  for (const first of comments) {
    if (done.has(first.line)) continue;
    const t = contentBefore(first.line);
    const prev = t >= 0 ? deepestAt(t) : undefined;
    const prevIndent = prev ? prev.parent.indent : 0;
    // Consecutive comment lines, split where a line dedents below the block at another column.
    const run: RawComment[] = [first];
    let after: 'blank' | 'content' | 'split' | 'end' = 'end';
    for (let l = first.line + 1; ; l++) {
      const k = l <= lastLine ? kinds[l] : undefined;
      if (!k) break;
      if (k.kind === 'blank') {
        after = 'blank';
        break;
      }
      if (k.kind === 'content') {
        after = k.marker ? 'end' : 'content';
        break;
      }
      const c = byLine.get(l);
      if (!c) break;
      if (c.column < prevIndent && c.column !== first.column) {
        after = 'split';
        break;
      }
      run.push(c);
    }
    for (const c of run) done.add(c.line);
    const startCol = first.column;
    let blankBefore = false;
    for (let l = t + 1; l < first.line; l++) if (kinds[l]!.kind === 'blank') blankBefore = true;
    const tIsValue =
      !!prev &&
      prev.item.line === t &&
      isBlockCollection(prev.item.node) &&
      (prev.item.node.items[0]?.line ?? Infinity) > t;
    const next = nextContent(run[run.length - 1]!.line);
    let target: Collection | 'column' | undefined;
    if (prev && after === 'split') {
      target = prev.parent;
    } else if (
      prev &&
      (after === 'blank' || after === 'end') &&
      !blankBefore &&
      ((first.line === t + 1 && !tIsValue) || startCol < prevIndent)
    ) {
      target = startCol < prevIndent ? 'column' : prev.parent;
    } else if (prev && next && next.column < prevIndent && next.column !== startCol) {
      target = prev.parent;
    } else if (next) {
      const head = located.find((l) => l.item.line === next.line && l.item.column === next.column);
      target = head ? head.parent : 'column';
    } else {
      target = 'column';
    }
    for (const c of run) {
      if (target === 'column') placeByColumn(root, c);
      else target.comments.push({ sortLine: c.line, comment: new Comment(c.text.slice(1), false) });
    }
  }
}

/**
 * Puts a comment that ends a line with content: before the item on that line, inline when the
 * item's value is a scalar.
 */
function placeInlineComment(x: Collection, c: RawComment): boolean {
  for (const item of x.items) {
    if (item.line > c.line || c.line > item.endLine) continue;
    const n = item.node;
    if (isBlockCollection(n) && n.items.some((i) => i.line <= c.line)) {
      if (placeInlineComment(n, c)) return true;
    }
    if (n.kind === 'map' || n.kind === 'seq') {
      if (n.block) {
        // `key: # comment` above a nested block: sops keeps it as a comment line before the key.
        x.comments.push({ sortLine: item.line - 0.5, comment: new Comment(c.text.slice(1), false) });
      } else if (x.kind === 'seq') {
        // A sequence item's line comment: inline before the item, whatever the item is.
        x.comments.push({ sortLine: item.line - 0.5, comment: new Comment(c.text.slice(1), true) });
      } else {
        // After a flow collection as a value: yaml.v3 gives it to the collection, sops puts it first inside.
        n.comments.push({ sortLine: -Infinity, comment: new Comment(c.text.slice(1), false) });
      }
    } else {
      x.comments.push({ sortLine: item.line - 0.5, comment: new Comment(c.text.slice(1), true) });
    }
    return true;
  }
  return false;
}

function toTreeValue(node: PosNode): TreeValue {
  switch (node.kind) {
    case 'scalar':
      return node.value;
    case 'alias':
      return toTreeValue(node.target);
    case 'map': {
      const entries = [
        ...node.comments.map((c, i) => ({
          line: c.sortLine,
          order: i,
          value: { key: c.comment, value: null as TreeValue },
        })),
        ...node.items.map((item, i) => ({
          line: item.line,
          order: node.comments.length + i,
          value: { key: item.key as string, value: toTreeValue(item.node) },
        })),
      ];
      entries.sort((a, b) => a.line - b.line || a.order - b.order);
      return new TreeBranch(entries.map((e) => e.value));
    }
    case 'seq': {
      const entries = [
        ...node.comments.map((c, i) => ({ line: c.sortLine, order: i, value: c.comment as TreeValue })),
        ...node.items.map((item, i) => ({
          line: item.line,
          order: node.comments.length + i,
          value: toTreeValue(item.node),
        })),
      ];
      entries.sort((a, b) => a.line - b.line || a.order - b.order);
      return entries.map((e) => e.value);
    }
  }
}

/** sops' LoadPlainFile: one tree branch per YAML document. */
export function parseYaml(text: string): TreeBranch[] {
  if (text.length === 0) return [];
  const odd = /[\u0085\u2028\u2029]/.exec(text);
  if (odd) {
    // yaml.v3 reads these as line breaks (YAML 1.1) where a YAML 1.2 reader does not.
    const at = new LineIndex(text);
    throw storeError(
      `a U+${odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} line separator character ` +
        `at ${where(at, odd.index)} is not supported in YAML read by sops; write it escaped in a double-quoted string`,
    );
  }
  const lines = new LineIndex(text);
  const tokens = [...new Parser().parse(text)];
  const composer = new Composer({
    schema: 'failsafe',
    keepSourceTokens: true,
    uniqueKeys: true,
    merge: false,
    strict: true,
  });
  const list = [...composer.compose(tokens)];
  const streamErrors = composer.streamInfo().errors;
  for (const error of [...list.flatMap((doc) => doc.errors), ...streamErrors]) {
    const at = error.pos ? ` at ${where(lines, error.pos[0])}` : '';
    throw storeError(`Error unmarshaling input YAML: ${error.code}${at}`);
  }
  const { docOffsets, comments } = collectComments(tokens, lines);
  const kinds = classifyLines(text, new Set(comments.map((c) => c.offset)), lines.starts);
  return list.map((doc, index) => {
    const contents = doc.contents as YamlNode | null;
    if (
      contents === null ||
      (isScalar(contents) &&
        contents.type === 'PLAIN' &&
        (contents.value === null || contents.value === '' || scalarValue(contents, lines) === null))
    ) {
      return new TreeBranch();
    }
    if (isSeq(contents)) throw storeError('YAML documents that are sequences are not supported');
    if (!isMap(contents)) throw storeError('YAML documents that are values are not supported');
    const root = buildNode(contents, doc as Document, lines, new Map()) as Collection;
    const located = locate(root);
    const start = docOffsets[index] ?? 0;
    const end = docOffsets[index + 1] ?? Infinity;
    const lastLine = end === Infinity ? kinds.length - 1 : lines.line(end) - 1;
    const firstLine = index === 0 ? 0 : lines.line(start);
    const lineComments: RawComment[] = [];
    for (const c of comments) {
      const mine = index === 0 ? c.offset < end : c.offset >= start && c.offset < end;
      if (!mine) continue;
      if (c.inline && !root.block) {
        // After a flow mapping at the root: yaml.v3 makes it the document's head comment.
        root.comments.push({ sortLine: -Infinity, comment: new Comment(c.text.slice(1), false) });
        continue;
      }
      if (c.inline && placeInlineComment(root, c)) continue;
      if (!c.inline) lineComments.push(c);
      else placeByColumn(root, c);
    }
    placeLineComments(root, located, kinds, lineComments, firstLine, lastLine);
    return toTreeValue(root) as TreeBranch;
  });
}

// ---------------------------------------------------------------- writing

/** The Node sops' treeValueToNode builds for a leaf with `valueNode.Encode(value)`. */
function scalarNode(value: Scalar): YNode {
  if (typeof value === 'string') {
    let requested: ScalarStyle;
    if (value.includes('\n')) requested = ScalarStyle.Literal;
    else if (canUsePlain(value)) requested = ScalarStyle.Plain;
    else requested = ScalarStyle.DoubleQuoted;
    const style = encodedScalarStyle(value, requested);
    // Parsing back a plain `<<`, yaml.v3 tags it !!merge, and then writes that tag out.
    if (value === '<<' && style === ScalarStyle.Plain) return { kind: 'scalar', value, style, tag: '!!merge' };
    return { kind: 'scalar', value, style };
  }
  let text: string;
  if (value === null) text = 'null';
  else if (typeof value === 'boolean') text = value ? 'true' : 'false';
  else if (typeof value === 'number' || typeof value === 'bigint') text = String(value);
  else if (value instanceof GoFloat) text = formatFloatYaml(value.value);
  else if (value instanceof GoTime) text = value.text;
  else return scalarNode(Buffer.from(value).toString('utf8'));
  return { kind: 'scalar', value: text, style: ScalarStyle.Plain };
}

type Commented = { headComment?: string; lineComment?: string; footComment?: string };

function addCommentsHead(node: Commented, comments: string[]): string[] {
  if (comments.length > 0) {
    const comment = `#${comments.join('\n#')}`;
    node.headComment = node.headComment ? `${comment}\n${node.headComment}` : comment;
  }
  return [];
}

function addCommentsFoot(node: Commented, comments: string[]): string[] {
  if (comments.length > 0) {
    const comment = `#${comments.join('\n#')}`;
    node.footComment = node.footComment ? `${node.footComment}\n${comment}` : comment;
  }
  return [];
}

function addCommentsLine(node: Commented, comments: string[]): string[] {
  if (comments.length > 0) {
    const comment = `#${comments.join('\n#')}`;
    node.lineComment = node.lineComment ? `${node.lineComment}\n${comment}` : comment;
  }
  return [];
}

function treeValueToNode(value: TreeValue): YNode {
  if (value instanceof TreeBranch) {
    const mapping: YNode = { kind: 'mapping', content: [] };
    appendTreeBranch(value, mapping);
    return mapping;
  }
  if (Array.isArray(value)) {
    const sequence: YNode = { kind: 'sequence', content: [] };
    appendSequence(value, sequence);
    return sequence;
  }
  if (value instanceof Comment) return scalarNode(value.value);
  return scalarNode(value);
}

function appendSequence(values: TreeValue[], sequence: Extract<YNode, { kind: 'sequence' }>): void {
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const item of values) {
    if (item instanceof Comment) {
      if (item.inline) inline.push(item.value);
      else head.push(item.value);
      continue;
    }
    if (beginning) {
      head = addCommentsHead(sequence, head);
      beginning = false;
    }
    const node = treeValueToNode(item) as Commented & YNode;
    head = addCommentsHead(node, head);
    inline = addCommentsLine(node, inline);
    sequence.content.push(node);
  }
  head = [...head, ...inline];
  if (head.length > 0) {
    if (beginning) addCommentsHead(sequence, head);
    else addCommentsFoot(sequence.content[sequence.content.length - 1] as Commented, head);
  }
}

function appendTreeBranch(branch: TreeBranch, mapping: Extract<YNode, { kind: 'mapping' }>): void {
  let head: string[] = [];
  let inline: string[] = [];
  let beginning = true;
  for (const item of branch.items) {
    if (item.key instanceof Comment) {
      if (item.key.inline) inline.push(item.key.value);
      else head.push(item.key.value);
      continue;
    }
    if (beginning) {
      head = addCommentsHead(mapping, head);
      beginning = false;
    }
    const keyNode = scalarNode(item.key) as Commented & YNode;
    head = addCommentsHead(keyNode, head);
    const valueNode = treeValueToNode(item.value) as Commented & YNode;
    inline = addCommentsLine(valueNode, inline);
    mapping.content.push(keyNode, valueNode);
  }
  head = [...head, ...inline];
  if (head.length > 0) {
    if (beginning) addCommentsHead(mapping, head);
    else addCommentsFoot(mapping.content[mapping.content.length - 2] as Commented, head);
  }
}

/** sops' EmitPlainFile: every branch as one YAML document, 4-space indentation. */
export function emitYaml(branches: TreeBranch[], indent = YAML_INDENT): string {
  const docs: YNode[] = branches.map((branch) => {
    const mapping: YNode = { kind: 'mapping', content: [] };
    appendTreeBranch(branch, mapping);
    return { kind: 'document', content: [mapping] };
  });
  return emitDocuments(docs, indent);
}
