// The Encrypter of `flux-sops secret`: the in-memory Secret, as YAML text in memory, through the
// product's SOPS module, for the master keys and selectors of the plan's creation rule.
import { stringify } from 'yaml';
import { FluxSopsError } from '../errors.js';
import { type SecretManifest, secretObject } from './manifest.js';
import type { SealingPlan } from './plan.js';

/**
 * The Secret as YAML text, every value double-quoted (escapes for control characters, no
 * folding), so any reader, YAML 1.1 or 1.2, reads back exactly the given strings.
 */
export function secretDocumentText(manifest: SecretManifest): string {
  return stringify(secretObject(manifest), { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN', lineWidth: 0, indent: 2 });
}

export async function encryptSecret(manifest: SecretManifest, plan: SealingPlan): Promise<string> {
  void secretDocumentText(manifest);
  void plan;
  throw new FluxSopsError('key', 'the SOPS module is not available yet');
}
