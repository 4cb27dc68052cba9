// How `flux-sops check` reads a fleet's YAML and JSON files into plain values: JSON with
// JSON.parse, the plain YAML a fleet is mostly made of with the line reader of simple-yaml.ts,
// anything else with js-yaml (imported statically: the fleet's bundled copy of check holds it).
// Measured cold on a 100-environment fleet, js-yaml reads it about 2.5 times faster than `yaml`
// (the library the generators edit documents with), and the line reader about 3.5 times faster
// than js-yaml. All are configured to conclude what Kubernetes, kustomize and sops conclude from
// the same text (test/check-parsers.test.ts holds them to the same values and findings as `yaml`):
//
// - YAML 1.2 core schema, as sops' Go reader (yaml.v3) types values: `yes`, `on`, `0o14` and
//   `1_000` are read as sops reads them, and a `%YAML 1.1` directive does not change that. The
//   checks compare strings (kind, ciphertexts, paths), so scalar typing cannot hide a Secret.
// - anchors and aliases resolved; merge keys `<<` merged, as Kubernetes and sops do;
// - every document of a multi-document file;
// - a duplicate key, a complex (collection) key, a null byte or nesting deeper than 1,000 makes
//   the file unreadable, as it is for kubectl, kustomize and sops: reported, never guessed at;
// - `2001-12-14` stays a string (sops' reader makes no timestamp of it); `!!binary`, `!!set`,
//   `!!omap` and `!!pairs` are read as YAML defines them; any other tag (`!Ref`, `!!timestamp`)
//   keeps the plain value under it, so a tag cannot hide a Secret.
//
// The message of a file that does not parse gives a position and a fixed phrase, never the text.
import * as jsYamlLibrary from 'js-yaml';
import { SimpleYamlReader } from './simple-yaml.js';

/** A file's documents, or why it could not be read (a phrase and a position, never its text). */
export type ParsedFile = { readonly documents: readonly unknown[] } | { readonly problem: ParseProblem };

export interface ParseProblem {
  /** A fixed phrase such as "duplicated mapping key", when the parser gave one without quoting the file. */
  readonly reason?: string;
  /** 1-based. */
  readonly line?: number;
  readonly column?: number;
}

/** Reads one file of the fleet: the default is {@link parseFleetFile}; tests compare it with another parser. */
export type FleetFileParser = (path: string, text: string) => ParsedFile;

type JsYaml = typeof import('js-yaml');
type LoadOptions = import('js-yaml').LoadOptions;

/** Reads most fleet files several times faster than js-yaml, and declines the rest. */
const simpleReader = new SimpleYamlReader();

let jsYamlReader: { readonly library: JsYaml; readonly options: LoadOptions } | undefined;

/**
 * js-yaml with check's schema, made on first need (a generated fleet may need none): the YAML
 * 1.2 core schema with merge keys and YAML's binary and collection tags; any other tag keeps the
 * plain value under it.
 */
function jsYaml(): { readonly library: JsYaml; readonly options: LoadOptions } {
  if (jsYamlReader === undefined) {
    const library: JsYaml = jsYamlLibrary;
    const {
      binaryTag,
      CORE_SCHEMA,
      defineMappingTag,
      defineScalarTag,
      defineSequenceTag,
      mapTag,
      mergeTag,
      omapTag,
      pairsTag,
      setTag,
    } = library;
    const untaggedScalar = defineScalarTag('', {
      matchByTagPrefix: true,
      resolve: (source) => source,
      identify: () => false,
    });
    const untaggedSequence = defineSequenceTag<unknown[]>('', {
      matchByTagPrefix: true,
      create: () => [],
      addItem: (sequence, item) => {
        sequence.push(item);
      },
      identify: () => false,
    });
    const untaggedMapping = defineMappingTag('', {
      matchByTagPrefix: true,
      create: mapTag.create,
      addPair: mapTag.addPair,
      has: mapTag.has,
      keys: mapTag.keys,
      get: mapTag.get,
      identify: () => false,
    });
    // Created once: js-yaml copies its options on every call.
    const options: LoadOptions = {
      schema: CORE_SCHEMA.withTags(
        mergeTag,
        binaryTag,
        setTag,
        omapTag,
        pairsTag,
        untaggedScalar,
        untaggedSequence,
        untaggedMapping,
      ),
      maxDepth: 1000,
    };
    jsYamlReader = { library, options };
  }
  return jsYamlReader;
}

/** js-yaml's reasons that quote nothing from the file (no quotes, tags or numbers in them). */
const FIXED_PHRASE = /^[a-z][a-z ,;-]*$/i;

/**
 * Blank and comment lines before the first content: comments wherever they stand (nothing is
 * open at the start of a stream), so they are skipped with one native regex instead of by the
 * parser, character by character. A generated file starts with a few such lines of explanation.
 */
const LEADING_COMMENTS = /^(?:[ \t]*(?:#[^\n]*)?\n)+/;

function problemOf(error: unknown, skippedLines: number): ParseProblem {
  const { reason, mark } = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  const line = typeof mark?.line === 'number' ? mark.line + 1 + skippedLines : undefined;
  const column = typeof mark?.column === 'number' ? mark.column + 1 : undefined;
  return {
    ...(typeof reason === 'string' && FIXED_PHRASE.test(reason) ? { reason } : {}),
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  };
}

/** js-yaml's reading alone, without the line reader: what the line reader is held to in tests. */
export function parseWithJsYaml(text: string): ParsedFile {
  try {
    const { library, options } = jsYaml();
    return { documents: library.loadAll(text, options) };
  } catch (error) {
    return { problem: problemOf(error, 0) };
  }
}

/** The documents of a YAML file, or of a JSON file (which falls back to YAML, as kubectl and kustomize read it). */
export function parseFleetFile(path: string, text: string): ParsedFile {
  if (path.endsWith('.json')) {
    try {
      return { documents: [JSON.parse(text) as unknown] };
    } catch {
      // JSON is YAML: the YAML reader says where it breaks, or reads what kubectl would read.
    }
  }
  const skipped = LEADING_COMMENTS.exec(text)?.[0] ?? '';
  const body = skipped === '' ? text : text.slice(skipped.length);
  const simple = simpleReader.read(body);
  if (simple !== undefined) {
    return { documents: simple };
  }
  try {
    const { library, options } = jsYaml();
    return { documents: library.loadAll(body, options) };
  } catch (error) {
    // js-yaml's own errors, and a RangeError from input nested past what the stack holds.
    return { problem: problemOf(error, skipped === '' ? 0 : skipped.split('\n').length - 1) };
  }
}

/** "duplicated mapping key at line 3, column 1" (no text of the file). */
export function describeProblem(problem: ParseProblem): string {
  const where =
    problem.line === undefined
      ? ''
      : `line ${problem.line}${problem.column === undefined ? '' : `, column ${problem.column}`}`;
  return [problem.reason, where].filter((part) => part !== undefined && part !== '').join(' at ') || 'unreadable';
}
