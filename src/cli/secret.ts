// `flux-sops secret`: placeholder until the sealing command lands.
import { FluxSopsError } from '../errors.js';

export async function runSecretCommand(_argv: readonly string[]): Promise<number> {
  throw new FluxSopsError('usage', 'flux-sops secret is not available yet');
}
