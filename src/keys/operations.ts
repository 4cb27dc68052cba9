// The key operations of a run, from the product's SOPS module: the rule's master keys (refusing
// those this product cannot use), and `updateKeys` / `rotateDataKey`, which unwrap the data key
// with any available master key (age identities from SOPS_AGE_KEY_FILE / SOPS_AGE_KEY, then AWS
// KMS through the SDK's default chain) and wrap it for the rule's keys.
import { fromSopsError } from '../errors.js';
import {
  type KeySourceFactory,
  masterKeysOfRule,
  type RewrapOptions,
  rotateDataKey,
  updateKeys,
  usable,
} from '../sops/index.js';
import type { KeyOperations } from './run.js';

export interface SopsKeyOperationsOptions {
  /** Where the age identities are looked up (SOPS_AGE_KEY, SOPS_AGE_KEY_FILE). */
  readonly env: NodeJS.ProcessEnv;
  /** AWS KMS and age: the ports' key sources. */
  readonly keySources: KeySourceFactory;
}

function rethrown(error: unknown): never {
  throw fromSopsError(error);
}

export function sopsKeyOperations(options: SopsKeyOperationsOptions): KeyOperations {
  const rewrapOptions: RewrapOptions = { env: options.env, keySources: options.keySources };
  return {
    masterKeysOfRule: (rule) => {
      try {
        return usable(masterKeysOfRule(rule));
      } catch (error) {
        throw fromSopsError(error);
      }
    },
    updateKeys: async (text, target) => (await updateKeys(text, target, rewrapOptions).catch(rethrown)).text,
    rotateDataKey: async (text, target) => (await rotateDataKey(text, target, rewrapOptions).catch(rethrown)).text,
  };
}
