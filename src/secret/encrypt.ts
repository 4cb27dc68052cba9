// The Secret's encryption: the in-memory Secret through the SOPS library, for the master keys and
// selectors of the creation rule it is sealed by, with the key sources and the time the command
// was given. The result is the sealed text; a library error becomes the product's.
import { parseAllDocuments } from 'yaml';
import { FluxSopsError, fromSopsError } from '../errors.js';
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
  const sealed = await encryptDocument(secretObject(manifest), { keys, ...target.selectors, keySources, now }).catch(
    (error: unknown) => {
      throw fromSopsError(error);
    },
  );
  assertValuesEncrypted(sealed);
  return sealed;
}

const ENCRYPTED_VALUE = /^ENC\[AES256_GCM,/;

/**
 * Refuses a sealed Secret in which a value of `data` or `stringData` is not encrypted: a creation
 * rule's selectors (encrypted_regex, unencrypted_suffix, …) can leave values in clear, and such a
 * text must never be written. Names the key, never the value; nothing has been written yet.
 */
export function assertValuesEncrypted(sealed: string): void {
  for (const document of parseAllDocuments(sealed)) {
    const secret = document.toJS() as Record<string, unknown> | null;
    for (const section of ['data', 'stringData']) {
      const values = secret?.[section];
      if (typeof values !== 'object' || values === null) {
        continue;
      }
      for (const [key, value] of Object.entries(values)) {
        if (typeof value !== 'string' || !ENCRYPTED_VALUE.test(value)) {
          throw new FluxSopsError(
            'fleet',
            `The .sops.yaml rule for this file would leave ${section}.${key} unencrypted (its encrypted_regex, ` +
              'encrypted_suffix or unencrypted_* selector does not cover it): nothing was written. Make the rule ' +
              'encrypt every value of the Secret, as encrypted_regex: ^(data|stringData)$ does.',
          );
        }
      }
    }
  }
}
