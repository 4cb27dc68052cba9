// `flux-sops check [dir]`: placeholder until the checker lands.
export async function runCheckCommand(_argv: string[]): Promise<number> {
  process.stderr.write('flux-sops check: not implemented yet\n');
  return 2;
}
