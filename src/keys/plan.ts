// What `flux-sops updatekeys` and `flux-sops rotate` will do to each file, decided from the file
// texts and `.sops.yaml` alone: no key is called and nothing is read from disk here, so
// `--dry-run` and the real run report from the same plan.
import { FluxSopsError } from '../errors.js';
import { SOPS_CONFIG_FILE } from '../fleet/layout.js';
import { isPlaceholder, sopsMetadataOf } from '../fleet/sealed-file.js';
import { keyIdsOf, type MasterKeys, masterKeysOfMetadata } from '../sops/master-keys.js';
import { type CreationRule, findCreationRule } from '../sops/rules.js';

/** A file of the fleet as read: POSIX path relative to the fleet root, and its text. */
export interface FleetFile {
  readonly path: string;
  readonly text: string;
}

/** Which command plans: `updatekeys` re-wraps the data key, `rotate` replaces it. */
export type KeysCommand = 'updatekeys' | 'rotate';

/** One file's part of the run. */
export type FilePlan =
  /** A generated <tenant>-auth placeholder: not a real ciphertext, nothing to re-wrap. */
  | { readonly kind: 'placeholder'; readonly path: string }
  /** A sealed file whose keys already are its rule's (updatekeys leaves it alone). */
  | { readonly kind: 'up-to-date'; readonly path: string; readonly target: MasterKeys }
  /** A sealed file to rewrap (updatekeys) or to re-encrypt under a new data key (rotate). */
  | {
      readonly kind: 'rewrite';
      readonly path: string;
      readonly target: MasterKeys;
      /** Master keys the file gains and loses, KMS ARNs first, each in the rule's or the file's order. */
      readonly added: readonly string[];
      readonly removed: readonly string[];
    };

/**
 * The master keys a creation rule seals for, as this product can use them (the one `flux-sops
 * secret` seals with); throws FluxSopsError('fleet') naming `ruleName` for a key it cannot use
 * (pgp, a KMS key with a role to assume, …) or for a rule without keys.
 */
export type MasterKeysOfRule = (rule: CreationRule, ruleName: string) => MasterKeys;

/** `after` minus `before`, in `after`'s order, without repeats. */
function missingFrom(before: readonly string[], after: readonly string[]): string[] {
  const present = new Set(before);
  return [...new Set(after)].filter((key) => !present.has(key));
}

/**
 * The keys a file gains and loses on its way from `current` to `target`: KMS first, then age,
 * then the entries this product cannot use (pgp, a KMS key with a role, …), which it drops.
 */
export function differenceOf(
  current: MasterKeys & { readonly unsupported?: readonly string[] },
  target: MasterKeys,
): { added: string[]; removed: string[] } {
  return {
    added: [...missingFrom(current.kms, target.kms), ...missingFrom(current.age, target.age)],
    removed: [
      ...missingFrom(target.kms, current.kms),
      ...missingFrom(target.age, current.age),
      ...(current.unsupported ?? []),
    ],
  };
}

/** How a rule is named in a message, as `flux-sops secret` names it: its position and its path_regex. */
function describeRule(rule: CreationRule, index: number): string {
  const pattern = rule.path_regex === undefined ? '' : ` (path_regex ${JSON.stringify(String(rule.path_regex))})`;
  return `creation rule ${index + 1}${pattern}`;
}

/**
 * The plan for every file: files that are not SOPS-encrypted are left out, the placeholder and
 * files that are not YAML are skipped (and reported), and each sealed file gets its rule's
 * master keys as target. A sealed file without a matching rule, or whose rule names no master
 * key this product can use, is a 'fleet' error (exit 2) before any key is called: nothing would
 * be left that can open the file.
 */
export function planKeyChanges(
  command: KeysCommand,
  files: readonly FleetFile[],
  rules: readonly CreationRule[],
  masterKeysOfRule: MasterKeysOfRule,
): FilePlan[] {
  const read = files.map(({ path, text }) => ({ path, metadata: sopsMetadataOf(text) }));
  const unreadable = read.flatMap(({ path, metadata }) =>
    typeof metadata === 'object' && 'unreadable' in metadata ? [`  ${path}: ${metadata.unreadable}`] : [],
  );
  if (unreadable.length > 0) {
    throw new FluxSopsError(
      'unreadable',
      `Cannot read ${unreadable.length === 1 ? 'this file' : 'these files'} under secrets/, so flux-sops ${command} ` +
        `cannot re-seal ${unreadable.length === 1 ? 'it' : 'them'}:\n${unreadable.join('\n')}\n` +
        'Nothing was written. Restore each from Git (git checkout -- <file>) or seal it again (flux-sops secret … ' +
        '--force), then run again.',
    );
  }
  const plans: FilePlan[] = [];
  for (const { path, metadata } of read) {
    if (metadata === 'none' || 'unreadable' in metadata) {
      continue;
    }
    if (isPlaceholder(metadata)) {
      plans.push({ kind: 'placeholder', path });
      continue;
    }
    const index = findCreationRule(rules, path);
    const rule = rules[index];
    if (rule === undefined) {
      throw new FluxSopsError(
        'fleet',
        `${path}: no creation rule of ${SOPS_CONFIG_FILE} matches this file; add one (or move the file), then run ` +
          `flux-sops ${command} again. Nothing was written.`,
      );
    }
    const ruleName = describeRule(rule, index);
    let target: MasterKeys;
    try {
      target = masterKeysOfRule(rule, ruleName);
    } catch (error) {
      if (error instanceof FluxSopsError) {
        throw new FluxSopsError(error.kind, `${path}: ${error.message}`);
      }
      throw error;
    }
    if (target.kms.length === 0 && target.age.length === 0) {
      throw new FluxSopsError(
        'fleet',
        `${path}: ${SOPS_CONFIG_FILE} ${ruleName} names no master key (kms or age): flux-sops ${command} would leave ` +
          `the file with none that can open it; nothing was written`,
      );
    }
    const current = masterKeysOfMetadata(metadata.sops);
    const { added, removed } = differenceOf({ ...keyIdsOf(current, 'usable'), unsupported: current.unusable }, target);
    if (command === 'updatekeys' && added.length === 0 && removed.length === 0) {
      plans.push({ kind: 'up-to-date', path, target });
    } else {
      plans.push({ kind: 'rewrite', path, target, added, removed });
    }
  }
  return plans;
}
