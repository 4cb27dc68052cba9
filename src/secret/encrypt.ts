// The Encrypter of `flux-sops secret`: the in-memory Secret through the product's SOPS module,
// for the master keys and selectors of the plan's creation rule. The result is the sealed text.
import { fromSopsError } from '../errors.js';
import { encryptDocument } from '../sops/index.js';
import { type SecretManifest, secretObject } from './manifest.js';
import type { SealingPlan } from './plan.js';

export async function encryptSecret(manifest: SecretManifest, plan: SealingPlan): Promise<string> {
  const keys = { kms: [...plan.keys.kms], age: [...plan.keys.age] };
  return encryptDocument(secretObject(manifest), { keys, ...plan.selectors }).catch((error: unknown) => {
    throw fromSopsError(error);
  });
}
