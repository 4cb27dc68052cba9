// Owns YAML output byte-for-byte as go.yaml.in/yaml/v3 v3.0.4 writes it (the library sops uses): a
// port of its emitter (emitterc.go) and of its Node encoder, block style, no anchors or tags.
// Ported from yaml v3 (https://github.com/yaml/go-yaml): emitterc.go is Copyright (c) 2006-2010
// Kirill Simonov and 2011-2019 Canonical Ltd, under the MIT License; encode.go is Copyright
// 2011-2019 Canonical Ltd, under the Apache License 2.0. See THIRD-PARTY-NOTICES.md.

import { SopsError } from '../errors.js';

/** Scalar styles, as yaml.v3 numbers them. */
export const enum ScalarStyle {
  Any = 0,
  Plain = 1,
  SingleQuoted = 2,
  DoubleQuoted = 3,
  Literal = 4,
  Folded = 5,
}

/** A yaml.v3 Node, reduced to what sops' YAML store builds: no anchors, no tags, no flow style. */
export type YNode =
  | { kind: 'document'; content: YNode[]; headComment?: string; footComment?: string }
  | { kind: 'mapping'; content: YNode[]; headComment?: string; lineComment?: string; footComment?: string }
  | { kind: 'sequence'; content: YNode[]; headComment?: string; lineComment?: string; footComment?: string }
  | {
      kind: 'scalar';
      value: string;
      style: ScalarStyle;
      /** Only ever `!!merge`: yaml.v3 tags a plain `<<` it wrote itself. */
      tag?: '!!merge';
      headComment?: string;
      lineComment?: string;
      footComment?: string;
    };

const enum EventType {
  StreamStart,
  StreamEnd,
  DocumentStart,
  DocumentEnd,
  Alias,
  Scalar,
  SequenceStart,
  SequenceEnd,
  MappingStart,
  MappingEnd,
}

interface YEvent {
  type: EventType;
  implicit: boolean;
  quotedImplicit: boolean;
  /** Scalar style, or for collections whether flow style was asked. */
  style: ScalarStyle;
  flow: boolean;
  value: Uint8Array;
  /** The tag's handle and suffix when it must be written (`!!` and `merge`), else empty. */
  tagHandle: string;
  tagSuffix: string;
  head: Uint8Array;
  line: Uint8Array;
  foot: Uint8Array;
  tail: Uint8Array;
}

const EMPTY = new Uint8Array(0);
const utf8 = new TextEncoder();

function event(type: EventType, fields: Partial<YEvent> = {}): YEvent {
  return {
    type,
    implicit: true,
    quotedImplicit: true,
    style: ScalarStyle.Any,
    flow: false,
    value: EMPTY,
    tagHandle: '',
    tagSuffix: '',
    head: EMPTY,
    line: EMPTY,
    foot: EMPTY,
    tail: EMPTY,
    ...fields,
  };
}

const bytes = (s: string | undefined): Uint8Array => (s ? utf8.encode(s) : EMPTY);

const enum State {
  StreamStart,
  FirstDocumentStart,
  DocumentStart,
  DocumentContent,
  DocumentEnd,
  FlowSequenceFirstItem,
  FlowSequenceTrailItem,
  FlowSequenceItem,
  FlowMappingFirstKey,
  FlowMappingTrailKey,
  FlowMappingKey,
  FlowMappingSimpleValue,
  FlowMappingValue,
  BlockSequenceFirstItem,
  BlockSequenceItem,
  BlockMappingFirstKey,
  BlockMappingKey,
  BlockMappingSimpleValue,
  BlockMappingValue,
  End,
}

// Byte classes (yamlprivateh.go). Out-of-range reads give undefined, which compares false, as a
// Go read past a valid UTF-8 string never happens on the paths that matter.
const at = (b: Uint8Array, i: number): number => b[i] ?? -1;
const isPrintable = (b: Uint8Array, i: number): boolean => {
  const c = at(b, i);
  const c1 = at(b, i + 1);
  const c2 = at(b, i + 2);
  return (
    c === 0x0a ||
    (c >= 0x20 && c <= 0x7e) ||
    (c === 0xc2 && c1 >= 0xa0) ||
    (c > 0xc2 && c < 0xed) ||
    (c === 0xed && c1 < 0xa0) ||
    c === 0xee ||
    (c === 0xef && !(c1 === 0xbb && c2 === 0xbf) && !(c1 === 0xbf && (c2 === 0xbe || c2 === 0xbf)))
  );
};
// yaml.v3 checks the first three bytes of the value whatever i is: kept as it is.
const isBom = (b: Uint8Array, _i: number): boolean => at(b, 0) === 0xef && at(b, 1) === 0xbb && at(b, 2) === 0xbf;
const isSpace = (b: Uint8Array, i: number): boolean => at(b, i) === 0x20;
const isBlank = (b: Uint8Array, i: number): boolean => at(b, i) === 0x20 || at(b, i) === 0x09;
const isBreak = (b: Uint8Array, i: number): boolean => {
  const c = at(b, i);
  return (
    c === 0x0d ||
    c === 0x0a ||
    (c === 0xc2 && at(b, i + 1) === 0x85) ||
    (c === 0xe2 && at(b, i + 1) === 0x80 && (at(b, i + 2) === 0xa8 || at(b, i + 2) === 0xa9))
  );
};
// Past the end counts as the terminating NUL of the C original.
const isBreakz = (b: Uint8Array, i: number): boolean => isBreak(b, i) || i >= b.length || at(b, i) === 0;
const isBlankz = (b: Uint8Array, i: number): boolean => isBlank(b, i) || isBreakz(b, i);
const width = (c: number): number => {
  if ((c & 0x80) === 0x00) return 1;
  if ((c & 0xe0) === 0xc0) return 2;
  if ((c & 0xf0) === 0xe0) return 3;
  if ((c & 0xf8) === 0xf0) return 4;
  return 0;
};

const emitterError = (message: string): SopsError => new SopsError('internal', `yaml emitter: ${message}`);

/** The yaml.v3 emitter, with indentation `bestIndent`, unicode on, no line wrapping. */
class Emitter {
  private out: number[] = [];
  private bestIndent: number;
  private bestWidth = -1;
  private state: State = State.StreamStart;
  private states: State[] = [];
  private events: YEvent[] = [];
  private eventsHead = 0;
  private indents: number[] = [];
  private indent = -1;
  private flowLevel = 0;
  private rootContext = false;
  private mappingContext = false;
  private simpleKeyContext = false;
  private line = 0;
  private column = 0;
  private whitespace = true;
  private indention = true;
  private openEnded = false;
  private footIndent = -1;
  private scalar = {
    value: EMPTY as Uint8Array,
    multiline: false,
    flowPlainAllowed: false,
    blockPlainAllowed: false,
    singleQuotedAllowed: false,
    blockAllowed: false,
    style: ScalarStyle.Any,
  };
  private tagHandle = '';
  private tagSuffix = '';
  private headComment: Uint8Array = EMPTY;
  private lineComment: Uint8Array = EMPTY;
  private footComment: Uint8Array = EMPTY;
  private tailComment: Uint8Array = EMPTY;
  private keyLineComment: Uint8Array = EMPTY;
  // yaml.v3's Encoder never sets this; sops does not ask for it.
  private readonly compactSequenceIndent = false;

  constructor(indent: number) {
    this.bestIndent = indent;
  }

  /** The style select_scalar_style picks for `value` written alone at a document's root. */
  styleAtRoot(value: Uint8Array, requested: ScalarStyle): ScalarStyle {
    this.analyzeScalar(value);
    this.flowLevel = 0;
    this.simpleKeyContext = false;
    this.selectScalarStyle(event(EventType.Scalar, { value, style: requested }));
    return this.scalar.style;
  }

  result(): string {
    return Buffer.from(this.out).toString('utf8');
  }

  // ---- output primitives ----
  private put(value: number): void {
    this.out.push(value);
    this.column++;
  }

  private putBreak(): void {
    this.out.push(0x0a);
    this.column = 0;
    this.line++;
    this.indention = true;
  }

  private write(s: Uint8Array, i: number): number {
    const w = width(at(s, i));
    if (w === 0) throw emitterError('unknown character width');
    for (let k = 0; k < w; k++) this.out.push(at(s, i + k));
    this.column++;
    return i + w;
  }

  private writeAll(s: Uint8Array): void {
    for (let i = 0; i < s.length;) i = this.write(s, i);
  }

  private writeBreak(s: Uint8Array, i: number): number {
    if (at(s, i) === 0x0a) {
      this.putBreak();
      return i + 1;
    }
    const next = this.write(s, i);
    this.column = 0;
    this.line++;
    this.indention = true;
    return next;
  }

  // ---- event queue ----
  emit(ev: YEvent): void {
    this.events.push(ev);
    while (!this.needMoreEvents()) {
      const e = this.events[this.eventsHead]!;
      this.analyzeEvent(e);
      this.stateMachine(e);
      this.eventsHead++;
    }
  }

  private needMoreEvents(): boolean {
    if (this.eventsHead === this.events.length) return true;
    let accumulate: number;
    switch (this.events[this.eventsHead]!.type) {
      case EventType.DocumentStart:
        accumulate = 1;
        break;
      case EventType.SequenceStart:
        accumulate = 2;
        break;
      case EventType.MappingStart:
        accumulate = 3;
        break;
      default:
        return false;
    }
    if (this.events.length - this.eventsHead > accumulate) return false;
    let level = 0;
    for (let i = this.eventsHead; i < this.events.length; i++) {
      switch (this.events[i]!.type) {
        case EventType.StreamStart:
        case EventType.DocumentStart:
        case EventType.SequenceStart:
        case EventType.MappingStart:
          level++;
          break;
        case EventType.StreamEnd:
        case EventType.DocumentEnd:
        case EventType.SequenceEnd:
        case EventType.MappingEnd:
          level--;
          break;
        default:
          break;
      }
      if (level === 0) return false;
    }
    return true;
  }

  private increaseIndentCompact(flow: boolean, indentless: boolean, compactSeq: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) {
      this.indent = flow ? this.bestIndent : 0;
    } else if (!indentless) {
      if (this.states[this.states.length - 1] === State.BlockSequenceItem) {
        this.indent += 2;
      } else {
        this.indent = this.bestIndent * Math.trunc((this.indent + this.bestIndent) / this.bestIndent);
        if (compactSeq) this.indent -= 2;
      }
    }
  }

  private increaseIndent(flow: boolean, indentless: boolean): void {
    this.increaseIndentCompact(flow, indentless, false);
  }

  private popIndent(): void {
    this.indent = this.indents.pop()!;
  }

  private popState(): void {
    this.state = this.states.pop()!;
  }

  private stateMachine(ev: YEvent): void {
    switch (this.state) {
      case State.StreamStart:
        return this.emitStreamStart(ev);
      case State.FirstDocumentStart:
        return this.emitDocumentStart(ev, true);
      case State.DocumentStart:
        return this.emitDocumentStart(ev, false);
      case State.DocumentContent:
        return this.emitDocumentContent(ev);
      case State.DocumentEnd:
        return this.emitDocumentEnd(ev);
      case State.FlowSequenceFirstItem:
        return this.emitFlowSequenceItem(ev, true, false);
      case State.FlowSequenceTrailItem:
        return this.emitFlowSequenceItem(ev, false, true);
      case State.FlowSequenceItem:
        return this.emitFlowSequenceItem(ev, false, false);
      case State.FlowMappingFirstKey:
        return this.emitFlowMappingKey(ev, true, false);
      case State.FlowMappingTrailKey:
        return this.emitFlowMappingKey(ev, false, true);
      case State.FlowMappingKey:
        return this.emitFlowMappingKey(ev, false, false);
      case State.FlowMappingSimpleValue:
        return this.emitFlowMappingValue(ev, true);
      case State.FlowMappingValue:
        return this.emitFlowMappingValue(ev, false);
      case State.BlockSequenceFirstItem:
        return this.emitBlockSequenceItem(ev, true);
      case State.BlockSequenceItem:
        return this.emitBlockSequenceItem(ev, false);
      case State.BlockMappingFirstKey:
        return this.emitBlockMappingKey(ev, true);
      case State.BlockMappingKey:
        return this.emitBlockMappingKey(ev, false);
      case State.BlockMappingSimpleValue:
        return this.emitBlockMappingValue(ev, true);
      case State.BlockMappingValue:
        return this.emitBlockMappingValue(ev, false);
      case State.End:
        throw emitterError('expected nothing after STREAM-END');
    }
  }

  private emitStreamStart(ev: YEvent): void {
    if (ev.type !== EventType.StreamStart) throw emitterError('expected STREAM-START');
    if (this.bestIndent < 2 || this.bestIndent > 9) this.bestIndent = 2;
    if (this.bestWidth >= 0 && this.bestWidth <= this.bestIndent * 2) this.bestWidth = 80;
    if (this.bestWidth < 0) this.bestWidth = 2 ** 31 - 1;
    this.indent = -1;
    this.line = 0;
    this.column = 0;
    this.whitespace = true;
    this.indention = true;
    this.footIndent = -1;
    this.state = State.FirstDocumentStart;
  }

  private emitDocumentStart(ev: YEvent, first: boolean): void {
    if (ev.type === EventType.DocumentStart) {
      let implicit = ev.implicit;
      if (!first) implicit = false;
      if (!implicit) {
        this.writeIndent();
        this.writeIndicator(utf8.encode('---'), true, false, false);
        this.writeIndent();
      }
      if (this.headComment.length > 0) {
        this.processHeadComment();
        this.putBreak();
      }
      this.state = State.DocumentContent;
      return;
    }
    if (ev.type === EventType.StreamEnd) {
      if (this.openEnded) {
        this.writeIndicator(utf8.encode('...'), true, false, false);
        this.writeIndent();
      }
      this.state = State.End;
      return;
    }
    throw emitterError('expected DOCUMENT-START or STREAM-END');
  }

  private emitDocumentContent(ev: YEvent): void {
    this.states.push(State.DocumentEnd);
    this.processHeadComment();
    this.emitNode(ev, true, false, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  private emitDocumentEnd(ev: YEvent): void {
    if (ev.type !== EventType.DocumentEnd) throw emitterError('expected DOCUMENT-END');
    this.footIndent = 0;
    this.processFootComment();
    this.footIndent = -1;
    this.writeIndent();
    if (!ev.implicit) {
      this.writeIndicator(utf8.encode('...'), true, false, false);
      this.writeIndent();
    }
    this.state = State.DocumentStart;
  }

  private emitFlowSequenceItem(ev: YEvent, first: boolean, trail: boolean): void {
    if (first) {
      this.writeIndicator(utf8.encode('['), true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
    }
    if (ev.type === EventType.SequenceEnd) {
      this.flowLevel--;
      this.popIndent();
      if (this.column === 0) this.writeIndent();
      this.writeIndicator(utf8.encode(']'), false, false, false);
      this.processLineComment();
      this.processFootComment();
      this.popState();
      return;
    }
    if (!first && !trail) this.writeIndicator(utf8.encode(','), false, false, false);
    this.processHeadComment();
    if (this.column === 0) this.writeIndent();
    if (this.column > this.bestWidth) this.writeIndent();
    const commented = this.lineComment.length + this.footComment.length + this.tailComment.length > 0;
    this.states.push(commented ? State.FlowSequenceTrailItem : State.FlowSequenceItem);
    this.emitNode(ev, false, true, false, false);
    if (this.lineComment.length + this.footComment.length + this.tailComment.length > 0) {
      this.writeIndicator(utf8.encode(','), false, false, false);
    }
    this.processLineComment();
    this.processFootComment();
  }

  private emitFlowMappingKey(ev: YEvent, first: boolean, trail: boolean): void {
    if (first) {
      this.writeIndicator(utf8.encode('{'), true, true, false);
      this.increaseIndent(true, false);
      this.flowLevel++;
    }
    if (ev.type === EventType.MappingEnd) {
      if (this.headComment.length + this.footComment.length + this.tailComment.length > 0 && !first && !trail) {
        this.writeIndicator(utf8.encode(','), false, false, false);
      }
      this.processHeadComment();
      this.flowLevel--;
      this.popIndent();
      this.writeIndicator(utf8.encode('}'), false, false, false);
      this.processLineComment();
      this.processFootComment();
      this.popState();
      return;
    }
    if (!first && !trail) this.writeIndicator(utf8.encode(','), false, false, false);
    this.processHeadComment();
    if (this.column === 0) this.writeIndent();
    if (this.column > this.bestWidth) this.writeIndent();
    if (this.checkSimpleKey()) {
      this.states.push(State.FlowMappingSimpleValue);
      this.emitNode(ev, false, false, true, true);
      return;
    }
    this.writeIndicator(utf8.encode('?'), true, false, false);
    this.states.push(State.FlowMappingValue);
    this.emitNode(ev, false, false, true, false);
  }

  private emitFlowMappingValue(ev: YEvent, simple: boolean): void {
    if (simple) {
      this.writeIndicator(utf8.encode(':'), false, false, false);
    } else {
      if (this.column > this.bestWidth) this.writeIndent();
      this.writeIndicator(utf8.encode(':'), true, false, false);
    }
    const commented = this.lineComment.length + this.footComment.length + this.tailComment.length > 0;
    this.states.push(commented ? State.FlowMappingTrailKey : State.FlowMappingKey);
    this.emitNode(ev, false, false, true, false);
    if (this.lineComment.length + this.footComment.length + this.tailComment.length > 0) {
      this.writeIndicator(utf8.encode(','), false, false, false);
    }
    this.processLineComment();
    this.processFootComment();
  }

  private emitBlockSequenceItem(ev: YEvent, first: boolean): void {
    if (first) {
      const seq = this.mappingContext && (this.column === 0 || !this.indention) && this.compactSequenceIndent;
      this.increaseIndentCompact(false, false, seq);
    }
    if (ev.type === EventType.SequenceEnd) {
      this.popIndent();
      this.popState();
      return;
    }
    this.processHeadComment();
    this.writeIndent();
    this.writeIndicator(utf8.encode('-'), true, false, true);
    this.states.push(State.BlockSequenceItem);
    this.emitNode(ev, false, true, false, false);
    this.processLineComment();
    this.processFootComment();
  }

  private emitBlockMappingKey(ev: YEvent, first: boolean): void {
    if (first) this.increaseIndent(false, false);
    this.processHeadComment();
    if (ev.type === EventType.MappingEnd) {
      this.popIndent();
      this.popState();
      return;
    }
    this.writeIndent();
    if (this.lineComment.length > 0) {
      this.keyLineComment = this.lineComment;
      this.lineComment = EMPTY;
    }
    if (this.checkSimpleKey()) {
      this.states.push(State.BlockMappingSimpleValue);
      this.emitNode(ev, false, false, true, true);
      return;
    }
    this.writeIndicator(utf8.encode('?'), true, false, true);
    this.states.push(State.BlockMappingValue);
    this.emitNode(ev, false, false, true, false);
  }

  private emitBlockMappingValue(ev: YEvent, simple: boolean): void {
    if (simple) {
      this.writeIndicator(utf8.encode(':'), false, false, false);
    } else {
      this.writeIndent();
      this.writeIndicator(utf8.encode(':'), true, false, true);
    }
    if (this.keyLineComment.length > 0) {
      if (ev.type === EventType.Scalar) {
        if (this.lineComment.length === 0) {
          this.lineComment = this.keyLineComment;
          this.keyLineComment = EMPTY;
        }
      } else if (!ev.flow && (ev.type === EventType.MappingStart || ev.type === EventType.SequenceStart)) {
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
        this.processLineComment();
        [this.lineComment, this.keyLineComment] = [this.keyLineComment, this.lineComment];
      }
    }
    this.states.push(State.BlockMappingKey);
    this.emitNode(ev, false, false, true, false);
    this.processLineComment();
    this.processFootComment();
  }

  // `sequence` (yaml.v3's sequence_context) is never read by the emitter; kept for the call shape.
  private emitNode(ev: YEvent, root: boolean, _sequence: boolean, mapping: boolean, simpleKey: boolean): void {
    this.rootContext = root;
    this.mappingContext = mapping;
    this.simpleKeyContext = simpleKey;
    switch (ev.type) {
      case EventType.Scalar:
        return this.emitScalar(ev);
      case EventType.SequenceStart:
        this.state =
          this.flowLevel > 0 || ev.flow || this.checkEmptySequence()
            ? State.FlowSequenceFirstItem
            : State.BlockSequenceFirstItem;
        return;
      case EventType.MappingStart:
        this.state =
          this.flowLevel > 0 || ev.flow || this.checkEmptyMapping()
            ? State.FlowMappingFirstKey
            : State.BlockMappingFirstKey;
        return;
      default:
        throw emitterError('expected SCALAR, SEQUENCE-START, MAPPING-START, or ALIAS');
    }
  }

  private emitScalar(ev: YEvent): void {
    this.selectScalarStyle(ev);
    this.processTag();
    this.increaseIndent(true, false);
    this.processScalar();
    this.popIndent();
    this.popState();
  }

  private checkEmptySequence(): boolean {
    if (this.events.length - this.eventsHead < 2) return false;
    return (
      this.events[this.eventsHead]!.type === EventType.SequenceStart &&
      this.events[this.eventsHead + 1]!.type === EventType.SequenceEnd
    );
  }

  private checkEmptyMapping(): boolean {
    if (this.events.length - this.eventsHead < 2) return false;
    return (
      this.events[this.eventsHead]!.type === EventType.MappingStart &&
      this.events[this.eventsHead + 1]!.type === EventType.MappingEnd
    );
  }

  private checkSimpleKey(): boolean {
    let length = 0;
    switch (this.events[this.eventsHead]!.type) {
      case EventType.Scalar:
        if (this.scalar.multiline) return false;
        length += this.tagHandle.length + this.tagSuffix.length + this.scalar.value.length;
        break;
      case EventType.SequenceStart:
        if (!this.checkEmptySequence()) return false;
        break;
      case EventType.MappingStart:
        if (!this.checkEmptyMapping()) return false;
        break;
      default:
        return false;
    }
    return length <= 128;
  }

  private selectScalarStyle(ev: YEvent): void {
    let style = ev.style;
    if (style === ScalarStyle.Any) style = ScalarStyle.Plain;
    if (this.simpleKeyContext && this.scalar.multiline) style = ScalarStyle.DoubleQuoted;
    if (style === ScalarStyle.Plain) {
      if (
        (this.flowLevel > 0 && !this.scalar.flowPlainAllowed) ||
        (this.flowLevel === 0 && !this.scalar.blockPlainAllowed)
      ) {
        style = ScalarStyle.SingleQuoted;
      }
      if (this.scalar.value.length === 0 && (this.flowLevel > 0 || this.simpleKeyContext)) {
        style = ScalarStyle.SingleQuoted;
      }
      // no tag and !implicit never happens here: every scalar is implicit.
    }
    if (style === ScalarStyle.SingleQuoted && !this.scalar.singleQuotedAllowed) style = ScalarStyle.DoubleQuoted;
    if (style === ScalarStyle.Literal || style === ScalarStyle.Folded) {
      if (!this.scalar.blockAllowed || this.flowLevel > 0 || this.simpleKeyContext) style = ScalarStyle.DoubleQuoted;
    }
    this.scalar.style = style;
  }

  /** yaml_emitter_process_tag for a tag under the `!!` handle (the only one written here). */
  private processTag(): void {
    if (this.tagHandle === '' && this.tagSuffix === '') return;
    if (!this.whitespace) this.put(0x20);
    this.writeAll(utf8.encode(this.tagHandle));
    this.whitespace = false;
    this.indention = false;
    // The suffix is letters only, which write_tag_content copies as they are.
    this.writeAll(utf8.encode(this.tagSuffix));
    this.whitespace = false;
    this.indention = false;
  }

  private processScalar(): void {
    const v = this.scalar.value;
    switch (this.scalar.style) {
      case ScalarStyle.Plain:
        return this.writePlainScalar(v, !this.simpleKeyContext);
      case ScalarStyle.SingleQuoted:
        return this.writeSingleQuotedScalar(v, !this.simpleKeyContext);
      case ScalarStyle.DoubleQuoted:
        return this.writeDoubleQuotedScalar(v, !this.simpleKeyContext);
      case ScalarStyle.Literal:
        return this.writeLiteralScalar(v);
      default:
        throw emitterError('unsupported scalar style');
    }
  }

  private processHeadComment(): void {
    if (this.tailComment.length > 0) {
      this.writeIndent();
      this.writeComment(this.tailComment);
      this.tailComment = EMPTY;
      this.footIndent = this.indent < 0 ? 0 : this.indent;
    }
    if (this.headComment.length === 0) return;
    this.writeIndent();
    this.writeComment(this.headComment);
    this.headComment = EMPTY;
  }

  private processLineComment(linebreak = false): void {
    if (this.lineComment.length === 0) {
      if (linebreak) this.putBreak();
      return;
    }
    if (!this.whitespace) this.put(0x20);
    this.writeComment(this.lineComment);
    this.lineComment = EMPTY;
  }

  private processFootComment(): void {
    if (this.footComment.length === 0) return;
    this.writeIndent();
    this.writeComment(this.footComment);
    this.footComment = EMPTY;
    this.footIndent = this.indent < 0 ? 0 : this.indent;
  }

  private analyzeScalar(value: Uint8Array): void {
    let blockIndicators = false;
    let flowIndicators = false;
    let lineBreaks = false;
    let specialCharacters = false;
    let tabCharacters = false;
    let leadingSpace = false;
    let leadingBreak = false;
    let trailingSpace = false;
    let trailingBreak = false;
    let breakSpace = false;
    let spaceBreak = false;
    let precededByWhitespace = false;
    let followedByWhitespace = false;
    let previousSpace = false;
    let previousBreak = false;
    const s = this.scalar;
    s.value = value;
    if (value.length === 0) {
      s.multiline = false;
      s.flowPlainAllowed = false;
      s.blockPlainAllowed = true;
      s.singleQuotedAllowed = true;
      s.blockAllowed = false;
      return;
    }
    if (
      value.length >= 3 &&
      ((value[0] === 0x2d && value[1] === 0x2d && value[2] === 0x2d) ||
        (value[0] === 0x2e && value[1] === 0x2e && value[2] === 0x2e))
    ) {
      blockIndicators = true;
      flowIndicators = true;
    }
    precededByWhitespace = true;
    for (let i = 0, w = 0; i < value.length; i += w) {
      w = width(value[i]!);
      followedByWhitespace = i + w >= value.length || isBlank(value, i + w);
      const c = value[i]!;
      if (i === 0) {
        switch (c) {
          case 0x23: // #
          case 0x2c: // ,
          case 0x5b: // [
          case 0x5d: // ]
          case 0x7b: // {
          case 0x7d: // }
          case 0x26: // &
          case 0x2a: // *
          case 0x21: // !
          case 0x7c: // |
          case 0x3e: // >
          case 0x27: // '
          case 0x22: // "
          case 0x25: // %
          case 0x40: // @
          case 0x60: // `
            flowIndicators = true;
            blockIndicators = true;
            break;
          case 0x3f: // ?
          case 0x3a: // :
            flowIndicators = true;
            if (followedByWhitespace) blockIndicators = true;
            break;
          case 0x2d: // -
            if (followedByWhitespace) {
              flowIndicators = true;
              blockIndicators = true;
            }
            break;
          default:
            break;
        }
      } else {
        switch (c) {
          case 0x2c:
          case 0x3f:
          case 0x5b:
          case 0x5d:
          case 0x7b:
          case 0x7d:
            flowIndicators = true;
            break;
          case 0x3a:
            flowIndicators = true;
            if (followedByWhitespace) blockIndicators = true;
            break;
          case 0x23:
            if (precededByWhitespace) {
              flowIndicators = true;
              blockIndicators = true;
            }
            break;
          default:
            break;
        }
      }
      if (c === 0x09) {
        tabCharacters = true;
      } else if (!isPrintable(value, i)) {
        specialCharacters = true;
      }
      if (isSpace(value, i)) {
        if (i === 0) leadingSpace = true;
        if (i + width(c) === value.length) trailingSpace = true;
        if (previousBreak) breakSpace = true;
        previousSpace = true;
        previousBreak = false;
      } else if (isBreak(value, i)) {
        lineBreaks = true;
        if (i === 0) leadingBreak = true;
        if (i + width(c) === value.length) trailingBreak = true;
        if (previousSpace) spaceBreak = true;
        previousSpace = false;
        previousBreak = true;
      } else {
        previousSpace = false;
        previousBreak = false;
      }
      precededByWhitespace = isBlankz(value, i);
    }
    s.multiline = lineBreaks;
    s.flowPlainAllowed = true;
    s.blockPlainAllowed = true;
    s.singleQuotedAllowed = true;
    s.blockAllowed = true;
    if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) {
      s.flowPlainAllowed = false;
      s.blockPlainAllowed = false;
    }
    if (trailingSpace) s.blockAllowed = false;
    if (breakSpace) {
      s.flowPlainAllowed = false;
      s.blockPlainAllowed = false;
      s.singleQuotedAllowed = false;
    }
    if (spaceBreak || tabCharacters || specialCharacters) {
      s.flowPlainAllowed = false;
      s.blockPlainAllowed = false;
      s.singleQuotedAllowed = false;
    }
    if (spaceBreak || specialCharacters) s.blockAllowed = false;
    if (lineBreaks) {
      s.flowPlainAllowed = false;
      s.blockPlainAllowed = false;
    }
    if (flowIndicators) s.flowPlainAllowed = false;
    if (blockIndicators) s.blockPlainAllowed = false;
  }

  private analyzeEvent(ev: YEvent): void {
    this.scalar.value = EMPTY;
    this.tagHandle = '';
    this.tagSuffix = '';
    if (ev.head.length > 0) this.headComment = ev.head;
    if (ev.line.length > 0) this.lineComment = ev.line;
    if (ev.foot.length > 0) this.footComment = ev.foot;
    if (ev.tail.length > 0) this.tailComment = ev.tail;
    if (ev.type === EventType.Scalar) {
      if (ev.tagHandle !== '' && !ev.implicit && !ev.quotedImplicit) {
        this.tagHandle = ev.tagHandle;
        this.tagSuffix = ev.tagSuffix;
      }
      this.analyzeScalar(ev.value);
    }
  }

  private writeIndent(): void {
    const indent = this.indent < 0 ? 0 : this.indent;
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.footIndent === indent) this.putBreak();
    while (this.column < indent) this.put(0x20);
    this.whitespace = true;
    this.footIndent = -1;
  }

  private writeIndicator(
    indicator: Uint8Array,
    needWhitespace: boolean,
    isWhitespace: boolean,
    isIndention: boolean,
  ): void {
    if (needWhitespace && !this.whitespace) this.put(0x20);
    this.writeAll(indicator);
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
    this.openEnded = false;
  }

  private writePlainScalar(value: Uint8Array, allowBreaks: boolean): void {
    if (value.length > 0 && !this.whitespace) this.put(0x20);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (isSpace(value, i)) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && !isSpace(value, i + 1)) {
          this.writeIndent();
          i += width(value[i]!);
        } else {
          i = this.write(value, i);
        }
        spaces = true;
      } else if (isBreak(value, i)) {
        if (!breaks && value[i] === 0x0a) this.putBreak();
        i = this.writeBreak(value, i);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    if (value.length > 0) this.whitespace = false;
    this.indention = false;
    if (this.rootContext) this.openEnded = true;
  }

  private writeSingleQuotedScalar(value: Uint8Array, allowBreaks: boolean): void {
    this.writeIndicator(utf8.encode("'"), true, false, false);
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < value.length;) {
      if (isSpace(value, i)) {
        if (
          allowBreaks &&
          !spaces &&
          this.column > this.bestWidth &&
          i > 0 &&
          i < value.length - 1 &&
          !isSpace(value, i + 1)
        ) {
          this.writeIndent();
          i += width(value[i]!);
        } else {
          i = this.write(value, i);
        }
        spaces = true;
      } else if (isBreak(value, i)) {
        if (!breaks && value[i] === 0x0a) this.putBreak();
        i = this.writeBreak(value, i);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (value[i] === 0x27) this.put(0x27);
        i = this.write(value, i);
        this.indention = false;
        spaces = false;
        breaks = false;
      }
    }
    this.writeIndicator(utf8.encode("'"), false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuotedScalar(value: Uint8Array, allowBreaks: boolean): void {
    let spaces = false;
    this.writeIndicator(utf8.encode('"'), true, false, false);
    for (let i = 0; i < value.length;) {
      if (!isPrintable(value, i) || isBom(value, i) || isBreak(value, i) || value[i] === 0x22 || value[i] === 0x5c) {
        let octet = value[i]!;
        let w = 0;
        let v = 0;
        if ((octet & 0x80) === 0x00) {
          w = 1;
          v = octet & 0x7f;
        } else if ((octet & 0xe0) === 0xc0) {
          w = 2;
          v = octet & 0x1f;
        } else if ((octet & 0xf0) === 0xe0) {
          w = 3;
          v = octet & 0x0f;
        } else if ((octet & 0xf8) === 0xf0) {
          w = 4;
          v = octet & 0x07;
        }
        for (let k = 1; k < w; k++) {
          octet = value[i + k]!;
          v = (v << 6) + (octet & 0x3f);
        }
        i += w;
        this.put(0x5c);
        const simple: Record<number, string> = {
          0x00: '0',
          0x07: 'a',
          0x08: 'b',
          0x09: 't',
          0x0a: 'n',
          0x0b: 'v',
          0x0c: 'f',
          0x0d: 'r',
          0x1b: 'e',
          0x22: '"',
          0x5c: '\\',
          0x85: 'N',
          0xa0: '_',
          0x2028: 'L',
          0x2029: 'P',
        };
        const esc = simple[v];
        if (esc !== undefined) {
          this.put(esc.charCodeAt(0));
        } else {
          let digits: number;
          if (v <= 0xff) {
            this.put(0x78); // x
            digits = 2;
          } else if (v <= 0xffff) {
            this.put(0x75); // u
            digits = 4;
          } else {
            this.put(0x55); // U
            digits = 8;
          }
          for (let k = (digits - 1) * 4; k >= 0; k -= 4) {
            const digit = (v >>> k) & 0x0f;
            this.put(digit < 10 ? digit + 0x30 : digit + 0x41 - 10);
          }
        }
        spaces = false;
      } else if (isSpace(value, i)) {
        if (allowBreaks && !spaces && this.column > this.bestWidth && i > 0 && i < value.length - 1) {
          this.writeIndent();
          if (isSpace(value, i + 1)) this.put(0x5c);
          i += width(value[i]!);
        } else {
          i = this.write(value, i);
        }
        spaces = true;
      } else {
        i = this.write(value, i);
        spaces = false;
      }
    }
    this.writeIndicator(utf8.encode('"'), false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeBlockScalarHints(value: Uint8Array): void {
    if (isSpace(value, 0) || isBreak(value, 0)) {
      this.writeIndicator(utf8.encode(String(this.bestIndent)), false, false, false);
    }
    this.openEnded = false;
    let chomp = '';
    if (value.length === 0) {
      chomp = '-';
    } else {
      let i = value.length - 1;
      while ((value[i]! & 0xc0) === 0x80) i--;
      if (!isBreak(value, i)) {
        chomp = '-';
      } else if (i === 0) {
        chomp = '+';
        this.openEnded = true;
      } else {
        i--;
        while ((value[i]! & 0xc0) === 0x80) i--;
        if (isBreak(value, i)) {
          chomp = '+';
          this.openEnded = true;
        }
      }
    }
    if (chomp !== '') this.writeIndicator(utf8.encode(chomp), false, false, false);
  }

  private writeLiteralScalar(value: Uint8Array): void {
    this.writeIndicator(utf8.encode('|'), true, false, false);
    this.writeBlockScalarHints(value);
    this.processLineComment(true);
    this.whitespace = true;
    let breaks = true;
    for (let i = 0; i < value.length;) {
      if (isBreak(value, i)) {
        i = this.writeBreak(value, i);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        i = this.write(value, i);
        this.indention = false;
        breaks = false;
      }
    }
  }

  private writeComment(comment: Uint8Array): void {
    let breaks = false;
    let pound = false;
    for (let i = 0; i < comment.length;) {
      if (isBreak(comment, i)) {
        i = this.writeBreak(comment, i);
        breaks = true;
        pound = false;
      } else {
        if (breaks) this.writeIndent();
        if (!pound) {
          if (comment[i] !== 0x23) {
            this.put(0x23);
            this.put(0x20);
          }
          pound = true;
        }
        i = this.write(comment, i);
        this.indention = false;
        breaks = false;
      }
    }
    if (!breaks) this.putBreak();
    this.whitespace = true;
  }
}

/** yaml.v3's encoder.node(): turns a Node into events, moving each key's foot comment to the next key's tail. */
function nodeEvents(node: YNode, tail: string, emit: (e: YEvent) => void): void {
  switch (node.kind) {
    case 'document':
      emit(event(EventType.DocumentStart, { head: bytes(node.headComment) }));
      for (const child of node.content) nodeEvents(child, '', emit);
      emit(event(EventType.DocumentEnd, { foot: bytes(node.footComment) }));
      return;
    case 'sequence':
      emit(event(EventType.SequenceStart, { head: bytes(node.headComment) }));
      for (const child of node.content) nodeEvents(child, '', emit);
      emit(event(EventType.SequenceEnd, { line: bytes(node.lineComment), foot: bytes(node.footComment) }));
      return;
    case 'mapping': {
      emit(event(EventType.MappingStart, { tail: bytes(tail), head: bytes(node.headComment) }));
      let pending = '';
      for (let i = 0; i + 1 < node.content.length; i += 2) {
        let k = node.content[i]!;
        const foot = k.kind === 'document' ? undefined : k.footComment;
        if (foot) k = { ...k, footComment: undefined } as YNode;
        nodeEvents(k, pending, emit);
        pending = foot ?? '';
        nodeEvents(node.content[i + 1]!, '', emit);
      }
      emit(
        event(EventType.MappingEnd, {
          tail: bytes(pending),
          line: bytes(node.lineComment),
          foot: bytes(node.footComment),
        }),
      );
      return;
    }
    case 'scalar':
      emit(
        event(EventType.Scalar, {
          value: utf8.encode(node.value),
          style: node.style,
          ...(node.tag === '!!merge'
            ? { implicit: false, quotedImplicit: false, tagHandle: '!!', tagSuffix: 'merge' }
            : {}),
          head: bytes(node.headComment),
          line: bytes(node.lineComment),
          foot: bytes(node.footComment),
          tail: bytes(tail),
        }),
      );
      return;
  }
}

/** Writes documents as yaml.v3's Encoder with SetIndent(indent) writes them, one Encode call each. */
export function emitDocuments(documents: YNode[], indent: number): string {
  const emitter = new Emitter(indent);
  emitter.emit(event(EventType.StreamStart));
  for (const doc of documents) nodeEvents(doc, '', (e) => emitter.emit(e));
  emitter.emit(event(EventType.StreamEnd));
  return emitter.result();
}

/**
 * The style a scalar Node gets when sops builds it with `node.Encode(value)`: yaml.v3 writes the
 * value alone as a document, in the style its encoder asks for, and parses that back.
 */
export function encodedScalarStyle(value: string, requested: ScalarStyle): ScalarStyle {
  // At the document root: block context, no simple key, so only the scalar's own content decides.
  const probe = new Emitter(4);
  return probe.styleAtRoot(utf8.encode(value), requested);
}
