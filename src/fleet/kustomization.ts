// Lists (and unlists) a sealed Secret in `secrets/<env>/kustomization.yaml`, the list of what the decrypting
// "secrets" Kustomization applies (and a tenant folder in `tenants/<env>/kustomization.yaml`). For
// a tenant's `<tenant>-auth` the generated file holds a marked comment line in its place: that
// line becomes the entry. Otherwise the file is edited as a YAML document,
// so the user's comments and order survive.
import { type Document, isMap, isScalar, isSeq, parseDocument, Scalar, type YAMLMap, YAMLSeq } from 'yaml';
import { FluxSopsError } from '../errors.js';
import { pendingAuthCommentOf } from './layout.js';

function kustomizationError(path: string, problem: string): FluxSopsError {
  return new FluxSopsError('fleet', `${path} ${problem}; nothing was written`);
}

/** `./apps-auth.yaml` and `apps-auth.yaml` name the same file. */
function sameFile(entry: unknown, file: string): boolean {
  return typeof entry === 'string' && entry.replace(/^(?:\.\/)+/, '') === file;
}

/** The kustomization as a YAML document (comments kept), and its top mapping. */
function kustomizationOf(text: string, path: string): { document: Document; root: YAMLMap<unknown, unknown> } {
  const document = parseDocument(text);
  const [problem] = document.errors;
  if (problem) {
    const [where] = problem.linePos ?? [];
    throw kustomizationError(
      path,
      `is not valid YAML ` +
        `(${where ? `line ${where.line}, column ${where.col}: ` : ''}${problem.message.split(' at line ')[0]})`,
    );
  }
  if (!isMap(document.contents)) {
    throw kustomizationError(path, 'is not a kustomize Kustomization (a mapping with resources)');
  }
  return { document, root: document.contents as YAMLMap<unknown, unknown> };
}

/** The document as text, with the file's own final line break (the yaml library drops it after a trailing comment). */
function documentText(document: Document, original: string): string {
  const edited = document.toString({ lineWidth: 0 });
  return original.endsWith('\n') && !edited.endsWith('\n') ? `${edited}\n` : edited;
}

/**
 * The text of the kustomization with `file` in its `resources`, or undefined when it is
 * listed already (nothing to write). `path` names the file in errors.
 */
export function listResource(kustomizationText: string, file: string, path: string): string | undefined {
  const { document, root } = kustomizationOf(kustomizationText, path);
  const resources = (document.toJS() as { resources?: unknown } | null)?.resources;
  if (Array.isArray(resources) && resources.some((entry) => sameFile(entry, file))) {
    return undefined;
  }
  const pending = file.endsWith('-auth.yaml') ? pendingAuthCommentOf(file.slice(0, -'-auth.yaml'.length)) : undefined;
  if (pending !== undefined) {
    const lines = kustomizationText.split('\n');
    const index = lines.findIndex((line) => line.trim() === pending);
    const line = lines[index];
    if (line !== undefined) {
      // The generated marker: the entry takes its place, at its indentation (and line ending);
      // the generated `resources: []` (an empty list builds, an absent one does not) opens up.
      lines[index] = `${line.slice(0, line.indexOf('#'))}- ${file}${line.endsWith('\r') ? '\r' : ''}`;
      const empty = lines.findIndex((each) => each.trimEnd() === 'resources: []');
      if (empty !== -1) {
        lines[empty] = `resources:${lines[empty]?.endsWith('\r') ? '\r' : ''}`;
      }
      const edited = lines.join('\n');
      const listed = (parseDocument(edited).toJS() as { resources?: unknown } | null)?.resources;
      if (Array.isArray(listed) && listed.some((entry) => sameFile(entry, file))) {
        return edited;
      }
      // The user moved the line out of the list: fall back to the document edit.
    }
  }
  let list: unknown = root.get('resources', true);
  if (list === undefined || (isScalar(list) && list.value === null)) {
    list = new YAMLSeq();
    root.set('resources', list);
  }
  if (!isSeq(list)) {
    throw kustomizationError(path, 'has a resources that is not a list');
  }
  if (list.items.length === 0) {
    list.flow = false;
  }
  list.items.push(new Scalar(file));
  return documentText(document, kustomizationText);
}

/**
 * The text of the kustomization without `file` in its `resources` nor the marked comment line of
 * a tenant's `<tenant>-auth.yaml`, or undefined when it names the file in neither. An emptied list
 * is written `resources: []`, as generated (an absent one does not build).
 */
export function unlistResource(kustomizationText: string, file: string, path: string): string | undefined {
  const pending = file.endsWith('-auth.yaml') ? pendingAuthCommentOf(file.slice(0, -'-auth.yaml'.length)) : undefined;
  const text = kustomizationText
    .split('\n')
    .filter((line) => pending === undefined || line.trim() !== pending)
    .join('\n');
  const { document, root } = kustomizationOf(text, path);
  const list = root.get('resources', true);
  const entryOf = (item: unknown): unknown => (isScalar(item) ? item.value : item);
  if (!isSeq(list) || !list.items.some((item) => sameFile(entryOf(item), file))) {
    return text === kustomizationText ? undefined : text;
  }
  const kept = list.items.filter((item) => !sameFile(entryOf(item), file));
  // As listResource wrote it: the entry's line goes, and an emptied list is `resources: []` again.
  const lines = text.split('\n');
  const entryLines = lines.filter((line) => sameFile(/^\s*-\s+(\S+)\s*$/.exec(line)?.[1], file));
  if (entryLines.length === 1) {
    const edited = lines
      .filter((line) => line !== entryLines[0])
      .map((line) =>
        kept.length === 0 && /^resources:\s*$/.test(line) ? `resources: []${line.endsWith('\r') ? '\r' : ''}` : line,
      )
      .join('\n');
    const listed = (parseDocument(edited).toJS() as { resources?: unknown } | null)?.resources;
    if (JSON.stringify(listed) === JSON.stringify(kept.map(entryOf))) {
      return edited;
    }
  }
  // The user wrote the list otherwise (flow style, quotes): edit it as a document.
  list.items = kept;
  if (kept.length === 0) {
    list.flow = true;
  }
  return documentText(document, text);
}
