// The Secret's encryption: the in-memory Secret through the SOPS library, for the master keys and
// selectors of the creation rule it is sealed by, with the key sources and the time the command
// was given. The result is the sealed text; a library error becomes the product's.
import { fromSopsError } from '../errors.js';
import { encryptDocument, type KeySourceFactory } from '../sops/index.js';
import type { MasterKeys } from '../sops/master-keys.js';
import { type SecretManifest, secretObject } from './manifest.js';
import type { EncryptionSelectors } from './plan.js';

/** Where the keys come from and what time it is (sops' lastmodified and created_at). */
export interface SealingKeys {
  readonly keySources: KeySourceFactory;
  readonly now: Date;
}

export async function encryptSecret(
  manifest: SecretManifest,
  target: { readonly keys: MasterKeys; readonly selectors: EncryptionSelectors },
  { keySources, now }: SealingKeys,
): Promise<string> {
  const keys = { kms: [...target.keys.kms], age: [...target.keys.age] };
  return encryptDocument(secretObject(manifest), { keys, ...target.selectors, keySources, now }).catch(
    (error: unknown) => {
      throw fromSopsError(error);
    },
  );
}
