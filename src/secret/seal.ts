// One sealing, shared by `flux-sops secret` and `yo flux-sops:secret`: the overwrite rule, the
// encryption of the in-memory Secret for the plan's master keys, the all-or-nothing write, and
// the lines said afterwards. The plaintext goes from the manifest to the encrypter, nowhere else.
import { relative } from 'node:path';
import { FluxSopsError } from '../errors.js';
import { assertWritableFiles, writeAllOrNothing } from './fleet-files.js';
import { type SecretManifest, keysOf } from './manifest.js';
import type { SealingPlan } from './plan.js';

/** Turns the Secret into the sealed YAML text for the plan's keys; a key failure is a 'key' FluxSopsError. */
export type Encrypter = (manifest: SecretManifest, plan: SealingPlan) => Promise<string>;

/**
 * The generated placeholder is replaced without asking; anything else at the path is replaced
 * only with `--force` or a yes in a terminal, otherwise a conflict (exit 1), before any value is
 * asked for.
 */
export async function assertMayReplace(plan: SealingPlan, force: boolean, confirm?: (question: string) => Promise<boolean>): Promise<void> {
  if (plan.existing !== 'sealed' || force) {
    return;
  }
  if (confirm && (await confirm(`${plan.path} exists (a sealed Secret). Replace it?`))) {
    return;
  }
  throw new FluxSopsError(
    'conflict',
    `${plan.path} exists and is not the generated placeholder: nothing was written. Run again with --force to replace it${confirm ? '' : ' (in a terminal you are asked)'}.`,
  );
}

/** Fails before any value is asked for when a file of the plan cannot be written. */
export function assertPlanWritable(root: string, plan: SealingPlan): void {
  assertWritableFiles(root, [plan.path, ...(plan.kustomization === undefined ? [] : [plan.kustomizationPath])]);
}

/** Encrypts, then writes the sealed file and the kustomization together; on any failure nothing changes. */
export async function sealSecret(root: string, plan: SealingPlan, manifest: SecretManifest, encrypt: Encrypter): Promise<void> {
  assertPlanWritable(root, plan);
  const sealed = await encrypt(manifest, plan);
  writeAllOrNothing(root, [
    { path: plan.path, contents: sealed },
    ...(plan.kustomization === undefined ? [] : [{ path: plan.kustomizationPath, contents: plan.kustomization }]),
  ]);
}

function describeKeys(plan: SealingPlan): string {
  const recipients = plan.keys.age.length;
  return [...plan.keys.kms, ...(recipients > 0 ? [`${recipients} age recipient${recipients === 1 ? '' : 's'}`] : [])].join(', ');
}

/** What was done and what to do next, for stderr: commit and push, watch Flux, check the fleet. */
export function sealedReport(plan: SealingPlan, manifest: SecretManifest, root: string, cwd: string): string {
  const keys = keysOf(manifest).join(', ');
  const files = [plan.path, ...(plan.kustomization === undefined ? [] : [plan.kustomizationPath])];
  const where = relative(cwd, root);
  const verb = plan.existing === 'missing' ? 'Sealed' : plan.existing === 'placeholder' ? 'Sealed (replacing the placeholder)' : 'Sealed (replacing the previous Secret)';
  return [
    `${verb} ${plan.path}: Secret ${plan.namespace}/${plan.name} (${keys}) for ${describeKeys(plan)}.`,
    plan.kustomization === undefined ? `${plan.kustomizationPath} lists it already.` : `Listed ${plan.name}.yaml in ${plan.kustomizationPath}.`,
    '',
    'Next:',
    ...(where === '' ? [] : [`  cd ${where}`]),
    `  git add ${files.join(' ')}`,
    `  git commit -m "Seal ${plan.name} for ${plan.environment}" && git push`,
    `  flux get kustomizations --watch   # on the ${plan.environment} cluster: "secrets"${plan.name === 'repo-auth' ? ' and "apps"' : ''} become Ready`,
    '  flux-sops check --strict',
    '',
  ].join('\n');
}

/** Said on stderr beside the generated public key (printed alone on stdout). */
export function deployKeyInstruction(repoUrl: string): string {
  return [
    `Add the public key printed on stdout to ${repoUrl} as a read-only deploy key`,
    '(GitHub: Settings > Deploy keys, "Allow write access" unchecked; GitLab: Settings > Repository > Deploy keys).',
    'It is sealed as identity.pub too; the private key exists only sealed in the fleet.',
    '',
  ].join('\n');
}
