// How `flux-sops check` reads a fleet's YAML and JSON files into plain values. It uses js-yaml,
// which reads the fleet's files several times faster than `yaml` (the library the generators
// use to edit documents), configured to conclude what Kubernetes, kustomize and sops conclude
// from the same text (test/check-parsers.test.ts holds both libraries to the same findings):
//
// - YAML 1.2 core schema, as sops' Go reader (yaml.v3) types values: `yes`, `on`, `0o14` and
//   `1_000` are read as sops reads them, and a `%YAML 1.1` directive does not change that. The
//   checks compare strings (kind, ciphertexts, paths), so scalar typing cannot hide a Secret.
// - anchors and aliases resolved; merge keys `<<` merged, as Kubernetes and sops do;
// - every document of a multi-document file;
// - a duplicate key, a complex (collection) key, a null byte or nesting deeper than 1,000 makes
//   the file unreadable, as it is for kubectl, kustomize and sops: reported, never guessed at;
// - a tag the schema does not know (`!Ref`, `!!binary`) keeps the plain value under it.
//
// The message of a file that does not parse gives a position and a fixed phrase, never the text.
import {
  binaryTag,
  CORE_SCHEMA,
  defineMappingTag,
  defineScalarTag,
  defineSequenceTag,
  loadAll,
  mapTag,
  mergeTag,
  omapTag,
  pairsTag,
  setTag,
  timestampTag,
} from 'js-yaml';

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

/** Unknown tags (any prefix) keep the plain value they stand on. */
const untaggedScalar = defineScalarTag('', { matchByTagPrefix: true, resolve: (source) => source, identify: () => false });
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

/** Created once: js-yaml copies its options on every call, and a fleet has a thousand files. */
const LOAD_OPTIONS = {
  schema: CORE_SCHEMA.withTags(mergeTag, binaryTag, timestampTag, setTag, omapTag, pairsTag, untaggedScalar, untaggedSequence, untaggedMapping),
  maxDepth: 1000,
};

/** js-yaml's reasons that quote nothing from the file (no quotes, tags or numbers in them). */
const FIXED_PHRASE = /^[a-z][a-z ,;-]*$/i;

function problemOf(error: unknown): ParseProblem {
  const { reason, mark } = error as { reason?: unknown; mark?: { line?: unknown; column?: unknown } };
  const line = typeof mark?.line === 'number' ? mark.line + 1 : undefined;
  const column = typeof mark?.column === 'number' ? mark.column + 1 : undefined;
  return {
    ...(typeof reason === 'string' && FIXED_PHRASE.test(reason) ? { reason } : {}),
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  };
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
  try {
    return { documents: loadAll(text, LOAD_OPTIONS) };
  } catch (error) {
    // js-yaml's own errors, and a RangeError from input nested past what the stack holds.
    return { problem: problemOf(error) };
  }
}

/** "duplicated mapping key at line 3, column 1" (no text of the file). */
export function describeProblem(problem: ParseProblem): string {
  const where = problem.line === undefined ? '' : `line ${problem.line}${problem.column === undefined ? '' : `, column ${problem.column}`}`;
  return [problem.reason, where].filter((part) => part !== undefined && part !== '').join(' at ') || 'unreadable';
}
