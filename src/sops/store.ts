// Owns YAML text ⇄ sops tree (sops' stores/yaml/store.go): values read as yaml.v3 reads them, comments kept as tree items where yaml.v3 puts them, and the tree written back as sops writes it (4-space indentation).

import { type Document, isAlias, isMap, isPair, isScalar, isSeq, type Node as YamlNode, parseAllDocuments, Parser } from 'yaml';
import { Comment, GoFloat, GoTime, INT64_MAX, INT64_MIN, type Scalar, TreeBranch, type TreeValue, formatFloatYaml } from './tree.js';
import { ResolveError, canUsePlain, resolveScalar } from './yaml-resolve.js';
import { ScalarStyle, type YNode, emitDocuments, encodedScalarStyle } from './yaml-emitter.js';

/** sops' default YAML indentation. */
export const YAML_INDENT = 4;

/** A YAML text that sops could not read either; the message names a line and column, never a value. */
export class StoreError extends Error {
  override name = 'StoreError';
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

/** Every comment token of the CST with the offset of the document it falls in. */
function collectComments(text: string, lines: LineIndex): { docOffsets: number[]; comments: RawComment[] } {
  const docOffsets: number[] = [];
  const comments: RawComment[] = [];
  const visit = (token: unknown): void => {
    if (Array.isArray(token)) {
      for (const t of token) visit(t);
      return;
    }
    if (!token || typeof token !== 'object') return;
    const t = token as { type?: string; offset?: number; source?: string };
    if (t.type === 'comment' && typeof t.offset === 'number' && typeof t.source === 'string') {
      comments.push({
        offset: t.offset,
        line: lines.line(t.offset),
        column: lines.column(t.offset),
        inline: lines.inline(t.offset),
        text: t.source,
      });
      return;
    }
    for (const [k, v] of Object.entries(t)) if (k !== 'source') visit(v);
  };
  for (const token of new Parser().parse(text)) {
    if (token.type === 'document') docOffsets.push(token.offset);
    visit(token);
  }
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
  if (!isScalar(node)) throw new StoreError('internal: not a scalar');
  const text = node.value === null || node.value === undefined ? '' : String(node.value);
  const tag = shortTag(node.tag);
  const plain = node.type === 'PLAIN' || node.type === undefined;
  const offset = node.range?.[0] ?? 0;
  if (tag === "!!binary") {
    const compact = text.replace(/[\s]/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
      throw new StoreError(`!!binary value contains invalid base64 data at ${where(lines, offset)}`);
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
    if (error instanceof ResolveError) throw new StoreError(`${error.message} at ${where(lines, offset)}`);
    throw error;
  }
  if (typeof resolved === 'bigint' && (resolved < INT64_MIN || resolved > INT64_MAX)) {
    throw new StoreError(`an integer beyond the 64-bit range (at ${where(lines, offset)}) cannot be used by sops`);
  }
  return resolved;
}

function buildNode(node: YamlNode | null | undefined, doc: Document, lines: LineIndex, seen: Map<YamlNode, PosNode>): PosNode {
  if (node === null || node === undefined) return { kind: 'scalar', value: null };
  if (isAlias(node)) {
    const target = node.resolve(doc);
    const built = target ? seen.get(target as YamlNode) : undefined;
    if (!built) throw new StoreError(`unknown anchor ${node.source} at ${where(lines, node.range?.[0] ?? 0)}`);
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
          throw new StoreError(`a mapping key at ${where(lines, keyOffset)} is not a string; sops only supports string keys`);
        }
        key = k;
      } else if (keyNode && isAlias(keyNode)) {
        const target = buildNode(keyNode, doc, lines, seen);
        const k = target.kind === 'alias' && target.target.kind === 'scalar' ? target.target.value : undefined;
        if (typeof k !== 'string') throw new StoreError(`a mapping key at ${where(lines, keyOffset)} is not a string`);
        key = k;
      } else {
        throw new StoreError(`a mapping key at ${where(lines, keyOffset)} is not a string; sops only supports string keys`);
      }
      const valueNode = pair.value as YamlNode | null;
      const built = buildNode(valueNode, doc, lines, seen);
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
    const src = node.srcToken as { type?: string; offset?: number; items?: { start?: { type?: string; offset?: number }[] }[] } | undefined;
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
  throw new StoreError('unsupported YAML node');
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
    return { kind: 'content', column: m.index, marker: /^(---|\.\.\.)(\s|$)/.test(line.slice(m.index)) || line.slice(m.index).startsWith('%') };
  });
}

/**
 * Places a comment line as yaml.v3's scanner does: when the next content dedents below the block
 * of the content before the comment, and the comment is not at the next content's column, the
 * comment is a foot of that content (it stays in its innermost collection); otherwise it is a
 * head comment of the next item. At the end of a document, its column decides.
 */
function placeLineComment(root: Collection, located: Located[], kinds: LineKind[], c: RawComment, lastLine: number): void {
  let next: { line: number; column: number } | undefined;
  for (let l = c.line + 1; l <= lastLine && l < kinds.length; l++) {
    const k = kinds[l]!;
    if (k.kind === 'content') {
      if (!k.marker) next = { line: l, column: k.column };
      break;
    }
  }
  let prevLine = -1;
  for (let l = c.line - 1; l >= 0; l--) {
    if (kinds[l]!.kind === 'content') {
      prevLine = l;
      break;
    }
  }
  const comment = { sortLine: c.line, comment: new Comment(c.text.slice(1), false) };
  if (next) {
    let prev: Located | undefined;
    for (const l of located) {
      if (l.item.line <= prevLine && prevLine <= l.item.endLine && (!prev || l.depth >= prev.depth)) prev = l;
    }
    const prevIndent = prev?.parent.block ? prev.parent.indent : 0;
    if (prev && next.column < prevIndent && c.column !== next.column) {
      prev.parent.comments.push(comment);
      return;
    }
    const head = located.find((l) => l.item.line === next.line && l.item.column === next.column);
    if (head) {
      head.parent.comments.push(comment);
      return;
    }
  }
  placeByColumn(root, c);
}

/** Puts a comment that ends a line with content: before the item on that line, inline when the item's value is a scalar. */
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
        ...node.comments.map((c, i) => ({ line: c.sortLine, order: i, value: { key: c.comment, value: null as TreeValue } })),
        ...node.items.map((item, i) => ({ line: item.line, order: node.comments.length + i, value: { key: item.key as string, value: toTreeValue(item.node) } })),
      ];
      entries.sort((a, b) => a.line - b.line || a.order - b.order);
      return new TreeBranch(entries.map((e) => e.value));
    }
    case 'seq': {
      const entries = [
        ...node.comments.map((c, i) => ({ line: c.sortLine, order: i, value: c.comment as TreeValue })),
        ...node.items.map((item, i) => ({ line: item.line, order: node.comments.length + i, value: toTreeValue(item.node) })),
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
    throw new StoreError(`a U+${odd[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} line separator character at ${where(at, odd.index)} is not supported in YAML read by sops; write it escaped in a double-quoted string`);
  }
  const lines = new LineIndex(text);
  const docs = parseAllDocuments(text, {
    schema: 'failsafe',
    keepSourceTokens: true,
    uniqueKeys: true,
    merge: false,
    prettyErrors: false,
    strict: true,
  });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    const errors = (docs as { errors?: { message: string; pos?: [number, number] }[] }).errors ?? [];
    if (errors.length > 0) throw new StoreError(`Error unmarshaling input YAML: ${errors[0]!.message}`);
    return [];
  }
  for (const doc of list) {
    const error = doc.errors[0];
    if (error) {
      const at = error.pos ? ` at ${where(lines, error.pos[0])}` : '';
      throw new StoreError(`Error unmarshaling input YAML: ${error.code}${at}`);
    }
  }
  const { docOffsets, comments } = collectComments(text, lines);
  const kinds = classifyLines(text, new Set(comments.map((c) => c.offset)), lines.starts);
  return list.map((doc, index) => {
    const contents = doc.contents as YamlNode | null;
    if (contents === null || (isScalar(contents) && contents.type === 'PLAIN' && (contents.value === null || contents.value === '' || scalarValue(contents, lines) === null))) {
      return new TreeBranch();
    }
    if (isSeq(contents)) throw new StoreError('YAML documents that are sequences are not supported');
    if (!isMap(contents)) throw new StoreError('YAML documents that are values are not supported');
    const root = buildNode(contents, doc as Document, lines, new Map()) as Collection;
    const located = locate(root);
    const start = docOffsets[index] ?? 0;
    const end = docOffsets[index + 1] ?? Infinity;
    const lastLine = end === Infinity ? kinds.length - 1 : lines.line(end) - 1;
    for (const c of comments) {
      const mine = index === 0 ? c.offset < end : c.offset >= start && c.offset < end;
      if (!mine) continue;
      if (c.inline && !root.block) {
        // After a flow mapping at the root: yaml.v3 makes it the document's head comment.
        root.comments.push({ sortLine: -Infinity, comment: new Comment(c.text.slice(1), false) });
        continue;
      }
      if (c.inline && placeInlineComment(root, c)) continue;
      placeLineComment(root, located, kinds, c, lastLine);
    }
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
