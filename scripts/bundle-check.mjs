// Bundles `flux-sops check` into dist/check.cjs: one CommonJS file that runs on plain Node with
// no install and no network, which the generator copies into every fleet as
// .flux-sops/check.cjs. Reproducible (the same sources and lockfile give the same bytes: no
// timestamps, no absolute paths, no minification, so a refresh is a reviewable diff), and
// headed by the package's name and version and the SHA-256 of the bytes after the header.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
/** Node modules the bundle may load: the checker reads files, it never opens a connection. */
const NETWORK_MODULES = ['net', 'http', 'https', 'http2', 'dns', 'tls', 'dgram'];

/**
 * The licences of the packages bundled (their MIT notices must travel with every copy), as one
 * comment: package, version, licence and the text of its LICENSE file.
 */
function licenceNotices(inputs) {
  const packages = [
    ...new Set(
      Object.keys(inputs)
        .map((path) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1])
        .filter(Boolean),
    ),
  ].sort();
  const notices = packages.map((name) => {
    const folder = `${root}node_modules/${name}`;
    const { version, license } = JSON.parse(readFileSync(`${folder}/package.json`, 'utf8'));
    const file = readdirSync(folder).find((each) => /^(licen[cs]e|copying)/i.test(each));
    const text = file === undefined ? '' : readFileSync(`${folder}/${file}`, 'utf8').trim().replaceAll('*/', '* /');
    return `${name} ${version} (${license}):\n\n${text}`;
  });
  const separator = '\n\n----------------------------------------\n\n';
  return `/*\nBundled packages and their licences.\n\n${notices.join(separator)}\n*/\n`;
}

export async function bundleCheck() {
  const { name, version, engines } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
  const oldestNode = /\d+\.\d+/.exec(engines.node)?.[0];
  const result = await build({
    absWorkingDir: root,
    // Paths as the project sees them (node_modules/…), even where node_modules is a link: the same
    // bytes wherever the dependencies live.
    preserveSymlinks: true,
    entryPoints: ['src/check/standalone.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${oldestNode}`,
    minify: false,
    legalComments: 'inline',
    charset: 'utf8',
    write: false,
    logLevel: 'silent',
    metafile: true,
  });
  const problems = [...result.errors, ...result.warnings].map(
    (each) => `${each.location?.file ?? ''}:${each.location?.line ?? ''} ${each.text}`,
  );
  // Node's own modules stay outside the bundle: a network module among them fails the build.
  const network = Object.values(result.metafile.inputs)
    .flatMap((input) => input.imports)
    .filter((each) => each.external && NETWORK_MODULES.includes(each.path.replace(/^node:/, '')))
    .map((each) => `imports ${each.path}`);
  if (problems.length > 0 || network.length > 0) {
    throw new Error(`The bundled checker cannot be built:\n${[...problems, ...network].join('\n')}`);
  }
  const body = Buffer.concat([Buffer.from(licenceNotices(result.metafile.inputs)), result.outputFiles[0].contents]);
  const header = [
    `// ${name} ${version}: \`flux-sops check\` bundled into one file, for this fleet's CI and pre-commit hook.`,
    `// Runs on plain Node ${oldestNode}+ with no install and no network: ` +
      'node .flux-sops/check.cjs [--json] [--strict]',
    `// sha256 of the bytes after this header: ${createHash('sha256').update(body).digest('hex')}`,
    '// Generated: do not edit. Refresh it by running flux-sops (or yo flux-sops) of the version you want in the',
    '// fleet; flux-sops check reports a copy that differs from the one its own version ships.',
    '',
    '',
  ].join('\n');
  mkdirSync(`${root}dist`, { recursive: true });
  writeFileSync(`${root}dist/check.cjs`, Buffer.concat([Buffer.from(header), body]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleCheck();
}
