// The layering of the sources, read from the import statements of every .ts file under src/ and generators/ (static
// import/export … from '…', dynamic import('…') with a literal specifier; relative ones resolved to files), the error
// classes, and the 120-column limit of src/, generators/ and scripts/.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The modules besides src/disk, src/terminal.ts and src/version.ts that may use node:fs, because what they read is
 * not the fleet: each is a file the user names or the package ships.
 */
const READS_DISK: Readonly<Record<string, string>> = {
  'src/cli/check.ts': "reads the checker the package ships (dist/check.cjs), to compare the fleet's copy with it",
  'src/fleet/answers-file.ts': 'reads the --answers file the user names',
  'src/fleet/fleet-root.ts': 'finds the fleet a command runs in, walking up from the working folder',
  'src/fleet/templates.ts': "reads the templates the package ships, next to the package's own files",
  'src/secret/inputs.ts': 'reads the --from-file files the user names (a regular file, size-limited)',
  'src/yeoman/generator-support.ts':
    "Yeoman's conflict handling: compares each file Yeoman is about to write with the one on disk, as its conflicter does",
  'src/sops/age.ts': "the library's age key source reads the age key file (SOPS_AGE_KEY_FILE), as sops does",
};

/**
 * Entry points besides src/cli/main.ts: they stand above the command line, so they may import src/cli. The fleet's
 * bundled checker is `flux-sops check` alone, for plain Node: its main lives beside check's run, in src/check.
 */
const ENTRY_POINTS: readonly string[] = ['src/check/standalone.ts'];

/** Folders a planner (src/fleet) or the disk edge (src/disk) must not import from. */
const ABOVE_PLANNERS = ['src/cli/', 'src/yeoman/', 'src/secret/', 'src/keys/', 'src/check/', 'src/disk/'];
const ABOVE_DISK = ['src/cli/', 'src/yeoman/', 'src/secret/', 'src/keys/', 'src/check/', 'src/fleet/'];
const FILE_SYSTEM = new Set(['node:fs', 'node:fs/promises', 'fs', 'fs/promises']);
const MAX_COLUMNS = 120;

interface Import {
  /** The importing file, relative to the repository, with '/'. */
  readonly file: string;
  readonly line: number;
  /** A project file relative to the repository for a relative specifier, else the specifier ('node:fs', 'yaml'). */
  readonly target: string;
  /** `import type`, `export type`, an import whose every name is a type, or `typeof import('…')`. */
  readonly typeOnly: boolean;
}

function filesUnder(folder: string, extensions: readonly string[]): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((path) => extensions.some((extension) => path.endsWith(extension)))
    .map((path) => `${folder}/${path.split(sep).join('/')}`)
    .sort();
}

function resolveSpecifier(file: string, specifier: string): string {
  if (!specifier.startsWith('.')) return specifier;
  const base = join(ROOT, dirname(file), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')];
  const found = candidates.find((candidate) => existsSync(candidate) && candidate.match(/\.[cm]?[jt]s$/));
  assert.ok(found, `${file}: import '${specifier}' resolves to no file`);
  return relative(ROOT, found).split(sep).join('/');
}

const parsed = (file: string) =>
  ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);

function importsOf(source: ts.SourceFile): Import[] {
  const file = source.fileName;
  const found: Import[] = [];
  const add = (node: ts.Node, specifier: ts.Node | undefined, typeOnly: boolean) => {
    if (specifier === undefined || !ts.isStringLiteralLike(specifier)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
    found.push({ file, line, target: resolveSpecifier(file, specifier.text), typeOnly });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const allNamesTypes =
        clause !== undefined &&
        clause.name === undefined &&
        bindings !== undefined &&
        ts.isNamedImports(bindings) &&
        bindings.elements.length > 0 &&
        bindings.elements.every((element) => element.isTypeOnly);
      add(node, node.moduleSpecifier, clause?.isTypeOnly === true || allNamesTypes);
    } else if (ts.isExportDeclaration(node)) {
      add(node, node.moduleSpecifier, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

const SOURCES = [...filesUnder('src', ['.ts']), ...filesUnder('generators', ['.ts'])];
const PARSED = SOURCES.map(parsed);
const IMPORTS = PARSED.flatMap(importsOf);
const isProjectFile = (target: string) => target.startsWith('src/') || target.startsWith('generators/');
const isUnder = (path: string, folders: readonly string[]) => folders.some((folder) => path.startsWith(folder));
const usesFileSystem = (entry: Import) => FILE_SYSTEM.has(entry.target) && !entry.typeOnly;
const mayReadDisk = (file: string) =>
  file.startsWith('src/disk/') || file === 'src/terminal.ts' || file === 'src/version.ts' || file in READS_DISK;

/** Each rule: which imports break it. */
const RULES: Readonly<Record<string, (entry: Import) => boolean>> = {
  'src/sops imports nothing outside src/sops': (entry) =>
    entry.file.startsWith('src/sops/') && isProjectFile(entry.target) && !entry.target.startsWith('src/sops/'),
  // The command line is the top layer: the generators take their options from the input declarations in src/fleet,
  // not from src/cli, so nothing but an entry point (not even generators/ for src/cli/command-spec.ts) imports src/cli.
  'nothing outside src/cli but the ENTRY_POINTS imports src/cli': (entry) =>
    !entry.file.startsWith('src/cli/') && !ENTRY_POINTS.includes(entry.file) && entry.target.startsWith('src/cli/'),
  'the planners (src/fleet) import no command, Yeoman glue or disk edge, and no node:fs': (entry) =>
    entry.file.startsWith('src/fleet/') &&
    (isUnder(entry.target, ABOVE_PLANNERS) || (usesFileSystem(entry) && !(entry.file in READS_DISK))),
  'src/disk imports no command, Yeoman glue or planner but src/fleet/layout.ts': (entry) =>
    entry.file.startsWith('src/disk/') && isUnder(entry.target, ABOVE_DISK) && entry.target !== 'src/fleet/layout.ts',
  'only src/disk, src/terminal.ts, src/version.ts and the READS_DISK modules use node:fs': (entry) =>
    usesFileSystem(entry) && !mayReadDisk(entry.file),
};

const breaches = (rule: (entry: Import) => boolean) => IMPORTS.filter(rule);

describe('structure: the import rules between folders', () => {
  it('reads the imports of every source file', () => {
    assert.ok(SOURCES.length > 50, `only ${SOURCES.length} source files found`);
    assert.ok(IMPORTS.some((entry) => entry.target === 'src/sops/index.ts' && entry.file === 'src/ports.ts'));
  });

  for (const [title, rule] of Object.entries(RULES)) {
    it(title, () => {
      const lines = breaches(rule).map((entry) => `${entry.file}:${entry.line} imports ${entry.target}`);
      assert.deepEqual(lines, [], `${title}, but:\n${lines.join('\n')}`);
    });
  }

  it('READS_DISK and ENTRY_POINTS list only modules that still need their exception', () => {
    const unneeded = [
      ...Object.keys(READS_DISK).filter(
        (file) => !IMPORTS.some((entry) => entry.file === file && usesFileSystem(entry)),
      ),
      ...ENTRY_POINTS.filter(
        (file) => !IMPORTS.some((entry) => entry.file === file && entry.target.startsWith('src/cli/')),
      ),
    ];
    assert.deepEqual(unneeded, [], `an exception no longer needed, remove it:\n${unneeded.join('\n')}`);
  });

  it('one class extends Error outside src/sops (src/errors.ts) and one inside (src/sops/errors.ts)', () => {
    const classes = PARSED.flatMap((source) => {
      const file = source.fileName;
      const found: { file: string; name: string; base: string }[] = [];
      const visit = (node: ts.Node) => {
        if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) {
          const base = node.heritageClauses
            ?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword)
            ?.types[0]?.expression.getText(source);
          if (base !== undefined) found.push({ file, name: node.name?.text ?? '(anonymous)', base });
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
      return found;
    });
    // An error class extends Error, or another error class.
    const errorNames = new Set(['Error']);
    for (let grown = true; grown;) {
      const before = errorNames.size;
      for (const entry of classes) if (errorNames.has(entry.base)) errorNames.add(entry.name);
      grown = errorNames.size > before;
    }
    const errors = classes.filter((entry) => errorNames.has(entry.base));
    const listed = errors.map((entry) => `${entry.file}: ${entry.name} extends ${entry.base}`);
    const inside = errors.filter((entry) => entry.file.startsWith('src/sops/')).map((entry) => entry.file);
    const outside = errors.filter((entry) => !entry.file.startsWith('src/sops/')).map((entry) => entry.file);
    assert.deepEqual(outside, ['src/errors.ts'], `error classes outside src/sops:\n${listed.join('\n')}`);
    assert.deepEqual(inside, ['src/sops/errors.ts'], `error classes in src/sops:\n${listed.join('\n')}`);
  });
});

describe(`structure: no line over ${MAX_COLUMNS} characters in src/, generators/ and scripts/`, () => {
  const code = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];
  const files = [...filesUnder('src', code), ...filesUnder('generators', code), ...filesUnder('scripts', code)];
  const longLines = files.flatMap((file) =>
    readFileSync(join(ROOT, file), 'utf8')
      .split('\n')
      .map((line, index) => ({ file, line: index + 1, length: [...line].length }))
      .filter((entry) => entry.length > MAX_COLUMNS),
  );

  it(`no line over ${MAX_COLUMNS} characters`, () => {
    const lines = longLines.map((entry) => `${entry.file}:${entry.line} has ${entry.length} characters`);
    assert.deepEqual(lines, [], `lines over ${MAX_COLUMNS} characters:\n${lines.join('\n')}`);
  });
});
