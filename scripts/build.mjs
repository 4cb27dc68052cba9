// Compiles src/ and generators/ to dist/ from a clean folder, so no stale module survives a rename,
// then bundles `flux-sops check` into dist/check.cjs (scripts/bundle-check.mjs).
// Templates are not copied: they ship in the top-level templates/ folder, which the compiled
// modules find at the same relative path as the sources do.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { bundleCheck } from './bundle-check.mjs';

const require = createRequire(import.meta.url);
rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
  stdio: 'inherit',
});
chmodSync(new URL('../dist/src/cli/main.js', import.meta.url), 0o755);
await bundleCheck();
