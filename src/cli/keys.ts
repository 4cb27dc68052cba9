// `flux-sops updatekeys` and `flux-sops rotate`: placeholder until they land.
import { FluxSopsError } from '../errors.js';

export async function runKeysCommand(command: string, _argv: readonly string[]): Promise<number> {
  throw new FluxSopsError('usage', `flux-sops ${command} is not available yet`);
}
