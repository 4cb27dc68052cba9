// One of the package's generators run through yeoman-environment, for `flux-sops [dir]`, `env add`
// and `tenant add` (src/generate/generator.ts loads this module only to generate). Yeoman reads and
// writes the fleet itself, through its mem-fs.
import { extname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asCancellation, FluxSopsError, isFluxSopsError, RUN_BY_FLUX_SOPS } from '../errors.js';
import { packageRoot } from '../version.js';

/**
 * Runs the generator `name` in `destination` with the arguments and options given. A cancelled
 * run is the product's cancellation, saying which files were written, if any.
 */
export async function runYeomanGenerator(
  name: 'app' | 'env' | 'tenant',
  destination: string,
  args: readonly string[],
  options: Readonly<Record<string, unknown>>,
): Promise<void> {
  const { default: Environment } = await import('yeoman-environment');
  const environment = new Environment({ cwd: destination, skipInstall: true, force: Boolean(options.force) } as never);
  // index.js when compiled, index.ts when the sources run through tsx (the tests). Registered as
  // the imported class: yeoman-environment would require() a path first, which ESM sources refuse.
  const generatorUrl = new URL(
    `../../generators/${name}/index${extname(fileURLToPath(import.meta.url))}`,
    import.meta.url,
  );
  const { default: generator } = (await import(generatorUrl.href)) as { default: unknown };
  (environment as unknown as { registerStub: (...args: unknown[]) => unknown }).registerStub(
    generator,
    `flux-sops:${name}`,
    fileURLToPath(generatorUrl),
    packageRoot(),
  );
  try {
    await environment.run([`flux-sops:${name}`, ...args], {
      ...options,
      skipInstall: true,
      [RUN_BY_FLUX_SOPS]: true,
    } as never);
  } catch (raised) {
    const error = asCancellation(raised);
    if (isFluxSopsError(error) && error.kind === 'cancelled') {
      // The generators write nothing before every question is answered; say so only if true.
      const files = (
        environment as unknown as { sharedFs: { all(): { path: string; committed?: boolean }[] } }
      ).sharedFs.all();
      const written = files.filter((file) => file.committed).map((file) => relative(destination, file.path));
      throw new FluxSopsError(
        'cancelled',
        written.length === 0
          ? 'Cancelled: nothing was written.'
          : `Cancelled, after these files were written: ${written.join(', ')}`,
      );
    }
    throw error;
  }
}
