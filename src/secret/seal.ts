// One sealing, shared by `flux-sops secret` and `yo flux-sops:secret`: the overwrite rule, the
// encryption of the in-memory Secret for the plan's master keys, the all-or-nothing write, and
// the lines said afterwards. The plaintext goes from the manifest to the encrypter, nowhere else.
import { isAbsolute, relative } from 'node:path';
import { placeholderSealCommand } from '../check/facts.js';
import type { FleetDisk } from '../disk/index.js';
import { describeValue, FluxSopsError } from '../errors.js';
import { placeholdersLeft, readCurrentTexts } from './fleet-files.js';
import { listResource } from '../fleet/kustomization.js';
import { type SecretManifest, keysOf } from './manifest.js';
import type { SealingPlan } from './plan.js';

/** Turns the Secret into the sealed YAML text for the plan's keys; a key failure is a 'key' FluxSopsError. */
export type Encrypter = (manifest: SecretManifest, plan: SealingPlan) => Promise<string>;

/**
 * The generated placeholder is replaced without asking; anything else at the path is replaced
 * only with `--force` or a yes in a terminal. A no is a choice ('declined': exit 0, nothing
 * written); without a terminal it is a conflict (exit 1). Decided before any value is asked for.
 */
export async function assertMayReplace(
  plan: Pick<SealingPlan, 'existing' | 'path'> & { readonly resumed?: boolean },
  force: boolean,
  confirm?: (question: string) => Promise<boolean>,
): Promise<void> {
  if (plan.existing !== 'sealed' || plan.resumed === true || force) {
    return;
  }
  if (confirm) {
    if (await confirm(`${plan.path} exists (a sealed Secret). Replace it?`)) {
      return;
    }
    throw new FluxSopsError('declined', `${plan.path} kept as it is: nothing was written.`);
  }
  throw new FluxSopsError(
    'conflict',
    `${plan.path} exists and is not the generated placeholder: nothing was written. Run again with --force to ` +
      `replace it (in a terminal you are asked).`,
  );
}

/**
 * Fails before any value is asked for when a file of the plan cannot be written, or when Git
 * would ignore the sealed file (a .gitignore pattern such as *.dec.yaml matching the Secret's
 * name): it would never be committed, so never reach the cluster.
 */
export function assertPlanWritable(disk: FleetDisk, plan: SealingPlan): void {
  if (disk.ignores(plan.path)) {
    throw new FluxSopsError(
      'input',
      `Invalid Secret name ${describeValue(plan.name)}: Git would ignore ${plan.path} (a pattern of the fleet's ` +
        `.gitignore or .git/info/exclude matches it), so it would never be committed; choose another name`,
    );
  }
  disk.assertWritable([plan.path, ...(plan.kustomization === undefined ? [] : [plan.kustomizationPath])]);
}

/**
 * Encrypts, then, holding the fleet lock, writes the sealed file and the kustomization together
 * (one commit: on any failure nothing changes). The kustomization is read again under the lock,
 * so a run sealing another name meanwhile keeps its listing; a file at the path that changed
 * since it was planned (another run sealed the same name) is a 'conflict', nothing is written.
 */
export async function sealSecret(
  disk: FleetDisk,
  plan: SealingPlan,
  manifest: SecretManifest,
  encrypt: Encrypter,
): Promise<void> {
  assertPlanWritable(disk, plan);
  const sealed = await encrypt(manifest, plan);
  disk.withLock(() => {
    const now = readCurrentTexts(disk, plan);
    if (now.existing !== plan.existingText) {
      throw new FluxSopsError(
        'conflict',
        `${plan.path} changed while flux-sops ran (another run sealed it?): nothing was written. Run the command ` +
          `again.`,
      );
    }
    if (now.kustomization === null) {
      throw new FluxSopsError(
        'fleet',
        `${plan.kustomizationPath} is missing: the "secrets" Kustomization applies what it lists; restore it ` +
          `(git checkout) and run again`,
      );
    }
    const kustomization = listResource(now.kustomization, `${plan.name}.yaml`, plan.kustomizationPath);
    disk.writeAllOrNothing([
      { path: plan.path, contents: sealed },
      ...(kustomization === undefined ? [] : [{ path: plan.kustomizationPath, contents: kustomization }]),
    ]);
  });
}

/** The master keys of a plan for a message: KMS ARNs, and how many age recipients. */
export function describeKeys(plan: Pick<SealingPlan, 'keys'>): string {
  const recipients = plan.keys.age.length;
  return [
    ...plan.keys.kms,
    ...(recipients > 0 ? [`${recipients} age recipient${recipients === 1 ? '' : 's'}`] : []),
  ].join(', ');
}

/** What was sealed and listed, for stderr. */
function sealedSummary(plan: SealingPlan, manifest: SecretManifest): string {
  const replaced =
    plan.existing === 'missing'
      ? ''
      : plan.existing === 'placeholder'
        ? ' (replacing the placeholder)'
        : ' (replacing the previous Secret)';
  return [
    `Sealed ${plan.path}${replaced}: Secret ${plan.namespace}/${plan.name} (${keysOf(manifest).join(', ')}) for ` +
      `${describeKeys(plan)}.`,
    plan.kustomization === undefined
      ? `${plan.kustomizationPath} lists it already.`
      : `Listed ${plan.name}.yaml in ${plan.kustomizationPath}.`,
    '',
  ].join('\n');
}

/** What Flux does once the seal is pushed: "secrets" is Ready only when no placeholder of the environment is left. */
function readiness(plan: SealingPlan, placeholders: readonly string[]): string {
  if (placeholders.length > 0) {
    return (
      `"secrets" becomes Ready only once ${placeholders.join(', ')} ` +
      `${placeholders.length === 1 ? 'is' : 'are'} sealed too ` +
      `(${placeholders.map(placeholderSealCommand).join('; ')})`
    );
  }
  return plan.repoUrl === undefined
    ? '"secrets" becomes Ready'
    : `"secrets" becomes Ready, then the tenant's GitRepository and Kustomization in ${plan.namespace}`;
}

/**
 * What to do next, for stderr: commit and push, watch Flux, check the fleet. `placeholders`: those
 * still in the environment's folder.
 */
function nextSteps(plan: SealingPlan, root: string, cwd: string, placeholders: readonly string[]): string {
  const files = [plan.path, ...(plan.kustomization === undefined ? [] : [plan.kustomizationPath])];
  const fromCwd = relative(cwd, root);
  const where = fromCwd.startsWith('..') || isAbsolute(fromCwd) ? root : fromCwd;
  return [
    'Next:',
    ...(where === '' ? [] : [`  cd ${where}`]),
    `  git add ${files.join(' ')}`,
    `  git commit -m "Seal ${plan.name} for ${plan.environment}" && git push`,
    `  flux get kustomizations --watch   # on the ${plan.environment} cluster: ${readiness(plan, placeholders)}`,
    '  flux-sops check --strict',
    '',
  ].join('\n');
}

/** Said just before the generated public key; `where` names it ("The public key (on stdout):"). */
function deployKeyInstruction(repoUrl: string, where: string): string {
  return [
    `Add this public key to ${repoUrl} as a read-only deploy key`,
    '(GitHub: Settings > Deploy keys, "Allow write access" unchecked; GitLab: Settings > Repository >',
    'Deploy keys). It is sealed as identity.pub too; the private key exists only sealed in the fleet.',
    where,
    '',
  ].join('\n');
}

/**
 * What is said once a Secret is sealed into the fleet, through `say`: what was sealed and listed;
 * for a generated deploy key, the instruction to add it to the Git host (before the next steps:
 * it must be there before Flux pulls), the public key given alone to `publicKeyTo` (stdout) or,
 * without it, said after the instruction; then the next steps (`cwd`: where the command ran).
 */
export function tellSealed(
  sealed: {
    readonly disk: FleetDisk;
    readonly cwd: string;
    readonly plan: SealingPlan;
    readonly manifest: SecretManifest;
  },
  publicKey: string | undefined,
  say: (text: string) => void,
  publicKeyTo?: (publicKey: string) => void,
): void {
  const { disk, cwd, plan, manifest } = sealed;
  say(sealedSummary(plan, manifest));
  if (publicKey !== undefined) {
    const where = publicKeyTo === undefined ? 'The public key:' : 'The public key (on stdout):';
    say(`\n${deployKeyInstruction(plan.repoUrl ?? 'the Git host', where)}`);
    (publicKeyTo ?? ((key: string) => say(`\n${key}`)))(publicKey);
  }
  say(`\n${nextSteps(plan, disk.root, cwd, placeholdersLeft(disk, plan.environment, plan.path))}`);
}
